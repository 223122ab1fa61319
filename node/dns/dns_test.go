package dns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/scan"
	"dsp/status"
	"dsp/wire"
)

func genKey(t testing.TB) *keys.KeyPair {
	t.Helper()
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// chain is an embedded ledger in a temp dir with a funded owner; blocks are made by hand.
type chain struct {
	t     *testing.T
	l     *ledger.Embedded
	g     *ledger.Genesis
	owner *keys.KeyPair
}

func newChain(t *testing.T) *chain {
	t.Helper()
	producer, owner := genKey(t), genKey(t)
	g := ledger.DevnetGenesis(producer.Address(), map[keys.Address]uint64{owner.Address(): 1_000_000})
	l, err := ledger.Open(ledger.Config{Path: filepath.Join(t.TempDir(), "ledger.db"), Genesis: g, Producer: producer, BlockInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &chain{t: t, l: l, g: g, owner: owner}
}

func (c *chain) produce(n int) {
	c.t.Helper()
	for range n {
		if _, err := c.l.ProduceBlock(); err != nil {
			c.t.Fatal(err)
		}
	}
}

// ok submits p from the owner, makes a block and requires success.
func (c *chain) ok(p ledger.Payload) {
	c.t.Helper()
	ctx := context.Background()
	n, err := c.l.NextNonce(ctx, c.owner.Address())
	if err != nil {
		c.t.Fatal(err)
	}
	tx, err := ledger.NewTx(c.owner, c.g.ChainID, n, 1, p)
	if err != nil {
		c.t.Fatal(err)
	}
	h, err := c.l.Submit(ctx, tx)
	if err != nil {
		c.t.Fatalf("submit %T: %v", p, err)
	}
	c.produce(1)
	r, err := c.l.WaitTx(ctx, h)
	if err != nil || r.Code != 0 {
		c.t.Fatalf("%T: %v %+v", p, err, r)
	}
}

// wireRT moves real encoded payloads to a Handler.
type wireRT struct{ h *Handler }

func (rt wireRT) RoundTrip(ctx context.Context, op wire.Opcode, req any) (any, error) {
	b, err := wire.EncodePayload(req)
	if err != nil {
		return nil, err
	}
	rop, rb, err := rt.h.HandleBytes(ctx, op, b)
	if err != nil {
		return nil, err
	}
	if rop != op+1 && rop != OpError {
		return nil, fmt.Errorf("reply opcode %d to %d", rop, op)
	}
	return wire.DecodePayload(rop, rb)
}

func openTracker(t *testing.T) *scan.Tracker {
	t.Helper()
	tr, err := scan.Open(scan.Config{Path: filepath.Join(t.TempDir(), "scan.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestResolve(t *testing.T) {
	c := newChain(t)
	file := bytes.Repeat([]byte{0xab}, 32)
	c.ok(&ledger.RegisterURL{URL: "my/photos", Link: ledger.FileLink(file), Name: "/home/a/photos", Desc: "photos", TTL: 50})
	c.ok(&ledger.RegisterHeader{Name: "shop", Desc: "a shop", TTL: 4})
	c.ok(&ledger.RegisterURL{Header: "shop", URL: "cart", Link: "https://example.org/cart"})

	tr := openTracker(t)
	holder := genKey(t)
	if _, err := tr.Announce(holder.Address(), scan.NewTorrent(file, 0, scan.FSNode, holder.Address(), "kcp://10.1.1.1:4001"), ""); err != nil {
		t.Fatal(err)
	}
	cl := NewClient(wireRT{NewHandler(c.l, tr)})
	ctx := context.Background()

	for _, url := range []string{"dsp://my/photos", "my/photos"} {
		r, err := cl.Resolve(ctx, url, 0)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if r.Record.Owner != c.owner.Address() || r.Record.Link != ledger.FileLink(file) || r.Record.TTL != 50 ||
			!bytes.Equal(r.FileHash, file) || r.Height != 3 || r.Record.Name != "/home/a/photos" {
			t.Fatalf("%s: %+v", url, r)
		}
		if len(r.Holders) != 1 || r.Holders[0].Account != holder.Address() || r.Holders[0].Addrs[0] != "kcp://10.1.1.1:4001" {
			t.Fatalf("%s: holders %+v", url, r.Holders)
		}
	}
	// A link to something else than a file: no file hash, no holders.
	r, err := cl.Resolve(ctx, "shop://cart", 0)
	if err != nil || r.FileHash != nil || len(r.Holders) != 0 || r.Record.Link != "https://example.org/cart" {
		t.Fatalf("shop://cart: %+v %v", r, err)
	}
	hr, err := cl.Header(ctx, "shop")
	if err != nil || hr.Header.Owner != c.owner.Address() || hr.Header.Desc != "a shop" || hr.Header.ExpireHeight != 2+4 {
		t.Fatalf("header: %+v %v", hr, err)
	}
	// Without a tracker the record still resolves, with no holders.
	r, err = NewClient(wireRT{NewHandler(c.l, nil)}).Resolve(ctx, "dsp://my/photos", 0)
	if err != nil || len(r.Holders) != 0 || !bytes.Equal(r.FileHash, file) {
		t.Fatalf("no tracker: %+v %v", r, err)
	}

	// Unknown URL and header: DSP_GET_FILE_LINK_FAILED.
	for _, f := range []func() error{
		func() error { _, err := cl.Resolve(ctx, "dsp://nobody", 0); return err },
		func() error { _, err := cl.Header(ctx, "nope"); return err },
	} {
		if err := f(); status.CodeOf(err, 0) != status.DspGetFileLinkFailed.Num() {
			t.Fatalf("unknown name: %v", err)
		}
	}
	// The shop header expires after height 6: its URL no longer resolves; dsp:// ones still do.
	c.produce(4)
	if _, err := cl.Resolve(ctx, "shop://cart", 0); status.CodeOf(err, 0) != status.DspGetFileLinkFailed.Num() {
		t.Fatalf("URL under an expired header: %v", err)
	}
	if _, err := cl.Header(ctx, "shop"); status.CodeOf(err, 0) != status.DspGetFileLinkFailed.Num() {
		t.Fatalf("expired header: %v", err)
	}
	if _, err := cl.Resolve(ctx, "dsp://my/photos", 0); err != nil {
		t.Fatal(err)
	}
	// Malformed requests.
	if _, err := cl.Resolve(ctx, "", 0); !errors.Is(err, status.Is(status.InvalidParams)) {
		t.Fatalf("empty url: %v", err)
	}
	op, b, err := NewHandler(c.l, nil).HandleBytes(ctx, OpResolveRequest, []byte{0xc1})
	if err != nil || op != OpError {
		t.Fatal(op, err)
	}
	if rep, _ := wire.DecodePayload(op, b); rep.(*ErrorReply).Code != status.InvalidParams.Num() {
		t.Fatalf("garbage: %+v", rep)
	}
}

func TestNoDNS(t *testing.T) {
	var cl *Client
	_, err := cl.Resolve(context.Background(), "dsp://x", 0)
	if !errors.Is(err, ErrNoDNS) || status.CodeOf(err, 0) != status.NoDns.Num() {
		t.Fatalf("nil client: %v", err)
	}
	if _, err := NewClient(nil).Header(context.Background(), "x"); status.CodeOf(err, 0) != status.NoDns.Num() {
		t.Fatalf("no round tripper: %v", err)
	}
}

// TestServiceOverHost announces to and resolves through one node running both the scan and dns
// roles, over mem://, with an embedded ledger behind it.
func TestServiceOverHost(t *testing.T) {
	c := newChain(t)
	file := []byte("file-hash-of-a-shared-file")
	c.ok(&ledger.RegisterURL{URL: "shared", Link: ledger.FileLink(file)})
	tr := openTracker(t)
	mem := node.NewMemNetwork()
	start := func(name string, comps ...interface{ Mount(*node.Host) error }) *node.Host {
		h, err := node.New(node.Config{Key: genKey(t), Listen: []string{"mem://" + name},
			Transports: node.Transports{"mem": mem.As(name)}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range comps {
			if err := c.Mount(h); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		return h
	}
	dsvc, err := NewService(ServiceConfig{Ledger: c.l, Tracker: tr})
	if err != nil {
		t.Fatal(err)
	}
	ssvc, err := scan.NewService(scan.ServiceConfig{Tracker: tr, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	server := start("dnsscan", dsvc, ssvc)
	seeder := start("seeder")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := seeder.Connect(ctx, server.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := scan.NewClient(scan.HostRoundTripper(seeder, server.Account())).Announce(ctx, scan.NewTorrent(file, 0, scan.Seeder, seeder.Account())); err != nil {
		t.Fatal(err)
	}
	r, err := NewClient(HostRoundTripper(seeder, server.Account())).Resolve(ctx, "dsp://shared", 5)
	if err != nil || !bytes.Equal(r.FileHash, file) || len(r.Holders) != 1 || r.Holders[0].Addrs[0] != "mem://seeder" {
		t.Fatalf("resolve over the host: %+v %v", r, err)
	}
	if _, err := NewClient(HostRoundTripper(seeder, server.Account())).Resolve(ctx, "dsp://nothing", 5); status.CodeOf(err, 0) != status.DspGetFileLinkFailed.Num() {
		t.Fatalf("unknown over the host: %v", err)
	}
}
