package node

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dsp/node/client"
	"dsp/status"
	"dsp/store"
)

func openNode(t *testing.T, dir string, peers ...string) *Node {
	t.Helper()
	n, err := Open(Options{
		DataDir: dir, Listen: []string{"kcp://127.0.0.1:0"}, Roles: []string{"fs"}, Peers: peers,
		MetricsAddr: "127.0.0.1:0", ReconnectInterval: 200 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
		Host: func(c *Config) {
			c.KeepaliveInterval, c.KeepaliveTimeout = 100*time.Millisecond, 3*time.Second
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func TestNodeAPIOverHTTPAndInProcess(t *testing.T) {
	da, db := t.TempDir(), t.TempDir()
	a := openNode(t, da)
	b := openNode(t, db, a.Host().Addrs()[0])
	ctx := ctxT(t)

	for _, f := range []string{KeyFile, client.APIInfoFile} {
		fi, err := os.Stat(filepath.Join(db, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v mode %v, want 0600", f, err, fi.Mode().Perm())
		}
	}
	hc, err := client.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]client.Client{"http": hc, "local": Local(b)} {
		t.Run(name, func(t *testing.T) {
			var st *client.Status
			eventually(t, 10*time.Second, "b connected to a with an RTT", func() bool {
				st, err = c.Status(ctx)
				return err == nil && len(st.Peers) == 1 && st.Peers[0].RTTMs > 0
			})
			if st.Address != b.Key().Address() || st.Peers[0].Address != a.Key().Address() || len(st.Roles) != 1 || st.Roles[0] != "fs" {
				t.Fatalf("status %+v", st)
			}
			if want := hex.EncodeToString(a.Key().Public().Bytes()); st.Peers[0].Key != want {
				t.Fatalf("peer key %q, want %q", st.Peers[0].Key, want)
			}
			if st.NetworkID != 1 || len(st.Listen) != 1 {
				t.Fatalf("status %+v", st)
			}
		})
	}
	// Metrics are served and count the peer.
	resp, err := http.Get(b.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"dsp_peers 1", "dsp_bytes_in_total", "dsp_peer_rtt_seconds{peer=\"" + a.Key().Address().String() + "\"}"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Events, then a disconnect and a connect through the API.
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	evs, err := hc.Events(ectx)
	if err != nil {
		t.Fatal(err)
	}
	if err := hc.Disconnect(ctx, a.Key().Address()); err != nil {
		t.Fatal(err)
	}
	want := []string{client.EventPeerDisconnected, client.EventPeerConnected} // keepPeers reconnects
	for _, w := range want {
		select {
		case ev := <-evs:
			if ev.Type != w {
				t.Fatalf("event %q, want %q", ev.Type, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s event", w)
		}
	}
	p, err := hc.Connect(ctx, a.Key().Address().String()+"@"+a.Host().Addrs()[0])
	if err != nil || p.Address != a.Key().Address() {
		t.Fatalf("connect: %+v %v", p, err)
	}
	// Bad input gets spec codes.
	if _, err := hc.Connect(ctx, "nonsense"); !errors.Is(err, status.Is(status.InvalidParams)) {
		t.Fatalf("connect nonsense: %v", err)
	}
	if _, err := client.NewHTTP(b.APIURL(), "wrong", nil).Status(ctx); !errors.Is(err, status.Is(status.InvalidParams)) {
		t.Fatalf("wrong token: %v", err)
	}
	cancel()
	// Stop: api.json goes, the store is closed (it opens again here), the peer sees us leave.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(db, client.APIInfoFile)); !os.IsNotExist(err) {
		t.Fatalf("api.json after stop: %v", err)
	}
	if _, err := client.Open(db); !errors.Is(err, status.Is(status.NoDsp)) {
		t.Fatalf("client.Open on a stopped node: %v", err)
	}
	s, err := store.Open(filepath.Join(db, StoreFile), &store.Options{OpenTimeout: time.Second})
	if err != nil {
		t.Fatalf("store still locked after stop: %v", err)
	}
	s.Close()
	eventually(t, 5*time.Second, "a sees b leave", func() bool { return len(a.Host().Peers()) == 0 })
	// The key survives a restart.
	b2 := openNode(t, db)
	if b2.Key().Address() != b.Key().Address() {
		t.Fatal("node key changed across restarts")
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{},
		{DataDir: t.TempDir(), Roles: []string{"miner"}},
		{DataDir: t.TempDir(), Peers: []string{"127.0.0.1:4001"}},
	} {
		if n, err := Open(o); err == nil {
			n.Close()
			t.Errorf("Open(%+v) accepted", o)
		}
	}
}

func TestKeyFileOpenToOthersRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyFile)
	k, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || k2.Address() != k.Address() {
		t.Fatalf("reload: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreateKey(path); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("world-readable key: %v, want ErrBadConfig", err)
	}
}

// TestProfilesBesideMetrics: the metrics listener serves Go's profiles too.
func TestProfilesBesideMetrics(t *testing.T) {
	n := openNode(t, t.TempDir())
	base := strings.TrimSuffix(n.MetricsURL(), "/metrics")
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/goroutine?debug=1"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Fatalf("%s: %s, %d bytes", path, resp.Status, len(body))
		}
	}
}
