package scan

import (
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"dsp/keys"
	"dsp/node"
	"dsp/status"
)

type netKind struct {
	name   string
	listen func(name string) (node.Transports, string)
}

func nets() []netKind {
	mem := node.NewMemNetwork()
	return []netKind{
		{"mem", func(name string) (node.Transports, string) {
			return node.Transports{"mem": mem.As(name)}, "mem://" + name
		}},
		{"kcp", func(string) (node.Transports, string) {
			return node.Transports{"kcp": node.NewKCP(node.DefaultKCPConfig())}, "kcp://127.0.0.1:0"
		}},
	}
}

// startHost starts a host called name on n, with mount run before Start; it is closed at cleanup.
func startHost(t *testing.T, n netKind, name string, mount func(*node.Host) error) (*node.Host, *keys.KeyPair) {
	t.Helper()
	k := genKey(t)
	tr, listen := n.listen(name)
	h, err := node.New(node.Config{Key: k, Listen: []string{listen}, Transports: tr,
		RequestTimeout: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if mount != nil {
		if err := mount(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, k
}

// scanNode starts a host with the scan role over a fresh tracker.
func scanNode(t *testing.T, n netKind, name string, syncFrom ...string) (*node.Host, *Service) {
	t.Helper()
	tr, err := Open(Config{Path: filepath.Join(t.TempDir(), "scan.db")})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(ServiceConfig{Tracker: tr, SyncFrom: syncFrom, SyncInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := startHost(t, n, name, svc.Mount)
	t.Cleanup(func() { tr.Close() }) // runs after the host's Close (cleanups run last-in first-out)
	return h, svc
}

func TestServiceOverHosts(t *testing.T) {
	base := runtime.NumGoroutine()
	for _, n := range nets() {
		t.Run(n.name, func(t *testing.T) {
			ctx := ctxT(t)
			sh, _ := scanNode(t, n, "scan1")
			seeder, sk := startHost(t, n, "seeder", nil)
			getter, _ := startHost(t, n, "getter", nil)
			file := []byte("a file hash of thirty-two bytes!")

			p, err := seeder.Connect(ctx, sh.Addrs()[0])
			if err != nil {
				t.Fatal(err)
			}
			cs := NewClient(HostRoundTripper(seeder, p.Account()))
			if _, err := cs.Announce(ctx, NewTorrent(file, 0, Seeder, sk.Address())); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.RegisterEndpoint(ctx, sk.Address(), seeder.Addrs()[0], EndpointClient); err != nil {
				t.Fatal(err)
			}
			// Announcing for the getter's account is refused by the SCAN node.
			_, err = cs.Announce(ctx, NewTorrent(file, 0, Seeder, getter.Account()))
			if status.CodeOf(err, 0) != status.InvalidWalletAddress.Num() {
				t.Fatalf("announce for another over the host: %v", err)
			}

			if _, err := getter.Connect(ctx, sh.Addrs()[0]); err != nil {
				t.Fatal(err)
			}
			cg := NewClient(HostRoundTripper(getter, sh.Account()))
			hs, err := cg.Peers(ctx, file, 0)
			if err != nil || len(hs) != 1 {
				t.Fatalf("peers: %+v %v", hs, err)
			}
			// No address in the announce: the SCAN node recorded the seeder's listen URL.
			if hs[0].Account != sk.Address() || hs[0].Addrs[0] != seeder.Addrs()[0] {
				t.Fatalf("holder %+v, seeder at %s", hs[0], seeder.Addrs()[0])
			}
			es, err := cg.Endpoints(ctx, sk.Address())
			if err != nil || len(es) != 1 || es[0].HostPort != seeder.Addrs()[0] {
				t.Fatalf("endpoints %+v %v", es, err)
			}

			// A second SCAN node pulls the first one's table.
			sh2, svc2 := scanNode(t, n, "scan2", sh.Account().String()+"@"+sh.Addrs()[0])
			if err := svc2.SyncNow(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := getter.Connect(ctx, sh2.Addrs()[0]); err != nil {
				t.Fatal(err)
			}
			hs, err = NewClient(HostRoundTripper(getter, sh2.Account())).Peers(ctx, file, 0)
			if err != nil || len(hs) != 1 || hs[0].Account != sk.Address() {
				t.Fatalf("peers on the synced node: %+v %v", hs, err)
			}
		})
	}
	// Every host and service loop is stopped by the subtests' cleanups.
	end := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+2 && time.Now().Before(end) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > base+2 {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutine leak: %d running, baseline %d\n%s", g, base, buf[:runtime.Stack(buf, true)])
	}
}
