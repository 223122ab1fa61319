package store

import "sync"

// Group commit. PutBlocks and PutChecked calls that overlap share transactions: the caller that
// finds no commit in progress becomes the committer, takes the calls waiting (its own first) up to
// Options.BatchBytes, commits them in one transaction, wakes their callers, and hands the role to
// the next waiting call, if any. A lone caller commits at once, as before; callers that arrive
// while a commit (and its fsync) runs are committed together in the next one. Every caller
// returns only once a transaction holding all of its blocks has committed, or with that
// transaction's error.

// putReq is one PutBlocks or PutChecked call waiting to be committed.
type putReq struct {
	blocks []Block
	bytes  int
	err    error
	done   chan struct{} // closed once committed (err set)
	lead   chan struct{} // closed when this call becomes the committer
}

// grouper queues the calls.
type grouper struct {
	mu      sync.Mutex
	busy    bool      // a committer is working
	pending []*putReq // calls not taken by a committer yet, in arrival order
}

// putGrouped stores blocks (already checked) in a transaction shared with overlapping calls.
func (s *Store) putGrouped(blocks []Block) error {
	r := &putReq{blocks: blocks, done: make(chan struct{}), lead: make(chan struct{})}
	for _, b := range blocks {
		r.bytes += len(b.Data)
	}
	g := &s.group
	g.mu.Lock()
	g.pending = append(g.pending, r)
	if g.busy {
		g.mu.Unlock()
		select {
		case <-r.done:
			return r.err
		case <-r.lead:
		}
		g.mu.Lock()
	} else {
		g.busy = true
	}
	// r is the committer and the first pending call.
	n, size := 0, 0
	for n < len(g.pending) && (n == 0 || size+g.pending[n].bytes <= s.opts.BatchBytes) {
		size += g.pending[n].bytes
		n++
	}
	batch := g.pending[:n:n]
	g.pending = g.pending[n:]
	g.mu.Unlock()

	var merged []Block
	if len(batch) == 1 {
		merged = r.blocks
	} else {
		for _, q := range batch {
			merged = append(merged, q.blocks...)
		}
	}
	err := s.commitBatch(nil, &addBatch{blocks: merged})
	for _, q := range batch {
		q.err = err
		close(q.done)
	}

	g.mu.Lock()
	if len(g.pending) > 0 {
		close(g.pending[0].lead)
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	return r.err
}
