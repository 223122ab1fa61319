package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dsp/keys"
	"dsp/node"
	"dsp/node/client"
	"dsp/store"
)

// peerNode starts an in-process node on a temporary data directory for CLI tests to talk to.
func peerNode(t *testing.T, peers ...string) *node.Node {
	t.Helper()
	n, err := node.Open(node.Options{
		DataDir: t.TempDir(), Listen: []string{"kcp://127.0.0.1:0"}, Peers: peers,
		Logger: slog.New(slog.DiscardHandler), ReconnectInterval: 200 * time.Millisecond,
		Host: func(c *node.Config) { c.KeepaliveInterval = 100 * time.Millisecond },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(time.Minute) // generous: CI machines are loaded
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNodeRunsAndStopsOnSIGTERM runs "dsp node" in a child process (the signal reaches it alone)
// and stops it with SIGTERM: it must exit 0, remove api.json, close its store and say goodbye to
// its peer.
func TestNodeRunsAndStopsOnSIGTERM(t *testing.T) {
	peer := peerNode(t)
	dir := t.TempDir()
	nd := startCLI(t, "node", "--data", dir, "--listen", "kcp://127.0.0.1:0",
		"--api", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--roles", "fs,scan",
		"--peers", peer.Host().Addrs()[0], "--log-format", "json", "--keepalive", "100ms", "--keepalive-timeout", "5s")
	var c *client.HTTP
	waitFor(t, "api.json", func() bool {
		if nd.exited() {
			t.Fatalf("node exited %d: %s", nd.code, nd.err.String())
		}
		var err error
		c, err = client.Open(dir)
		return err == nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitFor(t, "the node connected to its peer with an RTT", func() bool {
		st, err := c.Status(ctx)
		return err == nil && len(st.Peers) == 1 && st.Peers[0].Address == peer.Key().Address() && st.Peers[0].RTTMs > 0
	})
	st, _ := c.Status(ctx)
	if len(st.Roles) != 2 || st.Roles[0] != "fs" || st.Roles[1] != "scan" {
		t.Fatalf("roles %v", st.Roles)
	}
	_, errOut, code := nd.stop(t)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if !strings.Contains(errOut, "node stopped") {
		t.Fatalf("no clean stop in the log:\n%s", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, client.APIInfoFile)); !os.IsNotExist(err) {
		t.Fatalf("api.json left behind: %v", err)
	}
	s, err := store.Open(filepath.Join(dir, node.StoreFile), &store.Options{OpenTimeout: time.Second})
	if err != nil {
		t.Fatalf("store not closed on stop: %v", err)
	}
	s.Close()
	waitFor(t, "the peer saw the node leave", func() bool { return len(peer.Host().Peers()) == 0 })
}

func TestNodeRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"node", "--data", t.TempDir(), "--roles", "miner", "--api", "127.0.0.1:0"},
		{"node", "--data", t.TempDir(), "--peers", "127.0.0.1:9", "--api", "127.0.0.1:0"},
		{"node", "--data", t.TempDir(), "--log-level", "loud"},
		{"node", "--data", t.TempDir(), "--account", "op"},
		{"node", "--data", t.TempDir(), "--keepalive", "10s", "--keepalive-timeout", "5s", "--api", "127.0.0.1:0"},
	} {
		_, errOut, code := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, errOut)
		}
	}
}

func TestNodeRunsAsWalletAccount(t *testing.T) {
	dir := t.TempDir()
	w, err := keys.CreateWallet(filepath.Join(dir, "wallet.json"), keys.WithScrypt(keys.ScryptParams{N: 16, R: 1, P: 1}))
	if err != nil {
		t.Fatal(err)
	}
	acct, _, err := w.NewAccount(keys.SHA512withEdDSA, "op", "secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Save(); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("wrong\n"), 0o600)
	_, errOut, code := runCLI(t, "node", "--data", dir, "--listen", "kcp://127.0.0.1:0", "--api", "127.0.0.1:0", "--password-file", pw)
	if code != 1 || !strings.Contains(errOut, "50015") {
		t.Fatalf("wrong password: exit %d, %s; want ACCOUNT_PASSWORD_WRONG", code, errOut)
	}
	os.WriteFile(pw, []byte("secret\n"), 0o600)
	nd := startCLI(t, "node", "--data", dir, "--listen", "kcp://127.0.0.1:0", "--api", "127.0.0.1:0",
		"--password-file", pw, "--account", "op")
	var c *client.HTTP
	waitFor(t, "api.json", func() bool {
		if nd.exited() {
			t.Fatalf("node exited %d: %s", nd.code, nd.err.String())
		}
		c, err = client.Open(dir)
		return err == nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil || st.Address != acct.Address {
		t.Fatalf("status %+v %v, want address %s", st, err, acct.Address)
	}
	if _, err := os.Stat(filepath.Join(dir, node.KeyFile)); !os.IsNotExist(err) {
		t.Fatalf("a node running as a wallet account made %s", node.KeyFile)
	}
	if _, errOut, code := nd.stop(t); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
