package fs

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"dsp/keys"
	"dsp/node"
	"dsp/status"
	"dsp/store"
)

// UploadOptions tune Upload.
type UploadOptions struct {
	// StoreTx is the hash of the StoreFile transaction, carried in the upload-ask.
	StoreTx []byte
	// Cache is how many blocks read from the store are kept for the other nodes (default 32): a
	// node that falls further behind the fastest reads its blocks from the store again rather than
	// stalling the others.
	Cache int
	// FlightBlocks is how many blocks go in one BlockFlights (default 4).
	FlightBlocks int
	// Timeout bounds each wait for a node within a session (default 60 s).
	Timeout time.Duration
	// OnProgress, if set, is called (from the sessions' goroutines, concurrently) whenever a
	// node's numbers change. It must not block.
	OnProgress func(NodeProgress)
	// ProverKey returns the owner's PDP public key and encoded prover key, sent to a node whose
	// upload-ack asks for it (NeedProverKey). It may be called from several sessions at once.
	// The file's tags must be in the store (StoreTags): every data block is sent with its tag.
	ProverKey func() (pub, key []byte, err error)
}

// NodeProgress is where the upload to one node stands.
type NodeProgress struct {
	Node      keys.Address
	Needed    int    // blocks the node's breakpoint asked for
	Sent      int    // blocks sent in this session
	SentBytes uint64 // block bytes sent in this session
	Held      uint64 // blocks the node reported holding
	Total     uint64 // blocks of the file
	Done      bool   // the node holds the file (and confirmed it, if primary)
	TxHash    []byte // its ConfirmFile transaction, if it sent one
	Err       error  // why the session failed
}

// Upload sends the file root, held complete in st, to every peer at once: each block is read
// from the store once and written to every node that needs it (a node too far behind re-reads),
// each node gets only what its breakpoint lacks, and each session ends when the node reports
// that it holds the file. It returns one result per peer, in order; Upload itself fails only if
// the file's tree cannot be read.
func Upload(ctx context.Context, h *node.Host, st store.FS, root store.Hash, peers []*node.Peer, opts UploadOptions) ([]NodeProgress, error) {
	if opts.Cache <= 0 {
		opts.Cache = 32
	}
	if opts.FlightBlocks <= 0 {
		opts.FlightBlocks = 4
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	fi, err := st.File(ctx, root)
	if err != nil {
		return nil, err
	}
	tree, err := Tree(ctx, st, root)
	if err != nil {
		return nil, err
	}
	distinct := map[store.Hash]bool{}
	for _, n := range tree {
		if !n.Held {
			return nil, fmt.Errorf("upload %s: %w", root, store.ErrFileIncomplete)
		}
		distinct[n.Hash] = true
	}
	cache := &blockCache{st: st, tree: tree, max: opts.Cache, entries: map[int]*cacheEntry{}}
	out := make([]NodeProgress, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &upSender{h: h, p: p, root: root, tree: tree, cache: cache, opts: opts,
				ask: &File{SessionID: NewSessionID(), Hash: root[:], Operation: int32(OpUploadAsk), ChunkSize: store.BlockSize,
					Tx: opts.StoreTx, TotalBlockCount: uint64(len(distinct)), BlocksRoot: fi.BlocksRoot[:], Size: fi.Size}}
			s.np.Node, s.np.Total = p.Account(), uint64(len(distinct))
			s.run(ctx)
			out[i] = s.snapshot()
		}()
	}
	wg.Wait()
	return out, nil
}

// cacheReads counts the block reads of every blockCache (tests look at it).
var cacheReads atomic.Uint64

// upSender is the sending side of one upload session.
type upSender struct {
	h     *node.Host
	p     *node.Peer
	root  store.Hash
	tree  []TreeNode
	cache *blockCache
	opts  UploadOptions
	ask   *File

	mu sync.Mutex
	np NodeProgress
}

func (s *upSender) snapshot() NodeProgress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.np
}

func (s *upSender) update(f func(*NodeProgress)) {
	s.mu.Lock()
	f(&s.np)
	np := s.np
	s.mu.Unlock()
	if s.opts.OnProgress != nil {
		s.opts.OnProgress(np)
	}
}

func (s *upSender) run(ctx context.Context) {
	if err := s.session(ctx); err != nil {
		s.update(func(np *NodeProgress) { np.Err = err })
	}
}

func (s *upSender) session(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c, ack, err := handshake(ctx, s.h, s.p, ProtoUpload, s.ask, OpUploadAck, s.opts.Timeout)
	if err != nil {
		return err
	}
	defer c.close()
	stop := context.AfterFunc(ctx, func() { c.close() })
	defer stop()
	if ack.NeedProverKey {
		if err := s.sendProverKey(c); err != nil {
			return err
		}
	}
	needed := Needed(s.tree, ack.Breakpoint)
	if ack.Breakpoint != nil {
		s.update(func(np *NodeProgress) { np.Needed, np.Held = len(needed), ack.Breakpoint.Held })
	}
	final := make(chan error, 1)
	go func() { final <- s.readProgress(c) }()
	sendErr := s.send(ctx, c, ack.Breakpoint, needed)
	if sendErr != nil {
		c.close()
		<-final
		return sendErr
	}
	select {
	case err := <-final:
		return err
	case <-ctx.Done():
		c.close()
		<-final
		return ctx.Err()
	}
}

// sendProverKey sends the owner's prover key the node asked for.
func (s *upSender) sendProverKey(c *conn) error {
	if s.opts.ProverKey == nil {
		return status.New(status.TaskGetPdpParamsError, "%s asks for the prover key of %s and the upload has none", s.p.Account(), s.root)
	}
	pub, key, err := s.opts.ProverKey()
	if err != nil {
		return status.Wrap(status.TaskGetPdpParamsError, err, "prover key for %s", s.p.Account())
	}
	if err := c.send(&ProverKey{Pub: pub, Key: key}); err != nil {
		return status.Wrap(status.TaskFsPutBlockFailed, err, "send prover key to %s", s.p.Account())
	}
	// The node answers with a Progress once it checked the key (or with its refusal).
	v, err := c.recv(s.opts.Timeout)
	if err != nil {
		return status.Wrap(status.TaskGetPdpParamsError, err, "prover key to %s", s.p.Account())
	}
	pr, ok := v.(*Progress)
	if !ok {
		return status.Wrap(status.InvalidParams, ErrMalformed, "%T from %s after the prover key", v, s.p.Account())
	}
	if pr.Code != 0 {
		return &status.Error{Code: pr.Code, Name: codeName(pr.Code), Msg: fmt.Sprintf("%s: %s", s.p.Account(), pr.Msg)}
	}
	return nil
}

// send writes the tags of the data blocks it will not send, then the needed blocks in flights,
// each data block with its tag. A node that holds the whole file with its tags gets nothing.
func (s *upSender) send(ctx context.Context, c *conn, bp *Breakpoint, needed []int) error {
	if bp == nil || bp.Complete {
		return nil
	}
	tags := NewTagReader(s.cache.st, s.root)
	if err := s.sendTagsOnly(ctx, c, tags, needed); err != nil {
		return err
	}
	flight := make([]Block, 0, s.opts.FlightBlocks)
	var fb uint64
	flush := func() error {
		if len(flight) == 0 {
			return nil
		}
		if err := c.send(&BlockFlights{TimeStamp: time.Now().UnixNano(), Blocks: flight}); err != nil {
			return status.Wrap(status.TaskFsPutBlockFailed, err, "send blocks of %s to %s", s.root, s.p.Account())
		}
		n := len(flight)
		s.update(func(np *NodeProgress) { np.Sent += n; np.SentBytes += fb })
		flight, fb = flight[:0], 0
		return nil
	}
	blocks, stop := s.readAhead(ctx, needed)
	defer stop()
	for _, pos := range needed {
		r := <-blocks
		data, err := r.data, r.err
		if err != nil {
			return status.Wrap(status.TaskGetAllBlockError, err, "read block of %s", s.root)
		}
		n := s.tree[pos]
		idx := n.Index
		if n.Level != 0 {
			idx = LinkIndex
		}
		b := Block{Index: idx, Hash: n.Hash[:], Data: data}
		if n.Level == 0 {
			if b.Tag, err = tags.Tag(ctx, idx); err != nil {
				return status.Wrap(status.TaskGetPdpParamsError, err, "upload %s", s.root)
			}
		}
		flight = append(flight, b)
		fb += uint64(len(data))
		if len(flight) == s.opts.FlightBlocks {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// readAhead is how many blocks a session reads from the store ahead of the one it sends.
const readAhead = 8

// aheadBlock is a block read ahead, or why it could not be read.
type aheadBlock struct {
	data []byte
	err  error
}

// readAhead reads the blocks at positions needed, in order, into the returned channel, up to
// readAhead of them before they are taken, so the store and the network work at once. It stops
// after the first error (which it delivers) or when stop is called; stop waits for it.
func (s *upSender) readAhead(ctx context.Context, needed []int) (<-chan aheadBlock, func()) {
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan aheadBlock, readAhead)
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, pos := range needed {
			data, err := s.cache.get(ctx, pos)
			select {
			case out <- aheadBlock{data, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	})
	return out, func() { cancel(); wg.Wait() }
}

// sendTagsOnly sends, before any block, the tags of the data blocks the session will not send
// (held by the node already, or repeated in the file) as blocks without data.
func (s *upSender) sendTagsOnly(ctx context.Context, c *conn, tags *TagReader, needed []int) error {
	sent := make(map[int]bool, len(needed))
	for _, pos := range needed {
		sent[pos] = true
	}
	var only []Block
	for pos, n := range s.tree {
		if n.Level != 0 || sent[pos] {
			continue
		}
		t, err := tags.Tag(ctx, n.Index)
		if err != nil {
			return status.Wrap(status.TaskGetPdpParamsError, err, "upload %s", s.root)
		}
		only = append(only, Block{Index: n.Index, Hash: n.Hash[:], Tag: t})
		if len(only) == 1024 {
			if err := c.send(&BlockFlights{TimeStamp: time.Now().UnixNano(), Blocks: only}); err != nil {
				return status.Wrap(status.TaskFsPutBlockFailed, err, "send tags of %s to %s", s.root, s.p.Account())
			}
			only = nil
		}
	}
	if len(only) > 0 {
		if err := c.send(&BlockFlights{TimeStamp: time.Now().UnixNano(), Blocks: only}); err != nil {
			return status.Wrap(status.TaskFsPutBlockFailed, err, "send tags of %s to %s", s.root, s.p.Account())
		}
	}
	return nil
}

// readProgress reads the node's Progress reports until the last one.
func (s *upSender) readProgress(c *conn) error {
	for {
		v, err := c.recv(0)
		if err != nil {
			return status.Wrap(status.TaskFsPutBlockFailed, err, "upload of %s to %s", s.root, s.p.Account())
		}
		pr, ok := v.(*Progress)
		if !ok {
			return status.Wrap(status.InvalidParams, ErrMalformed, "%T from %s in an upload session", v, s.p.Account())
		}
		if pr.Code != 0 {
			return &status.Error{Code: pr.Code, Name: codeName(pr.Code), Msg: fmt.Sprintf("%s: %s", s.p.Account(), pr.Msg)}
		}
		s.update(func(np *NodeProgress) {
			if len(pr.Infos) > 0 {
				np.Held = pr.Infos[0].Held
			}
			if pr.Done {
				np.Done, np.TxHash = true, pr.TxHash
			}
		})
		if pr.Done {
			return nil
		}
	}
}

// blockCache shares block reads between the sessions of one upload: the blocks most recently
// read, at most max of them, by position in the tree.
type blockCache struct {
	st   store.FS
	tree []TreeNode

	mu      sync.Mutex
	max     int
	entries map[int]*cacheEntry
}

// unverifiedReader is a store that can read a block without hashing it (store.Store).
type unverifiedReader interface {
	AppendBlockUnverified(ctx context.Context, dst []byte, hash store.Hash) ([]byte, error)
}

type cacheEntry struct {
	ready chan struct{}
	data  []byte
	err   error
}

// get returns the block at pos, reading it once for every session within reach. Callers must not
// modify the returned bytes.
func (bc *blockCache) get(ctx context.Context, pos int) ([]byte, error) {
	bc.mu.Lock()
	if e, ok := bc.entries[pos]; ok {
		bc.mu.Unlock()
		select {
		case <-e.ready:
			return e.data, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	lowest, cache := -1, true
	if len(bc.entries) >= bc.max {
		for p, e := range bc.entries {
			select {
			case <-e.ready:
				if lowest < 0 || p < lowest {
					lowest = p
				}
			default:
			}
		}
		switch {
		case lowest < 0 || pos < lowest:
			cache = false // a session far behind: read for it alone
		default:
			delete(bc.entries, lowest)
		}
	}
	e := &cacheEntry{ready: make(chan struct{})}
	if cache {
		bc.entries[pos] = e
	}
	bc.mu.Unlock()
	cacheReads.Add(1)
	if u, ok := bc.st.(unverifiedReader); ok {
		// Every node checks each block against its hash on arrival and refuses a bad one.
		e.data, e.err = u.AppendBlockUnverified(ctx, nil, bc.tree[pos].Hash)
	} else {
		e.data, e.err = bc.st.GetBlock(ctx, bc.tree[pos].Hash)
	}
	if e.err != nil && cache {
		bc.mu.Lock()
		delete(bc.entries, pos)
		bc.mu.Unlock()
	}
	close(e.ready)
	return e.data, e.err
}
