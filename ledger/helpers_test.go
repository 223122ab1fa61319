package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"dsp/keys"
	"dsp/pdp"
	"dsp/status"
)

// fixture is a ledger with funded accounts. api is what the tests talk to: the embedded ledger
// itself, or a Remote over a Handler of it. Blocks are made by hand with produce().
type fixture struct {
	t        *testing.T
	l        *Embedded
	api      Ledger
	g        *Genesis
	producer *keys.KeyPair
	alice    *keys.KeyPair
	bob      *keys.KeyPair
	fs       []*keys.KeyPair
	dir      string
}

const funds = 1_000_000_000

func genKey(t testing.TB) *keys.KeyPair {
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// apiMaker turns an embedded ledger into the Ledger the tests use.
type apiMaker func(t *testing.T, l *Embedded) Ledger

func embeddedAPI(_ *testing.T, l *Embedded) Ledger { return l }

// newFixture makes a fixture whose ledger accepts any proof not starting with "bad" (see
// recordingVerifier), so behavior tests need no pdp proofs. newFixtureWith(t, mk, nil) runs the
// real verifier.
func newFixture(t *testing.T, mk apiMaker) *fixture {
	return newFixtureWith(t, mk, &recordingVerifier{})
}

// testPDPKey is the pdp key of the test files' owner (a per-owner key, as the uploader makes).
var testPDPKey = sync.OnceValue(func() *pdp.SecretKey {
	sk, err := pdp.DeriveSecretKey([]byte("ledger test owner's account key"))
	if err != nil {
		panic(err)
	}
	return sk
})

// testPublicKey is testPDPKey's public key: a valid FileProveParam.
var testPublicKey = sync.OnceValue(func() []byte { return testPDPKey().PublicKey().Bytes() })

func newFixtureWith(t *testing.T, mk apiMaker, v ProofVerifier) *fixture {
	t.Helper()
	f := &fixture{t: t, producer: genKey(t), alice: genKey(t), bob: genKey(t), dir: t.TempDir()}
	funded := map[keys.Address]uint64{f.alice.Address(): funds, f.bob.Address(): funds}
	for i := 0; i < 3; i++ {
		k := genKey(t)
		f.fs = append(f.fs, k)
		funded[k.Address()] = funds
	}
	f.g = DevnetGenesis(f.producer.Address(), funded)
	f.g.Params.MinFee = 1
	f.g.Params.ChannelChallengeBlocks = testChallenge
	l, err := Open(Config{Path: filepath.Join(f.dir, "ledger.db"), Genesis: f.g, Producer: f.producer, BlockInterval: -1, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f.l = l
	if mk == nil {
		mk = embeddedAPI
	}
	f.api = mk(t, l)
	return f
}

func (f *fixture) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	f.t.Cleanup(cancel)
	return ctx
}

func (f *fixture) produce(n int) {
	f.t.Helper()
	for i := 0; i < n; i++ {
		if _, err := f.l.ProduceBlock(); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) height() uint64 {
	f.t.Helper()
	h, err := f.api.Height(f.ctx())
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

// tx signs p from k with k's next nonce and fee 1.
func (f *fixture) tx(k *keys.KeyPair, p Payload) *Tx {
	f.t.Helper()
	n, err := f.api.NextNonce(f.ctx(), k.Address())
	if err != nil {
		f.t.Fatal(err)
	}
	tx, err := NewTx(k, f.g.ChainID, n, 1, p)
	if err != nil {
		f.t.Fatal(err)
	}
	return tx
}

// ok submits p from k, makes a block, and requires success; it returns the receipt.
func (f *fixture) ok(k *keys.KeyPair, p Payload) *Receipt {
	f.t.Helper()
	h, err := f.api.Submit(f.ctx(), f.tx(k, p))
	if err != nil {
		f.t.Fatalf("submit %T: %v", p, err)
	}
	f.produce(1)
	r, err := f.api.WaitTx(f.ctx(), h)
	if err != nil {
		f.t.Fatalf("wait %T: %v", p, err)
	}
	if r.Code != 0 {
		f.t.Fatalf("%T failed: %d %s %s", p, r.Code, r.Name, r.Msg)
	}
	return r
}

func (f *fixture) root() Hash {
	f.t.Helper()
	r, err := f.api.StateRoot(f.ctx())
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// refused submits tx, requires it to fail with code (and sentinel, if given), then makes a block
// and requires the state root to be unchanged.
func (f *fixture) refusedTx(tx *Tx, code status.Code, sentinel error) {
	f.t.Helper()
	before := f.root()
	_, err := f.api.Submit(f.ctx(), tx)
	if err == nil {
		f.t.Fatalf("kind %d: accepted, want code %d", tx.Kind, code.Num())
	}
	if got := status.CodeOf(err, -1); got != code.Num() {
		f.t.Fatalf("kind %d: code %d (%v), want %d", tx.Kind, got, err, code.Num())
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		f.t.Fatalf("kind %d: %v is not %v", tx.Kind, err, sentinel)
	}
	f.produce(1)
	if after := f.root(); after != before {
		f.t.Fatalf("kind %d: refused tx changed the state root", tx.Kind)
	}
}

func (f *fixture) refused(k *keys.KeyPair, p Payload, code status.Code, sentinel error) {
	f.t.Helper()
	f.refusedTx(f.tx(k, p), code, sentinel)
}

func (f *fixture) balance(k *keys.KeyPair) uint64 {
	f.t.Helper()
	a, err := f.api.Account(f.ctx(), k.Address())
	if err != nil {
		f.t.Fatal(err)
	}
	return a.Balance
}

func fsInfo(price uint64) NodeInfo {
	return NodeInfo{Role: RoleFS, HostAddr: "kcp://127.0.0.1:4001", Pledge: 5000, Capacity: 1 << 30,
		PricePerMBBlock: price, MaxProveInterval: 100, MinFileSize: 1, MaxFileSize: 1 << 28, Accepting: true}
}

// registerFS registers the three FS nodes with prices 2, 3 and 4.
func (f *fixture) registerFS() {
	f.t.Helper()
	for i, k := range f.fs {
		f.ok(k, &RegisterNode{Info: fsInfo(uint64(2 + i))})
	}
}

func (f *fixture) storeFile(owner *keys.KeyPair, hash string, size uint64, nodes ...*keys.KeyPair) *StoreFile {
	f.t.Helper()
	sf := &StoreFile{FileHash: []byte(hash), BlocksRoot: []byte("root-" + hash), FileBlockNum: 8, FileBlockSize: 256 << 10,
		ProveBlockNum: 4, FileProveParam: testPublicKey(),
		Option: UploadOption{FileDesc: []byte("desc"), FileSize: size, ProveInterval: 10, ExpiredHeight: f.height() + 101,
			Privilege: PrivilegePublic, CopyNum: uint64(len(nodes) - 1)}}
	for _, n := range nodes {
		sf.PrimaryNodes = append(sf.PrimaryNodes, n.Address())
	}
	return sf
}
