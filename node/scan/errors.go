package scan

import "errors"

// Sentinel errors of this package; match them with errors.Is. Errors returned by the Tracker,
// Handler and Client are *status.Error values carrying a spec code and, where one applies,
// wrapping one of these.
var (
	// ErrMalformed: a request whose fields are out of range (empty or oversized hash, unknown
	// type, bad host address, undecodable peerinfo). Code INVALID_PARAMS 40002.
	ErrMalformed = errors.New("malformed scan request")
	// ErrNotYours: an announce or endpoint registration naming another account than the one that
	// sent it. Code INVALID_WALLET_ADDRESS 40010.
	ErrNotYours = errors.New("account is not the sender")
	// ErrClosed: the tracker is closed. Code INTERNAL_ERROR 40001.
	ErrClosed = errors.New("scan tracker closed")
	// ErrUnexpectedReply: the remote node answered with a payload of another type than the
	// request's reply. Code INTERNAL_ERROR 40001.
	ErrUnexpectedReply = errors.New("unexpected scan reply")
)
