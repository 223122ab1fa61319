package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// jsonErr is the --json error shape printed on a failed command.
type jsonErr struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

// wantErr runs args with --json and checks the exit code and the spec code of the error.
func wantErr(t *testing.T, exit, code int, args ...string) jsonErr {
	t.Helper()
	out, _, got := runCLI(t, append(args, "--json")...)
	var e jsonErr
	if got != exit || json.Unmarshal([]byte(out), &e) != nil || e.Code != code {
		t.Fatalf("%v: exit %d, out %s; want exit %d with code %d", args, got, out, exit, code)
	}
	return e
}

func TestNoNodeRunning(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"ledger", "height"}, {"ledger", "balance"}, {"files"}, {"tasks"}, {"prove", "detail", strings.Repeat("ab", 32)},
		{"dns", "resolve", "dsp://x"}, {"proxy", "status"}, {"share", strings.Repeat("ab", 32)},
	} {
		e := wantErr(t, 1, 40003, append(args, "--data", dir)...)
		if !strings.Contains(e.Msg, "no node at "+dir) || !strings.Contains(e.Msg, "dsp devnet") {
			t.Fatalf("%v: message %q does not say how to start a node", args, e.Msg)
		}
	}
	_, errOut, code := runCLI(t, "ledger", "height", "--data", dir)
	if code != 1 || !strings.Contains(errOut, "start dsp devnet or dsp node") || !strings.Contains(errOut, "40003 NO_DSP") {
		t.Fatalf("text error: exit %d, stderr %q", code, errOut)
	}
}

func TestLedgerBadInput(t *testing.T) {
	dir := t.TempDir() // checks happen before the node is asked
	wantErr(t, 1, 40010, "ledger", "balance", "not-an-address", "--data", dir)
	wantErr(t, 1, 40010, "ledger", "transfer", "--to", "AbC", "--amount", "5", "--data", dir)
	wantErr(t, 2, 40002, "ledger", "transfer", "--amount", "5", "--data", dir)
	wantErr(t, 2, 40002, "ledger", "pledge", "many", "--data", dir)
	wantErr(t, 2, 40002, "ledger", "pledge", "0", "--data", dir)
	wantErr(t, 2, 40002, "ledger", "block", "top", "--data", dir)
	wantErr(t, 2, 40002, "ledger", "nodes", "--role", "miner", "--data", dir)
}
