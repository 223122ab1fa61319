package ledger

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"dsp/keys"
	"dsp/status"
)

// busyChain runs a mix of every kind of transaction over several blocks.
func busyChain(t *testing.T, f *fixture) {
	f.registerFS()
	f.ok(f.alice, &Transfer{To: f.bob.Address(), Amount: 11})
	f.ok(f.bob, &Pledge{Amount: 5})
	f.ok(f.alice, &RegisterNode{Info: NodeInfo{Role: RoleDNS, HostAddr: "kcp://h:1"}})
	sf := f.storeFile(f.alice, "busy", 5<<20, f.fs[0], f.fs[1])
	sf.Option.RegisterDNS = true
	f.ok(f.alice, sf)
	c0 := f.ok(f.fs[0], &ConfirmFile{FileHash: sf.FileHash}).Height
	f.ok(f.bob, &RegisterHeader{Name: "busy", TTL: 100})
	f.ok(f.bob, &RegisterURL{Header: "busy", Link: "x"})
	for f.height() < c0+10 {
		f.produce(1)
	}
	f.ok(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 10, Proof: []byte("p")})
	f.ok(f.alice, &SetWhiteList{FileHash: sf.FileHash, Privilege: 2, WhiteList: WhiteList{Rules: []WhiteListRule{{Addr: f.bob.Address()}}}})
	f.ok(f.fs[1], &CloseContract{FileHash: sf.FileHash, Node: f.fs[1].Address()})
	// Channels: one opened with both deposits, topped up, closed with a proof, updated from both
	// sides and settled after its challenge period; one closed cooperatively; one left open.
	c := f.openChannel(f.alice, f.bob, 100, 50)
	f.ok(f.alice, &DepositChannel{ChannelID: c.ID, Amount: 10})
	f.ok(f.bob, &CloseChannel{ChannelID: c.ID, Proofs: []BalanceProof{f.proof(f.alice, c.ID, 1, 5)}})
	f.ok(f.alice, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{f.proof(f.bob, c.ID, 4, 20)}})
	f.ok(f.bob, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{f.proof(f.alice, c.ID, 2, 30)}})
	f.produce(testChallenge)
	f.ok(f.alice, &SettleChannel{ChannelID: c.ID})
	c2 := f.openChannel(f.bob, f.alice, 70, 0)
	sa, _ := f.bob.Sign(CoopCloseMessage(f.g.ChainID, c2.ID, 20, 50))
	sb, _ := f.alice.Sign(CoopCloseMessage(f.g.ChainID, c2.ID, 20, 50))
	f.ok(f.alice, &CoopCloseChannel{ChannelID: c2.ID, BalanceA: 20, BalanceB: 50, SigA: sa, SigB: sb})
	f.openChannel(f.fs[2], f.bob, 40, 0)
	// Several transactions in one block.
	for i := 0; i < 5; i++ {
		if _, err := f.l.Submit(f.ctx(), f.tx(f.alice, &Transfer{To: f.bob.Address(), Amount: uint64(i + 1)})); err != nil {
			t.Fatal(err)
		}
	}
	f.produce(1)
}

// follower opens a fresh ledger of g that applies blocks, verifying proofs as newFixture's
// ledgers do (recordingVerifier).
func follower(t *testing.T, g *Genesis) *Embedded {
	l, err := Open(Config{Path: filepath.Join(t.TempDir(), "f.db"), Genesis: g, BlockInterval: -1, Verifier: &recordingVerifier{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestReplay applies the producer's blocks to a fresh ledger and compares state roots and block
// hashes at every height.
func TestReplay(t *testing.T) {
	f := newFixture(t, nil)
	busyChain(t, f)
	ctx := context.Background()
	fl := follower(t, f.g)
	top := f.height()
	for h := uint64(1); h <= top; h++ {
		b, err := f.l.Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		// Through the encoding, as a block travels.
		b2, err := DecodeBlock(b.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if err := fl.ApplyBlock(b2); err != nil {
			t.Fatalf("apply %d: %v", h, err)
		}
		want, _ := f.l.BlockHash(ctx, h)
		got, _ := fl.BlockHash(ctx, h)
		if want != got {
			t.Fatalf("block hash %d differs", h)
		}
	}
	r1, _ := f.l.StateRoot(ctx)
	r2, _ := fl.StateRoot(ctx)
	if r1 != r2 || r1.IsZero() {
		t.Fatalf("state roots differ after replay: %s vs %s", r1, r2)
	}
	// Receipts are recomputed, not copied.
	b, _ := f.l.Block(ctx, top)
	rec, err := fl.Tx(ctx, b.Txs[2].Hash())
	if err != nil || rec.Receipt.Height != top || rec.Receipt.Index != 2 {
		t.Fatalf("replayed receipt %+v %v", rec, err)
	}
}

// TestApplyBlockRefusals feeds a follower blocks that must not extend its chain; each leaves
// height and state root as they were.
func TestApplyBlockRefusals(t *testing.T) {
	f := newFixture(t, nil)
	f.ok(f.alice, &Transfer{To: f.bob.Address(), Amount: 1})
	ctx := context.Background()
	fl := follower(t, f.g)
	good, _ := f.l.Block(ctx, 1)
	root0, _ := fl.StateRoot(ctx)
	mutate := map[string]func(b *Block){
		"height":   func(b *Block) { b.Header.Height = 2 },
		"parent":   func(b *Block) { b.Header.Parent[0] ^= 1 },
		"time":     func(b *Block) { b.Header.Time = 0 },
		"txroot":   func(b *Block) { b.Header.TxRoot[0] ^= 1 },
		"sig":      func(b *Block) { b.Header.ProducerSig[0] ^= 1 },
		"chain":    func(b *Block) { b.Header.ChainID = "x" },
		"drop tx":  func(b *Block) { b.Txs = nil },
		"tx sig":   func(b *Block) { b.Txs[0].Sig[0] ^= 1 },
		"producer": func(b *Block) { _ = b.Header.sign(f.alice) },
	}
	for name, m := range mutate {
		b, _ := DecodeBlock(good.Encode())
		m(b)
		if err := fl.ApplyBlock(b); !errors.Is(err, ErrBadBlock) || status.CodeOf(err, 0) != status.ChainUnknownBlock.Num() {
			t.Fatalf("%s: %v", name, err)
		}
		if h, _ := fl.Height(ctx); h != 0 {
			t.Fatalf("%s: height moved to %d", name, h)
		}
		if r, _ := fl.StateRoot(ctx); r != root0 {
			t.Fatalf("%s: state changed", name)
		}
	}
	if err := fl.ApplyBlock(good); err != nil {
		t.Fatal(err)
	}
	if err := fl.ApplyBlock(good); !errors.Is(err, ErrBadBlock) {
		t.Fatalf("the same block twice: %v", err)
	}
}

// TestFailedTxInBlock: a block (from the producer) may carry a transaction whose payload fails;
// it is recorded with its code and changes only the sender's nonce and fee.
func TestFailedTxInBlock(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	fl := follower(t, f.g)
	tx, _ := NewTx(f.alice, f.g.ChainID, 0, 3, &Transfer{To: f.bob.Address(), Amount: 2 * funds})
	g0, _ := fl.Block(ctx, 0)
	b := &Block{Header: BlockHeader{ChainID: f.g.ChainID, Height: 1, Parent: g0.Hash(), Time: g0.Header.Time + 1000,
		Producer: f.producer.Address()}, Txs: []*Tx{tx}}
	b.Header.TxRoot, b.Header.TxCount = txRoot(b.Txs), 1
	if err := b.Header.sign(f.producer); err != nil {
		t.Fatal(err)
	}
	if err := fl.ApplyBlock(b); err != nil {
		t.Fatal(err)
	}
	rec, err := fl.Tx(ctx, tx.Hash())
	if err != nil || rec.Receipt.Code != status.InsufficientBalance.Num() || rec.Receipt.Err() == nil {
		t.Fatalf("receipt %+v %v", rec, err)
	}
	a, _ := fl.Account(ctx, f.alice.Address())
	bob, _ := fl.Account(ctx, f.bob.Address())
	p, _ := fl.Account(ctx, f.producer.Address())
	if a.Nonce != 1 || a.Balance != funds-3 || bob.Balance != funds || p.Balance != 3 {
		t.Fatalf("after a failed tx: alice %+v bob %+v producer %+v", a, bob, p)
	}
	// A block with a tx whose nonce is wrong is not a block of this chain.
	tx2, _ := NewTx(f.alice, f.g.ChainID, 7, 1, &Transfer{To: f.bob.Address(), Amount: 1})
	b2 := &Block{Header: BlockHeader{ChainID: f.g.ChainID, Height: 2, Parent: b.Hash(), Time: b.Header.Time, Producer: f.producer.Address()}, Txs: []*Tx{tx2}}
	b2.Header.TxRoot, b2.Header.TxCount = txRoot(b2.Txs), 1
	_ = b2.Header.sign(f.producer)
	if err := fl.ApplyBlock(b2); !errors.Is(err, ErrBadNonce) {
		t.Fatalf("bad nonce in block: %v", err)
	}
}

// TestRestart closes and reopens the ledger: height, tip and state root survive; another
// genesis is refused; the stored genesis is used when none is given.
func TestRestart(t *testing.T) {
	f := newFixture(t, nil)
	busyChain(t, f)
	ctx := context.Background()
	h, _ := f.l.Height(ctx)
	root, _ := f.l.StateRoot(ctx)
	tip, _ := f.l.BlockHash(ctx, h)
	path := filepath.Join(f.dir, "ledger.db")
	f.l.Close()
	other := DevnetGenesis(f.producer.Address(), nil)
	if _, err := Open(Config{Path: path, Genesis: other}); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("other genesis: %v", err)
	}
	l, err := Open(Config{Path: path, Producer: f.producer, BlockInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h2, _ := l.Height(ctx)
	root2, _ := l.StateRoot(ctx)
	tip2, _ := l.BlockHash(ctx, h2)
	if h2 != h || root2 != root || tip2 != tip {
		t.Fatalf("after restart: height %d/%d", h2, h)
	}
	if _, err := l.ProduceBlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Config{Path: filepath.Join(t.TempDir(), "x.db")}); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("new ledger without genesis: %v", err)
	}
	if _, err := Open(Config{Path: filepath.Join(t.TempDir(), "y.db"), Genesis: f.g, Producer: f.alice}); err == nil {
		t.Fatal("a key other than the genesis producer was accepted")
	}
}

// TestProducerLoop runs the timer-driven producer with a short interval: blocks (empty ones
// too) appear, a submitted tx is included, and Close stops the loop and wakes waiters.
func TestProducerLoop(t *testing.T) {
	prod, alice := genKey(t), genKey(t)
	g := DevnetGenesis(prod.Address(), map[keys.Address]uint64{alice.Address(): 100})
	l, err := Open(Config{Path: filepath.Join(t.TempDir(), "l.db"), Genesis: g, Producer: prod, BlockInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, _ := NewTx(alice, g.ChainID, 0, 0, &Transfer{To: prod.Address(), Amount: 10})
	h, err := l.Submit(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.WaitTx(ctx, h)
	if err != nil || r.Code != 0 {
		t.Fatalf("wait %+v %v", r, err)
	}
	for {
		if hh, _ := l.Height(ctx); hh >= r.Height+2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A waiter on a tx that never comes is woken by Close.
	tx2, _ := NewTx(alice, g.ChainID, 1, 0, &Transfer{To: prod.Address(), Amount: 1})
	l.mu.Lock()
	l.inPool[tx2.Hash()] = true // pretend it is pending without letting the producer include it
	l.mu.Unlock()
	done := make(chan error)
	go func() { _, err := l.WaitTx(ctx, tx2.Hash()); done <- err }()
	time.Sleep(30 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter after close: %v", err)
	}
	if _, err := l.Submit(ctx, tx2); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
}

// TestGenesisFile round-trips a genesis through its JSON file and refuses bad ones.
func TestGenesisFile(t *testing.T) {
	a, b := genKey(t), genKey(t)
	g := DevnetGenesis(a.Address(), map[keys.Address]uint64{a.Address(): 5, b.Address(): 7})
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
	g2, err := LoadGenesis(path)
	if err != nil || g2.Hash() != g.Hash() {
		t.Fatalf("reload %v", err)
	}
	if DevnetGenesis(a.Address(), map[keys.Address]uint64{b.Address(): 7, a.Address(): 5}).Hash() != g.Hash() {
		t.Fatal("devnet genesis is not deterministic")
	}
	bad := *g2
	bad.Alloc = []Alloc{g2.Alloc[1], g2.Alloc[0]}
	if err := bad.Validate(); status.CodeOf(err, 0) != status.InvalidParams.Num() {
		t.Fatalf("unsorted alloc: %v", err)
	}
	bad = *g2
	bad.Producer = keys.Address{}
	if err := bad.Validate(); err == nil {
		t.Fatal("no producer accepted")
	}
	if _, err := LoadGenesis(filepath.Join(t.TempDir(), "none.json")); status.CodeOf(err, 0) != status.InvalidParams.Num() {
		t.Fatalf("missing file: %v", err)
	}
}

// TestConcurrentSubmit submits from several goroutines while the timer-driven producer runs;
// every transaction lands once and the balances add up. Close leaves no goroutine behind.
func TestConcurrentSubmit(t *testing.T) {
	before := runtime.NumGoroutine()
	prod := genKey(t)
	senders := make([]*keys.KeyPair, 4)
	funded := map[keys.Address]uint64{}
	for i := range senders {
		senders[i] = genKey(t)
		funded[senders[i].Address()] = 1000
	}
	g := DevnetGenesis(prod.Address(), funded)
	l, err := Open(Config{Path: filepath.Join(t.TempDir(), "c.db"), Genesis: g, Producer: prod, BlockInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const each = 15
	errs := make(chan error, len(senders))
	for _, s := range senders {
		go func(s *keys.KeyPair) {
			var hashes []Hash
			for i := 0; i < each; i++ {
				tx, _ := NewTx(s, g.ChainID, uint64(i), 1, &Transfer{To: prod.Address(), Amount: 10})
				h, err := l.Submit(ctx, tx)
				if err != nil {
					errs <- err
					return
				}
				hashes = append(hashes, h)
			}
			for _, h := range hashes {
				if r, err := l.WaitTx(ctx, h); err != nil || r.Code != 0 {
					errs <- fmt.Errorf("wait: %+v %v", r, err)
					return
				}
			}
			errs <- nil
		}(s)
	}
	for range senders {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range senders {
		if a, _ := l.Account(ctx, s.Address()); a.Balance != 1000-each*11 || a.Nonce != each {
			t.Fatalf("sender %+v", a)
		}
	}
	if a, _ := l.Account(ctx, prod.Address()); a.Balance != uint64(len(senders)*each*11) {
		t.Fatalf("producer %+v", a)
	}
	l.Close()
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
}

// TestDroppedFromMempool: a pending transaction that a new block makes invalid (its nonce was
// used by another transaction of the same sender) leaves the mempool, and WaitTx says why.
func TestDroppedFromMempool(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx()
	fl := follower(t, f.g)
	mine, _ := NewTx(f.alice, f.g.ChainID, 0, 1, &Transfer{To: f.bob.Address(), Amount: 1})
	h, err := fl.Submit(ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	f.ok(f.alice, &Transfer{To: f.bob.Address(), Amount: 2}) // nonce 0 on the producer's chain
	if _, err := fl.SyncFrom(ctx, f.l); err != nil {
		t.Fatal(err)
	}
	_, err = fl.WaitTx(ctx, h)
	if !errors.Is(err, ErrDropped) || !errors.Is(err, ErrBadNonce) || status.CodeOf(err, 0) != status.InvalidParams.Num() {
		t.Fatalf("dropped tx: %v", err)
	}
	if n, _ := fl.NextNonce(ctx, f.alice.Address()); n != 1 {
		t.Fatalf("next nonce %d after the drop", n)
	}
}

// TestOversizedTx: a payload over the limit is refused when built, when decoded and when
// submitted.
func TestOversizedTx(t *testing.T) {
	f := newFixture(t, nil)
	big := &RegisterURL{URL: "x", Link: string(make([]byte, maxPayloadBytes))}
	if _, err := NewTx(f.alice, f.g.ChainID, 0, 1, big); status.CodeOf(err, 0) != status.InvalidParams.Num() {
		t.Fatalf("NewTx of a big payload: %v", err)
	}
	tx, _ := NewTx(f.alice, f.g.ChainID, 0, 1, &RegisterURL{URL: "x", Link: "l"})
	tx.Body = encode(big)
	tx.Sig, _ = f.alice.Sign(tx.SigningBytes())
	f.refusedTx(tx, status.InvalidParams, ErrMalformed)
	if _, err := DecodeTx(make([]byte, maxTxBytes+1)); status.CodeOf(err, 0) != status.InvalidParams.Num() {
		t.Fatalf("DecodeTx of a big tx: %v", err)
	}
}

// TestBlockByteLimit: a block holds at most MaxBlockBytes of transactions; the rest waits, in
// order, for the next block; a block over the limit is refused.
func TestBlockByteLimit(t *testing.T) {
	prod, alice := genKey(t), genKey(t)
	g := DevnetGenesis(prod.Address(), map[keys.Address]uint64{alice.Address(): funds})
	g.Params.MaxBlockBytes = maxTxBytes
	l, err := Open(Config{Path: filepath.Join(t.TempDir(), "l.db"), Genesis: g, Producer: prod, BlockInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	const n = 400
	for i := 0; i < n; i++ {
		tx, _ := NewTx(alice, g.ChainID, uint64(i), 0, &Transfer{To: prod.Address(), Amount: 1})
		if _, err := l.Submit(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	b1, err := l.ProduceBlock()
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := l.ProduceBlock()
	if len(b1.Txs) == 0 || len(b1.Txs) >= n || len(b1.Txs)+len(b2.Txs) != n || len(b1.Encode()) > maxTxBytes+1024 {
		t.Fatalf("blocks of %d and %d txs (%d bytes)", len(b1.Txs), len(b2.Txs), len(b1.Encode()))
	}
	if a, _ := l.Account(ctx, alice.Address()); a.Nonce != n {
		t.Fatalf("nonce %d", a.Nonce)
	}
	// A follower whose genesis allows that much refuses a block of both.
	fl := follower(t, g)
	big := &Block{Header: b1.Header, Txs: append(append([]*Tx{}, b1.Txs...), b2.Txs...)}
	big.Header.TxRoot, big.Header.TxCount = txRoot(big.Txs), uint32(len(big.Txs))
	_ = big.Header.sign(prod)
	if err := fl.ApplyBlock(big); !errors.Is(err, ErrBadBlock) {
		t.Fatalf("oversized block: %v", err)
	}
}

// TestEverySchemeSigns: accounts of every keys scheme send transactions; a block carrying them
// replays to the same state.
func TestEverySchemeSigns(t *testing.T) {
	f := newFixture(t, nil)
	for _, s := range keys.Schemes() {
		k, err := keys.Generate(s)
		if err != nil {
			t.Fatal(err)
		}
		f.ok(f.alice, &Transfer{To: k.Address(), Amount: 100})
		f.ok(k, &Transfer{To: f.bob.Address(), Amount: 10})
		tx := f.tx(k, &Transfer{To: f.bob.Address(), Amount: 1})
		tx.Sig[5] ^= 1
		f.refusedTx(tx, status.InvalidParams, ErrBadSignature)
	}
	fl := follower(t, f.g)
	if _, err := fl.SyncFrom(f.ctx(), f.l); err != nil {
		t.Fatal(err)
	}
	r1, _ := f.l.StateRoot(f.ctx())
	r2, _ := fl.StateRoot(f.ctx())
	if r1 != r2 {
		t.Fatal("state roots differ")
	}
}

func TestTxView(t *testing.T) {
	k := genKey(t)
	tx, _ := NewTx(k, "c", 4, 2, &Transfer{To: k.Address(), Amount: 9})
	v, err := tx.View()
	if err != nil || v.Kind != "transfer" || v.Sender != k.Address() || v.Hash != tx.Hash() || v.Payload.(*Transfer).Amount != 9 {
		t.Fatalf("view %+v %v", v, err)
	}
	for kind := range payloadTypes {
		if strings.HasPrefix(kind.String(), "kind(") {
			t.Fatalf("kind %d has no name", kind)
		}
	}
}
