package fs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"dsp/node"
	"dsp/status"
	"dsp/store"
)

// serveDownload serves one download session (ProtoDownload): the downloader's right is checked
// against the ledger before any block is sent; then each BlockRequest is answered block by block.
func (s *Service) serveDownload(st *node.Stream) {
	c, ctx, ask, end := s.openSession(st, OpDownloadAsk, "a download session begins with a download-ask")
	defer end()
	if ask == nil {
		return
	}
	fi, code, err := s.admitDownload(ctx, ask, st.Peer())
	if err != nil {
		s.refuse(c, ask, code, "%v", err)
		return
	}
	root := store.Hash(ask.Hash)
	hashes, err := s.cfg.Store.GetBlockHashesOfFile(ctx, root)
	if err != nil {
		s.refuse(c, ask, status.TaskDownloadFilehashNotFound, "%v", err)
		return
	}
	inFile := make(map[store.Hash]bool, len(hashes))
	for _, h := range hashes {
		inFile[h] = true
	}
	ack := &File{SessionID: ask.SessionID, Hash: ask.Hash, Operation: int32(OpDownloadAck), ChunkSize: store.BlockSize,
		TotalBlockCount: uint64(len(hashes)), BlocksRoot: fi.BlocksRoot[:], Size: fi.Size, ChainInfo: s.chain(ctx)}
	gate := s.payGate(st.Peer().Account(), root)
	gate.ackTerms(ack, s.cfg.Key)
	if err := c.send(ack); err != nil {
		return
	}
	rd := s.newBlockReader(ctx, root, inFile)
	defer rd.stop()
	for {
		v, err := c.recv(0)
		if err != nil {
			return
		}
		req, ok := v.(*BlockRequest)
		if !ok || len(req.Indices) != len(req.Hashes) {
			return
		}
		if err := gate.admit(); err != nil { // a peer that stopped paying is cut off
			s.refuseErr(c, ask, err)
			return
		}
		if err := s.serveRequest(c, rd, req, gate); err != nil {
			return
		}
		gate.charge()
	}
}

// serveRequest sends the blocks of one request in order, each read by rd while the ones before
// it are sent.
func (s *Service) serveRequest(c *conn, rd *blockReader, req *BlockRequest, gate *payGate) error {
	asked := 0
	for i := range req.Hashes {
		for ; asked < len(req.Hashes) && asked-i < serveReadAhead; asked++ {
			rd.jobs <- readJob{hash: req.Hashes[asked], index: req.Indices[asked]}
		}
		r := <-rd.out
		if r.err != nil {
			rd.skip(asked - i - 1) // the reads already asked for, before rd can be stopped
			return r.err
		}
		err := c.send(&BlockFlights{TimeStamp: time.Now().UnixNano(), Blocks: []Block{r.blk}})
		rd.free <- r.buf
		if err != nil {
			rd.skip(asked - i - 1)
			return err
		}
		if r.blk.Data != nil {
			s.served.Add(1)
			gate.sent(r.blk.Index, len(r.blk.Data))
		}
	}
	return nil
}

// admitDownload checks that the file is held complete and that the peer may download it.
func (s *Service) admitDownload(ctx context.Context, ask *File, p *node.Peer) (store.FileInfo, status.Code, error) {
	if len(ask.Hash) != store.HashSize {
		return store.FileInfo{}, status.InvalidParams, fmt.Errorf("%w: file hash of %d bytes", ErrMalformed, len(ask.Hash))
	}
	fi, err := s.cfg.Store.File(ctx, store.Hash(ask.Hash))
	if err != nil || fi.State != store.StateComplete {
		return fi, status.TaskDownloadFilehashNotFound, fmt.Errorf("file %x is not held complete", ask.Hash)
	}
	info, err := s.cfg.Ledger.FileInfo(ctx, ask.Hash)
	if err != nil {
		if status.CodeOf(err, 0) == status.DspFileInfoNotFound.Num() {
			return fi, status.TaskFileNotFoundFromChain, fmt.Errorf("file %x is not on the ledger", ask.Hash)
		}
		return fi, status.TaskChainError, err
	}
	height, err := s.cfg.Ledger.Height(ctx)
	if err != nil {
		return fi, status.TaskChainError, err
	}
	wl, err := s.cfg.Ledger.WhiteList(ctx, ask.Hash)
	if err != nil {
		wl = nil
	}
	if !info.CanDownload(p.Account(), wl, height) && !s.mayRecover(ctx, ask.Hash, p.Account()) {
		return fi, status.TaskDownloadRefused, fmt.Errorf("%s may not download file %x", p.Account(), ask.Hash)
	}
	return fi, nil, nil
}

// serveReadAhead is how many blocks a download session reads (and hashes, as the store checks what
// it reads) ahead of the block it is sending, so that reading and sending overlap.
const serveReadAhead = 4

// blockReader reads the blocks of one download session in a goroutine of its own: jobs in,
// results out in the same order. At most serveReadAhead jobs are outstanding (asked and not yet given
// back on free), so neither side blocks the other on a full channel.
type blockReader struct {
	s      *Service
	ctx    context.Context
	root   store.Hash
	inFile map[store.Hash]bool
	tags   *TagReader
	// noTags is 1 + the group of tags last found missing, 0 if none: asked again only for
	// another group.
	noTags uint64

	jobs chan readJob
	out  chan readResult
	free chan []byte // block buffers, serveReadAhead of them
	done chan struct{}
}

type readJob struct {
	hash  []byte
	index uint64
}

type readResult struct {
	blk Block
	buf []byte // the buffer blk.Data is in, to give back on free once sent
	err error
}

func (s *Service) newBlockReader(ctx context.Context, root store.Hash, inFile map[store.Hash]bool) *blockReader {
	r := &blockReader{s: s, ctx: ctx, root: root, inFile: inFile, tags: NewTagReader(s.cfg.Store, root),
		jobs: make(chan readJob, serveReadAhead), out: make(chan readResult, serveReadAhead), free: make(chan []byte, serveReadAhead),
		done: make(chan struct{})}
	for range serveReadAhead {
		r.free <- nil
	}
	go r.run()
	return r
}

func (r *blockReader) run() {
	defer close(r.done)
	for j := range r.jobs {
		buf := <-r.free
		r.out <- r.read(j, buf)
	}
}

// skip takes n results nobody will send and gives their buffers back.
func (r *blockReader) skip(n int) {
	for range n {
		r.free <- (<-r.out).buf
	}
}

// stop ends the goroutine and waits for it.
func (r *blockReader) stop() {
	close(r.jobs)
	<-r.done
}

// read reads one requested block into buf, or makes an empty block if it is not part of the file
// or not held.
func (r *blockReader) read(j readJob, buf []byte) readResult {
	out := Block{Index: j.index, Hash: j.hash}
	if len(j.hash) != store.HashSize || !r.inFile[store.Hash(j.hash)] {
		return readResult{blk: out, buf: buf}
	}
	data, err := r.readStored(buf[:0], store.Hash(j.hash))
	switch {
	case err == nil:
		if f := r.s.cfg.Faults.CorruptBlock; f != nil && j.index != LinkIndex && f(r.root, j.index) && len(data) > 0 {
			data[0] ^= 0xff
		}
		out.Data, out.Tag = data, r.tag(j.index)
		return readResult{blk: out, buf: data}
	case errors.Is(err, store.ErrBlockNotFound) || errors.Is(err, store.ErrCorruptBlock):
		r.s.log.Info("fs cannot serve block", "file", r.root, "block", store.Hash(j.hash), "err", err)
		return readResult{blk: out, buf: buf}
	default:
		return readResult{buf: buf, err: err}
	}
}

// readStored appends the stored bytes of block h to dst, without hashing them when the store can:
// every downloader checks each block against its hash from the tree before it keeps it (the
// download task, its link blocks, recovery), so a block rotten on this disk is refused over there
// and its sender penalized, and this side saves a SHA-256 pass per block.
func (r *blockReader) readStored(dst []byte, h store.Hash) ([]byte, error) {
	if u, ok := r.s.cfg.Store.(unverifiedReader); ok {
		return u.AppendBlockUnverified(r.ctx, dst, h)
	}
	return r.s.cfg.Store.AppendBlock(r.ctx, dst, h)
}

// tag returns the stored tag of data block index, nil if there is none (link blocks have none).
// One reader serves the session, so a group of tags is read once, not once per block.
func (r *blockReader) tag(index uint64) []byte {
	if index == LinkIndex || r.noTags == 1+index/TagGroup {
		return nil
	}
	t, err := r.tags.Tag(r.ctx, index)
	if err != nil {
		if errors.Is(err, store.ErrMetaNotFound) {
			r.noTags = 1 + index/TagGroup
		}
		return nil
	}
	return t
}
