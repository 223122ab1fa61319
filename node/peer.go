package node

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"dsp/keys"
	"dsp/status"
	"dsp/wire"

	"github.com/xtaci/smux"
)

// Peer is one authenticated connection to another node: a KCP session (or a test transport),
// smux on it, and wire messages on its streams. The send side (Send, Request, Ping, OpenStream)
// is safe for concurrent use; what arrives goes to the host's components.
type Peer struct {
	h       *Host
	id      wire.ID
	account keys.Address
	url     string       // the peer's listen URL ("" if it does not listen)
	dialer  keys.Address // the account that dialed this connection
	connID  []byte
	mac     *sessionMAC
	raw     *countConn
	sess    *smux.Session
	ctrl    *msgStream
	since   time.Time

	evMu      sync.Mutex // orders PeerConnect before PeerDisconnect
	connected bool       // PeerConnect was called (under evMu)

	reqNonce  atomic.Uint64
	pmu       sync.Mutex
	pending   map[uint64]chan *Incoming
	inbox     chan *Incoming // component messages, FIFO
	hostInbox chan *Incoming // keepalive, ping, lookup, metric requests
	closed    chan struct{}
	closeOnce sync.Once
	err       error
	rtt       atomic.Int64
	kaBusy    atomic.Bool
	closing   atomic.Bool  // a Disconnect from the peer is being acknowledged
	dropLog   atomic.Int64 // unix nanos of the last drop logged
}

func (h *Host) newPeer(id wire.ID, account keys.Address, url string, dialer keys.Address, connID []byte,
	mac *sessionMAC, cc *countConn, sess *smux.Session, ctrl *msgStream) *Peer {
	return &Peer{
		h: h, id: id, account: account, url: url, dialer: dialer, connID: connID, mac: mac, raw: cc,
		sess: sess, ctrl: ctrl, since: time.Now(), pending: map[uint64]chan *Incoming{},
		inbox: make(chan *Incoming, h.cfg.InboxSize), hostInbox: make(chan *Incoming, 16), closed: make(chan struct{}),
	}
}

// Account is the peer's account address, proven in the handshake.
func (p *Peer) Account() keys.Address { return p.account }

// ID is the peer's wire ID as it sent it in the handshake.
func (p *Peer) ID() wire.ID { return p.id }

// URL is the address the peer listens on ("" if it did not say).
func (p *Peer) URL() string { return p.url }

// ConnID identifies this connection; both ends compute the same value.
func (p *Peer) ConnID() []byte { return p.connID }

// Dialed reports whether this host dialed the connection.
func (p *Peer) Dialed() bool { return p.dialer == p.h.account }

// RTT is the last measured round trip (keepalive or Ping); 0 before the first measurement.
func (p *Peer) RTT() time.Duration { return time.Duration(p.rtt.Load()) }

// Since is when the connection was authenticated.
func (p *Peer) Since() time.Time { return p.since }

// Traffic returns the bytes received from and sent to the peer at the transport level.
func (p *Peer) Traffic() (in, out uint64) { return p.raw.in.load(), p.raw.out.load() }

// Closed is closed when the connection is gone.
func (p *Peer) Closed() <-chan struct{} { return p.closed }

// Err is why the connection closed (wrapping ErrPeerClosed), or nil while it is up.
func (p *Peer) Err() error {
	select {
	case <-p.closed:
		return p.err
	default:
		return nil
	}
}

func (p *Peer) isClosed() bool { return p.Err() != nil }

func sortPeers(ps []*Peer) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].account.String() < ps[j].account.String() })
}

// start begins serving the connection: message reader, dispatcher, keepalive, stream acceptor.
func (p *Peer) start() {
	h := p.h
	if !h.track(p) {
		p.closeWith(ErrHostClosed)
		return
	}
	// The reader runs before PeerConnect, so a component may make requests from PeerConnect;
	// component messages wait until PeerConnect has returned.
	ready := make(chan struct{})
	h.wg.Add(5)
	go func() { defer h.wg.Done(); p.readLoop(p.ctrl, true) }()
	go func() { defer h.wg.Done(); p.dispatchLoop(p.inbox, ready) }()
	go func() { defer h.wg.Done(); p.dispatchLoop(p.hostInbox, nil) }()
	go func() { defer h.wg.Done(); p.keepaliveLoop() }()
	go func() { defer h.wg.Done(); p.acceptStreams() }()
	defer close(ready)
	p.evMu.Lock()
	defer p.evMu.Unlock()
	if p.isClosed() {
		return
	}
	p.connected = true
	h.metrics.Peers.Inc()
	h.log.Info("peer connected", "peer", p.account.String(), "url", p.url, "dialed", p.Dialed())
	for _, c := range h.components() {
		c.c.PeerConnect(p)
	}
}

// Disconnect sends the peer a Disconnect message with reason (best effort, within one second)
// and closes the connection. Pending requests fail with ErrPeerClosed.
func (p *Peer) Disconnect(reason string) {
	if p.isClosed() {
		return
	}
	if p.closing.Load() { // the peer is leaving already
		p.closeWith(fmt.Errorf("%w: %s", ErrLocalDisconnect, reason))
		return
	}
	// Sent as a request: the peer acknowledges before it closes, so the message is known to have
	// arrived before the transport goes (KCP drops what is unsent when a session closes).
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = p.roundTrip(ctx, wire.OpDisconnect, &wire.Disconnect{Reason: reason}, false)
	p.closeWith(fmt.Errorf("%w: %s", ErrLocalDisconnect, reason))
}

// closeWith closes the connection for cause; it may be called many times and from any goroutine.
func (p *Peer) closeWith(cause error) {
	p.closeOnce.Do(func() {
		p.err = fmt.Errorf("%w: %s: %w", ErrPeerClosed, p.account, cause)
		p.h.unregister(p) // first, so whoever sees the close can connect again at once
		close(p.closed)
		p.sess.Close()
		p.raw.Close()
		p.finish()
	})
}

// finish tells the components, if PeerConnect was called, in a goroutine of its own (so a
// component may close a peer from inside a callback).
func (p *Peer) finish() {
	h := p.h
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		p.evMu.Lock()
		defer p.evMu.Unlock()
		if !p.connected {
			return
		}
		h.metrics.Peers.Dec()
		h.metrics.RTT.DeleteLabelValues(p.account.String())
		h.log.Info("peer disconnected", "peer", p.account.String(), "err", p.err)
		for _, c := range h.components() {
			c.c.PeerDisconnect(p)
		}
	}()
}

// Close closes the connection without a Disconnect message (as if the link died).
func (p *Peer) Close() error {
	p.closeWith(ErrLocalDisconnect)
	return nil
}

// Send sends payload under opcode op (the opcode registered for payload's type when op is 0) on
// the connection's message stream. It returns when the message is written, not when it arrives.
func (p *Peer) Send(ctx context.Context, op wire.Opcode, payload any) error {
	return p.sendOn(ctx, p.ctrl, op, payload, 0, false, false)
}

// SendAck sends like Send with need_ack set and waits until the peer's component has accepted
// the message (its Receive returned nil) and the peer's host answered with an Ack (opcode 18).
func (p *Peer) SendAck(ctx context.Context, op wire.Opcode, payload any) error {
	in, err := p.roundTrip(ctx, op, payload, true)
	if err != nil {
		return err
	}
	if in.Msg.Opcode != wire.OpAckResponse {
		return fmt.Errorf("send %s to %s: answered with %s instead of an ack", op, p.account, in.Msg.Opcode)
	}
	return nil
}

// Request sends a request and waits for the reply, the context's end (default deadline
// Config.RequestTimeout) or the connection's end, whichever is first. A request the peer failed
// comes back as a *status.Error with the peer's status code; a closed connection as an error
// wrapping ErrPeerClosed, at once.
func (p *Peer) Request(ctx context.Context, op wire.Opcode, payload any) (*Incoming, error) {
	return p.roundTrip(ctx, op, payload, false)
}

func (p *Peer) roundTrip(ctx context.Context, op wire.Opcode, payload any, ack bool) (*Incoming, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.h.cfg.RequestTimeout)
		defer cancel()
	}
	n := p.reqNonce.Add(1)
	ch := make(chan *Incoming, 1)
	p.pmu.Lock()
	if p.isClosed() {
		p.pmu.Unlock()
		return nil, p.Err()
	}
	p.pending[n] = ch
	p.pmu.Unlock()
	defer func() {
		p.pmu.Lock()
		delete(p.pending, n)
		p.pmu.Unlock()
	}()
	if err := p.sendOn(ctx, p.ctrl, op, payload, n, false, ack); err != nil {
		return nil, err
	}
	select {
	case in := <-ch:
		if e, ok := in.Payload.(*ErrorReply); ok && in.Msg.Opcode == OpErrorReply {
			name := e.Name
			if name == "" {
				name = restName(e.Code)
			}
			return nil, &status.Error{Code: e.Code, Name: name, Msg: fmt.Sprintf("%s to %s: %s", op, p.account, e.Msg)}
		}
		return in, nil
	case <-p.closed:
		return nil, fmt.Errorf("%s to %s: %w", op, p.account, p.err)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s to %s: %w", op, p.account, ctx.Err())
	}
}

func restName(code int) string {
	if code == status.Success {
		return ""
	}
	return status.RestCode(code).Name()
}

// Ping sends a Ping and returns the round trip; it also updates RTT.
func (p *Peer) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	in, err := p.Request(ctx, wire.OpPing, &wire.Ping{Nonce: p.reqNonce.Load(), SentUnixNano: start.UnixNano()})
	if err != nil {
		return 0, err
	}
	if _, ok := in.Payload.(*wire.Pong); !ok {
		return 0, fmt.Errorf("ping %s: answered with %s", p.account, in.Msg.Opcode)
	}
	rtt := time.Since(start)
	p.setRTT(rtt)
	return rtt, nil
}

// Lookup asks the peer for the peers it is connected to whose id (sha256 of the net key) is
// target, or all of them (up to 64) when target is empty.
func (p *Peer) Lookup(ctx context.Context, target []byte) ([]wire.ID, error) {
	in, err := p.Request(ctx, wire.OpLookupNodeRequest, &wire.LookupNodeRequest{Target: target})
	if err != nil {
		return nil, err
	}
	r, ok := in.Payload.(*wire.LookupNodeResponse)
	if !ok {
		return nil, fmt.Errorf("lookup via %s: answered with %s", p.account, in.Msg.Opcode)
	}
	return r.Peers, nil
}

func (p *Peer) setRTT(d time.Duration) {
	p.rtt.Store(int64(d))
	p.h.metrics.RTT.WithLabelValues(p.account.String()).Set(d.Seconds())
}

func (p *Peer) reply(ctx context.Context, nonce uint64, op wire.Opcode, payload any) error {
	if nonce == 0 {
		return fmt.Errorf("reply to %s: the message is not a request", p.account)
	}
	return p.sendOn(ctx, p.ctrl, op, payload, nonce, true, false)
}

// sendOn encodes payload and writes it on ms with the session MAC.
func (p *Peer) sendOn(ctx context.Context, ms *msgStream, op wire.Opcode, payload any, reqNonce uint64, isReply, needAck bool) error {
	if op == wire.OpUnregistered {
		o, ok := wire.OpcodeOf(payload)
		if !ok {
			return fmt.Errorf("send %T to %s: %w: no opcode registered for the payload type", payload, p.account, wire.ErrUnknownOpcode)
		}
		op = o
	}
	body, err := wire.EncodePayload(payload)
	if err != nil {
		return fmt.Errorf("send %s to %s: %w", op, p.account, err)
	}
	m := &wire.Message{Message: body, Sender: p.h.selfID(), RequestNonce: reqNonce, ReplyFlag: isReply,
		Opcode: op, NetID: p.h.cfg.Wire.NetworkID, NeedAck: needAck}
	if err := ms.write(ctx, p.mac, m); err != nil {
		err = fmt.Errorf("send %s to %s: %w", op, p.account, err)
		if ms == p.ctrl { // a message stream broken mid-frame cannot be used again
			p.closeWith(err)
			return fmt.Errorf("%w: %w", err, p.Err())
		}
		return err
	}
	p.h.metrics.msgOut.Inc()
	return nil
}

// drop counts and logs (at most once a second per peer) a message that failed a check.
func (p *Peer) drop(reason string, err error) {
	p.h.metrics.Dropped.WithLabelValues(reason).Inc()
	now := time.Now().UnixNano()
	if last := p.dropLog.Load(); now-last > int64(time.Second) && p.dropLog.CompareAndSwap(last, now) {
		p.h.log.Warn("message dropped", "peer", p.account.String(), "reason", reason, "err", err)
	}
}

// dropReason maps a wire error to its metric label.
func dropReason(err error) string {
	switch {
	case errors.Is(err, wire.ErrWrongNetwork):
		return DropWrongNetwork
	case errors.Is(err, wire.ErrUnknownCompression):
		return DropCompression
	case errors.Is(err, wire.ErrOversized):
		return DropOversized
	case errors.Is(err, wire.ErrBadSignature):
		return DropBadSignature
	case errors.Is(err, wire.ErrIDMismatch):
		return DropIDMismatch
	case errors.Is(err, wire.ErrUnknownOpcode):
		return DropUnknownOpcode
	case errors.Is(err, errReplay):
		return DropReplay
	}
	return DropMalformed
}

var errReplay = errors.New("message nonce not above the last one on this stream")

// readOne reads the next message on ms that passes every check, counting and skipping those that
// do not; it fails only when the stream itself fails.
func (p *Peer) readOne(ms *msgStream) (*Incoming, error) {
	return p.readNext(ms, false)
}

// readNext is readOne; with view the message is decoded where the stream's reader read it, so
// its byte fields are valid only until the next read on ms (the bulk stream's Read consumes them
// before that).
func (p *Peer) readNext(ms *msgStream, view bool) (*Incoming, error) {
	for {
		before := ms.r.Stats.Discarded
		var m *wire.Message
		var err error
		if view {
			m, err = ms.r.ReadMessageView()
		} else {
			m, err = ms.r.ReadMessage()
		}
		if err != nil {
			if ms.r.Stats.Discarded > before { // the message was skipped; the stream is in step
				p.drop(dropReason(err), err)
				continue
			}
			return nil, err
		}
		if err := p.check(ms, m); err != nil {
			p.drop(dropReason(err), err)
			continue
		}
		var payload any
		if m.Opcode == wire.OpBytes {
			b := wire.Bytes(m.Message)
			payload = &b
		} else if payload, err = wire.DecodePayload(m.Opcode, m.Message); err != nil {
			p.drop(dropReason(err), err)
			continue
		}
		p.h.metrics.msgIn.Inc()
		return &Incoming{Peer: p, Msg: m, Payload: payload}, nil
	}
}

// check applies the per-message checks: network, sender, MAC or signature, replay.
func (p *Peer) check(ms *msgStream, m *wire.Message) error {
	if m.NetID != p.h.cfg.Wire.NetworkID {
		return fmt.Errorf("%w: message for network %d", wire.ErrWrongNetwork, m.NetID)
	}
	if !m.Sender.Equal(p.id) {
		return fmt.Errorf("%w: sender is not the peer of this connection", wire.ErrIDMismatch)
	}
	if len(m.Signature) == MACSize {
		if err := p.mac.open(ms.id, m); err != nil {
			return err
		}
	} else if err := m.Verify(); err != nil {
		return err
	}
	if m.MessageNonce <= ms.recvNonce {
		return fmt.Errorf("%w: %d after %d", errReplay, m.MessageNonce, ms.recvNonce)
	}
	ms.recvNonce = m.MessageNonce
	return nil
}

// readLoop reads a message stream until it fails. Replies complete their requests here; the rest
// go to the dispatcher in order. ctrl streams take the connection down with them.
func (p *Peer) readLoop(ms *msgStream, ctrl bool) {
	for {
		in, err := p.readOne(ms)
		if err != nil {
			if ctrl {
				p.closeWith(fmt.Errorf("message stream: %w", err))
			} else {
				ms.s.Close()
			}
			return
		}
		q := p.inbox
		switch in.Msg.Opcode {
		case wire.OpDisconnect:
			if !in.Msg.ReplyFlag {
				p.remoteDisconnect(in)
				return
			}
		case wire.OpKeepalive, wire.OpPing, wire.OpLookupNodeRequest, wire.OpMetricRequest:
			q = p.hostInbox // never queued behind a slow component
		}
		if in.Msg.ReplyFlag {
			p.complete(in)
			continue
		}
		select {
		case q <- in:
		case <-p.closed:
			return
		}
	}
}

// remoteDisconnect acknowledges a Disconnect request, gives the ack a moment to leave, and closes.
func (p *Peer) remoteDisconnect(in *Incoming) {
	p.closing.Store(true)
	if in.Msg.RequestNonce != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if p.reply(ctx, in.Msg.RequestNonce, wire.OpAckResponse, &wire.Ack{MessageNonce: in.Msg.MessageNonce}) == nil {
			select {
			case <-time.After(50 * time.Millisecond):
			case <-p.closed:
			}
		}
		cancel()
	}
	p.closeWith(fmt.Errorf("%w: %s", ErrRemoteDisconnect, in.Payload.(*wire.Disconnect).Reason))
}

func (p *Peer) complete(in *Incoming) {
	p.pmu.Lock()
	ch, ok := p.pending[in.Msg.RequestNonce]
	delete(p.pending, in.Msg.RequestNonce)
	p.pmu.Unlock()
	if !ok {
		p.drop(DropUnexpectedSend, fmt.Errorf("reply %s for unknown or expired request %d", in.Msg.Opcode, in.Msg.RequestNonce))
		return
	}
	ch <- in
}

// dispatchLoop runs q's messages in order, once ready (if not nil) is closed.
func (p *Peer) dispatchLoop(q chan *Incoming, ready <-chan struct{}) {
	if ready != nil {
		select {
		case <-ready:
		case <-p.closed:
			return
		}
	}
	for {
		select {
		case in := <-q:
			p.dispatch(in)
		case <-p.closed:
			return
		}
	}
}

// dispatch handles one message: the host's own opcodes here, the rest by the component.
func (p *Peer) dispatch(in *Incoming) {
	ctx, cancel := context.WithTimeout(context.Background(), p.h.cfg.RequestTimeout)
	defer cancel()
	m := in.Msg
	var err error
	switch m.Opcode {
	case wire.OpKeepalive:
		err = in.Reply(ctx, wire.OpKeepaliveResponse, &wire.KeepaliveResponse{})
	case wire.OpPing:
		ping := in.Payload.(*wire.Ping)
		err = in.Reply(ctx, wire.OpPong, &wire.Pong{Nonce: ping.Nonce, SentUnixNano: ping.SentUnixNano})
	case wire.OpLookupNodeRequest:
		err = in.Reply(ctx, wire.OpLookupNodeResponse, &wire.LookupNodeResponse{Peers: p.h.lookup(in.Payload.(*wire.LookupNodeRequest).Target, p)})
	case wire.OpMetricRequest:
		err = in.Reply(ctx, wire.OpMetricResponse, p.h.metricResponse())
	default:
		err = p.deliver(ctx, in)
	}
	if err != nil && !p.isClosed() {
		p.h.log.Debug("answer failed", "peer", p.account.String(), "opcode", m.Opcode.String(), "err", err)
	}
}

func (p *Peer) deliver(ctx context.Context, in *Incoming) error {
	m := in.Msg
	c := p.h.componentFor(m.Opcode)
	if c == nil || m.Opcode < wire.OpApplicationStart && m.Opcode != wire.OpBytes {
		p.drop(DropNoHandler, fmt.Errorf("%w for opcode %s", ErrNoHandler, m.Opcode))
		if m.RequestNonce != 0 {
			return in.Reply(ctx, OpErrorReply, &ErrorReply{Code: status.NoDsp.Num(), Name: status.NoDsp.Name(), Msg: "no service for opcode " + m.Opcode.String()})
		}
		return nil
	}
	err := c.Receive(in)
	switch {
	case err != nil && m.RequestNonce != 0:
		return in.ReplyError(ctx, err)
	case err != nil:
		p.h.log.Warn("component failed a message", "peer", p.account.String(), "opcode", m.Opcode.String(), "err", err)
	case m.NeedAck:
		return in.Reply(ctx, wire.OpAckResponse, &wire.Ack{MessageNonce: m.MessageNonce})
	}
	return nil
}

// keepaliveLoop sends a keepalive every interval (measuring RTT from its answer) and closes the
// connection when nothing has arrived for the keepalive timeout.
func (p *Peer) keepaliveLoop() {
	cfg := p.h.cfg
	t := time.NewTicker(cfg.KeepaliveInterval)
	defer t.Stop()
	for {
		select {
		case <-p.closed:
			return
		case <-t.C:
		}
		if silent := time.Since(p.raw.lastRecv.load()); silent > cfg.KeepaliveTimeout {
			p.closeWith(fmt.Errorf("%w: nothing received for %v", ErrKeepaliveTimeout, silent.Round(time.Millisecond)))
			return
		}
		if p.kaBusy.Swap(true) {
			continue
		}
		p.h.wg.Add(1)
		go func() {
			defer p.h.wg.Done()
			defer p.kaBusy.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), cfg.KeepaliveTimeout)
			defer cancel()
			start := time.Now()
			if _, err := p.Request(ctx, wire.OpKeepalive, &wire.Keepalive{}); err == nil {
				p.setRTT(time.Since(start))
			}
		}()
	}
}

// lookup answers a LookupNodeRequest: the ids of connected peers (other than asker) matching target.
func (h *Host) lookup(target []byte, asker *Peer) []wire.ID {
	var out []wire.ID
	for _, q := range h.Peers() {
		if q == asker {
			continue
		}
		if len(target) == 0 || string(q.id.ID) == string(target) {
			out = append(out, q.id)
		}
		if len(out) == 64 {
			break
		}
	}
	return out
}

func (h *Host) metricResponse() *wire.MetricResponse {
	peers := h.Peers()
	var in, out uint64
	for _, p := range peers {
		i, o := p.Traffic()
		in, out = in+i, out+o
	}
	return &wire.MetricResponse{Metrics: []wire.Metric{
		{Name: "bytes_in", Value: float64(in)},
		{Name: "bytes_out", Value: float64(out)},
		{Name: "peers", Value: float64(len(peers))},
	}}
}
