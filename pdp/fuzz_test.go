package pdp

import (
	"bytes"
	"testing"
)

// The decoders must never panic, and whatever they accept must encode back to the same bytes.

func FuzzDecodeProof(f *testing.F) {
	s := newProveSetup(f, 4, 2)
	p, err := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
	if err != nil {
		f.Fatal(err)
	}
	honest := p.Bytes()
	f.Add(honest)
	f.Add(make([]byte, ProofSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeProof(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Bytes(), b) {
			t.Fatalf("accepted %x, encodes as %x", b, p.Bytes())
		}
		if err := Verify(s.pub, s.ch, p); err == nil && !bytes.Equal(b, honest) {
			t.Fatalf("fuzzed proof %x verifies", b)
		}
	})
}

func FuzzDecodePublicKey(f *testing.F) {
	f.Add(testKey(f).PublicKey().Bytes())
	f.Add(make([]byte, PublicKeySize))
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := DecodePublicKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(pk.Bytes(), b) {
			t.Fatalf("accepted %x, encodes as %x", b, pk.Bytes())
		}
	})
}

func FuzzDecodeProverKey(f *testing.F) {
	pk, err := testKey(f).ProverKey(3)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pk.Bytes())
	f.Add([]byte{0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := DecodeProverKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(pk.Bytes(), b) {
			t.Fatalf("accepted %x, encodes as %x", b, pk.Bytes())
		}
	})
}

func FuzzDecodeSecretKey(f *testing.F) {
	f.Add(testKey(f).Bytes())
	f.Add(make([]byte, SecretKeySize))
	f.Fuzz(func(t *testing.T, b []byte) {
		sk, err := DecodeSecretKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(sk.Bytes(), b) {
			t.Fatalf("accepted %x, encodes as %x", b, sk.Bytes())
		}
	})
}

func FuzzDecodeTag(f *testing.F) {
	tag, err := testKey(f).TagBlock([]byte("f"), 0, []byte("block"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tag[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		tg, err := DecodeTag(b)
		if err != nil {
			return
		}
		if !bytes.Equal(tg[:], b) {
			t.Fatalf("accepted %x as %x", b, tg)
		}
	})
}

func FuzzNewChallenge(f *testing.F) {
	f.Add([]byte("block"), []byte("file"), []byte("addr"), uint64(100), uint64(10))
	f.Add([]byte{}, []byte{}, []byte{}, uint64(1), uint64(1))
	f.Add([]byte("b"), []byte("f"), []byte("a"), uint64(1<<63), uint64(64))
	f.Fuzz(func(t *testing.T, bh, fh, addr []byte, n, c uint64) {
		if c > 2*MaxChallenged {
			c %= 2 * MaxChallenged // keep runs short; larger c is refused the same way
		}
		ch, err := NewChallenge(bh, fh, addr, n, c)
		if err != nil {
			return
		}
		if err := ch.check(); err != nil {
			t.Fatalf("n=%d c=%d: derived an invalid challenge: %v", n, c, err)
		}
		if want := min(c, n); uint64(len(ch.Indices)) != want {
			t.Fatalf("n=%d c=%d: %d indices", n, c, len(ch.Indices))
		}
	})
}
