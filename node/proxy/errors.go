package proxy

import "errors"

// Sentinel errors of this package; match them with errors.Is. Errors that cross the wire (the
// proxy's answers on the control stream) are *status.Error values carrying a spec code and
// wrapping one of these where it applies.
var (
	// ErrNotYours: a release or status request naming an allocation held by another account.
	// Code INVALID_WALLET_ADDRESS 40010.
	ErrNotYours = errors.New("proxy address held by another account")
	// ErrNoAllocation: the account holds no allocation on this proxy (or the client holds none).
	// Code NO_DSP 40003.
	ErrNoAllocation = errors.New("no proxy allocation")
	// ErrAllocationsFull: the proxy holds its configured maximum of allocations. Code
	// INTERNAL_ERROR 40001.
	ErrAllocationsFull = errors.New("proxy allocation limit reached")
	// ErrNoPort: no port of the configured range could be bound. Code INTERNAL_ERROR 40001.
	ErrNoPort = errors.New("no free proxy port")
	// ErrMalformed: a control message or relay header that does not decode, or a request of an
	// unexpected type. Code INVALID_PARAMS 40002.
	ErrMalformed = errors.New("malformed proxy message")
	// ErrSilent: no Keepalive arrived on the control stream within the keepalive timeout; the
	// node's relayed connections were closed (its allocation is kept for the cache time).
	ErrSilent = errors.New("proxy keepalive timeout")
	// ErrReleased: the client released its allocation; it requests none until Request is called.
	ErrReleased = errors.New("proxy allocation released")
	// ErrClosed: the service or client is closed.
	ErrClosed = errors.New("proxy closed")
	// ErrNotOwner: a relayed stream opened by a peer that is not the client's proxy.
	ErrNotOwner = errors.New("relayed stream from a peer that is not the proxy")
)
