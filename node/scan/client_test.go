package scan

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"dsp/status"
	"dsp/wire"
)

func TestClientAgainstHandler(t *testing.T) {
	clk := newClock()
	tr, _ := openTracker(t, clk)
	alice, bob := genKey(t), genKey(t)
	ca := clientAs(t, tr, alice, "mem://alice")
	cb := clientAs(t, tr, bob, "mem://bob")
	ctx := ctxT(t)
	file := []byte("0123456789abcdef0123456789abcdef")

	exp, err := ca.Announce(ctx, NewTorrent(file, 0, FSNode, alice.Address(), "kcp://1.2.3.4:5"))
	if err != nil || !exp.Equal(clk.Now().Add(10*time.Minute)) {
		t.Fatalf("announce: %v %v", exp, err)
	}
	if _, err := cb.Announce(ctx, NewTorrent(file, 7, Leecher, bob.Address())); err != nil {
		t.Fatal(err)
	}
	hs, err := cb.Peers(ctx, file, 1)
	if err != nil || len(hs) != 1 || hs[0].Account != alice.Address() || hs[0].Addrs[0] != "kcp://1.2.3.4:5" {
		t.Fatalf("peers max 1: %+v %v", hs, err)
	}
	hs, err = ca.Peers(ctx, file, 0)
	if err != nil || len(hs) != 2 || hs[1].Addrs[0] != "mem://bob" || hs[1].Left != 7 {
		t.Fatalf("peers: %+v %v", hs, err)
	}
	if hs, err := ca.Peers(ctx, []byte("unknown"), 0); err != nil || len(hs) != 0 {
		t.Fatalf("unknown file: %v %v", hs, err)
	}

	if _, err := ca.RegisterEndpoint(ctx, alice.Address(), "kcp://1.2.3.4:5", EndpointFS); err != nil {
		t.Fatal(err)
	}
	es, err := cb.Endpoints(ctx, alice.Address())
	if err != nil || len(es) != 1 || es[0].HostPort != "kcp://1.2.3.4:5" || es[0].Type != EndpointFS {
		t.Fatalf("endpoints: %+v %v", es, err)
	}
	// Bob may not register for alice, nor announce as alice; the error crosses the wire with its code.
	_, err = cb.RegisterEndpoint(ctx, alice.Address(), "kcp://6.6.6.6:6", EndpointFS)
	if status.CodeOf(err, 0) != status.InvalidWalletAddress.Num() {
		t.Fatalf("endpoint for another: %v", err)
	}
	_, err = cb.Announce(ctx, NewTorrent([]byte("x"), 0, Seeder, alice.Address()))
	if status.CodeOf(err, 0) != status.InvalidWalletAddress.Num() {
		t.Fatalf("announce for another: %v", err)
	}
	if _, err := cb.Peers(ctx, nil, 0); status.CodeOf(err, 0) != status.InvalidParams.Num() {
		t.Fatalf("empty hash: %v", err)
	}
	if _, err := cb.Endpoints(ctx, [20]byte{}); err != nil {
		t.Fatalf("zero account is a valid (empty) query: %v", err)
	}
}

func TestHandlerRefusesGarbage(t *testing.T) {
	tr, _ := openTracker(t, newClock())
	h := NewHandler(tr)
	from := Sender{Account: genKey(t).Address()}
	op, b, err := h.HandleBytes(context.Background(), from, OpTorrent, []byte{0xc1})
	if err != nil || op != OpError {
		t.Fatalf("garbage: op %d err %v", op, err)
	}
	rep, err := wire.DecodePayload(op, b)
	if err != nil || rep.(*ErrorReply).Code != status.InvalidParams.Num() {
		t.Fatalf("garbage reply %+v %v", rep, err)
	}
	if e, ok := h.Handle(context.Background(), from, &PeersReply{}).(*ErrorReply); !ok || e.Code != status.InvalidParams.Num() {
		t.Fatal("a reply was answered as a request")
	}
	for _, m := range messageTypes {
		if name, ok := wire.Lookup(m.op); !ok || name != m.name || m.op < Range.First || m.op > Range.Last {
			t.Fatalf("opcode %d registered as %q", m.op, name)
		}
	}
}

func TestPullSyncsTables(t *testing.T) {
	clk := newClock()
	src, _ := openTracker(t, clk)
	dst, _ := openTracker(t, clk)
	srcNode := genKey(t) // the account of the node serving src
	users := []*Torrent{}
	for i := 0; i < MaxSyncPage+10; i++ { // more than one page
		k := genKey(t)
		tor := NewTorrent([]byte{byte(i), byte(i >> 8)}, uint64(i%3), Leecher, k.Address())
		if _, err := src.Announce(k.Address(), tor, "mem://u"); err != nil {
			t.Fatal(err)
		}
		users = append(users, tor)
	}
	c := NewClient(&wireRT{h: NewHandler(src), from: Sender{Account: genKey(t).Address()}})
	ctx := ctxT(t)
	n, err := c.Pull(ctx, dst, srcNode.Address())
	if err != nil || n != len(users) {
		t.Fatalf("pulled %d of %d: %v", n, len(users), err)
	}
	if hs, _ := dst.Holders([]byte{5, 0}, 0); len(hs) != 1 {
		t.Fatalf("missing holder after pull: %+v", hs)
	}
	// Nothing new: nothing applied, cursor unchanged.
	_, cur0, _ := dst.Cursor(srcNode.Address())
	if n, err := c.Pull(ctx, dst, srcNode.Address()); err != nil || n != 0 {
		t.Fatalf("second pull %d %v", n, err)
	}
	// One more announce: only it comes over.
	k := genKey(t)
	if _, err := src.Announce(k.Address(), NewTorrent([]byte("late"), 0, Seeder, k.Address()), "mem://k"); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Pull(ctx, dst, srcNode.Address()); err != nil || n != 1 {
		t.Fatalf("incremental pull %d %v", n, err)
	}
	if _, cur, _ := dst.Cursor(srcNode.Address()); cur != cur0+1 {
		t.Fatalf("cursor %d after %d", cur, cur0)
	}

	// The source is recreated empty (new epoch) and gets one announce: the puller starts over.
	fresh, err := Open(Config{Path: filepath.Join(t.TempDir(), "fresh.db"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	k2 := genKey(t)
	if _, err := fresh.Announce(k2.Address(), NewTorrent([]byte("again"), 0, Seeder, k2.Address()), "mem://k2"); err != nil {
		t.Fatal(err)
	}
	c2 := NewClient(&wireRT{h: NewHandler(fresh), from: Sender{Account: genKey(t).Address()}})
	if n, err := c2.Pull(ctx, dst, srcNode.Address()); err != nil || n != 1 {
		t.Fatalf("pull from new epoch %d %v", n, err)
	}
}

// lyingRT answers every sync request with a page that claims more but does not advance.
type lyingRT struct{}

func (lyingRT) RoundTrip(ctx context.Context, op wire.Opcode, req any) (any, error) {
	return &SyncReply{Epoch: 1, Next: req.(*SyncRequest).Since, More: true}, nil
}

func TestPullRefusesStuckCursor(t *testing.T) {
	dst, _ := openTracker(t, newClock())
	_, err := NewClient(lyingRT{}).Pull(ctxT(t), dst, genKey(t).Address())
	if !errors.Is(err, ErrUnexpectedReply) {
		t.Fatalf("stuck cursor: %v", err)
	}
}
