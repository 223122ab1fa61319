package devnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dsp/node/client"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func start(t *testing.T, dir string) *Devnet {
	t.Helper()
	d, err := Start(ctxT(t, 60*time.Second), Config{Dir: dir, FS: 2, BlockInterval: 100 * time.Millisecond,
		ConfirmTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func waitTask(t *testing.T, c client.Client, id string) *client.Task {
	t.Helper()
	ctx := ctxT(t, 60*time.Second)
	for {
		tk, err := c.Task(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch tk.State {
		case "done":
			return tk
		case "failed", "cancelled":
			t.Fatalf("task %s %s: %d %s (status %s)", id, tk.State, tk.Code, tk.Msg, tk.StatusName)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("task %s: still %s at %s", id, tk.State, tk.StatusName)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestDevnetUploadDownloadResume(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir)
	c := d.Client()
	ctx := ctxT(t, 120*time.Second)

	content := make([]byte, 600<<10)
	rand.Read(content)
	in := filepath.Join(t.TempDir(), "in.bin")
	os.WriteFile(in, content, 0o644)
	up, err := c.Upload(ctx, client.UploadRequest{Path: in, Copies: 2, Privilege: 1, RegisterURL: true, URL: "dsp://devnet-test"})
	if err != nil {
		t.Fatal(err)
	}
	done := waitTask(t, c, up.ID)
	f, err := c.File(ctx, done.FileHash)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Holders) != 2 {
		t.Fatalf("holders %+v", f.Holders)
	}
	for _, h := range f.Holders {
		if h.State != "active" {
			t.Fatalf("holder %s is %s, want active (confirmed)", h.Node, h.State)
		}
	}
	for i, req := range []client.DownloadRequest{{Hash: done.FileHash}, {URL: "dsp://devnet-test"}} {
		req.Output = filepath.Join(t.TempDir(), "out.bin")
		dl, err := c.Download(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		waitTask(t, c, dl.ID)
		got, err := os.ReadFile(req.Output)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("download %d: %d bytes, err %v", i, len(got), err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d = start(t, dir)
	defer d.Close()
	c = d.Client()
	files, err := c.Files(ctx)
	if err != nil || len(files) != 1 || files[0].Hash != done.FileHash {
		t.Fatalf("files after resume: %+v %v", files, err)
	}
	tasks, err := c.Tasks(ctx)
	if err != nil || len(tasks) != 3 {
		t.Fatalf("tasks after resume: %d %v", len(tasks), err)
	}
}
