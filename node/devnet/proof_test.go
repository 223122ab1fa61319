package devnet

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dsp/keys"
	"dsp/node/client"
	"dsp/node/roles"
	"dsp/status"
)

// waitFile polls the client's File until ok holds for it.
func waitFile(t *testing.T, ctx context.Context, c client.Client, hash, what string, ok func(*client.File) bool) *client.File {
	t.Helper()
	var last *client.File
	for {
		f, err := c.File(ctx, hash)
		if err == nil {
			last = f
			if ok(f) {
				return f
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: file %+v (err %v)", what, last, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestDevnetProofs: on a devnet with the chain's proof rules (a grace of 2 rounds), both holders of
// an upload prove every round (Files shows proofs, the last proof and a next due height; each FS
// node's ProverStatus agrees; prover keys in DATA/pdpkeys), the file shows the URL its upload
// registered, and a holder that stops is slashed and a candidate starts recovering the file.
func TestDevnetProofs(t *testing.T) {
	d, err := Start(ctxT(t, 60*time.Second), Config{Dir: t.TempDir(), FS: 3, BlockInterval: 100 * time.Millisecond,
		ConfirmTimeout: 30 * time.Second, ProofGraceRounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := ctxT(t, 120*time.Second)
	ci, err := d.Ledger.Chain().ChainInfo(ctx)
	if err != nil || ci.Params.ProofGraceRounds != 2 {
		t.Fatalf("chain params %+v, %v: want ProofGraceRounds 2", ci, err)
	}
	c := d.Client()
	in := filepath.Join(t.TempDir(), "in.bin")
	content := make([]byte, 300<<10)
	rand.Read(content)
	os.WriteFile(in, content, 0o644)
	up, err := c.Upload(ctx, client.UploadRequest{Path: in, Copies: 2, Candidates: 1, ProveInterval: 20, Privilege: 1,
		URL: "dsp://proof-test"})
	if err != nil {
		t.Fatal(err)
	}
	done := waitUpload(t, c, up.ID)

	f := waitFile(t, ctx, c, done.FileHash, "two holders proving", func(f *client.File) bool {
		n := 0
		for _, h := range f.Holders {
			if h.State == "active" && h.Proofs >= 2 && h.LastProof > 0 && h.NextDue > h.LastProof {
				n++
			}
		}
		return n == 2
	})
	if f.URL != "dsp://proof-test" {
		t.Fatalf("file URL %q, want the one the upload registered", f.URL)
	}
	files, err := c.Files(ctx)
	if err != nil || len(files) != 1 || files[0].URL != "dsp://proof-test" || len(files[0].Holders) != 2 || files[0].Holders[0].Proofs == 0 {
		t.Fatalf("files %+v, %v", files, err)
	}
	if _, err := c.ProverStatus(ctx); !errors.Is(err, status.Is(status.NoDsp)) {
		t.Fatalf("client node's prover status: %v, want NO_DSP", err)
	}

	holders := map[keys.Address]bool{}
	for _, h := range f.Holders {
		holders[h.Node] = true
	}
	var victim, keep *roles.Node
	for _, n := range d.FS {
		if !holders[n.Key().Address()] {
			continue
		}
		ps, err := n.Client().ProverStatus(ctx)
		if err != nil || len(ps) != 1 || ps[0].FileHash != done.FileHash || ps[0].Proofs == 0 || !ps[0].Confirmed || ps[0].NextDue == 0 {
			t.Fatalf("prover status of %s: %+v, %v", n.Key().Address(), ps, err)
		}
		keyFiles, err := os.ReadDir(filepath.Join(dirOf(d, n.Key().Address()), roles.PDPKeysDir))
		if err != nil || len(keyFiles) == 0 {
			t.Fatalf("prover keys of %s: %v, %v", n.Key().Address(), keyFiles, err)
		}
		if victim == nil {
			victim = n
		} else {
			keep = n
		}
	}
	if victim == nil || keep == nil {
		t.Fatalf("holders %v are not FS nodes of the devnet", holders)
	}

	// The victim stops proving: its contract fails (slashed) and recovery starts on the third node
	// (the recovery itself is node/fs's, tested there; here it is logged).
	victim.Close()
	f = waitFile(t, ctx, c, done.FileHash, "victim slashed, recovery started", func(f *client.File) bool {
		failed := false
		for _, h := range f.Holders {
			if h.Node == victim.Key().Address() {
				failed = h.State == "failed"
			}
		}
		return failed && len(f.Holders) == 3
	})
	t.Logf("after the victim failed: %+v", f.Holders)
}

// waitUpload waits for an upload task to finish and fails the test if it does not succeed.
func waitUpload(t *testing.T, c client.Client, id string) *client.Task {
	t.Helper()
	ctx := ctxT(t, 60*time.Second)
	for {
		tk, err := c.Task(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tk.State == "done":
			return tk
		case tk.State == "failed" || tk.State == "cancelled":
			t.Fatalf("task %s %s: %d %s", id, tk.State, tk.Code, tk.Msg)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("task %s: still %s at %s", id, tk.State, tk.StatusName)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// dirOf is the data directory of the devnet's service node with account a.
func dirOf(d *Devnet, a keys.Address) string {
	for _, ns := range d.State().Nodes {
		if ns.Account == a {
			return d.nodeDir(ns)
		}
	}
	return ""
}
