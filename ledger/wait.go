package ledger

import (
	"context"
	"errors"

	bolt "go.etcd.io/bbolt"

	"dsp/status"
)

// WaitTx implements Ledger.
func (l *Embedded) WaitTx(ctx context.Context, hash Hash) (*Receipt, error) {
	for {
		l.mu.Lock()
		next, inPool, dropErr := l.newBlock, l.inPool[hash], l.dropped[hash]
		l.mu.Unlock()
		if dropErr != nil {
			return nil, dropErr
		}
		var rec *TxRecord
		err := l.view(func(e *env, _ *bolt.Tx) error {
			var err error
			rec, err = lookupTx(e.kv, hash)
			return err
		})
		switch {
		case err == nil:
			r := rec.Receipt
			return &r, nil
		case !errors.Is(err, ErrNotFound):
			return nil, err
		case !inPool:
			return nil, status.Wrap(status.ChainUnknownTx, ErrNotFound, "tx %s is neither in the mempool nor in the chain", hash)
		}
		select {
		case <-next:
		case <-l.closed:
			return nil, status.Wrap(status.ChainInternalError, ErrClosed, "wait for tx %s", hash)
		case <-ctx.Done():
			return nil, status.Wrap(status.ChainWaitTxComfirmedTimeout, ctx.Err(), "wait for tx %s", hash)
		}
	}
}
