package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"dsp/status"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"
)

// Encryption format, version 1 (see docs/store.md): a 58-byte header, then the plaintext in
// chunks of 64 KiB, each sealed with ChaCha20-Poly1305.
//
//	0  4  magic "DSPE"
//	4  1  version, 1
//	5  1  algorithm, 1 = scrypt key derivation + ChaCha20-Poly1305 chunks
//	6  1  scrypt log2(N)
//	7  1  scrypt r
//	8  1  scrypt p
//	9  1  log2 of the plaintext chunk size, 16
//	10 16 salt, random
//	26 32 key check: HMAC-SHA256(check key, bytes 0..25)
//
// scrypt(password, salt, N, r, p) gives 64 bytes: the first 32 are the AEAD key, the last 32
// the key-check key. Chunk i is sealed with nonce 00 00 00 || last || i (u64, big-endian),
// where last is 1 for the final chunk and 0 otherwise, and the header as additional data. Every
// chunk but the last holds exactly a full chunk of plaintext; the last holds less (possibly
// nothing), so a stream always ends in exactly one chunk marked last.
const (
	cryptHeaderSize = 58
	cryptVersion    = 1
	cryptAlgo       = 1
	cryptChunkLog   = 16
	cryptChunk      = 1 << cryptChunkLog
	cryptSaltSize   = 16
	maxScryptMem    = 64 << 20 // 128*r*N bytes an attacker-supplied header may demand
)

var cryptMagic = [4]byte{'D', 'S', 'P', 'E'}

// scryptLogN is the cost used for new streams; tests lower it.
var scryptLogN byte = 15

// cryptHeader is a parsed encryption header.
type cryptHeader struct {
	logN, r, p byte
	salt       [cryptSaltSize]byte
	check      [32]byte
	raw        [cryptHeaderSize]byte
}

// parseCryptHeader checks a header's format and parameter bounds (not the password).
func parseCryptHeader(b []byte) (*cryptHeader, error) {
	if len(b) != cryptHeaderSize || [4]byte(b[:4]) != cryptMagic {
		return nil, fmt.Errorf("%w: not an encrypted stream", ErrBadHeader)
	}
	if b[4] != cryptVersion || b[5] != cryptAlgo || b[9] != cryptChunkLog {
		return nil, fmt.Errorf("%w: version %d algorithm %d chunk 2^%d", ErrBadHeader, b[4], b[5], b[9])
	}
	h := &cryptHeader{logN: b[6], r: b[7], p: b[8]}
	if h.logN < 10 || h.logN > 20 || h.r < 1 || h.p < 1 || h.p > 4 ||
		128*uint64(h.r)<<h.logN > maxScryptMem {
		return nil, fmt.Errorf("%w: scrypt N=2^%d r=%d p=%d out of bounds", ErrBadHeader, h.logN, h.r, h.p)
	}
	copy(h.salt[:], b[10:26])
	copy(h.check[:], b[26:58])
	copy(h.raw[:], b)
	return h, nil
}

// keys derives the AEAD key and the key check of the header's first 26 bytes.
func (h *cryptHeader) keys(password []byte) (aeadKey []byte, check [32]byte, err error) {
	k, err := scrypt.Key(password, h.salt[:], 1<<h.logN, int(h.r), int(h.p), 64)
	if err != nil {
		return nil, check, err
	}
	m := hmac.New(sha256.New, k[32:])
	m.Write(h.raw[:26])
	copy(check[:], m.Sum(nil))
	return k[:32], check, nil
}

func chunkNonce(i uint64, last bool) []byte {
	n := make([]byte, chacha20poly1305.NonceSize)
	if last {
		n[3] = 1
	}
	binary.BigEndian.PutUint64(n[4:], i)
	return n
}

// encryptReader yields the header and then the sealed chunks of src.
type encryptReader struct {
	src  io.Reader
	aead interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
	}
	hdr   []byte
	plain []byte
	out   []byte // pending output
	i     uint64
	done  bool
	err   error
}

// NewEncryptReader returns a reader of src encrypted with password in the format above. It
// derives the key at once (scrypt, about 100 ms) and then streams, holding one chunk.
func NewEncryptReader(src io.Reader, password []byte) (io.Reader, error) {
	var raw [cryptHeaderSize]byte
	copy(raw[:], cryptMagic[:])
	raw[4], raw[5], raw[6], raw[7], raw[8], raw[9] = cryptVersion, cryptAlgo, scryptLogN, 8, 1, cryptChunkLog
	if _, err := rand.Read(raw[10:26]); err != nil {
		return nil, fmt.Errorf("encrypt: salt: %w", err)
	}
	h, err := parseCryptHeader(raw[:])
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	key, check, err := h.keys(password)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	copy(raw[26:], check[:])
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	return &encryptReader{
		src: src, aead: aead, hdr: raw[:],
		plain: make([]byte, cryptChunk),
		out:   append(make([]byte, 0, cryptChunk+chacha20poly1305.Overhead), raw[:]...),
	}, nil
}

func (e *encryptReader) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		if e.done {
			return 0, io.EOF
		}
		n, err := io.ReadFull(e.src, e.plain)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			e.err = fmt.Errorf("encrypt: read: %w", err)
			return 0, e.err
		}
		last := n < cryptChunk
		e.out = e.aead.Seal(e.out[:0], chunkNonce(e.i, last), e.plain[:n], e.hdr)
		e.i++
		e.done = last
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

// NewDecryptReader reads and checks the header of an encrypted stream and returns a reader of
// the plaintext. A wrong password fails here, before any plaintext exists, with an error that
// wraps ErrWrongPassword and carries DECRYPT_WRONG_PASSWORD (50046). A malformed header wraps
// ErrBadHeader. Later, a chunk that fails authentication, or a truncated or extended stream,
// fails the Read with ErrDecrypt and DECRYPT_FILE_FAILED (50040); no unauthenticated byte is
// ever returned.
func NewDecryptReader(src io.Reader, password []byte) (io.Reader, error) {
	var raw [cryptHeaderSize]byte
	if _, err := io.ReadFull(src, raw[:]); err != nil {
		return nil, status.Wrap(status.TaskDecryptFileFailed, fmt.Errorf("%w: %w", ErrBadHeader, err), "decrypt: header")
	}
	h, err := parseCryptHeader(raw[:])
	if err != nil {
		return nil, status.Wrap(status.TaskDecryptFileFailed, err, "decrypt")
	}
	key, check, err := h.keys(password)
	if err != nil {
		return nil, status.Wrap(status.TaskDecryptFileFailed, err, "decrypt")
	}
	if !hmac.Equal(check[:], h.check[:]) {
		return nil, status.Wrap(status.TaskDecryptWrongPassword, ErrWrongPassword, "decrypt")
	}
	return newChunkDecrypter(src, key, raw[:])
}

func newChunkDecrypter(src io.Reader, key, hdr []byte) (*decryptReader, error) {
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	return &decryptReader{src: src, aead: aead, hdr: hdr,
		buf: make([]byte, cryptChunk+chacha20poly1305.Overhead+1)}, nil
}

// decryptReader opens the chunks of an encrypted stream one at a time.
type decryptReader struct {
	src  io.Reader
	aead interface {
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
	}
	hdr   []byte
	buf   []byte // ciphertext of one chunk plus one byte of look-ahead
	ahead int    // bytes of the next chunk already in buf[0:ahead]
	out   []byte
	i     uint64
	done  bool
	err   error
}

func (d *decryptReader) fail(format string, a ...any) error {
	d.err = status.Wrap(status.TaskDecryptFileFailed, ErrDecrypt, "decrypt: "+format, a...)
	return d.err
}

func (d *decryptReader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		if d.done {
			return 0, io.EOF
		}
		full := cryptChunk + chacha20poly1305.Overhead
		n, err := io.ReadFull(d.src, d.buf[d.ahead:full+1])
		n += d.ahead
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			d.err = fmt.Errorf("decrypt: read: %w", err)
			return 0, d.err
		}
		last := n <= full
		c := d.buf[:min(n, full)]
		if last && len(c) == full {
			return 0, d.fail("chunk %d: stream ends without a last chunk", d.i)
		}
		pt, oerr := d.aead.Open(c[:0], chunkNonce(d.i, last), c, d.hdr)
		if oerr != nil {
			return 0, d.fail("chunk %d: %v", d.i, oerr)
		}
		d.out = pt
		if last {
			d.done = true
			d.ahead = 0
		} else {
			// Keep the look-ahead byte, which begins the next chunk, for the next round. It
			// is moved after the plaintext has been consumed (see below).
			d.ahead = 1
		}
		d.i++
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	if len(d.out) == 0 && d.ahead == 1 {
		d.buf[0] = d.buf[cryptChunk+chacha20poly1305.Overhead]
	}
	return n, nil
}

// OpenFileDecrypted opens a complete file that AddFile encrypted with password and returns its
// plaintext. A wrong password fails here, before any byte is read out, with
// DECRYPT_WRONG_PASSWORD (50046); every block is verified and every chunk authenticated as it is
// read. The caller must Close the reader.
func (s *Store) OpenFileDecrypted(ctx context.Context, fileHash Hash, password []byte) (io.ReadCloser, error) {
	rc, err := s.OpenFile(ctx, fileHash)
	if err != nil {
		return nil, err
	}
	r, err := NewDecryptReader(rc, password)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("open file %s: %w", fileHash, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{r, rc}, nil
}
