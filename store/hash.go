package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashSize is the length of a block hash in bytes.
const HashSize = sha256.Size

// Hash is a block hash: the SHA-256 of the block's bytes. The hash of a file's root block is the
// file hash. Its text form is lower-case hex.
type Hash [HashSize]byte

// Sum returns the hash of block.
func Sum(block []byte) Hash { return sha256.Sum256(block) }

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero bytes (no hash).
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes h as hex, so JSON carries hashes as strings.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes a hex hash.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash parses a 64-character hex hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("parse hash %q: want %d hex digits, have %d", s, 2*HashSize, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("parse hash %q: %w", s, err)
	}
	return h, nil
}

// BlocksRoot returns the Merkle root over the data block hashes of a file, in order: a leaf is a
// block hash itself, an inner node is SHA-256(left || right), and a node without a right sibling
// at its level is carried up unchanged. The root of one leaf is that leaf; of none, the zero Hash.
func BlocksRoot(leaves []Hash) Hash {
	var m Merkle
	for _, h := range leaves {
		m.Add(h)
	}
	return m.Root()
}

// Merkle computes BlocksRoot incrementally, in memory logarithmic in the number of leaves.
// The zero value is ready to use.
type Merkle struct {
	// stack holds the roots of perfect subtrees of strictly decreasing height.
	stack  []Hash
	height []int
	n      uint64
}

// Add appends the next leaf.
func (m *Merkle) Add(leaf Hash) {
	m.n++
	h, ht := leaf, 0
	for len(m.stack) > 0 && m.height[len(m.height)-1] == ht {
		h = node(m.stack[len(m.stack)-1], h)
		m.stack, m.height = m.stack[:len(m.stack)-1], m.height[:len(m.height)-1]
		ht++
	}
	m.stack, m.height = append(m.stack, h), append(m.height, ht)
}

// Len returns the number of leaves added.
func (m *Merkle) Len() uint64 { return m.n }

// Root returns the root over the leaves added so far. Folding the perfect subtrees from the
// right is the same as carrying an odd node up level by level.
func (m *Merkle) Root() Hash {
	if len(m.stack) == 0 {
		return Hash{}
	}
	h := m.stack[len(m.stack)-1]
	for i := len(m.stack) - 2; i >= 0; i-- {
		h = node(m.stack[i], h)
	}
	return h
}

func node(l, r Hash) Hash {
	var b [2 * HashSize]byte
	copy(b[:], l[:])
	copy(b[HashSize:], r[:])
	return sha256.Sum256(b[:])
}
