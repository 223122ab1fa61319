package node

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"fmt"
	"net"
	"time"

	"dsp/keys"
	"dsp/wire"

	"github.com/xtaci/smux"
)

// dial makes a new connection to url and runs the handshake as the dialer.
func (h *Host) dial(ctx context.Context, url string, pin keys.Address, ds *dialState) (*Peer, error) {
	hctx, cancel := context.WithTimeout(ctx, h.cfg.HandshakeTimeout)
	defer cancel()
	raw, err := h.cfg.Transports.Dial(hctx, url)
	if err != nil {
		return nil, err
	}
	cc := h.wrap(raw)
	sess, err := smux.Client(cc, h.cfg.Mux)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("connect %s: smux: %w", url, err)
	}
	closer := &closerFunc{func() error { sess.Close(); return raw.Close() }}
	if !h.track(closer) {
		closer.Close()
		return nil, fmt.Errorf("connect %s: %w", url, ErrHostClosed)
	}
	defer h.untrack(closer)
	st, err := sess.OpenStream()
	if err != nil {
		closer.Close()
		return nil, fmt.Errorf("connect %s: open stream: %w", url, err)
	}
	if dl, ok := hctx.Deadline(); ok {
		st.SetDeadline(dl)
	}
	p, err := h.dialHandshake(hctx, st, cc, sess, url, pin, ds)
	if err != nil {
		closer.Close()
		if cerr := hctx.Err(); cerr != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w (handshake timeout %v: %v)", err, h.cfg.HandshakeTimeout, cerr)
		}
		return nil, fmt.Errorf("connect %s: %w", url, err)
	}
	st.SetDeadline(time.Time{})
	if p == nil { // the peer keeps another connection with us: wait for it
		closer.Close()
		wp, err := h.waitPeer(hctx, ds.account)
		if err != nil {
			return nil, fmt.Errorf("connect %s: peer kept another connection that did not arrive: %w", url, err)
		}
		return wp, nil
	}
	if !h.register(p) {
		p.closeWith(ErrReplaced)
		if wp, ok := h.Peer(p.account); ok {
			return wp, nil
		}
		return nil, fmt.Errorf("connect %s: %w", url, ErrReplaced)
	}
	p.start()
	return p, nil
}

// closerFunc closes a connection in its handshake; a pointer, so it can key the host's live set.
type closerFunc struct{ f func() error }

func (c *closerFunc) Close() error { return c.f() }

func (h *Host) wrap(raw net.Conn) *countConn {
	c := &countConn{Conn: raw, m: h.metrics, lastRecv: &atomicTime{}, in: &counter{}, out: &counter{}}
	c.lastRecv.store(time.Now())
	return c
}

func (h *Host) signed(op wire.Opcode, payload any) (*wire.Message, error) {
	body, err := wire.EncodePayload(payload)
	if err != nil {
		return nil, err
	}
	m := &wire.Message{Message: body, Sender: h.selfID(), Opcode: op, NetID: h.cfg.Wire.NetworkID}
	return m, nil
}

func (h *Host) selfID() wire.ID {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.self
}

// readSigned reads the next handshake message, which must be op, on the network, and signed by
// its sender's account key.
func readSigned(ms *msgStream, op wire.Opcode, network uint32) (*wire.Message, any, error) {
	m, err := ms.r.ReadMessage()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read %s: %v", ErrHandshake, op, err)
	}
	if m.Opcode == wire.OpDisconnect && m.Verify() == nil {
		if d, err := wire.DecodePayload(m.Opcode, m.Message); err == nil {
			return nil, nil, fmt.Errorf("%w: refused by the peer: %s", ErrHandshake, d.(*wire.Disconnect).Reason)
		}
	}
	if m.Opcode != op || m.NetID != network {
		return nil, nil, fmt.Errorf("%w: got opcode %s on network %d, want %s on network %d", ErrHandshake, m.Opcode, m.NetID, op, network)
	}
	if err := m.Verify(); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrHandshake, op, err)
	}
	if m.MessageNonce <= ms.recvNonce {
		return nil, nil, fmt.Errorf("%w: %s: replayed message nonce", ErrHandshake, op)
	}
	ms.recvNonce = m.MessageNonce
	v, err := wire.DecodePayload(op, m.Message)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrHandshake, err)
	}
	return m, v, nil
}

func (h *Host) writeSigned(ms *msgStream, op wire.Opcode, payload any) error {
	m, err := h.signed(op, payload)
	if err != nil {
		return err
	}
	ms.sendNonce++
	m.MessageNonce = ms.sendNonce
	if err := m.Sign(h.cfg.Key); err != nil {
		return fmt.Errorf("sign %s: %w", op, err)
	}
	if err := ms.w.WriteMessage(m); err != nil {
		return fmt.Errorf("%w: write %s: %v", ErrHandshake, op, err)
	}
	return nil
}

func (h *Host) dialHandshake(ctx context.Context, st *smux.Stream, cc *countConn, sess *smux.Session, url string, pin keys.Address, ds *dialState) (*Peer, error) {
	ms := newMsgStream(st, h.cfg.Wire)
	eph, err := ephemeral()
	if err != nil {
		return nil, err
	}
	nonce := freshNonce()
	network := h.cfg.Wire.NetworkID
	if err := h.writeSigned(ms, OpHandshakeHello, &HandshakeHello{
		Version: ProtocolVersion, NetworkID: network, Nonce: nonce,
		Ephemeral: eph.PublicKey().Bytes(), Listen: h.selfID().Address,
	}); err != nil {
		return nil, err
	}
	am, v, err := readSigned(ms, OpHandshakeAccept, network)
	if err != nil {
		return nil, err
	}
	acc := v.(*HandshakeAccept)
	remote, err := am.Sender.Account()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHandshake, err)
	}
	switch {
	case acc.Version != ProtocolVersion:
		return nil, fmt.Errorf("%w: peer speaks protocol %d, want %d", ErrHandshake, acc.Version, ProtocolVersion)
	case acc.NetworkID != network:
		return nil, fmt.Errorf("%w: peer is on network %d, want %d", ErrHandshake, acc.NetworkID, network)
	case !bytes.Equal(acc.DialerNonce, nonce) || acc.DialerAccount != h.account.String():
		return nil, fmt.Errorf("%w: accept does not answer this hello", ErrHandshake)
	case len(acc.Nonce) != 32:
		return nil, fmt.Errorf("%w: acceptor nonce is %d bytes", ErrHandshake, len(acc.Nonce))
	case pin != (keys.Address{}) && remote != pin:
		return nil, fmt.Errorf("%w: peer is %s, want %s", ErrHandshake, remote, pin)
	case remote == h.account:
		return nil, ErrSelf
	}
	peerEph, err := ecdh.X25519().NewPublicKey(acc.Ephemeral)
	if err != nil {
		return nil, fmt.Errorf("%w: acceptor ephemeral key: %v", ErrHandshake, err)
	}
	h.mu.Lock()
	ds.account = remote
	h.mu.Unlock()
	if err := h.writeSigned(ms, OpHandshakeConfirm, &HandshakeConfirm{
		NetworkID: network, AcceptorNonce: acc.Nonce, AcceptorAccount: remote.String(),
		DialerEphemeral: eph.PublicKey().Bytes(), AcceptEphemeral: acc.Ephemeral,
	}); err != nil {
		return nil, err
	}
	shared, err := eph.ECDH(peerEph)
	if err != nil {
		return nil, fmt.Errorf("%w: x25519: %v", ErrHandshake, err)
	}
	mac, connID, err := deriveSession(shared, nonce, acc.Nonce, h.account.String(), remote.String(), true)
	if err != nil {
		return nil, err
	}
	p := h.newPeer(am.Sender, remote, url, h.account, connID, mac, cc, sess, ms)
	in, err := p.readOne(ms)
	if err != nil {
		return nil, fmt.Errorf("%w: done: %v", ErrHandshake, err)
	}
	done, ok := in.Payload.(*HandshakeDone)
	if !ok || in.Msg.Opcode != OpHandshakeDone {
		return nil, fmt.Errorf("%w: got %s, want HandshakeDone", ErrHandshake, in.Msg.Opcode)
	}
	if !done.Accepted {
		h.log.Debug("peer kept another connection", "peer", remote.String(), "reason", done.Reason)
		return nil, nil
	}
	return p, nil
}

// accept runs the handshake as the acceptor on an inbound connection.
func (h *Host) accept(raw net.Conn) (*Peer, error) {
	cc := h.wrap(raw)
	sess, err := smux.Server(cc, h.cfg.Mux)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("smux: %w", err)
	}
	closer := &closerFunc{func() error { sess.Close(); return raw.Close() }}
	if !h.track(closer) {
		closer.Close()
		return nil, ErrHostClosed
	}
	defer h.untrack(closer)
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.HandshakeTimeout)
	defer cancel()
	sess.SetDeadline(time.Now().Add(h.cfg.HandshakeTimeout))
	st, err := sess.AcceptStream()
	if err != nil {
		closer.Close()
		return nil, fmt.Errorf("accept first stream: %w", err)
	}
	sess.SetDeadline(time.Time{})
	st.SetDeadline(time.Now().Add(h.cfg.HandshakeTimeout))
	p, ok, err := h.acceptHandshake(ctx, st, cc, sess)
	if err != nil || !ok {
		closer.Close()
		return nil, err
	}
	st.SetDeadline(time.Time{})
	p.start()
	return p, nil
}

func (h *Host) acceptHandshake(ctx context.Context, st *smux.Stream, cc *countConn, sess *smux.Session) (p *Peer, ok bool, err error) {
	ms := newMsgStream(st, h.cfg.Wire)
	network := h.cfg.Wire.NetworkID
	defer func() {
		if err != nil && p == nil && ms.recvNonce > 0 { // tell the dialer why, so it need not time out
			st.SetWriteDeadline(time.Now().Add(time.Second))
			_ = h.writeSigned(ms, wire.OpDisconnect, &wire.Disconnect{Reason: err.Error()})
		}
	}()
	hm, v, err := readSigned(ms, OpHandshakeHello, network)
	if err != nil {
		return nil, false, err
	}
	hello := v.(*HandshakeHello)
	remote, err := hm.Sender.Account()
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrHandshake, err)
	}
	switch {
	case hello.Version != ProtocolVersion:
		return nil, false, fmt.Errorf("%w: peer speaks protocol %d, want %d", ErrHandshake, hello.Version, ProtocolVersion)
	case hello.NetworkID != network:
		return nil, false, fmt.Errorf("%w: peer is on network %d, want %d", ErrHandshake, hello.NetworkID, network)
	case len(hello.Nonce) != 32:
		return nil, false, fmt.Errorf("%w: dialer nonce is %d bytes", ErrHandshake, len(hello.Nonce))
	case remote == h.account:
		return nil, false, ErrSelf
	}
	peerEph, err := ecdh.X25519().NewPublicKey(hello.Ephemeral)
	if err != nil {
		return nil, false, fmt.Errorf("%w: dialer ephemeral key: %v", ErrHandshake, err)
	}
	// Our own dial to this peer, if one is under way and would win the tie-break, goes first.
	if ds := h.findDial(hello.Listen, remote); ds != nil && bytes.Compare(h.account[:], remote[:]) < 0 {
		select {
		case <-ds.done:
		case <-ctx.Done():
		}
	}
	eph, err := ephemeral()
	if err != nil {
		return nil, false, err
	}
	nonce := freshNonce()
	if err := h.writeSigned(ms, OpHandshakeAccept, &HandshakeAccept{
		Version: ProtocolVersion, NetworkID: network, DialerNonce: hello.Nonce,
		DialerAccount: remote.String(), Nonce: nonce, Ephemeral: eph.PublicKey().Bytes(),
	}); err != nil {
		return nil, false, err
	}
	cm, v, err := readSigned(ms, OpHandshakeConfirm, network)
	if err != nil {
		return nil, false, err
	}
	conf := v.(*HandshakeConfirm)
	switch {
	case !cm.Sender.Equal(hm.Sender):
		return nil, false, fmt.Errorf("%w: confirm from another sender", ErrHandshake)
	case conf.NetworkID != network || !bytes.Equal(conf.AcceptorNonce, nonce) || conf.AcceptorAccount != h.account.String() ||
		!bytes.Equal(conf.DialerEphemeral, hello.Ephemeral) || !bytes.Equal(conf.AcceptEphemeral, eph.PublicKey().Bytes()):
		return nil, false, fmt.Errorf("%w: confirm does not answer this accept", ErrHandshake)
	}
	shared, err := eph.ECDH(peerEph)
	if err != nil {
		return nil, false, fmt.Errorf("%w: x25519: %v", ErrHandshake, err)
	}
	mac, connID, err := deriveSession(shared, hello.Nonce, nonce, remote.String(), h.account.String(), false)
	if err != nil {
		return nil, false, err
	}
	p = h.newPeer(hm.Sender, remote, hello.Listen, remote, connID, mac, cc, sess, ms)
	ok = h.register(p)
	done := &HandshakeDone{Accepted: ok}
	if !ok {
		done.Reason = "a connection with this peer already exists"
	}
	if err := p.sendOn(ctx, ms, OpHandshakeDone, done, 0, false, false); err != nil {
		if ok {
			p.closeWith(err)
		}
		return nil, false, fmt.Errorf("%w: write done: %v", ErrHandshake, err)
	}
	if !ok {
		h.log.Debug("kept the existing connection", "peer", remote.String())
	}
	return p, ok, nil
}
