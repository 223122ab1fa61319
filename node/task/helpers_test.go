package task

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/fs"
	"dsp/node/scan"
	"dsp/store"
)

var quiet = slog.New(slog.DiscardHandler)

// net makes transports for test hosts: mem:// by default, kcp:// on loopback with kcp set.
type testNet struct {
	mem *node.MemNetwork
	kcp node.Transport // nil: mem
}

func memNet() *testNet { return &testNet{mem: node.NewMemNetwork()} }

func kcpNet(t node.Transport) *testNet { return &testNet{kcp: t} }

func (n *testNet) transports(name string) (node.Transports, string) {
	if n.kcp != nil {
		return node.Transports{"kcp": n.kcp}, "kcp://127.0.0.1:0"
	}
	return node.Transports{"mem": n.mem.As(name)}, "mem://" + name
}

// world is a small network in one process: an embedded ledger, FS nodes, a SCAN node and clients.
type world struct {
	t        testing.TB
	net      *testNet
	dir      string
	producer *keys.KeyPair
	gen      *ledger.Genesis
	led      *ledger.Embedded
	scanURL  string
	fs       []*fsNode
	keys     []*keys.KeyPair // funded accounts not yet used, handed out by key()
}

type fsNode struct {
	// corrupt makes the node send every data block with a byte flipped; killAt > 0 closes its
	// host once an upload session stored that many blocks.
	corrupt atomic.Bool
	killAt  atomic.Int64
	killed  chan struct{}

	key   *keys.KeyPair
	tx    *ledger.Sender // the node's one sender, kept across restarts
	name  string
	host  *node.Host
	store *store.Store
	svc   *fs.Service
	url   string
}

func genKey(t testing.TB) *keys.KeyPair {
	t.Helper()
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newWorld starts a ledger making a block every 50 ms that funds 12 accounts, a SCAN node, and
// nFS storage nodes registered on the ledger.
func newWorld(t testing.TB, n *testNet, nFS int) *world {
	t.Helper()
	w := &world{t: t, net: n, dir: t.TempDir(), producer: genKey(t)}
	funded := map[keys.Address]uint64{}
	for i := 0; i < 12; i++ {
		k := genKey(t)
		w.keys = append(w.keys, k)
		funded[k.Address()] = 1 << 40
	}
	w.gen = ledger.DevnetGenesis(w.producer.Address(), funded)
	l, err := ledger.Open(ledger.Config{Path: filepath.Join(w.dir, "ledger.db"), Genesis: w.gen, Producer: w.producer,
		BlockInterval: 50 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	w.led = l
	w.startScan()
	for i := 0; i < nFS; i++ {
		w.addFS(i)
	}
	return w
}

// key hands out a funded account.
func (w *world) key() *keys.KeyPair {
	k := w.keys[0]
	w.keys = w.keys[1:]
	return k
}

func (w *world) newHost(k *keys.KeyPair, name string, mount func(*node.Host) error) *node.Host {
	w.t.Helper()
	tr, listen := w.net.transports(name)
	h, err := node.New(node.Config{Key: k, Listen: []string{listen}, Transports: tr, Logger: quiet,
		KeepaliveInterval: 200 * time.Millisecond, KeepaliveTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	if mount != nil {
		if err := mount(h); err != nil {
			w.t.Fatal(err)
		}
	}
	if err := h.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { h.Close() })
	return h
}

func (w *world) startScan() {
	tr, err := scan.Open(scan.Config{Path: filepath.Join(w.dir, "scan.db")})
	if err != nil {
		w.t.Fatal(err)
	}
	svc, err := scan.NewService(scan.ServiceConfig{Tracker: tr, SyncInterval: time.Hour, Logger: quiet})
	if err != nil {
		w.t.Fatal(err)
	}
	k := w.key()
	h := w.newHost(k, "scan", svc.Mount)
	w.t.Cleanup(func() { tr.Close() })
	w.scanURL = k.Address().String() + "@" + h.Addrs()[0]
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// addFS starts FS node i and registers it on the ledger.
func (w *world) addFS(i int) *fsNode {
	w.t.Helper()
	f := &fsNode{key: w.key(), name: "fs" + string(rune('a'+i))}
	f.tx = ledger.NewSender(w.led, f.key, 0)
	f.store = openStore(w.t, filepath.Join(w.dir, f.name+".db"))
	w.t.Cleanup(func() { f.store.Close() })
	w.startFS(f)
	info := ledger.NodeInfo{Role: ledger.RoleFS, HostAddr: f.url, Pledge: 5000, Capacity: 1 << 40, PricePerMBBlock: 1,
		MaxProveInterval: 1000, MinFileSize: 1, Accepting: true}
	if _, err := f.tx.Send(ctxT(w.t, 10*time.Second), &ledger.RegisterNode{Info: info}); err != nil {
		w.t.Fatal(err)
	}
	w.fs = append(w.fs, f)
	return f
}

// startFS (re)starts the host and service of f over its store.
func (w *world) startFS(f *fsNode) {
	w.t.Helper()
	var host *node.Host
	f.killed = make(chan struct{})
	var once sync.Once
	faults := &fs.Faults{
		CorruptBlock: func(store.Hash, uint64) bool { return f.corrupt.Load() },
		Stored: func(_ store.Hash, n int) {
			if k := f.killAt.Load(); k > 0 && int64(n) >= k {
				killed := f.killed
				once.Do(func() {
					go func() {
						host.Close()
						close(killed)
					}()
				})
				// Like a process killed at this block: store nothing more until the node is gone
				// (bounded, in case closing waits for this receive path).
				select {
				case <-killed:
				case <-time.After(2 * time.Second):
				}
			}
		},
	}
	svc, err := fs.New(fs.Config{Store: f.store, Ledger: w.led, Key: f.key, Sender: f.tx, Storage: true, Logger: quiet, Faults: faults,
		SessionTimeout: 10 * time.Second, ProgressEvery: 4,
		Announce: func(ctx context.Context, h store.Hash) error {
			return HostScan(host, w.scanURL).Announce(ctx, h, 0, scan.FSNode)
		}})
	if err != nil {
		w.t.Fatal(err)
	}
	f.svc = svc
	host = w.newHost(f.key, f.name, svc.Mount)
	f.host = host
	f.url = host.Addrs()[0]
}

// client is a node that uploads and downloads: a host with a serve-only fs service and a manager.
type client struct {
	key   *keys.KeyPair
	tx    *ledger.Sender // shared by svc and m
	host  *node.Host
	store *store.Store
	svc   *fs.Service
	m     *Manager
	path  string
}

func (w *world) newClient(name string, mod func(*Config)) *client {
	w.t.Helper()
	c := &client{key: w.key()}
	c.tx = ledger.NewSender(w.led, c.key, 0)
	c.store = openStore(w.t, filepath.Join(w.dir, name+".db"))
	w.t.Cleanup(func() { c.store.Close() })
	svc, err := fs.New(fs.Config{Store: c.store, Ledger: w.led, Key: c.key, Sender: c.tx, Logger: quiet, SessionTimeout: 10 * time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	c.svc = svc
	c.host = w.newHost(c.key, name, svc.Mount)
	c.path = filepath.Join(w.dir, name+"-tasks.db")
	c.m = w.openManager(c, mod)
	return c
}

func (w *world) openManager(c *client, mod func(*Config)) *Manager {
	w.t.Helper()
	cfg := Config{Host: c.host, Store: c.store, Ledger: w.led, Key: c.key, Sender: c.tx, Scan: HostScan(c.host, w.scanURL),
		Path: c.path, Logger: quiet, ConfirmTimeout: 20 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	m, err := Open(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { m.Close() })
	return m
}

// randomFile writes n random bytes to a file in dir and returns its path and content hash.
func randomFile(t testing.TB, dir string, n int, seed uint64) (string, [32]byte) {
	t.Helper()
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed+1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	p := filepath.Join(dir, "in-"+string(rune('a'+seed%26))+".bin")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, sha256.Sum256(b)
}

func fileSum(t testing.TB, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// wait waits for the task to stop running and requires state want.
func wait(t testing.TB, m *Manager, id ID, want State) Info {
	t.Helper()
	in, err := m.Wait(ctxT(t, 60*time.Second), id)
	if err != nil {
		t.Fatalf("wait %s: %v", id, err)
	}
	if in.State != want {
		t.Fatalf("task %s: state %s (status %s, code %d: %s), want %s", id, in.State, in.StatusName, in.Code, in.Msg, want)
	}
	return in
}

var _ = bytes.Equal
