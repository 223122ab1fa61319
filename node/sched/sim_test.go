package sched

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// simClock is the simulated clock the scheduler reads.
type simClock struct{ t time.Time }

func (c *simClock) Now() time.Time { return c.t }

// simPeer is a simulated holder: it serves its requests one after the other, each taking perBlock.
// It stops answering at dieAt (if set), and with wrong set every block it sends has a bad hash.
type simPeer struct {
	id       string
	perBlock time.Duration
	dieAt    time.Duration
	wrong    bool
	busy     time.Time
}

type event struct {
	at    time.Time
	peer  *simPeer
	block Block
	sent  time.Time
}

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	if e[i].peer.id != e[j].peer.id {
		return e[i].peer.id < e[j].peer.id
	}
	return e[i].block.Index < e[j].block.Index
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// simResult is what a simulation saw.
type simResult struct {
	trace      []string
	delivered  map[string]int // newly held blocks per peer
	duplicates int            // deliveries of blocks already held
	elapsed    time.Duration
	s          *Scheduler
}

const blockBytes = 256 << 10

func blocksN(n int) []Block {
	bs := make([]Block, n)
	for i := range bs {
		bs[i] = Block{Index: i}
	}
	return bs
}

// simulate downloads n blocks from peers. Whenever a block handed out is already in flight at
// another peer, it checks that the other peer is late for it (the only allowed duplicate).
func simulate(t *testing.T, n int, peers []*simPeer, cfg Config) simResult {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &simClock{t: start}
	cfg.Now = clk.Now
	s, err := New(blocksN(n), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range peers {
		if err := s.AddPeer(p.id, nil); err != nil {
			t.Fatal(err)
		}
		p.busy = start
	}
	r := simResult{delivered: map[string]int{}, s: s}
	inflight := map[int]map[string]bool{} // block -> peers fetching it
	var q events
	for step := 0; !s.Complete(); step++ {
		if step > 100*n {
			t.Fatalf("no completion after %d steps: %+v", step, s.Progress())
		}
		for _, p := range peers {
			for _, b := range s.Next(p.id, 1<<20) {
				for other := range inflight[b.Index] {
					if s.inFlightAt(other, b.Index) && !containsBlock(s.Late(other), b.Index) {
						t.Fatalf("block %d handed to %s while %s fetches it on time", b.Index, p.id, other)
					}
				}
				if inflight[b.Index] == nil {
					inflight[b.Index] = map[string]bool{}
				}
				inflight[b.Index][p.id] = true
				r.trace = append(r.trace, fmt.Sprintf("%s>%s:%d", clk.t.Sub(start), p.id, b.Index))
				if p.dieAt > 0 && clk.t.Sub(start) >= p.dieAt {
					continue // a dead peer never answers
				}
				p.busy = later(p.busy, clk.t).Add(p.perBlock)
				if p.dieAt > 0 && p.busy.Sub(start) > p.dieAt {
					continue
				}
				heap.Push(&q, event{at: p.busy, peer: p, block: b, sent: clk.t})
			}
		}
		if q.Len() == 0 {
			clk.t = clk.t.Add(100 * time.Millisecond) // wait for deadlines to pass
			continue
		}
		e := heap.Pop(&q).(event)
		clk.t = e.at
		delete(inflight[e.block.Index], e.peer.id)
		if e.peer.wrong {
			err := s.Failed(e.peer.id, e.block, WrongHash)
			if err != nil && !strings.Contains(err.Error(), "not assigned") {
				t.Fatal(err)
			}
			r.trace = append(r.trace, fmt.Sprintf("%s!%s:%d", clk.t.Sub(start), e.peer.id, e.block.Index))
			continue
		}
		fresh, err := s.Done(e.peer.id, e.block, blockBytes, clk.t.Sub(e.sent))
		if err != nil {
			t.Fatal(err)
		}
		if fresh {
			r.delivered[e.peer.id]++
			inflight[e.block.Index] = nil
		} else {
			r.duplicates++
		}
		r.trace = append(r.trace, fmt.Sprintf("%s<%s:%d:%v", clk.t.Sub(start), e.peer.id, e.block.Index, fresh))
	}
	r.elapsed = clk.t.Sub(start)
	return r
}

// inFlightAt reports whether the scheduler has block index in flight at peer id.
func (s *Scheduler) inFlightAt(id string, index int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peers[id].inflight[s.pos[index]] != nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func containsBlock(bs []Block, i int) bool {
	for _, b := range bs {
		if b.Index == i {
			return true
		}
	}
	return false
}

func TestThreeSpeeds(t *testing.T) {
	peers := []*simPeer{
		{id: "fast", perBlock: 10 * time.Millisecond},
		{id: "mid", perBlock: 20 * time.Millisecond},
		{id: "slow", perBlock: 40 * time.Millisecond},
	}
	r := simulate(t, 700, peers, Config{})
	f, m, sl := r.delivered["fast"], r.delivered["mid"], r.delivered["slow"]
	if f+m+sl != 700 {
		t.Fatalf("delivered %d+%d+%d", f, m, sl)
	}
	// Shares follow speed (ideal 400/200/100).
	if !(f > m && m > sl) || f < 320 || sl > 150 {
		t.Fatalf("shares fast %d mid %d slow %d", f, m, sl)
	}
	// Nearly as fast as the three together could be: 700 blocks at 7 blocks per 40 ms = 4 s.
	if r.elapsed > 4600*time.Millisecond {
		t.Fatalf("took %v", r.elapsed)
	}
	pr := r.s.Progress()
	if pr.Held != 700 || pr.InFlight != 0 || pr.Waiting != 0 || !r.s.Complete() {
		t.Fatalf("progress %+v", pr)
	}
	rates := map[string]float64{}
	for _, p := range pr.Peers {
		rates[p.ID] = p.Rate
	}
	if ratio := rates["fast"] / rates["slow"]; ratio < 3 || ratio > 5 {
		t.Fatalf("rate estimates %v", rates)
	}
	want := float64(blockBytes) / 0.010
	if d := rates["fast"]/want - 1; d < -0.1 || d > 0.1 {
		t.Fatalf("fast rate %.0f, want about %.0f", rates["fast"], want)
	}
	t.Logf("fast %d mid %d slow %d, %d duplicates, %v", f, m, sl, r.duplicates, r.elapsed)
}

func TestDeterministic(t *testing.T) {
	run := func() []string {
		peers := []*simPeer{
			{id: "a", perBlock: 13 * time.Millisecond},
			{id: "b", perBlock: 29 * time.Millisecond, dieAt: 2 * time.Second},
			{id: "c", perBlock: 31 * time.Millisecond},
		}
		return simulate(t, 300, peers, Config{}).trace
	}
	a, b := run(), run()
	if strings.Join(a, " ") != strings.Join(b, " ") {
		t.Fatal("two identical runs made different decisions")
	}
}

func TestPeerDies(t *testing.T) {
	peers := []*simPeer{
		{id: "a", perBlock: 20 * time.Millisecond},
		{id: "b", perBlock: 20 * time.Millisecond},
		{id: "dies", perBlock: 10 * time.Millisecond, dieAt: time.Second},
	}
	r := simulate(t, 400, peers, Config{})
	if r.delivered["a"]+r.delivered["b"]+r.delivered["dies"] != 400 {
		t.Fatalf("delivered %v", r.delivered)
	}
	// The dead peer's last window was re-requested from the others once late; the download did not
	// wait for the initial deadline of every block.
	if r.delivered["dies"] == 0 || r.elapsed > 6*time.Second {
		t.Fatalf("delivered %v in %v", r.delivered, r.elapsed)
	}
	requests := 0
	for _, e := range r.trace {
		if strings.Contains(e, ">") {
			requests++
		}
	}
	if requests <= 400 {
		t.Fatalf("no straggler re-request: %d requests for 400 blocks", requests)
	}
	t.Logf("delivered %v in %v, %d requests, %d duplicates", r.delivered, r.elapsed, requests, r.duplicates)
}

func TestWrongBlocksBan(t *testing.T) {
	peers := []*simPeer{
		{id: "good", perBlock: 20 * time.Millisecond},
		{id: "liar", perBlock: 5 * time.Millisecond, wrong: true},
	}
	r := simulate(t, 100, peers, Config{BanAfter: 3})
	if r.delivered["good"] != 100 || r.delivered["liar"] != 0 {
		t.Fatalf("delivered %v", r.delivered)
	}
	var liar PeerStats
	for _, p := range r.s.Progress().Peers {
		if p.ID == "liar" {
			liar = p
		}
	}
	if liar.State != Banned || liar.Wrong != 3 || liar.InFlight != 0 {
		t.Fatalf("liar %+v", liar)
	}
	if err := r.s.AddPeer("liar", nil); err == nil {
		t.Fatal("a banned peer was added back")
	}
	if bs := r.s.Next("liar", 10); len(bs) != 0 {
		t.Fatal("a banned peer got blocks")
	}
}

func TestNoDuplicateWithoutStragglers(t *testing.T) {
	// Peers that answer well within their deadlines never share a block.
	peers := []*simPeer{{id: "a", perBlock: 10 * time.Millisecond}, {id: "b", perBlock: 11 * time.Millisecond}}
	r := simulate(t, 500, peers, Config{})
	if r.duplicates != 0 {
		t.Fatalf("%d duplicate deliveries", r.duplicates)
	}
	seen := map[string]bool{}
	for _, e := range r.trace {
		if i := strings.Index(e, ">"); i >= 0 {
			blk := e[strings.Index(e, ":")+1:]
			if seen[blk] {
				t.Fatalf("block %s requested twice", blk)
			}
			seen[blk] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) != 500 {
		t.Fatalf("%d distinct blocks requested", len(keys))
	}
}
