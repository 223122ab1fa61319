package nettest

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// WaitGoroutines waits up to timeout for the number of running goroutines to fall back to base
// (a goroutine may still be counted for a moment after it signalled its end). If it does not,
// it fails t with the stacks of the goroutines running code whose path contains pkg
// (e.g. "dsp/" or "dsp/node/fs"), or started by it: the leaked ones; when there are none, with
// the stacks of every other goroutine.
func WaitGoroutines(t testing.TB, base int, timeout time.Duration, pkg string) {
	t.Helper()
	end := time.Now().Add(timeout)
	for runtime.NumGoroutine() > base {
		if time.Now().After(end) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			all := strings.Split(string(buf[:n]), "\n\n")
			var ours []string
			for _, g := range all[1:] { // all[0] is this goroutine
				if strings.Contains(g, pkg) {
					ours = append(ours, g)
				}
			}
			if len(ours) == 0 {
				// None runs or was started by pkg's code: show every other one, the leak is among
				// them (a library's goroutine, started for pkg, still running).
				ours = all[1:]
			}
			t.Errorf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), base, strings.Join(ours, "\n\n"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
