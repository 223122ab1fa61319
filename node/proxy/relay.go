package proxy

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"dsp/node"

	"golang.org/x/time/rate"
)

// relay is one relayed connection on the proxy: a peer's connection to a Proxy-Server
// (connection-3) and the relay stream to the node on its Main-Connection.
type relay struct {
	c      net.Conn
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	st     *node.Stream
	closed bool
}

func newRelay(c net.Conn) *relay {
	ctx, cancel := context.WithCancel(context.Background())
	return &relay{c: c, ctx: ctx, cancel: cancel}
}

// attach records the relay stream; false if the relay was closed meanwhile.
func (r *relay) attach(st *node.Stream) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.st = st
	return true
}

// close closes both sides; it may be called many times and from any goroutine.
func (r *relay) close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	st := r.st
	r.mu.Unlock()
	r.cancel()
	r.c.Close()
	if st != nil {
		st.Close()
	}
}

// pipe copies the peer's bytes to the node and the node's to the peer until either side ends,
// then closes both. lim, if not nil, caps both directions together; the counters count what was
// delivered.
func (r *relay) pipe(st *node.Stream, lim *rate.Limiter, toNode, fromNode *atomic.Uint64) error {
	errc := make(chan error, 1)
	go func() { errc <- copyLimited(r.ctx, st, r.c, lim, toNode) }()
	err := copyLimited(r.ctx, r.c, st, lim, fromNode)
	r.close()
	if err2 := <-errc; err == nil {
		err = err2
	}
	return err
}

// copyLimited copies src to dst in reads of at most node.StreamChunk bytes (one relay message
// each), waiting on lim before each write. It returns nil at src's EOF.
func copyLimited(ctx context.Context, dst io.Writer, src io.Reader, lim *rate.Limiter, n *atomic.Uint64) error {
	buf := make([]byte, node.StreamChunk)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			if lim != nil {
				if werr := lim.WaitN(ctx, k); werr != nil {
					return werr
				}
			}
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return werr
			}
			n.Add(uint64(k))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
