package tui

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"dsp/tui/faketest"
)

// program runs the whole app as a real tea.Program on pipes with a fixed window size: the
// test writes keys to its input and waits for text in its output.
type program struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *faketest.Screen
	done chan error
}

func startProgram(t *testing.T, c Client, opts Options) *program {
	t.Helper()
	inR, inW := io.Pipe()
	p := &program{t: t, in: inW, out: &faketest.Screen{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	if opts.Background == BackgroundAuto {
		opts.Background = BackgroundDark
	}
	go func() {
		p.done <- Run(ctx, c, opts, tea.WithInput(inR), tea.WithOutput(p.out), tea.WithWindowSize(100, 30),
			tea.WithoutSignals(), tea.WithEnvironment([]string{"TERM=xterm-256color"}))
	}()
	t.Cleanup(func() {
		cancel()
		_ = inW.Close()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Error("program did not stop")
		}
	})
	return p
}

// waitFor waits until the output holds every string. The renderer writes only the cells that
// changed, so the strings must be new on the screen, not share cells with what was there.
func (p *program) waitFor(want ...string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := p.out.Text()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("output lacks %q; tail:\n%s", want, tail(s, 3000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// send writes raw terminal input: keys as a terminal sends them.
func (p *program) send(s string) {
	p.t.Helper()
	if _, err := p.in.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond) // lets the input reader deliver keys one read at a time
}

const (
	keyEnter = "\r"
	keyTab   = "\t"
)

func TestProgramFirstRun(t *testing.T) {
	c := faketest.NewEmpty()
	p := startProgram(t, c, Options{})
	p.waitFor("Welcome to dsp")
	p.send("c")
	p.waitFor("Create an account")
	p.send(keyTab)
	p.send("s3cret")
	p.send(keyTab)
	p.send("s3cret")
	p.send(keyEnter)
	p.waitFor("Account ready")
	if strings.Contains(p.out.Text(), "s3cret") {
		t.Fatal("the password was echoed")
	}
	accts, _ := c.Accounts(t.Context())
	if len(accts) != 1 {
		t.Fatalf("accounts: %+v", accts)
	}
	p.send("q")
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		p.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("q did not quit")
	}
	if n := c.Subscribers(); n != 0 {
		t.Fatalf("%d event subscriptions left open after quit", n)
	}
}

func TestProgramUploadThenDownloadByURL(t *testing.T) {
	c := faketest.New()
	dir := t.TempDir()
	src := filepath.Join(dir, "up", "payload.bin")
	_ = os.MkdirAll(filepath.Dir(src), 0o755)
	want := bytes.Repeat([]byte("payload "), 5000)
	if err := os.WriteFile(src, want, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProgram(t, c, Options{FileDir: filepath.Dir(src), DownloadDir: dir})
	p.waitFor("2 in the wallet")
	p.send("2")
	p.waitFor("payload.bin")
	p.send(keyEnter)
	p.waitFor("Expiry (blocks)")
	for range 5 {
		p.send(keyTab)
	}
	p.send("dsp://payload")
	p.send(keyEnter)
	p.waitFor("Confirm upload of payload.bin")
	p.send(keyEnter)
	p.waitFor("Upload started")
	// The node works on it: progress, then completion, arrive as events.
	if err := c.Progress("t0004", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Finish("t0004"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("Upload complete", "dsp://payload")

	c.Auto = true
	p.send("5")
	p.waitFor("Hash or URL")
	p.send(keyEnter)
	p.send("dsp://payload")
	p.send(keyTab)
	p.send("copy.bin")
	p.send(keyEnter)
	p.send(keyEnter)
	p.waitFor("Download complete")
	got, err := os.ReadFile(filepath.Join(dir, "copy.bin"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("downloaded %d bytes (%v), want the %d uploaded", len(got), err, len(want))
	}
}
