package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"dsp/node/client"
	"dsp/node/devnet"
)

func TestDevnetCommand(t *testing.T) {
	dir := t.TempDir()
	dn := startCLI(t, "devnet", "--data", dir, "--fs", "2", "--block-interval", "200ms", "--json")
	var info client.APIInfo
	waitFor(t, "the devnet's client node", func() bool {
		if dn.exited() {
			t.Fatalf("devnet exited %d: %s", dn.code, dn.err.String())
		}
		var err error
		info, err = client.ReadAPIInfo(dir)
		if err != nil {
			return false
		}
		_, err = os.Stat(filepath.Join(dir, devnet.StateFile))
		return err == nil
	})
	var st client.Status
	out, errOut, code := runCLI(t, "status", "--data", dir, "--json")
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("status: exit %d, %s %s", code, out, errOut)
	}
	var saved devnet.State
	b, _ := os.ReadFile(filepath.Join(dir, devnet.StateFile))
	if err := json.Unmarshal(b, &saved); err != nil || st.Address != saved.Client || len(saved.Nodes) != 5 {
		t.Fatalf("status address %s, devnet.json %s (%v)", st.Address, b, err)
	}
	// The same node through --api and a token from the environment.
	t.Setenv(EnvToken, info.Token)
	out, errOut, code = runCLI(t, "status", "--api", info.URL, "--json")
	var st2 client.Status
	if code != 0 || json.Unmarshal([]byte(out), &st2) != nil || st2.Address != st.Address {
		t.Fatalf("status --api: exit %d, %s %s", code, out, errOut)
	}
	t.Setenv(EnvToken, "")
	if _, errOut, code := runCLI(t, "status", "--api", info.URL); code != 2 {
		t.Fatalf("--api without a token: exit %d %s, want 2", code, errOut)
	}
	out, errOut, code = dn.stop(t)
	if code != 0 {
		t.Fatalf("devnet exit %d: %s", code, errOut)
	}
	var ready struct {
		API    string `json:"api"`
		Client string `json:"client"`
		Nodes  []any  `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(out), &ready); err != nil || ready.API != info.URL || len(ready.Nodes) != 5 {
		t.Fatalf("devnet output %q: %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, client.APIInfoFile)); !os.IsNotExist(err) {
		t.Fatalf("api.json left behind: %v", err)
	}
}
