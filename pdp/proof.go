package pdp

import (
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Proof answers one Challenge: Sigma = sum nu_i*sigma_i, Y = F(z), Psi = Q(alpha)*g1 with
// F = sum nu_i*f_i and Q = (F - Y)/(X - z).
type Proof struct {
	Sigma bls.G1Affine
	Y     fr.Element
	Psi   bls.G1Affine
}

// Bytes encodes the proof as Sigma (compressed G1, 48) || Y (big-endian, 32) || Psi (compressed
// G1, 48): ProofSize = 128 bytes.
func (p *Proof) Bytes() []byte {
	out := make([]byte, 0, ProofSize)
	s, y, q := p.Sigma.Bytes(), p.Y.Bytes(), p.Psi.Bytes()
	out = append(out, s[:]...)
	out = append(out, y[:]...)
	return append(out, q[:]...)
}

// DecodeProof parses Proof.Bytes: exactly ProofSize bytes, both points compressed, on the curve
// and in the subgroup, Y canonical (< r). Errors wrap ErrMalformed; it never panics.
func DecodeProof(b []byte) (*Proof, error) {
	if len(b) != ProofSize {
		return nil, fmt.Errorf("pdp: proof of %d bytes, want %d: %w", len(b), ProofSize, ErrMalformed)
	}
	var p Proof
	if err := decodeG1(&p.Sigma, b[:G1Size]); err != nil {
		return nil, fmt.Errorf("pdp: proof sigma: %w", err)
	}
	if err := decodeScalar(&p.Y, b[G1Size:G1Size+ScalarSize]); err != nil {
		return nil, fmt.Errorf("pdp: proof y: %w", err)
	}
	if err := decodeG1(&p.Psi, b[G1Size+ScalarSize:]); err != nil {
		return nil, fmt.Errorf("pdp: proof psi: %w", err)
	}
	return &p, nil
}
