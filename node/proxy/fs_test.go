package proxy

import (
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/fs"
	"dsp/node/scan"
	"dsp/node/task"
	"dsp/store"
)

// fsWorld is a devnet in one process on loopback KCP: an embedded ledger, a SCAN node, a proxy.
type fsWorld struct {
	t       *testing.T
	dir     string
	led     *ledger.Embedded
	scanURL string
	keys    []*keys.KeyPair
}

func newFSWorld(t *testing.T) *fsWorld {
	w := &fsWorld{t: t, dir: t.TempDir()}
	producer := genKey(t)
	funded := map[keys.Address]uint64{}
	for range 6 {
		k := genKey(t)
		w.keys = append(w.keys, k)
		funded[k.Address()] = 1 << 40
	}
	l, err := ledger.Open(ledger.Config{Path: filepath.Join(w.dir, "ledger.db"), Genesis: ledger.DevnetGenesis(producer.Address(), funded),
		Producer: producer, BlockInterval: 50 * time.Millisecond, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	w.led = l
	tr, err := scan.Open(scan.Config{Path: filepath.Join(w.dir, "scan.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	ss, err := scan.NewService(scan.ServiceConfig{Tracker: tr, SyncInterval: time.Hour, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	sk := w.key()
	sh := startHost(t, hostConfig(sk, "kcp://127.0.0.1:0"), ss.Mount)
	w.scanURL = sk.Address().String() + "@" + sh.Addrs()[0]
	return w
}

func (w *fsWorld) key() *keys.KeyPair {
	k := w.keys[0]
	w.keys = w.keys[1:]
	return k
}

// fsPeer is a node with an fs service (storing uploads when storage is set) and a task manager.
type fsPeer struct {
	key  *keys.KeyPair
	host *node.Host
	svc  *fs.Service
	m    *task.Manager
}

// start starts a node of the world; see startFSPeer.
func (w *fsWorld) start(name string, key *keys.KeyPair, cfg node.Config, storage bool, mount func(*node.Host) error) *fsPeer {
	return startFSPeer(w.t, w.dir, w.led, w.scanURL, name, key, cfg, storage, 1, mount)
}

// startFSPeer starts a host with cfg (its Key set to key), mounts mount (if set) and an fs service
// (storing uploads when storage is set), and opens a task manager; ledger and SCAN are led and
// the SCAN node at scanURL. With storage the node registers on the ledger as an FS node at its
// host's first address, at price.
func startFSPeer(t *testing.T, dir string, led ledger.Ledger, scanURL, name string, key *keys.KeyPair, cfg node.Config,
	storage bool, price uint64, mount func(*node.Host) error) *fsPeer {
	p := &fsPeer{key: key}
	cfg.Key = key
	st, err := store.Open(filepath.Join(dir, name+".db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var host *node.Host
	tx := ledger.NewSender(led, key, 0) // the peer's one sender, shared by its service and manager
	fcfg := fs.Config{Store: st, Ledger: led, Key: key, Sender: tx, Storage: storage, Logger: quietLogger(), SessionTimeout: 20 * time.Second}
	if storage {
		fcfg.Announce = func(ctx context.Context, h store.Hash) error {
			return task.HostScan(host, scanURL).Announce(ctx, h, 0, scan.FSNode)
		}
	}
	if p.svc, err = fs.New(fcfg); err != nil {
		t.Fatal(err)
	}
	host = startHost(t, cfg, func(h *node.Host) error {
		if mount != nil {
			if err := mount(h); err != nil {
				return err
			}
		}
		return p.svc.Mount(h)
	})
	p.host = host
	if storage {
		info := ledger.NodeInfo{Role: ledger.RoleFS, HostAddr: host.Addrs()[0], Pledge: 5000, Capacity: 1 << 40, PricePerMBBlock: price,
			MaxProveInterval: 1000, MinFileSize: 1, Accepting: true}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := tx.Send(ctx, &ledger.RegisterNode{Info: info}); err != nil {
			t.Fatal(err)
		}
	}
	p.m, err = task.Open(task.Config{Host: host, Store: st, Ledger: led, Key: key, Sender: tx, Scan: task.HostScan(host, scanURL),
		Path: filepath.Join(dir, name+"-tasks.db"), Logger: quietLogger(), ConfirmTimeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.m.Close() })
	return p
}

func (p *fsPeer) wait(t *testing.T, id task.ID) task.Info {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in, err := p.m.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if in.State != task.Done {
		t.Fatalf("task %s: %s (%s %d: %s)", id, in.State, in.StatusName, in.Code, in.Msg)
	}
	return in
}

func writeRandom(t *testing.T, dir, name string, n int, seed uint64) (string, [32]byte) {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed+1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, sha256.Sum256(b)
}

func sumFile(t *testing.T, p string) [32]byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestFileThroughProxy runs the real transfer engine (node/fs, node/task) through a proxy: a
// private FS node, reachable only at its proxy address (its ledger registration and its SCAN
// announcements carry that address), stores a copy of a client's upload and serves it to another
// client's download; the private node uploads a file of its own to a public FS node by dialing
// out. Every file comes back with its hash.
func TestFileThroughProxy(t *testing.T) {
	checkGoroutines(t)
	w := newFSWorld(t)
	ph, psvc := proxyNode(t, Config{})

	pubFS := w.start("pubfs", w.key(), hostConfig(nil, "kcp://127.0.0.1:0"), true, nil)
	pk := w.key()
	pc, err := NewClient(ClientConfig{Proxy: proxyURL(ph), KeepaliveInterval: 200 * time.Millisecond, KeepaliveTimeout: 5 * time.Second,
		RetryInterval: 100 * time.Millisecond, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pcfg := hostConfig(pk, pc.ListenURL())
	pcfg.Transports = node.Transports{"kcp": node.NewKCP(node.DefaultKCPConfig()), "proxy": pc.Transport()}
	privFS := w.start("privfs", pk, pcfg, true, pc.Mount)
	addr := pc.Status().Address
	if privFS.host.Addrs()[0] != addr {
		t.Fatalf("private FS node listens on %v", privFS.host.Addrs())
	}
	alice := w.start("alice", w.key(), hostConfig(nil, "kcp://127.0.0.1:0"), false, nil)
	bob := w.start("bob", w.key(), hostConfig(nil), false, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in, sum := writeRandom(t, w.dir, "a.bin", 5*store.BlockSize+1234, 1)
	id, err := alice.m.Upload(ctx, task.UploadRequest{Path: in, Copies: 2, ProveInterval: 10, Privilege: ledger.PrivilegePublic})
	if err != nil {
		t.Fatal(err)
	}
	up := alice.wait(t, id)
	root, _ := store.ParseHash(up.FileHash)
	info, err := w.led.FileInfo(ctx, root[:])
	if err != nil {
		t.Fatal(err)
	}
	if len(info.PrimaryNodes) != 2 {
		t.Fatalf("primary nodes %v", info.PrimaryNodes)
	}
	a, _ := psvc.Allocation(pk.Address())
	if a.BytesToNode < 5*store.BlockSize {
		t.Fatalf("the private FS node received %d relayed bytes; its copy did not come through the proxy", a.BytesToNode)
	}

	// Bob downloads from the holders, the private node among them, through its proxy address.
	before := a.BytesFromNode
	out := filepath.Join(w.dir, "bob.out")
	if id, err = bob.m.Download(ctx, task.DownloadRequest{Hash: up.FileHash, Output: out}); err != nil {
		t.Fatal(err)
	}
	dl := bob.wait(t, id)
	if sumFile(t, out) != sum {
		t.Fatal("downloaded file differs")
	}
	a, _ = psvc.Allocation(pk.Address())
	t.Logf("download from %d peers; %d bytes relayed from the private node", len(dl.Peers), a.BytesFromNode-before)
	if privFS.svc.Stats().BlocksServed == 0 || a.BytesFromNode-before < store.BlockSize {
		t.Fatalf("the private node served %d blocks, %d bytes through the proxy", privFS.svc.Stats().BlocksServed, a.BytesFromNode-before)
	}

	// The private node uploads a file of its own: to the public FS node, dialing out.
	in2, sum2 := writeRandom(t, w.dir, "b.bin", 3*store.BlockSize+77, 2)
	if id, err = privFS.m.Upload(ctx, task.UploadRequest{Path: in2, Copies: 1, ProveInterval: 10, Privilege: ledger.PrivilegePublic}); err != nil {
		t.Fatal(err)
	}
	up2 := privFS.wait(t, id)
	root2, _ := store.ParseHash(up2.FileHash)
	info2, err := w.led.FileInfo(ctx, root2[:])
	if err != nil || len(info2.PrimaryNodes) != 1 || info2.PrimaryNodes[0] != pubFS.key.Address() {
		t.Fatalf("private node's upload: %+v, %v", info2, err)
	}
	out2 := filepath.Join(w.dir, "alice.out")
	if id, err = alice.m.Download(ctx, task.DownloadRequest{Hash: up2.FileHash, Output: out2}); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, id)
	if sumFile(t, out2) != sum2 {
		t.Fatal("private node's file differs after the round trip")
	}
}
