package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func init() { scryptLogN = 10 } // fast keys in tests; the header carries the cost

// prng is a fast deterministic byte source (xorshift64*), for test and benchmark data that is
// generated on the fly and never held in memory.
type prng struct {
	s    uint64
	left int64 // bytes still to produce; < 0 means endless
	tail [8]byte
	nt   int
}

func newPRNG(seed uint64, n int64) *prng { return &prng{s: seed*0x9E3779B97F4A7C15 | 1, left: n} }

func (r *prng) next() uint64 {
	r.s ^= r.s >> 12
	r.s ^= r.s << 25
	r.s ^= r.s >> 27
	return r.s * 2685821657736338717
}

func (r *prng) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if r.left > 0 && int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := 0
	for n < len(p) && r.nt > 0 {
		p[n] = r.tail[8-r.nt]
		r.nt--
		n++
	}
	for ; n+8 <= len(p); n += 8 {
		binary.LittleEndian.PutUint64(p[n:], r.next())
	}
	if n < len(p) {
		binary.LittleEndian.PutUint64(r.tail[:], r.next())
		r.nt = 8
		for n < len(p) {
			p[n] = r.tail[8-r.nt]
			r.nt--
			n++
		}
	}
	if r.left > 0 {
		r.left -= int64(n)
	}
	return n, nil
}

func randBytes(seed uint64, n int) []byte {
	b, _ := io.ReadAll(newPRNG(seed, int64(n)))
	if b == nil {
		b = []byte{}
	}
	return b
}

// openTest opens a store in a temporary directory and checks the bolt file's consistency
// when the test ends.
func openTest(t testing.TB, opts *Options) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		checkBolt(t, path)
	})
	return s
}

// checkBolt runs bbolt's consistency check on the file at path.
func checkBolt(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Errorf("reopen %s: %v", path, err)
		return
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bolt check: %v", err)
		}
		return nil
	})
}

func addBytes(t testing.TB, s *Store, data []byte, opts AddOptions) FileInfo {
	t.Helper()
	fi, err := s.AddFile(context.Background(), bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("add file: %v", err)
	}
	return fi
}

func readAll(t testing.TB, s *Store, h Hash) []byte {
	t.Helper()
	r, err := s.OpenFile(context.Background(), h)
	if err != nil {
		t.Fatalf("open file: %v", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read file: %v", err)
	}
	return b
}

func countBlocks(t testing.TB, s *Store) int {
	t.Helper()
	n := 0
	if err := s.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketBlocks).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
