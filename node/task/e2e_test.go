package task

import (
	"path/filepath"
	"testing"

	"dsp/ledger"
	"dsp/node/fs"
	"dsp/store"
)

// TestUploadDownload: an upload with 2 copies to 3 FS nodes is confirmed by both primaries, comes
// back identical through a download from the holders, and again by its URL; a second client
// downloads from all holders at once and then serves the file itself.
func TestUploadDownload(t *testing.T) {
	w := newWorld(t, memNet(), 3)
	alice := w.newClient("alice", nil)
	in, sum := randomFile(t, w.dir, 5*store.BlockSize+1234, 1)

	id, err := alice.m.Upload(ctxT(t, 5e9), UploadRequest{Path: in, Copies: 2, ProveInterval: 10,
		Privilege: ledger.PrivilegePublic, URL: "dsp://hello", Share: true})
	if err != nil {
		t.Fatal(err)
	}
	up := wait(t, alice.m, id, Done)
	if up.URL != "dsp://hello" || up.FileHash == "" {
		t.Fatalf("upload info: url %q hash %q", up.URL, up.FileHash)
	}
	root, _ := store.ParseHash(up.FileHash)
	info, err := w.led.FileInfo(ctxT(t, 5e9), root[:])
	if err != nil {
		t.Fatal(err)
	}
	if len(info.PrimaryNodes) != 2 {
		t.Fatalf("%d primary nodes, want 2", len(info.PrimaryNodes))
	}
	cs, err := w.led.Contracts(ctxT(t, 5e9), root[:])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.State != ledger.ContractActive {
			t.Fatalf("contract of %s: state %d, want active", c.Node, c.State)
		}
	}
	confirmed := 0
	for _, f := range w.fs {
		confirmed += int(f.svc.Stats().Confirmed)
	}
	if confirmed != 2 {
		t.Fatalf("%d confirmations, want 2", confirmed)
	}

	bob := w.newClient("bob", nil)
	out := filepath.Join(w.dir, "bob.out")
	id, err = bob.m.Download(ctxT(t, 5e9), DownloadRequest{Hash: up.FileHash, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	dl := wait(t, bob.m, id, Done)
	if fileSum(t, out) != sum {
		t.Fatal("downloaded bytes differ")
	}
	if len(dl.Peers) < 2 {
		t.Fatalf("downloaded from %d peers, want the holders at once: %+v", len(dl.Peers), dl.Peers)
	}

	carol := w.newClient("carol", nil)
	out2 := filepath.Join(w.dir, "carol.out")
	id, err = carol.m.Download(ctxT(t, 5e9), DownloadRequest{URL: "dsp://hello", Output: out2})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, carol.m, id, Done)
	if fileSum(t, out2) != sum {
		t.Fatal("downloaded bytes by url differ")
	}

	// bob, a finished downloader, serves the file himself (block sharing).
	ctx := ctxT(t, 10e9)
	p, err := carol.host.Connect(ctx, bob.key.Address().String()+"@"+bob.host.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	d, err := fs.OpenDownload(ctx, carol.host, p, root)
	if err != nil {
		t.Fatalf("bob does not serve the file: %v", err)
	}
	defer d.Close()
	if err := d.Request([]store.Hash{root}, []uint64{fs.LinkIndex}); err != nil {
		t.Fatal(err)
	}
	b, err := d.Recv()
	if err != nil || store.Sum(b.Data) != root {
		t.Fatalf("root block from bob: %v", err)
	}
	holders, err := HostScan(carol.host, w.scanURL).Holders(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	seeders := map[string]bool{}
	for _, h := range holders {
		seeders[h.Account.String()] = true
	}
	for _, who := range []*client{alice, bob, carol} {
		if !seeders[who.key.Address().String()] {
			t.Fatalf("%s is not announced to SCAN: %+v", who.key.Address(), holders)
		}
	}
}
