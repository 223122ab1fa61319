package fs

import (
	"fmt"
	"sync"
	"time"

	"dsp/node"
	"dsp/wire"
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
}

// keepBuf is the largest read buffer a conn keeps between messages: a flight of a few blocks.
const keepBuf = 2 << 20

func newConn(s *node.Stream, c wire.Config) *conn {
	c.FragmentSize = node.StreamChunk - wire.HeaderSize
	return &conn{s: s, r: wire.NewReader(s, c), w: wire.NewWriter(s, c)}
}

// send writes one message.
func (c *conn) send(v any) error {
	p, err := encodeFrame(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
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

func (c *conn) close() error { return c.s.Close() }
