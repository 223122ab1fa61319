package ledger

import (
	"context"
	"fmt"
)

// SyncFrom fetches from src every block after this ledger's tip up to src's height and applies
// each with ApplyBlock (so each is checked as any block is). It returns how many blocks it
// applied. A ledger that follows a producer calls it periodically; it must not hold the
// producer key itself.
func (l *Embedded) SyncFrom(ctx context.Context, src Ledger) (int, error) {
	if l.producer != nil {
		return 0, fmt.Errorf("sync: %w: this ledger produces its own blocks", ErrBadBlock)
	}
	top, err := src.Height(ctx)
	if err != nil {
		return 0, fmt.Errorf("sync: source height: %w", err)
	}
	have, err := l.Height(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for h := have + 1; h <= top; h++ {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		b, err := src.Block(ctx, h)
		if err != nil {
			return n, fmt.Errorf("sync: fetch block %d: %w", h, err)
		}
		if err := l.ApplyBlock(b); err != nil {
			return n, fmt.Errorf("sync: %w", err)
		}
		n++
	}
	return n, nil
}
