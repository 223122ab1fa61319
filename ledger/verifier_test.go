package ledger

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"dsp/status"
)

// recordingVerifier refuses proofs that start with "bad" and remembers the challenges it saw.
type recordingVerifier struct {
	mu   sync.Mutex
	seen []ProofChallenge
}

func (v *recordingVerifier) VerifyProof(c ProofChallenge, proof []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen = append(v.seen, c)
	if bytes.HasPrefix(proof, []byte("bad")) {
		return errors.New("pairing check failed")
	}
	return nil
}

// TestProofVerifier: with a verifier the ledger hands it the round's challenge (seed = the hash
// of the block at the round's height), refuses what it refuses without changing anything, and
// marks what it accepts as verified. Past expiry no round can be proven and the contract shows
// as ended.
func TestProofVerifier(t *testing.T) {
	v := &recordingVerifier{}
	f := newFixtureWith(t, nil, v)
	f.registerFS()
	sf := f.storeFile(f.alice, "pdp", 1000, f.fs[0])
	sf.Option.ExpiredHeight = f.height() + 25
	f.ok(f.alice, sf)
	c0 := f.ok(f.fs[0], &ConfirmFile{FileHash: sf.FileHash}).Height
	for f.height() < c0+10 {
		f.produce(1)
	}
	f.refused(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 10, Proof: []byte("bad proof")}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
	seed, _ := f.api.BlockHash(f.ctx(), c0+10)
	v.mu.Lock()
	got := v.seen[len(v.seen)-1]
	v.mu.Unlock()
	if got.Seed != seed || got.RoundHeight != c0+10 || got.Prover != f.fs[0].Address() || !bytes.Equal(got.FileProveParam, sf.FileProveParam) || got.ProveBlockNum != 4 || got.FileBlockNum != 8 {
		t.Fatalf("challenge %+v", got)
	}
	f.ok(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 10, Proof: []byte("good")})
	ps, _ := f.api.Proofs(f.ctx(), sf.FileHash)
	if len(ps) != 1 || !ps[0].Verified {
		t.Fatalf("proofs %+v", ps)
	}
	// Round c0+20 is proven on time; the file expires before round c0+30: that round is not owed
	// (no deadline, no slashing) and cannot be proven.
	f.until(c0 + 20)
	f.ok(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 20, Proof: []byte("good")})
	if cs, _ := f.api.Contracts(f.ctx(), sf.FileHash); cs[0].Deadline != 0 || cs[0].NextProveHeight != c0+30 {
		t.Fatalf("contract after its last owed round %+v", cs[0])
	}
	for f.height() < c0+30 {
		f.produce(1)
	}
	f.refused(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 30, Proof: []byte("good")}, status.TaskFileUploadedCheckPdpFailed, nil)
	cs, _ := f.api.Contracts(f.ctx(), sf.FileHash)
	if len(cs) != 1 || cs[0].State != ContractEnded || cs[0].EndReason != EndExpired {
		t.Fatalf("expired contract %+v", cs)
	}
	if _, err := f.api.Challenge(f.ctx(), sf.FileHash, f.fs[0].Address()); !errors.Is(err, ErrExpired) {
		t.Fatalf("challenge after expiry: %v", err)
	}
	// The node closes it: the rest returns to the owner, the space is freed.
	before := f.balance(f.alice)
	f.ok(f.fs[0], &CloseContract{FileHash: sf.FileHash, Node: f.fs[0].Address()})
	cs, _ = f.api.Contracts(f.ctx(), sf.FileHash)
	if f.balance(f.alice) != before+cs[0].Deposit-cs[0].Paid {
		t.Fatalf("refund after expiry: %d", f.balance(f.alice)-before)
	}
}
