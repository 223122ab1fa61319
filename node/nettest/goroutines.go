package nettest

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// ignored marks goroutines of a library that can outlive what a test closed, through no fault of
// the project: kcp-go's sender (postProcess) of a session its listener made for a stray packet and
// queued for an Accept that never came. kcp-go gives the listener's owner no way to reach such a
// session; node's listener Close drains the queue, yet one is still seen now and then under load.
// A session the project itself leaks is still caught: a dialed one by its reader (readLoop), an
// accepted one by the peer goroutines around it.
var ignored = []string{"kcp-go/v5.(*UDPSession).postProcess("}

// Goroutines returns the number of running goroutines, not counting the ignored ones: the base a
// test takes before it starts what WaitGoroutines then waits for.
func Goroutines() int {
	n := 0
	for _, g := range stacks() {
		if !isIgnored(g) {
			n++
		}
	}
	return n
}

func stacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func isIgnored(g string) bool {
	// The goroutine's own function is on its second line (the first is its header).
	lines := strings.SplitN(g, "\n", 3)
	if len(lines) < 2 {
		return false
	}
	for _, f := range ignored {
		if strings.Contains(lines[1], f) {
			return true
		}
	}
	return false
}

// WaitGoroutines waits up to timeout for the number of running goroutines (Goroutines) to fall
// back to base (a goroutine may still be counted for a moment after it signalled its end). If it
// does not, it fails t with the stacks of the goroutines running code whose path contains pkg
// (e.g. "dsp/" or "dsp/node/fs"), or started by it: the leaked ones; when there are none, with
// the stacks of every other goroutine.
func WaitGoroutines(t testing.TB, base int, timeout time.Duration, pkg string) {
	t.Helper()
	end := time.Now().Add(timeout)
	for Goroutines() > base {
		if time.Now().After(end) {
			all := stacks()
			var ours, others []string
			for _, g := range all[1:] { // all[0] is this goroutine
				switch {
				case isIgnored(g):
				case strings.Contains(g, pkg):
					ours = append(ours, g)
				default:
					others = append(others, g)
				}
			}
			if len(ours) == 0 {
				// None runs or was started by pkg's code: the leak is among the others (a
				// library's goroutine, started for pkg, still running).
				ours = others
			}
			t.Errorf("%d goroutines left, %d before:\n%s", Goroutines(), base, strings.Join(ours, "\n\n"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
