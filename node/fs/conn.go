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
type conn struct {
	s   *node.Stream
	r   *wire.Reader
	wmu sync.Mutex
	w   *wire.Writer
}

func newConn(s *node.Stream, c wire.Config) *conn {
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
	p, err := c.r.ReadPayload()
	if err != nil {
		return nil, fmt.Errorf("read from %s: %w", c.s.Peer().Account(), err)
	}
	return DecodeFrame(p)
}

func (c *conn) close() error { return c.s.Close() }
