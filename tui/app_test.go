package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"dsp/status"
	"dsp/tui/faketest"
)

func TestFirstRunCreatesAccount(t *testing.T) {
	c := faketest.NewEmpty()
	d := newDriver(t, c, 80, 24, Options{})
	d.contains("Welcome to dsp", "create a new account")
	d.press("c")
	d.contains("Create an account", "Confirm password")
	d.press("tab")
	d.typ("hunter2")
	d.press("tab")
	d.typ("hunter3")
	d.lacks("hunter2", "hunter3") // masked
	d.press("enter")
	d.contains("the passwords do not match")
	for range 7 {
		d.press("backspace")
	}
	d.typ("hunter2")
	d.press("enter")
	d.contains("1 Accounts", "default", "Account ready")
	accts, _ := c.Accounts(t.Context())
	if len(accts) != 1 || !accts[0].Default {
		t.Fatalf("accounts after first run: %+v", accts)
	}
}

func TestFirstRunImportRefusesBadKey(t *testing.T) {
	c := faketest.NewEmpty()
	d := newDriver(t, c, 80, 24, Options{})
	d.press("i", "tab")
	d.typ("zz")
	d.press("tab")
	d.typ("pw")
	d.press("tab")
	d.typ("pw")
	d.press("enter")
	d.contains("40002", "INVALID_PARAMS")
	d.press("esc")
	d.contains("Welcome to dsp")
}

func TestGlobalKeys(t *testing.T) {
	d := newDriver(t, faketest.New(), 80, 24, Options{})
	d.contains("Accounts", "2 in the wallet")
	d.press("tab")
	if d.m.Active() != ScreenUpload {
		t.Fatalf("tab: active %v", d.m.Active())
	}
	d.press("shift+tab", "shift+tab")
	if d.m.Active() != ScreenNetwork {
		t.Fatalf("shift+tab twice: active %v", d.m.Active())
	}
	d.press("3")
	d.contains("Transfers", "3 tasks")
	d.press("?")
	d.contains("prev screen", "go to screen")
	d.press("?")
	d.lacks("prev screen")
	_, cmd := d.m.Update(keyPress("q"))
	if cmd == nil || fmt.Sprintf("%T", cmd()) != "tea.QuitMsg" {
		t.Fatalf("q did not quit")
	}
}

func TestStatusBar(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 120, 40, Options{})
	d.contains("live", "peers 3", "height 1200", faketest.Addr(0).String())
	d80 := newDriver(t, c, 80, 24, Options{})
	lines := strings.Split(d80.screen(), "\n")
	last := lines[len(lines)-1]
	if strings.Contains(last, faketest.Addr(0).String()) || !strings.Contains(last, "peers 3") {
		t.Fatalf("status bar at 80 columns: %q", last)
	}
}

func TestAccountsKeys(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 100, 30, Options{})
	d.contains("main", "savings", "1000000")
	d.press("down", "d")
	d.contains("Default account set")
	accts, _ := c.Accounts(t.Context())
	if !accts[1].Default || accts[0].Default {
		t.Fatalf("default not moved: %+v", accts)
	}
	d.press("y")
	d.contains("Copied " + faketest.Addr(1).String())

	d.press("b")
	d.contains("nonce 3")

	d.press("p")
	d.typ("abc")
	d.press("enter")
	d.contains("positive whole number")
	d.press("esc")
	d.press("p")
	d.typ("1000")
	d.press("enter")
	d.contains("Transaction")
	accts, _ = c.Accounts(t.Context())
	if accts[0].Pledged != 6000 {
		t.Fatalf("pledged %d, want 6000", accts[0].Pledged)
	}

	d.press("n")
	d.typ("work")
	d.press("tab", "tab")
	d.typ("pw")
	d.press("tab")
	d.typ("pw")
	d.press("enter")
	d.contains("work", "3 in the wallet")

	d.press("up", "up", "e")
	d.typ("wrong")
	d.press("tab")
	d.typ("x")
	d.press("tab")
	d.typ("x")
	d.press("tab", "enter")
	d.contains("50015") // AccountPasswordWrong stays in the form
	d.press("esc")

	c.Fail("Pledge", status.New(status.InsufficientBalance, "pledge: insufficient balance"))
	d.press("p")
	d.typ("5")
	d.press("enter")
	d.contains("40006")
	d.press("esc")
}

func TestAccountsExportToFile(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 100, 30, Options{})
	path := t.TempDir() + "/main.key"
	d.press("e")
	d.typ("secret")
	d.press("tab")
	d.typ("blob")
	d.press("tab")
	d.typ("blob")
	d.press("tab")
	d.typ(path)
	d.press("enter")
	d.contains("Exported to")
}

func TestTransfersKeys(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 120, 40, Options{StartScreen: ScreenTransfers})
	d.contains("video.mp4", "archive.tar", "holiday.jpg", "Failed 50038 FS_PUT_BLOCK_FAILED", "Download complete",
		"Start transferring file block data")
	// newest first: archive.tar (failed) is under the cursor.
	d.press("R")
	d.contains("Retried t0003")
	d.press("down", "down", "p")
	d.contains("Paused t0001")
	d.press("r")
	d.contains("Resumed t0001")
	d.press("x")
	d.contains("Cancel task t0001? y/n")
	d.press("n")
	d.lacks("Cancel task")
	d.press("x", "y")
	d.contains("Cancelled t0001")
	d.press("enter")
	d.contains("Task t0001", "Peer", faketest.Addr(11).String())
	d.press("up")
	d.press("p")
	d.contains("error 50024") // pausing a finished download is refused
}

func TestTransfersLiveEvents(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 120, 40, Options{StartScreen: ScreenTransfers})
	c.AddTasks(1)
	tasks, _ := c.Tasks(t.Context())
	last := tasks[len(tasks)-1]
	if err := c.Progress(last.ID, 8); err != nil {
		t.Fatal(err)
	}
	d.pump()
	d.contains("file-0000.bin", "50%")
	if err := c.Finish(last.ID); err != nil {
		t.Fatal(err)
	}
	d.pump()
	d.contains("Upload complete")
}

func TestTransfersResumeAsksPassword(t *testing.T) {
	c := faketest.New()
	tk, _ := c.Task(t.Context(), "t0001")
	tk.State, tk.NeedPassword = "paused", true
	c.PutTask(*tk)
	d := newDriver(t, c, 120, 40, Options{StartScreen: ScreenTransfers})
	d.press("down", "down", "r")
	d.contains("Password to resume t0001")
	d.typ("pw")
	d.press("enter")
	d.contains("Resumed t0001")
}

var _ = errors.New
