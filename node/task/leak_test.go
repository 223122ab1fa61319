package task

import (
	"testing"
	"time"

	"dsp/ledger"
	"dsp/node/nettest"
	"dsp/store"
)

// TestNoGoroutineLeak: after a whole network (ledger, SCAN, FS nodes, clients with managers and
// subscriptions) uploaded and downloaded a file and was closed, no goroutine is left behind.
func TestNoGoroutineLeak(t *testing.T) {
	base := nettest.Goroutines()
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
	nettest.WaitGoroutines(t, base, 10*time.Second, "dsp/")
}
