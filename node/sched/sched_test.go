package sched

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func newSched(t *testing.T, n int, cfg Config) (*Scheduler, *simClock) {
	t.Helper()
	clk := &simClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Now = clk.Now
	s, err := New(blocksN(n), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

func indices(bs []Block) []int {
	out := make([]int, len(bs))
	for i, b := range bs {
		out[i] = b.Index
	}
	return out
}

func TestWindowFollowsRate(t *testing.T) {
	s, clk := newSched(t, 1000, Config{WindowTime: time.Second})
	s.AddPeer("fast", nil)
	s.AddPeer("slow", nil)
	if got := len(s.Next("fast", 100)); got != 4 {
		t.Fatalf("initial window %d, want 4", got)
	}
	if got := len(s.Next("fast", 100)); got != 0 {
		t.Fatalf("full window gave %d more", got)
	}
	// fast delivers 4 blocks over 40 ms (26 MB/s: 100 blocks a second), slow 1 block in 200 ms.
	bs := s.Next("slow", 100)
	for i, b := range []int{0, 1, 2, 3} {
		clk.t = clk.t.Add(10 * time.Millisecond)
		if ok, err := s.Done("fast", Block{Index: b}, blockBytes, time.Duration(i+1)*10*time.Millisecond); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	clk.t = clk.t.Add(160 * time.Millisecond)
	s.Done("slow", bs[0], blockBytes, 200*time.Millisecond)
	pr := s.Progress()
	fast, slow := pr.Peers[0], pr.Peers[1]
	if fast.Window != 64 || slow.Window != 5 {
		t.Fatalf("windows fast %d slow %d (rates %.0f %.0f)", fast.Window, slow.Window, fast.Rate, slow.Rate)
	}
	if pr.Held != 5 || pr.InFlight != 3 {
		t.Fatalf("progress %+v", pr)
	}
}

func TestTimeoutShrinksAndSuspends(t *testing.T) {
	s, _ := newSched(t, 100, Config{InitialWindow: 8, MaxFailures: 3})
	s.AddPeer("p", nil)
	bs := s.Next("p", 8)
	if err := s.Failed("p", bs[0], Timeout); err != nil {
		t.Fatal(err)
	}
	if w := s.Progress().Peers[0].Window; w != 4 {
		t.Fatalf("window after timeout %d", w)
	}
	// The block is offered again, first.
	s.AddPeer("q", nil)
	if got := s.Next("q", 1); got[0].Index != bs[0].Index {
		t.Fatalf("q got %v, want the timed-out block %d", indices(got), bs[0].Index)
	}
	s.Failed("p", bs[1], Timeout)
	s.Failed("p", bs[2], Timeout)
	st := s.Progress().Peers[0]
	if st.State != Suspended || st.InFlight != 0 {
		t.Fatalf("after 3 failures: %+v", st)
	}
	if s.Next("p", 8) != nil {
		t.Fatal("suspended peer got blocks")
	}
	if err := s.Failed("p", bs[3], Timeout); !errors.Is(err, ErrNotAssigned) {
		t.Fatalf("released block: %v", err)
	}
	// Its remaining blocks went back to the pool, in order, to q.
	if got := indices(s.Next("q", 3)); fmt.Sprint(got) != fmt.Sprint([]int{bs[1].Index, bs[2].Index, bs[3].Index}) {
		t.Fatalf("q got %v", got)
	}
	if err := s.AddPeer("p", nil); err != nil || s.Progress().Peers[0].State != Active {
		t.Fatal("AddPeer did not revive a suspended peer", err)
	}
}

func TestRefusedAndHave(t *testing.T) {
	s, _ := newSched(t, 6, Config{})
	s.AddPeer("part", []int{1, 3})
	if got := indices(s.Next("part", 10)); fmt.Sprint(got) != "[1 3]" {
		t.Fatalf("partial holder got %v", got)
	}
	s.Failed("part", Block{Index: 3}, Refused)
	if got := s.Next("part", 10); len(got) != 0 {
		t.Fatalf("refused block offered again: %v", indices(got))
	}
	s.Have("part", 4, 99)
	if got := indices(s.Next("part", 10)); fmt.Sprint(got) != "[4]" {
		t.Fatalf("after Have got %v", got)
	}
	if s.Stalled() {
		t.Fatal("stalled with blocks in flight")
	}
	s.Done("part", Block{Index: 1}, 10, time.Millisecond)
	s.Done("part", Block{Index: 4}, 10, time.Millisecond)
	if !s.Stalled() {
		t.Fatal("not stalled: nobody holds 0, 2, 3, 5")
	}
	s.AddPeer("full", nil)
	if s.Stalled() {
		t.Fatal("stalled with a full holder")
	}
}

func TestPeerGoneReleases(t *testing.T) {
	s, _ := newSched(t, 10, Config{})
	s.AddPeer("a", nil)
	s.AddPeer("b", nil)
	got := s.Next("a", 4)
	if err := s.Failed("a", Block{}, PeerGone); err != nil {
		t.Fatal(err)
	}
	if st := s.Progress().Peers[0]; st.State != Gone || st.InFlight != 0 {
		t.Fatalf("a %+v", st)
	}
	if again := s.Next("b", 4); fmt.Sprint(indices(again)) != fmt.Sprint(indices(got)) {
		t.Fatalf("b got %v, want a's %v", indices(again), indices(got))
	}
	// A late delivery from the gone peer is still accepted (the caller verified it).
	if ok, err := s.Done("a", got[0], 10, time.Second); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := s.Done("b", got[0], 10, time.Second); ok {
		t.Fatal("second delivery counted as new")
	}
	s.RemovePeer("b")
	if s.Next("b", 4) != nil {
		t.Fatal("removed peer got blocks")
	}
}

func TestStragglerOnlyWhenLate(t *testing.T) {
	s, clk := newSched(t, 2, Config{InitialDeadline: time.Second, MinDeadline: 100 * time.Millisecond})
	s.AddPeer("a", nil)
	s.AddPeer("b", nil)
	s.AddPeer("c", nil)
	if got := indices(s.Next("a", 2)); len(got) != 2 {
		t.Fatal(got)
	}
	if got := s.Next("b", 2); len(got) != 0 {
		t.Fatalf("b got %v while a is on time", indices(got))
	}
	clk.t = clk.t.Add(1001 * time.Millisecond)
	if late := indices(s.Late("a")); fmt.Sprint(late) != "[0 1]" {
		t.Fatalf("late %v", late)
	}
	if got := indices(s.Next("b", 2)); fmt.Sprint(got) != "[0 1]" {
		t.Fatalf("b got %v, want the late blocks", got)
	}
	// MaxCopies (2) reached: c gets nothing even though a is late.
	if got := s.Next("c", 2); len(got) != 0 {
		t.Fatalf("third copy handed out: %v", indices(got))
	}
	if ok, _ := s.Done("b", Block{Index: 0}, 10, time.Millisecond); !ok {
		t.Fatal("b's copy not counted")
	}
	if ok, _ := s.Done("a", Block{Index: 0}, 10, time.Second); ok {
		t.Fatal("a's late copy counted as new")
	}
}

func TestErrors(t *testing.T) {
	if _, err := New([]Block{{Index: 1}, {Index: 1}}, Config{}); !errors.Is(err, ErrDuplicateBlock) {
		t.Fatal(err)
	}
	if _, err := New(blocksN(5), Config{Total: 3}); err == nil {
		t.Fatal("total below missing accepted")
	}
	s, _ := newSched(t, 3, Config{Total: 10})
	if _, err := s.Done("nobody", Block{Index: 0}, 1, 0); !errors.Is(err, ErrUnknownPeer) {
		t.Fatal(err)
	}
	s.AddPeer("p", nil)
	if _, err := s.Done("p", Block{Index: 7}, 1, 0); !errors.Is(err, ErrUnknownBlock) {
		t.Fatal(err)
	}
	if err := s.Failed("p", Block{Index: 0}, WrongHash); !errors.Is(err, ErrNotAssigned) {
		t.Fatal(err)
	}
	if err := s.Have("nobody", 1); !errors.Is(err, ErrUnknownPeer) {
		t.Fatal(err)
	}
	if pr := s.Progress(); pr.Held != 7 || pr.Total != 10 || pr.Waiting != 3 {
		t.Fatalf("progress %+v", pr)
	}
}

// TestConcurrentPeers runs one goroutine per peer against the real clock; with -race it checks
// the locking, and at the end every block is held exactly once.
func TestConcurrentPeers(t *testing.T) {
	s, err := New(blocksN(2000), Config{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	fresh := make([]int, 6)
	for i := range fresh {
		id := fmt.Sprintf("p%d", i)
		s.AddPeer(id, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !s.Complete() {
				bs := s.Next(id, 8)
				for j, b := range bs {
					if i == 5 && j == 0 {
						s.Failed(id, b, Timeout)
						continue
					}
					if ok, err := s.Done(id, b, blockBytes, time.Microsecond); err != nil {
						t.Error(err)
						return
					} else if ok {
						fresh[i]++
					}
				}
				if len(bs) == 0 {
					if s.Progress().Peers[i].State != Active {
						s.AddPeer(id, nil)
					}
					time.Sleep(time.Microsecond)
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range fresh {
		total += n
	}
	if total != 2000 || !s.Complete() {
		t.Fatalf("%d blocks newly held, want 2000", total)
	}
}

func TestNextBatch(t *testing.T) {
	s, _ := newSched(t, 1000, Config{InitialWindow: 8, MaxFailures: 100})
	s.AddPeer("p", nil)
	bs := s.NextBatch("p", 4, 16)
	if len(bs) != 8 {
		t.Fatalf("first batch %d blocks, want the whole window of 8", len(bs))
	}
	// Nothing until least (4) requests fit in the window; then the whole room.
	for _, b := range bs[:3] {
		s.Failed("p", b, Refused)
	}
	if got := s.NextBatch("p", 4, 16); len(got) != 0 {
		t.Fatalf("3 free of 8 with least 4: got %d blocks", len(got))
	}
	s.Failed("p", bs[3], Refused)
	if got := s.NextBatch("p", 4, 16); len(got) != 4 {
		t.Fatalf("4 free of 8 with least 4: got %d blocks, want 4", len(got))
	}
	// least above half the window waits for half the window only.
	s.Failed("p", bs[4], Refused)
	s.Failed("p", bs[5], Refused)
	s.Failed("p", bs[6], Refused)
	if got := s.NextBatch("p", 16, 16); len(got) != 0 {
		t.Fatalf("3 free of 8 with least 16: got %d blocks", len(got))
	}
	s.Failed("p", bs[7], Refused)
	if got := s.NextBatch("p", 16, 16); len(got) != 4 {
		t.Fatalf("4 free of 8 with least 16: got %d blocks, want 4", len(got))
	}
	// A window of 1 still gets its one block.
	s1, _ := newSched(t, 10, Config{InitialWindow: 1})
	s1.AddPeer("p", nil)
	if got := s1.NextBatch("p", 16, 16); len(got) != 1 {
		t.Fatalf("window 1: got %d blocks", len(got))
	}
	// Fewer blocks left than least: they are handed out.
	s3, _ := newSched(t, 3, Config{InitialWindow: 8})
	s3.AddPeer("p", nil)
	if got := s3.NextBatch("p", 16, 16); len(got) != 3 {
		t.Fatalf("3 blocks left: got %d", len(got))
	}
}
