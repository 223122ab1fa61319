package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupCommit: overlapping PutBlocks and PutChecked calls share transactions, every caller
// returns with its blocks stored, and they are there after reopening. Calls after Close all fail.
func TestGroupCommit(t *testing.T) {
	s := openTest(t, nil)
	var commits atomic.Int64
	testHookBatchCommitted = func() {
		commits.Add(1)
		time.Sleep(2 * time.Millisecond) // a slow disk: calls pile up meanwhile
	}
	defer func() { testHookBatchCommitted = nil }()
	ctx := context.Background()
	const callers, calls = 8, 10
	var wg sync.WaitGroup
	hashes := make([][]Hash, callers)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				d := randBytes(uint64(1000*c+i+1), 4096+i)
				h := Sum(d)
				var err error
				if i%2 == 0 {
					err = s.PutBlocks(ctx, []Block{{Hash: h, Data: d}})
				} else {
					var ck Checked
					if ck, err = Check(h, d); err == nil {
						err = s.PutChecked(ctx, []Checked{ck})
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				// Durable once the call returns: visible at once.
				if ok, err := s.HasBlock(ctx, h); !ok || err != nil {
					t.Errorf("block %s missing right after its put returned: %v", h, err)
				}
				hashes[c] = append(hashes[c], h)
			}
		}()
	}
	wg.Wait()
	if n := commits.Load(); n >= callers*calls {
		t.Errorf("%d transactions for %d overlapping calls: nothing shared", n, callers*calls)
	} else {
		t.Logf("%d calls in %d transactions", callers*calls, n)
	}
	path := s.Path()
	s.Close()
	s2, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for _, hs := range hashes {
		for _, h := range hs {
			if _, err := s2.GetBlock(ctx, h); err != nil {
				t.Fatalf("after reopen: %v", err)
			}
		}
	}
	s2.Close()
	var fails atomic.Int64
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := randBytes(uint64(c+77), 100)
			if err := s2.PutBlocks(ctx, []Block{{Hash: Sum(d), Data: d}}); errors.Is(err, ErrClosed) {
				fails.Add(1)
			}
		}()
	}
	wg.Wait()
	if fails.Load() != 4 {
		t.Fatalf("%d of 4 puts on a closed store failed with ErrClosed", fails.Load())
	}
}
