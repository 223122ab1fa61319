package pdp

import "errors"

// Sentinel errors of the package. Errors returned by its functions wrap one of these (test with
// errors.Is) and add context.
var (
	// ErrMalformed: an encoding has the wrong length, a point is not on the curve or not in the
	// prime-order subgroup, a scalar is not canonical (>= r) or a key element is zero/identity.
	ErrMalformed = errors.New("pdp: malformed encoding")
	// ErrInvalidProof: a well-formed proof does not satisfy the verification equation.
	ErrInvalidProof = errors.New("pdp: proof does not verify")
	// ErrBlockTooLarge: a block is longer than BlockSize or has more sectors than the prover key.
	ErrBlockTooLarge = errors.New("pdp: block too large")
	// ErrBadChallenge: a challenge was asked for zero blocks, zero challenged blocks, or is
	// inconsistent (indices out of range, lengths differ).
	ErrBadChallenge = errors.New("pdp: bad challenge parameters")
	// ErrKeyMismatch: a prover key is not the one that belongs to a public key.
	ErrKeyMismatch = errors.New("pdp: prover key does not match public key")
	// ErrTaggerClosed: a Tagger was used after Finish or Close.
	ErrTaggerClosed = errors.New("pdp: tagger closed")
)
