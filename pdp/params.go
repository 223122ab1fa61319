package pdp

import (
	"math/big"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Sizes of the scheme, in bytes unless named otherwise.
const (
	// BlockSize is the largest block the scheme tags: the store's 256 KiB leaf.
	BlockSize = 262144
	// SectorSize is the number of block bytes read as one field element (little-endian, < r).
	SectorSize = 31
	// MaxSectors is the number of sectors of a full block, ceil(BlockSize/SectorSize) = 8457, and
	// so the length of a prover key for full blocks.
	MaxSectors = (BlockSize + SectorSize - 1) / SectorSize
	// G1Size is a compressed G1 point (tags, proof parts, prover key points).
	G1Size = bls.SizeOfG1AffineCompressed
	// G2Size is a compressed G2 point (public key parts).
	G2Size = bls.SizeOfG2AffineCompressed
	// ScalarSize is a canonical big-endian element of Fr.
	ScalarSize = fr.Bytes
	// TagSize is an encoded Tag.
	TagSize = G1Size
	// ProofSize is an encoded Proof: sigma (G1) || y (Fr) || psi (G1) = 128 bytes.
	ProofSize = G1Size + ScalarSize + G1Size
	// PublicKeySize is an encoded PublicKey: v (G2) || kappa (G2) = 192 bytes.
	PublicKeySize = 2 * G2Size
	// SecretKeySize is an encoded SecretKey: x (Fr) || alpha (Fr) = 64 bytes.
	SecretKeySize = 2 * ScalarSize
)

// Domain separation tags. Changing any of them changes every tag, challenge and key derived.
const (
	// hashDST is the RFC 9380 domain separation tag of H: hash_to_curve(name || i).
	hashDST = "DSP1-PDP-V1_BLS12381G1_XMD:SHA-256_SSWU_RO_"
	// challengeDST opens the challenge seed hash.
	challengeDST = "DSP1-PDP-V1-CHALLENGE"
	// keySalt is the HKDF salt of per-owner key derivation.
	keySalt = "DSP1-PDP-V1-KEY"
)

var (
	g1Gen bls.G1Affine
	g2Gen bls.G2Affine
	// montR is the field element whose value is R = 2^256 mod r. An fr.Element built from raw
	// little-endian limbs m holds the value m*R^-1 (it is read as Montgomery form); multiplying by
	// montR restores m. The hot loops skip the per-sector conversion and correct once at the end.
	montR fr.Element
)

func init() {
	_, _, g1, g2 := bls.Generators()
	g1Gen, g2Gen = g1, g2
	var r big.Int
	r.Lsh(big.NewInt(1), 256)
	montR.SetBigInt(&r)
}

// sectorCount is the number of sectors of a block of n bytes.
func sectorCount(n int) int { return (n + SectorSize - 1) / SectorSize }
