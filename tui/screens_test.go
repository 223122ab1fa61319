package tui

import (
	"os"
	"path/filepath"
	"testing"

	"dsp/node/client"
	"dsp/status"
	"dsp/tui/faketest"
)

func TestUploadFlow(t *testing.T) {
	c := faketest.New()
	c.Auto = true
	d := newDriver(t, c, 100, 30, Options{StartScreen: ScreenUpload})
	d.contains("hello.txt", "notes.md")
	d.press("enter") // hello.txt is first
	d.contains("Upload hello.txt", "Copies", "Expiry (blocks)")
	d.press("backspace")
	d.typ("0")
	d.press("ctrl+s")
	d.contains("copies must be")
	d.press("backspace")
	d.typ("2")
	d.press("tab", "tab", "tab", "tab")
	d.typ("pw")
	d.press("tab")
	d.typ("dsp://hello")
	d.press("enter")
	d.contains("Confirm upload of hello.txt", "Deposit", "Encrypted  yes", "dsp://hello")
	d.press("enter")
	d.contains("Upload complete", "dsp://hello", "File hash")
	files, _ := c.Files(t.Context())
	if last := files[len(files)-1]; last.Name != "hello.txt" || last.Copies != 2 {
		t.Fatalf("uploaded file %+v", last)
	}
	d.press("n")
	d.contains("pick a file")
}

func TestUploadByPathAndErrors(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 100, 30, Options{StartScreen: ScreenUpload})
	d.press("/")
	for range 80 {
		d.press("backspace")
	}
	d.typ("/no/such/file")
	d.press("enter")
	d.press("ctrl+s")
	d.contains("40002") // the price of a missing file is refused
	d.press("tab", "tab")
	d.typ("x")
	d.press("ctrl+s")
	d.contains("want public, private or whitelist")
}

func TestUploadRefusedKeepsConfirm(t *testing.T) {
	c := faketest.New()
	c.Fail("Upload", status.New(status.InsufficientBalance, "upload: insufficient balance"))
	d := newDriver(t, c, 100, 30, Options{StartScreen: ScreenUpload})
	d.press("enter", "ctrl+s")
	d.contains("Confirm upload")
	d.press("enter")
	d.contains("40006", "Confirm upload")
}

func TestFilesKeys(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 120, 40, Options{StartScreen: ScreenFiles})
	d.contains("holiday.jpg", "report.pdf", "notes.txt", "1 failed", "due 1250", "dsp://photos/holiday")
	d.press("enter")
	d.contains("Holder", "failed")
	d.press("s")
	d.contains("Shared")
	d.press("y")
	d.contains("Copied dsp://photos/holiday")
	d.press("down", "w")
	d.contains("Access to report.pdf", faketest.Addr(1).String())
	d.press("ctrl+s")
	d.contains("whitelist, 1 accounts")
	d.press("w", "tab")
	d.typ(",bogus")
	d.press("enter")
	d.contains(`whitelist address "bogus"`)
	d.press("esc")
	d.press("x")
	d.contains("Delete", "y/n")
	d.press("n")
	d.contains("report.pdf")
	d.press("x", "y")
	d.contains("Deleted", "2 owned")
	d.lacks("report.pdf")
	d.press("d")
	if d.m.Active() != ScreenDownload {
		t.Fatalf("d went to %v", d.m.Active())
	}
	d.contains("Download a file")
}

func TestDownloadByURL(t *testing.T) {
	c := faketest.New()
	c.Auto = true
	out := filepath.Join(t.TempDir(), "holiday.jpg")
	d := newDriver(t, c, 100, 30, Options{StartScreen: ScreenDownload})
	d.press("enter")
	d.typ("dsp://photos/holiday")
	d.press("tab")
	d.typ(out)
	d.press("enter", "enter")
	d.contains("Download complete", out)
	b, err := os.ReadFile(out)
	if err != nil || len(b) != 80*1024 {
		t.Fatalf("downloaded %d bytes, %v", len(b), err)
	}
	d.press("enter")
	d.typ("dsp://nowhere")
	d.press("enter", "enter", "enter")
	d.contains("50021")
}

func TestProxiesKeys(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 100, 30, Options{StartScreen: ScreenProxies})
	d.contains("None: this node is reached directly", "kcp://203.0.113.7:4001")
	d.press("x")
	d.contains("no allocation")
	d.press("n")
	d.contains("Request a proxy address")
	d.press("enter")
	d.contains("Proxy address 203.0.113.7:40001", "active")
	d.press("x")
	d.contains("Proxy released")
}

func TestNetworkKeys(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 120, 40, Options{StartScreen: ScreenNetwork})
	d.contains("Peers (3)", "fs", "scan,dns", "12.5ms", "Registered nodes", "proxy 1")
	d.press("/")
	d.typ("dsp://photos/holiday")
	d.press("enter")
	d.contains("dsp://photos/holiday →")
	d.press("c")
	d.typ("kcp://10.0.0.9:4001")
	d.press("enter")
	d.contains("Connected to")
	d.pump()
	d.contains("Peers (4)", "peers 4")
}

// TestFilesDetailShowsProver: on an FS node the Files detail shows the node's own prover entry
// for the file (ProverStatus); a node without the fs role shows none.
func TestFilesDetailShowsProver(t *testing.T) {
	c := faketest.New()
	files, _ := c.Files(t.Context())
	c.SetProver([]client.ProverFile{{FileHash: files[0].Hash, State: "active", Confirmed: true, NextDue: 1300, Deadline: 1400,
		Proofs: 7, Failures: 1, LastError: "submit proof: timeout"}})
	d := newDriver(t, c, 120, 40, Options{StartScreen: ScreenFiles})
	d.press("enter")
	d.contains("this node's prover: active, 7 proofs accepted, next round 1300, deadline 1400", "last error: submit proof: timeout")
	d.press("down")
	d.lacks("this node's prover")

	plain := newDriver(t, faketest.New(), 120, 40, Options{StartScreen: ScreenFiles})
	plain.press("enter")
	plain.contains("Holder")
	plain.lacks("this node's prover")
}
