package main

import (
	"strings"
	"testing"

	"dsp/node/client"
)

func TestProxyBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, u := range []string{"127.0.0.1:4000", "kcp://", "://x"} {
		wantErr(t, 2, 40002, "proxy", "request", u, "--data", dir)
	}
	wantErr(t, 1, 40003, "proxy", "request", "kcp://127.0.0.1:1", "--data", dir)
}

func TestProxyOnDevnet(t *testing.T) {
	d := sharedDevnet(t)
	var o client.ProxyOverview
	cliJSON(t, &o, "proxy", "list")
	if len(o.Known) != 1 || o.Known[0].Address != d.Proxy.Key().Address() {
		t.Fatalf("proxy list %+v; want the devnet's proxy %s", o, d.Proxy.Key().Address())
	}
	out, _, code := runCLI(t, "proxy", "status", "--data", devnetDir)
	if code != 0 || !strings.Contains(out, "proxy") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	var st client.ProxyStatus
	out, errOut, code := runCLI(t, "proxy", "request", d.Proxy.URL(), "--data", devnetDir, "--json")
	if code != 0 || decodeInto(out, &st) != nil || st.Address == "" {
		t.Fatalf("proxy request %s: exit %d %s %s", d.Proxy.URL(), code, out, errOut)
	}
	var mine *client.ProxyStatus
	cliJSON(t, &mine, "proxy", "status")
	if mine == nil || mine.Address != st.Address {
		t.Fatalf("status after request: %+v, want address %s", mine, st.Address)
	}
	var rel map[string]any
	cliJSON(t, &rel, "proxy", "release")
}
