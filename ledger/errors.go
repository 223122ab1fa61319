package ledger

import "errors"

// Sentinel errors of this package. Every error the ledger returns for a refused transaction or a
// failed query is a *status.Error carrying the spec's code (see docs/ledger.md for the table) and,
// where one applies, wrapping one of these sentinels, so callers may match either with errors.Is.
var (
	// ErrMalformed: bytes that do not decode as the expected record, or that decode but are not in
	// canonical form (re-encoding gives other bytes).
	ErrMalformed = errors.New("malformed ledger record")
	// ErrBadSignature: a transaction or block whose signature does not verify under the key it
	// carries.
	ErrBadSignature = errors.New("bad signature")
	// ErrWrongChain: a transaction or block made for another chain id.
	ErrWrongChain = errors.New("wrong chain id")
	// ErrBadNonce: a transaction whose nonce is not the sender's next one (a replay or a gap).
	ErrBadNonce = errors.New("bad nonce")
	// ErrFeeTooLow: a transaction whose fee is below the chain's minimum.
	ErrFeeTooLow = errors.New("fee below minimum")
	// ErrInsufficient: the sender cannot pay the amount, deposit, pledge or fee.
	ErrInsufficient = errors.New("insufficient balance")
	// ErrNotOwner: the sender does not own the file, node, header or URL it tries to change.
	ErrNotOwner = errors.New("not the owner")
	// ErrNotFound: the block, transaction, account record, node, file, header or URL does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: the file, node registration, header or URL already exists.
	ErrExists = errors.New("already exists")
	// ErrReserved: a DNS header reserved by the chain.
	ErrReserved = errors.New("reserved header")
	// ErrExpired: a header, URL or file whose expiry height has passed.
	ErrExpired = errors.New("expired")
	// ErrRejected: a storage node whose terms (accepting, size bounds, capacity, proof interval)
	// refuse the file.
	ErrRejected = errors.New("rejected by node terms")
	// ErrBadProof: a proof that is late, early, for a file the prover does not store, or that the
	// ProofVerifier refuses.
	ErrBadProof = errors.New("bad proof")
	// ErrBadBlock: a block that does not extend the chain (wrong height, parent, time, tx root or
	// producer signature).
	ErrBadBlock = errors.New("bad block")
	// ErrMempoolFull: the mempool holds its maximum number of transactions.
	ErrMempoolFull = errors.New("mempool full")
	// ErrDuplicate: a transaction already in the mempool or the chain.
	ErrDuplicate = errors.New("duplicate transaction")
	// ErrDropped: a transaction removed from the mempool without inclusion, because it no longer
	// applies after a block changed the state.
	ErrDropped = errors.New("transaction dropped")
	// ErrClosed: the ledger was closed.
	ErrClosed = errors.New("ledger closed")
	// ErrBadBalanceProof: a channel balance proof or cooperative-close signature that does not
	// verify, names another channel or chain, or is not newer than the proof already recorded.
	ErrBadBalanceProof = errors.New("bad balance proof")
	// ErrChannelState: a channel operation its state does not allow (a deposit to or close of a
	// channel that is not open, an update after the challenge period, a settle before its end).
	ErrChannelState = errors.New("channel state does not allow it")
	// ErrGenesisMismatch: a data directory made from another genesis.
	ErrGenesisMismatch = errors.New("genesis mismatch")
)
