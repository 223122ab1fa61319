package pdp

import (
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Verify checks p against ch from public data only: pub (as decoded by DecodePublicKey or made by
// SecretKey.PublicKey) and the challenge. It accepts iff
//
//	e(sigma, g2) = e(H_agg + y*g1, v) * e(psi, kappa - z*v),  H_agg = sum nu_i*H(name||i),
//
// computed as one check of three pairs, e(-sigma, g2) * e(H_agg + y*g1 - z*psi, v) * e(psi, kappa)
// = 1, the G1 side being one MSM over the c hashed points, g1 and psi. A proof that fails wraps
// ErrInvalidProof; points outside the subgroup wrap ErrMalformed; a bad challenge wraps
// ErrBadChallenge. Hashing to G1 uses all cores.
func Verify(pub *PublicKey, ch *Challenge, p *Proof) error {
	if err := ch.check(); err != nil {
		return err
	}
	if !p.Sigma.IsInSubGroup() || !p.Psi.IsInSubGroup() {
		return fmt.Errorf("pdp: verify: proof point outside G1: %w", ErrMalformed)
	}
	hs, err := hashChallenged(ch)
	if err != nil {
		return err
	}
	return check(pub, ch, p, hs)
}

// VerifyBytes decodes proof (see DecodeProof) and verifies it (see Verify).
func VerifyBytes(pub *PublicKey, ch *Challenge, proof []byte) error {
	p, err := DecodeProof(proof)
	if err != nil {
		return err
	}
	return Verify(pub, ch, p)
}

// VerifyRound is the whole check the ledger makes for one round, from its records alone:
// publicKey (the file's PublicKey.Bytes, 192 bytes), blockHash (the ledger block at the round's
// height), fileHash, prover (the FS node's address bytes), n (blocks of the file), c (its
// ProveBlockNum) and the 128-byte proof. Errors wrap ErrMalformed, ErrBadChallenge or
// ErrInvalidProof.
func VerifyRound(publicKey, blockHash, fileHash, prover []byte, n, c uint64, proof []byte) error {
	pub, err := DecodePublicKey(publicKey)
	if err != nil {
		return err
	}
	ch, err := NewChallenge(blockHash, fileHash, prover, n, c)
	if err != nil {
		return err
	}
	return VerifyBytes(pub, ch, proof)
}

// hashChallenged returns H(name || i) for every challenged index, on all cores.
func hashChallenged(ch *Challenge) ([]bls.G1Affine, error) {
	c := len(ch.Indices)
	hs := make([]bls.G1Affine, c, c+2)
	errs := make([]error, c)
	parallelFor(c, func(k int) { hs[k], errs[k] = hashIndex(ch.Name, ch.Indices[k]) })
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return hs, nil
}

// check runs the MSM and the pairing check over the hashed points hs (capacity len+2, reused).
func check(pub *PublicKey, ch *Challenge, p *Proof, hs []bls.G1Affine) error {
	a, err := aggregate(ch, p, hs)
	if err != nil {
		return err
	}
	return pairing(pub, p, &a)
}

// aggregate returns H_agg + y*g1 - z*psi = MSM((H_1..H_c, g1, psi), (nu_1..nu_c, y, -z)).
func aggregate(ch *Challenge, p *Proof, hs []bls.G1Affine) (bls.G1Affine, error) {
	c := len(ch.Indices)
	points := append(hs[:c], g1Gen, p.Psi)
	scalars := make([]fr.Element, c+2)
	copy(scalars, ch.Coeffs)
	scalars[c] = p.Y
	scalars[c+1].Neg(&ch.Z)
	var a bls.G1Affine
	if _, err := a.MultiExp(points, scalars, msmConfig()); err != nil {
		return a, fmt.Errorf("pdp: verify: %w", err)
	}
	return a, nil
}

// pairing checks e(-sigma, g2) * e(a, v) * e(psi, kappa) = 1.
func pairing(pub *PublicKey, p *Proof, a *bls.G1Affine) error {
	var ns bls.G1Affine
	ns.Neg(&p.Sigma)
	ok, err := bls.PairingCheck([]bls.G1Affine{ns, *a, p.Psi}, []bls.G2Affine{g2Gen, pub.V, pub.Kappa})
	if err != nil {
		return fmt.Errorf("pdp: verify: %w", err)
	}
	if !ok {
		return ErrInvalidProof
	}
	return nil
}
