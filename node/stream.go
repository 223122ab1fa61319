package node

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"dsp/wire"

	"github.com/xtaci/smux"
)

// msgStream is one smux stream carrying wire messages: one writer at a time (wmu), one reader
// goroutine. Message nonces count per stream and direction, so replays are caught per stream.
type msgStream struct {
	s  *smux.Stream
	id uint32
	r  *wire.Reader
	w  *wire.Writer

	wmu       chanMutex
	sendNonce uint64 // under wmu
	recvNonce uint64 // reader only
}

func newMsgStream(s *smux.Stream, c wire.Config) *msgStream {
	return &msgStream{s: s, id: s.ID(), r: wire.NewReader(s, c), w: wire.NewWriter(s, c), wmu: newChanMutex()}
}

// write seals m with the session MAC and writes it. ctx bounds the wait for the stream and the
// write itself; a write cut off by ctx leaves the stream unusable (the caller closes it).
func (ms *msgStream) write(ctx context.Context, mac *sessionMAC, m *wire.Message) error {
	if err := ms.wmu.lock(ctx); err != nil {
		return err
	}
	defer ms.wmu.unlock()
	ms.sendNonce++
	m.MessageNonce = ms.sendNonce
	mac.seal(ms.id, m)
	if dl, ok := ctx.Deadline(); ok {
		ms.s.SetWriteDeadline(dl)
		defer ms.s.SetWriteDeadline(time.Time{})
	}
	return ms.w.WriteMessage(m)
}

// chanMutex is a mutex whose Lock can give up when a context ends.
type chanMutex chan struct{}

func newChanMutex() chanMutex { return make(chanMutex, 1) }

func (m chanMutex) lock(ctx context.Context) error {
	select {
	case m <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m chanMutex) unlock() { <-m }

// StreamChunk is the most payload one OpBytes message of a bulk stream carries: a message and
// its envelope fit one 64 KiB frame, so each frame is authenticated once and never fragmented.
const StreamChunk = wire.MaxPackageSize - 512

// Stream is a bulk byte stream to a peer on its own smux stream, for block transfer. Bytes travel
// as OpBytes messages of at most StreamChunk bytes, each with the session MAC and a per-stream
// nonce, so a stream is as authenticated as a message. Read and Write may be used from two
// goroutines at once; two concurrent Writes (or Reads) are not allowed.
type Stream struct {
	p     *Peer
	ms    *msgStream
	proto string
	rbuf  []byte
}

// OpenStream opens a bulk stream to the peer for proto; the peer's host hands it to the handler
// registered with HandleStream(proto, ...), or closes it if there is none.
func (p *Peer) OpenStream(ctx context.Context, proto string) (*Stream, error) {
	if proto == "" {
		return nil, fmt.Errorf("open stream to %s: %w: empty protocol", p.account, ErrBadConfig)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	st, err := p.sess.OpenStream()
	if err != nil {
		return nil, fmt.Errorf("open stream %q to %s: %w", proto, p.account, err)
	}
	ms := newMsgStream(st, p.h.cfg.Wire)
	if err := p.sendOn(ctx, ms, OpStreamOpen, &StreamOpen{Proto: proto}, 0, false, false); err != nil {
		st.Close()
		return nil, err
	}
	return &Stream{p: p, ms: ms, proto: proto}, nil
}

// acceptStreams serves the streams the peer opens.
func (p *Peer) acceptStreams() {
	for {
		st, err := p.sess.AcceptStream()
		if err != nil {
			return
		}
		p.h.wg.Add(1)
		go func() {
			defer p.h.wg.Done()
			p.serveStream(st)
		}()
	}
}

func (p *Peer) serveStream(st *smux.Stream) {
	ms := newMsgStream(st, p.h.cfg.Wire)
	st.SetReadDeadline(time.Now().Add(p.h.cfg.HandshakeTimeout))
	in, err := p.readOne(ms)
	if err != nil {
		p.drop(DropBroken, fmt.Errorf("new stream: %w", err))
		st.Close()
		return
	}
	st.SetReadDeadline(time.Time{})
	open, ok := in.Payload.(*StreamOpen)
	if !ok {
		p.drop(DropUnknownStream, fmt.Errorf("new stream began with %s, not StreamOpen", in.Msg.Opcode))
		st.Close()
		return
	}
	if open.Proto == "" {
		p.readLoop(ms, false)
		return
	}
	fn := p.h.streamHandler(open.Proto)
	if fn == nil {
		p.drop(DropUnknownStream, fmt.Errorf("%w for stream protocol %q", ErrNoHandler, open.Proto))
		st.Close()
		return
	}
	fn(&Stream{p: p, ms: ms, proto: open.Proto})
}

// Peer is the stream's peer.
func (s *Stream) Peer() *Peer { return s.p }

// Proto is the protocol name the stream was opened for.
func (s *Stream) Proto() string { return s.proto }

// Write sends b in OpBytes messages. It returns an error once the stream or the connection fails.
func (s *Stream) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(len(b), StreamChunk)
		m := &wire.Message{Message: b[:k], Sender: s.p.h.selfID(), Opcode: wire.OpBytes, NetID: s.p.h.cfg.Wire.NetworkID}
		if err := s.ms.write(context.Background(), s.p.mac, m); err != nil {
			return n, fmt.Errorf("stream %q to %s: %w", s.proto, s.p.account, err)
		}
		n += k
		b = b[k:]
	}
	return n, nil
}

// Read reads bytes sent by the peer's Write. Messages that fail a check are dropped and counted
// like on a message stream; io.EOF follows the peer's Close.
func (s *Stream) Read(b []byte) (int, error) {
	for len(s.rbuf) == 0 {
		// The message is read in place: rbuf is used up before the next read.
		in, err := s.p.readNext(s.ms, true)
		if err != nil {
			return 0, err
		}
		if in.Msg.Opcode != wire.OpBytes {
			s.p.drop(DropUnknownOpcode, fmt.Errorf("%s on bulk stream %q", in.Msg.Opcode, s.proto))
			continue
		}
		s.rbuf = in.Msg.Message
	}
	n := copy(b, s.rbuf)
	s.rbuf = s.rbuf[n:]
	return n, nil
}

// Close closes the stream in both directions; the peer reads io.EOF after what was written.
func (s *Stream) Close() error { return s.ms.s.Close() }

// SetDeadline sets the read and write deadline of the stream.
func (s *Stream) SetDeadline(t time.Time) error { return s.ms.s.SetDeadline(t) }

// SetReadDeadline sets the read deadline of the stream.
func (s *Stream) SetReadDeadline(t time.Time) error { return s.ms.s.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline of the stream.
func (s *Stream) SetWriteDeadline(t time.Time) error { return s.ms.s.SetWriteDeadline(t) }

// atomicTime is a time.Time readable and writable from many goroutines.
type atomicTime struct{ ns atomic.Int64 }

func (t *atomicTime) store(v time.Time) { t.ns.Store(v.UnixNano()) }
func (t *atomicTime) load() time.Time   { return time.Unix(0, t.ns.Load()) }

// counter is a byte counter.
type counter struct{ n atomic.Uint64 }

func (c *counter) add(n int)    { c.n.Add(uint64(n)) }
func (c *counter) load() uint64 { return c.n.Load() }
