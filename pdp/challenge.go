package pdp

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// MaxChallenged is the most blocks one challenge may name (after capping c at n). The ledger
// should refuse a ProveBlockNum above it.
const MaxChallenged = 4096

// Challenge is one proof round's question to one prover for one file: which blocks, with which
// weights, at which point. Everyone derives the same Challenge with NewChallenge.
type Challenge struct {
	Name    []byte       // the file hash (the tags' name)
	N       uint64       // number of blocks of the file
	Indices []uint64     // distinct block indices in [0, N), in derivation order
	Coeffs  []fr.Element // Coeffs[k] is nu for Indices[k]
	Z       fr.Element   // the evaluation point
}

// NewChallenge derives the challenge of a round from public data: blockHash (the ledger block at
// the round's height), fileHash (also the tags' name), prover (the FS node's address bytes), n
// (blocks in the file) and c (the file's ProveBlockNum, capped at n). Byte by byte:
//
//	seed   = SHA-256("DSP1-PDP-V1-CHALLENGE" || lp(blockHash) || lp(fileHash) || lp(prover)
//	                 || u64be(n) || u32be(c))       lp(b) = u16be(len(b)) || b; c after capping
//	draw(l, k) = SHA-512(seed || l || u64be(k))      l one ASCII byte, 64 bytes out
//	indices: a partial Fisher–Yates shuffle of 0..n-1: for k = 0..c-1, swap position k with
//	         k + u(n-k) and take position k; u(m) reads v = u64be(draw('I', t)[0:8]) for
//	         t = 0, 1, 2, ... (one counter for the whole challenge), rejects v >= 2^64 - (2^64 mod m)
//	         and returns v mod m
//	nu_k   = u384be(draw('N', k)[0:48]) mod r, for k = 0..c-1
//	z      = u384be(draw('Z', 0)[0:48]) mod r
func NewChallenge(blockHash, fileHash, prover []byte, n, c uint64) (*Challenge, error) {
	if n == 0 || c == 0 {
		return nil, fmt.Errorf("pdp: challenge %d of %d blocks: %w", c, n, ErrBadChallenge)
	}
	c = min(c, n)
	if c > MaxChallenged {
		return nil, fmt.Errorf("pdp: challenge of %d blocks, at most %d: %w", c, MaxChallenged, ErrBadChallenge)
	}
	for _, b := range [][]byte{blockHash, fileHash, prover} {
		if len(b) > 0xffff {
			return nil, fmt.Errorf("pdp: challenge input of %d bytes: %w", len(b), ErrBadChallenge)
		}
	}
	h := sha256.New()
	h.Write([]byte(challengeDST))
	for _, b := range [][]byte{blockHash, fileHash, prover} {
		h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(b))))
		h.Write(b)
	}
	var tail [12]byte
	binary.BigEndian.PutUint64(tail[:8], n)
	binary.BigEndian.PutUint32(tail[8:], uint32(c))
	h.Write(tail[:])
	d := drawer{seed: h.Sum(nil)}

	ch := &Challenge{Name: append([]byte(nil), fileHash...), N: n,
		Indices: make([]uint64, c), Coeffs: make([]fr.Element, c)}
	// c <= MaxChallenged from here on, so int(c) and uint32(c) are exact.
	moved := make(map[uint64]uint64, 2*c) // sparse Fisher–Yates: positions whose value is not their own
	at := func(p uint64) uint64 {
		if v, ok := moved[p]; ok {
			return v
		}
		return p
	}
	for k := range int(c) {
		pos := uint64(k)
		j := pos + d.uniform(n-pos)
		vk, vj := at(pos), at(j)
		moved[pos], moved[j] = vj, vk
		ch.Indices[k] = vj
	}
	for k := range int(c) {
		out := d.draw('N', uint64(k))
		ch.Coeffs[k].SetBytes(out[:48])
	}
	out := d.draw('Z', 0)
	ch.Z.SetBytes(out[:48])
	return ch, nil
}

type drawer struct {
	seed []byte
	ctr  uint64 // the 'I' counter
}

func (d *drawer) draw(label byte, k uint64) [sha512.Size]byte {
	msg := make([]byte, 0, len(d.seed)+9)
	msg = append(append(msg, d.seed...), label)
	msg = binary.BigEndian.AppendUint64(msg, k)
	return sha512.Sum512(msg)
}

// uniform returns a uniform integer in [0, m), m >= 1, by rejection sampling.
func (d *drawer) uniform(m uint64) uint64 {
	rem := -m % m // 2^64 mod m; values below 2^64 - rem are accepted
	for {
		out := d.draw('I', d.ctr)
		d.ctr++
		v := binary.BigEndian.Uint64(out[:8])
		if rem == 0 || v < -rem {
			return v % m
		}
	}
}

// check reports whether ch is usable: lengths agree, indices are in range and distinct.
func (ch *Challenge) check() error {
	c := len(ch.Indices)
	if c == 0 || c != len(ch.Coeffs) || c > MaxChallenged {
		return fmt.Errorf("pdp: challenge with %d indices and %d coefficients: %w", c, len(ch.Coeffs), ErrBadChallenge)
	}
	seen := make(map[uint64]struct{}, c)
	for _, i := range ch.Indices {
		if i >= ch.N {
			return fmt.Errorf("pdp: challenged block %d of %d: %w", i, ch.N, ErrBadChallenge)
		}
		if _, dup := seen[i]; dup {
			return fmt.Errorf("pdp: block %d challenged twice: %w", i, ErrBadChallenge)
		}
		seen[i] = struct{}{}
	}
	return nil
}
