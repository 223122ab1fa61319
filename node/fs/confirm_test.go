package fs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/status"
	"dsp/store"
)

// confirmLedger is a ledger that holds one contract and behaves like the real one around
// ConfirmFile: a confirmation sits in the mempool for a block interval, a second one submitted
// meanwhile is refused (the contract is no longer pending), and the contract turns active when
// the first one's block is made.
type confirmLedger struct {
	ledger.Ledger
	node keys.Address

	mu        sync.Mutex
	submitted int
	active    bool
}

func (l *confirmLedger) ChainInfo(context.Context) (*ledger.ChainInfo, error) {
	return &ledger.ChainInfo{ChainID: "test"}, nil
}

func (l *confirmLedger) NextNonce(context.Context, keys.Address) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(l.submitted) + 1, nil
}

func (l *confirmLedger) Contracts(context.Context, []byte) ([]ledger.Contract, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := ledger.Contract{Node: l.node, State: ledger.ContractPending}
	if l.active {
		c.State, c.StartHeight = ledger.ContractActive, 7
	}
	return []ledger.Contract{c}, nil
}

func (l *confirmLedger) Submit(context.Context, *ledger.Tx) (ledger.Hash, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.submitted > 0 {
		return ledger.Hash{}, status.New(status.TaskFileUploadedCheckPdpFailed, "contract is not pending: already exists")
	}
	l.submitted++
	return ledger.Hash{1}, nil
}

func (l *confirmLedger) WaitTx(context.Context, ledger.Hash) (*ledger.Receipt, error) {
	time.Sleep(30 * time.Millisecond) // the block interval
	l.mu.Lock()
	defer l.mu.Unlock()
	l.active = true
	return &ledger.Receipt{TxHash: ledger.Hash{1}, Height: 7}, nil
}

// TestConcurrentConfirm: the upload session and the prover loop both confirming one file at the
// same moment both succeed, and only one ConfirmFile is sent.
func TestConcurrentConfirm(t *testing.T) {
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	l := &confirmLedger{node: k.Address()}
	svc, err := New(Config{Store: openStore(t), Ledger: l, Key: k, Sender: ledger.NewSender(l, k, 0), Storage: true})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	root := store.Hash{9}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = svc.confirm(context.Background(), root) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent confirmations failed: %v", err)
	}
	if l.submitted != 1 || svc.Stats().Confirmed != 1 {
		t.Fatalf("%d ConfirmFile submitted, %d counted; want 1", l.submitted, svc.Stats().Confirmed)
	}
}
