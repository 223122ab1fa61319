package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreCLI(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 600<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	in := filepath.Join(dir, "in.bin")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "--data", dir, "--json", "store", "add", in)
	if code != 0 {
		t.Fatalf("add: %d %s", code, errOut)
	}
	var added struct {
		FileHash, BlocksRoot string
		Size, Blocks         int
	}
	if err := json.Unmarshal([]byte(out), &added); err != nil || added.Size != len(data) || added.Blocks != 3 || len(added.FileHash) != 64 || len(added.BlocksRoot) != 64 {
		t.Fatalf("add output %s (%v)", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "store", "blocks.db")); err != nil {
		t.Fatalf("store file: %v", err)
	}

	got := filepath.Join(dir, "out.bin")
	if _, errOut, code = runCLI(t, "--data", dir, "store", "get", added.FileHash, "-o", got); code != 0 {
		t.Fatalf("get: %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, data) {
		t.Fatal("get wrote different bytes")
	}

	out, _, code = runCLI(t, "--data", dir, "--json", "store", "ls")
	var files []struct{ FileHash, State, Name string }
	if code != 0 || json.Unmarshal([]byte(out), &files) != nil || len(files) != 1 || files[0].State != "complete" || files[0].Name != "in.bin" {
		t.Fatalf("ls: %d %s", code, out)
	}

	if _, errOut, code = runCLI(t, "--data", dir, "store", "rm", added.FileHash); code != 0 {
		t.Fatalf("rm: %d %s", code, errOut)
	}
	out, _, code = runCLI(t, "--data", dir, "--json", "store", "gc")
	var gc struct{ Removed int }
	if code != 0 || json.Unmarshal([]byte(out), &gc) != nil || gc.Removed != 4 {
		t.Fatalf("gc: %d %s", code, out)
	}
	_, errOut, code = runCLI(t, "--data", dir, "store", "get", added.FileHash, "-o", got+"2")
	if code == 0 || !strings.Contains(errOut, "55101") {
		t.Fatalf("get of a removed file: %d %s", code, errOut)
	}
	if _, _, code = runCLI(t, "--data", dir, "store", "get", "nothex", "-o", got); code != 2 {
		t.Fatalf("bad hash: exit %d", code)
	}
}

func TestStoreCLIEncrypted(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "secret.txt")
	plain := []byte(strings.Repeat("attack at dawn\n", 1000))
	os.WriteFile(in, plain, 0o600)
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("hunter2\n"), 0o600)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("hunter3\n"), 0o600)

	out, errOut, code := runCLI(t, "--data", dir, "--json", "store", "add", "--password-file", pw, in)
	var added struct{ FileHash string }
	if code != 0 || json.Unmarshal([]byte(out), &added) != nil {
		t.Fatalf("add: %d %s %s", code, out, errOut)
	}
	dst := filepath.Join(dir, "out.txt")
	out, _, code = runCLI(t, "--data", dir, "--json", "store", "get", "--password-file", bad, added.FileHash, "-o", dst)
	if code == 0 || !strings.Contains(out, "50046") {
		t.Fatalf("wrong password: %d %s", code, out)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 4 { // in, pw, bad, store: no output, no temporary
		t.Fatalf("files after a wrong password: %v", ents)
	}
	if _, _, code = runCLI(t, "--data", dir, "store", "get", added.FileHash, "-o", dst); code != 2 {
		t.Fatalf("encrypted file without a password: exit %d", code)
	}
	if _, errOut, code = runCLI(t, "--data", dir, "store", "get", "--password-file", pw, added.FileHash, "-o", dst); code != 0 {
		t.Fatalf("get: %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(dst); !bytes.Equal(b, plain) {
		t.Fatal("decrypted bytes differ")
	}
}
