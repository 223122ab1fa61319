package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"dsp/keys"
	"dsp/node"
	"dsp/node/client"
)

// whitelistFiles is a file API holding one file whose whitelist the CLI edits.
type whitelistFiles struct {
	node.NoServices
	mu sync.Mutex
	f  client.File
}

func (w *whitelistFiles) File(_ context.Context, h string) (*client.File, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h != w.f.Hash {
		return nil, fmt.Errorf("no file %s", h)
	}
	cp := w.f
	cp.WhiteList = slices.Clone(w.f.WhiteList)
	return &cp, nil
}

func (w *whitelistFiles) SetWhitelist(_ context.Context, h string, p uint64, as []keys.Address) (*client.TxResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.f.Privilege, w.f.WhiteList = p, as
	return &client.TxResult{Hash: "tx1", Height: 7}, nil
}

func addr(t *testing.T) keys.Address {
	t.Helper()
	kp, err := keys.Generate(keys.SHA512withEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	return kp.Address()
}

func TestFilesWhitelistEditsTheList(t *testing.T) {
	a, b, c := addr(t), addr(t), addr(t)
	w := &whitelistFiles{f: client.File{Hash: strings.Repeat("0f", 32), Privilege: 2, WhiteList: []keys.Address{a, b}}}
	n, err := node.Open(node.Options{
		DataDir: t.TempDir(), Listen: []string{fmt.Sprintf("mem://scripted-%d", scriptedSeq.Add(1))},
		Logger: slog.New(slog.DiscardHandler),
		Setup:  func(n *node.Node, _ *node.Host) error { n.SetServices(w); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	dir := n.Opts().DataDir
	out, errOut, code := runCLI(t, "files", "whitelist", w.f.Hash, "--add", c.String()+","+a.String(), "--remove", b.String(), "--data", dir, "--json")
	var got whitelistOut
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if want := []keys.Address{a, c}; !slices.Equal(w.f.WhiteList, want) || !slices.Equal(got.WhiteList, want) || got.Privilege != "whitelist" || got.Tx.Height != 7 {
		t.Fatalf("whitelist now %v, printed %+v; want %v", w.f.WhiteList, got, want)
	}
	out, _, code = runCLI(t, "files", "whitelist", w.f.Hash, "--privilege", "public", "--data", dir)
	if code != 0 || w.f.Privilege != 1 || len(w.f.WhiteList) != 2 || !strings.Contains(out, "public") {
		t.Fatalf("privilege change: exit %d, file %+v, out %s", code, w.f, out)
	}
}

func TestFilesBadInput(t *testing.T) {
	dir := t.TempDir()
	h := strings.Repeat("ab", 32)
	wantErr(t, 2, 40002, "files", "not-a-hash", "--data", dir)
	wantErr(t, 2, 40002, "files", "delete", h[:10], "--data", dir)
	wantErr(t, 2, 40002, "files", "whitelist", h, "--data", dir) // nothing to change
	wantErr(t, 2, 40002, "files", "whitelist", h, "--privilege", "friends", "--data", dir)
	wantErr(t, 1, 40010, "files", "whitelist", h, "--add", "x1", "--data", dir)
	wantErr(t, 2, 40002, "share", "zz", "--data", dir)
	wantErr(t, 2, 40002, "prove", "detail", "zz", "--data", dir)
}

func TestFilesOnDevnet(t *testing.T) {
	d := sharedDevnet(t)
	up, content := sharedUpload(t)
	var fs []client.File
	cliJSON(t, &fs, "files")
	i := slices.IndexFunc(fs, func(f client.File) bool { return f.Hash == up.FileHash })
	if i < 0 {
		t.Fatalf("files does not list %s: %+v", up.FileHash, fs)
	}
	f := fs[i]
	if f.Owner != d.ClientNode.Key().Address() || f.Size != uint64(len(content)) || f.Copies != 2 || f.ExpiredHeight == 0 || f.ProveInterval != 5 {
		t.Fatalf("file %+v", f)
	}
	holders := map[keys.Address]bool{}
	for _, h := range f.Holders {
		holders[h.Node] = h.State == "active"
	}
	// The URL the upload registered (TestProofsOnDevnet checks proofs and next due heights).
	if f.URL != sharedURL {
		t.Fatalf("file URL %q, want %q", f.URL, sharedURL)
	}
	for _, n := range d.FS {
		if !holders[n.Key().Address()] {
			t.Fatalf("FS node %s is not an active holder: %+v", n.Key().Address(), f.Holders)
		}
	}
	var one client.File
	cliJSON(t, &one, "files", up.FileHash)
	if one.Hash != up.FileHash || len(one.Holders) != 2 {
		t.Fatalf("files HASH: %+v", one)
	}
	out, _, code := runCLI(t, "files", up.FileHash, "--data", devnetDir)
	if code != 0 || !strings.Contains(out, "NEXT DUE") || !strings.Contains(out, d.FS[0].Key().Address().String()) {
		t.Fatalf("text file: exit %d\n%s", code, out)
	}
	e := wantErr(t, 1, 55100, "files", strings.Repeat("9a", 32), "--data", devnetDir)
	t.Logf("unknown hash: %s", e.Msg)
	var sh map[string]any
	cliJSON(t, &sh, "share", up.FileHash)
	if sh["shared"] != true {
		t.Fatalf("share: %v", sh)
	}
}
