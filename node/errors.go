package node

import "errors"

// Sentinel errors of this package; match them with errors.Is.
var (
	// ErrBadURL: a peer or listen address that is not scheme://address.
	ErrBadURL = errors.New("bad address")
	// ErrUnknownScheme: a URL scheme with no registered transport.
	ErrUnknownScheme = errors.New("no transport for scheme")
	// ErrBadConfig: a configuration value out of range.
	ErrBadConfig = errors.New("bad configuration")
)

// Sentinel errors of the host.
var (
	// ErrPeerClosed: the connection to the peer is gone; requests pending on it fail with an
	// error wrapping this one and the cause (keepalive timeout, disconnect message, local close).
	ErrPeerClosed = errors.New("peer connection closed")
	// ErrKeepaliveTimeout: nothing arrived from the peer within the keepalive timeout.
	ErrKeepaliveTimeout = errors.New("keepalive timeout")
	// ErrRemoteDisconnect: the peer sent a Disconnect message.
	ErrRemoteDisconnect = errors.New("peer disconnected")
	// ErrLocalDisconnect: this host disconnected the peer (Disconnect or Close).
	ErrLocalDisconnect = errors.New("disconnected")
	// ErrReplaced: the connection lost the one-connection-per-pair tie-break to another
	// connection with the same peer.
	ErrReplaced = errors.New("replaced by another connection with the same peer")
	// ErrHandshake: the peer did not complete the handshake correctly (bad signature, wrong
	// network, echoed nonce or account wrong, pinned account mismatch, protocol version).
	ErrHandshake = errors.New("handshake failed")
	// ErrSelf: the dialed address is this host's own account.
	ErrSelf = errors.New("connection to self")
	// ErrNotConnected: no connection to that peer.
	ErrNotConnected = errors.New("peer not connected")
	// ErrHostClosed: the host is closed or not started.
	ErrHostClosed = errors.New("host closed")
	// ErrNoHandler: no component or stream handler for an opcode or stream protocol.
	ErrNoHandler = errors.New("no handler")
)
