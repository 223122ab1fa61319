package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"dsp/keys"
	"dsp/wire"

	"github.com/xtaci/smux"
)

// Config configures a Host. Only Key is required.
type Config struct {
	// Key is the node's account key; the peer identity others see is its address.
	Key keys.Signer
	// Wire is the frame configuration; its NetworkID is the network this host belongs to.
	// Zero means wire.DefaultConfig().
	Wire wire.Config
	// Listen lists the URLs to accept connections on (kcp://127.0.0.1:4001, mem://a). A host
	// without listeners still dials out.
	Listen []string
	// Advertise is the URL told to peers in the handshake; default the first listener's URL.
	Advertise string
	// Transports by scheme; nil means DefaultTransports().
	Transports Transports
	// Mux is the smux configuration; nil means DefaultMuxConfig().
	Mux *smux.Config
	// KeepaliveInterval is how often a keepalive goes to each peer (default 5 s);
	// KeepaliveTimeout is how long a connection may stay silent before it is closed (default 20 s).
	KeepaliveInterval, KeepaliveTimeout time.Duration
	// HandshakeTimeout bounds a connection's handshake and a new stream's first message (default
	// 10 s).
	HandshakeTimeout time.Duration
	// RequestTimeout bounds a request whose context has no deadline (default 30 s).
	RequestTimeout time.Duration
	// InboxSize is how many received messages per peer may wait for their component (default
	// 256). When it is full, reading from that peer waits for the component, replies included.
	InboxSize int
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// Metrics receives the host's metrics; nil makes a fresh NewMetrics().
	Metrics *Metrics
}

func (c *Config) fill() error {
	if c.Key == nil {
		return fmt.Errorf("%w: no account key", ErrBadConfig)
	}
	if c.Wire == (wire.Config{}) {
		c.Wire = wire.DefaultConfig()
	}
	if err := c.Wire.Verify(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	if c.Transports == nil {
		c.Transports = DefaultTransports()
	}
	if c.Mux == nil {
		c.Mux = DefaultMuxConfig()
	}
	if err := smux.VerifyConfig(c.Mux); err != nil {
		return fmt.Errorf("%w: smux: %v", ErrBadConfig, err)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.KeepaliveInterval, 5*time.Second)
	def(&c.KeepaliveTimeout, 20*time.Second)
	def(&c.HandshakeTimeout, 10*time.Second)
	def(&c.RequestTimeout, 30*time.Second)
	if c.KeepaliveTimeout <= c.KeepaliveInterval {
		return fmt.Errorf("%w: keepalive timeout %v must exceed the interval %v", ErrBadConfig, c.KeepaliveTimeout, c.KeepaliveInterval)
	}
	if c.InboxSize <= 0 {
		c.InboxSize = 256
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics()
	}
	return nil
}

// Host is the P2P layer of a node: it listens and dials, authenticates peers, keeps exactly one
// connection per peer, and hands messages and streams to the components registered with it.
// Its methods are safe for concurrent use.
type Host struct {
	cfg     Config
	account keys.Address
	log     *slog.Logger
	metrics *Metrics

	mu         sync.Mutex
	self       wire.ID
	state      int // 0 new, 1 started, 2 closed
	listeners  []Listener
	peers      map[keys.Address]*Peer
	live       map[io.Closer]struct{} // every connection not yet closed, registered or not
	dialing    map[*dialState]struct{}
	comps      []registered
	streams    map[string]func(*Stream)
	peersMoved chan struct{} // closed and replaced whenever peers changes

	wg sync.WaitGroup
}

type registered struct {
	c      Component
	ranges []wire.OpRange
}

// New checks cfg and returns a host that is not yet listening; call Register, HandleStream, then
// Start.
func New(cfg Config) (*Host, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	pub := cfg.Key.Public()
	h := &Host{
		cfg: cfg, account: pub.Address(), log: cfg.Logger.With("node", pub.Address().String()),
		metrics: cfg.Metrics, peers: map[keys.Address]*Peer{}, live: map[io.Closer]struct{}{},
		dialing: map[*dialState]struct{}{}, streams: map[string]func(*Stream){},
		peersMoved: make(chan struct{}),
	}
	h.self = wire.NewID(pub, cfg.Advertise)
	return h, nil
}

// Register adds a component for the opcodes in ranges. It must be called before Start; a range
// overlapping another component's is an error.
func (h *Host) Register(c Component, ranges ...wire.OpRange) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != 0 {
		return fmt.Errorf("register component: %w: host already started", ErrBadConfig)
	}
	for _, r := range ranges {
		if r.First > r.Last || r.First < wire.OpApplicationStart && r.First != wire.OpBytes {
			return fmt.Errorf("register component: %w: bad opcode range %d-%d", ErrBadConfig, r.First, r.Last)
		}
		for _, o := range h.comps {
			for _, or := range o.ranges {
				if r.First <= or.Last && or.First <= r.Last {
					return fmt.Errorf("register component: %w: range %d-%d overlaps %d-%d", ErrBadConfig, r.First, r.Last, or.First, or.Last)
				}
			}
		}
	}
	h.comps = append(h.comps, registered{c: c, ranges: ranges})
	return nil
}

// HandleStream sets fn as the handler of bulk streams peers open for proto. fn runs in its own
// goroutine, owns the stream (it must Close it) and must return once the stream fails.
func (h *Host) HandleStream(proto string, fn func(*Stream)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.streams[proto] = fn
}

// Start listens on every configured URL, calls Startup on the components and accepts peers.
func (h *Host) Start() error {
	h.mu.Lock()
	if h.state != 0 {
		h.mu.Unlock()
		return fmt.Errorf("start: %w", ErrHostClosed)
	}
	h.state = 1
	h.mu.Unlock()
	for _, url := range h.cfg.Listen {
		l, err := h.cfg.Transports.Listen(url)
		if err != nil {
			h.Close()
			return err
		}
		h.mu.Lock()
		h.listeners = append(h.listeners, l)
		h.mu.Unlock()
		h.log.Info("listening", "url", l.URL())
	}
	h.mu.Lock()
	if h.cfg.Advertise == "" && len(h.listeners) > 0 {
		h.cfg.Advertise = h.listeners[0].URL()
		h.self = wire.NewID(h.cfg.Key.Public(), h.cfg.Advertise)
	}
	ls := append([]Listener(nil), h.listeners...)
	comps := append([]registered(nil), h.comps...)
	h.mu.Unlock()
	for _, c := range comps {
		c.c.Startup(h)
	}
	for _, l := range ls {
		h.wg.Add(1)
		go h.acceptLoop(l)
	}
	return nil
}

// Close disconnects every peer (each gets a Disconnect message), stops the listeners, waits for
// the host's goroutines and calls Cleanup on the components. It may be called more than once.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.state == 2 {
		h.mu.Unlock()
		return nil
	}
	h.state = 2
	ls := h.listeners
	var peers []*Peer
	var others []io.Closer
	for c := range h.live {
		if p, ok := c.(*Peer); ok {
			peers = append(peers, p)
		} else {
			others = append(others, c)
		}
	}
	comps := append([]registered(nil), h.comps...)
	h.mu.Unlock()
	// Peers first: a KCP listener's socket carries the sessions it accepted, so closing it first
	// would cut them off without their Disconnect. New connections are refused already (state 2).
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Add(1)
		go func() { defer wg.Done(); p.Disconnect("host closing") }()
	}
	for _, c := range others {
		c.Close()
	}
	wg.Wait()
	for _, l := range ls {
		l.Close()
	}
	h.wg.Wait()
	for _, c := range comps {
		c.c.Cleanup(h)
	}
	h.log.Info("host closed")
	return nil
}

// Account is the host's account address, its identity to peers.
func (h *Host) Account() keys.Address { return h.account }

// Addrs lists the URLs the host listens on.
func (h *Host) Addrs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, l := range h.listeners {
		out = append(out, l.URL())
	}
	return out
}

// NetworkID is the network the host belongs to.
func (h *Host) NetworkID() uint32 { return h.cfg.Wire.NetworkID }

// Metrics returns the host's collectors.
func (h *Host) Metrics() *Metrics { return h.metrics }

// Config returns the host's configuration with defaults filled in.
func (h *Host) Config() Config { return h.cfg }

// Peer returns the connected peer with account a.
func (h *Host) Peer(a keys.Address) (*Peer, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.peers[a]
	return p, ok
}

// Peers returns the connected peers, sorted by account.
func (h *Host) Peers() []*Peer {
	h.mu.Lock()
	out := make([]*Peer, 0, len(h.peers))
	for _, p := range h.peers {
		out = append(out, p)
	}
	h.mu.Unlock()
	sortPeers(out)
	return out
}

// Request sends a request to the connected peer a and waits for its reply (see Peer.Request).
func (h *Host) Request(ctx context.Context, a keys.Address, op wire.Opcode, payload any) (*Incoming, error) {
	p, ok := h.Peer(a)
	if !ok {
		return nil, fmt.Errorf("request %s to %s: %w", op, a, ErrNotConnected)
	}
	return p.Request(ctx, op, payload)
}

// Disconnect sends peer a a Disconnect message with reason and closes the connection.
func (h *Host) Disconnect(a keys.Address, reason string) error {
	p, ok := h.Peer(a)
	if !ok {
		return fmt.Errorf("disconnect %s: %w", a, ErrNotConnected)
	}
	p.Disconnect(reason)
	return nil
}

// track records c as a live connection; false if the host is closed.
func (h *Host) track(c io.Closer) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != 1 {
		return false
	}
	h.live[c] = struct{}{}
	return true
}

func (h *Host) untrack(c io.Closer) {
	h.mu.Lock()
	delete(h.live, c)
	h.mu.Unlock()
}

func (h *Host) acceptLoop(l Listener) {
	defer h.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			h.mu.Lock()
			closed := h.state == 2
			h.mu.Unlock()
			if !closed {
				h.log.Error("accept failed; listener stopped", "url", l.URL(), "err", err)
			}
			return
		}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			if _, err := h.accept(c); err != nil {
				h.log.Warn("inbound connection refused", "remote", c.RemoteAddr(), "err", err)
			}
		}()
	}
}

// dialState is an outgoing connection in its handshake, so an inbound connection from the same
// peer at the same moment can wait for it instead of racing it.
type dialState struct {
	url     string
	account keys.Address // zero until known
	done    chan struct{}
	peer    *Peer // set before done closes when the dial won
}

// Connect returns the connection to the peer at url, dialing it if there is none. url is
// "kcp://host:port" or "ACCOUNT@kcp://host:port"; with an account the peer must prove that
// account in the handshake. If the peer dials this host at the same moment, the connection dialed
// by the smaller account address is kept and returned; the other is closed.
func (h *Host) Connect(ctx context.Context, url string) (*Peer, error) {
	pin, url, err := ParsePeerURL(url)
	if err != nil {
		return nil, err
	}
	for {
		h.mu.Lock()
		if h.state != 1 {
			h.mu.Unlock()
			return nil, fmt.Errorf("connect %s: %w", url, ErrHostClosed)
		}
		for _, p := range h.peers {
			if (pin != (keys.Address{}) && p.account == pin) || (pin == (keys.Address{}) && p.url == url) {
				h.mu.Unlock()
				return p, nil
			}
		}
		var wait *dialState
		for ds := range h.dialing {
			if ds.url == url {
				wait = ds
			}
		}
		if wait == nil {
			ds := &dialState{url: url, account: pin, done: make(chan struct{})}
			h.dialing[ds] = struct{}{}
			h.mu.Unlock()
			p, err := h.dial(ctx, url, pin, ds)
			h.mu.Lock()
			delete(h.dialing, ds)
			ds.peer = p
			close(ds.done)
			h.mu.Unlock()
			return p, err
		}
		h.mu.Unlock()
		select {
		case <-wait.done:
			if wait.peer != nil && !wait.peer.isClosed() {
				return wait.peer, nil
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("connect %s: %w", url, ctx.Err())
		}
	}
}

// ParsePeerURL splits "ACCOUNT@scheme://addr" into the pinned account (zero if absent) and the URL.
func ParsePeerURL(s string) (keys.Address, string, error) {
	var pin keys.Address
	if at := strings.Index(s, "@"); at >= 0 && at < strings.Index(s, "://") {
		a, err := keys.ParseAddress(s[:at])
		if err != nil {
			return pin, "", fmt.Errorf("%w: account in %q: %v", ErrBadURL, s, err)
		}
		pin, s = a, s[at+1:]
	}
	if _, _, err := SplitURL(s); err != nil {
		return pin, "", err
	}
	return pin, s, nil
}

// findDial returns an outgoing handshake to the peer with listen URL url or account a.
func (h *Host) findDial(url string, a keys.Address) *dialState {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ds := range h.dialing {
		if (url != "" && ds.url == url) || ds.account == a {
			return ds
		}
	}
	return nil
}

// prefer reports whether connection n should replace o, both with the same peer: the one dialed
// by the smaller account address wins; of two dialed by the same side, the newer one.
func prefer(n, o *Peer) bool {
	if n.dialer == o.dialer {
		return true
	}
	return bytes.Compare(n.dialer[:], o.dialer[:]) < 0
}

// register makes p the connection for its account unless the existing one is preferred.
func (h *Host) register(p *Peer) bool {
	h.mu.Lock()
	if h.state != 1 {
		h.mu.Unlock()
		return false
	}
	old := h.peers[p.account]
	if old != nil && !prefer(p, old) {
		h.mu.Unlock()
		return false
	}
	h.peers[p.account] = p
	h.moved()
	h.mu.Unlock()
	if old != nil {
		h.log.Info("duplicate connection replaced", "peer", p.account.String())
		old.closeWith(ErrReplaced)
	}
	return true
}

// moved wakes waiters on the peer table; h.mu must be held.
func (h *Host) moved() {
	close(h.peersMoved)
	h.peersMoved = make(chan struct{})
}

// unregister removes p if it is the registered connection for its account.
func (h *Host) unregister(p *Peer) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.live, p)
	if h.peers[p.account] != p {
		return false
	}
	delete(h.peers, p.account)
	h.moved()
	return true
}

// waitPeer waits until a connection with account a is registered.
func (h *Host) waitPeer(ctx context.Context, a keys.Address) (*Peer, error) {
	for {
		h.mu.Lock()
		p, ok := h.peers[a]
		ch := h.peersMoved
		h.mu.Unlock()
		if ok {
			return p, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (h *Host) components() []registered {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.comps
}

func (h *Host) componentFor(op wire.Opcode) Component {
	for _, r := range h.components() {
		for _, rg := range r.ranges {
			if op >= rg.First && op <= rg.Last {
				return r.c
			}
		}
	}
	return nil
}

func (h *Host) streamHandler(proto string) func(*Stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.streams[proto]
}

// countConn counts a connection's transport bytes and notes when anything last arrived.
type countConn struct {
	net.Conn
	m        *Metrics
	lastRecv *atomicTime
	in, out  *counter
}

func (c *countConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.lastRecv.store(time.Now())
		c.in.add(n)
		c.m.BytesIn.Add(float64(n))
	}
	return n, err
}

func (c *countConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.out.add(n)
		c.m.BytesOut.Add(float64(n))
	}
	return n, err
}
