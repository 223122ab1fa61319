package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// MemNetwork is an in-memory transport for tests: listeners by name, connections are pairs of
// buffered pipes (writes never block: smux's flow control bounds what is in flight). Disconnect cuts a name off the way a dead link would, at once. The zero value is not
// usable; use NewMemNetwork.
type MemNetwork struct {
	mu        sync.Mutex
	listeners map[string]*memListener
	conns     map[*memConn]struct{}
}

// DefaultMemNetwork serves the mem:// scheme in DefaultTransports.
var DefaultMemNetwork = NewMemNetwork()

// NewMemNetwork returns an empty in-memory network.
func NewMemNetwork() *MemNetwork {
	return &MemNetwork{listeners: map[string]*memListener{}, conns: map[*memConn]struct{}{}}
}

// As returns the network seen from a host named local: connections it dials carry that name, so
// Disconnect(local) cuts them too.
func (n *MemNetwork) As(local string) Transport { return memView{n: n, local: local} }

// Dial connects to the listener named addr. The dialing end has no name; see As.
func (n *MemNetwork) Dial(ctx context.Context, addr string) (net.Conn, error) {
	return n.dial(ctx, "", addr)
}

// Listen registers a listener under name. A name is listened on at most once at a time.
func (n *MemNetwork) Listen(name string) (Listener, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.listeners[name]; ok {
		return nil, fmt.Errorf("mem listen %q: address in use", name)
	}
	l := &memListener{n: n, name: name, accept: make(chan net.Conn), done: make(chan struct{})}
	n.listeners[name] = l
	return l, nil
}

// Disconnect closes every connection with an end named name, as if the link had died; both ends
// see their reads fail. Listening continues, so a peer may reconnect at once.
func (n *MemNetwork) Disconnect(name string) int {
	n.mu.Lock()
	var cut []*memConn
	for c := range n.conns {
		if c.local == name || c.remote == name {
			cut = append(cut, c)
		}
	}
	n.mu.Unlock()
	for _, c := range cut {
		c.Close()
		c.peer.Close()
	}
	return len(cut)
}

func (n *MemNetwork) dial(ctx context.Context, local, addr string) (net.Conn, error) {
	n.mu.Lock()
	l, ok := n.listeners[addr]
	n.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("mem dial %q: connection refused", addr)
	}
	a, b := newBufPipe()
	ca := &memConn{bufConn: a, n: n, local: local, remote: addr}
	cb := &memConn{bufConn: b, n: n, local: addr, remote: local}
	ca.peer, cb.peer = cb, ca
	n.mu.Lock()
	n.conns[ca], n.conns[cb] = struct{}{}, struct{}{}
	n.mu.Unlock()
	select {
	case l.accept <- cb:
		return ca, nil
	case <-l.done:
	case <-ctx.Done():
	}
	ca.Close()
	cb.Close()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("mem dial %q: %w", addr, err)
	}
	return nil, fmt.Errorf("mem dial %q: connection refused", addr)
}

type memView struct {
	n     *MemNetwork
	local string
}

func (v memView) Dial(ctx context.Context, addr string) (net.Conn, error) {
	return v.n.dial(ctx, v.local, addr)
}
func (v memView) Listen(addr string) (Listener, error) { return v.n.Listen(addr) }

type memListener struct {
	n      *MemNetwork
	name   string
	accept chan net.Conn
	done   chan struct{}
	once   sync.Once
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.n.mu.Lock()
		if l.n.listeners[l.name] == l {
			delete(l.n.listeners, l.name)
		}
		l.n.mu.Unlock()
	})
	return nil
}

func (l *memListener) URL() string { return "mem://" + l.name }

type memConn struct {
	*bufConn
	n             *MemNetwork
	peer          *memConn
	local, remote string
	once          sync.Once
}

func (c *memConn) Close() error {
	c.once.Do(func() {
		c.n.mu.Lock()
		delete(c.n.conns, c)
		c.n.mu.Unlock()
	})
	return c.bufConn.Close()
}

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

func (c *memConn) LocalAddr() net.Addr  { return memAddr(c.local) }
func (c *memConn) RemoteAddr() net.Addr { return memAddr(c.remote) }

// pipeBuf is one direction of a buffered pipe.
type pipeBuf struct {
	mu     sync.Mutex
	cond   *sync.Cond
	data   []byte
	closed bool
}

func (p *pipeBuf) write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, net.ErrClosed
	}
	p.data = append(p.data, b...)
	p.cond.Broadcast()
	return len(b), nil
}

func (p *pipeBuf) read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.data) == 0 && !p.closed {
		p.cond.Wait()
	}
	if len(p.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.data)
	p.data = p.data[n:]
	if len(p.data) == 0 {
		p.data = nil // let a drained buffer's memory go
	}
	return n, nil
}

func (p *pipeBuf) close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

// bufConn is one end of a buffered pipe. Deadlines are not supported (smux does not use them).
type bufConn struct {
	in, out *pipeBuf
}

func newBufPipe() (*bufConn, *bufConn) {
	ab, ba := &pipeBuf{}, &pipeBuf{}
	ab.cond, ba.cond = sync.NewCond(&ab.mu), sync.NewCond(&ba.mu)
	return &bufConn{in: ba, out: ab}, &bufConn{in: ab, out: ba}
}

func (c *bufConn) Read(b []byte) (int, error)  { return c.in.read(b) }
func (c *bufConn) Write(b []byte) (int, error) { return c.out.write(b) }

// Close closes both directions: the peer reads what was already written, then EOF; writes on
// either end fail.
func (c *bufConn) Close() error {
	c.in.close()
	c.out.close()
	return nil
}

func (c *bufConn) SetDeadline(time.Time) error      { return nil }
func (c *bufConn) SetReadDeadline(time.Time) error  { return nil }
func (c *bufConn) SetWriteDeadline(time.Time) error { return nil }
