package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testHookSweepBatch, if set, is called after each sweep transaction commits.
var testHookSweepBatch func()

// gcRun is the state a running collection shares with writers (under Store.mu).
type gcRun struct {
	// protected holds blocks that writers are storing or have pinned: the pins of AddFiles in
	// progress when the collection began, and every hash written while it runs.
	protected map[Hash]struct{}
	// lateRoots are files recorded while it runs; each sweep batch marks their trees again.
	lateRoots []Hash
}

// GCStats reports what one GarbageCollect did.
type GCStats struct {
	// Files is the number of file roots marked from (complete and partial).
	Files int `json:"files"`
	// Marked is the number of distinct blocks found reachable.
	Marked int `json:"marked"`
	// Scanned is the number of stored blocks examined; Removed of them were deleted.
	Scanned int `json:"scanned"`
	Removed int `json:"removed"`
	// Batches is the number of sweep transactions; MaxBatch the longest one held the write lock.
	Batches  int           `json:"batches"`
	MaxBatch time.Duration `json:"maxBatchNs"`
	// Duration is the whole collection's time.
	Duration time.Duration `json:"durationNs"`
}

// marker marks the blocks reachable from file roots. It trusts the level in link blocks and
// never fails: a root or link block that is missing or does not decode keeps only itself alive,
// so a damaged tree errs on the side of keeping blocks. A link block's children never change (it
// is named by its hash), so each is decoded once; marking a root again only walks the link
// blocks above level 1 to reach those that were missing before.
type marker struct {
	marked   map[Hash]struct{}
	expanded map[Hash]int    // link blocks whose children are marked -> their level
	upper    map[Hash][]Hash // children of expanded link blocks of level > 1
}

func newMarker() *marker {
	return &marker{marked: map[Hash]struct{}{}, expanded: map[Hash]int{}, upper: map[Hash][]Hash{}}
}

func (m *marker) markTree(tx *bolt.Tx, root Hash) {
	m.marked[root] = struct{}{}
	m.expand(tx, root, 0)
}

// expand marks the children of link block h; level 0 means the level is read from the block.
func (m *marker) expand(tx *bolt.Tx, h Hash, level int) {
	if lv, done := m.expanded[h]; done {
		for _, c := range m.upper[h] {
			m.expand(tx, c, lv-1)
		}
		return
	}
	v := getBlock(tx, h)
	if v == nil {
		return
	}
	l, err := DecodeLink(v)
	if err != nil || (level != 0 && l.Level != level) {
		return
	}
	m.expanded[h] = l.Level
	for _, c := range l.Children {
		m.marked[c] = struct{}{}
	}
	if l.Level > 1 {
		m.upper[h] = l.Children
		for _, c := range l.Children {
			m.expand(tx, c, l.Level-1)
		}
	}
}

// markFiles marks the trees of all file records in tx and returns the roots of the partial
// ones.
func (m *marker) markFiles(tx *bolt.Tx) (n int, partial []Hash, err error) {
	err = tx.Bucket(bucketFiles).ForEach(func(k, _ []byte) error {
		fi, err := getFile(tx, Hash(k))
		if err != nil {
			return err
		}
		if fi.State != StateComplete {
			partial = append(partial, fi.FileHash)
		}
		m.markTree(tx, fi.FileHash)
		n++
		return nil
	})
	return n, partial, err
}

// remark marks the trees of roots again: link blocks stored since they were last looked for
// are followed this time.
func (m *marker) remark(tx *bolt.Tx, roots []Hash) {
	for _, r := range roots {
		m.markTree(tx, r)
	}
}

// GarbageCollect implements FS. It runs in two phases:
//
//   - mark: in one read transaction, every block reachable from a file record (complete or
//     partial) is marked;
//   - sweep: the blocks bucket is scanned in key order, GCBatch keys per write transaction; a
//     block is deleted (with its meta values) only if it is not marked and not protected. Each
//     batch first marks the trees of files recorded since the mark phase and of partial files
//     (whose blocks may have arrived since).
//
// Writers protect their blocks before they commit (see Store.protect), so a block that an
// AddFile in progress has written or relies on, or that anyone writes during the collection,
// is never deleted. Only one collection runs at a time; others wait for it.
func (s *Store) GarbageCollect(ctx context.Context) (GCStats, error) {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	start := time.Now()
	var st GCStats
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return st, fmt.Errorf("garbage collect: %w", ErrClosed)
	}
	run := &gcRun{protected: map[Hash]struct{}{}}
	for p := range s.pins {
		for h := range p.m {
			run.protected[h] = struct{}{}
		}
	}
	s.gc = run
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.gc = nil
		s.mu.Unlock()
	}()

	m := newMarker()
	var partial []Hash
	err := s.view(func(tx *bolt.Tx) (err error) {
		st.Files, partial, err = m.markFiles(tx)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("garbage collect: mark: %w", err)
	}
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("garbage collect: %w", err)
		}
		t0 := time.Now()
		var end bool
		err := s.update(func(tx *bolt.Tx) error {
			var err error
			after, end, err = s.sweepBatch(tx, m, run, partial, after, &st)
			return err
		})
		if err != nil {
			return st, fmt.Errorf("garbage collect: sweep: %w", err)
		}
		st.Batches++
		st.MaxBatch = max(st.MaxBatch, time.Since(t0))
		if testHookSweepBatch != nil {
			testHookSweepBatch()
		}
		if end {
			break
		}
	}
	st.Marked = len(m.marked)
	st.Duration = time.Since(start)
	return st, nil
}

// sweepBatch examines up to GCBatch block keys after the key after (from the start if nil),
// re-marks the partial and late roots, deletes the garbage among them and returns the last key examined and whether the bucket is
// exhausted.
func (s *Store) sweepBatch(tx *bolt.Tx, m *marker, run *gcRun, partial []Hash, after []byte, st *GCStats) ([]byte, bool, error) {
	s.mu.Lock()
	roots := append(append([]Hash(nil), partial...), run.lateRoots...)
	s.mu.Unlock()
	m.remark(tx, roots)
	c := tx.Bucket(bucketBlocks).Cursor()
	var k []byte
	if after == nil {
		k, _ = c.First()
	} else if k, _ = c.Seek(after); k != nil && bytes.Equal(k, after) {
		k, _ = c.Next()
	}
	var garbage []Hash
	var last []byte
	for n := 0; k != nil && n < s.opts.GCBatch; n++ {
		st.Scanned++
		if _, live := m.marked[Hash(k)]; !live {
			garbage = append(garbage, Hash(k))
		}
		last = k
		k, _ = c.Next()
	}
	end := k == nil
	if last != nil {
		last = bytes.Clone(last)
	}
	s.mu.Lock()
	kept := garbage[:0]
	for _, h := range garbage {
		if _, p := run.protected[h]; !p {
			kept = append(kept, h)
		}
	}
	s.mu.Unlock()
	for _, h := range kept {
		if err := deleteBlock(tx, h); err != nil {
			return nil, false, err
		}
		if err := deleteMeta(tx, h); err != nil {
			return nil, false, err
		}
	}
	st.Removed += len(kept)
	if last == nil {
		return after, true, nil
	}
	return last, end, nil
}
