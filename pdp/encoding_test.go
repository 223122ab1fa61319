package pdp

import (
	"bytes"
	"errors"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

func TestSecretKeyEncoding(t *testing.T) {
	sk := testKey(t)
	b := sk.Bytes()
	if len(b) != SecretKeySize {
		t.Fatalf("%d bytes", len(b))
	}
	back, err := DecodeSecretKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if !back.PublicKey().Equal(sk.PublicKey()) {
		t.Fatal("decoded secret key differs")
	}
	again, _ := DeriveSecretKey(testSeed)
	if !bytes.Equal(again.Bytes(), b) {
		t.Fatal("derivation not deterministic")
	}
	if _, err := DeriveSecretKey(testSeed[:MinSeedSize-1]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short seed: %v", err)
	}
	r1, err := GenerateSecretKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := GenerateSecretKey(nil)
	if bytes.Equal(r1.Bytes(), r2.Bytes()) {
		t.Fatal("random keys repeat")
	}
	for _, bad := range [][]byte{nil, b[:63], append(bytes.Clone(b), 0), make([]byte, 64), bytes.Repeat([]byte{0xff}, 64)} {
		if _, err := DecodeSecretKey(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("secret key %x: %v", bad, err)
		}
	}
}

func TestPublicKeyEncoding(t *testing.T) {
	pub := testKey(t).PublicKey()
	b := pub.Bytes()
	if len(b) != PublicKeySize {
		t.Fatalf("%d bytes", len(b))
	}
	back, err := DecodePublicKey(b)
	if err != nil || !back.Equal(pub) {
		t.Fatalf("round trip: %v", err)
	}
	var inf bls.G2Affine
	infB := inf.Bytes()
	withInf := append(bytes.Clone(b[:G2Size]), infB[:]...)
	flipped := bytes.Clone(b)
	flipped[5] ^= 1
	uncompressed := bytes.Clone(b)
	uncompressed[0] &^= 0x80
	for name, bad := range map[string][]byte{"short": b[:191], "long": append(bytes.Clone(b), 0),
		"identity": withInf, "flipped": flipped, "uncompressed": uncompressed} {
		if _, err := DecodePublicKey(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestProverKeyEncodingAndCheck(t *testing.T) {
	sk := testKey(t)
	pub := sk.PublicKey()
	pk, err := sk.ProverKey(smallSectors)
	if err != nil {
		t.Fatal(err)
	}
	b := pk.Bytes()
	if len(b) != 4+G1Size*smallSectors {
		t.Fatalf("%d bytes", len(b))
	}
	back, err := DecodeProverKey(b)
	if err != nil {
		t.Fatal(err)
	}
	for j := range pk.P {
		if !back.P[j].Equal(&pk.P[j]) {
			t.Fatalf("point %d differs", j)
		}
	}
	var a fr.Element
	a.Exp(sk.alpha, bigOf(5))
	if want := scalarMul(&g1Gen, &a); !pk.P[5].Equal(&want) {
		t.Fatal("P_5 != alpha^5 g1")
	}
	if err := back.Check(pub); err != nil {
		t.Fatalf("own key: %v", err)
	}
	other, _ := DeriveSecretKey([]byte("another owner's seed bytes"))
	if err := back.Check(other.PublicKey()); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("other public key: %v", err)
	}
	bad := &ProverKey{P: append([]bls.G1Affine(nil), pk.P...)}
	bad.P[40].Add(&bad.P[40], &g1Gen)
	if err := bad.Check(pub); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("tampered point: %v", err)
	}
	bad.P = pk.P[1:]
	if err := bad.Check(pub); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("shifted key: %v", err)
	}
	if _, err := sk.ProverKey(0); err == nil {
		t.Fatal("empty prover key")
	}
	if _, err := sk.ProverKey(MaxSectors + 1); err == nil {
		t.Fatal("oversized prover key")
	}
	flipped := bytes.Clone(b)
	flipped[4+G1Size*3+7] ^= 1
	count := bytes.Clone(b)
	count[3]++
	zero := []byte{0, 0, 0, 0}
	huge := []byte{0xff, 0xff, 0xff, 0xff}
	for name, bad := range map[string][]byte{"empty": nil, "short": b[:len(b)-1], "flipped": flipped,
		"count": count, "zero": zero, "huge": huge} {
		if _, err := DecodeProverKey(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestProofAndTagDecoding(t *testing.T) {
	s := newProveSetup(t, 4, 2)
	p, err := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
	if err != nil {
		t.Fatal(err)
	}
	b := p.Bytes()
	back, err := DecodeProof(b)
	if err != nil || !bytes.Equal(back.Bytes(), b) {
		t.Fatalf("round trip: %v", err)
	}
	nonCanonical := bytes.Clone(b)
	copy(nonCanonical[G1Size:], bytes.Repeat([]byte{0xff}, ScalarSize))
	for name, bad := range map[string][]byte{"short": b[:127], "long": append(bytes.Clone(b), 0),
		"y >= r": nonCanonical, "zeros": make([]byte, ProofSize)} {
		if _, err := DecodeProof(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if tg, err := DecodeTag(s.f.tags[0][:]); err != nil || tg != s.f.tags[0] {
		t.Fatalf("tag round trip: %v", err)
	}
	bad := s.f.tags[0]
	bad[10] ^= 1
	if _, err := DecodeTag(bad[:]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("flipped tag: %v", err)
	}
	if _, err := DecodeTag(bad[:47]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short tag: %v", err)
	}
}

// TestVerifyRejectsPointsOutsideSubgroup hands Verify a proof whose sigma is on the curve but not
// in G1 (never produced by DecodeProof).
func TestVerifyRejectsPointsOutsideSubgroup(t *testing.T) {
	s := newProveSetup(t, 4, 2)
	p, _ := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
	var x fpElement
	x.SetUint64(3)
	j := bls.GeneratePointNotInG1(x)
	p.Sigma.FromJacobian(&j)
	if err := Verify(s.pub, s.ch, p); !errors.Is(err, ErrMalformed) {
		t.Fatalf("sigma outside G1: %v", err)
	}
	enc := p.Sigma.Bytes()
	if _, err := DecodeTag(enc[:]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("tag outside G1: %v", err)
	}
	for _, at := range []int{0, 77, len(s.pk.P) - 1} { // the batch test must catch any one point
		kb := s.pk.Bytes()
		copy(kb[4+G1Size*at:], enc[:])
		if _, err := DecodeProverKey(kb); !errors.Is(err, ErrMalformed) {
			t.Fatalf("prover key point %d outside G1: %v", at, err)
		}
	}
	if err := VerifyBytes(s.pub, s.ch, append(enc[:], p.Bytes()[G1Size:]...)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("proof with sigma outside G1: %v", err)
	}
}
