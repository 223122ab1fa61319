package store

import "errors"

// Sentinel errors of the package. Errors returned by Store wrap one of these (test with
// errors.Is) and, where the spec has a code, also carry it as a *status.Error.
var (
	// ErrClosed is returned by every operation on a Store after Close.
	ErrClosed = errors.New("store closed")
	// ErrFileNotFound means the store has no file (complete or partial) with that file hash.
	ErrFileNotFound = errors.New("file not found")
	// ErrFileIncomplete means the file is still being received: some of its blocks are missing.
	ErrFileIncomplete = errors.New("file incomplete")
	// ErrBlockNotFound means the store has no block with that hash.
	ErrBlockNotFound = errors.New("block not found")
	// ErrCorruptBlock means a stored block's bytes no longer hash to its key; the block is never
	// returned. The error message names the hash.
	ErrCorruptBlock = errors.New("corrupt block")
	// ErrHashMismatch means a block given to PutBlock does not hash to the hash it came with.
	ErrHashMismatch = errors.New("block hash mismatch")
	// ErrBlockTooLarge means a block is larger than MaxBlockSize.
	ErrBlockTooLarge = errors.New("block too large")
	// ErrBadLink means bytes that should be a link block do not decode as one (see DecodeLink).
	ErrBadLink = errors.New("malformed link block")
	// ErrBadTree means a file's link blocks decode but do not form the tree that the file size
	// prescribes (wrong level, child count or child size).
	ErrBadTree = errors.New("malformed file tree")
	// ErrMetaNotFound means no auxiliary value is stored under that block hash and key.
	ErrMetaNotFound = errors.New("block meta not found")
	// ErrBadHeader means an encrypted stream's header is malformed or names an unknown version
	// or algorithm.
	ErrBadHeader = errors.New("malformed encryption header")
	// ErrWrongPassword means the password does not match the encryption header's key check.
	// It is returned wrapped in a status.TaskDecryptWrongPassword error.
	ErrWrongPassword = errors.New("wrong password")
	// ErrDecrypt means an encrypted chunk failed authentication or the stream was truncated.
	// It is returned wrapped in a status.TaskDecryptFileFailed error.
	ErrDecrypt = errors.New("decryption failed")
)
