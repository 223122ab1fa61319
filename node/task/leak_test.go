package task

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"dsp/ledger"
	"dsp/store"
)

// TestNoGoroutineLeak: after a whole network (ledger, SCAN, FS nodes, clients with managers and
// subscriptions) uploaded and downloaded a file and was closed, no goroutine is left behind.
func TestNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Run("world", func(t *testing.T) {
		w := newWorld(t, memNet(), 2)
		alice := w.newClient("alice", nil)
		sub := alice.m.Subscribe()
		_ = sub // left open: Manager.Close must close it
		up, _ := upload(t, w, alice, 3*store.BlockSize, 9, UploadRequest{Copies: 2, Privilege: ledger.PrivilegePublic})
		bob := w.newClient("bob", nil)
		id, err := bob.m.Download(ctxT(t, 5*time.Second), DownloadRequest{Hash: up.FileHash})
		if err != nil {
			t.Fatal(err)
		}
		wait(t, bob.m, id, Done)
	})
	end := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(end) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			var ours []string
			for _, g := range strings.Split(string(buf[:n]), "\n\n") {
				if strings.Contains(g, "dsp/") {
					ours = append(ours, g)
				}
			}
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, strings.Join(ours, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
