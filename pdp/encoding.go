package pdp

import (
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// decodeG1 parses exactly one compressed G1 point, on the curve and in the prime-order subgroup.
func decodeG1(p *bls.G1Affine, b []byte) error {
	if len(b) != G1Size {
		return fmt.Errorf("G1 point of %d bytes, want %d: %w", len(b), G1Size, ErrMalformed)
	}
	if b[0]&0x80 == 0 {
		return fmt.Errorf("G1 point not in compressed form: %w", ErrMalformed)
	}
	if _, err := p.SetBytes(b); err != nil {
		return fmt.Errorf("G1 point: %v: %w", err, ErrMalformed)
	}
	return nil
}

// decodeG2 parses exactly one compressed G2 point, on the curve and in the prime-order subgroup.
func decodeG2(p *bls.G2Affine, b []byte) error {
	if len(b) != G2Size {
		return fmt.Errorf("G2 point of %d bytes, want %d: %w", len(b), G2Size, ErrMalformed)
	}
	if b[0]&0x80 == 0 {
		return fmt.Errorf("G2 point not in compressed form: %w", ErrMalformed)
	}
	if _, err := p.SetBytes(b); err != nil {
		return fmt.Errorf("G2 point: %v: %w", err, ErrMalformed)
	}
	return nil
}

// decodeScalar parses a canonical 32-byte big-endian element of Fr (< r).
func decodeScalar(e *fr.Element, b []byte) error {
	if len(b) != ScalarSize {
		return fmt.Errorf("scalar of %d bytes, want %d: %w", len(b), ScalarSize, ErrMalformed)
	}
	if err := e.SetBytesCanonical(b); err != nil {
		return fmt.Errorf("scalar not canonical: %w", ErrMalformed)
	}
	return nil
}
