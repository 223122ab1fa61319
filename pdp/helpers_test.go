package pdp

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// testSeed is the fixed per-owner seed of the test vectors.
var testSeed = []byte("dsp pdp test vector seed, 32 by")

func testKey(t testing.TB) *SecretKey {
	t.Helper()
	sk, err := DeriveSecretKey(testSeed)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

// testBlocks returns n pseudo-random blocks of size bytes (the last one last bytes, if > 0).
func testBlocks(seed uint64, n, size, last int) [][]byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	blocks := make([][]byte, n)
	for i := range blocks {
		l := size
		if i == n-1 && last > 0 {
			l = last
		}
		b := make([]byte, l)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		blocks[i] = b
	}
	return blocks
}

// testFile is a tagged file as an FS node holds it.
type testFile struct {
	name   []byte
	blocks [][]byte
	tags   []Tag
}

func newTestFile(t testing.TB, sk *SecretKey, seed uint64, n, size, last int) *testFile {
	t.Helper()
	f := &testFile{blocks: testBlocks(seed, n, size, last)}
	h := sha256.Sum256(fmt.Appendf(nil, "file %d", seed))
	f.name = h[:]
	tg := sk.NewTagger(f.name, 2)
	defer tg.Close()
	for _, b := range f.blocks {
		if err := tg.Add(b); err != nil {
			t.Fatal(err)
		}
	}
	tags, err := tg.Finish(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.tags = tags
	return f
}

var errNoBlock = errors.New("no such block")

func (f *testFile) readBlock(i uint64) ([]byte, error) {
	if i >= uint64(len(f.blocks)) {
		return nil, errNoBlock
	}
	return f.blocks[i], nil
}

func (f *testFile) readTag(i uint64) ([]byte, error) {
	if i >= uint64(len(f.tags)) {
		return nil, errNoBlock
	}
	return f.tags[i][:], nil
}

// sectorValue returns the value of one sector (at most 31 bytes, little-endian) via big.Int.
func sectorValue(b []byte) fr.Element {
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	var e fr.Element
	e.SetBigInt(new(big.Int).SetBytes(be))
	return e
}

// refPoly returns the coefficients m_j of block, the slow way.
func refPoly(block []byte) []fr.Element {
	var out []fr.Element
	for off := 0; off < len(block); off += SectorSize {
		out = append(out, sectorValue(block[off:min(len(block), off+SectorSize)]))
	}
	return out
}

// horner evaluates the polynomial with coefficients m at a.
func horner(m []fr.Element, a *fr.Element) fr.Element {
	var acc fr.Element
	for j := len(m) - 1; j >= 0; j-- {
		acc.Mul(&acc, a).Add(&acc, &m[j])
	}
	return acc
}

func scalarMul(p *bls.G1Affine, e *fr.Element) bls.G1Affine {
	var out bls.G1Affine
	out.ScalarMultiplication(p, e.BigInt(new(big.Int)))
	return out
}

type fpElement = fp.Element

func bigOf(v int64) *big.Int { return big.NewInt(v) }
