package keys

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/mr-tron/base58"
	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // the spec's address is RIPEMD-160 based
)

// Address constants of the spec's "Create" steps.
const (
	AddressCodeSuffix = 0xAC // appended to the public key bytes (step 1)
	AddressPrefix     = 0x17 // prepended to the RIPEMD-160 hash (step 4)
	AddressLen        = 25   // prefix + 20-byte hash + 4-byte checksum

	// maxAddressText bounds the text ParseAddress decodes: 25 bytes are at most 35 base58
	// characters, so anything much longer is a length error without decoding it.
	maxAddressText = 64
)

// Address is the 20-byte RIPEMD-160 hash at the heart of an account address. Its String form is
// the spec's base58 text. The zero Address is "no account".
type Address [20]byte

// Address derives the account address of p by the spec's 7 steps over p.Key (the canonical key
// bytes, without the scheme byte).
func (p PublicKey) Address() Address {
	code := append(append([]byte(nil), p.Key...), AddressCodeSuffix)
	h := sha256.Sum256(code)
	r := ripemd160.New()
	r.Write(h[:])
	var a Address
	copy(a[:], r.Sum(nil))
	return a
}

// String is the base58 text of prefix || hash || checksum (steps 4–7).
func (a Address) String() string {
	buf := make([]byte, 0, AddressLen)
	buf = append(buf, AddressPrefix)
	buf = append(buf, a[:]...)
	sum := checksum(buf)
	buf = append(buf, sum[:]...)
	return base58.Encode(buf)
}

// IsZero reports whether a is the zero address.
func (a Address) IsZero() bool { return a == Address{} }

func checksum(b []byte) [4]byte {
	h1 := sha256.Sum256(b)
	h2 := sha256.Sum256(h1[:])
	var c [4]byte
	copy(c[:], h2[:4])
	return c
}

// ParseAddress parses the base58 text of an address, checking length, prefix and checksum, and
// says which check failed.
func ParseAddress(s string) (Address, error) {
	if len(s) > maxAddressText {
		return Address{}, fmt.Errorf("%w %.40q...: %w: %d characters", ErrBadAddress, s, ErrAddressLength, len(s))
	}
	raw, err := base58.Decode(s)
	if err != nil || s == "" {
		return Address{}, fmt.Errorf("%w %q: %w", ErrBadAddress, s, ErrAddressBase58)
	}
	if len(raw) != AddressLen {
		return Address{}, fmt.Errorf("%w %q: %w: %d bytes, want %d", ErrBadAddress, s, ErrAddressLength, len(raw), AddressLen)
	}
	if raw[0] != AddressPrefix {
		return Address{}, fmt.Errorf("%w %q: %w: 0x%02x, want 0x%02x", ErrBadAddress, s, ErrAddressPrefix, raw[0], AddressPrefix)
	}
	sum := checksum(raw[:21])
	if !bytes.Equal(sum[:], raw[21:]) {
		return Address{}, fmt.Errorf("%w %q: %w", ErrBadAddress, s, ErrAddressChecksum)
	}
	var a Address
	copy(a[:], raw[1:21])
	return a, nil
}

// MarshalText implements encoding.TextMarshaler (JSON uses the base58 form).
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
