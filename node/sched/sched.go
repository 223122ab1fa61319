// Package sched is the multi-peer download scheduler: given the blocks of a file still missing
// and the peers that hold them, it decides which peer fetches which block next. It keeps a rate
// estimate and a window of requests per peer (a faster peer gets more requests in flight), moves
// work away from slow, failing and lying peers, never has two peers fetch the same block unless
// one of them is late (straggler re-request), and reports progress. It does no I/O: the download
// task calls Next, sends the requests, and reports each outcome with Done or Failed. Its clock is
// injected, so it runs the same under a simulated clock in tests.
package sched

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"sync"
	"time"
)

// Block is one block of the file: its index in the file and, optionally, its expected hash (the
// scheduler hands it back with the block but never checks data; the caller does).
type Block struct {
	Index int
	Hash  []byte
}

// Reason says why a request failed.
type Reason int

// Failure reasons.
const (
	// Timeout: the peer did not answer in time. Its window shrinks; the block goes back to the
	// pool.
	Timeout Reason = iota + 1
	// WrongHash: the peer sent data that does not hash to the block. The peer is never asked for
	// that block again and is banned after Config.BanAfter such blocks.
	WrongHash
	// Refused: the peer does not have or will not serve the block; it is not asked for it again.
	Refused
	// PeerGone: the connection to the peer is lost; the peer is removed (see RemovePeer).
	PeerGone
)

func (r Reason) String() string {
	switch r {
	case Timeout:
		return "timeout"
	case WrongHash:
		return "wrong hash"
	case Refused:
		return "refused"
	case PeerGone:
		return "peer gone"
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Sentinel errors of this package.
var (
	// ErrUnknownPeer: a peer id never added.
	ErrUnknownPeer = errors.New("unknown peer")
	// ErrUnknownBlock: a block index that is not among the scheduled blocks.
	ErrUnknownBlock = errors.New("block not scheduled")
	// ErrNotAssigned: Failed for a block the peer was not asked for.
	ErrNotAssigned = errors.New("block not assigned to the peer")
	// ErrBanned: AddPeer of a peer banned for sending wrong blocks.
	ErrBanned = errors.New("peer banned")
	// ErrDuplicateBlock: New with the same block index twice.
	ErrDuplicateBlock = errors.New("duplicate block index")
)

// Config tunes a Scheduler. The zero value takes every default.
type Config struct {
	// Total is the number of blocks of the whole file, for progress (default: the number of
	// missing blocks handed to New; blocks not among them count as already held).
	Total int
	// BlockSize is the typical size of a block in bytes (default 256 KiB). Windows and deadlines
	// are derived from it and the measured rate.
	BlockSize int
	// InitialWindow is the number of requests a peer gets in flight before its rate is known
	// (default 4). MinWindow and MaxWindow bound the window (defaults 1 and 64).
	InitialWindow, MinWindow, MaxWindow int
	// WindowTime is how much transfer time a window holds: window = rate * WindowTime /
	// BlockSize (default 1 s). A peer twice as fast gets twice the window.
	WindowTime time.Duration
	// InitialDeadline is when a block requested from a peer of unknown rate counts as late
	// (default 10 s). MinDeadline is the least time any request gets (default 500 ms).
	InitialDeadline, MinDeadline time.Duration
	// StragglerFactor scales the expected completion time of a request into its deadline
	// (default 3): a block is late when it takes StragglerFactor times longer than the peer's rate
	// and queue predict. A late block may be requested from a second peer.
	StragglerFactor float64
	// BanAfter is the number of wrong blocks after which a peer is banned (default 3).
	BanAfter int
	// MaxFailures is the number of consecutive failures (timeouts, refusals, wrong blocks) after
	// which a peer is suspended until AddPeer is called for it again (default 5).
	MaxFailures int
	// MaxCopies is how many peers may fetch one block at once, counting straggler re-requests
	// (default 2).
	MaxCopies int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c *Config) fill(missing int) {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Total, missing)
	def(&c.BlockSize, 256<<10)
	def(&c.InitialWindow, 4)
	def(&c.MinWindow, 1)
	def(&c.MaxWindow, 64)
	def(&c.BanAfter, 3)
	def(&c.MaxFailures, 5)
	def(&c.MaxCopies, 2)
	if c.MaxWindow < c.MinWindow {
		c.MaxWindow = c.MinWindow
	}
	c.InitialWindow = min(max(c.InitialWindow, c.MinWindow), c.MaxWindow)
	if c.WindowTime <= 0 {
		c.WindowTime = time.Second
	}
	if c.InitialDeadline <= 0 {
		c.InitialDeadline = 10 * time.Second
	}
	if c.MinDeadline <= 0 {
		c.MinDeadline = 500 * time.Millisecond
	}
	if c.StragglerFactor <= 0 {
		c.StragglerFactor = 3
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// PeerState is where a peer stands with the scheduler.
type PeerState int

// Peer states.
const (
	// Active peers are handed blocks.
	Active PeerState = iota
	// Suspended peers failed Config.MaxFailures times in a row; AddPeer makes them active again.
	Suspended
	// Banned peers sent Config.BanAfter wrong blocks; they are never handed blocks again.
	Banned
	// Gone peers were removed (RemovePeer or a PeerGone failure); AddPeer brings them back.
	Gone
)

func (s PeerState) String() string {
	return [...]string{"active", "suspended", "banned", "gone"}[s]
}

// assignment is one request in flight.
type assignment struct {
	p        *peer
	pos      int
	at       time.Time
	deadline time.Time
}

type peer struct {
	id       string
	have     bitset // nil: the peer holds every block
	bad      bitset // blocks the peer refused or sent wrong
	inflight map[int]*assignment

	rate     float64 // bytes per second, EWMA; 0 until the first block
	latency  time.Duration
	lastDone time.Time
	window   int

	bytes    int64
	blocks   int
	wrong    int
	failures int // consecutive
	state    PeerState
}

func (p *peer) holds(pos int) bool {
	return (p.have == nil || p.have.get(pos)) && !p.bad.get(pos)
}

// Scheduler hands out the missing blocks of one file to peers. All methods are safe for
// concurrent use (one goroutine per peer is the intended use). Given the same calls in the same
// order and the same clock readings, it makes the same decisions.
type Scheduler struct {
	mu     sync.Mutex
	cfg    Config
	blocks []Block
	pos    map[int]int // block index -> position in blocks
	done   bitset
	// copies[pos] lists the block's assignments in flight, oldest first.
	copies  [][]*assignment
	pending bitset // neither done nor in flight
	nDone   int
	peers   map[string]*peer
	order   []string // peer ids, sorted
}

// New returns a scheduler for the missing blocks (distinct indices), in the order given: blocks
// earlier in the list are handed out first.
func New(missing []Block, cfg Config) (*Scheduler, error) {
	cfg.fill(len(missing))
	if cfg.Total < len(missing) {
		return nil, fmt.Errorf("sched: total %d below %d missing blocks", cfg.Total, len(missing))
	}
	s := &Scheduler{cfg: cfg, blocks: append([]Block(nil), missing...), pos: make(map[int]int, len(missing)),
		done: newBitset(len(missing)), pending: newBitset(len(missing)), copies: make([][]*assignment, len(missing)),
		peers: map[string]*peer{}}
	for i, b := range missing {
		if _, dup := s.pos[b.Index]; dup {
			return nil, fmt.Errorf("sched: block %d: %w", b.Index, ErrDuplicateBlock)
		}
		s.pos[b.Index] = i
		s.pending.set(i)
	}
	return s, nil
}

// AddPeer adds a peer that holds the blocks with the given indices (nil: every block), or makes
// a gone or suspended peer active again with a clean failure count (its measured rate is kept).
// A banned peer stays banned (ErrBanned).
func (s *Scheduler) AddPeer(id string, have []int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.peers[id]
	if ok && p.state == Banned {
		return fmt.Errorf("sched: add %s: %w", id, ErrBanned)
	}
	if !ok {
		p = &peer{id: id, inflight: map[int]*assignment{}, window: s.cfg.InitialWindow, bad: newBitset(len(s.blocks))}
		s.peers[id] = p
		s.order = append(s.order, id)
		sort.Strings(s.order)
	}
	p.state, p.failures = Active, 0
	p.have = nil
	if have != nil {
		p.have = newBitset(len(s.blocks))
		s.addHave(p, have)
	}
	return nil
}

// Have records that the peer now also holds the blocks with the given indices (a leecher that
// progressed). It does nothing for a peer that holds every block.
func (s *Scheduler) Have(id string, indices ...int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.peers[id]
	if !ok {
		return fmt.Errorf("sched: have %s: %w", id, ErrUnknownPeer)
	}
	if p.have != nil {
		s.addHave(p, indices)
	}
	return nil
}

func (s *Scheduler) addHave(p *peer, indices []int) {
	for _, i := range indices {
		if pos, ok := s.pos[i]; ok {
			p.have.set(pos)
		}
	}
}

// RemovePeer takes the peer out (its connection is gone): its blocks in flight go back to the
// pool. Its statistics stay in Progress. AddPeer brings it back.
func (s *Scheduler) RemovePeer(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.peers[id]; ok && p.state != Banned {
		s.retire(p, Gone)
	}
}

// retire releases every block in flight at p and sets its state.
func (s *Scheduler) retire(p *peer, st PeerState) {
	p.state = st
	for _, pos := range sortedKeys(p.inflight) {
		s.unassign(p.inflight[pos])
	}
}

// unassign removes a from its block and peer; the block returns to the pool if nothing else
// fetches it.
func (s *Scheduler) unassign(a *assignment) {
	delete(a.p.inflight, a.pos)
	cs := s.copies[a.pos]
	for i, c := range cs {
		if c == a {
			s.copies[a.pos] = append(cs[:i:i], cs[i+1:]...)
			break
		}
	}
	if len(s.copies[a.pos]) == 0 && !s.done.get(a.pos) {
		s.pending.set(a.pos)
	}
}

// windowOf is the number of requests p may have in flight.
func (s *Scheduler) windowOf(p *peer) int {
	return p.window
}

// targetWindow derives a window from the measured rate.
func (s *Scheduler) targetWindow(p *peer) int {
	if p.rate <= 0 {
		return s.cfg.InitialWindow
	}
	w := int(math.Ceil(p.rate * s.cfg.WindowTime.Seconds() / float64(s.cfg.BlockSize)))
	return min(max(w, s.cfg.MinWindow), s.cfg.MaxWindow)
}

// deadline is when a request made now to p, behind queued others, counts as late.
func (s *Scheduler) deadline(p *peer, now time.Time, queued int) time.Time {
	if p.rate <= 0 {
		return now.Add(max(s.cfg.InitialDeadline, s.cfg.MinDeadline))
	}
	per := float64(s.cfg.BlockSize) / p.rate // seconds per block
	d := time.Duration(s.cfg.StragglerFactor*float64(queued+1)*per*float64(time.Second)) + p.latency
	return now.Add(max(d, s.cfg.MinDeadline))
}

// Next returns up to max blocks for the peer to fetch now, and records them as in flight at it.
// It returns fewer (or none) when the peer's window is full, when it is not active, or when no
// block it holds is waiting. Blocks late at another peer come first (a straggler re-request: the
// block is then in flight at both, and the first good copy wins), then waiting blocks in the order
// given to New.
func (s *Scheduler) Next(id string, max int) []Block {
	return s.NextBatch(id, 1, max)
}

// NextBatch is Next handing out blocks only in batches: it returns none while fewer than least
// requests fit in the peer's window (or half its window, when that is smaller), so a caller that
// asks after every delivery sends a few large requests instead of one per block, and a peer's
// queue is refilled before it drains.
func (s *Scheduler) NextBatch(id string, least, max int) []Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.peers[id]
	if !ok || p.state != Active {
		return nil
	}
	w := s.windowOf(p)
	free := w - len(p.inflight)
	room := min(max, free)
	if room <= 0 || free < min(least, max, (w+1)/2) {
		return nil
	}
	now := s.cfg.Now()
	var picked []int
	for _, pos := range s.late(p, now) {
		if len(picked) == room {
			break
		}
		picked = append(picked, pos)
	}
	for w, word := range s.pending {
		for word != 0 && len(picked) < room {
			pos := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if p.holds(pos) {
				picked = append(picked, pos)
			}
		}
		if len(picked) == room {
			break
		}
	}
	out := make([]Block, 0, len(picked))
	for _, pos := range picked {
		a := &assignment{p: p, pos: pos, at: now, deadline: s.deadline(p, now, len(p.inflight))}
		p.inflight[pos] = a
		s.copies[pos] = append(s.copies[pos], a)
		s.pending.clear(pos)
		out = append(out, s.blocks[pos])
	}
	return out
}

// late lists, by position, the blocks p could fetch that are in flight elsewhere only at peers
// past their deadline, with room for another copy.
func (s *Scheduler) late(p *peer, now time.Time) []int {
	var out []int
	for _, id := range s.order {
		q := s.peers[id]
		if q == p {
			continue
		}
		for pos, a := range q.inflight {
			if !now.After(a.deadline) || !p.holds(pos) || p.inflight[pos] != nil || len(s.copies[pos]) >= s.cfg.MaxCopies {
				continue
			}
			allLate := true
			for _, c := range s.copies[pos] {
				if !now.After(c.deadline) {
					allLate = false
				}
			}
			if allLate {
				out = append(out, pos)
			}
		}
	}
	sort.Ints(out)
	return out
}

// Done records that the peer delivered block b (already verified by the caller): bytes long,
// duration after it was requested. It returns true if the block is newly held, false if it was
// already held (another peer delivered it first; the bytes still count toward this peer's rate).
// A block that arrives after the peer's request was given up (Failed with Timeout) is still
// accepted. Every copy of the block still in flight elsewhere is dropped; those peers' late
// deliveries then return false. A delivery resets the peer's failure count and recomputes its
// window from its rate.
func (s *Scheduler) Done(id string, b Block, bytes int, duration time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, pos, err := s.lookup(id, b)
	if err != nil {
		return false, err
	}
	now := s.cfg.Now()
	start := now.Add(-duration)
	if a := p.inflight[pos]; a != nil {
		start = a.at
	}
	s.measure(p, now, start, bytes, duration)
	if s.done.get(pos) {
		return false, nil
	}
	s.done.set(pos)
	s.pending.clear(pos)
	s.nDone++
	for _, c := range append([]*assignment(nil), s.copies[pos]...) {
		s.unassign(c)
	}
	return true, nil
}

// measure updates p's rate and latency from one delivery.
func (s *Scheduler) measure(p *peer, now, start time.Time, bytes int, duration time.Duration) {
	p.bytes += int64(bytes)
	p.blocks++
	p.failures = 0
	// While requests are pipelined, the time since the previous delivery is what this one cost.
	from := start
	if p.lastDone.After(from) {
		from = p.lastDone
	}
	interval := now.Sub(from)
	if interval <= 0 {
		interval = duration
	}
	p.lastDone = now
	if interval > 0 && bytes > 0 {
		sample := float64(bytes) / interval.Seconds()
		if p.rate == 0 {
			p.rate = sample
		} else {
			p.rate = 0.7*p.rate + 0.3*sample
		}
	}
	if duration > 0 {
		if p.latency == 0 {
			p.latency = duration
		} else {
			p.latency = (7*p.latency + 3*duration) / 10
		}
	}
	p.window = s.targetWindow(p)
}

// Failed records that the peer's request for b failed for reason: the block goes back to the pool
// (unless another peer is fetching it) and the peer is penalized: a timeout halves its window; a
// refusal or wrong block excludes the block from the peer; a wrong block also cuts the peer's
// window to the minimum and halves its rate estimate, and the BanAfter-th one bans it; PeerGone
// removes it. After MaxFailures failures in a row the peer is suspended. Failed for a block the
// peer was not asked for is ErrNotAssigned (except PeerGone, which needs no block).
func (s *Scheduler) Failed(id string, b Block, reason Reason) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reason == PeerGone {
		p, ok := s.peers[id]
		if !ok {
			return fmt.Errorf("sched: failed %s: %w", id, ErrUnknownPeer)
		}
		if p.state != Banned {
			s.retire(p, Gone)
		}
		return nil
	}
	p, pos, err := s.lookup(id, b)
	if err != nil {
		return err
	}
	a := p.inflight[pos]
	if a == nil {
		return fmt.Errorf("sched: failed %d at %s: %w", b.Index, id, ErrNotAssigned)
	}
	s.unassign(a)
	p.failures++
	switch reason {
	case Timeout:
		p.window = max(p.window/2, s.cfg.MinWindow)
	case Refused:
		p.bad.set(pos)
	case WrongHash:
		p.bad.set(pos)
		p.wrong++
		p.window = s.cfg.MinWindow
		p.rate /= 2
		if p.wrong >= s.cfg.BanAfter {
			s.retire(p, Banned)
			return nil
		}
	default:
		return fmt.Errorf("sched: unknown failure reason %d", int(reason))
	}
	if p.failures >= s.cfg.MaxFailures {
		s.retire(p, Suspended)
	}
	return nil
}

func (s *Scheduler) lookup(id string, b Block) (*peer, int, error) {
	p, ok := s.peers[id]
	if !ok {
		return nil, 0, fmt.Errorf("sched: %s: %w", id, ErrUnknownPeer)
	}
	pos, ok := s.pos[b.Index]
	if !ok {
		return nil, 0, fmt.Errorf("sched: block %d: %w", b.Index, ErrUnknownBlock)
	}
	return p, pos, nil
}

// Late returns the blocks in flight at the peer that are past their deadline, by index order.
// The caller may cancel them and report Timeout; the scheduler already offers them to other
// peers.
func (s *Scheduler) Late(id string) []Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.peers[id]
	if !ok {
		return nil
	}
	now := s.cfg.Now()
	var out []Block
	for _, pos := range sortedKeys(p.inflight) {
		if now.After(p.inflight[pos].deadline) {
			out = append(out, s.blocks[pos])
		}
	}
	return out
}

// Complete reports whether every scheduled block is held.
func (s *Scheduler) Complete() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nDone == len(s.blocks)
}

// Stalled reports whether the download cannot progress: blocks are missing, none is in flight,
// and no active peer holds any of the waiting ones (every holder is gone, suspended, banned, or
// refused them). The caller should find more peers (AddPeer) or fail with NO_DOWNLOAD_SEED.
func (s *Scheduler) Stalled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nDone == len(s.blocks) {
		return false
	}
	for _, cs := range s.copies {
		if len(cs) > 0 {
			return false
		}
	}
	for w, word := range s.pending {
		for word != 0 {
			pos := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			for _, id := range s.order {
				if p := s.peers[id]; p.state == Active && p.holds(pos) {
					return false
				}
			}
		}
	}
	return true
}

// PeerStats is one peer's part of Progress.
type PeerStats struct {
	ID       string
	State    PeerState
	Bytes    int64   // delivered, duplicates included
	Blocks   int     // deliveries, duplicates included
	Rate     float64 // bytes per second, 0 until the first delivery
	Window   int     // requests it may have in flight
	InFlight int
	Wrong    int // wrong blocks sent
	Failures int // consecutive failures
}

// Progress is a snapshot of the download.
type Progress struct {
	Held     int // blocks held: the already held ones plus those delivered
	Total    int
	InFlight int // distinct blocks in flight
	Waiting  int // blocks neither held nor in flight
	Peers    []PeerStats
}

// Progress returns a snapshot, peers sorted by id.
func (s *Scheduler) Progress() Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := Progress{Held: s.cfg.Total - len(s.blocks) + s.nDone, Total: s.cfg.Total, Waiting: s.pending.count()}
	for _, cs := range s.copies {
		if len(cs) > 0 {
			pr.InFlight++
		}
	}
	for _, id := range s.order {
		p := s.peers[id]
		pr.Peers = append(pr.Peers, PeerStats{ID: id, State: p.state, Bytes: p.bytes, Blocks: p.blocks, Rate: p.rate,
			Window: p.window, InFlight: len(p.inflight), Wrong: p.wrong, Failures: p.failures})
	}
	return pr
}

func sortedKeys(m map[int]*assignment) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

// bitset is a fixed-size set of block positions.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) get(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) clear(i int)    { b[i/64] &^= 1 << (i % 64) }

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}
