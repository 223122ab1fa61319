package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestVersion1Layout converts a store to the version 1 layout (every block directly under the
// data bucket, 8-byte index values) and checks that the current code reads it, adds to it in
// segments, and collects blocks of both layouts, leaving no empty segment behind.
func TestVersion1Layout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := randBytes(11, 3*BlockSize+100)
	fiOld := addBytes(t, s, old, AddOptions{})
	s.Close()

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		idx, data := tx.Bucket(bucketBlocks), tx.Bucket(bucketData)
		type kv struct{ h, v []byte }
		var all []kv
		if err := idx.ForEach(func(k, _ []byte) error {
			all = append(all, kv{bytes.Clone(k), bytes.Clone(getBlock(tx, Hash(k)))})
			return nil
		}); err != nil {
			return err
		}
		var segs [][]byte
		data.ForEach(func(k, _ []byte) error { segs = append(segs, bytes.Clone(k)); return nil })
		for _, k := range segs {
			if err := data.DeleteBucket(k); err != nil {
				return err
			}
		}
		for _, e := range all {
			n, _ := data.NextSequence()
			seq := binary.BigEndian.AppendUint64(nil, n)
			if err := data.Put(seq, e.v); err != nil {
				return err
			}
			if err := idx.Put(e.h, seq); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketInfo).Put([]byte("version"), []byte("1"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, nil)
	if err != nil {
		t.Fatalf("open a version 1 store: %v", err)
	}
	defer func() { s.Close(); checkBolt(t, path) }()
	ctx := context.Background()
	if got := readAll(t, s, fiOld.FileHash); !bytes.Equal(got, old) {
		t.Fatal("version 1 file reads back different")
	}
	fresh := randBytes(12, 2*BlockSize)
	fiNew := addBytes(t, s, fresh, AddOptions{})
	if got := readAll(t, s, fiNew.FileHash); !bytes.Equal(got, fresh) {
		t.Fatal("new file reads back different")
	}
	for _, h := range []Hash{fiOld.FileHash, fiNew.FileHash} {
		if err := s.DeleteFile(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GarbageCollect(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countBlocks(t, s); n != 0 {
		t.Fatalf("%d blocks left after collecting everything", n)
	}
	s.view(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketData).Cursor().First(); k != nil {
			t.Errorf("data bucket keeps key %x after collecting everything", k)
		}
		if v := tx.Bucket(bucketInfo).Get([]byte("version")); string(v) != storeVersion {
			t.Errorf("version %q after open, want %q", v, storeVersion)
		}
		return nil
	})
}

// TestPutChecked stores blocks verified by Check without hashing them again, and Check refuses
// a block that does not match its hash.
func TestPutChecked(t *testing.T) {
	s := openTest(t, nil)
	ctx := context.Background()
	a, b := randBytes(21, BlockSize), randBytes(22, 100)
	ca, err := Check(Sum(a), a)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := Check(Sum(b), b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Check(Sum(a), b); err == nil {
		t.Fatal("Check accepted a block under another block's hash")
	}
	if _, err := Check(Sum(a), make([]byte, MaxBlockSize+1)); err == nil {
		t.Fatal("Check accepted an oversized block")
	}
	if err := s.PutChecked(ctx, []Checked{{}}); err == nil {
		t.Fatal("PutChecked stored a zero Checked")
	}
	if err := s.PutChecked(ctx, []Checked{ca, cb}); err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{a, b} {
		got, err := s.AppendBlock(ctx, []byte("x"), Sum(want))
		if err != nil || !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("append block: %v", err)
		}
	}
}
