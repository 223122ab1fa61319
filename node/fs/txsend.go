package fs

import (
	"context"
	"fmt"
	"sync"

	"dsp/keys"
	"dsp/ledger"
)

// TxSender sends transactions from one account, one at a time up to the mempool (so nonces never
// collide), and waits for their receipts concurrently. It is safe for concurrent use.
type TxSender struct {
	L   ledger.Ledger
	Key keys.Signer
	Fee uint64

	mu sync.Mutex
}

// Send signs p with the next nonce, submits it, waits for its block and returns the receipt; a
// failed receipt is returned with its error.
func (t *TxSender) Send(ctx context.Context, p ledger.Payload) (*ledger.Receipt, error) {
	h, err := t.submit(ctx, p)
	if err != nil {
		return nil, err
	}
	r, err := t.L.WaitTx(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("wait for %T: %w", p, err)
	}
	return r, r.Err()
}

func (t *TxSender) submit(ctx context.Context, p ledger.Payload) (ledger.Hash, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	info, err := t.L.ChainInfo(ctx)
	if err != nil {
		return ledger.Hash{}, err
	}
	nonce, err := t.L.NextNonce(ctx, t.Key.Public().Address())
	if err != nil {
		return ledger.Hash{}, err
	}
	tx, err := ledger.NewTx(t.Key, info.ChainID, nonce, max(t.Fee, info.Params.MinFee), p)
	if err != nil {
		return ledger.Hash{}, err
	}
	h, err := t.L.Submit(ctx, tx)
	if err != nil {
		return ledger.Hash{}, fmt.Errorf("submit %T: %w", p, err)
	}
	return h, nil
}
