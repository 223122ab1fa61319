package task

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/fs"
	"dsp/pdp"
	"dsp/status"
	"dsp/store"
)

// waitFor polls cond every 50 ms until it holds or ctx ends.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestProofLifeCycle is the devnet check of issue 8 in one process: an embedded ledger making a
// block every 50 ms (genesis defaults: no grace round, 2 intervals to recover), 3 FS nodes over
// mem://. An upload with 2 copies and 1 candidate is proven by both holders round after round, and
// they are paid; then one holder's copy is deleted from its store (file record and blocks, garbage
// collected); within two proof intervals that holder is slashed, and within the recovery rounds
// the candidate fetches the file with its tags from the other holder, confirms it and proves it,
// and the ledger records it as holder. Downloads return the right bytes before, during and after.
func TestProofLifeCycle(t *testing.T) {
	const interval = 40 // blocks of 50 ms: 2 s per round, room for a proof under -race
	w := newWorld(t, memNet(), 3)
	alice := w.newClient("alice", nil)
	up, sum := upload(t, w, alice, 5*store.BlockSize+777, 3, UploadRequest{Copies: 2, Candidates: 1,
		ProveInterval: interval, Privilege: ledger.PrivilegePublic})
	root, _ := store.ParseHash(up.FileHash)
	ctx := ctxT(t, 2*time.Minute)
	info, err := w.led.FileInfo(ctx, root[:])
	if err != nil {
		t.Fatal(err)
	}
	if len(info.PrimaryNodes) != 2 || len(info.CandidateNodes) != 1 {
		t.Fatalf("primaries %v, candidates %v", info.PrimaryNodes, info.CandidateNodes)
	}
	byAddr := map[keys.Address]*fsNode{}
	for _, f := range w.fs {
		byAddr[f.key.Address()] = f
	}
	victim, survivor, cand := byAddr[info.PrimaryNodes[0]], byAddr[info.PrimaryNodes[1]], byAddr[info.CandidateNodes[0]]

	download := func(name string) {
		t.Helper()
		c := w.newClient(name, nil)
		out := filepath.Join(w.dir, name+".out")
		id, err := c.m.Download(ctx, DownloadRequest{Hash: up.FileHash, Output: out})
		if err != nil {
			t.Fatal(err)
		}
		wait(t, c.m, id, Done)
		if fileSum(t, out) != sum {
			t.Fatalf("%s downloaded other bytes", name)
		}
	}
	proofsBy := func(a keys.Address, after uint64) int {
		ps, err := w.led.Proofs(ctx, root[:])
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range ps {
			if p.Node == a && p.RoundHeight > after && p.Verified {
				n++
			}
		}
		return n
	}
	contract := func(a keys.Address) ledger.Contract {
		cs, err := w.led.Contracts(ctx, root[:])
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Node == a {
				return c
			}
		}
		return ledger.Contract{}
	}

	download("bob")
	// The ledger records a proof before the prover loop, which waits for its transaction, counts
	// it: wait for both.
	counted := func(f *fsNode) bool {
		st := statusOf(f.svc, root)
		return st != nil && st.Proofs >= 2
	}
	waitFor(t, ctx, "two valid proofs from each holder", func() bool {
		return proofsBy(victim.key.Address(), 0) >= 2 && proofsBy(survivor.key.Address(), 0) >= 2 && counted(victim) && counted(survivor)
	})
	for _, f := range []*fsNode{victim, survivor} {
		c := contract(f.key.Address())
		if c.State != ledger.ContractActive || c.Paid == 0 || c.Proofs < 2 {
			t.Fatalf("contract of %s: state %d, paid %d, proofs %d", f.name, c.State, c.Paid, c.Proofs)
		}
		st := statusOf(f.svc, root)
		if st == nil || st.Proofs < 2 || st.LastProofHeight == 0 || st.NextDue <= st.LastProofHeight {
			t.Fatalf("prover status of %s: %+v", f.name, st)
		}
	}

	// The victim loses its copy: file record and blocks are gone from its store on disk.
	if err := victim.store.DeleteFile(ctx, root); err != nil {
		t.Fatal(err)
	}
	if _, err := victim.store.GarbageCollect(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := victim.store.HasBlock(ctx, root); ok {
		t.Fatal("the victim still holds the root block")
	}
	h0, err := w.led.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	download("carol")

	ci, err := w.led.ChainInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the victim slashed", func() bool { return contract(victim.key.Address()).State == ledger.ContractFailed })
	failed := contract(victim.key.Address())
	if limit := h0 + (2+ci.Params.ProofGraceRounds)*interval; failed.EndHeight > limit {
		t.Fatalf("victim failed at height %d, lost its copy at %d: later than two intervals (%d)", failed.EndHeight, h0, limit)
	}
	if failed.Slashed == 0 {
		t.Fatal("the failed contract slashed nothing")
	}
	vi, err := w.led.Node(ctx, ledger.RoleFS, victim.key.Address())
	if err != nil || vi.Slashed == 0 || vi.Failures == 0 {
		t.Fatalf("victim's registration after failing: %+v, %v", vi, err)
	}
	if st := statusOf(victim.svc, root); st == nil || st.Failures == 0 || st.LastError == "" {
		t.Fatalf("victim's prover status shows no failure: %+v", st)
	}

	waitFor(t, ctx, "the candidate holds and proves the file", func() bool {
		fi, err := w.led.FileInfo(ctx, root[:])
		return err == nil && slices.Contains(fi.PrimaryNodes, cand.key.Address()) && proofsBy(cand.key.Address(), 0) >= 1
	})
	rc := contract(cand.key.Address())
	if rc.State != ledger.ContractActive || rc.Replaces != victim.key.Address() || rc.Paid == 0 {
		t.Fatalf("candidate's contract: %+v", rc)
	}
	if limit := failed.EndHeight + ci.Params.RecoveryRounds*interval; rc.LastProofHeight > limit {
		t.Fatalf("candidate's first proof for round %d, recovery window ended at %d", rc.LastProofHeight, limit)
	}
	waitFor(t, ctx, "the candidate's prover status", func() bool {
		st := statusOf(cand.svc, root)
		return st != nil && st.Recovered && st.Proofs > 0
	})
	fi, err := w.led.FileInfo(ctx, root[:])
	if err != nil {
		t.Fatal(err)
	}
	if len(fi.PrimaryNodes) != 2 || slices.Contains(fi.PrimaryNodes, victim.key.Address()) || !slices.Contains(fi.FailedNodes, victim.key.Address()) {
		t.Fatalf("after recovery: primaries %v, failed %v", fi.PrimaryNodes, fi.FailedNodes)
	}
	waitFor(t, ctx, "the survivor proving on", func() bool { return proofsBy(survivor.key.Address(), h0) >= 1 })
	download("dave")
}

func statusOf(s *fs.Service, root store.Hash) *fs.ProverFile {
	for _, f := range s.ProverStatus() {
		if f.FileHash == root {
			return &f
		}
	}
	return nil
}

// TestWrongTagsRefused: an uploader that sends well-formed tags that do not match its blocks (two
// tags swapped) is refused by the FS node with FILE_UPLOADED_CHECK_PDP_FAILED; the node neither
// keeps nor confirms the file. The same upload with the right tags is then accepted.
func TestWrongTagsRefused(t *testing.T) {
	w := newWorld(t, memNet(), 1)
	alice := w.newClient("alice", nil)
	ctx := ctxT(t, time.Minute)
	// A file uploaded by hand with its tags 0 and 1 swapped.
	in2, _ := randomFile(t, w.dir, 3*store.BlockSize+10, 5)
	bad := addTagged(t, alice, in2, func(tags []pdp.Tag) { tags[0], tags[1] = tags[1], tags[0] })
	fsn := w.fs[0]
	recordFile(t, w, alice, bad, fsn.key.Address())
	p, err := alice.host.Connect(ctx, fsn.key.Address().String()+"@"+fsn.url)
	if err != nil {
		t.Fatal(err)
	}
	opts := fs.UploadOptions{ProverKey: alice.m.proverKey, Timeout: 10 * time.Second}
	res, err := fs.Upload(ctx, alice.host, alice.store, bad, []*node.Peer{p}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, status.Is(status.TaskFileUploadedCheckPdpFailed)) {
		t.Fatalf("upload with swapped tags: %v, want FILE_UPLOADED_CHECK_PDP_FAILED", res[0].Err)
	}
	if fi, err := fsn.store.File(ctx, bad); err == nil {
		t.Fatalf("the node kept the refused file: %+v", fi)
	}
	for _, c := range mustContracts(t, w, bad) {
		if c.State != ledger.ContractPending {
			t.Fatalf("refused file's contract is %s", ledger.ContractStateName(c.State))
		}
	}

	// Right tags: accepted and confirmed.
	if err := alice.store.DeleteFile(ctx, bad); err != nil {
		t.Fatal(err)
	}
	good := addTagged(t, alice, in2, nil)
	if good != bad {
		t.Fatal("same content, other hash")
	}
	res, err = fs.Upload(ctx, alice.host, alice.store, good, []*node.Peer{p}, opts)
	if err != nil || res[0].Err != nil || !res[0].Done {
		t.Fatalf("upload with the right tags: %v %+v", err, res)
	}
}

// addTagged chunks path into c's store and stores its tags, changed by spoil if set.
func addTagged(t *testing.T, c *client, path string, spoil func([]pdp.Tag)) store.Hash {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sk, _, err := c.m.pdpKey()
	if err != nil {
		t.Fatal(err)
	}
	tee := newTagTee(f, sk.NewTagger(nil, 0))
	fi, err := c.store.AddFile(ctx, tee, store.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := tee.finish(fi.FileHash)
	if err != nil {
		t.Fatal(err)
	}
	if spoil != nil {
		spoil(tags)
	}
	if err := fs.StoreTags(ctx, c.store, fi.FileHash, tags); err != nil {
		t.Fatal(err)
	}
	return fi.FileHash
}

// recordFile puts root on the ledger for c with one primary node.
func recordFile(t *testing.T, w *world, c *client, root store.Hash, primary keys.Address) {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	fi, err := c.store.File(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := c.m.pdpPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	h, err := w.led.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sf := &ledger.StoreFile{FileHash: root[:], BlocksRoot: fi.BlocksRoot[:], FileBlockNum: fi.Blocks, FileBlockSize: store.BlockSize,
		ProveBlockNum: fi.Blocks, FileProveParam: pub, PrimaryNodes: []keys.Address{primary},
		Option: ledger.UploadOption{FileSize: fi.Size, ProveInterval: 1000, ExpiredHeight: h + 5000}}
	if _, err := c.tx.Send(ctx, sf); err != nil {
		t.Fatal(err)
	}
}

func mustContracts(t *testing.T, w *world, root store.Hash) []ledger.Contract {
	t.Helper()
	cs, err := w.led.Contracts(ctxT(t, 10*time.Second), root[:])
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
