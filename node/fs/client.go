package fs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"dsp/node"
	"dsp/status"
	"dsp/store"
)

// NewSessionID returns a fresh random session id.
func NewSessionID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// handshake opens a bulk stream for proto to p, sends ask and returns the peer's answer. A refusal
// is an error wrapping ErrRefused and carrying the peer's code.
func handshake(ctx context.Context, h *node.Host, p *node.Peer, proto string, ask *File, want Operation, timeout time.Duration) (*conn, *File, error) {
	st, err := p.OpenStream(ctx, proto)
	if err != nil {
		return nil, nil, err
	}
	c := newConn(st, h.Config().Wire)
	stop := context.AfterFunc(ctx, func() { c.close() })
	defer stop()
	if err := c.send(ask); err != nil {
		c.close()
		return nil, nil, err
	}
	v, err := c.recv(timeout)
	if err != nil {
		c.close()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, err
	}
	ans, ok := v.(*File)
	switch {
	case !ok:
		c.close()
		return nil, nil, fmt.Errorf("%w: %T answers a %s", ErrMalformed, v, Operation(ask.Operation))
	case Operation(ans.Operation) == OpRefuse:
		c.close()
		return nil, nil, &status.Error{Code: ans.Code, Name: codeName(ans.Code),
			Msg: fmt.Sprintf("%s refused by %s: %s", Operation(ask.Operation), p.Account(), ans.Msg), Err: ErrRefused}
	case Operation(ans.Operation) != want:
		c.close()
		return nil, nil, fmt.Errorf("%w: %s answers a %s", ErrMalformed, Operation(ans.Operation), Operation(ask.Operation))
	}
	return c, ans, nil
}

// DownloadConn is the downloader's side of one download session with one holder. Request and
// Recv may be used from two goroutines at once (one each).
type DownloadConn struct {
	c    *conn
	peer *node.Peer
	// Ack is the holder's download-ack: TotalBlockCount, BlocksRoot, Size, UnitPrice.
	Ack *File
	// Pay pays the holder for the verified data blocks (nil: the holder is free); the downloader
	// sets it after the handshake (pay.go).
	Pay *BlockPayer
}

// OpenDownload opens a download session for file root with holder p. The holder checks the
// ledger: a downloader without the right gets an error with DOWNLOAD_REFUSED (50022); a holder
// without the file, DOWNLOAD_FILEHASH_NOT_FOUND (50026).
func OpenDownload(ctx context.Context, h *node.Host, p *node.Peer, root store.Hash) (*DownloadConn, error) {
	ask := &File{SessionID: NewSessionID(), Hash: root[:], Operation: int32(OpDownloadAsk), ChunkSize: store.BlockSize}
	c, ack, err := handshake(ctx, h, p, ProtoDownload, ask, OpDownloadAck, time.Minute)
	if err != nil {
		return nil, err
	}
	return &DownloadConn{c: c, peer: p, Ack: ack}, nil
}

// Peer is the holder.
func (d *DownloadConn) Peer() *node.Peer { return d.peer }

// Request asks for blocks; the holder answers each with one Block, in order (Recv).
func (d *DownloadConn) Request(hashes []store.Hash, indices []uint64) error {
	req := &BlockRequest{Hashes: make([][]byte, len(hashes)), Indices: indices}
	for i := range hashes {
		req.Hashes[i] = hashes[i][:]
	}
	return d.c.send(req)
}

// Recv returns the next block the holder sends. The block is not verified: the caller checks its
// hash. Data empty means the holder will not send it.
func (d *DownloadConn) Recv() (*Block, error) {
	v, err := d.c.recv(0)
	if err != nil {
		return nil, err
	}
	if f, ok := v.(*File); ok && Operation(f.Operation) == OpRefuse { // e.g. cut off for not paying
		return nil, &status.Error{Code: f.Code, Name: codeName(f.Code), Msg: fmt.Sprintf("%s stopped serving: %s", d.peer.Account(), f.Msg), Err: ErrRefused}
	}
	fl, ok := v.(*BlockFlights)
	if !ok || len(fl.Blocks) != 1 {
		return nil, fmt.Errorf("%w: %T in a download session", ErrMalformed, v)
	}
	return &fl.Blocks[0], nil
}

// RecvInto is Recv decoding the block's bytes into buf's storage when it has room (the block's
// Data then aliases buf), so a downloader can reuse block buffers.
func (d *DownloadConn) RecvInto(buf []byte) (*Block, error) {
	fl := &BlockFlights{Blocks: []Block{{Data: buf[:0]}}}
	if err := d.c.recvInto(fl); err != nil {
		return nil, err
	}
	if len(fl.Blocks) != 1 {
		return nil, fmt.Errorf("%w: %d blocks in a reply", ErrMalformed, len(fl.Blocks))
	}
	return &fl.Blocks[0], nil
}

// Close ends the session.
func (d *DownloadConn) Close() error { return d.c.close() }

// codeName returns the spec name of a task or RESTful code.
func codeName(code int) string {
	if n := status.TaskCode(code).Name(); n != "" {
		return n
	}
	return status.RestCode(code).Name()
}
