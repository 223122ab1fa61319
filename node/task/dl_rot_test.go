package task

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dsp/ledger"
	"dsp/status"
	"dsp/store"
)

// holdFile adds data straight into the store of every FS node of w and records it on the ledger
// with them as primary nodes (a file as an upload leaves it, without the upload).
func holdFile(t *testing.T, w *world, owner *client, data []byte) store.FileInfo {
	t.Helper()
	ctx := ctxT(t, 20*time.Second)
	var fi store.FileInfo
	for _, f := range w.fs {
		var err error
		if fi, err = f.store.AddFile(ctx, bytes.NewReader(data), store.AddOptions{Name: "held"}); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := owner.m.pdpPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := w.led.Height(ctx)
	sf := &ledger.StoreFile{FileHash: fi.FileHash[:], BlocksRoot: fi.BlocksRoot[:], FileBlockNum: fi.Blocks, FileBlockSize: store.BlockSize,
		ProveBlockNum: 4, FileProveParam: pub, Option: ledger.UploadOption{FileSize: fi.Size, ProveInterval: 1000,
			ExpiredHeight: h + 10000, Privilege: ledger.PrivilegePublic, CopyNum: uint64(len(w.fs) - 1)}}
	for _, f := range w.fs {
		sf.PrimaryNodes = append(sf.PrimaryNodes, f.key.Address())
	}
	if _, err := owner.tx.Send(ctx, sf); err != nil {
		t.Fatal(err)
	}
	return fi
}

// TestDownloadFromRottenHolders: holders read the blocks they serve without hashing them (the
// downloader checks each against the tree), so a block rotten on a holder's disk reaches the
// downloader. With the block good on another holder the download completes with the right bytes;
// with it rotten on every holder the download fails with DOWNLOAD_BLOCK_FAILED, keeps no rotten
// block and leaves no output behind.
func TestDownloadFromRottenHolders(t *testing.T) {
	w := newWorld(t, memNet(), 2)
	owner := w.newClient("owner", nil)
	ctx := ctxT(t, 30*time.Second)
	file := func(seed byte) ([]byte, store.FileInfo) {
		data := make([]byte, 8*store.BlockSize+1000)
		rand.NewChaCha8([32]byte{seed}).Read(data)
		return data, holdFile(t, w, owner, data)
	}
	block := func(data []byte, i int) []byte { return data[i*store.BlockSize : (i+1)*store.BlockSize] }
	download := func(name string, fi store.FileInfo, want State) (Info, *client, string) {
		c := w.newClient(name, nil)
		out := filepath.Join(t.TempDir(), "out.bin")
		id, err := c.m.Download(ctx, DownloadRequest{Hash: fi.FileHash.String(), Output: out, MaxPeers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return wait(t, c.m, id, want), c, out
	}

	// Each holder has a different rotten block: every block is good somewhere.
	data, fi := file(7)
	rot(t, w.fs[0].store.Path(), block(data, 2)[:64])
	rot(t, w.fs[1].store.Path(), block(data, 5)[:64])
	_, _, out := download("c", fi, Done)
	if got := fileSum(t, out); got != sha256.Sum256(data) {
		t.Fatal("output differs from the file")
	}

	// A block rotten on both holders: nobody can send it.
	data, fi = file(8)
	rot(t, w.fs[0].store.Path(), block(data, 5)[:64])
	rot(t, w.fs[1].store.Path(), block(data, 5)[:64])
	in, d, out := download("d", fi, Failed)
	if in.Code != status.TaskDownloadBlockFailed.Num() {
		t.Fatalf("failed with %d (%s), want DOWNLOAD_BLOCK_FAILED", in.Code, in.Msg)
	}
	bad := store.Sum(block(data, 5))
	if _, err := w.fs[0].store.GetBlock(ctx, bad); !errors.Is(err, store.ErrCorruptBlock) {
		t.Fatalf("the block did not rot: %v", err)
	}
	if ok, _ := d.store.HasBlock(ctx, bad); ok {
		t.Fatal("the downloader kept a rotten block")
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 0 {
		t.Fatalf("output left behind: %v", ents)
	}
}
