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
// (e.g. "dsp/" or "dsp/node/fs"): the leaked ones.
func WaitGoroutines(t testing.TB, base int, timeout time.Duration, pkg string) {
	t.Helper()
	end := time.Now().Add(timeout)
	for runtime.NumGoroutine() > base {
		if time.Now().After(end) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			var ours []string
			for _, g := range strings.Split(string(buf[:n]), "\n\n") {
				if strings.Contains(g, pkg) {
					ours = append(ours, g)
				}
			}
			t.Errorf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), base, strings.Join(ours, "\n\n"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
