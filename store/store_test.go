package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"dsp/status"
)

var ctx = context.Background()

func TestAddFileReadBack(t *testing.T) {
	s := openTest(t, &Options{BatchBytes: 2 * BlockSize})
	for _, n := range []int{0, 1, BlockSize - 1, BlockSize, BlockSize + 1, 5*BlockSize + 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := randBytes(uint64(n)+1, n)
			fi := addBytes(t, s, data, AddOptions{Name: "f"})
			wantBlocks := uint64(max(1, (n+BlockSize-1)/BlockSize))
			if fi.Size != uint64(n) || fi.Blocks != wantBlocks || fi.LinkBlocks != 1 || fi.State != StateComplete {
				t.Fatalf("info %+v", fi)
			}
			if got := readAll(t, s, fi.FileHash); !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, want %d", len(got), len(data))
			}
			again := addBytes(t, s, data, AddOptions{})
			if again.FileHash != fi.FileHash || again.BlocksRoot != fi.BlocksRoot {
				t.Fatal("same bytes gave a different file hash")
			}
			dh, err := s.DataBlockHashes(ctx, fi.FileHash)
			if err != nil || uint64(len(dh)) != wantBlocks {
				t.Fatalf("data hashes %d, %v", len(dh), err)
			}
			for i, h := range dh {
				lo := min(i*BlockSize, n)
				if h != Sum(data[lo:min(lo+BlockSize, n)]) {
					t.Fatalf("data block %d hash", i)
				}
				if got, err := s.DataBlockHash(ctx, fi.FileHash, uint64(i)); err != nil || got != h {
					t.Fatalf("DataBlockHash(%d) = %s, %v", i, got, err)
				}
				if h == fi.FileHash {
					t.Fatal("file hash equals a data block hash")
				}
			}
			if _, err := s.DataBlockHash(ctx, fi.FileHash, wantBlocks); !errors.Is(err, ErrBlockNotFound) {
				t.Fatalf("index past the end: %v", err)
			}
			if BlocksRoot(dh) != fi.BlocksRoot {
				t.Fatal("BlocksRoot differs from the data block hashes' root")
			}
			all, err := s.GetBlockHashesOfFile(ctx, fi.FileHash)
			if err != nil || all[0] != fi.FileHash || len(all) != 1+len(dh) {
				t.Fatalf("all hashes %d, %v", len(all), err)
			}
		})
	}
}

func TestBlocksRootShape(t *testing.T) {
	l := []Hash{Sum([]byte("a")), Sum([]byte("b")), Sum([]byte("c"))}
	if BlocksRoot(l[:1]) != l[0] {
		t.Fatal("one leaf")
	}
	// Three leaves: the odd leaf is carried up unchanged.
	if BlocksRoot(l) != node(node(l[0], l[1]), l[2]) {
		t.Fatal("three leaves")
	}
	if !BlocksRoot(nil).IsZero() {
		t.Fatal("no leaves")
	}
	// Against a level-by-level reference for many sizes.
	for n := 1; n < 40; n++ {
		var leaves []Hash
		for i := range n {
			leaves = append(leaves, Sum([]byte{byte(i)}))
		}
		lvl := leaves
		for len(lvl) > 1 {
			var up []Hash
			for i := 0; i < len(lvl); i += 2 {
				if i+1 < len(lvl) {
					up = append(up, node(lvl[i], lvl[i+1]))
				} else {
					up = append(up, lvl[i])
				}
			}
			lvl = up
		}
		if BlocksRoot(leaves) != lvl[0] {
			t.Fatalf("n=%d", n)
		}
	}
}

// buildTree runs the tree builder over n fake data blocks of full size (the last of lastSize)
// and returns the root and the link blocks.
func buildTree(n int, lastSize uint64) (Hash, []Block, []Hash) {
	var tb treeBuilder
	var data []Hash
	for i := range n {
		h := Sum(fmt.Appendf(nil, "data %d", i))
		data = append(data, h)
		sz := uint64(BlockSize)
		if i == n-1 {
			sz = lastSize
		}
		tb.add(0, h, sz)
	}
	root := tb.finish()
	return root, tb.take(), data
}

func TestMultiLevelTreeReceive(t *testing.T) {
	s := openTest(t, nil)
	const n = FanOut + 3 // two levels of link blocks
	root, links, data := buildTree(n, 10)
	if len(links) != 3 {
		t.Fatalf("%d link blocks, want 3", len(links))
	}
	rl, err := DecodeLink(links[len(links)-1].Data)
	if err != nil || rl.Level != 2 || rl.Size != (n-1)*BlockSize+10 || len(rl.Children) != 2 {
		t.Fatalf("root %+v, %v", rl, err)
	}
	if err := s.BeginReceive(ctx, root); err != nil {
		t.Fatal(err)
	}
	miss, err := s.Missing(ctx, root)
	if err != nil || len(miss) != 1 || miss[0] != root {
		t.Fatalf("missing before root: %v, %v", miss, err)
	}
	if err := s.PutBlocks(ctx, links); err != nil {
		t.Fatal(err)
	}
	miss, err = s.Missing(ctx, root)
	if err != nil || len(miss) != n {
		t.Fatalf("missing %d, %v", len(miss), err)
	}
	for i := range miss {
		if miss[i] != data[i] {
			t.Fatalf("missing[%d] out of order", i)
		}
	}
	fi, _ := s.File(ctx, root)
	if fi.State != StatePartial {
		t.Fatalf("state %s", fi.State)
	}
}

func TestTreeDepth(t *testing.T) {
	for _, c := range []struct {
		size  uint64
		level int
	}{{0, 1}, {1, 1}, {FanOut * BlockSize, 1}, {FanOut*BlockSize + 1, 2}, {FanOut * FanOut * BlockSize, 2}, {FanOut*FanOut*BlockSize + 1, 3}} {
		if d := depth(c.size); d != c.level {
			t.Errorf("depth(%d) = %d, want %d", c.size, d, c.level)
		}
	}
	// A root over 2*FanOut+1 blocks: two levels, the root with three children.
	root, links, _ := buildTree(2*FanOut+1, BlockSize)
	byHash := map[Hash][]byte{}
	for _, l := range links {
		byHash[l.Hash] = l.Data
	}
	rl, err := DecodeLink(byHash[root])
	if err != nil || rl.Level != 2 || len(rl.Children) != 3 || rl.Size != (2*FanOut+1)*BlockSize {
		t.Fatalf("root %+v %v", rl, err)
	}
	if c, ok := childCount(3, FanOut*FanOut*BlockSize+1); !ok || c != 2 {
		t.Fatalf("childCount level 3: %d %v", c, ok)
	}
	if len(links) != 3+1 {
		t.Fatalf("%d link blocks", len(links))
	}
}

func TestReceiveAnyOrder(t *testing.T) {
	src := openTest(t, nil)
	dst := openTest(t, nil)
	data := randBytes(7, 6*BlockSize+123)
	fi := addBytes(t, src, data, AddOptions{})
	hashes, err := src.GetBlockHashesOfFile(ctx, fi.FileHash)
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.BeginReceive(ctx, fi.FileHash); err != nil {
		t.Fatal(err)
	}
	// Data blocks first, shuffled, then the root: Missing only knows the root until it comes.
	rest := hashes[1:]
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	for i, h := range rest {
		b, err := src.GetBlock(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := dst.PutBlock(ctx, h, b); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if _, err := dst.OpenFile(ctx, fi.FileHash); !errors.Is(err, ErrFileIncomplete) {
				t.Fatalf("open partial: %v", err)
			}
		}
		if m, err := dst.Missing(ctx, fi.FileHash); err != nil || len(m) != 1 || m[0] != fi.FileHash {
			t.Fatalf("missing without root: %v %v", m, err)
		}
	}
	rb, _ := src.GetBlock(ctx, fi.FileHash)
	if err := dst.PutBlock(ctx, fi.FileHash, rb); err != nil {
		t.Fatal(err)
	}
	if m, err := dst.Missing(ctx, fi.FileHash); err != nil || len(m) != 0 {
		t.Fatalf("missing after all: %v %v", m, err)
	}
	got, err := dst.File(ctx, fi.FileHash)
	if err != nil || got.State != StateComplete || got.BlocksRoot != fi.BlocksRoot || got.Size != fi.Size || got.Blocks != fi.Blocks {
		t.Fatalf("received %+v, want %+v (%v)", got, fi, err)
	}
	if !bytes.Equal(readAll(t, dst, fi.FileHash), data) {
		t.Fatal("received file reads back wrong")
	}
}

func TestReceiveRejectsBadTree(t *testing.T) {
	s := openTest(t, nil)
	// A well-formed root whose data child has the wrong length.
	short := []byte("short")
	l := Link{Level: 1, Size: 100, Children: []Hash{Sum(short)}}
	rb := l.Encode()
	root := Sum(rb)
	if err := s.BeginReceive(ctx, root); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlocks(ctx, []Block{{root, rb}, {Sum(short), short}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Missing(ctx, root); !errors.Is(err, ErrBadTree) {
		t.Fatalf("bad tree: %v", err)
	}
	// A root that is not a link block at all.
	junk := []byte("not a link block")
	if err := s.BeginReceive(ctx, Sum(junk)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlock(ctx, Sum(junk), junk); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Missing(ctx, Sum(junk)); !errors.Is(err, ErrBadLink) {
		t.Fatalf("junk root: %v", err)
	}
}

func TestPutBlockChecks(t *testing.T) {
	s := openTest(t, nil)
	b := []byte("hello")
	err := s.PutBlock(ctx, Sum([]byte("other")), b)
	if !errors.Is(err, ErrHashMismatch) || !errors.Is(err, status.Is(status.TaskFsPutBlockFailed)) {
		t.Fatalf("mismatch: %v", err)
	}
	big := make([]byte, MaxBlockSize+1)
	if err := s.PutBlock(ctx, Sum(big), big); !errors.Is(err, ErrBlockTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if ok, _ := s.HasBlock(ctx, Sum(b)); ok {
		t.Fatal("has block before put")
	}
	if err := s.PutBlock(ctx, Sum(b), b); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetBlock(ctx, Sum(b)); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("get: %q %v", got, err)
	}
	if _, err := s.GetBlock(ctx, Sum([]byte("x"))); !errors.Is(err, ErrBlockNotFound) {
		t.Fatalf("absent: %v", err)
	}
}

func TestDedupDeleteGC(t *testing.T) {
	s := openTest(t, &Options{GCBatch: 3})
	shared := randBytes(1, 3*BlockSize)
	a := append(bytes.Clone(shared), randBytes(2, 100)...)
	b := append(bytes.Clone(shared), randBytes(3, 200)...)
	fa := addBytes(t, s, a, AddOptions{})
	fb := addBytes(t, s, b, AddOptions{})
	// 3 shared data blocks, one tail each, one root each.
	if n := countBlocks(t, s); n != 3+2+2 {
		t.Fatalf("%d blocks stored, want 7", n)
	}
	d0, _ := s.DataBlockHash(ctx, fa.FileHash, 0)
	if err := s.PutBlockMeta(ctx, d0, "tag", []byte("t0")); err != nil {
		t.Fatal(err)
	}
	garbage := []byte("garbage")
	if err := s.PutBlock(ctx, Sum(garbage), garbage); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlockMeta(ctx, Sum(garbage), "tag", []byte("g")); err != nil {
		t.Fatal(err)
	}
	st, err := s.GarbageCollect(ctx)
	if err != nil || st.Removed != 1 || st.Batches < 3 {
		t.Fatalf("gc %+v %v", st, err)
	}
	if _, err := s.GetBlockMeta(ctx, Sum(garbage), "tag"); !errors.Is(err, ErrMetaNotFound) {
		t.Fatalf("meta of collected block: %v", err)
	}
	if err := s.DeleteFile(ctx, fa.FileHash); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFile(ctx, fa.FileHash); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if st, err = s.GarbageCollect(ctx); err != nil || st.Removed != 2 {
		t.Fatalf("gc after delete %+v %v", st, err)
	}
	if !bytes.Equal(readAll(t, s, fb.FileHash), b) {
		t.Fatal("shared file damaged by GC")
	}
	if v, err := s.GetBlockMeta(ctx, d0, "tag"); err != nil || string(v) != "t0" {
		t.Fatalf("meta of live block: %q %v", v, err)
	}
	if err := s.DeleteFile(ctx, fb.FileHash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GarbageCollect(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countBlocks(t, s); n != 0 {
		t.Fatalf("%d blocks left", n)
	}
}

func TestGCKeepsPartialAndConcurrentAdds(t *testing.T) {
	s := openTest(t, &Options{BatchBytes: BlockSize, GCBatch: 2})
	// A partial file with its root and one of two data blocks.
	src := openTest(t, nil)
	pf := addBytes(t, src, randBytes(9, BlockSize+5), AddOptions{})
	hs, _ := src.GetBlockHashesOfFile(ctx, pf.FileHash)
	if err := s.BeginReceive(ctx, pf.FileHash); err != nil {
		t.Fatal(err)
	}
	for _, h := range hs[:2] {
		b, _ := src.GetBlock(ctx, h)
		if err := s.PutBlock(ctx, h, b); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.GarbageCollect(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var files sync.Map
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 {
				data := randBytes(uint64(100*w+i), (i+1)*BlockSize/2+w)
				fi, err := s.AddFile(ctx, bytes.NewReader(data), AddOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				files.Store(fi.FileHash, data)
			}
		}()
	}
	// Wait for the adders, then stop the collector.
	for {
		n := 0
		files.Range(func(_, _ any) bool { n++; return true })
		if n == 12 || t.Failed() {
			break
		}
		runtime.Gosched()
	}
	close(stop)
	wg.Wait()
	if _, err := s.GarbageCollect(ctx); err != nil {
		t.Fatal(err)
	}
	files.Range(func(k, v any) bool {
		if !bytes.Equal(readAll(t, s, k.(Hash)), v.([]byte)) {
			t.Errorf("file %s lost blocks", k)
		}
		return true
	})
	m, err := s.Missing(ctx, pf.FileHash)
	if err != nil || len(m) != 1 || m[0] != hs[2] {
		t.Fatalf("partial file after gc: missing %v %v", m, err)
	}
}

func TestCorruptBlockDetected(t *testing.T) {
	s := openTest(t, nil)
	path := s.Path()
	data := randBytes(5, 3*BlockSize)
	fi := addBytes(t, s, data, AddOptions{})
	bad, _ := s.DataBlockHash(ctx, fi.FileHash, 1)
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, data[BlockSize:BlockSize+64])
	if i < 0 {
		t.Fatal("block bytes not found in the bolt file")
	}
	raw[i+1000] ^= 0xff
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetBlock(ctx, bad); !errors.Is(err, ErrCorruptBlock) || !strings.Contains(err.Error(), bad.String()) {
		t.Fatalf("get corrupt block: %v", err)
	}
	r, err := s.OpenFile(ctx, fi.FileHash)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if !errors.Is(err, ErrCorruptBlock) || !strings.Contains(err.Error(), bad.String()) {
		t.Fatalf("read corrupt file: %v", err)
	}
	if len(got) != BlockSize || !bytes.Equal(got, data[:BlockSize]) {
		t.Fatalf("returned %d bytes before the corrupt block, want only the good first block", len(got))
	}
}

func TestClosedStore(t *testing.T) {
	s := openTest(t, nil)
	fi := addBytes(t, s, []byte("x"), AddOptions{})
	s.Close()
	_, err := s.AddFile(ctx, bytes.NewReader([]byte("y")), AddOptions{})
	if !errors.Is(err, ErrClosed) || !errors.Is(err, status.Is(status.TaskFsPutBlockFailed)) {
		t.Fatalf("add after close: %v", err)
	}
	if err := s.PutBlock(ctx, Sum([]byte("y")), []byte("y")); !errors.Is(err, ErrClosed) || status.CodeOf(err, 0) != 50038 {
		t.Fatalf("put after close: %v", err)
	}
	if _, err := s.OpenFile(ctx, fi.FileHash); !errors.Is(err, ErrClosed) {
		t.Fatalf("open after close: %v", err)
	}
	if _, err := s.GarbageCollect(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("gc after close: %v", err)
	}
}

func TestFilesList(t *testing.T) {
	s := openTest(t, nil)
	a := addBytes(t, s, []byte("a"), AddOptions{Name: "a.txt"})
	p := Sum([]byte("some root"))
	if err := s.BeginReceive(ctx, p); err != nil {
		t.Fatal(err)
	}
	fs, err := s.Files(ctx)
	if err != nil || len(fs) != 2 {
		t.Fatalf("files %v %v", fs, err)
	}
	for _, f := range fs {
		switch f.FileHash {
		case a.FileHash:
			if f.State != StateComplete || f.Name != "a.txt" {
				t.Fatalf("complete file %+v", f)
			}
		case p:
			if f.State != StatePartial {
				t.Fatalf("partial file %+v", f)
			}
		default:
			t.Fatalf("unexpected %+v", f)
		}
	}
}

func TestAddFileCancelled(t *testing.T) {
	s := openTest(t, &Options{BatchBytes: BlockSize})
	before := runtime.NumGoroutine()
	c, cancel := context.WithCancel(ctx)
	r := io.MultiReader(bytes.NewReader(randBytes(1, 2*BlockSize)), readerFunc(func(p []byte) (int, error) {
		cancel()
		return 0, io.ErrUnexpectedEOF
	}))
	if _, err := s.AddFile(c, r, AddOptions{}); err == nil {
		t.Fatal("add of a failing reader succeeded")
	}
	if fs, _ := s.Files(ctx); len(fs) != 0 {
		t.Fatalf("file recorded after a failed add: %v", fs)
	}
	// The writer's goroutine signals its end in a deferred call, so it may still be counted for a
	// moment after AddFile returns; a leaked one stays.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after a failed add, %d before: the writer leaked", runtime.NumGoroutine(), before)
		}
	}
	if _, err := s.GarbageCollect(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countBlocks(t, s); n != 0 {
		t.Fatalf("%d blocks left after gc", n)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestGCReleasesWriteLock puts a block from another goroutine while a collection is between two
// sweep batches: the put completes before the collection ends, so the collection does not hold
// bbolt's write lock for the whole sweep.
func TestGCReleasesWriteLock(t *testing.T) {
	s := openTest(t, &Options{GCBatch: 2})
	for i := range 10 {
		d := fmt.Appendf(nil, "garbage %d", i)
		if err := s.PutBlock(ctx, Sum(d), d); err != nil {
			t.Fatal(err)
		}
	}
	var puts int
	testHookSweepBatch = func() {
		d := fmt.Appendf(nil, "during gc %d", puts)
		done := make(chan error, 1)
		go func() { done <- s.PutBlock(ctx, Sum(d), d) }()
		if err := <-done; err != nil {
			t.Error(err)
		}
		puts++
	}
	defer func() { testHookSweepBatch = nil }()
	st, err := s.GarbageCollect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Batches < 5 || puts != st.Batches || st.Removed != 10 {
		t.Fatalf("gc %+v with %d puts", st, puts)
	}
	// Blocks written during the collection were protected: all still there.
	if n := countBlocks(t, s); n != puts {
		t.Fatalf("%d blocks after gc, want the %d written during it", n, puts)
	}
}
