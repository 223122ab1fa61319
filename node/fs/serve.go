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
	var buf []byte // one block, read again for every block served
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
		for i, h := range req.Hashes {
			if buf, err = s.serveBlock(ctx, c, root, inFile, h, req.Indices[i], buf[:0], gate); err != nil {
				return
			}
		}
		gate.charge()
	}
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

// serveBlock sends one requested block, or an empty block if it is not part of the file. The block
// is read into buf, which it returns for the next block.
func (s *Service) serveBlock(ctx context.Context, c *conn, root store.Hash, inFile map[store.Hash]bool, hash []byte, index uint64, buf []byte, gate *payGate) ([]byte, error) {
	out := Block{Index: index, Hash: hash}
	if len(hash) == store.HashSize && inFile[store.Hash(hash)] {
		data, err := s.cfg.Store.AppendBlock(ctx, buf, store.Hash(hash))
		buf = data
		switch {
		case err == nil:
			if f := s.cfg.Faults.CorruptBlock; f != nil && index != LinkIndex && f(root, index) && len(data) > 0 {
				data[0] ^= 0xff
			}
			out.Data, out.Tag = data, s.servedTag(ctx, root, index)
		case errors.Is(err, store.ErrBlockNotFound) || errors.Is(err, store.ErrCorruptBlock):
			s.log.Info("fs cannot serve block", "file", root, "block", store.Hash(hash), "err", err)
		default:
			return buf, err
		}
	}
	if err := c.send(&BlockFlights{TimeStamp: time.Now().UnixNano(), Blocks: []Block{out}}); err != nil {
		return buf, err
	}
	if out.Data != nil {
		s.served.Add(1)
		gate.sent(index, len(out.Data))
	}
	return buf, nil
}
