package channel

import (
	"bytes"
	"crypto/sha256"
	"path/filepath"
	"sync"
	"testing"

	"dsp/keys"
	"dsp/ledger"
)

// fuzzKeys are fixed so that the seed corpus holds validly signed proofs on every run.
func fuzzKeys(t testing.TB) (payer, payee *keys.KeyPair) {
	mk := func(name string) *keys.KeyPair {
		seed := sha256.Sum256([]byte(name))
		k, err := keys.FromPrivateBytes(keys.SHA512withEdDSA, seed[:])
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	return mk("fuzz payer"), mk("fuzz payee")
}

var fuzzPayee struct {
	once sync.Once
	p    *Payee
}

// FuzzAccept feeds arbitrary bytes to the proof decoder and what decodes to a Payee: nothing
// panics, a decoded proof re-encodes to its bytes, and an accepted proof is one the payer's key
// signed for this channel, newer than the last and within the deposit.
func FuzzAccept(f *testing.F) {
	payer, payee := fuzzKeys(f)
	ch := testChannel(payer, payee, 1000)
	for i, amount := range []uint64{10, 20, 2000} {
		p, err := ledger.SignBalanceProof(payer, chainID, ch.ID, uint64(i+1), amount)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p.Encode())
	}
	f.Add([]byte{0x94, 0xc4, 0x20})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzPayee.once.Do(func() {
			s, err := Open(filepath.Join(dir, "fuzz.db"))
			if err != nil {
				t.Fatal(err)
			}
			if fuzzPayee.p, err = s.Payee(chainID, ch, payee.Address()); err != nil {
				t.Fatal(err)
			}
		})
		p, err := ledger.DecodeBalanceProof(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Encode(), b) {
			t.Fatal("a decoded proof does not re-encode to its bytes")
		}
		before := fuzzPayee.p.Latest()
		if _, err := fuzzPayee.p.Accept(p); err != nil {
			if fuzzPayee.p.Latest().Nonce != before.Nonce {
				t.Fatal("a refused proof moved the payee")
			}
			return
		}
		if p.Nonce <= before.Nonce || p.Transferred < before.Transferred || p.Transferred > 1000 ||
			ledger.VerifyBalanceProof(chainID, ch.ID, payer.Public().Bytes(), &p) != nil {
			t.Fatalf("accepted %+v after %+v", p, before)
		}
	})
}
