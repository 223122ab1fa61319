package main

import (
	"strings"
	"testing"

	"dsp/ledger"
	"dsp/node/client"
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

// TestCheckURLIsTheLedgers: the CLI refuses exactly the URLs the ledger's validators refuse.
func TestCheckURLIsTheLedgers(t *testing.T) {
	paths := []string{"", "a", "A.b_c~d/e-f", "a b", "x?y", "é", strings.Repeat("z", 128), strings.Repeat("z", 129)}
	headers := []string{"", "dsp", "a", "Dsp", "9a", "my-hdr", "a_b", strings.Repeat("h", 16), strings.Repeat("h", 17)}
	for _, h := range headers {
		for _, p := range paths {
			u := h + "://" + p
			want := ledger.ValidHeader(h) && ledger.ValidURLPath(p)
			if got := checkURL(u) == nil; got != want {
				t.Errorf("checkURL(%q) accepts %v, the ledger %v", u, got, want)
			}
		}
	}
	if checkURL("notes") != nil || checkURL("no tes") == nil {
		t.Error("a URL without a header is a path under dsp")
	}
}

func TestDNSOnDevnet(t *testing.T) {
	up, _ := sharedUpload(t)
	var r client.URLRecord
	cliJSON(t, &r, "dns", "resolve", sharedURL)
	if r.FileHash != up.FileHash || r.Owner.IsZero() {
		t.Fatalf("resolve %s: %+v", sharedURL, r)
	}
	var reg client.URLRecord
	cliJSON(t, &reg, "dns", "register", "dsp://cli-second", "--hash", up.FileHash)
	if reg.FileHash != up.FileHash || !strings.Contains(reg.URL, "cli-second") {
		t.Fatalf("register: %+v", reg)
	}
	var random client.URLRecord
	cliJSON(t, &random, "dns", "register", "--hash", up.FileHash)
	if random.URL == "" || random.FileHash != up.FileHash {
		t.Fatalf("random register: %+v", random)
	}
	out, _, code := runCLI(t, "dns", "register", "dsp://cli-second", "--hash", up.FileHash, "--data", devnetDir, "--json")
	if code != 1 {
		t.Fatalf("registering a taken URL: exit %d %s", code, out)
	}
	var tx client.TxResult
	cliJSON(t, &tx, "dns", "delete", "dsp://cli-second")
	out, _, code = runCLI(t, "dns", "resolve", "dsp://cli-second", "--data", devnetDir, "--json")
	if code != 1 {
		t.Fatalf("resolving a deleted URL: exit %d %s", code, out)
	}
	other := addr(t)
	cliJSON(t, &tx, "dns", "transfer", random.URL, "--to", other.String())
	cliJSON(t, &r, "dns", "resolve", random.URL)
	if r.Owner != other {
		t.Fatalf("after transfer the owner is %s, want %s", r.Owner, other)
	}
}
