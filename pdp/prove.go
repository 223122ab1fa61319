package pdp

import (
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// ReadFunc returns the bytes of block i of the challenged file: its data (at most BlockSize
// bytes) or its encoded Tag. Prove calls it from the calling goroutine only, once per challenged
// block, in challenge order; it does not keep the returned slice.
type ReadFunc func(i uint64) ([]byte, error)

// Prove answers ch with the prover key pk (of at least as many sectors as the longest challenged
// block), reading only the challenged blocks through block and their tags through tag. An error
// from either callback ends Prove with that error wrapped; a malformed tag wraps ErrMalformed and
// a block longer than BlockSize or than pk allows wraps ErrBlockTooLarge. MSMs use all cores.
func Prove(pk *ProverKey, ch *Challenge, block, tag ReadFunc) (*Proof, error) {
	if err := ch.check(); err != nil {
		return nil, err
	}
	c := len(ch.Indices)
	F := make(fr.Vector, pk.Sectors())
	scratch := sectorPool.Get().(*fr.Vector)
	defer sectorPool.Put(scratch)
	sigmas := make([]bls.G1Affine, c)
	width := 0
	for k, i := range ch.Indices {
		data, err := block(i)
		if err != nil {
			return nil, fmt.Errorf("pdp: prove: read block %d: %w", i, err)
		}
		if len(data) > BlockSize || sectorCount(len(data)) > len(F) {
			return nil, fmt.Errorf("pdp: prove: block %d of %d bytes, prover key of %d sectors: %w",
				i, len(data), len(F), ErrBlockTooLarge)
		}
		width = max(width, combine(F, *scratch, data, &ch.Coeffs[k]))
		tb, err := tag(i)
		if err != nil {
			return nil, fmt.Errorf("pdp: prove: read tag %d: %w", i, err)
		}
		if err := decodeG1(&sigmas[k], tb); err != nil {
			return nil, fmt.Errorf("pdp: prove: tag %d: %w", i, err)
		}
	}
	var p Proof
	if _, err := p.Sigma.MultiExp(sigmas, ch.Coeffs, msmConfig()); err != nil {
		return nil, fmt.Errorf("pdp: prove: sigma: %w", err)
	}
	var q fr.Vector
	p.Y, q = evalDivide(F[:width], &ch.Z)
	if err := commit(&p.Psi, pk, q); err != nil {
		return nil, err
	}
	return &p, nil
}

// combine adds nu*f(X) of block data into F coefficient-wise and returns the number of
// coefficients touched. scratch holds at least sectorCount(len(data)) elements.
func combine(F, scratch fr.Vector, data []byte, nu *fr.Element) int {
	m := fr.Vector(loadSectors(scratch, data))
	var nuR fr.Element
	nuR.Mul(nu, &montR) // the raw limbs carry R^-1: nu*R*m*R^-1 = nu*m
	m.ScalarMul(m, &nuR)
	f := F[:len(m)]
	f.Add(f, m)
	return len(m)
}

// evalDivide returns y = F(z) and Q = (F - y)/(X - z) by synthetic division.
func evalDivide(F fr.Vector, z *fr.Element) (fr.Element, fr.Vector) {
	var y fr.Element
	switch len(F) {
	case 0:
		return y, nil
	case 1:
		return F[0], nil
	}
	d := len(F) - 1
	q := make(fr.Vector, d)
	q[d-1] = F[d]
	for j := d - 1; j >= 1; j-- {
		q[j-1].Mul(&q[j], z).Add(&q[j-1], &F[j])
	}
	y.Mul(&q[0], z).Add(&y, &F[0])
	return y, q
}

// commit sets psi = sum q_j * P_j (the identity for an empty q).
func commit(psi *bls.G1Affine, pk *ProverKey, q fr.Vector) error {
	if len(q) == 0 {
		psi.SetInfinity()
		return nil
	}
	if _, err := psi.MultiExp(pk.P[:len(q)], q, msmConfig()); err != nil {
		return fmt.Errorf("pdp: prove: psi: %w", err)
	}
	return nil
}
