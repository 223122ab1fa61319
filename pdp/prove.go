package pdp

import (
	"fmt"
	"runtime"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// ReadFunc returns the bytes of block i of the challenged file: its data (at most BlockSize
// bytes) or its encoded Tag. Prove calls it from the calling goroutine only, once per challenged
// block, in challenge order; it reads the returned slices, never modifies them, and drops them
// when it returns.
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
	blocks := make([][]byte, c)
	tags := make([][]byte, c)
	for k, i := range ch.Indices {
		data, err := block(i)
		if err != nil {
			return nil, fmt.Errorf("pdp: prove: read block %d: %w", i, err)
		}
		if len(data) > BlockSize || sectorCount(len(data)) > pk.Sectors() {
			return nil, fmt.Errorf("pdp: prove: block %d of %d bytes, prover key of %d sectors: %w",
				i, len(data), pk.Sectors(), ErrBlockTooLarge)
		}
		blocks[k] = data
		if tags[k], err = tag(i); err != nil {
			return nil, fmt.Errorf("pdp: prove: read tag %d: %w", i, err)
		}
	}
	sigmas, err := decodeTags(ch, tags)
	if err != nil {
		return nil, err
	}
	F := combine(blocks, ch.Coeffs)
	var p Proof
	if _, err := p.Sigma.MultiExp(sigmas, ch.Coeffs, msmConfig()); err != nil {
		return nil, fmt.Errorf("pdp: prove: sigma: %w", err)
	}
	var q fr.Vector
	p.Y, q = evalDivide(F, &ch.Z)
	if err := commit(&p.Psi, pk, q); err != nil {
		return nil, err
	}
	return &p, nil
}

// ProveRound is what an FS node runs for one round: it derives the challenge (see NewChallenge)
// from blockHash (the ledger block at the round's height), fileHash, prover (its own address
// bytes), n and c (the file's block count and ProveBlockNum), proves it (see Prove) and returns the
// 128-byte proof to submit.
func ProveRound(pk *ProverKey, blockHash, fileHash, prover []byte, n, c uint64, block, tag ReadFunc) ([]byte, error) {
	ch, err := NewChallenge(blockHash, fileHash, prover, n, c)
	if err != nil {
		return nil, err
	}
	p, err := Prove(pk, ch, block, tag)
	if err != nil {
		return nil, err
	}
	return p.Bytes(), nil
}

// decodeTags decodes the challenged tags on all cores.
func decodeTags(ch *Challenge, tags [][]byte) ([]bls.G1Affine, error) {
	sigmas := make([]bls.G1Affine, len(tags))
	errs := make([]error, len(tags))
	parallelFor(len(tags), func(k int) { errs[k] = decodeG1(&sigmas[k], tags[k]) })
	for k, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("pdp: prove: tag %d: %w", ch.Indices[k], err)
		}
	}
	return sigmas, nil
}

// combine returns F = sum_k nu_k * f_k coefficient-wise, as long as the longest block's
// polynomial. The coefficient range is split between GOMAXPROCS goroutines, each reading its
// slice of every block.
func combine(blocks [][]byte, nu []fr.Element) fr.Vector {
	width := 0
	for _, b := range blocks {
		width = max(width, sectorCount(len(b)))
	}
	F := make(fr.Vector, width)
	combineInto(F, blocks, nu)
	return F
}

// combineInto adds sum_k nu_k * f_k into F (at least as long as the longest block's polynomial)
// and returns the number of coefficients touched.
func combineInto(F fr.Vector, blocks [][]byte, nu []fr.Element) int {
	width := 0
	for _, b := range blocks {
		width = max(width, sectorCount(len(b)))
	}
	nuR := make([]fr.Element, len(nu))
	for k := range nu {
		nuR[k].Mul(&nu[k], &montR) // the raw limbs carry R^-1: nu*R * m*R^-1 = nu*m
	}
	workers := min(runtime.GOMAXPROCS(0), (width+1023)/1024)
	per := (width/max(workers, 1) + 7) &^ 7 // multiples of 8 keep the vector code on its fast path
	parallelFor(workers, func(w int) {
		lo, hi := w*per, min(width, (w+1)*per)
		if w == workers-1 {
			hi = width
		}
		if lo >= hi {
			return
		}
		sp := sectorPool.Get().(*fr.Vector)
		defer sectorPool.Put(sp)
		for k, b := range blocks {
			from := lo * SectorSize
			if from >= len(b) {
				continue
			}
			m := fr.Vector(loadSectors(*sp, b[from:min(len(b), hi*SectorSize)]))
			m.ScalarMul(m, &nuR[k])
			f := F[lo : lo+len(m)]
			f.Add(f, m)
			cleanUpper()
		}
	})
	return width
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
