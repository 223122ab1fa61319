package task

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/fs"
	"dsp/status"
	"dsp/store"
)

// TestUploadOfCorruptLocalBlock: the uploader reads blocks without hashing them (the FS node
// checks each one), so a block rotten in the uploader's own store must be refused by the FS node
// with FS_PUT_BLOCK_FAILED and a hash mismatch, the node must not keep it nor confirm the file,
// and the other blocks it stored must stay good.
func TestUploadOfCorruptLocalBlock(t *testing.T) {
	w := newWorld(t, memNet(), 1)
	alice := w.newClient("alice", nil)
	ctx := ctxT(t, 20*time.Second)
	data := make([]byte, 6*store.BlockSize)
	rand.NewChaCha8([32]byte{9}).Read(data)
	sk, _, err := alice.m.pdpKey()
	if err != nil {
		t.Fatal(err)
	}
	tee := newTagTee(bytes.NewReader(data), sk.NewTagger(nil, 0))
	fi, err := alice.store.AddFile(ctx, tee, store.AddOptions{Name: "rotten"})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := tee.finish(fi.FileHash)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.StoreTags(ctx, alice.store, fi.FileHash, tags); err != nil {
		t.Fatal(err)
	}
	pub, err := alice.m.pdpPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	f := w.fs[0]
	h, _ := w.led.Height(ctx)
	if _, err := alice.tx.Send(ctx, &ledger.StoreFile{FileHash: fi.FileHash[:], BlocksRoot: fi.BlocksRoot[:], FileBlockNum: fi.Blocks,
		FileBlockSize: store.BlockSize, ProveBlockNum: 4, FileProveParam: pub, PrimaryNodes: []keys.Address{f.key.Address()},
		Option: ledger.UploadOption{FileSize: fi.Size, ProveInterval: 100, ExpiredHeight: h + 1000, Privilege: ledger.PrivilegePublic, CopyNum: 0}}); err != nil {
		t.Fatal(err)
	}
	bad, err := alice.store.DataBlockHash(ctx, fi.FileHash, 3)
	if err != nil {
		t.Fatal(err)
	}
	rot(t, alice.store.Path(), data[3*store.BlockSize:3*store.BlockSize+64])
	if _, err := alice.store.GetBlock(ctx, bad); !errors.Is(err, store.ErrCorruptBlock) {
		t.Fatalf("the block did not rot: %v", err)
	}

	p, err := alice.host.Connect(ctx, f.key.Address().String()+"@"+f.url)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fs.Upload(ctx, alice.host, alice.store, fi.FileHash, []*node.Peer{p}, fs.UploadOptions{ProverKey: alice.m.proverKey, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Done || status.CodeOf(res[0].Err, 0) != status.TaskFsPutBlockFailed.Num() || !strings.Contains(res[0].Err.Error(), "hash") {
		t.Fatalf("upload of a rotten block: done %v, err %v", res[0].Done, res[0].Err)
	}
	t.Logf("refused: %v", res[0].Err)
	if ok, _ := f.store.HasBlock(ctx, bad); ok {
		t.Fatal("the fs node kept the rotten block")
	}
	if n := f.svc.Stats().Confirmed; n != 0 {
		t.Fatalf("the fs node confirmed the file %d times", n)
	}
	good, _ := alice.store.DataBlockHash(ctx, fi.FileHash, 0)
	if ok, _ := f.store.HasBlock(ctx, good); ok {
		if _, err := f.store.GetBlock(ctx, good); err != nil {
			t.Fatalf("a good block the fs node stored: %v", err)
		}
	}
}

// rot flips a byte inside the stored copy of the block that begins with prefix, in the bbolt file
// at path, under the open store (as a failing disk would).
func rot(t *testing.T, path string, prefix []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, prefix)
	if i < 0 {
		t.Fatal("block bytes not found in the store file")
	}
	fh, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteAt([]byte{raw[i+1000] ^ 0xff}, int64(i+1000)); err != nil {
		t.Fatal(err)
	}
}
