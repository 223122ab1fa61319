package proxy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"dsp/node"
	"dsp/status"
	"dsp/wire"
)

// ctrl is one end of a control stream: wire frames (docs/protocol.md §1) carrying Messages whose
// opcode, request_nonce, reply_flag and netID are set. Sender and signature stay empty: every
// byte of the stream is already authenticated by the connection's session MAC (the stream's
// OpBytes messages), and the account is the connection's. The node sends requests one at a time
// (call); the proxy answers each in order (serve side: read, reply).
type ctrl struct {
	st  *node.Stream
	r   *wire.Reader
	w   *wire.Writer
	net uint32

	mu    sync.Mutex // one round trip at a time (node side)
	nonce uint64     // under mu
}

// maxControl bounds a control message: every control payload is small.
const maxControl = wire.MaxPackageSize

func newCtrl(st *node.Stream, c wire.Config) *ctrl {
	c.MaxMessageSize = maxControl
	return &ctrl{st: st, r: wire.NewReader(st, c), w: wire.NewWriter(st, c), net: c.NetworkID}
}

// write sends payload under op (the payload type's opcode when op is 0).
func (c *ctrl) write(op wire.Opcode, payload any, nonce uint64, reply bool) error {
	if op == wire.OpUnregistered {
		o, ok := wire.OpcodeOf(payload)
		if !ok {
			return fmt.Errorf("control message %T: %w", payload, wire.ErrUnknownOpcode)
		}
		op = o
	}
	body, err := wire.EncodePayload(payload)
	if err != nil {
		return err
	}
	return c.w.WriteMessage(&wire.Message{Message: body, Opcode: op, NetID: c.net, RequestNonce: nonce, ReplyFlag: reply})
}

// read returns the next message and its decoded payload. A message that failed to decode while
// the stream stayed in step comes back with skipped true and the error; any other error means the
// stream is unusable.
func (c *ctrl) read() (m *wire.Message, payload any, skipped bool, err error) {
	before := c.r.Stats.Discarded
	m, err = c.r.ReadMessage()
	if err != nil {
		return nil, nil, c.r.Stats.Discarded > before, err
	}
	if m.NetID != c.net {
		return m, nil, true, fmt.Errorf("%w: message for network %d", wire.ErrWrongNetwork, m.NetID)
	}
	payload, err = wire.DecodePayload(m.Opcode, m.Message)
	if err != nil {
		return m, nil, true, err
	}
	return m, payload, false, nil
}

// call sends one request and waits for its reply, until ctx's deadline (30 s without one; a
// context cancelled without a deadline is noticed when the stream is closed). A refused request comes back as a
// *status.Error with the proxy's code. A failed round trip leaves the stream unusable: the caller
// closes it.
func (c *ctrl) call(ctx context.Context, req any) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(30 * time.Second)
	}
	c.st.SetDeadline(dl)
	defer c.st.SetDeadline(time.Time{})
	c.nonce++
	if err := c.write(0, req, c.nonce, false); err != nil {
		return nil, fmt.Errorf("send %T: %w", req, err)
	}
	for {
		m, payload, skipped, err := c.read()
		if err != nil {
			if skipped {
				return nil, fmt.Errorf("reply to %T: %w: %w", req, ErrMalformed, err)
			}
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("reply to %T: %w", req, err)
		}
		if !m.ReplyFlag || m.RequestNonce != c.nonce {
			continue // not ours: an answer to a request abandoned earlier cannot happen (the stream closes)
		}
		if e, ok := payload.(*ErrorReply); ok {
			return nil, &status.Error{Code: e.Code, Name: e.Name, Msg: e.Msg}
		}
		return payload, nil
	}
}

// errorReply turns err into the ErrorReply the proxy sends.
func errorReply(err error) *ErrorReply {
	r := &ErrorReply{Code: status.CodeOf(err, status.InternalError.Num()), Name: status.NameOf(err), Msg: err.Error()}
	if r.Name == "" {
		r.Name = status.RestCode(r.Code).Name()
	}
	return r
}

// isTimeout reports whether err is a deadline passing.
func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}
