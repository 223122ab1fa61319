package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dsp/keys"
)

// openTicking opens a ledger producing a block every 20 ms with alice funded.
func openTicking(t *testing.T, alice *keys.KeyPair) *Embedded {
	t.Helper()
	prod := genKey(t)
	g := DevnetGenesis(prod.Address(), map[keys.Address]uint64{alice.Address(): funds})
	g.Params.MinFee = 1
	l, err := Open(Config{Path: filepath.Join(t.TempDir(), "l.db"), Genesis: g, Producer: prod, BlockInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestSenderConcurrent: goroutines standing for a node's components (uploads, proofs, channel
// openings, the control API) send at once from one account through its one Sender; every
// transaction is included, with nonces 0..n-1 and no gap. Separate senders per component (each
// reading NextNonce on its own) refused some of these with ErrBadNonce.
func TestSenderConcurrent(t *testing.T) {
	for name, mk := range map[string]apiMaker{"embedded": embeddedAPI, "remote": remoteAPI} {
		t.Run(name, func(t *testing.T) {
			alice, bob := genKey(t), genKey(t)
			l := openTicking(t, alice)
			api := mk(t, l)
			s := NewSender(api, alice, 0)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			const n = 48
			hashes := make([]Hash, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := s.Send(ctx, &Transfer{To: bob.Address(), Amount: uint64(i + 1)})
					if err == nil {
						hashes[i] = r.TxHash
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			seen := map[uint64]bool{}
			for i, err := range errs {
				if err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
				rec, err := api.Tx(ctx, hashes[i])
				if err != nil {
					t.Fatal(err)
				}
				if seen[rec.Tx.Nonce] {
					t.Fatalf("nonce %d used twice", rec.Tx.Nonce)
				}
				seen[rec.Tx.Nonce] = true
			}
			for nonce := range uint64(n) {
				if !seen[nonce] {
					t.Fatalf("nonce %d missing (nonces %v)", nonce, seen)
				}
			}
			if next, err := api.NextNonce(ctx, alice.Address()); err != nil || next != n {
				t.Fatalf("next nonce %d, %v; want %d", next, err, n)
			}
			acct, err := api.Account(ctx, bob.Address())
			if err != nil || acct.Balance != n*(n+1)/2 {
				t.Fatalf("bob has %d, %v; want %d", acct.Balance, err, n*(n+1)/2)
			}
		})
	}
}

// racingLedger stands for another process sending from the same key: the first `races` times
// the Sender reads its next nonce, another sender's transaction takes that nonce before the
// Sender submits.
type racingLedger struct {
	Ledger
	other   *Sender
	races   atomic.Int32
	submits atomic.Int32
}

func (r *racingLedger) NextNonce(ctx context.Context, addr keys.Address) (uint64, error) {
	nonce, err := r.Ledger.NextNonce(ctx, addr)
	if err == nil && r.races.Add(-1) >= 0 {
		if _, err := r.other.Submit(ctx, &Transfer{To: addr, Amount: 1}); err != nil {
			return 0, err
		}
	}
	return nonce, err
}

func (r *racingLedger) Submit(ctx context.Context, tx *Tx) (Hash, error) {
	r.submits.Add(1)
	return r.Ledger.Submit(ctx, tx)
}

// TestSenderRetriesBadNonce: a submission refused for its nonce is retried once with a fresh
// nonce; a second refusal is returned.
func TestSenderRetriesBadNonce(t *testing.T) {
	alice, bob := genKey(t), genKey(t)
	l := openTicking(t, alice)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	rl := &racingLedger{Ledger: l, other: NewSender(l, alice, 0)}
	rl.races.Store(1)
	r, err := NewSender(rl, alice, 0).Send(ctx, &Transfer{To: bob.Address(), Amount: 5})
	if err != nil {
		t.Fatalf("send after one lost race: %v", err)
	}
	if rec, err := l.Tx(ctx, r.TxHash); err != nil || rec.Tx.Nonce != 1 {
		t.Fatalf("tx %v, %v; want nonce 1", rec, err)
	}
	if got := rl.submits.Load(); got != 2 {
		t.Fatalf("%d submissions, want 2", got)
	}

	rl = &racingLedger{Ledger: l, other: NewSender(l, alice, 0)}
	rl.races.Store(2)
	_, err = NewSender(rl, alice, 0).Send(ctx, &Transfer{To: bob.Address(), Amount: 5})
	if !errors.Is(err, ErrBadNonce) {
		t.Fatalf("send after two lost races: %v, want ErrBadNonce", err)
	}
	if got := rl.submits.Load(); got != 2 {
		t.Fatalf("%d submissions, want 2 (one retry only)", got)
	}
}

// blockingLedger holds every Submit until release is closed.
type blockingLedger struct {
	Ledger
	entered chan struct{}
	release chan struct{}
}

func (b *blockingLedger) Submit(ctx context.Context, tx *Tx) (Hash, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.Ledger.Submit(ctx, tx)
}

// TestSenderWaitEndsWithContext: a submission waiting for another's turn gives up when its
// context ends, and the turn passes on once the first submission is done.
func TestSenderWaitEndsWithContext(t *testing.T) {
	alice, bob := genKey(t), genKey(t)
	l := openTicking(t, alice)
	bl := &blockingLedger{Ledger: l, entered: make(chan struct{}, 2), release: make(chan struct{})}
	s := NewSender(bl, alice, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	first := make(chan error, 1)
	go func() {
		_, err := s.Submit(ctx, &Transfer{To: bob.Address(), Amount: 1})
		first <- err
	}()
	<-bl.entered
	short, stop := context.WithCancel(ctx)
	stop()
	if _, err := s.Submit(short, &Transfer{To: bob.Address(), Amount: 2}); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting submit: %v, want context.Canceled", err)
	}
	close(bl.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, &Transfer{To: bob.Address(), Amount: 3}); err != nil {
		t.Fatal(err)
	}
	if next, err := l.NextNonce(ctx, alice.Address()); err != nil || next != 2 {
		t.Fatalf("next nonce %d, %v; want 2", next, err)
	}
}
