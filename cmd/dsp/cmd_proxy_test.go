package main

import "testing"

func TestProxyBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, u := range []string{"127.0.0.1:4000", "kcp://", "://x"} {
		wantErr(t, 2, 40002, "proxy", "request", u, "--data", dir)
	}
	wantErr(t, 1, 40003, "proxy", "request", "kcp://127.0.0.1:1", "--data", dir)
}
