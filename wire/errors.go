package wire

import "errors"

// The sentinel errors of package wire. Every error the package returns wraps one of them (or an
// I/O error of the underlying stream, or io.EOF at a clean message boundary) together with the
// values that were wrong; match them with errors.Is.
var (
	// ErrWrongNetwork: a frame's NetworkID is not the reader's. The message names both ids. The
	// frame was consumed, so the stream is still in step.
	ErrWrongNetwork = errors.New("wrong network id")
	// ErrUnknownCompression: CompressInfo names an algorithm outside 0-5 or sets a reserved bit of
	// its high byte.
	ErrUnknownCompression = errors.New("unknown compression")
	// ErrOversized: a frame's Length, a decompressed body or a reassembled message exceeds its
	// bound. The message names the size and the bound.
	ErrOversized = errors.New("oversized")
	// ErrTruncated: the stream ended inside a frame header, a frame body or between the fragments
	// of one message.
	ErrTruncated = errors.New("truncated")
	// ErrBadSignature: a Message's signature does not verify under its sender's net_key.
	ErrBadSignature = errors.New("bad signature")
	// ErrIDMismatch: an ID's id is not sha256(net_key), or its net_key is not a valid public key.
	ErrIDMismatch = errors.New("id does not match net_key")
	// ErrUnknownOpcode: no payload type is registered for an opcode.
	ErrUnknownOpcode = errors.New("unknown opcode")
	// ErrMalformed: bytes that should be msgpack of a Message, an ID or a payload, or a compressed
	// body, do not decode.
	ErrMalformed = errors.New("malformed")
)
