package fs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node/nettest"
	"dsp/pdp"
	"dsp/store"
)

// TestProverStopsOnClose: a storage service's prover loop (and its sweep) run from Startup and are
// gone once Close returns.
func TestProverStopsOnClose(t *testing.T) {
	producer, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ledger.Config{Path: filepath.Join(t.TempDir(), "l.db"), Genesis: ledger.DevnetGenesis(producer.Address(), nil),
		Producer: producer, BlockInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	time.Sleep(50 * time.Millisecond)
	base := nettest.Goroutines()
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Config{Store: openStore(t), Ledger: l, Key: k, Sender: ledger.NewSender(l, k, 0), Storage: true, ProverPoll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	svc.Startup(nil)
	time.Sleep(100 * time.Millisecond)
	if n := nettest.Goroutines(); n < base+2 {
		t.Fatalf("%d goroutines after Startup, %d before: the loops did not start", n, base)
	}
	svc.Close()
	nettest.WaitGoroutines(t, base, 5*time.Second, "dsp/node/fs")
}

// TestTagsStoredAndRead: StoreTags writes groups beside the root block; TagReader and HasTags
// read them back across group boundaries.
func TestTagsStoredAndRead(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	fi := addRandom(t, st, 3*store.BlockSize, 2)
	n := TagGroup + 3
	tags := make([]pdp.Tag, n)
	for i := range tags {
		tags[i][0], tags[i][1] = byte(i), byte(i>>8)
	}
	if HasTags(ctx, st, fi.FileHash, uint64(n)) {
		t.Fatal("tags before StoreTags")
	}
	if err := StoreTags(ctx, st, fi.FileHash, tags); err != nil {
		t.Fatal(err)
	}
	if !HasTags(ctx, st, fi.FileHash, uint64(n)) || HasTags(ctx, st, fi.FileHash, uint64(n+1)) {
		t.Fatal("HasTags wrong after StoreTags")
	}
	r := NewTagReader(st, fi.FileHash)
	for _, i := range []int{0, TagGroup + 2, 5, TagGroup - 1, TagGroup} {
		got, err := r.Tag(ctx, uint64(i))
		if err != nil || got[0] != byte(i) || got[1] != byte(i>>8) {
			t.Fatalf("tag %d: %x, %v", i, got[:2], err)
		}
	}
	if _, err := r.Tag(ctx, uint64(n)); err == nil {
		t.Fatal("tag past the end")
	}
}
