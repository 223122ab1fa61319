package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dsp/node/client"
	"dsp/node/devnet"
)

func TestProveDetailOnDevnet(t *testing.T) {
	d := sharedDevnet(t)
	up, _ := sharedUpload(t)
	var pd proveDetail
	cliJSON(t, &pd, "prove", "detail", up.FileHash)
	if pd.FileHash != up.FileHash || pd.Height == 0 || pd.ProveInterval != 5 || len(pd.Holders) != 2 {
		t.Fatalf("prove detail %+v", pd)
	}
	// Every field the command promises is in its JSON (values depend on the FS nodes' prover).
	out, _, _ := runCLI(t, "prove", "detail", up.FileHash, "--data", devnetDir, "--json")
	var raw struct{ Holders []map[string]any }
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"node", "state", "proofs", "lastProof", "nextDue", "dueIn", "failures", "balance"} {
		if _, ok := raw.Holders[0][k]; !ok {
			t.Fatalf("holder JSON lacks %q: %v", k, raw.Holders[0])
		}
	}
	t.Logf("prove detail at height %d: %+v", pd.Height, pd.Holders)
	text, _, code := runCLI(t, "prove", "detail", up.FileHash, "--data", devnetDir)
	if code != 0 || !strings.Contains(text, "DUE IN") || !strings.Contains(text, d.FS[1].Key().Address().String()) {
		t.Fatalf("text: exit %d\n%s", code, text)
	}
	wantErr(t, 1, 55100, "prove", "detail", strings.Repeat("9a", 32), "--data", devnetDir)
}

// TestProofsOnDevnet: a couple of prove intervals after an upload, "files --json" and "prove
// detail" show, for both holders, proofs the ledger accepted and a next due height; "prove
// status" on an FS node's data directory shows its prover's entry for the file, and on the client
// node (no fs role) fails with NO_DSP.
func TestProofsOnDevnet(t *testing.T) {
	d := sharedDevnet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in := filepath.Join(t.TempDir(), "proved.bin")
	content := make([]byte, 200<<10)
	rand.Read(content)
	os.WriteFile(in, content, 0o644)
	c := d.Client()
	tk, err := c.Upload(ctx, client.UploadRequest{Path: in, Copies: 2, ProveInterval: 20, Privilege: 1})
	if err != nil {
		t.Fatal(err)
	}
	for tk.State != taskDone {
		time.Sleep(100 * time.Millisecond)
		if tk, err = c.Task(ctx, tk.ID); err != nil || ctx.Err() != nil || tk.State == "failed" {
			t.Fatalf("upload: %+v %v %v", tk, err, ctx.Err())
		}
	}
	h := tk.FileHash
	var f client.File
	for {
		var fs []client.File
		cliJSON(t, &fs, "files")
		i := slices.IndexFunc(fs, func(f client.File) bool { return f.Hash == h })
		if i >= 0 {
			f = fs[i]
			proving := 0
			for _, ho := range f.Holders {
				if ho.State == "active" && ho.Proofs > 0 && ho.LastProof > 0 && ho.NextDue > ho.LastProof {
					proving++
				}
			}
			if proving == 2 {
				break
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("holders not proving: %+v", f.Holders)
		case <-time.After(200 * time.Millisecond):
		}
	}
	var pd proveDetail
	cliJSON(t, &pd, "prove", "detail", h)
	for _, e := range pd.Holders {
		if e.Proofs == 0 || e.NextDue == 0 || e.DueIn == 0 && e.NextDue != pd.Height {
			t.Fatalf("prove detail holder %+v at height %d", e, pd.Height)
		}
	}
	if pd.Prover != nil {
		t.Fatalf("the client node has a prover entry: %+v", pd.Prover)
	}
	wantErr(t, 1, 40003, "prove", "status", "--data", devnetDir)
	for _, ns := range d.State().Nodes {
		if ns.Account != f.Holders[0].Node {
			continue
		}
		dir := filepath.Join(devnetDir, devnet.NodesDir, ns.Name)
		out, errOut, code := runCLI(t, "prove", "status", "--data", dir, "--json")
		var ps []client.ProverFile
		if code != 0 || json.Unmarshal([]byte(out), &ps) != nil {
			t.Fatalf("prove status of %s: exit %d %s %s", ns.Name, code, out, errOut)
		}
		i := slices.IndexFunc(ps, func(p client.ProverFile) bool { return p.FileHash == h })
		if i < 0 || ps[i].Proofs == 0 || !ps[i].Confirmed || ps[i].NextDue == 0 {
			t.Fatalf("prove status of %s: %+v", ns.Name, ps)
		}
		text, _, code := runCLI(t, "prove", "status", "--data", dir)
		if code != 0 || !strings.Contains(text, h) || !strings.Contains(text, "NEXT ROUND") {
			t.Fatalf("prove status text: exit %d\n%s", code, text)
		}
		var mine proveDetail
		out, _, _ = runCLI(t, "prove", "detail", h, "--data", dir, "--json")
		if json.Unmarshal([]byte(out), &mine) != nil || mine.Prover == nil || mine.Prover.Proofs == 0 {
			t.Fatalf("prove detail on the holder: %s", out)
		}
		return
	}
	t.Fatalf("holder %s is not a devnet node", f.Holders[0].Node)
}
