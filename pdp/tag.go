package pdp

import (
	"encoding/binary"
	"fmt"
	"sync"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Tag is the homomorphic tag of one block, sigma_i = x*(H(name||i) + f_i(alpha)*g1), as a
// compressed G1 point. FS nodes store it beside the block; it is public.
type Tag [TagSize]byte

// DecodeTag checks that b is exactly one valid tag (a compressed G1 point of the subgroup) and
// returns it. It never panics.
func DecodeTag(b []byte) (Tag, error) {
	var p bls.G1Affine
	if err := decodeG1(&p, b); err != nil {
		return Tag{}, fmt.Errorf("pdp: tag: %w", err)
	}
	return Tag(b), nil
}

// hashIndex returns H(name || i) with i as 8 bytes big-endian, H the RFC 9380 hash to G1 with
// the domain tag hashDST.
func hashIndex(name []byte, i uint64) (bls.G1Affine, error) {
	msg := make([]byte, len(name)+8)
	copy(msg, name)
	binary.BigEndian.PutUint64(msg[len(name):], i)
	p, err := bls.HashToG1(msg, []byte(hashDST))
	if err != nil {
		return p, fmt.Errorf("pdp: hash block %d to G1: %w", i, err)
	}
	return p, nil
}

// sectorPool holds scratch vectors of MaxSectors elements.
var sectorPool = sync.Pool{New: func() any { v := make(fr.Vector, MaxSectors); return &v }}

// eval returns x*f(alpha) for one block (len(block) <= BlockSize).
func (sk *SecretKey) eval(block []byte) fr.Element {
	sk.prepare()
	sp := sectorPool.Get().(*fr.Vector)
	m := fr.Vector(loadSectors(*sp, block))
	// m holds m_j * R^-1, so the inner product is f(alpha) * R^-1; xR = x*R fixes both at once.
	e := m.InnerProduct(sk.powers[:len(m)])
	cleanUpper()
	sectorPool.Put(sp)
	e.Mul(&e, &sk.xR)
	return e
}

// sigma returns x*h + e*g1: a GLV scalar multiplication of h and a fixed-base e*g1.
func (sk *SecretKey) sigma(h *bls.G1Affine, e *fr.Element) Tag {
	var j bls.G1Jac
	j.FromAffine(h)
	j.ScalarMultiplication(&j, &sk.xBig)
	mulG1(&j, e)
	var p bls.G1Affine
	p.FromJacobian(&j)
	return p.Bytes()
}

// TagBlock returns the tag of block i of the file named name (its file hash). block is at most
// BlockSize bytes; it is read, not kept. TagBlock is safe for concurrent use.
func (sk *SecretKey) TagBlock(name []byte, i uint64, block []byte) (Tag, error) {
	if len(block) > BlockSize {
		return Tag{}, fmt.Errorf("pdp: tag block %d of %d bytes: %w", i, len(block), ErrBlockTooLarge)
	}
	h, err := hashIndex(name, i)
	if err != nil {
		return Tag{}, err
	}
	e := sk.eval(block)
	return sk.sigma(&h, &e), nil
}
