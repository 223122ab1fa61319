package main

import (
	"encoding/json"
	"strings"
	"testing"
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
