package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestOpenDir: an empty dir starts a devnet funding the node's account and producing blocks; the
// genesis it wrote lets another node follow; reopening keeps the chain.
func TestOpenDir(t *testing.T) {
	me, other := genKey(t), genKey(t)
	dir := t.TempDir()
	l, err := OpenDir(dir, "", me, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if a, _ := l.Account(ctx, me.Address()); a.Balance != DevnetFunds {
		t.Fatalf("own account %+v", a)
	}
	if _, err := l.ProduceBlock(); err != nil {
		t.Fatalf("the node is not the producer: %v", err)
	}
	// Another node joins with the written genesis and follows.
	fl, err := OpenDir(t.TempDir(), filepath.Join(dir, GenesisFile), other, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fl.ProduceBlock(); err == nil {
		t.Fatal("a follower produced a block")
	}
	if n, err := fl.SyncFrom(ctx, l); err != nil || n == 0 {
		t.Fatalf("sync %d %v", n, err)
	}
	fl.Close()
	h, _ := l.Height(ctx)
	l.Close()
	// Reopen without a genesis file: same chain, still producing.
	l, err = OpenDir(dir, "", me, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h2, _ := l.Height(ctx); h2 < h {
		t.Fatalf("height %d after reopening, was %d", h2, h)
	}
	l.Close()
	// A genesis file of another chain is refused.
	g := DevnetGenesis(other.Address(), nil)
	gp := filepath.Join(t.TempDir(), "g.json")
	_ = g.Save(gp)
	if _, err := OpenDir(dir, gp, me, nil); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("other genesis: %v", err)
	}
}
