package main

import (
	"strings"
	"testing"
)

func TestDNSBadInput(t *testing.T) {
	dir := t.TempDir()
	h := strings.Repeat("ab", 32)
	wantErr(t, 2, 40002, "dns", "register", "dsp://x", "--data", dir) // no --hash
	wantErr(t, 2, 40002, "dns", "register", "dsp://x", "--hash", "12", "--data", dir)
	for _, u := range []string{"dsp://", "://x", "Dsp://x", "dsp://a b", "dsp://" + strings.Repeat("a", 129), "averyveryverylongheader://x", "dsp://x?y"} {
		wantErr(t, 2, 40002, "dns", "register", u, "--hash", h, "--data", dir)
		wantErr(t, 2, 40002, "dns", "resolve", u, "--data", dir)
		wantErr(t, 2, 40002, "dns", "delete", u, "--data", dir)
	}
	wantErr(t, 2, 40002, "dns", "transfer", "dsp://x", "--data", dir) // no --to
	wantErr(t, 1, 40010, "dns", "transfer", "dsp://x", "--to", "bad", "--data", dir)
	for _, u := range []string{"dsp://notes", "notes", "file-7/v1.2_~x", "my-hdr://a/b"} {
		if err := checkURL(u); err != nil {
			t.Fatalf("checkURL(%q): %v", u, err)
		}
	}
}
