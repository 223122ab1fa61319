package task

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"dsp/channel"
	"dsp/keys"
	"dsp/ledger"
	"dsp/node/fs"
	"dsp/node/scan"
	"dsp/status"
	"dsp/store"
)

// pricedFS is an FS node that charges price per byte of data block, keeping its channels in
// chans (path chanPath).
type pricedFS struct {
	*fsNode
	price, limit uint64
	chanPath     string
	chans        *channel.Store
}

// addPricedFS starts FS node i with a price and registers it on the ledger.
func (w *world) addPricedFS(i int, price, limit uint64) *pricedFS {
	w.t.Helper()
	f := &pricedFS{fsNode: &fsNode{key: w.key(), name: "fs" + string(rune('a'+i))}, price: price, limit: limit}
	f.tx = ledger.NewSender(w.led, f.key, 0)
	f.store = openStore(w.t, filepath.Join(w.dir, f.name+".db"))
	w.t.Cleanup(func() { f.store.Close() })
	f.chanPath = filepath.Join(w.dir, f.name+"-channels.db")
	w.startPricedFS(f)
	info := ledger.NodeInfo{Role: ledger.RoleFS, HostAddr: f.url, Pledge: 5000, Capacity: 1 << 40, PricePerMBBlock: 1,
		MaxProveInterval: 1000, MinFileSize: 1, Accepting: true}
	if _, err := f.tx.Send(ctxT(w.t, 10*time.Second), &ledger.RegisterNode{Info: info}); err != nil {
		w.t.Fatal(err)
	}
	w.fs = append(w.fs, f.fsNode)
	return f
}

// startPricedFS (re)starts f's channel store, service and host.
func (w *world) startPricedFS(f *pricedFS) {
	w.t.Helper()
	cs, err := channel.Open(f.chanPath)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { cs.Close() })
	f.chans = cs
	svc, err := fs.New(fs.Config{Store: f.store, Ledger: w.led, Key: f.key, Sender: f.tx, Storage: true, Logger: quiet,
		SessionTimeout: 10 * time.Second, ProgressEvery: 4, Pay: fs.PayConfig{Channels: cs, Price: f.price, Limit: f.limit},
		Announce: func(ctx context.Context, h store.Hash) error {
			return HostScan(f.host, w.scanURL).Announce(ctx, h, 0, scan.FSNode)
		}})
	if err != nil {
		w.t.Fatal(err)
	}
	f.svc = svc
	f.host = w.newHost(f.key, f.name, svc.Mount)
	f.url = f.host.Addrs()[0]
}

// payingClient is a client whose downloads pay through a channel store of its own.
func (w *world) payingClient(name string) (*client, *channel.Store) {
	w.t.Helper()
	cs, err := channel.Open(filepath.Join(w.dir, name+"-channels.db"))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { cs.Close() })
	c := w.newClient(name, func(cfg *Config) { cfg.Pay.Channels = cs })
	return c, cs
}

// uploadTo uploads a random file of n bytes from a new client with copies copies (not shared, so
// only the FS nodes serve it) and returns its hash.
func (w *world) uploadTo(n, copies int, seed uint64) store.Hash {
	w.t.Helper()
	up := w.newClient("up"+string(rune('a'+seed%26)), nil)
	in, _ := randomFile(w.t, w.dir, n, seed)
	id, err := up.m.Upload(ctxT(w.t, 5e9), UploadRequest{Path: in, Copies: copies, ProveInterval: 10, Privilege: ledger.PrivilegePublic})
	if err != nil {
		w.t.Fatal(err)
	}
	info := wait(w.t, up.m, id, Done)
	h, _ := store.ParseHash(info.FileHash)
	return h
}

// earned returns what peer paid f for file.
func earned(t *testing.T, cs *channel.Store, peer keys.Address, file store.Hash) uint64 {
	t.Helper()
	es, err := cs.Earnings()
	if err != nil {
		t.Fatal(err)
	}
	var sum uint64
	for _, e := range es {
		if e.Peer == peer && store.Hash(e.FileHash) == file {
			sum += e.Amount
		}
	}
	return sum
}

// sentTo returns what the client's channel store says it transferred to holder in total.
func sentTo(t *testing.T, w *world, cs *channel.Store, me, holder keys.Address) uint64 {
	t.Helper()
	chs, err := w.led.Channels(ctxT(t, 5e9), me)
	if err != nil {
		t.Fatal(err)
	}
	var sum uint64
	for _, ch := range chs {
		if ch.Peer(me) != holder {
			continue
		}
		if p, ok, err := cs.Sent(ch.ID); err != nil {
			t.Fatal(err)
		} else if ok {
			sum += p.Transferred
		}
	}
	return sum
}

// TestPaidDownload: three holders with different prices serve a file to a downloader at once
// through the scheduler; each holder's earnings from the downloader for the file equal the data
// bytes it served times its price, nobody owes anything afterwards, and the downloader's channels
// transferred exactly those amounts.
func TestPaidDownload(t *testing.T) {
	w := newWorld(t, memNet(), 0)
	prices := []uint64{1, 2, 3}
	var hs []*pricedFS
	for i, p := range prices {
		hs = append(hs, w.addPricedFS(i, p, 0))
	}
	root := w.uploadTo(40*store.BlockSize+77, 3, 3)
	bob, bobChans := w.payingClient("bob")
	out := filepath.Join(w.dir, "bob.out")
	id, err := bob.m.Download(ctxT(t, 5e9), DownloadRequest{Hash: root.String(), Output: out})
	if err != nil {
		t.Fatal(err)
	}
	in := wait(t, bob.m, id, Done)
	if in.Status != status.TaskDownloadFileMakeSeed {
		t.Fatalf("final status %s", in.StatusName)
	}
	me := bob.key.Address()
	var total, paid uint64
	serving := 0
	for _, h := range hs {
		served := h.svc.Served(me, root)
		total += served
		if served > 0 {
			serving++
		}
		got := earned(t, h.chans, me, root)
		if got != served*h.price {
			t.Errorf("holder at %d: earned %d for %d bytes served, want %d", h.price, got, served, served*h.price)
		}
		if p, ok := peerOf(in, h.key.Address()); !ok && served > 0 {
			t.Errorf("holder at %d served %d bytes and is not among the task's peers", h.price, served)
		} else if ok && (p.Price != h.price || p.Paid != got) {
			t.Errorf("holder at %d: the task reports price %d, paid %d; the holder earned %d", h.price, p.Price, p.Paid, got)
		}
		paid += got
		if owed := h.chans.Owed(me); owed != 0 {
			t.Errorf("holder at %d: bob still owes %d", h.price, owed)
		}
		if sent := sentTo(t, w, bobChans, me, h.key.Address()); sent != got {
			t.Errorf("holder at %d: bob's channel transferred %d, the holder earned %d", h.price, sent, got)
		}
	}
	if total < 40*store.BlockSize+77 {
		t.Fatalf("holders served %d data bytes of a %d-byte file", total, 40*store.BlockSize+77)
	}
	if serving < 2 {
		t.Fatalf("%d holders served: want the scheduler to use several", serving)
	}
	if in.Paid != paid {
		t.Fatalf("the task reports %d paid in all, the holders earned %d", in.Paid, paid)
	}
	// Persisted: the manager reopened on its file reports the same.
	if err := bob.m.Close(); err != nil {
		t.Fatal(err)
	}
	m2 := w.openManager(bob, nil)
	again, err := m2.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if again.Paid != in.Paid || len(again.Peers) != len(in.Peers) {
		t.Fatalf("after reopening: paid %d, %d peers; before: %d, %d", again.Paid, len(again.Peers), in.Paid, len(in.Peers))
	}
	for i, p := range again.Peers {
		if p.Price != in.Peers[i].Price || p.Paid != in.Peers[i].Paid {
			t.Errorf("after reopening, peer %s: price %d paid %d, was %d %d", p.Account, p.Price, p.Paid, in.Peers[i].Price, in.Peers[i].Paid)
		}
	}
}

// peerOf returns the task's entry of holder.
func peerOf(in Info, holder keys.Address) (PeerProgress, bool) {
	for _, p := range in.Peers {
		if p.Account == holder {
			return p, true
		}
	}
	return PeerProgress{}, false
}

// TestUnpaidCutOff: a downloader that takes blocks without paying is refused with
// PAY_UNPAID_BLOCK_FAILED once its debt passes the holder's limit and gets no further blocks; once
// it pays, the holder serves it again.
func TestUnpaidCutOff(t *testing.T) {
	w := newWorld(t, memNet(), 0)
	const price = 5
	h := w.addPricedFS(0, price, 2*store.BlockSize*price) // two blocks' worth
	root := w.uploadTo(8*store.BlockSize, 1, 4)
	bob, _ := w.payingClient("bob")
	ctx := ctxT(t, 30*time.Second)
	p, err := bob.host.Connect(ctx, h.key.Address().String()+"@"+h.url)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := fs.Tree(ctx, h.store, root)
	if err != nil {
		t.Fatal(err)
	}
	var data []store.Hash
	var idx []uint64
	for _, n := range tree {
		if n.Level == 0 {
			data, idx = append(data, n.Hash), append(idx, n.Index)
		}
	}
	d, err := fs.OpenDownload(ctx, bob.host, p, root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Ack.UnitPrice != price {
		t.Fatalf("download-ack price %d, want %d", d.Ack.UnitPrice, price)
	}
	got := 0
	// Flights of one block: owed 1, 2 (at the limit), 3 blocks (over it): the fourth is refused.
	for i := 0; i < 4; i++ {
		if err := d.Request(data[i:i+1], idx[i:i+1]); err != nil {
			t.Fatal(err)
		}
		b, err := d.Recv()
		if err != nil {
			if i != 3 || !errors.Is(err, status.Is(status.TaskPayUnpaidBlockFailed)) {
				t.Fatalf("flight %d: %v", i, err)
			}
			break
		}
		if len(b.Data) == 0 {
			t.Fatalf("flight %d: no data", i)
		}
		got++
	}
	if got != 3 {
		t.Fatalf("served %d flights before the cut-off, want 3", got)
	}
	// The session is over: nothing more comes.
	_ = d.Request(data[4:5], idx[4:5])
	if b, err := d.Recv(); err == nil {
		t.Fatalf("a cut-off session sent block %d", b.Index)
	}
	if s := h.svc.Served(bob.key.Address(), root); s != 3*store.BlockSize {
		t.Fatalf("holder served %d bytes, want 3 blocks", s)
	}
	if h.chans.Owed(bob.key.Address()) != 3*store.BlockSize*price {
		t.Fatalf("owed %d", h.chans.Owed(bob.key.Address()))
	}
	// A new session is refused at its first request too, until bob pays.
	d2, err := fs.OpenDownload(ctx, bob.host, p, root)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if err := d2.Request(data[4:5], idx[4:5]); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Recv(); !errors.Is(err, status.Is(status.TaskPayUnpaidBlockFailed)) {
		t.Fatalf("unpaid peer's new session: %v", err)
	}
	if err := bob.m.preparePay(ctx, d2, root); err != nil {
		t.Fatal(err)
	}
	if err := d2.Pay.Received(ctx, 3*store.BlockSize); err != nil {
		t.Fatal(err)
	}
	if err := d2.Pay.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if owed := h.chans.Owed(bob.key.Address()); owed != 0 {
		t.Fatalf("owed %d after paying", owed)
	}
	d3, err := fs.OpenDownload(ctx, bob.host, p, root)
	if err != nil {
		t.Fatal(err)
	}
	defer d3.Close()
	if err := d3.Request(data[4:5], idx[4:5]); err != nil {
		t.Fatal(err)
	}
	if b, err := d3.Recv(); err != nil || len(b.Data) == 0 {
		t.Fatalf("paid-up peer not served: %v", err)
	}
}

// TestPaymentHolderCrash: the holder's channel store goes away after a proof was sent and before
// it was saved (the holder crashes); the downloader's proof is persisted on its side, the holder
// restarts on the same store, and the next download's payment carries the lost amount too: the
// holder ends up with every byte it served paid exactly once, and the downloader paid no more.
func TestPaymentHolderCrash(t *testing.T) {
	w := newWorld(t, memNet(), 0)
	const price = 7
	h := w.addPricedFS(0, price, 0)
	f1 := w.uploadTo(3*store.BlockSize+5, 1, 5)
	f2 := w.uploadTo(2*store.BlockSize+9, 1, 6)
	f3 := w.uploadTo(store.BlockSize+3, 1, 7)
	bob, bobChans := w.payingClient("bob")
	me := bob.key.Address()
	download := func(f store.Hash) Info {
		t.Helper()
		id, err := bob.m.Download(ctxT(t, 5e9), DownloadRequest{Hash: f.String()})
		if err != nil {
			t.Fatal(err)
		}
		return wait(t, bob.m, id, Done)
	}
	// taskPaid checks what a download reports it paid the holder.
	taskPaid := func(in Info, want uint64) {
		t.Helper()
		p, ok := peerOf(in, h.key.Address())
		if !ok || p.Price != price || p.Paid != want || in.Paid != want {
			t.Fatalf("download of %s reports %+v and %d paid in all, want price %d and %d paid", in.FileHash, p, in.Paid, price, want)
		}
	}
	in1 := download(f1)
	served1 := h.svc.Served(me, f1)
	if got := earned(t, h.chans, me, f1); served1 == 0 || got != served1*price {
		t.Fatalf("first download: earned %d for %d bytes", got, served1)
	}
	taskPaid(in1, served1*price)

	// The holder's store dies: the second download's payment is sent and not saved.
	h.chans.Close()
	in2 := download(f2)
	served2 := h.svc.Served(me, f2)
	if sent := sentTo(t, w, bobChans, me, h.key.Address()); sent != (served1+served2)*price {
		t.Fatalf("bob's channel transferred %d, want %d", sent, (served1+served2)*price)
	}
	taskPaid(in2, 0) // the holder never acknowledged it

	// The holder restarts on the same store file.
	h.host.Close()
	h.svc.Close()
	w.startPricedFS(h)
	_ = bob.host.Disconnect(h.key.Address(), "holder restarted") // drop the dead connection at once
	if got := earned(t, h.chans, me, f1) + earned(t, h.chans, me, f2); got != served1*price {
		t.Fatalf("after the restart the holder holds %d, want the first payment %d", got, served1*price)
	}
	in3 := download(f3)
	served3 := h.svc.Served(me, f3)
	taskPaid(in3, served3*price) // its own increment; the proof also carried the second's
	want := (served1 + served2 + served3) * price
	var total uint64
	for _, f := range []store.Hash{f1, f2, f3} {
		total += earned(t, h.chans, me, f)
	}
	if total != want {
		t.Fatalf("holder earned %d in all, want %d", total, want)
	}
	if sent := sentTo(t, w, bobChans, me, h.key.Address()); sent != want {
		t.Fatalf("bob transferred %d, want %d (paid twice or not at all)", sent, want)
	}
}

// TestPayRunEarlierRuns: a run of a download starts from what the task's info says earlier runs
// paid: a holder paid before keeps its amount (and stays listed when this run does not use it),
// new payments add to it and to the task's total.
func TestPayRunEarlierRuns(t *testing.T) {
	a, b := genKey(t).Address(), genKey(t).Address()
	tk := &task{info: Info{Paid: 10, Peers: []PeerProgress{{Account: a, Price: 2, Paid: 10, Held: 5}, {Account: b, Held: 3}}}}
	r := newPayRun(tk, nil)
	in := Info{Peers: []PeerProgress{{Account: b, Held: 1}}}
	r.fill(&in)
	want := []PeerProgress{{Account: b, Held: 1}, {Account: a, Price: 2, Paid: 10, Done: true}}
	if in.Paid != 10 || len(in.Peers) != 2 || in.Peers[0] != want[0] || in.Peers[1] != want[1] {
		t.Fatalf("first fill: paid %d, peers %+v", in.Paid, in.Peers)
	}
	r.add(a, 4)
	in = Info{Peers: []PeerProgress{{Account: a, Held: 2}}}
	r.fill(&in)
	if in.Paid != 14 || len(in.Peers) != 1 || in.Peers[0].Paid != 14 {
		t.Fatalf("after a payment: paid %d, peers %+v", in.Paid, in.Peers)
	}
}
