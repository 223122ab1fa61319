package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"dsp/keys"
)

// Sender sends the transactions of one account. The ledger accepts only an account's next nonce
// (NextNonce, which counts the mempool), so two senders from one account that pick a nonce at
// the same moment pick the same one and the second transaction is refused (ErrBadNonce). A
// process must therefore send every transaction of an account through one Sender: it picks the
// nonce, signs and submits one transaction at a time, and waits for receipts concurrently.
//
// A submission refused with ErrBadNonce (another process sending from the same key got its
// transaction into the mempool first) is retried once with a fresh nonce; a second refusal is
// returned.
//
// Set L, Key and Fee before first use and do not change or copy the Sender afterwards. It is
// safe for concurrent use.
type Sender struct {
	// L is the ledger the transactions go to.
	L Ledger
	// Key is the account that signs and pays.
	Key keys.Signer
	// Fee is the fee of each transaction (at least the chain's MinFee).
	Fee uint64

	once sync.Once
	turn chan struct{} // holds one token: whoever took it is picking a nonce and submitting
}

// NewSender returns a Sender of key's transactions to l with fee.
func NewSender(l Ledger, key keys.Signer, fee uint64) *Sender {
	return &Sender{L: l, Key: key, Fee: fee}
}

// Address is the account the Sender sends from.
func (s *Sender) Address() keys.Address { return s.Key.Public().Address() }

// Send submits p (Submit) and waits for its block. A transaction refused at submission returns
// that error; a receipt with a failure code is returned together with its error (Receipt.Err).
func (s *Sender) Send(ctx context.Context, p Payload) (*Receipt, error) {
	h, err := s.Submit(ctx, p)
	if err != nil {
		return nil, err
	}
	r, err := s.L.WaitTx(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("wait for %T %s: %w", p, h, err)
	}
	return r, r.Err()
}

// Submit signs p with the account's next nonce and submits it, returning the transaction's hash
// once the ledger queued it. Submissions of one Sender take turns (waiting for a turn ends with
// ctx); the wait for the block is the caller's (WaitTx).
func (s *Sender) Submit(ctx context.Context, p Payload) (Hash, error) {
	s.once.Do(func() {
		s.turn = make(chan struct{}, 1)
		s.turn <- struct{}{}
	})
	select {
	case <-s.turn:
	case <-ctx.Done():
		return Hash{}, fmt.Errorf("submit %T: wait for the sender: %w", p, ctx.Err())
	}
	defer func() { s.turn <- struct{}{} }()
	h, err := s.submitOnce(ctx, p)
	if errors.Is(err, ErrBadNonce) {
		h, err = s.submitOnce(ctx, p)
	}
	return h, err
}

// submitOnce picks the next nonce, signs p and submits it; the caller holds the turn.
func (s *Sender) submitOnce(ctx context.Context, p Payload) (Hash, error) {
	info, err := s.L.ChainInfo(ctx)
	if err != nil {
		return Hash{}, fmt.Errorf("submit %T: %w", p, err)
	}
	nonce, err := s.L.NextNonce(ctx, s.Address())
	if err != nil {
		return Hash{}, fmt.Errorf("submit %T: %w", p, err)
	}
	tx, err := NewTx(s.Key, info.ChainID, nonce, max(s.Fee, info.Params.MinFee), p)
	if err != nil {
		return Hash{}, err
	}
	h, err := s.L.Submit(ctx, tx)
	if err != nil {
		return Hash{}, fmt.Errorf("submit %T (nonce %d): %w", p, nonce, err)
	}
	return h, nil
}
