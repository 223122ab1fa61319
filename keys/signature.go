package keys

import (
	"crypto/ed25519"
	"fmt"
)

// Signature is a raw signature together with the id of the scheme that made it. Its Bytes form,
// scheme byte || raw signature, is how a signature travels when the verifier must not guess the
// scheme. It is a value; copy it freely.
type Signature struct {
	Scheme Scheme
	Sig    []byte
}

// SignatureLen returns the length of a raw signature under s (64 for every implemented scheme),
// or 0 for an unknown scheme.
func SignatureLen(s Scheme) int {
	switch {
	case s == SHA512withEdDSA:
		return ed25519.SignatureSize
	case s.isECDSA():
		return ecdsaSignatureLen
	}
	return 0
}

// SignTagged signs msg like Sign and returns the signature with k's scheme attached.
func (k *KeyPair) SignTagged(msg []byte) (Signature, error) {
	sig, err := k.Sign(msg)
	if err != nil {
		return Signature{}, err
	}
	return Signature{Scheme: k.scheme, Sig: sig}, nil
}

// Bytes returns the scheme byte followed by the raw signature.
func (s Signature) Bytes() []byte { return append([]byte{byte(s.Scheme)}, s.Sig...) }

// ParseSignature reverses Bytes. It checks that the scheme is known and the raw signature has
// that scheme's length; it does not verify anything. The result shares no memory with b.
func ParseSignature(b []byte) (Signature, error) {
	if len(b) < 1 {
		return Signature{}, fmt.Errorf("%w: empty", ErrBadSignature)
	}
	s := Scheme(b[0])
	if !s.Valid() {
		return Signature{}, fmt.Errorf("%w: signature scheme %d", ErrUnknownScheme, b[0])
	}
	if n := SignatureLen(s); len(b)-1 != n {
		return Signature{}, fmt.Errorf("%w: %s signature is %d bytes, want %d", ErrBadSignature, s, len(b)-1, n)
	}
	return Signature{Scheme: s, Sig: append([]byte(nil), b[1:]...)}, nil
}

// VerifySignature checks sig over msg under p. A signature that names another scheme than p's
// fails with ErrBadSignature before any cryptography runs.
func (p PublicKey) VerifySignature(msg []byte, sig Signature) error {
	if sig.Scheme != p.Scheme {
		return fmt.Errorf("%w: signature is %s, key is %s", ErrBadSignature, sig.Scheme, p.Scheme)
	}
	return p.Verify(msg, sig.Sig)
}
