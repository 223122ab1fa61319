package pdp

import (
	"errors"
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// TagChecker lets an FS node check, as an upload streams in, that every tag it receives is the
// tag of its block under the file's public key, so that a careless or hostile uploader cannot make
// it fail its proofs later. It folds every (block, tag) into one random linear combination
// (weights from crypto/rand) and checks it in Finish with one proof at a random point: a wrong tag
// passes with probability about 1/r. Memory stays O(s) whatever the number of blocks; the cost is
// about one hash to G1 and one pass over the block per Add, and one MSM over the prover key in
// Finish. Add and Finish must be called from one goroutine at a time.
type TagChecker struct {
	pub  *PublicKey
	pk   *ProverKey
	name []byte

	F          fr.Vector // sum of r_i * f_i
	width      int
	sigAcc     bls.G1Jac // sum of r_i * sigma_i, flushed
	hAcc       bls.G1Jac // sum of r_i * H(name||i), flushed
	sigs, hs   []bls.G1Affine
	weights    fr.Vector
	blocks     int
	done       bool
	flushEvery int
}

// NewTagChecker starts a check of tags of the file named name (its file hash) under pub, with the
// prover key pk, which must already have passed pk.Check(pub).
func NewTagChecker(pub *PublicKey, pk *ProverKey, name []byte) *TagChecker {
	return &TagChecker{pub: pub, pk: pk, name: append([]byte(nil), name...),
		F: make(fr.Vector, pk.Sectors()), flushEvery: 256}
}

// Add folds block i and its encoded tag into the check, in any order. It fails at once on a
// malformed tag (ErrMalformed) or a block the prover key cannot cover (ErrBlockTooLarge); whether
// the tags match their blocks is known in Finish. It copies nothing it is given.
func (tc *TagChecker) Add(i uint64, block, tag []byte) error {
	if tc.done {
		return ErrTaggerClosed
	}
	if len(block) > BlockSize || sectorCount(len(block)) > len(tc.F) {
		return fmt.Errorf("pdp: check tag of block %d of %d bytes, prover key of %d sectors: %w",
			i, len(block), len(tc.F), ErrBlockTooLarge)
	}
	var sig bls.G1Affine
	if err := decodeG1(&sig, tag); err != nil {
		return fmt.Errorf("pdp: check tag of block %d: %w", i, err)
	}
	h, err := hashIndex(tc.name, i)
	if err != nil {
		return err
	}
	r, err := randomScalars(1)
	if err != nil {
		return err
	}
	tc.width = max(tc.width, combineInto(tc.F, [][]byte{block}, r))
	tc.sigs, tc.hs, tc.weights = append(tc.sigs, sig), append(tc.hs, h), append(tc.weights, r[0])
	tc.blocks++
	if len(tc.weights) >= tc.flushEvery {
		return tc.flush()
	}
	return nil
}

// flush folds the pending tags and hashes into the accumulators with two MSMs.
func (tc *TagChecker) flush() error {
	if len(tc.weights) == 0 {
		return nil
	}
	var s, h bls.G1Jac
	if _, err := s.MultiExp(tc.sigs, tc.weights, msmConfig()); err != nil {
		return fmt.Errorf("pdp: check tags: %w", err)
	}
	if _, err := h.MultiExp(tc.hs, tc.weights, msmConfig()); err != nil {
		return fmt.Errorf("pdp: check tags: %w", err)
	}
	tc.sigAcc.AddAssign(&s)
	tc.hAcc.AddAssign(&h)
	tc.sigs, tc.hs, tc.weights = tc.sigs[:0], tc.hs[:0], tc.weights[:0]
	return nil
}

// Finish checks everything added: nil if every tag matches its block, an error wrapping
// ErrInvalidProof if not, ErrBadChallenge if nothing was added. The checker is spent afterwards.
func (tc *TagChecker) Finish() error {
	if tc.done {
		return ErrTaggerClosed
	}
	tc.done = true
	if tc.blocks == 0 {
		return fmt.Errorf("pdp: check tags of no blocks: %w", ErrBadChallenge)
	}
	if err := tc.flush(); err != nil {
		return err
	}
	z, err := randomScalars(1)
	if err != nil {
		return err
	}
	var p Proof
	var q fr.Vector
	p.Y, q = evalDivide(tc.F[:tc.width], &z[0])
	if err := commit(&p.Psi, tc.pk, q); err != nil {
		return err
	}
	p.Sigma.FromJacobian(&tc.sigAcc)
	// A = H_agg + y*g1 - z*psi
	var hAgg bls.G1Affine
	hAgg.FromJacobian(&tc.hAcc)
	var negZ fr.Element
	negZ.Neg(&z[0])
	var a bls.G1Affine
	if _, err := a.MultiExp([]bls.G1Affine{hAgg, g1Gen, p.Psi}, []fr.Element{fr.One(), p.Y, negZ}, msmConfig()); err != nil {
		return fmt.Errorf("pdp: check tags: %w", err)
	}
	if err := pairing(tc.pub, &p, &a); err != nil {
		if errors.Is(err, ErrInvalidProof) {
			return fmt.Errorf("pdp: %d tags of file %x do not all match their blocks: %w", tc.blocks, tc.name, err)
		}
		return err
	}
	return nil
}

// CheckTags checks in one call that tags[k] is the tag of blocks[k] as block first+k of the file
// named name under pub (see TagChecker, which it uses; pk must already have passed pk.Check(pub)).
// A mismatch wraps ErrInvalidProof.
func CheckTags(pub *PublicKey, pk *ProverKey, name []byte, first uint64, blocks [][]byte, tags []Tag) error {
	if len(blocks) != len(tags) || len(blocks) == 0 {
		return fmt.Errorf("pdp: check %d tags for %d blocks: %w", len(tags), len(blocks), ErrBadChallenge)
	}
	tc := NewTagChecker(pub, pk, name)
	for k := range blocks {
		if err := tc.Add(first+uint64(k), blocks[k], tags[k][:]); err != nil {
			return err
		}
	}
	return tc.Finish()
}
