package pdp

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// SecretKey is the uploader's secret (x, alpha), both nonzero elements of Fr. It tags blocks and
// makes the public and prover keys. A SecretKey is safe for concurrent use; it must not be copied
// after first use (it caches the powers of alpha).
type SecretKey struct {
	x, alpha fr.Element

	once   sync.Once
	powers fr.Vector  // alpha^j for j < MaxSectors
	xR     fr.Element // x * montR: turns a raw-limb inner product into x*f(alpha)
	xBig   big.Int
}

// GenerateSecretKey draws a fresh random key (per-file keys) from rand (crypto/rand.Reader if nil).
func GenerateSecretKey(rnd io.Reader) (*SecretKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var sk SecretKey
	for _, e := range []*fr.Element{&sk.x, &sk.alpha} {
		for e.IsZero() {
			var b [48]byte
			if _, err := io.ReadFull(rnd, b[:]); err != nil {
				return nil, fmt.Errorf("pdp: generate key: %w", err)
			}
			e.SetBytes(b[:])
		}
	}
	return &sk, nil
}

// MinSeedSize is the least seed length DeriveSecretKey accepts.
const MinSeedSize = 16

// DeriveSecretKey derives the per-owner key deterministically from a secret seed (for example the
// account's private key bytes): the same seed always gives the same key, so an owner needs to keep
// nothing beyond its account key and FS nodes can reuse one prover key for all of the owner's files.
// x = HKDF-SHA256(seed, salt "DSP1-PDP-V1-KEY", info "x" || ctr, 48 bytes) mod r, alpha likewise
// with info "alpha" || ctr, ctr a byte counting from 0 until the result is nonzero.
func DeriveSecretKey(seed []byte) (*SecretKey, error) {
	if len(seed) < MinSeedSize {
		return nil, fmt.Errorf("pdp: derive key from %d-byte seed, want at least %d: %w", len(seed), MinSeedSize, ErrMalformed)
	}
	var sk SecretKey
	for _, p := range []struct {
		e    *fr.Element
		info string
	}{{&sk.x, "x"}, {&sk.alpha, "alpha"}} {
		for ctr := 0; p.e.IsZero(); ctr++ {
			b, err := hkdf.Key(sha256.New, seed, []byte(keySalt), p.info+string([]byte{byte(ctr)}), 48)
			if err != nil {
				return nil, fmt.Errorf("pdp: derive key: %w", err)
			}
			p.e.SetBytes(b)
		}
	}
	return &sk, nil
}

// DecodeSecretKey parses the 64 bytes of SecretKey.Bytes.
func DecodeSecretKey(b []byte) (*SecretKey, error) {
	if len(b) != SecretKeySize {
		return nil, fmt.Errorf("pdp: secret key of %d bytes, want %d: %w", len(b), SecretKeySize, ErrMalformed)
	}
	var sk SecretKey
	if err := decodeScalar(&sk.x, b[:ScalarSize]); err != nil {
		return nil, fmt.Errorf("pdp: secret key x: %w", err)
	}
	if err := decodeScalar(&sk.alpha, b[ScalarSize:]); err != nil {
		return nil, fmt.Errorf("pdp: secret key alpha: %w", err)
	}
	if sk.x.IsZero() || sk.alpha.IsZero() {
		return nil, fmt.Errorf("pdp: secret key has a zero part: %w", ErrMalformed)
	}
	return &sk, nil
}

// Bytes encodes the key as x || alpha, each 32 bytes big-endian. The result is secret.
func (sk *SecretKey) Bytes() []byte {
	out := make([]byte, 0, SecretKeySize)
	x, a := sk.x.Bytes(), sk.alpha.Bytes()
	return append(append(out, x[:]...), a[:]...)
}

// prepare computes the cached powers of alpha, once.
func (sk *SecretKey) prepare() {
	sk.once.Do(func() {
		sk.powers = make(fr.Vector, MaxSectors)
		sk.powers[0].SetOne()
		for j := 1; j < MaxSectors; j++ {
			sk.powers[j].Mul(&sk.powers[j-1], &sk.alpha)
		}
		sk.xR.Mul(&sk.x, &montR)
		sk.x.BigInt(&sk.xBig)
	})
}

// PublicKey returns v = x*g2 and kappa = (x*alpha)*g2, the part recorded on the ledger.
func (sk *SecretKey) PublicKey() *PublicKey {
	var xa fr.Element
	xa.Mul(&sk.x, &sk.alpha)
	var pk PublicKey
	pk.V.ScalarMultiplicationBase(sk.x.BigInt(new(big.Int)))
	pk.Kappa.ScalarMultiplicationBase(xa.BigInt(new(big.Int)))
	return &pk
}

// ProverKey returns P_j = alpha^j * g1 for j < s, the key an FS node needs to prove blocks of up to
// s sectors (s = MaxSectors for full blocks). It uses all cores.
func (sk *SecretKey) ProverKey(s int) (*ProverKey, error) {
	if s < 1 || s > MaxSectors {
		return nil, fmt.Errorf("pdp: prover key for %d sectors, want 1..%d: %w", s, MaxSectors, ErrBlockTooLarge)
	}
	sk.prepare()
	jac := make([]bls.G1Jac, s)
	parallelFor(s, func(j int) { mulG1(&jac[j], &sk.powers[j]) })
	return &ProverKey{P: bls.BatchJacobianToAffineG1(jac)}, nil
}

// PublicKey is the verification key of a file, recorded on the ledger: V = x*g2, Kappa = x*alpha*g2.
type PublicKey struct {
	V, Kappa bls.G2Affine
}

// Bytes encodes the key as V || Kappa, compressed G2 points, PublicKeySize bytes.
func (pk *PublicKey) Bytes() []byte {
	out := make([]byte, 0, PublicKeySize)
	v, k := pk.V.Bytes(), pk.Kappa.Bytes()
	return append(append(out, v[:]...), k[:]...)
}

// DecodePublicKey parses PublicKey.Bytes. It rejects wrong lengths, points off the curve or out of
// the subgroup, and the identity (a zero secret, which would accept any proof). It never panics.
func DecodePublicKey(b []byte) (*PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, fmt.Errorf("pdp: public key of %d bytes, want %d: %w", len(b), PublicKeySize, ErrMalformed)
	}
	var pk PublicKey
	if err := decodeG2(&pk.V, b[:G2Size]); err != nil {
		return nil, fmt.Errorf("pdp: public key v: %w", err)
	}
	if err := decodeG2(&pk.Kappa, b[G2Size:]); err != nil {
		return nil, fmt.Errorf("pdp: public key kappa: %w", err)
	}
	if pk.V.IsInfinity() || pk.Kappa.IsInfinity() {
		return nil, fmt.Errorf("pdp: public key has an identity part: %w", ErrMalformed)
	}
	return &pk, nil
}

// Equal reports whether two public keys are the same.
func (pk *PublicKey) Equal(o *PublicKey) bool {
	return pk.V.Equal(&o.V) && pk.Kappa.Equal(&o.Kappa)
}

// ProverKey is P_j = alpha^j * g1 for j < Sectors(), handed to FS nodes with the upload. It is
// public (it reveals neither x nor alpha) and read-only once made.
type ProverKey struct {
	P []bls.G1Affine
}

// Sectors is the largest number of sectors per block the key can prove.
func (pk *ProverKey) Sectors() int { return len(pk.P) }

// Bytes encodes the key as a 4-byte big-endian count s followed by s compressed G1 points:
// 4 + 48*s bytes (405,940 bytes for s = MaxSectors).
func (pk *ProverKey) Bytes() []byte {
	out := make([]byte, 4, 4+G1Size*len(pk.P))
	binary.BigEndian.PutUint32(out, uint32(len(pk.P)))
	for i := range pk.P {
		b := pk.P[i].Bytes()
		out = append(out, b[:]...)
	}
	return out
}

// DecodeProverKey parses ProverKey.Bytes, checking every point (on the curve, in the subgroup;
// decompression on all cores, the subgroup by gnark-crypto's batch test, error below 2^-64). It
// does not check that the points are powers of one alpha: see Check. It never panics.
func DecodeProverKey(b []byte) (*ProverKey, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("pdp: prover key of %d bytes: %w", len(b), ErrMalformed)
	}
	s := binary.BigEndian.Uint32(b)
	if s < 1 || s > MaxSectors {
		return nil, fmt.Errorf("pdp: prover key of %d sectors, want 1..%d: %w", s, MaxSectors, ErrMalformed)
	}
	if want := 4 + G1Size*int(s); len(b) != want {
		return nil, fmt.Errorf("pdp: prover key of %d bytes, want %d: %w", len(b), want, ErrMalformed)
	}
	for j := range int(s) {
		if b[4+G1Size*j]&0x80 == 0 {
			return nil, fmt.Errorf("pdp: prover key point %d not compressed: %w", j, ErrMalformed)
		}
	}
	// The layout is gnark-crypto's encoding of a []G1Affine: a big-endian uint32 count, then points.
	var pts []bls.G1Affine
	if err := bls.NewDecoder(bytes.NewReader(b), bls.NoSubgroupChecks()).Decode(&pts); err != nil {
		return nil, fmt.Errorf("pdp: prover key: %v: %w", err, ErrMalformed)
	}
	if len(pts) != int(s) || !bls.IsInSubGroupBatchG1(pts) {
		return nil, fmt.Errorf("pdp: prover key has a point outside G1: %w", ErrMalformed)
	}
	return &ProverKey{P: pts}, nil
}

// Check verifies that pk belongs to pub: P_0 = g1 and P_{j+1} = alpha*P_j for the alpha with
// kappa = alpha*v. An FS node runs it before accepting an upload, so a bad prover key cannot make
// it fail its proofs. It checks all j at once with random weights r_j (crypto/rand):
// e(sum r_j P_{j+1}, v) = e(sum r_j P_j, kappa); a wrong key passes with probability about 1/r.
func (pk *ProverKey) Check(pub *PublicKey) error {
	if len(pk.P) == 0 || !pk.P[0].Equal(&g1Gen) {
		return fmt.Errorf("pdp: prover key P_0 is not g1: %w", ErrKeyMismatch)
	}
	s := len(pk.P)
	if s == 1 {
		return nil
	}
	w, err := randomScalars(s - 1)
	if err != nil {
		return err
	}
	var a, b bls.G1Affine
	if _, err := a.MultiExp(pk.P[1:], w, msmConfig()); err != nil {
		return fmt.Errorf("pdp: check prover key: %w", err)
	}
	if _, err := b.MultiExp(pk.P[:s-1], w, msmConfig()); err != nil {
		return fmt.Errorf("pdp: check prover key: %w", err)
	}
	b.Neg(&b)
	ok, err := bls.PairingCheck([]bls.G1Affine{a, b}, []bls.G2Affine{pub.V, pub.Kappa})
	if err != nil {
		return fmt.Errorf("pdp: check prover key: %w", err)
	}
	if !ok {
		return fmt.Errorf("pdp: prover key powers: %w", ErrKeyMismatch)
	}
	return nil
}

// randomScalars returns n uniform elements of Fr from crypto/rand.
func randomScalars(n int) (fr.Vector, error) {
	v := make(fr.Vector, n)
	if err := v.SetRandom(); err != nil {
		return nil, fmt.Errorf("pdp: random scalars: %w", err)
	}
	return v, nil
}

func msmConfig() ecc.MultiExpConfig {
	return ecc.MultiExpConfig{NbTasks: runtime.GOMAXPROCS(0)}
}

// parallelFor runs fn(i) for i < n on GOMAXPROCS goroutines and waits for all of them.
func parallelFor(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*per, min(n, (w+1)*per)
		if lo >= hi {
			break
		}
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				fn(i)
			}
		})
	}
	wg.Wait()
}
