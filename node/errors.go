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
