package ssh

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"charm.land/log/v2"
	gossh "golang.org/x/crypto/ssh"

	"dsp/tui"
	"dsp/tui/faketest"
)

// startServer serves the console on 127.0.0.1:0 with authorized as the only allowed key.
func startServer(t *testing.T, authorized gossh.Signer) (addr string, clients *atomic.Int32) {
	t.Helper()
	dir := t.TempDir()
	ak := filepath.Join(dir, "authorized_keys")
	line := "# operators\nnot a key line\n" + string(gossh.MarshalAuthorizedKey(authorized.PublicKey()))
	if err := os.WriteFile(ak, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	n := new(atomic.Int32)
	srv, err := NewServer(Config{
		HostKeyPath:        filepath.Join(dir, "data", HostKeyFile),
		AuthorizedKeysPath: ak,
		NewClient: func() tui.Client {
			n.Add(1)
			return faketest.New()
		},
		Options: tui.Options{Background: tui.BackgroundDark},
		Logger:  log.New(io.Discard),
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	if _, err := os.Stat(filepath.Join(dir, "data", HostKeyFile)); err != nil {
		t.Fatalf("host key not kept in the data dir: %v", err)
	}
	return l.Addr().String(), n
}

func dial(addr string, key gossh.Signer) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User:            "operator",
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

// waitFor polls out until it holds every string (ANSI stripped) or the deadline passes.
func waitFor(t *testing.T, out *faketest.Screen, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := out.Text()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %q:\n%s", want, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// session opens a PTY session and returns its output and stdin.
func session(t *testing.T, c *gossh.Client) (*faketest.Screen, io.WriteCloser) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
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
	return out, in
}

func TestAuthorizedKeyGetsTUI(t *testing.T) {
	key := faketest.SSHKey(t)
	addr, clients := startServer(t, key)

	// Two operators at once, each with its own program and client.
	var outs []*faketest.Screen
	var ins []io.WriteCloser
	for range 2 {
		c, err := dial(addr, key)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		out, in := session(t, c)
		outs, ins = append(outs, out), append(ins, in)
	}
	for _, out := range outs {
		waitFor(t, out, "1 Accounts", "main", "savings", "peers 3")
	}
	if _, err := ins[0].Write([]byte("3")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, outs[0], "Transfers", "video.mp4")
	if strings.Contains(outs[1].Text(), "video.mp4") {
		t.Fatal("a key in one session moved the other")
	}
	if clients.Load() != 2 {
		t.Fatalf("%d clients made, want one per session", clients.Load())
	}
	if _, err := ins[1].Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownKeyRefused(t *testing.T) {
	addr, _ := startServer(t, faketest.SSHKey(t))
	c, err := dial(addr, faketest.SSHKey(t))
	if err == nil {
		_ = c.Close()
		t.Fatal("an unknown key logged in")
	}
	if !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("unexpected error: %v", err)
	}
}

func TestPasswordRefused(t *testing.T) {
	addr, _ := startServer(t, faketest.SSHKey(t))
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "operator", Auth: []gossh.AuthMethod{gossh.Password("x")},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err == nil {
		_ = c.Close()
		t.Fatal("password authentication accepted")
	}
}

func TestNoPTYRefusedPolitely(t *testing.T) {
	key := faketest.SSHKey(t)
	addr, clients := startServer(t, key)
	c, err := dial(addr, key)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.CombinedOutput("")
	var exit *gossh.ExitError
	if err == nil || !errorsAs(err, &exit) || exit.ExitStatus() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if !strings.Contains(string(out), "needs a terminal") {
		t.Fatalf("output %q", out)
	}
	if clients.Load() != 0 {
		t.Fatal("a session without a PTY got a client")
	}
}

func TestConfigRefused(t *testing.T) {
	if _, err := NewServer(Config{NewClient: func() tui.Client { return faketest.New() }}); err == nil {
		t.Fatal("no authorized_keys accepted")
	}
	if _, err := NewServer(Config{AuthorizedKeysPath: "x"}); err != ErrNoClient {
		t.Fatalf("no client: %v", err)
	}
}

func errorsAs(err error, target **gossh.ExitError) bool {
	e, ok := err.(*gossh.ExitError)
	if ok {
		*target = e
	}
	return ok
}
