package keys

import (
	"bytes"
	"crypto/elliptic"
	"errors"
	"math/big"
	"testing"
)

func TestSchemeNames(t *testing.T) {
	for _, s := range Schemes() {
		if !s.Valid() {
			t.Errorf("%v not valid", s)
		}
		got, err := ParseScheme(s.String())
		if err != nil || got != s {
			t.Errorf("ParseScheme(%q) = %v, %v", s.String(), got, err)
		}
	}
	for alias, want := range map[string]Scheme{"p256": SHA256withECDSA, "ED25519": SHA512withEdDSA, "p256-sha3": SHA3_256withECDSA, "p256-ripemd160": RIPEMD160withECDSA} {
		if got, err := ParseScheme(alias); err != nil || got != want {
			t.Errorf("ParseScheme(%q) = %v, %v; want %v", alias, got, err, want)
		}
	}
	for _, bad := range []string{"", "rsa", "SHA224withECDSA"} {
		if _, err := ParseScheme(bad); !errors.Is(err, ErrUnknownScheme) {
			t.Errorf("ParseScheme(%q) = %v, want ErrUnknownScheme", bad, err)
		}
	}
	for _, s := range []Scheme{0, 5, 255} {
		if s.Valid() {
			t.Errorf("scheme %d valid", s)
		}
		if _, err := Generate(s); !errors.Is(err, ErrUnknownScheme) {
			t.Errorf("Generate(%d): %v", s, err)
		}
		if _, err := FromPrivateBytes(s, make([]byte, 32)); !errors.Is(err, ErrUnknownScheme) {
			t.Errorf("FromPrivateBytes(%d): %v", s, err)
		}
	}
}

func flip(b []byte, bit int) []byte {
	c := append([]byte(nil), b...)
	c[bit/8] ^= 1 << (bit % 8)
	return c
}

func TestSignVerify(t *testing.T) {
	msg := []byte("a message of the DSP protocol")
	for _, s := range Schemes() {
		t.Run(s.String(), func(t *testing.T) {
			kp, err := Generate(s)
			if err != nil {
				t.Fatal(err)
			}
			pub := kp.Public()
			wantKeyLen := 33
			if s == SHA512withEdDSA {
				wantKeyLen = 32
			}
			if len(pub.Key) != wantKeyLen || pub.Scheme != s || kp.Scheme() != s {
				t.Fatalf("public key %d bytes scheme %v", len(pub.Key), pub.Scheme)
			}
			if s != SHA512withEdDSA && pub.Key[0] != 2 && pub.Key[0] != 3 {
				t.Fatalf("not a compressed SEC1 point: %x", pub.Key)
			}
			sig, err := kp.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != SignatureLen(s) {
				t.Fatalf("signature %d bytes, want %d", len(sig), SignatureLen(s))
			}
			if err := pub.Verify(msg, sig); err != nil {
				t.Fatalf("verify: %v", err)
			}
			for _, bit := range []int{0, 7, len(msg)*8 - 1} {
				if err := pub.Verify(flip(msg, bit), sig); !errors.Is(err, ErrBadSignature) {
					t.Errorf("message bit %d flipped: %v", bit, err)
				}
			}
			for _, bit := range []int{0, 255, 256, len(sig)*8 - 1} {
				if err := pub.Verify(msg, flip(sig, bit)); !errors.Is(err, ErrBadSignature) {
					t.Errorf("signature bit %d flipped: %v", bit, err)
				}
			}
			for _, bit := range []int{9, 100, len(pub.Key)*8 - 1} {
				bad := PublicKey{Scheme: s, Key: flip(pub.Key, bit)}
				if err := bad.Verify(msg, sig); !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrBadPublicKey) {
					t.Errorf("key bit %d flipped: %v", bit, err)
				}
			}
			for _, n := range []int{0, 1, len(sig) - 1, len(sig) + 1} {
				short := make([]byte, n)
				copy(short, sig)
				if err := pub.Verify(msg, short); !errors.Is(err, ErrBadSignature) {
					t.Errorf("%d-byte signature: %v", n, err)
				}
			}
			for _, n := range []int{0, 1, len(pub.Key) - 1, len(pub.Key) + 1, 65} {
				bad := PublicKey{Scheme: s, Key: make([]byte, n)}
				copy(bad.Key, pub.Key)
				if err := bad.Verify(msg, sig); !errors.Is(err, ErrBadPublicKey) {
					t.Errorf("%d-byte key: %v", n, err)
				}
			}
			// The same key bytes under another scheme must not verify.
			for _, other := range Schemes() {
				if other == s {
					continue
				}
				if err := (PublicKey{Scheme: other, Key: pub.Key}).Verify(msg, sig); err == nil {
					t.Errorf("verified under %v", other)
				}
			}
			if err := (PublicKey{Scheme: 9, Key: pub.Key}).Verify(msg, sig); !errors.Is(err, ErrUnknownScheme) {
				t.Errorf("unknown scheme: %v", err)
			}
		})
	}
}

func TestSignLowS(t *testing.T) {
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	for _, s := range []Scheme{SHA256withECDSA, SHA3_256withECDSA, RIPEMD160withECDSA} {
		kp, _ := Generate(s)
		for i := 0; i < 16; i++ {
			sig, err := kp.Sign([]byte{byte(i)})
			if err != nil {
				t.Fatal(err)
			}
			if new(big.Int).SetBytes(sig[32:]).Cmp(half) > 0 {
				t.Fatalf("%v: high S", s)
			}
		}
	}
}

func TestSignatureTagged(t *testing.T) {
	msg := []byte("tagged")
	for _, s := range Schemes() {
		kp, _ := Generate(s)
		sig, err := kp.SignTagged(msg)
		if err != nil || sig.Scheme != s {
			t.Fatalf("%v: %v %v", s, sig.Scheme, err)
		}
		b := sig.Bytes()
		if b[0] != byte(s) || len(b) != 1+SignatureLen(s) {
			t.Fatalf("%v: bytes %x", s, b)
		}
		back, err := ParseSignature(b)
		if err != nil || back.Scheme != s || !bytes.Equal(back.Sig, sig.Sig) {
			t.Fatalf("%v: ParseSignature: %v", s, err)
		}
		if err := kp.Public().VerifySignature(msg, back); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		other := Signature{Scheme: s%4 + 1, Sig: back.Sig}
		if err := kp.Public().VerifySignature(msg, other); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%v: mismatched scheme: %v", s, err)
		}
		if _, err := ParseSignature(b[:len(b)-1]); !errors.Is(err, ErrBadSignature) {
			t.Errorf("short signature: %v", err)
		}
		if _, err := ParseSignature(append([]byte{7}, b[1:]...)); !errors.Is(err, ErrUnknownScheme) {
			t.Errorf("unknown scheme: %v", err)
		}
	}
	if _, err := ParseSignature(nil); !errors.Is(err, ErrBadSignature) {
		t.Errorf("empty: %v", err)
	}
}

func TestFromPrivateBytesRejects(t *testing.T) {
	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	for name, c := range map[string]struct {
		s Scheme
		b []byte
	}{
		"p256 zero":       {SHA256withECDSA, make([]byte, 32)},
		"p256 order":      {SHA256withECDSA, n},
		"p256 short":      {SHA3_256withECDSA, make([]byte, 31)},
		"p256 long":       {RIPEMD160withECDSA, make([]byte, 33)},
		"ed25519 short":   {SHA512withEdDSA, make([]byte, 31)},
		"ed25519 64-byte": {SHA512withEdDSA, make([]byte, 64)},
		"nil":             {SHA256withECDSA, nil},
	} {
		if _, err := FromPrivateBytes(c.s, c.b); !errors.Is(err, ErrBadPrivateKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestGenerateFromDeterministic(t *testing.T) {
	for _, s := range Schemes() {
		a, err := GenerateFrom(s, bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := GenerateFrom(s, bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
		if !a.Public().Equal(b.Public()) {
			t.Errorf("%v: fixed reader gave two keys", s)
		}
		c, _ := FromPrivateBytes(s, a.PrivateBytes())
		if !c.Public().Equal(a.Public()) {
			t.Errorf("%v: PrivateBytes round trip", s)
		}
		if _, err := GenerateFrom(s, bytes.NewReader(nil)); err == nil {
			t.Errorf("%v: empty reader", s)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	for _, s := range Schemes() {
		kp, _ := Generate(s)
		b := kp.Public().Bytes()
		if b[0] != byte(s) {
			t.Fatalf("scheme byte %d", b[0])
		}
		p, err := ParsePublicKey(b)
		if err != nil || !p.Equal(kp.Public()) || p.Address() != kp.Address() {
			t.Fatalf("%v: %v", s, err)
		}
		if _, err := ParsePublicKey(b[:len(b)-1]); !errors.Is(err, ErrBadPublicKey) {
			t.Errorf("%v short: %v", s, err)
		}
		if _, err := ParsePublicKey(append(b, 0)); !errors.Is(err, ErrBadPublicKey) {
			t.Errorf("%v long: %v", s, err)
		}
	}
	// Find an x coordinate with no point on P-256.
	bad := append([]byte{byte(SHA256withECDSA), 2}, make([]byte, 32)...)
	for x := byte(0); ; x++ {
		bad[33] = x
		if xx, _ := elliptic.UnmarshalCompressed(elliptic.P256(), bad[1:]); xx == nil { //nolint:staticcheck
			break
		}
	}
	if _, err := ParsePublicKey(bad); !errors.Is(err, ErrBadPublicKey) {
		t.Errorf("point off the curve: %v", err)
	}
	if _, err := ParsePublicKey(append([]byte{byte(SHA256withECDSA), 4}, make([]byte, 32)...)); !errors.Is(err, ErrBadPublicKey) {
		t.Errorf("uncompressed tag: %v", err)
	}
	for _, b := range [][]byte{nil, {}, {9, 1, 2}} {
		if _, err := ParsePublicKey(b); err == nil {
			t.Errorf("ParsePublicKey(%x) accepted", b)
		}
	}
}
