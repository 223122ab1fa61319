package main

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"dsp/node/client"
)

// sharedFile is the file uploaded once to the shared devnet for the file, download, task, DNS
// and proof tests.
var (
	uploadOnce sync.Once
	uploaded   struct {
		task    client.Task
		content []byte
		errOut  string
		code    int
	}
)

const sharedURL = "dsp://cli-shared"

// sharedUpload uploads a 300 KiB public file with 2 copies, a URL and a 5-block proof interval
// through "dsp upload" on the shared devnet, once, and returns the finished task and content.
func sharedUpload(t *testing.T) (client.Task, []byte) {
	t.Helper()
	sharedDevnet(t)
	uploadOnce.Do(func() {
		uploaded.content = make([]byte, 300<<10)
		rand.Read(uploaded.content)
		dir, err := os.MkdirTemp("", "dsp-cli-upload-")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "shared.bin")
		if err := os.WriteFile(p, uploaded.content, 0o644); err != nil {
			t.Fatal(err)
		}
		var out string
		out, uploaded.errOut, uploaded.code = runCLI(t, "upload", p, "--copies", "2", "--privilege", "public",
			"--url", sharedURL, "--interval", "5", "--data", devnetDir, "--json")
		if uploaded.code == 0 {
			decodeInto(out, &uploaded.task)
		} else {
			uploaded.errOut += out
		}
	})
	if uploaded.code != 0 || uploaded.task.State != taskDone {
		t.Fatalf("shared upload: exit %d, task %+v: %s", uploaded.code, uploaded.task, uploaded.errOut)
	}
	return uploaded.task, uploaded.content
}

func TestUploadOnDevnet(t *testing.T) {
	up, _ := sharedUpload(t)
	if len(up.FileHash) != 64 || up.URL != sharedURL || up.Kind != "upload" || len(up.Peers) != 2 {
		t.Fatalf("upload task %+v", up)
	}
	small := smallFile(t, "a few bytes for the price")
	var p client.Price
	cliJSON(t, &p, "upload", small, "--copies", "2", "--price")
	if p.Size != 25 || p.Copies != 2 || p.Deposit == 0 || p.Balance == 0 {
		t.Fatalf("price %+v", p)
	}
	// Text mode on a pipe: plain progress lines on stderr, the hash on stdout.
	out, errOut, code := runCLI(t, "upload", small, "--data", devnetDir)
	if code != 0 || !strings.Contains(out, "fileHash") || !strings.Contains(errOut, "upload ") || !strings.Contains(errOut, "done") {
		t.Fatalf("text upload: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// More copies than FS nodes: refused with a spec code, not a hang.
	out, _, code = runCLI(t, "upload", smallFile(t, "three"), "--copies", "3", "--data", devnetDir, "--json")
	var e jsonErr
	if code != 1 || decodeInto(out, &e) != nil || e.Code < 40000 {
		t.Fatalf("3 copies on 2 FS nodes: exit %d, %s", code, out)
	}
	t.Logf("3 copies on 2 FS nodes: %d %s", e.Code, e.Msg)
}
