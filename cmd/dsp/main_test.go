package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the CLI in-process with args and returns stdout, stderr and the exit code.
// Tests of every command use it; flags are reset between runs by resetFlags.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	flagJSON = false
	flagData = defaultDataDir()
	resetFlags(root)
	code := run(args)
	return out.String(), errb.String(), code
}

func TestHelp(t *testing.T) {
	out, _, code := runCLI(t, "--help")
	if code != 0 || !strings.Contains(out, "dsp") {
		t.Fatalf("help: code %d, out %q", code, out)
	}
}

func TestUnknownCommand(t *testing.T) {
	_, errOut, code := runCLI(t, "no-such-command")
	if code == 0 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: code %d, stderr %q", code, errOut)
	}
}

func TestBadFlagIsInvalidParams(t *testing.T) {
	out, _, code := runCLI(t, "version", "--json", "--no-such-flag")
	if code != 2 || !strings.Contains(out, `"code": 40002`) {
		t.Fatalf("bad flag: code %d, out %q", code, out)
	}
}
