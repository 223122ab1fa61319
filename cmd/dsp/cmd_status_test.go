package main

import (
	"encoding/json"
	"strings"
	"testing"

	"dsp/node/client"
)

func TestStatusShowsPeersWithRTT(t *testing.T) {
	a := peerNode(t)
	b := peerNode(t, a.Host().Addrs()[0])
	dir := b.Opts().DataDir
	var st client.Status
	waitFor(t, "status with a peer and its RTT", func() bool {
		out, _, code := runCLI(t, "status", "--data", dir, "--json")
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
			return false
		}
		return len(st.Peers) == 1 && st.Peers[0].RTTMs > 0
	})
	if st.Address != b.Key().Address() || st.Peers[0].Address != a.Key().Address() || st.NetworkID != 1 {
		t.Fatalf("status %+v", st)
	}
	out, _, code := runCLI(t, "status", "--data", dir)
	if code != 0 || !strings.Contains(out, a.Key().Address().String()) || !strings.Contains(out, " ms") {
		t.Fatalf("text status (exit %d):\n%s", code, out)
	}
}

func TestStatusWithoutNode(t *testing.T) {
	out, _, code := runCLI(t, "status", "--data", t.TempDir(), "--json")
	var e struct{ Code int }
	if code != 1 || json.Unmarshal([]byte(out), &e) != nil || e.Code != 40003 {
		t.Fatalf("exit %d, out %s; want exit 1 with NO_DSP 40003", code, out)
	}
}
