package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dsp/node/client"
)

func TestDownloadOnDevnet(t *testing.T) {
	up, content := sharedUpload(t)
	for _, src := range []string{up.FileHash, sharedURL} {
		out := filepath.Join(t.TempDir(), "out.bin")
		var dl client.Task
		cliJSON(t, &dl, "download", src, "-o", out)
		got, err := os.ReadFile(out)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("download %s: %d bytes (want %d), %v", src, len(got), len(content), err)
		}
		// The uploader's node holds the file in its store, so the blocks may come from there.
		if dl.State != taskDone || dl.FileHash != up.FileHash {
			t.Fatalf("download %s: task %+v", src, dl)
		}
		// OUT exists now: refused without --force, replaced with it.
		wantErr(t, 2, 40002, "download", src, "-o", out, "--data", devnetDir)
	}
	// A hash no file has: the task fails with its spec code, and nothing is written.
	out := filepath.Join(t.TempDir(), "none.bin")
	e := wantErr(t, 1, 50021, "download", strings.Repeat("9a", 32), "-o", out, "--data", devnetDir)
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("output written for a failed download (%s)", e.Msg)
	}
}
