package task

import (
	"context"
	"sync"
	"time"

	"dsp/keys"
	"dsp/node/fs"
	"dsp/node/sched"
	"dsp/status"
	"dsp/store"
)

// requestBatch is the most blocks asked of one holder in one BlockRequest.
const requestBatch = 16

// Scheduler defaults of downloads (see fetchData).
const (
	stragglerFactor = 8
	minDeadline     = 2 * time.Second
)

// fetchData fetches the missing data blocks from every session at once with a scheduler: each
// holder gets the next missing blocks within its window, a late block is asked again elsewhere,
// a wrong block is fetched elsewhere and its sender penalized (banned after a few).
// Each verified block is reported to its holder's payer in pays.
func (m *Manager) fetchData(ctx context.Context, t *task, root store.Hash, sessions []*fs.DownloadConn, pays *payRun) error {
	tree, err := fs.Tree(ctx, m.cfg.Store, root)
	if err != nil {
		return status.Wrap(status.TaskGetUndownloadBlockFailed, err, "tree of %s", root)
	}
	var (
		missing []sched.Block
		hashes  = map[int]store.Hash{}
		seen    = map[store.Hash]bool{}
		total   int
	)
	for _, n := range tree {
		if seen[n.Hash] {
			continue
		}
		seen[n.Hash] = true
		total++
		if n.Level != 0 || n.Held {
			continue
		}
		missing = append(missing, sched.Block{Index: int(n.Index), Hash: n.Hash[:]})
		hashes[int(n.Index)] = n.Hash
	}
	held := total - len(missing)
	m.progress(t, func(in *Info) {
		in.Blocks, in.Held, in.Bytes, in.Peers = uint64(total), uint64(held), 0, nil
		pays.fill(in)
	})
	if len(missing) == 0 {
		return nil
	}
	cfg := m.cfg.Sched
	cfg.Total = total
	// A holder serves its requests in order, so a block waits behind the holder's whole window;
	// on a busy machine the wait swings widely. Re-requesting a block that is merely queued
	// fetches it twice (39 % more bytes with 3 holders at the scheduler's defaults), so late
	// means clearly late here, unless the configuration says otherwise.
	if cfg.StragglerFactor <= 0 {
		cfg.StragglerFactor = stragglerFactor
	}
	if cfg.MinDeadline <= 0 {
		cfg.MinDeadline = minDeadline
	}
	sc, err := sched.New(missing, cfg)
	if err != nil {
		return status.Wrap(status.TaskAddGetBlockRequestFailed, err, "schedule %s", root)
	}
	f := &fetcher{m: m, t: t, sc: sc, pays: pays, hashes: hashes, kick: make(chan struct{}, 1), writes: make(chan store.Checked, writeBlocks),
		writeErr: make(chan error, 1), bufs: make(chan []byte, 2*writeBlocks+len(sessions))}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg, wwg sync.WaitGroup
	wwg.Add(1)
	go func() {
		defer wwg.Done()
		f.writer(ctx)
	}()
	for i, d := range sessions {
		id := d.Peer().Account().String()
		if err := sc.AddPeer(id, nil); err != nil {
			continue
		}
		p := &fetchPeer{id: id, d: d, pay: pays.holders[i], gone: make(chan struct{}), wake: make(chan struct{}, 1)}
		f.mu.Lock()
		f.peers = append(f.peers, p)
		f.mu.Unlock()
		wg.Add(2)
		go func() {
			defer wg.Done()
			f.receive(ctx, p)
		}()
		go func() {
			defer wg.Done()
			f.request(ctx, p)
		}()
	}
	err = f.wait(ctx)
	cancel()
	for _, d := range sessions {
		d.Close() // unblocks the receivers
	}
	wg.Wait()
	close(f.writes)
	wwg.Wait()
	if err == nil {
		select {
		case err = <-f.writeErr:
		default:
		}
	}
	return err
}

type fetcher struct {
	m      *Manager
	t      *task
	sc     *sched.Scheduler
	pays   *payRun
	hashes map[int]store.Hash
	kick   chan struct{}

	writes   chan store.Checked
	writeErr chan error
	bufs     chan []byte // block buffers for reuse, stored blocks given back

	mu       sync.Mutex
	lastPub  time.Time
	received uint64
	peers    []*fetchPeer
}

type fetchPeer struct {
	id   string
	d    *fs.DownloadConn
	pay  *holderPay
	gone chan struct{}
	wake chan struct{} // a block arrived somewhere: the window may have room

	mu    sync.Mutex
	queue []asked // requested, in order
}

type asked struct {
	b  sched.Block
	at time.Time
}

func (f *fetcher) wake() {
	f.kickWait()
	f.mu.Lock()
	ps := f.peers
	f.mu.Unlock()
	for _, p := range ps {
		p.wakeRequester()
	}
}

// kickWait wakes the wait loop (the download may be complete or stalled).
func (f *fetcher) kickWait() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// wakeRequester wakes p's requester: its window may have room.
func (p *fetchPeer) wakeRequester() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// wait returns when every block is held, the download stalls, a write fails or ctx ends.
func (f *fetcher) wait(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if f.sc.Complete() {
			f.publish(true)
			return nil
		}
		if f.sc.Stalled() {
			return status.New(status.TaskDownloadBlockFailed, "no holder left to send the missing blocks")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-f.writeErr:
			return err
		case <-f.kick:
		case <-tick.C:
		}
	}
}

// request keeps the peer's window full, in batches: it asks once half the window (or
// requestBatch) is free, so the holder gets a few large requests rather than one per delivery.
// Late blocks are not failed here: the scheduler already offers them to the other holders
// (straggler re-request) and takes whichever copy comes first; a holder that is really gone is
// caught by its connection's keepalive (PeerGone).
func (f *fetcher) request(ctx context.Context, p *fetchPeer) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		bs := f.sc.NextBatch(p.id, requestBatch, requestBatch)
		if len(bs) > 0 {
			hs := make([]store.Hash, len(bs))
			idx := make([]uint64, len(bs))
			now := time.Now()
			p.mu.Lock()
			for i, b := range bs {
				hs[i], idx[i] = f.hashes[b.Index], uint64(b.Index)
				p.queue = append(p.queue, asked{b: b, at: now})
			}
			p.mu.Unlock()
			if err := p.d.Request(hs, idx); err != nil {
				f.sc.Failed(p.id, sched.Block{}, sched.PeerGone)
				f.wake()
				return
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-p.gone:
			return
		case <-p.wake:
		case <-tick.C:
		}
	}
}

// receive takes the peer's blocks, checks each against the tree, and hands good ones to the
// writer.
func (f *fetcher) receive(ctx context.Context, p *fetchPeer) {
	defer close(p.gone)
	var buf []byte
	for {
		if buf == nil {
			buf = f.getBuf()
		}
		blk, err := p.d.RecvInto(buf)
		if err != nil {
			f.sc.Failed(p.id, sched.Block{}, sched.PeerGone)
			f.wake()
			return
		}
		p.mu.Lock()
		if len(p.queue) == 0 {
			p.mu.Unlock()
			f.sc.Failed(p.id, sched.Block{}, sched.PeerGone) // a block nobody asked for
			p.d.Close()
			f.wake()
			return
		}
		a := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()
		want := f.hashes[a.b.Index]
		sent, verified, n := false, false, 0
		if blk.Index != uint64(a.b.Index) || len(blk.Data) == 0 {
			f.sc.Failed(p.id, a.b, sched.Refused)
			f.wake() // the block goes back to the pool, for any holder
		} else if c, err := store.Check(want, blk.Data); err != nil {
			f.sc.Failed(p.id, a.b, sched.WrongHash)
			f.wake()
		} else {
			verified, n = true, len(blk.Data)
			// Hashed once here; the writer stores it without hashing again.
			fresh, _ := f.sc.Done(p.id, a.b, len(blk.Data), time.Since(a.at))
			if fresh {
				select {
				case f.writes <- c:
					buf, sent = nil, true // the writer owns it now and gives it back once stored
				case <-ctx.Done():
					return
				}
				if f.sc.Complete() {
					f.kickWait()
				}
			}
			p.wakeRequester() // room in this holder's window; other holders' did not change
		}
		if verified && p.pay.received(ctx, n) != nil { // cannot pay this holder: use the others
			f.sc.Failed(p.id, sched.Block{}, sched.PeerGone)
			p.d.Close()
			f.wake()
			return
		}
		if !sent && buf == nil && cap(blk.Data) >= store.BlockSize {
			buf = blk.Data[:0] // not handed to the writer: receive the next block into it
		}
		f.publish(false)
	}
}

// getBuf returns a block buffer to receive into: one given back, or nil (the decoder allocates).
func (f *fetcher) getBuf() []byte {
	select {
	case b := <-f.bufs:
		return b
	default:
		return nil
	}
}

// putBuf gives back the buffer of a block that is stored or dropped.
func (f *fetcher) putBuf(b []byte) {
	if cap(b) < store.BlockSize {
		return
	}
	select {
	case f.bufs <- b[:0]:
	default:
	}
}

// Write batching of downloaded blocks. Each commit writes its pages and syncs the file twice
// (bbolt), so a commit must cover megabytes, not a block: the writer takes every block already
// queued, up to writeBlocks, and when that is fewer than writeMin it waits up to writeDelay after
// the first for more. While a commit runs the next blocks queue, so when the disk is the slower
// side each commit takes a full writeBlocks (8 MiB, the store's batch) at once. Larger batches
// gain nothing (a store commit costs per byte: 256 MiB put in batches of 16, 32 or 64 blocks
// took the same 1.0 s) and would hold more buffers.
const (
	writeBlocks = 32
	writeMin    = 16
	writeDelay  = 20 * time.Millisecond
)

// writer stores received blocks in batches (one transaction per batch).
func (f *fetcher) writer(ctx context.Context) {
	var batch []store.Checked
	failed := false
	timer := time.NewTimer(writeDelay)
	timer.Stop()
	for b := range f.writes {
		batch = append(batch[:0], b)
		open := f.collect(&batch, timer)
		if !failed {
			if err := f.m.cfg.Store.PutChecked(context.WithoutCancel(ctx), batch); err != nil {
				failed = true
				f.writeErr <- status.Wrap(status.TaskFsPutBlockFailed, err, "store downloaded blocks")
			}
		}
		f.mu.Lock()
		for _, b := range batch {
			f.received += uint64(len(b.Data()))
		}
		f.mu.Unlock()
		for _, b := range batch {
			f.putBuf(b.Data())
		}
		clear(batch)
		if !open {
			return
		}
	}
}

// collect adds to batch the blocks already queued (up to writeBlocks) and, while it holds fewer
// than writeMin, those arriving within writeDelay. It reports false once f.writes is closed.
func (f *fetcher) collect(batch *[]store.Checked, timer *time.Timer) bool {
	for len(*batch) < writeBlocks {
		select {
		case b, ok := <-f.writes:
			if !ok {
				return false
			}
			*batch = append(*batch, b)
			continue
		default:
		}
		break
	}
	if len(*batch) >= writeMin {
		return true
	}
	timer.Reset(writeDelay)
	defer timer.Stop()
	for len(*batch) < writeMin {
		select {
		case b, ok := <-f.writes:
			if !ok {
				return false
			}
			*batch = append(*batch, b)
		case <-timer.C:
			return true
		}
	}
	return true
}

// publish reports the scheduler's progress, at most every 100 ms unless force.
func (f *fetcher) publish(force bool) {
	f.mu.Lock()
	if !force && time.Since(f.lastPub) < 100*time.Millisecond {
		f.mu.Unlock()
		return
	}
	f.lastPub = time.Now()
	f.mu.Unlock()
	pr := f.sc.Progress()
	f.m.progress(f.t, func(in *Info) {
		in.Held = uint64(pr.Held)
		in.Peers = in.Peers[:0]
		var bytes uint64
		for _, ps := range pr.Peers {
			acct, _ := keys.ParseAddress(ps.ID)
			in.Peers = append(in.Peers, PeerProgress{Account: acct, Held: uint64(ps.Blocks), Bytes: uint64(ps.Bytes),
				Rate: ps.Rate, Wrong: ps.Wrong, Err: peerState(ps.State)})
			bytes += uint64(ps.Bytes)
		}
		in.Bytes = bytes
		f.pays.fill(in)
	})
}

func peerState(s sched.PeerState) string {
	if s == sched.Active {
		return ""
	}
	return s.String()
}
