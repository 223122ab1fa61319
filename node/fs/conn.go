package fs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"dsp/node"
	"dsp/wire"

	"github.com/vmihailenco/msgpack/v5"
)

// conn is one session's bulk stream: fs messages as wire payloads (opcode u32 || msgpack),
// fragmented into wire frames by wire.Writer. One goroutine may write while another reads.
//
// Frames carry at most node.StreamChunk bytes with their header, so each goes out as exactly one
// message of the bulk stream (a 64 KiB frame would take two). Messages are read into one buffer
// reused for the life of the session: decoding copies what it keeps.
type conn struct {
	s   *node.Stream
	r   *wire.Reader
	buf []byte // the last message read; reused by the next (reader only)
	wmu sync.Mutex
	w   *wire.Writer
	enc []byte // the last message written; reused by the next (under wmu)
}

// keepBuf is the largest read buffer a conn keeps between messages: a flight of a few blocks.
const keepBuf = 2 << 20

func newConn(s *node.Stream, c wire.Config) *conn {
	c.FragmentSize = node.StreamChunk - wire.HeaderSize
	return &conn{s: s, r: wire.NewReader(s, c), w: wire.NewWriter(s, c)}
}

// send writes one message.
func (c *conn) send(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	p, err := appendFrame(c.enc[:0], v)
	if cap(p) <= keepBuf {
		c.enc = p[:0]
	} else {
		c.enc = nil
	}
	if err != nil {
		return err
	}
	if err := c.w.WritePayload(p); err != nil {
		return fmt.Errorf("send %T to %s: %w", v, c.s.Peer().Account(), err)
	}
	return nil
}

// recv reads one message; with timeout > 0 the read must finish in time.
func (c *conn) recv(timeout time.Duration) (any, error) {
	if timeout > 0 {
		c.s.SetReadDeadline(time.Now().Add(timeout))
		defer c.s.SetReadDeadline(time.Time{})
	}
	p, err := c.r.ReadPayloadInto(c.buf)
	if cap(p) <= keepBuf {
		c.buf = p[:0]
	} else {
		c.buf = nil
	}
	if err != nil {
		return nil, fmt.Errorf("read from %s: %w", c.s.Peer().Account(), err)
	}
	return DecodeFrame(p)
}

// recvInto reads one message, which must be of v's type, decoding it into v (see
// wire.DecodePayloadInto: byte slices v already holds are reused).
func (c *conn) recvInto(v any) error {
	p, err := c.r.ReadPayloadInto(c.buf)
	if cap(p) <= keepBuf {
		c.buf = p[:0]
	} else {
		c.buf = nil
	}
	if err != nil {
		return fmt.Errorf("read from %s: %w", c.s.Peer().Account(), err)
	}
	if len(p) < 4 {
		return fmt.Errorf("%w: frame of %d bytes", ErrMalformed, len(p))
	}
	op := wire.Opcode(binary.BigEndian.Uint32(p))
	if err := wire.DecodePayloadInto(op, p[4:], v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

func (c *conn) close() error { return c.s.Close() }

// appendFrame appends the bulk stream payload of v to dst: its opcode (u32, big-endian) and its
// msgpack encoding as wire.EncodePayload makes it (structs as arrays, compact ints), so that a conn
// encodes every message into one reused buffer.
func appendFrame(dst []byte, v any) ([]byte, error) {
	op, ok := wire.OpcodeOf(v)
	if !ok {
		return dst, fmt.Errorf("fs: %T is not a registered payload", v)
	}
	buf := bytes.NewBuffer(binary.BigEndian.AppendUint32(dst, uint32(op)))
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(buf)
	enc.UseArrayEncodedStructs(true)
	enc.UseCompactInts(true)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(v); err != nil {
		return dst, fmt.Errorf("fs: encode %T: %w", v, err)
	}
	return buf.Bytes(), nil
}
