package tui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"dsp/tui/faketest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var _ Client = (*faketest.Client)(nil)

// driver runs a Model synchronously: every command a message produces is run, and what it
// returns within a short wait is fed back; commands that wait longer (ticks, the event wait)
// are dropped, so a test never sleeps on them.
type driver struct {
	t    *testing.T
	m    *Model
	c    *faketest.Client
	late chan tea.Msg // results of commands that outlived the wait (events, ticks)
}

func newDriver(t *testing.T, c *faketest.Client, w, h int, opts Options) *driver {
	t.Helper()
	return newDriverOver(t, c, c, w, h, opts)
}

// newDriverOver drives the app over client, a wrapper of the fake c (e.g. one that delays a call).
func newDriverOver(t *testing.T, client Client, c *faketest.Client, w, h int, opts Options) *driver {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return faketest.Epoch }
	}
	if opts.Background == BackgroundAuto {
		opts.Background = BackgroundDark
	}
	if opts.FileDir == "" {
		opts.FileDir = "testdata/files"
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts.Context = ctx
	d := &driver{t: t, m: New(client, opts), c: c, late: make(chan tea.Msg, 4096)}
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.run(d.m.Init())
	return d
}

// run executes cmd and feeds back what it yields, recursively.
func (d *driver) run(cmd tea.Cmd) {
	for _, msg := range collect(cmd, 100*time.Millisecond, d.late) {
		if _, ok := msg.(spinner.TickMsg); ok {
			continue // a spinner's animation re-arms itself every frame: not driven in tests
		}
		d.send(msg)
	}
}

// collect runs cmd (and the commands of a batch) concurrently and returns the messages that
// arrive within wait, in the order of the batch.
func collect(cmd tea.Cmd, wait time.Duration, late chan<- tea.Msg) []tea.Msg {
	if cmd == nil {
		return nil
	}
	out := make(chan tea.Msg, 1)
	go func() { out <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-out:
	case <-time.After(wait):
		go func() {
			select {
			case late <- <-out:
			default:
			}
		}()
		return nil
	}
	batch, ok := msg.(tea.BatchMsg)
	if !ok {
		if msg == nil {
			return nil
		}
		return []tea.Msg{msg}
	}
	results := make([][]tea.Msg, len(batch))
	var wg sync.WaitGroup
	for i, c := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = collect(c, wait, late)
		}()
	}
	wg.Wait()
	var all []tea.Msg
	for _, r := range results {
		all = append(all, r...)
	}
	return all
}

// pump feeds the late messages (events first of all) that arrive within wait of each other.
func (d *driver) pump() {
	for {
		select {
		case msg := <-d.late:
			if _, ok := msg.(statusTickMsg); ok {
				continue // the status refresh loop is not driven in tests
			}
			if _, ok := msg.(spinner.TickMsg); ok {
				continue
			}
			d.send(msg)
		case <-time.After(150 * time.Millisecond):
			return
		}
	}
}

func (d *driver) send(msg tea.Msg) {
	_, cmd := d.m.Update(msg)
	d.run(cmd)
}

// press sends key presses named as bubbletea prints them ("enter", "tab", "ctrl+c", "n").
func (d *driver) press(keys ...string) {
	for _, k := range keys {
		d.send(keyPress(k))
	}
}

// typ types text rune by rune.
func (d *driver) typ(s string) {
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyPress(k string) tea.KeyPressMsg {
	special := map[string]rune{"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "up": tea.KeyUp,
		"down": tea.KeyDown, "pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp, "home": tea.KeyHome, "end": tea.KeyEnd,
		"backspace": tea.KeyBackspace, "space": tea.KeySpace, "left": tea.KeyLeft, "right": tea.KeyRight}
	switch {
	case k == "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case strings.HasPrefix(k, "ctrl+"):
		return tea.KeyPressMsg{Code: rune(k[len(k)-1]), Mod: tea.ModCtrl}
	case special[k] != 0:
		return tea.KeyPressMsg{Code: special[k]}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// screen is the rendered screen without ANSI sequences.
func (d *driver) screen() string { return ansi.Strip(d.m.Render()) }

func (d *driver) contains(want ...string) {
	d.t.Helper()
	s := d.screen()
	for _, w := range want {
		if !strings.Contains(s, w) {
			d.t.Fatalf("screen lacks %q:\n%s", w, s)
		}
	}
}

func (d *driver) lacks(unwanted ...string) {
	d.t.Helper()
	s := d.screen()
	for _, w := range unwanted {
		if strings.Contains(s, w) {
			d.t.Fatalf("screen has %q:\n%s", w, s)
		}
	}
}

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// checkSize fails when the screen is not exactly h lines of at most w cells.
func checkSize(t *testing.T, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide, want <= %d: %q", i, lw, w, l)
		}
	}
}
