package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"dsp/keys"
	"dsp/node"
	"dsp/status"
	"dsp/wire"
)

// ClientConfig configures a Client. Every field has a default.
type ClientConfig struct {
	// Proxy is the proxy node's URL, "kcp://host:port", or "ACCOUNT@kcp://host:port" to require
	// that account (recommended: the node's relayed traffic goes through it). Empty means no proxy
	// until Use names one.
	Proxy string
	// Address is a proxy address held before ("kcp://host:port"), asked for again. With it the
	// listener starts without a round trip to the proxy; without it Listen asks the proxy first.
	Address string
	// KeepaliveInterval is how often a Keepalive goes to the proxy (default 15 s).
	KeepaliveInterval time.Duration
	// KeepaliveTimeout is how long a Keepalive may go unanswered before the client drops the
	// control stream and connects again (default 2 x KeepaliveInterval).
	KeepaliveTimeout time.Duration
	// RetryInterval is the wait between attempts to reach the proxy (default 5 s).
	RetryInterval time.Duration
	// Logger receives the client's logs (default slog.Default()).
	Logger *slog.Logger
}

// State is where a Client stands with its proxy.
type State string

// The states of a Client.
const (
	StateIdle       State = "idle"       // not started
	StateConnecting State = "connecting" // reaching the proxy or asking it for an address
	StateActive     State = "active"     // an allocation is held and keepalives are answered
	StateReleased   State = "released"   // Release was called; nothing is requested until Request
	StateClosed     State = "closed"
)

// Status is a Client's view of its allocation, for `dsp proxy status` and the control API.
type Status struct {
	Proxy         string        `json:"proxy"`                   // the proxy's URL as configured
	ProxyAccount  keys.Address  `json:"proxy_account,omitzero"`  // proven in the handshake, once connected
	State         State         `json:"state"`                   //
	Address       string        `json:"address,omitempty"`       // the allocation now held ("" if none)
	Advertised    string        `json:"advertised,omitempty"`    // the address the host advertises (its listener's URL)
	Since         time.Time     `json:"since,omitzero"`          // when the state last became active
	LastKeepalive time.Time     `json:"last_keepalive,omitzero"` // the last answered Keepalive
	KeepaliveRTT  time.Duration `json:"keepalive_rtt_ns"`        // its round trip
	Reconnects    uint64        `json:"reconnects"`              // control streams opened after the first
	Relayed       int64         `json:"relayed"`                 // relayed connections open now
	RelayedTotal  uint64        `json:"relayed_total"`           // relayed connections accepted so far
	BytesIn       uint64        `json:"bytes_in"`                // bytes received over relayed connections
	BytesOut      uint64        `json:"bytes_out"`               // bytes sent over relayed connections
	LastError     string        `json:"last_error,omitempty"`    // the last failure reaching the proxy
}

// Client is the proxy's counterpart on a node behind NAT: a node.Component (mount it with Mount)
// that keeps a control stream to the proxy (ProxyRequest, then a Keepalive every interval,
// reconnecting and asking again whenever the stream or the connection fails), and a node.Transport
// (Transport) whose listener turns each relay stream from the proxy into an accepted connection of
// the host, so peers reaching the node through its proxy address are ordinary peers. Methods are
// safe for concurrent use.
type Client struct {
	node.BaseComponent
	cfg ClientConfig
	log *slog.Logger

	mu         sync.Mutex
	host       *node.Host
	proxy      string // the proxy's URL ("" until one is configured or Use names one)
	ln         *listener
	state      State
	addr       string
	advertised string
	proxyAcct  keys.Address
	sess       *ctrl
	since      time.Time
	lastKA     time.Time
	kaRTT      time.Duration
	lastErr    string
	opened     uint64
	wake       chan struct{}
	active     chan struct{} // closed and replaced when the state becomes active

	relayed           atomic.Int64
	relayedTotal      atomic.Uint64
	bytesIn, bytesOut atomic.Uint64
	pauseKeepalive    atomic.Bool // tests: make the node silent

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ node.Component = (*Client)(nil)

// NewClient checks cfg and returns a client; Mount it on the host and register its Transport
// before the host starts.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Proxy != "" {
		if _, _, err := node.ParsePeerURL(cfg.Proxy); err != nil {
			return nil, fmt.Errorf("proxy client: %w", err)
		}
	}
	if cfg.Address != "" {
		if _, _, err := node.SplitURL(cfg.Address); err != nil {
			return nil, fmt.Errorf("proxy client: held address: %w", err)
		}
	}
	if cfg.KeepaliveInterval <= 0 {
		cfg.KeepaliveInterval = 15 * time.Second
	}
	if cfg.KeepaliveTimeout <= 0 {
		cfg.KeepaliveTimeout = 2 * cfg.KeepaliveInterval
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{cfg: cfg, log: cfg.Logger, state: StateIdle, proxy: cfg.Proxy, addr: cfg.Address,
		wake: make(chan struct{}, 1), active: make(chan struct{}), ctx: ctx, cancel: cancel}, nil
}

// Mount registers the client with h (no opcodes: it only needs Startup and Cleanup) and the
// handler of relay streams. Call it before h.Start.
func (c *Client) Mount(h *node.Host) error {
	if err := h.Register(c); err != nil {
		return err
	}
	h.HandleStream(RelayProto, c.serveRelay)
	c.mu.Lock()
	c.host = h
	c.mu.Unlock()
	return nil
}

// ListenURL is the URL to put in the host's Listen list: "proxy://" followed by the configured
// proxy URL. Put it first so the host advertises the proxy address. Without a configured proxy it
// is "proxy://none": a listener that starts with no address (put it after the node's own
// listeners, since a host advertises its first listener's URL) and serves whatever proxy Use picks.
func (c *Client) ListenURL() string {
	if c.cfg.Proxy == "" {
		return "proxy://" + noProxy
	}
	return "proxy://" + c.cfg.Proxy
}

// noProxy is the listen address of a client started without a proxy.
const noProxy = "none"

// Proxy returns the URL of the proxy the client uses ("" if none).
func (c *Client) Proxy() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proxy
}

// Startup implements node.Component: it starts the loop that keeps the control stream.
func (c *Client) Startup(*node.Host) {
	c.mu.Lock()
	if c.state == StateIdle {
		c.state = StateConnecting
	}
	c.mu.Unlock()
	c.wg.Add(1)
	go c.loop()
}

// Cleanup implements node.Component: it stops the loop and waits for it.
func (c *Client) Cleanup(*node.Host) { c.Close() }

// Close stops the client's loop and closes its control stream; the allocation stays cached on the
// proxy. It may be called more than once.
func (c *Client) Close() error {
	c.cancel()
	c.mu.Lock()
	sess := c.sess
	c.state = StateClosed
	c.mu.Unlock()
	if sess != nil {
		sess.st.Close()
	}
	c.wg.Wait()
	return nil
}

// Status returns the client's view of its allocation.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Status{
		Proxy: c.proxy, ProxyAccount: c.proxyAcct, State: c.state, Address: c.addr, Advertised: c.advertised,
		Since: c.since, LastKeepalive: c.lastKA, KeepaliveRTT: c.kaRTT, Reconnects: max(c.opened, 1) - 1,
		Relayed: c.relayed.Load(), RelayedTotal: c.relayedTotal.Load(), BytesIn: c.bytesIn.Load(),
		BytesOut: c.bytesOut.Load(), LastError: c.lastErr,
	}
}

// Request asks the proxy for an address now (the one held, if the proxy still caches it) and
// returns it. After Release it starts the client asking again. It waits, within ctx, until the
// client is active; errors carry spec codes (NET_RECONNECT_PEER_FAILED 59100 when the proxy
// cannot be reached in time).
func (c *Client) Request(ctx context.Context) (string, error) {
	c.mu.Lock()
	if c.state == StateClosed {
		c.mu.Unlock()
		return "", status.Wrap(status.NoDsp, ErrClosed, "proxy request")
	}
	if c.proxy == "" {
		c.mu.Unlock()
		return "", status.Wrap(status.NoDsp, ErrNoAllocation, "proxy request: no proxy configured")
	}
	if c.state == StateReleased || c.state == StateIdle {
		c.state = StateConnecting
	}
	sess, want, purl := c.sess, c.addr, c.proxy
	c.mu.Unlock()
	if sess != nil {
		addr, err := c.ask(ctx, sess, want)
		if err == nil {
			return addr, nil
		}
		if status.CodeOf(err, 0) != 0 {
			return "", err // the proxy answered: no point retrying
		}
		sess.st.Close() // the loop reconnects
	}
	c.poke()
	for {
		c.mu.Lock()
		st, addr, active, lastErr := c.state, c.addr, c.active, c.lastErr
		c.mu.Unlock()
		if st == StateActive {
			return addr, nil
		}
		select {
		case <-active:
		case <-ctx.Done():
			return "", status.Wrap(status.NetReconnectPeerFailed, ctx.Err(), "proxy request to %s (last error: %s)", purl, lastErr)
		}
	}
}

// Use makes url ("kcp://host:port" or "ACCOUNT@kcp://host:port") the client's proxy and requests
// an address from it, as Request does. Switching proxies drops the control stream to the old one
// (its allocation stays cached there) and forgets the address held there. The host's advertised
// address does not change while it runs: a node that switches proxies at run time announces the
// new address itself (SCAN endpoint, ledger registration; see docs/proxy.md).
func (c *Client) Use(ctx context.Context, url string) (string, error) {
	if _, _, err := node.ParsePeerURL(url); err != nil {
		return "", status.Wrap(status.InvalidParams, err, "proxy url")
	}
	c.mu.Lock()
	if c.state == StateClosed {
		c.mu.Unlock()
		return "", status.Wrap(status.NoDsp, ErrClosed, "proxy request")
	}
	var old *ctrl
	if url != c.proxy {
		old = c.sess
		c.proxy, c.addr, c.sess, c.proxyAcct = url, "", nil, keys.Address{}
		if c.state != StateIdle {
			c.state = StateConnecting
		}
	}
	c.mu.Unlock()
	if old != nil {
		old.st.Close()
	}
	return c.Request(ctx)
}

// Release gives the allocation back to the proxy and stops asking for one until Request is
// called. The host keeps advertising the old address; peers reaching it are refused.
func (c *Client) Release(ctx context.Context) error {
	c.mu.Lock()
	sess, addr := c.sess, c.addr
	if addr == "" {
		c.mu.Unlock()
		return status.Wrap(status.NoDsp, ErrNoAllocation, "proxy release")
	}
	c.state = StateReleased
	c.sess = nil
	c.mu.Unlock()
	if sess == nil {
		return status.Wrap(status.NetReconnectPeerFailed, ErrNoAllocation, "proxy release of %s: not connected to the proxy", addr)
	}
	_, err := sess.call(ctx, &ReleaseRequest{ProxyAddress: addr})
	sess.st.Close()
	if err != nil {
		if status.CodeOf(err, 0) == 0 {
			err = status.Wrap(status.NetReconnectPeerFailed, err, "proxy release")
		}
		return err
	}
	c.mu.Lock()
	c.addr = ""
	c.mu.Unlock()
	c.log.Info("proxy address released", "address", addr)
	return nil
}

// Remote asks the proxy for its view of the allocation (counters and the limits it applies).
func (c *Client) Remote(ctx context.Context) (*StatusReply, error) {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess == nil {
		return nil, status.Wrap(status.NetReconnectPeerFailed, ErrNoAllocation, "proxy status: not connected to the proxy")
	}
	v, err := sess.call(ctx, &StatusRequest{})
	if err != nil {
		if status.CodeOf(err, 0) == 0 {
			sess.st.Close()
			err = status.Wrap(status.NetReconnectPeerFailed, err, "proxy status")
		}
		return nil, err
	}
	r, ok := v.(*StatusReply)
	if !ok {
		return nil, status.Wrap(status.InternalError, ErrMalformed, "proxy status: reply %T", v)
	}
	return r, nil
}

func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// loop keeps a control stream to the proxy until Close.
func (c *Client) loop() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		released := c.state == StateReleased || c.proxy == ""
		c.mu.Unlock()
		if !released {
			err := c.session()
			if c.ctx.Err() != nil {
				return
			}
			c.mu.Lock()
			if c.state != StateReleased {
				c.state = StateConnecting
			}
			if err != nil {
				c.lastErr = err.Error()
			}
			c.mu.Unlock()
			if err != nil {
				c.log.Warn("proxy control stream ended", "err", err)
			}
		}
		wait := c.cfg.RetryInterval
		if released {
			wait = time.Hour
		}
		t := time.NewTimer(wait)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return
		case <-c.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// session connects to the proxy, asks for the address and keeps the stream alive until it fails.
func (c *Client) session() error {
	c.mu.Lock()
	h, purl := c.host, c.proxy
	c.mu.Unlock()
	if h == nil {
		return fmt.Errorf("proxy client: %w: not mounted", node.ErrBadConfig)
	}
	ctx, cancel := context.WithTimeout(c.ctx, h.Config().HandshakeTimeout+h.Config().RequestTimeout)
	p, err := h.Connect(ctx, purl)
	if err != nil {
		cancel()
		return err
	}
	sess, err := openControl(ctx, p, h.Config().Wire)
	if err != nil {
		cancel()
		return err
	}
	defer sess.st.Close()
	c.mu.Lock()
	if c.state == StateClosed || c.proxy != purl {
		c.mu.Unlock()
		cancel()
		return fmt.Errorf("proxy session to %s: %w", purl, ErrClosed)
	}
	c.sess, c.proxyAcct = sess, p.Account()
	c.opened++
	want := c.addr
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.sess == sess {
			c.sess = nil
		}
		c.mu.Unlock()
	}()
	_, err = c.ask(ctx, sess, want)
	cancel()
	if err != nil {
		return err
	}
	t := time.NewTicker(c.cfg.KeepaliveInterval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return c.ctx.Err()
		case <-p.Closed():
			return p.Err()
		case <-t.C:
		}
		if c.pauseKeepalive.Load() {
			continue
		}
		if err := c.keepalive(sess); err != nil {
			return err
		}
	}
}

// openControl opens a control stream to the proxy p.
func openControl(ctx context.Context, p *node.Peer, wc wire.Config) (*ctrl, error) {
	st, err := p.OpenStream(ctx, ControlProto)
	if err != nil {
		return nil, fmt.Errorf("proxy control stream to %s: %w", p.Account(), err)
	}
	return newCtrl(st, wc), nil
}

// ask sends ProxyRequest on sess and records the answer.
func (c *Client) ask(ctx context.Context, sess *ctrl, want string) (string, error) {
	v, err := sess.call(ctx, &wire.ProxyRequest{OriginAddress: c.origin(), ProxyAddress: want})
	if err != nil {
		return "", fmt.Errorf("proxy request: %w", err)
	}
	r, ok := v.(*wire.ProxyResponse)
	if !ok || r.ProxyAddress == "" {
		return "", status.Wrap(status.InternalError, ErrMalformed, "proxy request: reply %T", v)
	}
	c.mu.Lock()
	if c.advertised != "" && r.ProxyAddress != c.advertised {
		c.log.Warn("proxy gave another address than the one advertised; restart the node to advertise it",
			"advertised", c.advertised, "address", r.ProxyAddress)
	}
	c.addr, c.lastErr = r.ProxyAddress, ""
	if c.state == StateConnecting || c.state == StateIdle {
		c.state, c.since = StateActive, time.Now()
		close(c.active)
		c.active = make(chan struct{})
	}
	c.mu.Unlock()
	return r.ProxyAddress, nil
}

// origin is the node's own address for ProxyRequest.OriginAddress: the first URL its host listens
// on other than the proxy address, or "" when the proxy is its only listener.
func (c *Client) origin() string {
	c.mu.Lock()
	h, adv := c.host, c.advertised
	c.mu.Unlock()
	if h == nil {
		return ""
	}
	for _, u := range h.Addrs() {
		if u != adv {
			return u
		}
	}
	return ""
}

// keepalive sends one Keepalive and waits for the answer.
func (c *Client) keepalive(sess *ctrl) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.KeepaliveTimeout)
	defer cancel()
	start := time.Now()
	v, err := sess.call(ctx, &wire.Keepalive{})
	if err != nil {
		return fmt.Errorf("proxy keepalive: %w", err)
	}
	if _, ok := v.(*wire.KeepaliveResponse); !ok {
		return fmt.Errorf("proxy keepalive: %w: reply %T", ErrMalformed, v)
	}
	c.mu.Lock()
	c.lastKA, c.kaRTT = time.Now(), time.Since(start)
	c.mu.Unlock()
	return nil
}

// bootstrap asks the proxy for an address before the host starts, over a short-lived host with
// the same key (the host must advertise the address from its first handshake on).
func (c *Client) bootstrap() (string, error) {
	c.mu.Lock()
	h := c.host
	c.mu.Unlock()
	if h == nil {
		return "", fmt.Errorf("proxy listen: %w: client not mounted", node.ErrBadConfig)
	}
	hc := h.Config()
	ts := node.Transports{}
	for k, t := range hc.Transports {
		if _, self := t.(clientTransport); !self {
			ts[k] = t
		}
	}
	tmp, err := node.New(node.Config{Key: hc.Key, Wire: hc.Wire, Transports: ts, Mux: hc.Mux,
		KeepaliveInterval: hc.KeepaliveInterval, KeepaliveTimeout: hc.KeepaliveTimeout,
		HandshakeTimeout: hc.HandshakeTimeout, RequestTimeout: hc.RequestTimeout, Logger: hc.Logger})
	if err != nil {
		return "", err
	}
	if err := tmp.Start(); err != nil {
		return "", err
	}
	defer tmp.Close()
	ctx, cancel := context.WithTimeout(c.ctx, hc.HandshakeTimeout+hc.RequestTimeout)
	defer cancel()
	purl := c.Proxy()
	p, err := tmp.Connect(ctx, purl)
	if err != nil {
		return "", status.Wrap(status.NetReconnectPeerFailed, err, "proxy listen: reach %s", purl)
	}
	sess, err := openControl(ctx, p, hc.Wire)
	if err != nil {
		return "", status.Wrap(status.NetReconnectPeerFailed, err, "proxy listen")
	}
	defer sess.st.Close()
	c.mu.Lock()
	c.proxyAcct = p.Account()
	want := c.addr
	c.mu.Unlock()
	v, err := sess.call(ctx, &wire.ProxyRequest{ProxyAddress: want})
	if err != nil {
		if status.CodeOf(err, 0) == 0 {
			err = status.Wrap(status.NetReconnectPeerFailed, err, "proxy listen: request")
		}
		return "", err
	}
	r, ok := v.(*wire.ProxyResponse)
	if !ok || r.ProxyAddress == "" {
		return "", status.Wrap(status.InternalError, ErrMalformed, "proxy listen: reply %T", v)
	}
	return r.ProxyAddress, nil
}

// serveRelay takes a relay stream from the proxy and hands it to the listener as a connection.
func (c *Client) serveRelay(st *node.Stream) {
	c.mu.Lock()
	ln, acct := c.ln, c.proxyAcct
	h := c.host
	c.mu.Unlock()
	if ln == nil || acct != st.Peer().Account() {
		c.log.Warn("relay stream refused", "peer", st.Peer().Account().String(), "err", ErrNotOwner)
		st.Close()
		return
	}
	timeout := h.Config().HandshakeTimeout
	st.SetReadDeadline(time.Now().Add(timeout))
	hdr, err := readRelayOpen(st)
	if err != nil {
		c.log.Warn("relay stream refused", "peer", st.Peer().Account().String(), "err", err)
		st.Close()
		return
	}
	st.SetReadDeadline(time.Time{})
	rc := &relayConn{st: st, c: c, local: relayAddr(hdr.ProxyAddress), remote: relayAddr(hdr.Remote)}
	c.relayed.Add(1)
	c.relayedTotal.Add(1)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case ln.accepts <- rc:
	case <-ln.done:
		rc.Close()
	case <-t.C:
		rc.Close()
	}
}

var errNoDial = errors.New("the proxy transport only listens; dial the proxy address with kcp://")
