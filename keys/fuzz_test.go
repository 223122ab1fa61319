package keys

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzParseAddress(f *testing.F) {
	for _, v := range addressVectors {
		f.Add(v.address)
	}
	f.Add("")
	f.Add("0OIl")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("error %v does not wrap ErrBadAddress", err)
			}
			return
		}
		// Addresses start with 0x17, so their base58 text has no leading '1': one text per address.
		if a.String() != s {
			t.Fatalf("ParseAddress(%q) = %s", s, a)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	for _, v := range addressVectors {
		f.Add(append([]byte{byte(v.scheme)}, mustHex(f, v.pub)...))
	}
	f.Add([]byte{})
	f.Add([]byte{byte(SHA256withECDSA), 4})
	sig := mustHex(f, sigVectors[0].sig)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePublicKey(b)
		if err != nil {
			if !errors.Is(err, ErrBadPublicKey) && !errors.Is(err, ErrUnknownScheme) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !bytes.Equal(p.Bytes(), b) {
			t.Fatalf("Bytes() = %x, want %x", p.Bytes(), b)
		}
		_ = p.Address().String()
		_ = p.Verify([]byte("sample"), sig)
		_ = p.Verify(nil, b)
	})
}

// fuzzUnlockable reports whether r's scrypt cost is small enough to try during fuzzing.
func fuzzUnlockable(r *accountRecord) bool {
	p := r.Crypto.KDFParams
	return p.N*p.R*p.P <= 256
}

func FuzzDecodeWallet(f *testing.F) {
	f.Add([]byte(`{"format":"dsp-wallet","version":1,"default":"","accounts":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := decodeWallet(b)
		if err != nil {
			if !errors.Is(err, ErrWalletDamaged) {
				t.Fatalf("error %v does not wrap ErrWalletDamaged", err)
			}
			return
		}
		wallet := &Wallet{f: w, opt: options{cost: ScryptParams{N: 16, R: 1, P: 1}}}
		enc, err := wallet.encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeWallet(enc); err != nil {
			t.Fatalf("re-encoded wallet does not decode: %v", err)
		}
		for i := range w.Accounts {
			if fuzzUnlockable(&w.Accounts[i]) {
				_, _ = wallet.Unlock(w.Accounts[i].Address, "pw")
			}
		}
	})
}

func FuzzDecodeAccountBlob(f *testing.F) {
	kp, _ := FromPrivateBytes(SHA256withECDSA, mustHex(f, addressVectors[0].priv))
	blob, err := SealAccount(kp, "seed", "pw", WithScrypt(ScryptParams{N: 16, R: 1, P: 1}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(blob)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeBlob(b)
		if err != nil {
			if !errors.Is(err, ErrWalletDamaged) {
				t.Fatalf("error %v does not wrap ErrWalletDamaged", err)
			}
			return
		}
		if !fuzzUnlockable(&r) {
			return
		}
		got, _, err := OpenAccount(b, "pw")
		if err == nil && got.Address().String() != r.Address {
			t.Fatalf("unlocked %s from a blob of %s", got.Address(), r.Address)
		}
	})
}

func FuzzParseSignature(f *testing.F) {
	f.Add(append([]byte{byte(SHA512withEdDSA)}, mustHex(f, sigVectors[4].sig)...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSignature(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Bytes(), b) {
			t.Fatalf("Bytes() = %x, want %x", s.Bytes(), b)
		}
	})
}
