package node

import (
	"dsp/wire"
)

// The host's own application opcodes, in the host range 1000-1099 (docs/protocol.md, "Host
// messages").
const (
	OpHandshakeHello   wire.Opcode = 1000 // HandshakeHello: dialer -> acceptor, signed
	OpHandshakeAccept  wire.Opcode = 1001 // HandshakeAccept: acceptor -> dialer, signed
	OpHandshakeConfirm wire.Opcode = 1002 // HandshakeConfirm: dialer -> acceptor, signed
	OpHandshakeDone    wire.Opcode = 1003 // HandshakeDone: acceptor -> dialer, session MAC
	OpStreamOpen       wire.Opcode = 1004 // StreamOpen: first message of every stream after the first
	OpErrorReply       wire.Opcode = 1005 // ErrorReply: a request failed at the receiver
)

// ProtocolVersion is the host protocol version carried in the handshake. A peer with another
// version is refused.
const ProtocolVersion = 1

// HandshakeHello opens a connection. The dialer signs the envelope with its account key.
type HandshakeHello struct {
	Version   uint32 `msgpack:"version"`
	NetworkID uint32 `msgpack:"network_id"`
	Nonce     []byte `msgpack:"nonce"`     // 32 fresh random bytes
	Ephemeral []byte `msgpack:"ephemeral"` // X25519 public key for this connection only
	Listen    string `msgpack:"listen"`    // the URL the dialer accepts connections on, or ""
}

// HandshakeAccept answers a Hello. The acceptor signs the envelope, which covers the dialer's
// fresh nonce, both accounts and the network id: it proves the acceptor holds its account key now.
type HandshakeAccept struct {
	Version       uint32 `msgpack:"version"`
	NetworkID     uint32 `msgpack:"network_id"`
	DialerNonce   []byte `msgpack:"dialer_nonce"`   // the Hello's nonce, echoed
	DialerAccount string `msgpack:"dialer_account"` // the account the acceptor saw in the Hello
	Nonce         []byte `msgpack:"nonce"`          // 32 fresh random bytes
	Ephemeral     []byte `msgpack:"ephemeral"`      // X25519 public key for this connection only
}

// HandshakeConfirm proves the dialer's key to the acceptor: the dialer signs the envelope, which
// covers the acceptor's fresh nonce, both accounts, both ephemeral keys and the network id.
type HandshakeConfirm struct {
	NetworkID       uint32 `msgpack:"network_id"`
	AcceptorNonce   []byte `msgpack:"acceptor_nonce"`
	AcceptorAccount string `msgpack:"acceptor_account"`
	DialerEphemeral []byte `msgpack:"dialer_ephemeral"`
	AcceptEphemeral []byte `msgpack:"accept_ephemeral"`
}

// HandshakeDone ends the handshake. It is the first message protected by the session MAC, so it
// also proves the acceptor derived the same session keys. Accepted false means the acceptor keeps
// another connection with the dialer (only one connection per pair of peers) or refuses it.
type HandshakeDone struct {
	Accepted bool   `msgpack:"accepted"`
	Reason   string `msgpack:"reason"`
}

// StreamOpen is the first message on every stream other than the first one of a connection.
// Proto "" makes the stream another message stream; any other value is a bulk stream handed to
// the handler registered for that protocol with Host.HandleStream.
type StreamOpen struct {
	Proto string `msgpack:"proto"`
}

// ErrorReply answers a request whose handler failed. Code is a spec status code when the failure
// has one (status.CodeOf), else INTERNAL_ERROR 40001; Name is the code's spec name, which tells
// the task table from the RESTful one where their numbers overlap.
type ErrorReply struct {
	Code int    `msgpack:"code"`
	Name string `msgpack:"name"`
	Msg  string `msgpack:"msg"`
}

func init() {
	wire.Register(OpHandshakeHello, "HandshakeHello", func() any { return new(HandshakeHello) })
	wire.Register(OpHandshakeAccept, "HandshakeAccept", func() any { return new(HandshakeAccept) })
	wire.Register(OpHandshakeConfirm, "HandshakeConfirm", func() any { return new(HandshakeConfirm) })
	wire.Register(OpHandshakeDone, "HandshakeDone", func() any { return new(HandshakeDone) })
	wire.Register(OpStreamOpen, "StreamOpen", func() any { return new(StreamOpen) })
	wire.Register(OpErrorReply, "ErrorReply", func() any { return new(ErrorReply) })
}
