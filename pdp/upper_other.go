//go:build !amd64

package pdp

// cleanUpper does nothing where gnark-crypto's vector code does not use AVX.
func cleanUpper() {}
