package channel

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/ledger"
)

const chainID = "dsp-devnet"

func genKey(t testing.TB) *keys.KeyPair {
	t.Helper()
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testChannel is a ledger record of an open channel from payer to payee with deposit from the
// payer, made by hand (tests of the ledger itself open real ones).
func testChannel(payer, payee *keys.KeyPair, deposit uint64) *ledger.Channel {
	return &ledger.Channel{ID: ledger.ChannelIDOf(chainID, payer.Address(), 0), A: payer.Address(), B: payee.Address(),
		KeyA: payer.Public().Bytes(), KeyB: payee.Public().Bytes(), DepositA: deposit, State: ledger.ChannelOpen}
}

// openStore opens a store in dir (a fresh temp dir when dir is "") and checks the bbolt file's
// consistency when the test ends.
func openStore(t testing.TB, path string) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "channels.db")
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		checkDB(t, path)
	})
	return s
}

func checkDB(t testing.TB, path string) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("reopen %s: %v", path, err)
		return
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() {
			if first == nil {
				first = err
			}
		}
		return first
	}); err != nil {
		t.Errorf("bbolt check %s: %v", path, err)
	}
}

// crashCopy copies the store's file as it is on disk now, while the store stays open: the
// state a machine would find after the process died at this point (every commit is synced).
func crashCopy(t testing.TB, s *Store) string {
	t.Helper()
	b, err := os.ReadFile(s.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "crashed.db")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// chain is an embedded ledger with funded accounts whose blocks the test makes.
type chain struct {
	t *testing.T
	l *ledger.Embedded
	g *ledger.Genesis
}

const funds = 1_000_000

func newChain(t *testing.T, challenge uint64, funded ...*keys.KeyPair) *chain {
	prod := genKey(t)
	m := map[keys.Address]uint64{}
	for _, k := range funded {
		m[k.Address()] = funds
	}
	g := ledger.DevnetGenesis(prod.Address(), m)
	g.Params.ChannelChallengeBlocks = challenge
	l, err := ledger.Open(ledger.Config{Path: filepath.Join(t.TempDir(), "ledger.db"), Genesis: g, Producer: prod, BlockInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &chain{t: t, l: l, g: g}
}

// do sends p from k in the next block and returns the receipt (and its error).
func (c *chain) do(k *keys.KeyPair, p ledger.Payload) (*ledger.Receipt, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := c.l.NextNonce(ctx, k.Address())
	if err != nil {
		c.t.Fatal(err)
	}
	tx, err := ledger.NewTx(k, c.g.ChainID, n, 0, p)
	if err != nil {
		c.t.Fatal(err)
	}
	h, err := c.l.Submit(ctx, tx)
	if err != nil {
		return nil, err
	}
	c.produce(1)
	r, err := c.l.WaitTx(ctx, h)
	if err != nil {
		c.t.Fatal(err)
	}
	return r, r.Err()
}

func (c *chain) must(k *keys.KeyPair, p ledger.Payload) *ledger.Receipt {
	c.t.Helper()
	r, err := c.do(k, p)
	if err != nil {
		c.t.Fatalf("%T: %v", p, err)
	}
	return r
}

func (c *chain) produce(n int) {
	c.t.Helper()
	for i := 0; i < n; i++ {
		if _, err := c.l.ProduceBlock(); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c *chain) channel(id ledger.Hash) *ledger.Channel {
	c.t.Helper()
	ch, err := c.l.Channel(context.Background(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	return ch
}

func (c *chain) balance(k *keys.KeyPair) uint64 {
	c.t.Helper()
	a, err := c.l.Account(context.Background(), k.Address())
	if err != nil {
		c.t.Fatal(err)
	}
	return a.Balance
}
