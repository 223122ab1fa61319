package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"sync"

	"dsp/wire"

	"github.com/vmihailenco/msgpack/v5"
)

// Hash is a sha256 digest: a transaction's, a block's or a state root.
type Hash [32]byte

// String returns the lowercase hex of h.
func (h Hash) String() string { return fmt.Sprintf("%x", h[:]) }

// IsZero reports whether h is all zeros.
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes h as hex (JSON and msgpack carry hex text).
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash parses 64 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%w: hash %q is not 64 hex digits", ErrMalformed, s)
	}
	copy(h[:], b)
	return h, nil
}

// EncodeMsgpack encodes h as 32 bytes of msgpack bin (JSON uses hex text).
func (h Hash) EncodeMsgpack(enc *msgpack.Encoder) error { return enc.EncodeBytes(h[:]) }

// DecodeMsgpack decodes 32 bytes of msgpack bin.
func (h *Hash) DecodeMsgpack(dec *msgpack.Decoder) error {
	b, err := dec.DecodeBytes()
	if err != nil {
		return err
	}
	if len(b) != len(h) {
		return fmt.Errorf("%w: hash of %d bytes", ErrMalformed, len(b))
	}
	copy(h[:], b)
	return nil
}

var encPool = sync.Pool{New: func() any {
	b := new(bytes.Buffer)
	e := msgpack.NewEncoder(b)
	e.UseArrayEncodedStructs(true)
	e.SetSortMapKeys(true)
	return &pooledEnc{buf: b, enc: e}
}}

type pooledEnc struct {
	buf *bytes.Buffer
	enc *msgpack.Encoder
}

// encode is the canonical encoding of every ledger record: msgpack, structs as arrays in field
// order, map keys sorted. Encoding the package's own types cannot fail; a failure is a bug.
func encode(v any) []byte {
	p := encPool.Get().(*pooledEnc)
	defer encPool.Put(p)
	p.buf.Reset()
	if err := p.enc.Encode(v); err != nil {
		panic(fmt.Sprintf("ledger: encode %T: %v", v, err))
	}
	return append([]byte(nil), p.buf.Bytes()...)
}

// decode reads b into v and checks that b is the canonical encoding of v, so one value has one
// encoding and one hash.
func decode(b []byte, v any) error {
	if err := wire.CheckMsgpack(b); err != nil {
		return fmt.Errorf("%w: %T: %v", ErrMalformed, v, err)
	}
	if err := msgpack.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %T: %v", ErrMalformed, v, err)
	}
	if !bytes.Equal(encode(v), b) {
		return fmt.Errorf("%w: %T: not canonical", ErrMalformed, v)
	}
	return nil
}

// decodeTrusted reads b, written by this package, into v without the canonical check.
func decodeTrusted(b []byte, v any) error {
	if err := msgpack.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %T: %v", ErrMalformed, v, err)
	}
	return nil
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func sha(parts ...[]byte) Hash {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}

// merkleRoot is the root of a binary sha256 tree over leaves (an odd node is paired with
// itself); leaf and inner hashes are domain-separated. The root of no leaves is the zero hash.
func merkleRoot(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return Hash{}
	}
	level := make([]Hash, len(leaves))
	for i, l := range leaves {
		level[i] = sha([]byte{0}, l[:])
	}
	for len(level) > 1 {
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			r := level[i]
			if i+1 < len(level) {
				r = level[i+1]
			}
			next = append(next, sha([]byte{1}, level[i][:], r[:]))
		}
		level = next
	}
	return level[0]
}

// hasher hashes a sequence of length-prefixed fields.
type hasher struct{ h hash.Hash }

func newHasher() *hasher { return &hasher{h: sha256.New()} }

func (h *hasher) field(b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.h.Write(n[:])
	h.h.Write(b)
}

func (h *hasher) sum() Hash {
	var out Hash
	h.h.Sum(out[:0])
	return out
}
