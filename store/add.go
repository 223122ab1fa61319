package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testHookBatchCommitted, if set, is called after each AddFile transaction commits (tests use it
// to kill a process at a known point).
var testHookBatchCommitted func()

// treeBuilder builds a file's link tree bottom-up as data block hashes stream in. Level i holds
// the nodes waiting to become children of a level i+1 link block; a link block is emitted as
// soon as it has FanOut children, and finish emits the short ones on the right edge.
type treeBuilder struct {
	pending [][]Hash
	sizes   []uint64
	count   []uint64 // nodes ever added to each level
	emitted []Block  // link blocks not yet taken by the caller
	links   uint64
}

func (t *treeBuilder) add(level int, h Hash, size uint64) {
	for len(t.pending) <= level {
		t.pending = append(t.pending, make([]Hash, 0, FanOut))
		t.sizes = append(t.sizes, 0)
		t.count = append(t.count, 0)
	}
	t.pending[level] = append(t.pending[level], h)
	t.sizes[level] += size
	t.count[level]++
	if len(t.pending[level]) == FanOut {
		t.emit(level)
	}
}

// emit turns the pending nodes of level into one link block of level+1.
func (t *treeBuilder) emit(level int) {
	l := Link{Level: level + 1, Size: t.sizes[level], Children: t.pending[level]}
	b := l.Encode()
	h := Sum(b)
	t.emitted = append(t.emitted, Block{Hash: h, Data: b})
	t.links++
	size := t.sizes[level]
	t.pending[level], t.sizes[level] = t.pending[level][:0], 0
	t.add(level+1, h, size)
}

// finish emits the right edge and returns the root: the single node of the first level >= 1
// that has exactly one node. At least one data block must have been added.
func (t *treeBuilder) finish() Hash {
	for i := 0; ; i++ {
		if i >= 1 && t.count[i] == 1 {
			return t.pending[i][0]
		}
		if len(t.pending[i]) > 0 {
			t.emit(i)
		}
	}
}

// take returns and clears the emitted link blocks.
func (t *treeBuilder) take() []Block {
	e := t.emitted
	t.emitted = nil
	return e
}

// addBatch is one transaction's worth of AddFile's blocks.
type addBatch struct {
	blocks []Block
	bufs   [][]byte  // pool buffers to give back after the commit
	file   *FileInfo // the file record, in the last batch
}

// addWriter commits AddFile's batches on its own goroutine while the caller reads and hashes
// the next batch. Buffers come from a fixed pool, which bounds memory to about two batches.
type addWriter struct {
	s       *Store
	pins    *pinSet
	in      chan *addBatch
	free    chan []byte
	made    int
	maxBufs int
	failed  chan struct{} // closed when a commit fails
	err     error         // set before failed is closed
	done    sync.WaitGroup
}

func (s *Store) startAddWriter(pins *pinSet) *addWriter {
	per := max(1, s.opts.BatchBytes/BlockSize)
	w := &addWriter{
		s: s, pins: pins,
		in:      make(chan *addBatch),
		maxBufs: 2*per + 1,
		failed:  make(chan struct{}),
	}
	w.free = make(chan []byte, w.maxBufs)
	w.done.Add(1)
	go w.run()
	return w
}

func (w *addWriter) run() {
	defer w.done.Done()
	for b := range w.in {
		if w.err == nil {
			if err := w.s.commitBatch(w.pins, b); err != nil {
				w.err = err
				close(w.failed)
			} else {
				w.s.dropMapped()
			}
		}
		for _, buf := range b.bufs {
			w.free <- buf
		}
	}
}

// buf returns a pool buffer of BlockSize bytes, waiting for the writer to give one back when
// all are in use.
func (w *addWriter) buf() ([]byte, error) {
	select {
	case b := <-w.free:
		return b, nil
	default:
	}
	if w.made < w.maxBufs {
		w.made++
		return make([]byte, BlockSize), nil
	}
	select {
	case b := <-w.free:
		return b, nil
	case <-w.failed:
		return nil, w.err
	}
}

// send hands a batch to the writer.
func (w *addWriter) send(b *addBatch) error {
	select {
	case w.in <- b:
		return nil
	case <-w.failed:
		return w.err
	}
}

// close stops the writer after the batches sent so far and returns the first commit error.
func (w *addWriter) close() error {
	close(w.in)
	w.done.Wait()
	return w.err
}

// commitBatch writes a batch's blocks (those not stored yet) and its file record in one
// transaction. The hashes are pinned before the transaction so a concurrent collection keeps
// them.
func (s *Store) commitBatch(pins *pinSet, b *addBatch) error {
	hs := make([]Hash, len(b.blocks))
	for i, bl := range b.blocks {
		hs[i] = bl.Hash
	}
	s.protect(pins, hs...)
	if b.file != nil {
		s.noteRoot(b.file.FileHash)
	}
	err := s.update(func(tx *bolt.Tx) error {
		bp := newBlockPutter(tx)
		for _, bl := range b.blocks {
			if err := bp.put(bl.Hash, bl.Data); err != nil {
				return err
			}
		}
		if b.file != nil {
			return putFile(tx, *b.file)
		}
		return nil
	})
	if err != nil {
		return putFailed(err, "commit %d blocks", len(b.blocks))
	}
	if testHookBatchCommitted != nil {
		testHookBatchCommitted()
	}
	return nil
}

// AddFile implements FS.
func (s *Store) AddFile(ctx context.Context, r io.Reader, opts AddOptions) (FileInfo, error) {
	if s.isClosed() {
		return FileInfo{}, putFailed(ErrClosed, "add file")
	}
	if len(opts.Password) > 0 {
		er, err := NewEncryptReader(r, opts.Password)
		if err != nil {
			return FileInfo{}, fmt.Errorf("add file: %w", err)
		}
		r = er
	}
	pins := s.newPins()
	defer s.releasePins(pins)
	w := s.startAddWriter(pins)
	fi, err := s.chunk(ctx, r, w, opts)
	if cerr := w.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FileInfo{}, fmt.Errorf("add file: %w", err)
	}
	return fi, nil
}

// chunk reads r block by block, hashes each block, builds the tree and sends batches to w. The
// last batch carries the file record.
func (s *Store) chunk(ctx context.Context, r io.Reader, w *addWriter, opts AddOptions) (FileInfo, error) {
	var (
		tree  treeBuilder
		mk    Merkle
		size  uint64
		cur   = &addBatch{}
		bytes int
	)
	for {
		if err := ctx.Err(); err != nil {
			return FileInfo{}, err
		}
		buf, err := w.buf()
		if err != nil {
			return FileInfo{}, err
		}
		n, err := readBlock(r, buf)
		if err != nil {
			return FileInfo{}, fmt.Errorf("read: %w", err)
		}
		last := n < len(buf)
		if n == 0 && mk.Len() > 0 {
			w.free <- buf
			break
		}
		h := Sum(buf[:n])
		mk.Add(h)
		size += uint64(n)
		tree.add(0, h, uint64(n))
		cur.blocks = append(cur.blocks, Block{Hash: h, Data: buf[:n]})
		cur.blocks = append(cur.blocks, tree.take()...)
		cur.bufs = append(cur.bufs, buf)
		bytes += n
		if last {
			break
		}
		if bytes >= s.opts.BatchBytes {
			if err := w.send(cur); err != nil {
				return FileInfo{}, err
			}
			cur, bytes = &addBatch{}, 0
		}
	}
	root := tree.finish()
	cur.blocks = append(cur.blocks, tree.take()...)
	fi := FileInfo{
		FileHash:   root,
		BlocksRoot: mk.Root(),
		Size:       size,
		Blocks:     mk.Len(),
		LinkBlocks: tree.links,
		State:      StateComplete,
		Name:       opts.Name,
		Encrypted:  len(opts.Password) > 0,
		Added:      time.Now().UTC().Truncate(time.Second),
	}
	cur.file = &fi
	if err := w.send(cur); err != nil {
		return FileInfo{}, err
	}
	return fi, nil
}

// readBlock fills buf from r and returns how many bytes it read: fewer than len(buf) only at
// the end of r. Any error but io.EOF is returned (io.ErrUnexpectedEOF included: it means the
// source was cut short).
func readBlock(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// PutBlock implements FS.
func (s *Store) PutBlock(ctx context.Context, hash Hash, data []byte) error {
	return s.PutBlocks(ctx, []Block{{Hash: hash, Data: data}})
}

// PutBlocks implements FS.
func (s *Store) PutBlocks(ctx context.Context, blocks []Block) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, b := range blocks {
		if len(b.Data) > MaxBlockSize {
			return putFailed(ErrBlockTooLarge, "put block %s: %d bytes", b.Hash, len(b.Data))
		}
		if Sum(b.Data) != b.Hash {
			return putFailed(ErrHashMismatch, "put block %s", b.Hash)
		}
	}
	return s.putGrouped(blocks)
}

// PutChecked implements FS.
func (s *Store) PutChecked(ctx context.Context, blocks []Checked) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	bs := make([]Block, len(blocks))
	for i, c := range blocks {
		if c.hash.IsZero() {
			return putFailed(ErrHashMismatch, "put block: a Checked not made by Check")
		}
		bs[i] = Block{Hash: c.hash, Data: c.data}
	}
	return s.putGrouped(bs)
}
