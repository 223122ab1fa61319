package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dsp/keys"
	"dsp/node"
	"dsp/status"
	"dsp/wire"

	"golang.org/x/time/rate"
)

// Config configures a Service. The zero value serves: every field has a default.
type Config struct {
	// PublicHost is the host (IP or DNS name) put into allocated addresses: peers dial
	// kcp://PublicHost:port. Default: the host of the proxy host's first kcp:// listener.
	PublicHost string
	// BindHost is the IP the Proxy-Servers listen on (default PublicHost). Set "0.0.0.0" when the
	// proxy sits behind a 1:1 NAT whose public address is PublicHost.
	BindHost string
	// PortMin and PortMax bound the ports of allocations, inclusive. Both 0 (the default) means any
	// free port the kernel picks.
	PortMin, PortMax int
	// CacheTime is how long an allocation whose node went away is kept for it (default 180 min):
	// the same account asking again within it gets the same address back.
	CacheTime time.Duration
	// KeepaliveTimeout is how long a control stream may stay silent (no Keepalive or request)
	// before the node's relayed connections are closed and the stream with them (default 45 s:
	// three of the client's 15 s keepalives). The allocation is kept for CacheTime.
	KeepaliveTimeout time.Duration
	// HoldTime is how long a connection to the address of a node that is away waits for the node
	// to come back before it is refused (default 5 s): it covers a node's reconnect.
	HoldTime time.Duration
	// MaxAllocations caps the allocations the proxy holds, online or cached (default 256).
	MaxAllocations int
	// MaxConnsPerNode caps the relayed connections open (or waiting for the node) at once to one
	// node (default 64); more are refused (closed at once) and counted.
	MaxConnsPerNode int
	// RateLimit caps the relayed bytes per second of one node, both directions together
	// (default 0: no cap). RateBurst is the bucket size in bytes (default max(RateLimit/4,
	// 2 x node.StreamChunk)).
	RateLimit int64
	RateBurst int
	// SweepInterval is how often expired allocations are freed (default min(CacheTime/4, 1 min)).
	SweepInterval time.Duration
	// KCP is the transport of the Proxy-Servers (default node.NewKCP(node.DefaultKCPConfig())).
	KCP *node.KCP
	// Logger receives the service's logs (default slog.Default()).
	Logger *slog.Logger
}

func (c *Config) fill() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.CacheTime, 180*time.Minute)
	def(&c.KeepaliveTimeout, 45*time.Second)
	def(&c.HoldTime, 5*time.Second)
	def(&c.SweepInterval, min(c.CacheTime/4, time.Minute))
	if c.MaxAllocations <= 0 {
		c.MaxAllocations = 256
	}
	if c.MaxConnsPerNode <= 0 {
		c.MaxConnsPerNode = 64
	}
	if c.PortMin < 0 || c.PortMax > 65535 || c.PortMin > c.PortMax || (c.PortMin == 0) != (c.PortMax == 0) {
		return fmt.Errorf("proxy: %w: port range %d-%d", node.ErrBadConfig, c.PortMin, c.PortMax)
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		return fmt.Errorf("proxy: %w: negative rate limit", node.ErrBadConfig)
	}
	if c.RateLimit > 0 && c.RateBurst == 0 {
		c.RateBurst = int(max(c.RateLimit/4, 2*node.StreamChunk))
	}
	if c.RateBurst > 0 && c.RateBurst < node.StreamChunk {
		c.RateBurst = node.StreamChunk // one relay read must fit the bucket
	}
	if c.KCP == nil {
		c.KCP = node.NewKCP(node.DefaultKCPConfig())
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Service is the proxy role: a node.Component on a public node. A node behind NAT connects to it
// as an ordinary peer (its Main-Connection), opens a control stream (ControlProto) and sends
// ProxyRequest; the service binds a KCP listener for it (its Proxy-Server) and answers
// ProxyResponse with its address. Each connection a peer makes to that address is relayed to the
// node over a stream (RelayProto) on the Main-Connection, both ways, many at once. Methods are
// safe for concurrent use.
type Service struct {
	node.BaseComponent
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	host     *node.Host
	closed   bool
	byOwner  map[keys.Address]*allocation
	byAddr   map[string]*allocation
	sessions map[*session]struct{}
	nextPort int
	retired  counts // counters of freed allocations, for the metrics' totals

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ node.Component = (*Service)(nil)

// allocation is one node's proxy address. Its fields other than the counters are under Service.mu.
type allocation struct {
	owner   keys.Address
	addr    string // kcp://PublicHost:port
	ln      node.Listener
	lim     *rate.Limiter // nil: no cap
	sess    *session      // the bound control stream; nil while the node is away
	created time.Time
	offline time.Time // when the node went away; zero while online
	relays  map[*relay]struct{}
	back    chan struct{} // closed and replaced when a control stream binds

	connsTotal, refused atomic.Uint64
	toNode, fromNode    atomic.Uint64
	acceptDone          chan struct{}
}

// session is one control stream.
type session struct {
	peer  *node.Peer
	st    *node.Stream
	c     *ctrl
	alloc *allocation // under Service.mu
}

// NewService checks cfg and returns a service; mount it on a host with Mount before Start.
func NewService(cfg Config) (*Service, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{
		cfg: cfg, log: cfg.Logger, byOwner: map[keys.Address]*allocation{}, byAddr: map[string]*allocation{},
		sessions: map[*session]struct{}{}, nextPort: cfg.PortMin, ctx: ctx, cancel: cancel,
	}, nil
}

// Mount registers the service with h (the proxy opcode range, and the control stream handler).
func (s *Service) Mount(h *node.Host) error {
	if err := h.Register(s, Range); err != nil {
		return err
	}
	h.HandleStream(ControlProto, s.serveControl)
	return nil
}

// Config returns the service's configuration with defaults filled in (PublicHost once started).
func (s *Service) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Startup implements node.Component: it settles PublicHost and starts the sweep loop.
func (s *Service) Startup(h *node.Host) {
	s.mu.Lock()
	s.host = h
	if s.cfg.PublicHost == "" {
		s.cfg.PublicHost = "127.0.0.1"
		for _, u := range h.Addrs() {
			if sch, addr, err := node.SplitURL(u); err == nil && sch == "kcp" {
				if host, _, err := net.SplitHostPort(addr); err == nil && host != "" && host != "0.0.0.0" && host != "::" {
					s.cfg.PublicHost = host
					break
				}
			}
		}
	}
	if s.cfg.BindHost == "" {
		s.cfg.BindHost = s.cfg.PublicHost
	}
	s.mu.Unlock()
	s.wg.Add(1)
	go s.sweepLoop()
}

// Cleanup implements node.Component: it closes every Proxy-Server, relay and control stream and
// waits for the service's goroutines.
func (s *Service) Cleanup(*node.Host) { s.Close() }

// Close stops the service as Cleanup does. It may be called more than once.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancel()
	var closers []func()
	for _, a := range s.byOwner {
		closers = append(closers, s.freeLocked(a)...)
	}
	for se := range s.sessions {
		closers = append(closers, func() { se.st.Close() })
	}
	s.mu.Unlock()
	for _, fn := range closers {
		fn()
	}
	s.wg.Wait()
	return nil
}

// Receive implements node.Component: proxy messages travel on the control stream, not as host
// messages, so a request in the proxy range is refused with INVALID_PARAMS.
func (s *Service) Receive(in *node.Incoming) error {
	return status.Wrap(status.InvalidParams, ErrMalformed, "proxy: %s must be sent on the %q stream", in.Msg.Opcode, ControlProto)
}

// serveControl runs one control stream until it fails, is replaced, or stays silent past the
// keepalive timeout.
func (s *Service) serveControl(st *node.Stream) {
	se := &session{peer: st.Peer(), st: st, c: newCtrl(st, s.hostWire())}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		st.Close()
		return
	}
	s.sessions[se] = struct{}{}
	s.mu.Unlock()
	cause := s.controlLoop(se)
	st.Close()
	s.endSession(se, cause)
}

func (s *Service) hostWire() wire.Config {
	s.mu.Lock()
	h := s.host
	s.mu.Unlock()
	if h == nil {
		return wire.DefaultConfig()
	}
	return h.Config().Wire
}

func (s *Service) controlLoop(se *session) error {
	for {
		se.st.SetReadDeadline(time.Now().Add(s.cfg.KeepaliveTimeout))
		m, payload, skipped, err := se.c.read()
		if err != nil && !skipped {
			if isTimeout(err) {
				return fmt.Errorf("%w: nothing for %v", ErrSilent, s.cfg.KeepaliveTimeout)
			}
			return err
		}
		if m == nil || m.ReplyFlag || m.RequestNonce == 0 {
			continue // replies and one-way messages have no meaning here
		}
		var reply any
		if err != nil {
			reply = errorReply(status.Wrap(status.InvalidParams, fmt.Errorf("%w: %v", ErrMalformed, err), "proxy control"))
		} else if reply, err = s.handle(se, payload); err != nil {
			reply = errorReply(err)
		}
		se.st.SetWriteDeadline(time.Now().Add(s.cfg.KeepaliveTimeout))
		if err := se.c.write(0, reply, m.RequestNonce, true); err != nil {
			return fmt.Errorf("reply: %w", err)
		}
		se.st.SetWriteDeadline(time.Time{})
	}
}

// handle answers one control request.
func (s *Service) handle(se *session, payload any) (any, error) {
	switch r := payload.(type) {
	case *wire.Keepalive:
		return &wire.KeepaliveResponse{}, nil
	case *wire.ProxyRequest:
		addr, err := s.allocate(se, r.ProxyAddress)
		if err != nil {
			return nil, err
		}
		origin := r.OriginAddress
		if origin == "" {
			origin = se.peer.URL()
		}
		return &wire.ProxyResponse{OriginAddress: origin, ProxyAddress: addr}, nil
	case *ReleaseRequest:
		addr, err := s.release(se.peer.Account(), r.ProxyAddress)
		if err != nil {
			return nil, err
		}
		return &ReleaseReply{ProxyAddress: addr}, nil
	case *StatusRequest:
		info, ok := s.Allocation(se.peer.Account())
		if !ok {
			return nil, status.Wrap(status.NoDsp, ErrNoAllocation, "proxy status of %s", se.peer.Account())
		}
		return info.reply(s.cfg), nil
	}
	return nil, status.Wrap(status.InvalidParams, ErrMalformed, "proxy control: unexpected %T", payload)
}

// allocate returns the address of the sender's allocation, making one if it has none (on the port
// of want when want is a free address of this proxy), and binds the allocation to se.
func (s *Service) allocate(se *session, want string) (string, error) {
	owner := se.peer.Account()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", status.Wrap(status.NoDsp, ErrClosed, "proxy request")
	}
	a := s.byOwner[owner]
	if a == nil {
		if len(s.byOwner) >= s.cfg.MaxAllocations {
			s.mu.Unlock()
			return "", status.Wrap(status.InternalError, ErrAllocationsFull, "proxy request from %s: %d allocations held", owner, s.cfg.MaxAllocations)
		}
		var err error
		if a, err = s.bindLocked(owner, want); err != nil {
			s.mu.Unlock()
			return "", status.Wrap(status.InternalError, err, "proxy request from %s", owner)
		}
		s.wg.Add(1)
		go s.acceptLoop(a)
		s.log.Info("proxy address allocated", "owner", owner.String(), "address", a.addr)
	}
	var closers []func()
	if a.sess != se {
		if old := a.sess; old != nil {
			old.alloc = nil
			closers = append(closers, func() { old.st.Close() })
			closers = append(closers, s.dropRelaysLocked(a)...)
		}
		if se.alloc != nil && se.alloc != a { // cannot happen: one account, one allocation
			se.alloc.sess = nil
		}
		a.sess, se.alloc, a.offline = se, a, time.Time{}
		close(a.back)
		a.back = make(chan struct{})
	}
	addr := a.addr
	s.mu.Unlock()
	for _, fn := range closers {
		fn()
	}
	return addr, nil
}

// bindLocked makes a new allocation for owner with a listener on a free port; s.mu is held.
func (s *Service) bindLocked(owner keys.Address, want string) (*allocation, error) {
	try := func(port int) (*allocation, error) {
		ln, err := s.cfg.KCP.Listen(net.JoinHostPort(s.cfg.BindHost, strconv.Itoa(port)))
		if err != nil {
			return nil, err
		}
		_, bound, _ := node.SplitURL(ln.URL())
		_, p, _ := net.SplitHostPort(bound)
		addr := "kcp://" + net.JoinHostPort(s.cfg.PublicHost, p)
		a := &allocation{owner: owner, addr: addr, ln: ln, created: time.Now(), relays: map[*relay]struct{}{}, back: make(chan struct{})}
		if s.cfg.RateLimit > 0 {
			a.lim = rate.NewLimiter(rate.Limit(s.cfg.RateLimit), s.cfg.RateBurst)
		}
		s.byOwner[owner], s.byAddr[addr] = a, a
		return a, nil
	}
	if p, ok := s.wantedPort(want); ok {
		if a, err := try(p); err == nil {
			return a, nil
		}
	}
	if s.cfg.PortMin == 0 {
		return try(0)
	}
	n := s.cfg.PortMax - s.cfg.PortMin + 1
	for i := 0; i < n; i++ {
		p := s.nextPort
		s.nextPort++
		if s.nextPort > s.cfg.PortMax {
			s.nextPort = s.cfg.PortMin
		}
		if s.portHeldLocked(p) {
			continue
		}
		if a, err := try(p); err == nil {
			return a, nil
		}
	}
	return nil, fmt.Errorf("%w in %d-%d", ErrNoPort, s.cfg.PortMin, s.cfg.PortMax)
}

// wantedPort returns the port of want if want is an address of this proxy, in its range and not
// held.
func (s *Service) wantedPort(want string) (int, bool) {
	sch, addr, err := node.SplitURL(want)
	if err != nil || sch != "kcp" {
		return 0, false
	}
	host, ps, err := net.SplitHostPort(addr)
	if err != nil || host != s.cfg.PublicHost {
		return 0, false
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p <= 0 || p > 65535 || (s.cfg.PortMin != 0 && (p < s.cfg.PortMin || p > s.cfg.PortMax)) {
		return 0, false
	}
	if _, held := s.byAddr[want]; held || s.portHeldLocked(p) {
		return 0, false
	}
	return p, true
}

func (s *Service) portHeldLocked(p int) bool {
	suffix := ":" + strconv.Itoa(p)
	for addr := range s.byAddr {
		if strings.HasSuffix(addr, suffix) {
			return true
		}
	}
	return false
}

// release frees owner's allocation. addr, if not empty, must be that allocation's address.
func (s *Service) release(owner keys.Address, addr string) (string, error) {
	s.mu.Lock()
	a := s.byOwner[owner]
	if addr != "" && (a == nil || a.addr != addr) {
		_, other := s.byAddr[addr]
		s.mu.Unlock()
		if other {
			return "", status.Wrap(status.InvalidWalletAddress, ErrNotYours, "release %s by %s", addr, owner)
		}
		return "", status.Wrap(status.NoDsp, ErrNoAllocation, "release %s by %s", addr, owner)
	}
	if a == nil {
		s.mu.Unlock()
		return "", status.Wrap(status.NoDsp, ErrNoAllocation, "release by %s", owner)
	}
	closers := s.freeLocked(a)
	s.mu.Unlock()
	for _, fn := range closers {
		fn()
	}
	s.log.Info("proxy address released", "owner", owner.String(), "address", a.addr)
	return a.addr, nil
}

// Release frees the allocation of owner at once, as the owner's ReleaseRequest would (an
// operator's action). It returns the address freed.
func (s *Service) Release(owner keys.Address) (string, error) { return s.release(owner, "") }

// freeLocked removes a and returns the closers of its listener and relays; s.mu is held. The
// bound control stream stays open: the node may request again on it.
func (s *Service) freeLocked(a *allocation) []func() {
	if s.byOwner[a.owner] == a {
		delete(s.byOwner, a.owner)
		s.retired.add(a)
	}
	delete(s.byAddr, a.addr)
	if a.sess != nil {
		a.sess.alloc = nil
		a.sess = nil
	}
	closers := s.dropRelaysLocked(a)
	return append(closers, func() { a.ln.Close() })
}

// dropRelaysLocked detaches a's relays and returns their closers; s.mu is held.
func (s *Service) dropRelaysLocked(a *allocation) []func() {
	var out []func()
	for r := range a.relays {
		delete(a.relays, r)
		out = append(out, r.close)
	}
	return out
}

// endSession unbinds a control stream that ended: its allocation goes offline (kept for
// CacheTime) and its relayed connections close.
func (s *Service) endSession(se *session, cause error) {
	s.mu.Lock()
	delete(s.sessions, se)
	var closers []func()
	a := se.alloc
	if a != nil && a.sess == se {
		a.sess, se.alloc, a.offline = nil, nil, time.Now()
		closers = s.dropRelaysLocked(a)
	}
	s.mu.Unlock()
	for _, fn := range closers {
		fn()
	}
	if a != nil {
		s.log.Info("proxied node away; relays closed, address kept", "owner", a.owner.String(), "address", a.addr,
			"relays", len(closers), "cause", cause)
	}
}

func (s *Service) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Sweep frees the allocations whose node has been away longer than CacheTime and returns how many
// it freed. The service calls it every SweepInterval.
func (s *Service) Sweep() int {
	now := time.Now()
	s.mu.Lock()
	var closers []func()
	var freed []*allocation
	for _, a := range s.byOwner {
		if a.sess == nil && !a.offline.IsZero() && now.Sub(a.offline) > s.cfg.CacheTime {
			closers = append(closers, s.freeLocked(a)...)
			freed = append(freed, a)
		}
	}
	s.mu.Unlock()
	for _, fn := range closers {
		fn()
	}
	for _, a := range freed {
		s.log.Info("proxy address expired", "owner", a.owner.String(), "address", a.addr)
	}
	return len(freed)
}

// acceptLoop accepts the connections peers make to a's Proxy-Server until its listener closes.
func (s *Service) acceptLoop(a *allocation) {
	defer s.wg.Done()
	for {
		c, err := a.ln.Accept()
		if err != nil {
			return
		}
		s.admit(a, c)
	}
}

// admit starts relaying c to a's node, or refuses it (cap reached, allocation freed). A
// connection that arrives while the node is away waits up to HoldTime for it to come back.
func (s *Service) admit(a *allocation, c net.Conn) {
	s.mu.Lock()
	if s.closed || s.byOwner[a.owner] != a || len(a.relays) >= s.cfg.MaxConnsPerNode {
		s.mu.Unlock()
		a.refused.Add(1)
		c.Close()
		return
	}
	r := newRelay(c)
	a.relays[r] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		se, err := s.waitOnline(a, r)
		if err != nil {
			a.refused.Add(1)
		} else {
			a.connsTotal.Add(1)
			err = s.runRelay(a, se, r)
		}
		r.close()
		s.mu.Lock()
		delete(a.relays, r)
		s.mu.Unlock()
		s.log.Debug("relay ended", "owner", a.owner.String(), "remote", c.RemoteAddr().String(), "err", err)
	}()
}

// waitOnline returns the control session a is bound to, waiting up to HoldTime while its node is
// away.
func (s *Service) waitOnline(a *allocation, r *relay) (*session, error) {
	t := time.NewTimer(s.cfg.HoldTime)
	defer t.Stop()
	for {
		s.mu.Lock()
		se, back, freed := a.sess, a.back, s.byOwner[a.owner] != a
		s.mu.Unlock()
		switch {
		case freed:
			return nil, ErrNoAllocation
		case se != nil:
			return se, nil
		}
		select {
		case <-back:
		case <-t.C:
			return nil, fmt.Errorf("node away for longer than %v", s.cfg.HoldTime)
		case <-r.ctx.Done():
			return nil, ErrClosed
		}
	}
}

// runRelay opens the relay stream to the node and copies both ways until either side ends.
func (s *Service) runRelay(a *allocation, se *session, r *relay) error {
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	st, err := se.peer.OpenStream(ctx, RelayProto)
	cancel()
	if err != nil {
		return err
	}
	if !r.attach(st) {
		st.Close()
		return ErrClosed
	}
	if err := writeRelayOpen(st, &RelayOpen{ProxyAddress: a.addr, Remote: r.c.RemoteAddr().String()}); err != nil {
		return err
	}
	return r.pipe(st, a.lim, &a.toNode, &a.fromNode)
}

// AllocationInfo is the proxy's view of one allocation, for status pages and the control API.
type AllocationInfo struct {
	Owner         keys.Address `json:"owner"`
	Address       string       `json:"address"`
	Online        bool         `json:"online"`
	Created       time.Time    `json:"created"`
	Expires       time.Time    `json:"expires,omitzero"` // zero while online
	Conns         int          `json:"conns"`
	ConnsTotal    uint64       `json:"conns_total"`
	Refused       uint64       `json:"refused"`
	BytesToNode   uint64       `json:"bytes_to_node"`
	BytesFromNode uint64       `json:"bytes_from_node"`
}

func (s *Service) infoLocked(a *allocation) AllocationInfo {
	i := AllocationInfo{
		Owner: a.owner, Address: a.addr, Online: a.sess != nil, Created: a.created, Conns: len(a.relays),
		ConnsTotal: a.connsTotal.Load(), Refused: a.refused.Load(), BytesToNode: a.toNode.Load(), BytesFromNode: a.fromNode.Load(),
	}
	if a.sess == nil && !a.offline.IsZero() {
		i.Expires = a.offline.Add(s.cfg.CacheTime)
	}
	return i
}

func (i AllocationInfo) reply(cfg Config) *StatusReply {
	r := &StatusReply{
		ProxyAddress: i.Address, Owner: i.Owner.String(), Online: i.Online, CreatedUnixNano: i.Created.UnixNano(),
		Conns: uint32(i.Conns), ConnsTotal: i.ConnsTotal, Refused: i.Refused, BytesToNode: i.BytesToNode,
		BytesFromNode: i.BytesFromNode, MaxConns: uint32(cfg.MaxConnsPerNode), RateLimit: uint64(cfg.RateLimit),
		KeepaliveTimeoutMs: uint64(cfg.KeepaliveTimeout.Milliseconds()), CacheTimeMs: uint64(cfg.CacheTime.Milliseconds()),
	}
	if !i.Expires.IsZero() {
		r.ExpiresUnixNano = i.Expires.UnixNano()
	}
	return r
}

// Allocations lists the allocations the proxy holds, sorted by address.
func (s *Service) Allocations() []AllocationInfo {
	s.mu.Lock()
	out := make([]AllocationInfo, 0, len(s.byOwner))
	for _, a := range s.byOwner {
		out = append(out, s.infoLocked(a))
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(x, y AllocationInfo) int { return strings.Compare(x.Address, y.Address) })
	return out
}

// Allocation returns owner's allocation.
func (s *Service) Allocation(owner keys.Address) (AllocationInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byOwner[owner]
	if !ok {
		return AllocationInfo{}, false
	}
	return s.infoLocked(a), true
}
