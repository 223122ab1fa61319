package task

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node/fs"
	"dsp/status"
	"dsp/store"
)

// upload uploads a random file of n bytes from c and waits for it.
func upload(t *testing.T, w *world, c *client, n int, seed uint64, req UploadRequest) (Info, [32]byte) {
	t.Helper()
	in, sum := randomFile(t, w.dir, n, seed)
	req.Path = in
	if req.ProveInterval == 0 {
		req.ProveInterval = 10
	}
	id, err := c.m.Upload(ctxT(t, 5*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	return wait(t, c.m, id, Done), sum
}

// TestWrongBlockFetchedElsewhere: a holder that sends wrong blocks is detected, each block is
// fetched from the other holder, and the liar is penalized (its wrong blocks counted, then banned).
func TestWrongBlockFetchedElsewhere(t *testing.T) {
	w := newWorld(t, memNet(), 2)
	alice := w.newClient("alice", nil)
	up, sum := upload(t, w, alice, 12*store.BlockSize, 2, UploadRequest{Copies: 2, Privilege: ledger.PrivilegePublic})
	liar := w.fs[0]
	liar.corrupt.Store(true)

	bob := w.newClient("bob", nil)
	out := filepath.Join(w.dir, "bob.out")
	id, err := bob.m.Download(ctxT(t, 5*time.Second), DownloadRequest{Hash: up.FileHash, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	dl := wait(t, bob.m, id, Done)
	if fileSum(t, out) != sum {
		t.Fatal("downloaded bytes differ")
	}
	var lp *PeerProgress
	for i := range dl.Peers {
		if dl.Peers[i].Account == liar.key.Address() {
			lp = &dl.Peers[i]
		}
	}
	if lp == nil || lp.Wrong == 0 {
		t.Fatalf("the lying holder was not caught: %+v", dl.Peers)
	}
	if lp.Err != "banned" && lp.Wrong < 3 {
		t.Fatalf("the lying holder was not penalized: %+v", *lp)
	}
}

// TestDownloadRefused: a whitelist file is refused to an account not on the list with
// DOWNLOAD_REFUSED and no block, by the FS node itself and by the task; a listed account gets it.
func TestDownloadRefused(t *testing.T) {
	w := newWorld(t, memNet(), 1)
	alice := w.newClient("alice", nil)
	bob := w.newClient("bob", nil)
	carol := w.newClient("carol", nil)
	up, sum := upload(t, w, alice, 3*store.BlockSize, 3, UploadRequest{Copies: 1, Privilege: ledger.PrivilegeWhitelist,
		WhiteList: []keys.Address{bob.key.Address()}})
	root, _ := store.ParseHash(up.FileHash)
	f := w.fs[0]
	served := f.svc.Stats().BlocksServed

	ctx := ctxT(t, 10*time.Second)
	p, err := carol.host.Connect(ctx, f.key.Address().String()+"@"+f.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.OpenDownload(ctx, carol.host, p, root); !errors.Is(err, status.Is(status.TaskDownloadRefused)) || !errors.Is(err, fs.ErrRefused) {
		t.Fatalf("fs session for a non-listed account: %v, want DOWNLOAD_REFUSED", err)
	}
	out := filepath.Join(w.dir, "carol.out")
	id, err := carol.m.Download(ctx, DownloadRequest{Hash: up.FileHash, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	in := wait(t, carol.m, id, Failed)
	if in.Code != status.TaskDownloadRefused.Num() {
		t.Fatalf("task code %d (%s), want 50022", in.Code, in.Msg)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("refused download left an output: %v", err)
	}
	if got := f.svc.Stats().BlocksServed; got != served {
		t.Fatalf("fs node served %d blocks to a refused account", got-served)
	}

	id, err = bob.m.Download(ctx, DownloadRequest{Hash: up.FileHash, Output: filepath.Join(w.dir, "bob.out")})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, bob.m, id, Done)
	if fileSum(t, filepath.Join(w.dir, "bob.out")) != sum {
		t.Fatal("listed account got wrong bytes")
	}
}

// heldBlocks counts the distinct blocks of root st holds.
func heldBlocks(t *testing.T, st store.FS, root store.Hash) int {
	t.Helper()
	tree, err := fs.Tree(ctxT(t, 5*time.Second), st, root)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[store.Hash]bool{}
	for _, n := range tree {
		if n.Held {
			seen[n.Hash] = true
		}
	}
	return len(seen)
}

// TestUploadResumesAfterKill: an FS node killed mid-upload is restarted over its store; retrying
// the upload sends exactly the blocks it was missing.
func TestUploadResumesAfterKill(t *testing.T) {
	w := newWorld(t, memNet(), 1)
	f := w.fs[0]
	f.killAt.Store(8)
	alice := w.newClient("alice", func(c *Config) { c.Upload.FlightBlocks = 2 })
	in, sum := randomFile(t, w.dir, 30*store.BlockSize, 4)
	id, err := alice.m.Upload(ctxT(t, 5*time.Second), UploadRequest{Path: in, Copies: 1, ProveInterval: 10})
	if err != nil {
		t.Fatal(err)
	}
	first := wait(t, alice.m, id, Failed)
	<-f.killed
	root, _ := store.ParseHash(first.FileHash)
	held := heldBlocks(t, f.store, root)
	total := 30 + 1 // data blocks and the root
	if held < 8 || held >= total {
		t.Fatalf("fs node holds %d of %d blocks after the kill", held, total)
	}

	f.killAt.Store(0)
	w.startFS(f)
	if err := alice.m.Retry(id); err != nil {
		t.Fatal(err)
	}
	done := wait(t, alice.m, id, Done)
	if got := f.svc.Stats().BlocksReceived; int(got) != total-held {
		t.Fatalf("restarted fs node received %d blocks, want the %d missing", got, total-held)
	}
	if len(done.Peers) != 1 || int(done.Peers[0].Sent) != total-held {
		t.Fatalf("retry sent %+v, want %d blocks", done.Peers, total-held)
	}
	bob := w.newClient("bob", nil)
	_ = bob
	id, err = alice.m.Download(ctxT(t, 5*time.Second), DownloadRequest{Hash: first.FileHash, Output: filepath.Join(w.dir, "back")})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, alice.m, id, Done)
	if fileSum(t, filepath.Join(w.dir, "back")) != sum {
		t.Fatal("bytes differ")
	}
}

// TestTaskSurvivesRestart: an upload cut off by closing its manager mid-transfer comes back
// Paused from the task database and, resumed, completes.
func TestTaskSurvivesRestart(t *testing.T) {
	w := newWorld(t, memNet(), 1)
	alice := w.newClient("alice", func(c *Config) { c.Upload.FlightBlocks = 1 })
	in, _ := randomFile(t, w.dir, 40*store.BlockSize, 5)
	sub := alice.m.Subscribe()
	id, err := alice.m.Upload(ctxT(t, 5*time.Second), UploadRequest{Path: in, Copies: 1, ProveInterval: 10})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range sub.C() {
		if ev.ID == id && ev.Status == status.TaskUploadFileTransferBlocks {
			break
		}
		if ev.ID == id && ev.Final() {
			t.Fatalf("task ended before the restart: %+v", ev)
		}
	}
	sub.Close()
	alice.m.Close()

	alice.m = w.openManager(alice, nil)
	in0, err := alice.m.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if in0.State != Paused || in0.Status != status.TaskPause || in0.FileHash == "" {
		t.Fatalf("after restart: %+v, want paused with its file hash", in0)
	}
	if err := alice.m.Resume(id); err != nil {
		t.Fatal(err)
	}
	wait(t, alice.m, id, Done)
	root, _ := store.ParseHash(in0.FileHash)
	if fi, err := w.fs[0].store.File(ctxT(t, 5*time.Second), root); err != nil || fi.State != store.StateComplete {
		t.Fatalf("fs node file: %+v %v", fi, err)
	}
}

// TestWrongPassword: an encrypted file downloaded with a wrong password fails with
// DECRYPT_WRONG_PASSWORD and writes nothing; with the right one it comes back identical.
func TestWrongPassword(t *testing.T) {
	w := newWorld(t, memNet(), 1)
	alice := w.newClient("alice", nil)
	up, sum := upload(t, w, alice, 2*store.BlockSize+7, 6, UploadRequest{Copies: 1, Password: []byte("right"),
		Privilege: ledger.PrivilegePublic})
	bob := w.newClient("bob", nil)
	out := filepath.Join(w.dir, "bob.out")
	id, err := bob.m.Download(ctxT(t, 5*time.Second), DownloadRequest{Hash: up.FileHash, Output: out, Password: []byte("wrong")})
	if err != nil {
		t.Fatal(err)
	}
	in := wait(t, bob.m, id, Failed)
	if in.Code != status.TaskDecryptWrongPassword.Num() {
		t.Fatalf("code %d (%s), want 50046", in.Code, in.Msg)
	}
	ents, _ := os.ReadDir(w.dir)
	for _, e := range ents {
		if len(e.Name()) >= 7 && e.Name()[:7] == "bob.out" {
			t.Fatalf("wrong password left %s", e.Name())
		}
	}
	id, err = bob.m.Download(ctxT(t, 5*time.Second), DownloadRequest{Hash: up.FileHash, Output: out, Password: []byte("right")})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, bob.m, id, Done)
	if fileSum(t, out) != sum {
		t.Fatal("decrypted bytes differ")
	}
}

// TestSweepDeletesEndedFiles: once the owner deletes the file on the ledger, the FS nodes' sweep
// deletes their copies.
func TestSweepDeletesEndedFiles(t *testing.T) {
	w := newWorld(t, memNet(), 1)
	alice := w.newClient("alice", nil)
	up, _ := upload(t, w, alice, 2*store.BlockSize, 10, UploadRequest{Copies: 1})
	root, _ := store.ParseHash(up.FileHash)
	ctx := ctxT(t, 10*time.Second)
	f := w.fs[0]
	if n, err := f.svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep of a live file: %d %v", n, err)
	}
	if _, err := alice.tx.Send(ctx, &ledger.DeleteFile{FileHash: root[:]}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after delete: %d %v", n, err)
	}
	if _, err := f.store.File(ctx, root); !errors.Is(err, store.ErrFileNotFound) {
		t.Fatalf("file still stored: %v", err)
	}
	if _, err := alice.store.File(ctx, root); err != nil {
		t.Fatalf("the uploader's own copy is not the sweep's: %v", err)
	}
}

// TestPauseResumeCancelRetry: a transfer paused mid-way resumes to completion; a cancelled task
// retries; controls that do not apply are refused with ErrState.
func TestPauseResumeCancelRetry(t *testing.T) {
	w := newWorld(t, memNet(), 1)
	alice := w.newClient("alice", func(c *Config) { c.Upload.FlightBlocks = 1 })
	in, _ := randomFile(t, w.dir, 40*store.BlockSize, 11)
	sub := alice.m.Subscribe()
	defer sub.Close()
	id, err := alice.m.Upload(ctxT(t, 5*time.Second), UploadRequest{Path: in, Copies: 1, ProveInterval: 10})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range sub.C() {
		if ev.ID == id && ev.Status == status.TaskUploadFileTransferBlocks {
			break
		}
	}
	if err := alice.m.Pause(id); err != nil {
		t.Fatal(err)
	}
	if got, _ := alice.m.Get(id); got.State != Paused || got.Status != status.TaskPause {
		t.Fatalf("after pause: %s %s", got.State, got.StatusName)
	}
	if err := alice.m.Pause(id); !errors.Is(err, ErrState) {
		t.Fatalf("pause of a paused task: %v", err)
	}
	if err := alice.m.Cancel(id); err != nil {
		t.Fatal(err)
	}
	if err := alice.m.Resume(id); !errors.Is(err, ErrState) {
		t.Fatalf("resume of a cancelled task: %v", err)
	}
	if err := alice.m.Retry(id); err != nil {
		t.Fatal(err)
	}
	wait(t, alice.m, id, Done)
	if err := alice.m.Cancel(id); !errors.Is(err, ErrState) {
		t.Fatalf("cancel of a done task: %v", err)
	}
	if len(alice.m.List()) != 1 {
		t.Fatalf("list: %+v", alice.m.List())
	}
}
