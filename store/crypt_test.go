package store

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"dsp/status"
)

func encrypt(t testing.TB, plain, pw []byte) []byte {
	t.Helper()
	r, err := NewEncryptReader(bytes.NewReader(plain), pw)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func TestEncryptRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, cryptChunk - 1, cryptChunk, cryptChunk + 1, 3*cryptChunk + 17} {
		plain := randBytes(uint64(n), n)
		ct := encrypt(t, plain, []byte("pw"))
		chunks := n/cryptChunk + 1
		if want := cryptHeaderSize + n + 16*chunks; len(ct) != want {
			t.Fatalf("n=%d: ciphertext %d bytes, want %d", n, len(ct), want)
		}
		r, err := NewDecryptReader(bytes.NewReader(ct), []byte("pw"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: decrypt %d bytes, %v", n, len(got), err)
		}
	}
}

func TestDecryptWrongPassword(t *testing.T) {
	ct := encrypt(t, []byte("secret"), []byte("right"))
	r, err := NewDecryptReader(bytes.NewReader(ct), []byte("wrong"))
	if r != nil || !errors.Is(err, ErrWrongPassword) || status.CodeOf(err, 0) != int(status.TaskDecryptWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestDecryptTamperAndTruncate(t *testing.T) {
	plain := randBytes(3, 2*cryptChunk+5)
	ct := encrypt(t, plain, []byte("pw"))
	cases := map[string][]byte{
		"flipped body":   flip(ct, cryptHeaderSize+cryptChunk+40),
		"flipped last":   flip(ct, len(ct)-3),
		"truncated":      ct[:len(ct)-10],
		"cut at a chunk": ct[:cryptHeaderSize+2*(cryptChunk+16)],
		"trailing data":  append(bytes.Clone(ct), 1, 2, 3),
	}
	for name, c := range cases {
		r, err := NewDecryptReader(bytes.NewReader(c), []byte("pw"))
		if err != nil {
			t.Fatalf("%s: header: %v", name, err)
		}
		got, err := io.ReadAll(r)
		if !errors.Is(err, ErrDecrypt) || status.CodeOf(err, 0) != int(status.TaskDecryptFileFailed) {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, plain[:len(got)]) || len(got)%cryptChunk != 0 {
			t.Fatalf("%s: returned %d unauthenticated bytes", name, len(got))
		}
	}
	// A header with a flipped salt no longer matches its key check: wrong password.
	if _, err := NewDecryptReader(bytes.NewReader(flip(ct, 12)), []byte("pw")); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("flipped salt: %v", err)
	}
	if _, err := NewDecryptReader(bytes.NewReader(flip(ct, 4)), []byte("pw")); !errors.Is(err, ErrBadHeader) {
		t.Fatalf("flipped version: %v", err)
	}
	if _, err := NewDecryptReader(bytes.NewReader([]byte("plain text, not encrypted at all, sixty bytes or so....")), []byte("pw")); !errors.Is(err, ErrBadHeader) {
		t.Fatalf("not encrypted: %v", err)
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

func TestAddFileEncrypted(t *testing.T) {
	s := openTest(t, nil)
	plain := randBytes(11, BlockSize+99)
	fi := addBytes(t, s, plain, AddOptions{Password: []byte("pw")})
	if !fi.Encrypted || fi.Size <= uint64(len(plain)) {
		t.Fatalf("info %+v", fi)
	}
	stored := readAll(t, s, fi.FileHash)
	if bytes.Contains(stored, plain[:64]) {
		t.Fatal("plaintext stored")
	}
	r, err := s.OpenFileDecrypted(ctx, fi.FileHash, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypt stored file: %v", err)
	}
	if _, err := s.OpenFileDecrypted(ctx, fi.FileHash, []byte("nope")); status.CodeOf(err, 0) != 50046 {
		t.Fatalf("wrong password: %v", err)
	}
}

func FuzzDecodeLink(f *testing.F) {
	f.Add((&Link{Level: 1, Size: 10, Children: []Hash{{1}}}).Encode())
	f.Add((&Link{Level: 2, Size: FanOut*BlockSize + 1, Children: []Hash{{1}, {2}}}).Encode())
	f.Add([]byte("DSPL"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLink(b)
		if err != nil {
			return
		}
		if !bytes.Equal(l.Encode(), b) {
			t.Fatalf("decode/encode not identical")
		}
	})
}

func FuzzParseCryptHeader(f *testing.F) {
	f.Add(encrypt(f, nil, []byte("pw"))[:cryptHeaderSize])
	f.Add(make([]byte, cryptHeaderSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseCryptHeader(b)
		if err != nil {
			return
		}
		if 128*uint64(h.r)<<h.logN > maxScryptMem || !bytes.Equal(h.raw[:], b) {
			t.Fatalf("accepted %x", b)
		}
	})
}

// FuzzDecryptChunks feeds arbitrary ciphertext to the chunk decrypter under a fixed key: it must
// fail cleanly or return only what the key authenticated.
func FuzzDecryptChunks(f *testing.F) {
	ct := encrypt(f, []byte("hello fuzz"), []byte("pw"))
	f.Add(ct[cryptHeaderSize:])
	f.Add([]byte{})
	key := make([]byte, 32)
	hdr := ct[:cryptHeaderSize]
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := newChunkDecrypter(bytes.NewReader(body), key, hdr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(d)
		if err == nil && len(body) != len(got)+16*(len(got)/cryptChunk+1) {
			t.Fatalf("accepted %d bytes of body as %d of plaintext", len(body), len(got))
		}
	})
}
