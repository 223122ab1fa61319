package node

import (
	"context"
	"dsp/status"

	"dsp/wire"
)

// Component is the spec's P2PInterface: how a service (fs, scan, dns, proxy, ledger) plugs into
// the host. Register it with Host.Register for the opcode ranges it handles, before Host.Start.
// The host calls each method from its own goroutines; a component must be safe for concurrent use.
type Component interface {
	// Startup is called once by Host.Start, after the listeners are up and before any peer
	// connects.
	Startup(h *Host)
	// Receive is called for each authenticated message whose opcode lies in the component's
	// ranges, in arrival order per peer (FIFO). It must not block for long: a slow Receive delays
	// that peer's later messages, and once Config.InboxSize messages wait, the peer's replies too,
	// so a Receive that waits on a request to the same peer can then wait forever. Start a
	// goroutine for long work. If the message is a request
	// (in.IsRequest), reply with in.Reply; returning an error instead sends the peer an ErrorReply
	// carrying the error's spec status code. Returning nil for a need_ack message acknowledges it.
	Receive(in *Incoming) error
	// Cleanup is called once by Host.Close, after every peer has disconnected.
	Cleanup(h *Host)
	// PeerConnect is called when a peer's connection is authenticated and registered (once per
	// connection). It may send requests to the peer; Receive is not called for the peer's
	// messages before PeerConnect has returned.
	PeerConnect(p *Peer)
	// PeerDisconnect is called once when that connection is gone. Pending requests to the peer
	// have already failed with ErrPeerClosed.
	PeerDisconnect(p *Peer)
}

// BaseComponent implements every Component method as a no-op; embed it and override what you need.
type BaseComponent struct{}

// Startup does nothing.
func (BaseComponent) Startup(*Host) {}

// Receive drops the message.
func (BaseComponent) Receive(*Incoming) error { return nil }

// Cleanup does nothing.
func (BaseComponent) Cleanup(*Host) {}

// PeerConnect does nothing.
func (BaseComponent) PeerConnect(*Peer) {}

// PeerDisconnect does nothing.
func (BaseComponent) PeerDisconnect(*Peer) {}

// Incoming is one authenticated message from a peer: the spec's ComponentContext.
type Incoming struct {
	Peer *Peer
	Msg  *wire.Message
	// Payload is Msg.Message decoded with wire.DecodePayload (for example *wire.Ping), or
	// *wire.Bytes for OpBytes.
	Payload any
}

// IsRequest reports whether the sender waits for a reply.
func (in *Incoming) IsRequest() bool { return in.Msg.RequestNonce != 0 && !in.Msg.ReplyFlag }

// Reply answers the request in with payload under opcode op. The opcode of payload's type is used
// when op is 0.
func (in *Incoming) Reply(ctx context.Context, op wire.Opcode, payload any) error {
	return in.Peer.reply(ctx, in.Msg.RequestNonce, op, payload)
}

// ReplyError answers the request in with an ErrorReply carrying err's spec status code (what
// returning err from Receive does), for a component that answers from a goroutine of its own.
func (in *Incoming) ReplyError(ctx context.Context, err error) error {
	code, name := status.CodeOf(err, status.InternalError.Num()), status.NameOf(err)
	if name == "" {
		name = status.InternalError.Name()
	}
	return in.Reply(ctx, OpErrorReply, &ErrorReply{Code: code, Name: name, Msg: err.Error()})
}
