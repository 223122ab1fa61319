package channel

import "errors"

// Sentinel errors of this package. Errors are *status.Error values carrying the spec's code
// and wrapping one of these (or, for a proof that does not verify, ledger.ErrBadBalanceProof and
// possibly ledger.ErrBadSignature), so callers may match either with errors.Is.
var (
	// ErrStale: a proof whose nonce is not above the newest one held (a replay), or whose amount
	// is below it. Code PAY_UNPAID_BLOCK_FAILED 50032.
	ErrStale = errors.New("balance proof is not newer than the one held")
	// ErrOverDeposit: a payment, or an accepted proof, that would transfer more than the payer
	// has deposited in the channel. Code INSUFFICIENT_BALANCE 40006.
	ErrOverDeposit = errors.New("transfer exceeds the payer's deposit")
	// ErrNotParticipant: a key or address that is not the side of the channel it claims, or a
	// channel whose recorded key does not match it. Code PREPARE_CHANNEL_ERROR 50030.
	ErrNotParticipant = errors.New("not a participant of the channel")
	// ErrNotOpen: a payment on a channel that is closing or settled. Code PREPARE_CHANNEL_ERROR 50030.
	ErrNotOpen = errors.New("channel is not open")
	// ErrClosing: a payment, or an accepted proof, on a channel this node signed a cooperative
	// close of (Store.Frozen): the close may settle at the signed balances at any time. Code
	// PREPARE_CHANNEL_ERROR 50030.
	ErrClosing = errors.New("channel is closing cooperatively: no more payments on it")
	// ErrCloseTerms: a cooperative close whose balances this node refuses (they pay it less than
	// its proofs give it, do not sum to the deposits, are for another channel or chain) or whose
	// other signature does not verify. Code PAY_UNPAID_BLOCK_FAILED 50032.
	ErrCloseTerms = errors.New("cooperative close terms refused")
	// ErrClosed: the store was closed. Code NO_DB 40004.
	ErrClosed = errors.New("channel store closed")
)
