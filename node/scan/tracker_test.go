package scan

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"dsp/status"
)

func TestAnnounceExpiryRefresh(t *testing.T) {
	clk := newClock()
	tr, _ := openTracker(t, clk)
	alice, bob := genKey(t), genKey(t)
	file := []byte("file-hash-1")

	h, err := tr.Announce(alice.Address(), NewTorrent(file, 0, Seeder, alice.Address(), "kcp://10.0.0.1:4001"), "mem://ignored")
	if err != nil {
		t.Fatal(err)
	}
	if h.Account != alice.Address() || h.Addrs[0] != "kcp://10.0.0.1:4001" || h.Expires != clk.Now().Add(10*time.Minute).UnixNano() {
		t.Fatalf("stored %+v", h)
	}
	// No addresses in the torrent: the connection's URL is used.
	if _, err := tr.Announce(bob.Address(), NewTorrent(file, 3, Leecher, bob.Address()), "mem://bob"); err != nil {
		t.Fatal(err)
	}
	hs, err := tr.Holders(file, 0)
	if err != nil || len(hs) != 2 {
		t.Fatalf("holders %v %v", hs, err)
	}
	if hs[0].Account != alice.Address() || hs[1].Account != bob.Address() || hs[1].Addrs[0] != "mem://bob" || hs[1].Left != 3 {
		t.Fatalf("order or content: %+v", hs)
	}

	// Bob refreshes 8 minutes in; at 12 minutes alice has lapsed, bob has not.
	clk.Advance(8 * time.Minute)
	if _, err := tr.Announce(bob.Address(), NewTorrent(file, 0, Seeder, bob.Address()), "mem://bob"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(4 * time.Minute)
	hs, _ = tr.Holders(file, 0)
	if len(hs) != 1 || hs[0].Account != bob.Address() || hs[0].Type != Seeder || hs[0].Left != 0 {
		t.Fatalf("after expiry: %+v", hs)
	}
	if nh, ne, _ := tr.Len(); nh != 2 || ne != 0 {
		t.Fatalf("before sweep %d holders", nh)
	}
	if n, err := tr.Sweep(); err != nil || n != 1 {
		t.Fatalf("sweep %d %v", n, err)
	}
	if nh, _, _ := tr.Len(); nh != 1 {
		t.Fatalf("after sweep %d holders", nh)
	}
	// The swept entry is gone from the change log too.
	page, err := tr.Changes(0, 0)
	if err != nil || len(page.Holders) != 1 || page.Holders[0].Account != bob.Address() {
		t.Fatalf("changes %+v %v", page, err)
	}
	clk.Advance(7 * time.Minute)
	if hs, _ = tr.Holders(file, 0); len(hs) != 0 {
		t.Fatalf("bob should have lapsed: %+v", hs)
	}
}

func TestAnnounceOnlyForSelf(t *testing.T) {
	clk := newClock()
	tr, _ := openTracker(t, clk)
	alice, mallory := genKey(t), genKey(t)
	file := []byte("victim-file")
	// Mallory names alice in the peer info.
	_, err := tr.Announce(mallory.Address(), NewTorrent(file, 0, Seeder, alice.Address(), "kcp://6.6.6.6:1"), "")
	if !errors.Is(err, ErrNotYours) || status.CodeOf(err, 0) != status.InvalidWalletAddress.Num() {
		t.Fatalf("announce for another: %v", err)
	}
	// Mallory registers an address for alice.
	_, err = tr.Register(mallory.Address(), &Endpoint{WalletAddr: alice.Address().String(), HostPort: "kcp://6.6.6.6:1", Type: int32(EndpointFS)})
	if !errors.Is(err, ErrNotYours) || status.CodeOf(err, 0) != status.InvalidWalletAddress.Num() {
		t.Fatalf("endpoint for another: %v", err)
	}
	if hs, _ := tr.Holders(file, 0); len(hs) != 0 {
		t.Fatalf("refused announce was stored: %+v", hs)
	}
	if es, _ := tr.Endpoints(alice.Address()); len(es) != 0 {
		t.Fatalf("refused endpoint was stored: %+v", es)
	}
	// Without a wallet address the holder is the sender, never anyone else.
	h, err := tr.Announce(mallory.Address(), &Torrent{InfoHash: file, Type: int32(Seeder)}, "mem://m")
	if err != nil || h.Account != mallory.Address() {
		t.Fatalf("%+v %v", h, err)
	}
}

func TestAnnounceMalformed(t *testing.T) {
	tr, _ := openTracker(t, newClock())
	a := genKey(t).Address()
	long := make([]string, MaxAddrs+1)
	for i := range long {
		long[i] = fmt.Sprintf("mem://n%d", i)
	}
	cases := map[string]*Torrent{
		"empty hash":  {Type: int32(Seeder)},
		"long hash":   {InfoHash: make([]byte, MaxHashLen+1), Type: int32(Seeder)},
		"bad type":    {InfoHash: []byte("f"), Type: 9},
		"bad peer":    {InfoHash: []byte("f"), Type: int32(Seeder), PeerInfo: []byte{0xc1}},
		"bad addr":    NewTorrent([]byte("f"), 0, Seeder, a, "no-scheme"),
		"many addrs":  NewTorrent([]byte("f"), 0, Seeder, a, long...),
		"bad account": {InfoHash: []byte("f"), Type: int32(Seeder), PeerInfo: EncodePeerInfo(PeerInfo{WalletAddr: "xyz"})},
	}
	for name, tc := range cases {
		if _, err := tr.Announce(a, tc, ""); !errors.Is(err, ErrMalformed) || status.CodeOf(err, 0) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, e := range map[string]*Endpoint{
		"no wallet": {HostPort: "mem://x", Type: 1},
		"bad type":  {WalletAddr: a.String(), HostPort: "mem://x", Type: 0},
		"bad host":  {WalletAddr: a.String(), HostPort: "", Type: 1},
	} {
		if _, err := tr.Register(a, e); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if nh, ne, _ := tr.Len(); nh+ne != 0 {
		t.Fatalf("malformed requests stored %d entries", nh+ne)
	}
}

func TestEndpointsCapAndExpiry(t *testing.T) {
	clk := newClock()
	tr, _ := openTracker(t, clk)
	a := genKey(t).Address()
	for i := 0; i < MaxAddrs+3; i++ {
		if _, err := tr.Register(a, &Endpoint{WalletAddr: a.String(), HostPort: fmt.Sprintf("kcp://10.0.0.%d:1", i), Type: int32(EndpointFS)}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	es, err := tr.Endpoints(a)
	if err != nil || len(es) != MaxAddrs {
		t.Fatalf("%d endpoints %v", len(es), err)
	}
	if es[0].HostPort != fmt.Sprintf("kcp://10.0.0.%d:1", MaxAddrs+2) || es[len(es)-1].HostPort != "kcp://10.0.0.3:1" {
		t.Fatalf("kept the wrong ones: first %s last %s", es[0].HostPort, es[len(es)-1].HostPort)
	}
	clk.Advance(21 * time.Minute)
	if es, _ = tr.Endpoints(a); len(es) != 0 {
		t.Fatalf("expired endpoints returned: %d", len(es))
	}
}

func TestTrackerPersists(t *testing.T) {
	clk := newClock()
	tr, path := openTracker(t, clk)
	a := genKey(t)
	if _, err := tr.Announce(a.Address(), NewTorrent([]byte("f"), 0, FSNode, a.Address()), "mem://a"); err != nil {
		t.Fatal(err)
	}
	epoch := tr.Epoch()
	tr.Close()
	if _, err := tr.Holders([]byte("f"), 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	tr2, err := Open(Config{Path: path, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	hs, err := tr2.Holders([]byte("f"), 0)
	if err != nil || len(hs) != 1 || hs[0].Type != FSNode || tr2.Epoch() != epoch {
		t.Fatalf("after reopen: %+v %v epoch %d/%d", hs, err, tr2.Epoch(), epoch)
	}
}

func TestChangesPaging(t *testing.T) {
	clk := newClock()
	tr, _ := openTracker(t, clk)
	a := genKey(t).Address()
	for i := 0; i < 10; i++ {
		if _, err := tr.Announce(a, NewTorrent([]byte{byte(i)}, 0, Seeder, a), "mem://a"); err != nil {
			t.Fatal(err)
		}
	}
	// Re-announcing file 0 moves it to the end of the change log.
	if _, err := tr.Announce(a, NewTorrent([]byte{0}, 0, Seeder, a), "mem://a2"); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	var cur uint64
	for pages := 0; ; pages++ {
		p, err := tr.Changes(cur, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range p.Holders {
			got = append(got, h.FileHash)
		}
		cur = p.Next
		if !p.More {
			if pages != 2 {
				t.Fatalf("%d pages", pages+1)
			}
			break
		}
	}
	if len(got) != 10 || !bytes.Equal(got[9], []byte{0}) || !bytes.Equal(got[0], []byte{1}) {
		t.Fatalf("change order %v", got)
	}
	if p, _ := tr.Changes(cur, 4); len(p.Holders) != 0 || p.More || p.Next != cur {
		t.Fatalf("caught up page %+v", p)
	}
}

func TestMergeLastWriterWins(t *testing.T) {
	clk := newClock()
	a, _ := openTracker(t, clk)
	b, _ := openTracker(t, clk)
	alice := genKey(t)
	file := []byte("shared")
	if _, err := a.Announce(alice.Address(), NewTorrent(file, 5, Leecher, alice.Address()), "mem://old"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, err := b.Announce(alice.Address(), NewTorrent(file, 0, Seeder, alice.Address()), "mem://new"); err != nil {
		t.Fatal(err)
	}
	// b pulls a's older record: b keeps its newer one.
	pa, _ := a.Changes(0, 0)
	if n, err := b.Merge(pa); err != nil || n != 0 {
		t.Fatalf("older record applied: %d %v", n, err)
	}
	// a pulls b's newer record: a takes it.
	pb, _ := b.Changes(0, 0)
	if n, err := a.Merge(pb); err != nil || n != 1 {
		t.Fatalf("newer record: %d %v", n, err)
	}
	for _, tr := range []*Tracker{a, b} {
		hs, _ := tr.Holders(file, 0)
		if len(hs) != 1 || hs[0].Addrs[0] != "mem://new" || hs[0].Left != 0 {
			t.Fatalf("not converged: %+v", hs)
		}
	}
	// Merging the same page again changes nothing.
	if n, _ := a.Merge(pb); n != 0 {
		t.Fatalf("re-merge applied %d", n)
	}
	// A record from the future beyond the skew, an expired one and a malformed one are refused.
	bad := &SyncReply{Holders: []Holder{
		{FileHash: []byte("f1"), Account: alice.Address(), Type: Seeder, Updated: clk.Now().Add(time.Hour).UnixNano(), Expires: clk.Now().Add(2 * time.Hour).UnixNano()},
		{FileHash: []byte("f2"), Account: alice.Address(), Type: Seeder, Updated: clk.Now().UnixNano(), Expires: clk.Now().Add(-time.Second).UnixNano()},
		{FileHash: nil, Account: alice.Address(), Type: Seeder, Updated: clk.Now().UnixNano(), Expires: clk.Now().Add(time.Minute).UnixNano()},
		{FileHash: []byte("f4"), Account: alice.Address(), Type: 0, Updated: clk.Now().UnixNano(), Expires: clk.Now().Add(time.Minute).UnixNano()},
	}}
	if n, err := a.Merge(bad); err != nil || n != 0 {
		t.Fatalf("bad records applied: %d %v", n, err)
	}
	// A record asking to live far longer than the TTL is capped.
	long := &SyncReply{Holders: []Holder{{FileHash: []byte("f5"), Account: alice.Address(), Type: Seeder,
		Updated: clk.Now().UnixNano(), Expires: clk.Now().Add(1000 * time.Hour).UnixNano()}}}
	if n, _ := a.Merge(long); n != 1 {
		t.Fatal("capped record not applied")
	}
	hs, _ := a.Holders([]byte("f5"), 0)
	if len(hs) != 1 || hs[0].Expires != clk.Now().Add(a.HolderTTL()).UnixNano() {
		t.Fatalf("expiry not capped: %+v", hs)
	}
}
