package fs

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"dsp/store"
)

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func addRandom(t testing.TB, st store.FS, n int, seed uint64) store.FileInfo {
	t.Helper()
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	fi, err := st.AddFile(context.Background(), bytes.NewReader(b), store.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// TestReceiveAndResume moves a file block by block from one store to another through the
// receiver's checks, cuts it off, and resumes from the breakpoint: exactly the missing blocks are
// sent the second time, and the file completes.
func TestReceiveAndResume(t *testing.T) {
	ctx := context.Background()
	src, dst := openStore(t), openStore(t)
	fi := addRandom(t, src, 7*store.BlockSize+5, 1)
	tree, err := Tree(ctx, src, fi.FileHash)
	if err != nil {
		t.Fatal(err)
	}
	if len(tree) != 9 || tree[0].Level != 1 || tree[8].Index != 7 {
		t.Fatalf("tree of %d nodes: %+v", len(tree), tree)
	}
	send := func(limit int) int {
		if err := dst.BeginReceive(ctx, fi.FileHash); err != nil {
			t.Fatal(err)
		}
		rs, err := newReceiveState(ctx, dst, fi.FileHash)
		if err != nil {
			t.Fatal(err)
		}
		need := Needed(tree, rs.breakpoint())
		sent := 0
		for _, pos := range need {
			if sent == limit {
				break
			}
			data, _ := src.GetBlock(ctx, tree[pos].Hash)
			b, level, err := rs.accept(&Block{Hash: tree[pos].Hash[:], Data: data})
			if err != nil {
				t.Fatal(err)
			}
			if err := rs.stored(ctx, b, level); err != nil {
				t.Fatal(err)
			}
			if err := dst.PutBlock(ctx, b.Hash, b.Data); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		return sent
	}
	if n := send(3); n != 3 {
		t.Fatalf("sent %d", n)
	}
	if n := send(-1); n != 6 {
		t.Fatalf("resume sent %d blocks, want the 6 missing", n)
	}
	if m, err := dst.Missing(ctx, fi.FileHash); err != nil || len(m) != 0 {
		t.Fatalf("missing %v %v", m, err)
	}
	if n := send(-1); n != 0 {
		t.Fatalf("a complete file asked for %d blocks", n)
	}
}

// TestAcceptRefuses: a block outside the file, a link block with a wrong hash, and a malformed
// hash are refused and nothing is learned from them.
func TestAcceptRefuses(t *testing.T) {
	ctx := context.Background()
	src, dst := openStore(t), openStore(t)
	fi := addRandom(t, src, 2*store.BlockSize, 2)
	other := addRandom(t, src, 100, 3)
	dst.BeginReceive(ctx, fi.FileHash)
	rs, err := newReceiveState(ctx, dst, fi.FileHash)
	if err != nil {
		t.Fatal(err)
	}
	od, _ := src.GetBlock(ctx, other.FileHash)
	if _, _, err := rs.accept(&Block{Hash: other.FileHash[:], Data: od}); err == nil {
		t.Fatal("accepted a block of another file")
	}
	root, _ := src.GetBlock(ctx, fi.FileHash)
	bad := append([]byte(nil), root...)
	bad[len(bad)-1] ^= 1
	if _, _, err := rs.accept(&Block{Hash: fi.FileHash[:], Data: bad}); err == nil {
		t.Fatal("accepted a corrupted root")
	}
	if _, _, err := rs.accept(&Block{Hash: []byte{1, 2}, Data: root}); err == nil {
		t.Fatal("accepted a short hash")
	}
	if len(rs.expected) != 1 {
		t.Fatalf("expected set grew to %d", len(rs.expected))
	}
}

func frameSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, v := range []any{
		&File{SessionID: "s", Hash: bytes.Repeat([]byte{1}, 32), Operation: int32(OpUploadAsk), ChunkSize: store.BlockSize,
			Breakpoint: &Breakpoint{Missing: [][]byte{bytes.Repeat([]byte{2}, 32)}, Held: 3}, ChainInfo: &Chain{ChainID: "c", Height: 9}},
		&File{Operation: int32(OpRefuse), Code: 50022, Msg: "no"},
		&BlockFlights{TimeStamp: 1, Blocks: []Block{{Index: 2, Hash: bytes.Repeat([]byte{3}, 32), Data: []byte("data"), Tag: []byte{9}}}},
		&Progress{ID: "s", Hash: []byte{1}, Operation: int32(OpUploadStatus), Infos: []ProgressInfo{{NodeAddr: "a", Held: 1, Total: 2}}, Done: true},
		&BlockRequest{Hashes: [][]byte{bytes.Repeat([]byte{4}, 32)}, Indices: []uint64{LinkIndex}},
	} {
		b, err := encodeFrame(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestFrameRoundTrip: every message decodes to what was encoded.
func TestFrameRoundTrip(t *testing.T) {
	for _, b := range frameSeeds(t) {
		v, err := DecodeFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := encodeFrame(v)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("%T does not round-trip: %v", v, err)
		}
	}
	for _, bad := range [][]byte{nil, {0, 0}, {0, 0, 4, 76, 0xc1}, {0, 0, 0, 1, 0x90}} {
		if _, err := DecodeFrame(bad); err == nil {
			t.Fatalf("decoded %x", bad)
		}
	}
}

// FuzzDecodeFrame: no input makes DecodeFrame panic, and what decodes re-encodes and decodes to
// the same encoding.
func FuzzDecodeFrame(f *testing.F) {
	for _, b := range frameSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeFrame(b)
		if err != nil {
			return
		}
		e1, err := encodeFrame(v)
		if err != nil {
			t.Fatalf("re-encode %T: %v", v, err)
		}
		v2, err := DecodeFrame(e1)
		if err != nil {
			t.Fatalf("decode re-encoded %T: %v", v, err)
		}
		e2, _ := encodeFrame(v2)
		if !bytes.Equal(e1, e2) {
			t.Fatalf("%T: encoding not stable", v)
		}
	})
}

// TestCacheReadsOnce: sessions that keep pace share one read per block; one far behind reads for
// itself without evicting what the others still need.
func TestCacheReadsOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	fi := addRandom(t, st, 10*store.BlockSize, 4)
	tree, err := Tree(ctx, st, fi.FileHash)
	if err != nil {
		t.Fatal(err)
	}
	bc := &blockCache{st: st, tree: tree, max: 4, entries: map[int]*cacheEntry{}}
	before := cacheReads.Load()
	for pos := range tree {
		for range 3 { // three sessions in step
			if _, err := bc.get(ctx, pos); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := cacheReads.Load() - before; got != uint64(len(tree)) {
		t.Fatalf("%d reads for %d blocks sent to three nodes in step", got, len(tree))
	}
	before = cacheReads.Load()
	if _, err := bc.get(ctx, 0); err != nil { // a session far behind
		t.Fatal(err)
	}
	if _, ok := bc.entries[0]; ok || len(bc.entries) != 4 || cacheReads.Load()-before != 1 {
		t.Fatalf("a straggler's read changed the cache: %d entries", len(bc.entries))
	}
}
