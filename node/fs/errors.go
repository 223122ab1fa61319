package fs

import "errors"

// Sentinel errors of the package; match them with errors.Is. Errors that end a session also
// carry the spec's task code (status.CodeOf).
var (
	// ErrMalformed: a bulk stream frame that does not decode as an fs message, or a message out
	// of place in a session.
	ErrMalformed = errors.New("malformed fs message")
	// ErrRefused: the peer refused the session; the error carries the peer's code (for example
	// DOWNLOAD_REFUSED 50022).
	ErrRefused = errors.New("session refused")
	// ErrNotInFile: a block that does not belong to the file being transferred.
	ErrNotInFile = errors.New("block not in file")
	// ErrClosed: the service is closed.
	ErrClosed = errors.New("fs service closed")
)
