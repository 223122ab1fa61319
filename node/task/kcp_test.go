package task

import (
	"path/filepath"
	"testing"

	"dsp/ledger"
	"dsp/node"
	"dsp/store"
)

// TestOverKCP: an upload to two FS nodes and a download from both over real KCP on loopback.
func TestOverKCP(t *testing.T) {
	w := newWorld(t, kcpNet(node.NewKCP(node.DefaultKCPConfig())), 2)
	alice := w.newClient("alice", nil)
	up, sum := upload(t, w, alice, 6*store.BlockSize+99, 7, UploadRequest{Copies: 2, Privilege: ledger.PrivilegePublic})
	bob := w.newClient("bob", nil)
	out := filepath.Join(w.dir, "bob.out")
	id, err := bob.m.Download(ctxT(t, 5e9), DownloadRequest{Hash: up.FileHash, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, bob.m, id, Done)
	if fileSum(t, out) != sum {
		t.Fatal("bytes differ")
	}
}

// TestLossyKCP: a file (64 MiB; 8 MiB under -race, see lossyFileSize) goes up to an FS node and
// comes back over KCP links that drop 5 % of their packets, with the right hash.
func TestLossyKCP(t *testing.T) {
	if testing.Short() {
		t.Skip("long transfer")
	}
	w := newWorld(t, kcpNet(lossyKCP(0.05)), 1)
	alice := w.newClient("alice", nil)
	up, sum := upload(t, w, alice, lossyFileSize, 8, UploadRequest{Copies: 1, Privilege: ledger.PrivilegePublic})
	bob := w.newClient("bob", nil)
	out := filepath.Join(w.dir, "bob.out")
	id, err := bob.m.Download(ctxT(t, 5e9), DownloadRequest{Hash: up.FileHash, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, bob.m, id, Done)
	if fileSum(t, out) != sum {
		t.Fatal("bytes differ")
	}
}
