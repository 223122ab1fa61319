// Package keys holds DSP accounts: key pairs under the spec's signature schemes, the account
// address (spec "Account: Create"), and wallet files. Every public key and signature carries its
// scheme id, so a verifier never has to guess how bytes were made.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"io"
	"math/big"
	"strings"

	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // the spec's address and scheme need RIPEMD-160
	"golang.org/x/crypto/sha3"
)

// Scheme identifies a signature scheme of the spec's "Digital Signature" list. The numeric value
// travels on the wire and in wallet files; it never changes for a given scheme.
type Scheme uint8

// The supported schemes. Values are stable wire identifiers.
const (
	SchemeUnknown          Scheme = 0
	SHA256withECDSA        Scheme = 1 // P-256, SHA-256 digest
	SHA512withEdDSA        Scheme = 2 // Ed25519 (pure EdDSA, SHA-512 internally)
	SHA3_256withECDSA      Scheme = 3 // P-256, SHA3-256 digest
	RIPEMD160withECDSA     Scheme = 4 // P-256, RIPEMD-160 digest
	DefaultScheme                 = SHA512withEdDSA
	maxScheme                     = RIPEMD160withECDSA
	ecdsaCompressedLen            = 33
	ecdsaSignatureLen             = 64
	ed25519SignatureLength        = ed25519.SignatureSize
)

var schemeNames = map[Scheme][]string{
	SHA256withECDSA:    {"SHA256withECDSA", "p256", "ecdsa", "sha256withecdsa"},
	SHA512withEdDSA:    {"SHA512withEdDSA", "ed25519", "eddsa", "sha512witheddsa"},
	SHA3_256withECDSA:  {"SHA3-256withECDSA", "p256-sha3", "sha3-256withecdsa"},
	RIPEMD160withECDSA: {"RIPEMD160withECDSA", "p256-ripemd160", "ripemd160withecdsa"},
}

// String returns the spec's name of the scheme.
func (s Scheme) String() string {
	if n, ok := schemeNames[s]; ok {
		return n[0]
	}
	return fmt.Sprintf("Scheme(%d)", uint8(s))
}

// Valid reports whether s is a scheme this package implements.
func (s Scheme) Valid() bool { return s >= SHA256withECDSA && s <= maxScheme }

// Schemes lists every implemented scheme in id order.
func Schemes() []Scheme {
	return []Scheme{SHA256withECDSA, SHA512withEdDSA, SHA3_256withECDSA, RIPEMD160withECDSA}
}

// ParseScheme accepts the spec's name or a short alias (p256, ed25519, p256-sha3, p256-ripemd160),
// case-insensitively.
func ParseScheme(name string) (Scheme, error) {
	for s, names := range schemeNames {
		for _, n := range names {
			if strings.EqualFold(n, name) {
				return s, nil
			}
		}
	}
	return SchemeUnknown, fmt.Errorf("%w: %q (want one of p256, ed25519, p256-sha3, p256-ripemd160)", ErrUnknownScheme, name)
}

func (s Scheme) isECDSA() bool {
	return s == SHA256withECDSA || s == SHA3_256withECDSA || s == RIPEMD160withECDSA
}

func (s Scheme) digest(msg []byte) []byte {
	var h hash.Hash
	switch s {
	case SHA256withECDSA:
		h = sha256.New()
	case SHA3_256withECDSA:
		h = sha3.New256()
	case RIPEMD160withECDSA:
		h = ripemd160.New()
	default:
		h = sha512.New()
	}
	h.Write(msg)
	return h.Sum(nil)
}

// PublicKey is a scheme id and the key's canonical bytes: the 33-byte compressed SEC1 point for
// ECDSA schemes, the 32 raw bytes for Ed25519. It is a value; copy it freely.
type PublicKey struct {
	Scheme Scheme
	Key    []byte
}

// KeyPair is an account's private key. It must not be shared between goroutines that mutate it;
// signing and reading are safe concurrently.
type KeyPair struct {
	scheme Scheme
	ec     *ecdsa.PrivateKey
	ed     ed25519.PrivateKey
	pub    PublicKey
}

// Generate makes a new key pair under scheme s from crypto/rand.
func Generate(s Scheme) (*KeyPair, error) { return GenerateFrom(s, rand.Reader) }

// GenerateFrom makes a new key pair reading randomness from r (tests pass a fixed reader).
func GenerateFrom(s Scheme, r io.Reader) (*KeyPair, error) {
	switch {
	case s == SHA512withEdDSA:
		seed := make([]byte, ed25519.SeedSize)
		if _, err := io.ReadFull(r, seed); err != nil {
			return nil, fmt.Errorf("generate ed25519 key: %w", err)
		}
		return FromPrivateBytes(s, seed)
	case s.isECDSA():
		// Draw a scalar deterministically from r so fixed readers give fixed keys.
		buf := make([]byte, 40)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("generate p256 key: %w", err)
		}
		n := elliptic.P256().Params().N
		k := new(big.Int).SetBytes(buf)
		k.Mod(k, new(big.Int).Sub(n, big.NewInt(1)))
		k.Add(k, big.NewInt(1))
		return FromPrivateBytes(s, k.FillBytes(make([]byte, 32)))
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownScheme, s)
}

// FromPrivateBytes rebuilds a key pair from PrivateBytes: a 32-byte big-endian scalar for ECDSA
// schemes, the 32-byte seed for Ed25519.
func FromPrivateBytes(s Scheme, b []byte) (*KeyPair, error) {
	switch {
	case s == SHA512withEdDSA:
		if len(b) != ed25519.SeedSize {
			return nil, fmt.Errorf("%w: ed25519 seed is %d bytes, want %d", ErrBadPrivateKey, len(b), ed25519.SeedSize)
		}
		ed := ed25519.NewKeyFromSeed(b)
		pub := ed.Public().(ed25519.PublicKey)
		return &KeyPair{scheme: s, ed: ed, pub: PublicKey{Scheme: s, Key: append([]byte(nil), pub...)}}, nil
	case s.isECDSA():
		if len(b) != 32 {
			return nil, fmt.Errorf("%w: p256 scalar is %d bytes, want 32", ErrBadPrivateKey, len(b))
		}
		ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPrivateKey, err)
		}
		comp, err := compressP256(&ec.PublicKey)
		if err != nil {
			return nil, err
		}
		return &KeyPair{scheme: s, ec: ec, pub: PublicKey{Scheme: s, Key: comp}}, nil
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownScheme, s)
}

func compressP256(pub *ecdsa.PublicKey) ([]byte, error) {
	raw, err := pub.Bytes() // uncompressed 0x04 || X || Y
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
	}
	out := make([]byte, ecdsaCompressedLen)
	out[0] = 0x02 | (raw[64] & 1)
	copy(out[1:], raw[1:33])
	return out, nil
}

// Scheme returns the key pair's scheme.
func (k *KeyPair) Scheme() Scheme { return k.scheme }

// Public returns the public key. The returned value shares no memory with k.
func (k *KeyPair) Public() PublicKey {
	return PublicKey{Scheme: k.pub.Scheme, Key: append([]byte(nil), k.pub.Key...)}
}

// Address returns the account address of k's public key.
func (k *KeyPair) Address() Address { return k.pub.Address() }

// PrivateBytes returns the private key's canonical bytes (see FromPrivateBytes). Handle with care.
func (k *KeyPair) PrivateBytes() []byte {
	if k.ed != nil {
		return append([]byte(nil), k.ed.Seed()...)
	}
	b, _ := k.ec.Bytes()
	return b
}

var p256HalfOrder = new(big.Int).Rsh(elliptic.P256().Params().N, 1)

// Sign signs msg and returns the raw signature, without the scheme byte (see SignTagged for the
// form that carries it). ECDSA signatures are r||s, 32 big-endian bytes each (64 bytes), over the
// scheme's digest of msg (SHA-256, SHA3-256 or RIPEMD-160), with s normalised to the lower half of
// the group order; Ed25519 signatures are the 64 bytes of RFC 8032 over msg itself. ECDSA signing
// draws randomness from crypto/rand, so two signatures of one message differ. Sign is safe for
// concurrent use.
func (k *KeyPair) Sign(msg []byte) ([]byte, error) {
	if k.ed != nil {
		return ed25519.Sign(k.ed, msg), nil
	}
	r, s, err := ecdsa.Sign(rand.Reader, k.ec, k.scheme.digest(msg))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	// Normalise to low-S so that a message has one canonical signature per nonce; Verify accepts
	// both forms, as other implementations may not normalise.
	if s.Cmp(p256HalfOrder) > 0 {
		s.Sub(elliptic.P256().Params().N, s)
	}
	sig := make([]byte, ecdsaSignatureLen)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

// Signer is what signs on behalf of an account; *KeyPair implements it.
type Signer interface {
	Sign(msg []byte) ([]byte, error)
	Public() PublicKey
}

var _ Signer = (*KeyPair)(nil)
var _ crypto.PublicKey = PublicKey{}

// Verify checks sig over msg. It returns nil or an error wrapping ErrBadSignature,
// ErrBadPublicKey or ErrUnknownScheme.
func (p PublicKey) Verify(msg, sig []byte) error {
	switch {
	case p.Scheme == SHA512withEdDSA:
		if len(p.Key) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: ed25519 key is %d bytes", ErrBadPublicKey, len(p.Key))
		}
		if len(sig) != ed25519SignatureLength || !ed25519.Verify(ed25519.PublicKey(p.Key), msg, sig) {
			return ErrBadSignature
		}
		return nil
	case p.Scheme.isECDSA():
		pub, err := p.ecdsa()
		if err != nil {
			return err
		}
		if len(sig) != ecdsaSignatureLen {
			return fmt.Errorf("%w: ecdsa signature is %d bytes, want 64", ErrBadSignature, len(sig))
		}
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub, p.Scheme.digest(msg), r, s) {
			return ErrBadSignature
		}
		return nil
	}
	return fmt.Errorf("%w: %d", ErrUnknownScheme, p.Scheme)
}

func (p PublicKey) ecdsa() (*ecdsa.PublicKey, error) {
	if len(p.Key) != ecdsaCompressedLen {
		return nil, fmt.Errorf("%w: p256 key is %d bytes, want 33 (compressed SEC1)", ErrBadPublicKey, len(p.Key))
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), p.Key) //nolint:staticcheck // compressed points have no crypto/ecdh path
	if x == nil {
		return nil, fmt.Errorf("%w: not a point on P-256", ErrBadPublicKey)
	}
	return &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}, nil
}

// Validate checks that p decodes under its scheme.
func (p PublicKey) Validate() error {
	switch {
	case p.Scheme == SHA512withEdDSA:
		if len(p.Key) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: ed25519 key is %d bytes", ErrBadPublicKey, len(p.Key))
		}
		return nil
	case p.Scheme.isECDSA():
		_, err := p.ecdsa()
		return err
	}
	return fmt.Errorf("%w: %d", ErrUnknownScheme, p.Scheme)
}

// Bytes returns the scheme byte followed by the key bytes: the form public keys take on the wire
// (the spec's net_key).
func (p PublicKey) Bytes() []byte { return append([]byte{byte(p.Scheme)}, p.Key...) }

// ParsePublicKey reverses Bytes and validates the key.
func ParsePublicKey(b []byte) (PublicKey, error) {
	if len(b) < 1 {
		return PublicKey{}, fmt.Errorf("%w: empty", ErrBadPublicKey)
	}
	p := PublicKey{Scheme: Scheme(b[0]), Key: append([]byte(nil), b[1:]...)}
	if err := p.Validate(); err != nil {
		return PublicKey{}, err
	}
	return p, nil
}

// Equal reports whether p and q are the same key under the same scheme.
func (p PublicKey) Equal(q PublicKey) bool {
	return p.Scheme == q.Scheme && string(p.Key) == string(q.Key)
}
