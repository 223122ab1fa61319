package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"dsp/keys"
	"dsp/node/client"
	"dsp/node/devnet"
	"dsp/tui/faketest"
	tuissh "dsp/tui/ssh"
)

// A bare dsp off a terminal (here: output into a buffer) prints the help and exits 0; dsp tui
// refuses with exit 2 rather than wait for a terminal.
func TestBareDSPNotOnTerminal(t *testing.T) {
	out, errOut, code := runCLI(t)
	if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "tui") {
		t.Fatalf("bare dsp: exit %d, out %q, err %q", code, out, errOut)
	}
	_, errOut, code = runCLI(t, "tui", "--data", t.TempDir())
	if code != 2 || !strings.Contains(errOut, "terminal") {
		t.Fatalf("dsp tui off a terminal: exit %d, err %q", code, errOut)
	}
}

// buildDSP builds the dsp binary, with -race when the tests run with it (raceBuild).
func buildDSP(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dsp")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tmux is a private tmux server (its own socket) with one window of a fixed size.
type tmux struct {
	t      *testing.T
	sock   string
	target string
}

// newTmux starts command in a detached 120x40 session in dir; the test's cleanup kills the
// server. It skips the test when tmux is not installed.
func newTmux(t *testing.T, dir, command string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it): the TUI's end-to-end test needs it")
	}
	x := &tmux{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock"), target: "dsp"}
	// The shell stays after the program exits so its last output can be read.
	x.run("new-session", "-d", "-s", x.target, "-x", "120", "-y", "40", "-c", dir,
		"sh", "-c", command+"; echo DSP-EXIT=$?; sleep 600")
	t.Cleanup(func() { exec.Command("tmux", "-S", x.sock, "kill-server").Run() })
	return x
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.sock}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// keys sends key names (tmux send-keys: Enter, Tab, BSpace, Escape or a single character).
func (x *tmux) keys(names ...string) {
	x.t.Helper()
	for _, k := range names {
		x.run("send-keys", "-t", x.target, k)
	}
}

// typ types text literally.
func (x *tmux) typ(text string) {
	x.t.Helper()
	x.run("send-keys", "-t", x.target, "-l", text)
}

func (x *tmux) screen() string { return x.run("capture-pane", "-p", "-t", x.target) }

// waitFor polls the screen until it contains every one of want, failing at the deadline with
// the screen and the devnet's log tail.
func (x *tmux) waitFor(timeout time.Duration, want ...string) string {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := x.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if strings.Contains(s, "DSP-EXIT=") && !slicesContain(want, "DSP-EXIT=") {
			x.t.Fatalf("dsp exited while waiting for %q:\n%s", want, s)
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("no %q on the screen after %v:\n%s", want, timeout, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func slicesContain(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

var dspURL = regexp.MustCompile(`dsp://[1-9A-HJ-NP-Za-km-z]+`)

// TestTUIEndToEnd runs the dsp binary in tmux on a fresh data directory and drives the real TUI
// on the embedded devnet: first run (account created, password masked), upload with 2 copies to
// "Upload complete", download by its dsp:// URL with the bytes compared, quit (the devnet stops),
// then a second start asks for the password (masked) and runs as the account.
func TestTUIEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the dsp binary")
	}
	work, data := t.TempDir(), t.TempDir()
	content := make([]byte, 700<<10)
	rand.Read(content)
	if err := os.WriteFile(filepath.Join(work, "in.bin"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildDSP(t)
	const pw = "correct horse"
	x := newTmux(t, work, bin+" tui --data "+data+" --fs 2 --block-interval 100ms")
	// "starting devnet…" is printed before the TUI takes the screen, and a fast start replaces it
	// before the first capture: the first screen to wait for is the TUI's own.

	// First run: create an account.
	x.waitFor(60*time.Second, "Welcome to dsp", "create a new account")
	x.keys("c")
	x.waitFor(20*time.Second, "Create an account", "Confirm password")
	x.keys("Tab")
	x.typ(pw)
	x.keys("Tab")
	x.typ(pw)
	if s := x.waitFor(20*time.Second, "•••"); strings.Contains(s, "horse") {
		t.Fatalf("password shown:\n%s", s)
	}
	x.keys("Enter")
	x.waitFor(30*time.Second, "Account ready", "1 in the wallet", "active (the node runs as it)")
	var w struct{ Accounts []struct{ Address string } }
	b, _ := os.ReadFile(filepath.Join(data, "wallet.json"))
	if err := json.Unmarshal(b, &w); err != nil || len(w.Accounts) != 1 {
		t.Fatalf("wallet %s: %v", b, err)
	}
	account := w.Accounts[0].Address
	x.waitFor(30*time.Second, "node "+account) // the status bar: the node runs as the account

	// Upload in.bin with 2 copies and a URL.
	x.keys("2")
	x.waitFor(20*time.Second, "pick a file", "in.bin")
	x.keys("/")
	x.waitFor(20*time.Second, "Upload a file by path")
	x.typ("in.bin")
	x.keys("Enter")
	x.waitFor(20*time.Second, "Copies", "Expiry (blocks)")
	x.keys("BSpace")
	x.typ("2")
	for range 5 {
		x.keys("Tab")
	}
	x.typ("auto")
	x.keys("Enter")
	x.waitFor(30*time.Second, "Confirm upload of in.bin", "Deposit", "Copies     2")
	x.keys("Enter")
	s := x.waitFor(60*time.Second, "Upload complete")
	url := dspURL.FindString(s)
	if url == "" {
		t.Fatalf("no dsp:// URL on the screen:\n%s", s)
	}

	// Download it by URL.
	out := filepath.Join(work, "out.bin")
	x.keys("5")
	x.waitFor(20*time.Second, "Download a file", "Hash or URL")
	x.keys("Enter")
	x.typ(url)
	x.keys("Tab")
	x.typ(out)
	x.keys("Tab", "Enter")
	x.waitFor(60*time.Second, "Download complete")
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("downloaded %d bytes (%v), want the %d uploaded", len(got), err, len(content))
	}

	// Quit: the devnet stops and its client node's api.json is gone.
	x.keys("q")
	x.waitFor(30*time.Second, "stopping devnet", "DSP-EXIT=0")
	if _, err := os.Stat(filepath.Join(data, client.APIInfoFile)); !os.IsNotExist(err) {
		t.Fatalf("api.json left behind: %v", err)
	}
	var st devnet.State
	b, _ = os.ReadFile(filepath.Join(data, devnet.StateFile))
	if err := json.Unmarshal(b, &st); err != nil || st.Client.String() != account {
		t.Fatalf("devnet.json client %s (%v), want %s", st.Client, err, account)
	}

	// A second start asks for the password (masked; one wrong try) and runs as the account.
	y := newTmux(t, work, bin+" --data "+data)
	y.waitFor(30*time.Second, "Unlock account", account, "Password")
	y.typ("wrong")
	y.keys("Enter")
	y.waitFor(30*time.Second, "Wrong password.")
	y.typ(pw)
	y.keys("Enter")
	s = y.waitFor(60*time.Second, "1 Accounts", "active (the node runs as it)", "node "+account)
	if strings.Contains(s, "horse") || strings.Contains(s, "wrong") {
		t.Fatalf("password echoed:\n%s", s)
	}
	y.keys("4")
	y.waitFor(30*time.Second, "in.bin")
	y.keys("q")
	y.waitFor(30*time.Second, "DSP-EXIT=0")
}

// TestTUIDrivesRunningDevnet: dsp tui --data DIR drives a devnet already running there (through
// its api.json) and leaves it running when the TUI quits.
func TestTUIDrivesRunningDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the dsp binary")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it): the TUI's end-to-end test needs it")
	}
	dir := t.TempDir()
	wallet, err := keys.OpenOrCreateWallet(filepath.Join(dir, "wallet.json"))
	if err != nil {
		t.Fatal(err)
	}
	acct, _, err := wallet.NewAccount(keys.DefaultScheme, "operator", "pw")
	if err != nil || wallet.Save() != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("pw\n"), 0o600)
	bin := buildDSP(t)
	dn := startCLI(t, "devnet", "--data", dir, "--fs", "1", "--block-interval", "100ms", "--password-file", pwFile)
	waitFor(t, "the devnet's client node", func() bool {
		if dn.exited() {
			t.Fatalf("devnet exited %d: %s", dn.code, dn.err.String())
		}
		_, err := client.ReadAPIInfo(dir)
		return err == nil
	})
	x := newTmux(t, t.TempDir(), bin+" tui --data "+dir)
	s := x.waitFor(30*time.Second, "1 Accounts", "operator", "active (the node runs as it)", "node "+acct.Address.String(), "● live")
	if strings.Contains(s, "starting devnet") {
		t.Fatalf("started a devnet of its own:\n%s", s)
	}
	x.keys("7")
	x.waitFor(30*time.Second, "Network")
	x.keys("q")
	x.waitFor(30*time.Second, "DSP-EXIT=0")
	if dn.exited() {
		t.Fatalf("the devnet stopped with the TUI: %s", dn.err.String())
	}
	if _, errOut, code := dn.stop(t); code != 0 {
		t.Fatalf("devnet exit %d: %s", code, errOut)
	}
}

func sshDial(addr string, key gossh.Signer) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "operator", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestDevnetSSHConsole: dsp devnet --ssh serves the client node's TUI to an authorized key (host
// key kept in the data dir) and refuses an unknown one; the flags are checked before anything
// starts.
func TestDevnetSSHConsole(t *testing.T) {
	dir := t.TempDir()
	op := faketest.SSHKey(t)
	ak := filepath.Join(t.TempDir(), "authorized_keys")
	os.WriteFile(ak, gossh.MarshalAuthorizedKey(op.PublicKey()), 0o600)
	for _, args := range [][]string{
		{"devnet", "--data", dir, "--ssh", "127.0.0.1:0"},
		{"devnet", "--data", dir, "--authorized-keys", ak},
		{"devnet", "--data", dir, "--ssh", "127.0.0.1:0", "--authorized-keys", filepath.Join(dir, "none")},
		{"node", "--data", dir, "--ssh", "127.0.0.1:0"},
	} {
		if _, errOut, code := runCLI(t, args...); code != 2 {
			t.Fatalf("%v: exit %d (%s), want 2", args, code, errOut)
		}
	}

	addr := freeAddr(t)
	dn := startCLI(t, "devnet", "--data", dir, "--fs", "1", "--block-interval", "100ms", "--ssh", addr, "--authorized-keys", ak)
	var c *gossh.Client
	waitFor(t, "the SSH console", func() bool {
		if dn.exited() {
			t.Fatalf("devnet exited %d: %s", dn.code, dn.err.String())
		}
		var err error
		c, err = sshDial(addr, op)
		return err == nil
	})
	defer c.Close()
	if _, err := os.Stat(filepath.Join(dir, tuissh.HostKeyFile)); err != nil {
		t.Fatalf("host key: %v", err)
	}
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	out := &faketest.Screen{}
	sess.Stdout = out
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	waitForText(t, out, "Welcome to dsp") // the devnet's wallet is empty: first run
	in.Write([]byte("c"))
	waitForText(t, out, "Create an account")
	if _, err := sshDial(addr, faketest.SSHKey(t)); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("an unknown key: %v", err)
	}
	in.Write([]byte{3}) // ctrl+c ends the session, not the devnet
	sess.Wait()
	if dn.exited() {
		t.Fatalf("the devnet stopped with the session: %s", dn.err.String())
	}
	if _, errOut, code := dn.stop(t); code != 0 {
		t.Fatalf("devnet exit %d: %s", code, errOut)
	}
}

// waitForText polls a session's output (ANSI stripped) until it holds want.
func waitForText(t *testing.T, out *faketest.Screen, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := out.Text()
		if strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the session:\n%s", want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
