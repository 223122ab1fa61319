package ledger

import (
	"context"
	"slices"
	"testing"

	"dsp/keys"
	"dsp/status"
)

// prover keeps the rounds an honest holder already proved.
type prover struct {
	f      *fixture
	pf     *pdpFile
	proved map[keys.Address]uint64
}

// step makes one block: each honest node whose round is open and unproven submits its proof
// (all in that block); with nothing to prove an empty block is made.
func (p *prover) step(honest ...*keys.KeyPair) {
	p.f.t.Helper()
	var hashes []Hash
	for _, k := range honest {
		ch, err := p.f.api.Challenge(p.f.ctx(), p.pf.hash, k.Address())
		if err != nil || ch.RoundHeight <= p.proved[k.Address()] {
			continue
		}
		h, err := p.f.api.Submit(p.f.ctx(), p.f.tx(k, &SubmitProof{FileHash: p.pf.hash, RoundHeight: ch.RoundHeight, Proof: p.pf.prove(p.f.t, ch)}))
		if err != nil {
			p.f.t.Fatalf("proof of %s for round %d: %v", k.Address(), ch.RoundHeight, err)
		}
		p.proved[k.Address()] = ch.RoundHeight
		hashes = append(hashes, h)
	}
	p.f.produce(1)
	for _, h := range hashes {
		if r, err := p.f.api.WaitTx(p.f.ctx(), h); err != nil || r.Code != 0 {
			p.f.t.Fatalf("proof receipt %+v %v", r, err)
		}
	}
}

func (p *prover) until(h uint64, honest ...*keys.KeyPair) {
	p.f.t.Helper()
	for p.f.height() < h {
		p.step(honest...)
	}
}

func contractOf(t *testing.T, f *fixture, fh []byte, n *keys.KeyPair) Contract {
	t.Helper()
	cs, err := f.api.Contracts(f.ctx(), fh)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Node == n.Address() {
			return c
		}
	}
	t.Fatalf("no contract of %s", n.Address())
	return Contract{}
}

func nodeOf(t *testing.T, f *fixture, n *keys.KeyPair) *NodeInfo {
	t.Helper()
	ni, err := f.api.Node(f.ctx(), RoleFS, n.Address())
	if err != nil {
		t.Fatal(err)
	}
	return ni
}

// TestPunishAndRecover: with real pdp proofs, a holder (fs0) that stops proving is slashed once
// at its deadline, its contract fails, and the candidate (fs2) is assigned as a recovering node;
// the failed node's proofs are refused from then on; the candidate confirms, its first valid
// proof makes it a primary node in fs0's place (the copy count holds) and pays it the bounty.
// Replaying the chain into a fresh ledger gives the same state root.
func TestPunishAndRecover(t *testing.T) {
	for _, api := range []struct {
		name string
		mk   apiMaker
	}{{"embedded", embeddedAPI}, {"remote", remoteAPI}} {
		t.Run(api.name, func(t *testing.T) { testPunishAndRecover(t, newFixtureWith(t, api.mk, nil)) })
	}
}

func testPunishAndRecover(t *testing.T, f *fixture) {
	f.registerFS()
	fs0, fs1, fs2 := f.fs[0], f.fs[1], f.fs[2]
	pf := newPDPFile(t, "recover-me")
	sf := f.storeFile(f.alice, "recover-me", 1000, fs0, fs1)
	sf.CandidateNodes = []keys.Address{fs2.Address()}
	f.ok(f.alice, sf)
	c0 := f.ok(fs0, &ConfirmFile{FileHash: sf.FileHash}).Height
	f.ok(fs1, &ConfirmFile{FileHash: sf.FileHash})
	if ds, err := f.api.Duties(f.ctx(), fs0.Address()); err != nil || len(ds) != 1 || ds[0].State != ContractActive ||
		ds[0].NextProveHeight != c0+10 || ds[0].Deadline != c0+20 || ds[0].FileBlockNum != 8 || ds[0].ProveBlockNum != 4 {
		t.Fatalf("duties of fs0 %+v %v", ds, err)
	}
	p := &prover{f: f, pf: pf, proved: map[keys.Address]uint64{}}
	// fs0 proves its first round, then goes silent; fs1 keeps proving.
	p.until(c0+11, fs0, fs1)
	pledge := nodeOf(t, f, fs0).Pledge
	left := contractOf(t, f, sf.FileHash, fs0).Balance
	p.until(c0+29, fs1)
	if c := contractOf(t, f, sf.FileHash, fs0); c.State != ContractActive || c.Deadline != c0+30 {
		t.Fatalf("before the deadline %+v", c)
	}
	p.step(fs1) // block c0+30: fs0's last chance to prove round c0+20 passes
	c := contractOf(t, f, sf.FileHash, fs0)
	n0 := nodeOf(t, f, fs0)
	slash := (pledge*10 + 99) / 100
	if c.State != ContractFailed || c.EndHeight != c0+30 || c.Slashed != slash || c.Balance != 0 || c.Deadline != 0 ||
		n0.Pledge != pledge-slash || n0.Failures != 1 || n0.Slashed != slash || n0.Used != 0 {
		t.Fatalf("failed holder: contract %+v node %+v", c, n0)
	}
	fi, _ := f.api.FileInfo(f.ctx(), sf.FileHash)
	if !slices.Equal(fi.FailedNodes, []keys.Address{fs0.Address()}) || !slices.Equal(fi.RecoveringNodes, []keys.Address{fs2.Address()}) {
		t.Fatalf("file after failure: failed %v recovering %v", fi.FailedNodes, fi.RecoveringNodes)
	}
	rc := contractOf(t, f, sf.FileHash, fs2)
	if rc.State != ContractRecovering || rc.Replaces != fs0.Address() || rc.Bounty != slash || rc.Balance != left ||
		rc.Rate != c.Rate || rc.Deadline != c0+30+2*10 || nodeOf(t, f, fs2).Used != 1000 {
		t.Fatalf("recovering contract %+v", rc)
	}
	ds, err := f.api.Duties(f.ctx(), fs2.Address())
	if err != nil || len(ds) != 1 || ds[0].State != ContractRecovering || ds[0].Confirmed || ds[0].Replaces != fs0.Address() ||
		!slices.Equal(ds[0].Holders, []keys.Address{fs1.Address()}) || ds[0].Deadline != rc.Deadline {
		t.Fatalf("duties of the recovering node %+v %v", ds, err)
	}
	if ds, _ := f.api.Duties(f.ctx(), fs0.Address()); len(ds) != 0 {
		t.Fatalf("a failed node still has duties %+v", ds)
	}
	// The failed node cannot be paid any more, even with a valid proof for the open round.
	ch := &ProofChallenge{FileHash: sf.FileHash, Prover: fs0.Address(), FileProveParam: sf.FileProveParam,
		FileBlockNum: 8, ProveBlockNum: 4, RoundHeight: c0 + 30}
	ch.Seed, _ = f.api.BlockHash(f.ctx(), c0+30)
	f.refused(fs0, &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 30, Proof: pf.prove(t, ch)}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
	// Not before it confirms.
	if _, err := f.api.Challenge(f.ctx(), sf.FileHash, fs2.Address()); status.CodeOf(err, 0) != status.TaskFileUploadedCheckPdpFailed.Num() {
		t.Fatalf("challenge before confirm: %v", err)
	}
	hc := f.ok(fs2, &ConfirmFile{FileHash: sf.FileHash}).Height
	rch := f.challenge(sf.FileHash, fs2)
	if rch.RoundHeight != hc {
		t.Fatalf("recovery round %d, want the confirm height %d", rch.RoundHeight, hc)
	}
	// Slashed exactly once: nothing more is taken while the recovery runs.
	bal2 := f.balance(fs2)
	p.step(fs1, fs2)
	if got := f.balance(fs2); got != bal2+rc.Rate*10+slash-1 {
		t.Fatalf("recovering node paid %d, want %d + bounty %d", got-bal2+1, rc.Rate*10, slash)
	}
	fi, _ = f.api.FileInfo(f.ctx(), sf.FileHash)
	if !slices.Equal(fi.PrimaryNodes, []keys.Address{fs2.Address(), fs1.Address()}) || len(fi.RecoveringNodes) != 0 ||
		uint64(len(fi.PrimaryNodes)) != fi.CopyNum+1 {
		t.Fatalf("file after recovery: primary %v recovering %v", fi.PrimaryNodes, fi.RecoveringNodes)
	}
	if rc := contractOf(t, f, sf.FileHash, fs2); rc.State != ContractActive || rc.Proofs != 1 || rc.Bounty != 0 ||
		rc.NextProveHeight != hc+10 || rc.Deadline != hc+20 {
		t.Fatalf("recovered contract %+v", rc)
	}
	// The replaced node's proofs stay refused; the new holder and fs1 keep proving.
	ch.RoundHeight = c0 + 40
	p.until(c0+41, fs1, fs2)
	ch.Seed, _ = f.api.BlockHash(f.ctx(), c0+40)
	f.refused(fs0, &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 40, Proof: pf.prove(t, ch)}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
	p.until(hc+25, fs1, fs2)
	if n := nodeOf(t, f, fs0); n.Pledge != pledge-slash || n.Failures != 1 {
		t.Fatalf("slashed again: %+v", n)
	}
	for _, n := range []*keys.KeyPair{fs1, fs2} {
		if c := contractOf(t, f, sf.FileHash, n); c.State != ContractActive {
			t.Fatalf("honest holder %s: %+v", n.Address(), c)
		}
	}
	replayMatches(t, f)
}

// replayMatches applies every block of f's chain to a fresh ledger verifying with pdp and
// requires the same state root.
func replayMatches(t *testing.T, f *fixture) {
	t.Helper()
	fl, err := Open(Config{Path: t.TempDir() + "/replay.db", Genesis: f.g, BlockInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	ctx := context.Background()
	for h := uint64(1); h <= f.height(); h++ {
		b, err := f.l.Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := fl.ApplyBlock(b); err != nil {
			t.Fatalf("replay block %d: %v", h, err)
		}
	}
	r1, _ := f.l.StateRoot(ctx)
	r2, _ := fl.StateRoot(ctx)
	if r1 != r2 {
		t.Fatalf("state root after replay %s, producer %s", r2, r1)
	}
}

// TestRecoveryTimeout: a candidate that never confirms is replaced at the end of its window
// (not slashed, its space freed, its funds and bounty moved on) by another registered FS node
// picked from the block hash; with no eligible node left the owner gets funds and bounty back.
func TestRecoveryTimeout(t *testing.T) {
	f := newFixtureWith(t, nil, nil)
	f.registerFS()
	fs0, fs1, fs2 := f.fs[0], f.fs[1], f.fs[2]
	fs3 := genKey(t)
	f.ok(f.alice, &Transfer{To: fs3.Address(), Amount: 100000})
	f.ok(fs3, &RegisterNode{Info: fsInfo(5)})
	pf := newPDPFile(t, "timeout")
	sf := f.storeFile(f.alice, "timeout", 1000, fs0, fs1)
	sf.CandidateNodes = []keys.Address{fs2.Address()}
	f.ok(f.alice, sf)
	c0 := f.ok(fs0, &ConfirmFile{FileHash: sf.FileHash}).Height
	f.ok(fs1, &ConfirmFile{FileHash: sf.FileHash})
	p := &prover{f: f, pf: pf, proved: map[keys.Address]uint64{}}
	p.until(c0+20, fs1) // fs0 never proves round c0+10: it fails at the end of block c0+20
	rc := contractOf(t, f, sf.FileHash, fs2)
	if rc.State != ContractRecovering || rc.Deadline != c0+20+20 {
		t.Fatalf("recovering %+v", rc)
	}
	p.until(c0+40, fs1) // fs2 never confirms
	if c := contractOf(t, f, sf.FileHash, fs2); c.State != ContractEnded || c.EndReason != EndRecoveryTimeout || c.Balance != 0 {
		t.Fatalf("timed out %+v", c)
	}
	if n := nodeOf(t, f, fs2); n.Used != 0 || n.Failures != 0 || n.Pledge != 5000 {
		t.Fatalf("timed-out recoverer %+v", n)
	}
	fi, _ := f.api.FileInfo(f.ctx(), sf.FileHash)
	if !slices.Equal(fi.FailedNodes, []keys.Address{fs0.Address(), fs2.Address()}) || !slices.Equal(fi.RecoveringNodes, []keys.Address{fs3.Address()}) {
		t.Fatalf("after timeout: failed %v recovering %v", fi.FailedNodes, fi.RecoveringNodes)
	}
	r3 := contractOf(t, f, sf.FileHash, fs3)
	if r3.State != ContractRecovering || r3.Bounty != rc.Bounty || r3.Balance != rc.Balance || r3.Replaces != fs0.Address() {
		t.Fatalf("second recoverer %+v, first %+v", r3, rc)
	}
	// fs3 times out too: nobody is left, the owner gets the funds and the bounty.
	before := f.balance(f.alice)
	p.until(c0+60, fs1)
	if got := f.balance(f.alice); got != before+r3.Balance+r3.Bounty {
		t.Fatalf("owner refund %d, want %d", got-before, r3.Balance+r3.Bounty)
	}
	fi, _ = f.api.FileInfo(f.ctx(), sf.FileHash)
	if len(fi.RecoveringNodes) != 0 || len(fi.FailedNodes) != 3 {
		t.Fatalf("after the last timeout: failed %v recovering %v", fi.FailedNodes, fi.RecoveringNodes)
	}
	// Deleting the file clears every contract and index entry.
	f.ok(f.alice, &DeleteFile{FileHash: sf.FileHash})
	for _, k := range []*keys.KeyPair{fs0, fs1, fs2, fs3} {
		if ds, _ := f.api.Duties(f.ctx(), k.Address()); len(ds) != 0 {
			t.Fatalf("duties after delete %+v", ds)
		}
	}
	replayMatches(t, f)
}
