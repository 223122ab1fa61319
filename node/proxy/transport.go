package proxy

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"dsp/node"
)

// Transport returns the proxy:// transport of the client: register it in the host's Transports
// under "proxy" and put ListenURL first in the host's Listen list. Its listener's URL is the proxy
// address (kcp://proxyhost:port), which the host then advertises; every relay stream from the
// proxy comes out of it as an accepted connection. It does not dial.
func (c *Client) Transport() node.Transport { return clientTransport{c} }

type clientTransport struct{ c *Client }

// Dial fails: peers behind a proxy dial out with their ordinary transports.
func (t clientTransport) Dial(context.Context, string) (net.Conn, error) { return nil, errNoDial }

// Listen starts the client's listener. addr must be the configured proxy URL (or "none" for a
// client without one); a client has one listener at a time. With a proxy but no held address it
// first asks the proxy for one (see bootstrap).
func (t clientTransport) Listen(addr string) (node.Listener, error) {
	c := t.c
	if addr != c.cfg.Proxy && !(addr == noProxy && c.cfg.Proxy == "") {
		return nil, fmt.Errorf("proxy listen %q: %w: the client is configured for %q", addr, node.ErrBadConfig, c.cfg.Proxy)
	}
	c.mu.Lock()
	busy, held := c.ln != nil, c.addr
	c.mu.Unlock()
	if busy {
		return nil, fmt.Errorf("proxy listen %q: already listening", addr)
	}
	if held == "" && c.cfg.Proxy != "" {
		got, err := c.bootstrap()
		if err != nil {
			return nil, err
		}
		held = got
	}
	ln := &listener{c: c, url: held, accepts: make(chan *relayConn), done: make(chan struct{})}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ln != nil {
		return nil, fmt.Errorf("proxy listen %q: already listening", addr)
	}
	c.ln, c.addr, c.advertised = ln, held, held
	return ln, nil
}

// listener hands relayed connections to the host.
type listener struct {
	c       *Client
	url     string
	accepts chan *relayConn
	done    chan struct{}
	once    sync.Once
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case rc := <-l.accepts:
		return rc, nil
	case <-l.done:
		return nil, fmt.Errorf("proxy listener %s: %w", l.url, net.ErrClosed)
	}
}

func (l *listener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.c.mu.Lock()
		if l.c.ln == l {
			l.c.ln = nil
		}
		l.c.mu.Unlock()
	})
	return nil
}

// URL is the address the listener started with (the one its host advertises); a listener that
// started with none shows the client's current address, or "proxy://none".
func (l *listener) URL() string {
	if l.url != "" {
		return l.url
	}
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	if l.c.addr != "" {
		return l.c.addr
	}
	return "proxy://" + noProxy
}

// relayConn is one relayed connection as the node's host sees it: a relay stream on the
// Main-Connection.
type relayConn struct {
	st            *node.Stream
	c             *Client
	local, remote relayAddr
	once          sync.Once
}

func (r *relayConn) Read(b []byte) (int, error) {
	n, err := r.st.Read(b)
	r.c.bytesIn.Add(uint64(n))
	return n, err
}

func (r *relayConn) Write(b []byte) (int, error) {
	n, err := r.st.Write(b)
	r.c.bytesOut.Add(uint64(n))
	return n, err
}

func (r *relayConn) Close() error {
	r.once.Do(func() { r.c.relayed.Add(-1) })
	return r.st.Close()
}

func (r *relayConn) LocalAddr() net.Addr                { return r.local }
func (r *relayConn) RemoteAddr() net.Addr               { return r.remote }
func (r *relayConn) SetDeadline(t time.Time) error      { return r.st.SetDeadline(t) }
func (r *relayConn) SetReadDeadline(t time.Time) error  { return r.st.SetReadDeadline(t) }
func (r *relayConn) SetWriteDeadline(t time.Time) error { return r.st.SetWriteDeadline(t) }

// relayAddr is an address seen through the proxy: the proxy address on the local side, the
// peer's ip:port (as the proxy saw it) on the remote side.
type relayAddr string

func (a relayAddr) Network() string { return "proxy" }
func (a relayAddr) String() string  { return string(a) }
