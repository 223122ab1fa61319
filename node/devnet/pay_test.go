package devnet

import (
	"bytes"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dsp/node"
	"dsp/node/client"
	"dsp/node/roles"
	"dsp/store"
)

// TestDevnetPaidDownload: three FS nodes with prices 1, 2 and 3 hold a public file; a new node
// downloads it from all of them at once. Afterwards each holder's earnings for the file (through
// its client API) equal the data bytes it served times its price, and the downloader's channels
// (through its client API) show the same amounts sent, as does the download task for each holder
// (its price and what it paid) and in all.
func TestDevnetPaidDownload(t *testing.T) {
	prices := []uint64{1, 2, 3}
	d, err := Start(ctxT(t, 60*time.Second), Config{Dir: t.TempDir(), FS: 3, BlockInterval: 100 * time.Millisecond,
		ConfirmTimeout: 30 * time.Second, FSPrices: prices})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := ctxT(t, 120*time.Second)
	content := make([]byte, 24*store.BlockSize+999)
	rand.Read(content)
	in := filepath.Join(t.TempDir(), "in.bin")
	if err := os.WriteFile(in, content, 0o644); err != nil {
		t.Fatal(err)
	}
	up, err := d.Client().Upload(ctx, client.UploadRequest{Path: in, Copies: 3, Privilege: 1})
	if err != nil {
		t.Fatal(err)
	}
	file := waitTask(t, d.Client(), up.ID).FileHash

	// A downloader of its own, so that only the three priced holders serve it.
	ledgerURL := d.Ledger.URL()
	dl, err := roles.Open(roles.Config{Options: node.Options{DataDir: t.TempDir(), Listen: []string{"kcp://127.0.0.1:0"},
		Peers: []string{ledgerURL}, Logger: slog.New(slog.DiscardHandler), ReconnectInterval: time.Second, Host: d.cfg.Host},
		Ledger: ledgerURL})
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	if err := d.fund(ctx, dl.Key().Address()); err != nil {
		t.Fatal(err)
	}
	c := dl.Client()
	out := filepath.Join(t.TempDir(), "out.bin")
	task, err := c.Download(ctx, client.DownloadRequest{Hash: file, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	done := waitTask(t, c, task.ID)
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("downloaded %d bytes, err %v", len(got), err)
	}

	me := dl.Key().Address()
	root, _ := store.ParseHash(file)
	chs, err := c.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total, paid uint64
	serving := 0
	for i, fsn := range d.FS {
		served := fsn.FS().Served(me, root)
		total += served
		if served > 0 {
			serving++
		}
		es, err := fsn.Client().Earnings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var earned uint64
		for _, e := range es.Files {
			if e.Peer == me && e.FileHash == file {
				earned += e.Amount
			}
		}
		if earned != served*prices[i] {
			t.Errorf("fs%d at %d: earned %d for %d bytes served, want %d", i+1, prices[i], earned, served, served*prices[i])
		}
		var sent uint64
		for _, ch := range chs.Channels {
			if ch.Partner == fsn.Key().Address() {
				sent += ch.Sent
				if ch.State != "open" || ch.Available == 0 {
					t.Errorf("channel to fs%d: %+v", i+1, ch)
				}
			}
		}
		if sent != earned {
			t.Errorf("fs%d: the downloader's channels sent %d, the holder earned %d", i+1, sent, earned)
		}
		// The task says the same of this holder.
		var peer *client.TaskPeer
		for j := range done.Peers {
			if done.Peers[j].Account == fsn.Key().Address() {
				peer = &done.Peers[j]
			}
		}
		switch {
		case peer == nil && served > 0:
			t.Errorf("fs%d served %d bytes and is not among the task's peers", i+1, served)
		case peer != nil && (peer.Price != prices[i] || peer.Paid != earned):
			t.Errorf("fs%d: the task reports price %d, paid %d; the holder earned %d at %d", i+1, peer.Price, peer.Paid, earned, prices[i])
		}
		paid += earned
	}
	if done.Paid != paid {
		t.Errorf("the task reports %d paid in all, the holders earned %d", done.Paid, paid)
	}
	if total < uint64(len(content)) {
		t.Fatalf("holders served %d data bytes of %d", total, len(content))
	}
	if serving < 2 {
		t.Fatalf("%d holders served: want the scheduler to use several", serving)
	}
}
