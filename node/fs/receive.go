package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/pdp"
	"dsp/status"
	"dsp/store"
)

// receiveUpload serves one upload session (ProtoUpload) on a storage node: handshake, breakpoint,
// blocks, progress, confirmation. See docs/protocol.md, "FS messages".
func (s *Service) receiveUpload(st *node.Stream) {
	c, ctx, ask, end := s.openSession(st, OpUploadAsk, "an upload session begins with an upload-ask")
	defer end()
	if ask == nil {
		return
	}
	primary, fi, code, err := s.admitUpload(ctx, ask)
	if err != nil {
		s.refuse(c, ask, code, "%v", err)
		return
	}
	pub, err := pdp.DecodePublicKey(fi.FileProveParam)
	if err != nil {
		s.refuse(c, ask, status.TaskGetPdpParamsError, "file %x: prove param: %v", ask.Hash, err)
		return
	}
	pk, err := s.keys.get(pub)
	if err != nil {
		s.log.Info("stored prover key unusable", "err", err)
		pk = nil
	}
	root := store.Hash(ask.Hash)
	if err := s.cfg.Store.BeginReceive(ctx, root); err != nil {
		s.refuse(c, ask, status.TaskFsPutBlockFailed, "%v", err)
		return
	}
	rs, err := newReceiveState(ctx, s.cfg.Store, root)
	if err != nil {
		s.refuse(c, ask, status.TaskFsPutBlockFailed, "%v", err)
		return
	}
	// A file held complete with its tags (checked when they were stored) needs nothing; one held
	// complete without them needs every tag again (the breakpoint then lists nothing, and is not
	// complete).
	tagged := rs.complete() && HasTags(ctx, s.cfg.Store, root, fi.FileBlockNum)
	bp := rs.breakpoint()
	bp.Complete = tagged
	ack := &File{SessionID: ask.SessionID, Hash: ask.Hash, Operation: int32(OpUploadAck), ChunkSize: store.BlockSize,
		Breakpoint: bp, ChainInfo: s.chain(ctx), NeedProverKey: pk == nil}
	if err := c.send(ack); err != nil {
		return
	}
	sess := &upSession{s: s, c: c, ask: ask, rs: rs, root: root, held: len(rs.held)}
	if pk == nil {
		if pk, err = sess.recvProverKey(pub); err != nil {
			sess.fail(err)
			return
		}
		if err := sess.progress(false, nil); err != nil {
			return
		}
	}
	if !tagged {
		sess.tags = newTagState(pub, pk, root, fi.FileBlockNum)
	}
	if err := sess.receive(ctx); err != nil {
		sess.fail(err)
		return
	}
	if err := sess.finish(ctx, primary); err != nil {
		sess.fail(err)
		return
	}
	drain(c, 5*time.Second)
}

// admitUpload checks an upload-ask against the ledger and the node's capacity. It reports whether
// this node is a primary node of the file (candidates store without a contract) and returns the
// file's ledger record.
func (s *Service) admitUpload(ctx context.Context, ask *File) (bool, *ledger.FileInfo, status.Code, error) {
	if len(ask.Hash) != store.HashSize {
		return false, nil, status.InvalidParams, fmt.Errorf("%w: file hash of %d bytes", ErrMalformed, len(ask.Hash))
	}
	fi, err := s.cfg.Ledger.FileInfo(ctx, ask.Hash)
	if err != nil {
		if status.CodeOf(err, 0) == status.DspFileInfoNotFound.Num() {
			return false, nil, status.TaskFileNotFoundFromChain, fmt.Errorf("file %x is not on the ledger", ask.Hash)
		}
		return false, nil, status.TaskChainError, err
	}
	me := s.cfg.Key.Public().Address()
	primary := slices.Contains(fi.PrimaryNodes, me)
	if !primary && !slices.Contains(fi.CandidateNodes, me) {
		return false, nil, status.TaskReceiversRejected, fmt.Errorf("file %x names other nodes", ask.Hash)
	}
	if fi.FileBlockNum == 0 || fi.FileBlockNum > maxFileBlocks {
		return false, nil, status.InvalidParams, fmt.Errorf("file %x: %d blocks on the ledger", ask.Hash, fi.FileBlockNum)
	}
	if s.cfg.Capacity > 0 {
		used, err := s.usedBytes(ctx, store.Hash(ask.Hash))
		if err != nil {
			return false, nil, status.TaskInternalError, err
		}
		if used+fi.RealFileSize > s.cfg.Capacity {
			return false, nil, status.TaskReceiversRejected, fmt.Errorf("node has %d of %d bytes used, file is %d", used, s.cfg.Capacity, fi.RealFileSize)
		}
	}
	return primary, fi, nil, nil
}

// maxFileBlocks bounds the data blocks of a file a node takes (its tags are kept in memory during
// an upload: 48 bytes each, 192 MiB at this bound of 1 PiB of data).
const maxFileBlocks = 1 << 32

// usedBytes sums the sizes of the files stored, except skip.
func (s *Service) usedBytes(ctx context.Context, skip store.Hash) (uint64, error) {
	files, err := s.cfg.Store.Files(ctx)
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, f := range files {
		if f.FileHash != skip {
			n += f.Size
		}
	}
	return n, nil
}

// upSession is the receiving side of one upload.
type upSession struct {
	s    *Service
	c    *conn
	ask  *File
	rs   *receiveState
	root store.Hash
	tags *tagState

	mu     sync.Mutex // guards blocks and bytes, written by the writer
	blocks int
	bytes  uint64
	held   int // blocks held when the last Progress was built
}

// progress reports what the node holds: the blocks held when the session began plus those
// stored since.
func (u *upSession) progress(done bool, tx []byte) error {
	u.mu.Lock()
	held, bytes := u.held+u.blocks, u.bytes
	u.mu.Unlock()
	return u.c.send(&Progress{ID: u.ask.SessionID, Hash: u.ask.Hash, Operation: int32(OpUploadStatus),
		Sender: u.s.cfg.Key.Public().Address().String(), Done: done, TxHash: tx,
		Infos: []ProgressInfo{{NodeAddr: u.s.cfg.Key.Public().Address().String(), Held: uint64(held),
			Total: u.ask.TotalBlockCount, Bytes: bytes}}})
}

// fail reports err to the uploader as a Progress with its code.
func (u *upSession) fail(err error) {
	u.s.log.Info("fs upload session failed", "peer", u.c.s.Peer().Account(), "file", u.root, "err", err)
	_ = u.c.send(&Progress{ID: u.ask.SessionID, Hash: u.ask.Hash, Operation: int32(OpUploadStatus),
		Sender: u.s.cfg.Key.Public().Address().String(), Code: status.CodeOf(err, status.TaskFsPutBlockFailed.Num()), Msg: err.Error()})
}

// receive stores flights until every block of the file is held. Blocks are checked as they are
// read and written by a second goroutine, in batches of whatever has arrived meanwhile (up to
// writeBatch bytes a transaction), so the network and the disk work at once. Flights are decoded
// into buffers the writer gives back once their blocks are stored.
func (u *upSession) receive(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan inFlight, 8)
	free := make(chan *BlockFlights, flightBuffers)
	werr := make(chan error, 1)
	go func() { werr <- u.write(ctx, batches, free) }()
	err := u.read(ctx, batches, free)
	close(batches)
	if err != nil {
		cancel()
		<-werr
		return err
	}
	return <-werr
}

// writeBatch bounds the block bytes of one store transaction of an upload session.
const writeBatch = 8 << 20

// flightBuffers bounds the decoded flights an upload session keeps for reuse: those in the
// batches queue and the writer's batch, so a session decodes into memory it already has.
const flightBuffers = 16

// inBlock is a received block, checked against its hash, on its way to the writer, with its PDP
// tag if it is a data block.
type inBlock struct {
	store.Checked
	index uint64
	tag   []byte
	data  bool // a data block (level 0)
}

// inFlight is the blocks of one flight to store, and the decoded flight that holds their bytes.
type inFlight struct {
	blocks []inBlock
	fl     *BlockFlights
}

// read checks the flights as they arrive and hands their blocks to write, decoding each flight
// into one that write gave back (free) when there is one. Tags without data are recorded at once.
func (u *upSession) read(ctx context.Context, batches chan<- inFlight, free <-chan *BlockFlights) error {
	for !u.rs.complete() || (u.tags != nil && !u.tags.all()) {
		var fl *BlockFlights
		select {
		case fl = <-free:
		default:
			fl = new(BlockFlights)
		}
		if err := u.recvFlight(fl); err != nil {
			return err
		}
		batch := make([]inBlock, 0, len(fl.Blocks))
		for i := range fl.Blocks {
			fb := &fl.Blocks[i]
			if fb.Index != LinkIndex && u.tags != nil {
				// Every data block index comes with its tag, with the block or alone.
				if err := u.tags.record(fb.Index, fb.Tag); err != nil {
					return status.Wrap(status.TaskFileUploadedCheckPdpFailed, err, "upload of %s", u.root)
				}
			}
			if len(fb.Data) == 0 {
				if fb.Index == LinkIndex {
					return status.Wrap(status.InvalidParams, ErrMalformed, "upload of %s: block %x without data", u.root, fb.Hash)
				}
				continue
			}
			b, level, err := u.rs.accept(fb)
			if err != nil {
				return status.Wrap(status.TaskFsPutBlockFailed, err, "upload of %s", u.root)
			}
			if b.Data == nil {
				continue
			}
			// Hashed here, beside the writer's commits, which then store it without hashing.
			c, err := store.Check(b.Hash, b.Data)
			if err != nil {
				return status.Wrap(status.TaskFsPutBlockFailed, err, "upload of %s", u.root)
			}
			// A link block's children are expected from the next block on, even in this flight.
			if err := u.rs.stored(ctx, b, level); err != nil {
				return status.Wrap(status.TaskFsPutBlockFailed, err, "upload of %s", u.root)
			}
			ib := inBlock{Checked: c, index: fb.Index, tag: fb.Tag, data: level == 0}
			batch = append(batch, ib)
		}
		select {
		case batches <- inFlight{blocks: batch, fl: fl}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// recvFlight reads the next message, which must be a BlockFlights, into fl, within the session
// timeout.
func (u *upSession) recvFlight(fl *BlockFlights) error {
	if t := u.s.cfg.SessionTimeout; t > 0 {
		u.c.s.SetReadDeadline(time.Now().Add(t))
		defer u.c.s.SetReadDeadline(time.Time{})
	}
	if err := u.c.recvInto(fl); err != nil {
		if errors.Is(err, ErrMalformed) {
			return status.Wrap(status.InvalidParams, err, "upload of %s: a message other than blocks", u.root)
		}
		return status.Wrap(status.TaskFsPutBlockFailed, err, "receive blocks of %s", u.root)
	}
	return nil
}

// write stores the batches, merging those waiting, while a second goroutine folds their data
// blocks into the tag check; it reports progress and gives each flight back to free once both
// are done with its bytes.
func (u *upSession) write(ctx context.Context, batches <-chan inFlight, free chan<- *BlockFlights) error {
	last, failed := 0, error(nil)
	var flights []*BlockFlights
	for in := range batches {
		b, n := in.blocks, 0
		flights = append(flights[:0], in.fl)
		for _, x := range b {
			n += len(x.Data())
		}
	merge:
		for n < writeBatch {
			select {
			case more, ok := <-batches:
				if !ok {
					break merge
				}
				b = append(b, more.blocks...)
				flights = append(flights, more.fl)
				for _, x := range more.blocks {
					n += len(x.Data())
				}
			default:
				break merge
			}
		}
		if failed == nil {
			failed = u.storeBatch(ctx, b)
		}
		if failed == nil {
			u.mu.Lock()
			u.bytes += uint64(n)
			u.blocks += len(b)
			held := u.blocks
			u.mu.Unlock()
			u.s.received.Add(uint64(len(b)))
			if f := u.s.cfg.Faults.Stored; f != nil {
				f(u.root, held)
			}
			if held-last >= u.s.cfg.ProgressEvery {
				last = held
				failed = u.progress(false, nil)
			}
		}
		for _, fl := range flights {
			select {
			case free <- fl:
			default:
			}
		}
		clear(flights)
	}
	return failed
}

// storeBatch writes one batch of blocks and folds its data blocks into the tag check, the two at once.
func (u *upSession) storeBatch(ctx context.Context, b []inBlock) error {
	blocks := make([]store.Checked, 0, len(b))
	var tagged []inBlock
	for i := range b {
		blocks = append(blocks, b[i].Checked)
		if b[i].data && u.tags != nil {
			tagged = append(tagged, b[i])
		}
	}
	var tagErr error
	var wg sync.WaitGroup
	if len(tagged) > 0 {
		wg.Go(func() {
			for _, x := range tagged {
				if err := u.tags.add(x.index, x.Hash(), x.Data(), x.tag); err != nil {
					tagErr = status.Wrap(status.TaskFileUploadedCheckPdpFailed, err, "upload of %s", u.root)
					return
				}
			}
		})
	}
	err := u.s.cfg.Store.PutChecked(ctx, blocks)
	wg.Wait()
	if err != nil {
		return err
	}
	return tagErr
}

// finish validates the complete file, marks it stored for the ledger, confirms it (primary
// nodes with a pending contract) and sends the last Progress.
func (u *upSession) finish(ctx context.Context, primary bool) error {
	missing, err := u.s.cfg.Store.Missing(ctx, u.root)
	if err != nil {
		return status.Wrap(status.TaskFsPutBlockFailed, err, "complete %s", u.root)
	}
	if len(missing) > 0 {
		return status.New(status.TaskFsPutBlockFailed, "file %s still misses %d blocks", u.root, len(missing))
	}
	if u.tags != nil {
		if err := u.tags.finish(ctx, u.s.cfg.Store); err != nil {
			u.s.dropUnproven(ctx, u.root)
			return err
		}
	}
	if err := u.s.cfg.Store.PutBlockMeta(ctx, u.root, metaStored, []byte{1}); err != nil {
		return err
	}
	var tx []byte
	if primary {
		h, err := u.s.confirm(ctx, u.root)
		if err != nil {
			return err
		}
		tx = h
	}
	u.s.prover.kick()
	return u.progress(true, tx)
}

// recvProverKey reads the ProverKey the upload-ack asked for and checks it against pub.
func (u *upSession) recvProverKey(pub *pdp.PublicKey) (*pdp.ProverKey, error) {
	v, err := u.c.recv(u.s.cfg.SessionTimeout)
	if err != nil {
		return nil, status.Wrap(status.TaskGetPdpParamsError, err, "prover key for %s", u.root)
	}
	m, ok := v.(*ProverKey)
	if !ok {
		return nil, status.Wrap(status.TaskGetPdpParamsError, ErrMalformed, "%T instead of the prover key for %s", v, u.root)
	}
	if !bytes.Equal(m.Pub, pub.Bytes()) {
		return nil, status.New(status.TaskGetPdpParamsError, "prover key for another public key than %s's", u.root)
	}
	return u.s.keys.add(pub, m.Key)
}

// dropUnproven forgets a file whose upload was refused for its tags, unless the node already
// stores it for the ledger: its blocks go at the next garbage collection.
func (s *Service) dropUnproven(ctx context.Context, root store.Hash) {
	if _, err := s.cfg.Store.GetBlockMeta(ctx, root, metaStored); err == nil {
		return
	}
	if err := s.cfg.Store.DeleteFile(ctx, root); err != nil {
		s.log.Info("drop refused upload", "file", root, "err", err)
	}
}

// confirm sends ConfirmFile if this node's contract for the file is not confirmed yet; it returns
// the transaction hash (nil when the contract was already confirmed). Confirmations of one file
// run one at a time, so the upload session and the prover loop never race each other; and a
// refused ConfirmFile that finds the contract confirmed after all (another process's, or a
// confirmation whose wait gave up) counts as done.
func (s *Service) confirm(ctx context.Context, root store.Hash) ([]byte, error) {
	v, _ := s.confirming.LoadOrStore(root, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()

	c, err := s.contract(ctx, root)
	if err != nil {
		return nil, err
	}
	switch {
	case confirmed(c):
		return nil, nil
	case c.State == ledger.ContractEnded:
		return nil, status.New(status.TaskFileUploadedCheckPdpFailed, "contract of %s for %s ended", c.Node, root)
	}
	r, err := s.txs.Send(ctx, &ledger.ConfirmFile{FileHash: root[:]})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		if c, cerr := s.contract(ctx, root); cerr == nil && confirmed(c) {
			return nil, nil
		}
		return nil, status.Wrap(status.TaskFileUploadedCheckPdpFailed, err, "confirm %s", root)
	}
	s.confirmed.Add(1)
	if s.cfg.Announce != nil {
		if err := s.cfg.Announce(ctx, root); err != nil {
			s.log.Info("announce to scan failed", "file", root, "err", err)
		}
	}
	return r.TxHash[:], nil
}

// contract returns this node's contract for the file.
func (s *Service) contract(ctx context.Context, root store.Hash) (*ledger.Contract, error) {
	me := s.cfg.Key.Public().Address()
	cs, err := s.cfg.Ledger.Contracts(ctx, root[:])
	if err != nil {
		return nil, status.Wrap(status.TaskChainError, err, "contracts of %s", root)
	}
	c := findContract(cs, me)
	if c == nil {
		return nil, status.New(status.TaskFileUploadedCheckPdpFailed, "no contract of %s for %s", me, root)
	}
	return c, nil
}

// confirmed reports whether the node already confirmed the contract: it is active, or it is a
// recovering contract with a start height (confirmed, first proof still to come).
func confirmed(c *ledger.Contract) bool {
	return c.State == ledger.ContractActive || (c.State == ledger.ContractRecovering && c.StartHeight != 0)
}

func findContract(cs []ledger.Contract, a keys.Address) *ledger.Contract {
	for i := range cs {
		if cs[i].Node == a {
			return &cs[i]
		}
	}
	return nil
}
