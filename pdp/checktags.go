package pdp

import (
	"errors"
	"fmt"
)

// CheckTags lets an FS node check, before it accepts an upload, that tags[k] is the tag of
// blocks[k] as block first+k of the file named name under pub, so that a careless or hostile
// uploader cannot make it fail its proofs later. pk must already have passed pk.Check(pub). All
// blocks are checked at once: a proof over all of them with random weights and a random point
// (crypto/rand) must verify; a wrong tag passes with probability about 1/r. At most MaxChallenged
// blocks per call. A mismatch wraps ErrInvalidProof.
func CheckTags(pub *PublicKey, pk *ProverKey, name []byte, first uint64, blocks [][]byte, tags []Tag) error {
	if len(blocks) != len(tags) || len(blocks) == 0 || len(blocks) > MaxChallenged {
		return fmt.Errorf("pdp: check %d tags for %d blocks: %w", len(tags), len(blocks), ErrBadChallenge)
	}
	ch := &Challenge{Name: name, N: first + uint64(len(blocks)), Indices: make([]uint64, len(blocks))}
	if ch.N < first {
		return fmt.Errorf("pdp: check tags from block %d: %w", first, ErrBadChallenge)
	}
	for k := range ch.Indices {
		ch.Indices[k] = first + uint64(k)
	}
	coeffs, err := randomScalars(len(blocks) + 1)
	if err != nil {
		return err
	}
	ch.Coeffs, ch.Z = coeffs[1:], coeffs[0]
	p, err := Prove(pk, ch,
		func(i uint64) ([]byte, error) { return blocks[i-first], nil },
		func(i uint64) ([]byte, error) { return tags[i-first][:], nil })
	if err != nil {
		return fmt.Errorf("pdp: check tags: %w", err)
	}
	if err := Verify(pub, ch, p); err != nil {
		if errors.Is(err, ErrInvalidProof) {
			return fmt.Errorf("pdp: tags of blocks %d..%d do not match their data: %w", first, first+uint64(len(blocks))-1, err)
		}
		return err
	}
	return nil
}
