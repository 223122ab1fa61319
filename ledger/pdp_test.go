package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"dsp/keys"
	"dsp/pdp"
	"dsp/status"
)

// pdpFile is a small tagged file as its holders keep it: 8 blocks of 100 bytes (4 sectors each),
// tagged under the test owner's key with the file hash as name.
type pdpFile struct {
	hash   []byte
	blocks [][]byte
	tags   []pdp.Tag
	pk     *pdp.ProverKey
}

func newPDPFile(t testing.TB, hash string) *pdpFile {
	t.Helper()
	sk := testPDPKey()
	pf := &pdpFile{hash: []byte(hash)}
	tg := sk.NewTagger(pf.hash, 1)
	defer tg.Close()
	for i := 0; i < 8; i++ {
		b := bytes.Repeat([]byte(fmt.Sprintf("%s block %d;", hash, i)), 10)[:100]
		pf.blocks = append(pf.blocks, b)
		if err := tg.Add(b); err != nil {
			t.Fatal(err)
		}
	}
	tags, err := tg.Finish(nil)
	if err != nil {
		t.Fatal(err)
	}
	pf.tags = tags
	if pf.pk, err = sk.ProverKey(4); err != nil {
		t.Fatal(err)
	}
	return pf
}

// prove answers ch as an honest holder does (pdp.ProveRound over the ledger's challenge).
func (pf *pdpFile) prove(t testing.TB, ch *ProofChallenge) []byte {
	t.Helper()
	p, err := pdp.ProveRound(pf.pk, ch.Seed[:], ch.FileHash, ch.Prover[:], ch.FileBlockNum, ch.ProveBlockNum,
		func(i uint64) ([]byte, error) { return pf.blocks[i], nil },
		func(i uint64) ([]byte, error) { return pf.tags[i][:], nil })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// challenge returns node's open challenge for the file, failing the test if none is open.
func (f *fixture) challenge(hash []byte, node *keys.KeyPair) *ProofChallenge {
	f.t.Helper()
	ch, err := f.api.Challenge(f.ctx(), hash, node.Address())
	if err != nil {
		f.t.Fatalf("challenge of %s: %v", node.Address(), err)
	}
	return ch
}

// until produces blocks until the height is h.
func (f *fixture) until(h uint64) {
	f.t.Helper()
	for f.height() < h {
		f.produce(1)
	}
}

// TestPDPVerification runs the ledger's own verifier (pdp.VerifyRound, the default) over real
// proofs: an honest proof is paid and recorded verified; a flipped byte, a proof made for another
// round, a proof by a node that holds no contract, and a proof made by a holder for another
// holder's challenge are refused with FILE_UPLOADED_CHECK_PDP_FAILED and change nothing.
func TestPDPVerification(t *testing.T) {
	for _, api := range []struct {
		name string
		mk   apiMaker
	}{{"embedded", embeddedAPI}, {"remote", remoteAPI}} {
		t.Run(api.name, func(t *testing.T) {
			f := newFixtureWith(t, api.mk, nil)
			f.registerFS()
			pf := newPDPFile(t, "pdp-real")
			sf := f.storeFile(f.alice, "pdp-real", 1000, f.fs[0], f.fs[1])
			sf.Option.ProveInterval = 20
			f.ok(f.alice, sf)
			c0 := f.ok(f.fs[0], &ConfirmFile{FileHash: sf.FileHash}).Height
			f.ok(f.fs[1], &ConfirmFile{FileHash: sf.FileHash})
			f.until(c0 + 20)
			ch := f.challenge(sf.FileHash, f.fs[0])
			if ch.RoundHeight != c0+20 || ch.Deadline != c0+40 {
				t.Fatalf("challenge %+v", ch)
			}
			good := pf.prove(t, ch)
			for i := range good {
				bad := bytes.Clone(good)
				bad[i] ^= 0x01
				if i%16 != 0 && i != len(good)-1 {
					continue // one byte in 16, and the last: each costs a pairing check and a block
				}
				f.refused(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: ch.RoundHeight, Proof: bad}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
			}
			// A proof made for the round before's seed (another round).
			other := *ch
			other.Seed, _ = f.api.BlockHash(f.ctx(), ch.RoundHeight-1)
			f.refused(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: ch.RoundHeight, Proof: pf.prove(t, &other)}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
			// fs[2] holds no contract, even with a valid proof for its own address.
			mine := *ch
			mine.Prover = f.fs[2].Address()
			f.refused(f.fs[2], &SubmitProof{FileHash: sf.FileHash, RoundHeight: ch.RoundHeight, Proof: pf.prove(t, &mine)}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
			// fs[1] submits fs[0]'s proof: the challenge is bound to the prover.
			f.refused(f.fs[1], &SubmitProof{FileHash: sf.FileHash, RoundHeight: ch.RoundHeight, Proof: good}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
			before := f.balance(f.fs[0])
			f.ok(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: ch.RoundHeight, Proof: good})
			if got := f.balance(f.fs[0]); got != before+2*1*20-1 {
				t.Fatalf("paid %d, want 40", got-before+1)
			}
			ps, _ := f.api.Proofs(f.ctx(), sf.FileHash)
			if len(ps) != 1 || !ps[0].Verified || !bytes.Equal(ps[0].Proof, good) {
				t.Fatalf("proofs %+v", ps)
			}
		})
	}
}

// TestProveParamRefused: a FileProveParam that is not a pdp public key, or a ProveBlockNum above
// pdp.MaxChallenged, is refused at registration.
func TestProveParamRefused(t *testing.T) {
	f := newFixtureWith(t, nil, nil)
	f.registerFS()
	sf := f.storeFile(f.alice, "bad-key", 1000, f.fs[0])
	sf.FileProveParam = []byte("v||kappa")
	f.refused(f.alice, sf, status.InvalidParams, ErrMalformed)
	flipped := f.storeFile(f.alice, "flipped-key", 1000, f.fs[0])
	flipped.FileProveParam = bytes.Clone(testPublicKey())
	flipped.FileProveParam[40] ^= 0x40
	f.refused(f.alice, flipped, status.InvalidParams, ErrMalformed)
	many := f.storeFile(f.alice, "many", 1000, f.fs[0])
	many.FileBlockNum, many.ProveBlockNum = 10000, pdp.MaxChallenged+1
	f.refused(f.alice, many, status.InvalidParams, ErrMalformed)
}

// TestBlockProofWork: a block's PDP work is bounded by Params.MaxBlockProofWork. The producer
// leaves proofs beyond the budget for the next block, in order; a follower refuses a block over
// its budget and changes nothing.
func TestBlockProofWork(t *testing.T) {
	f := newFixture(t, embeddedAPI)
	f.registerFS()
	sf := f.storeFile(f.alice, "work", 1000, f.fs[0], f.fs[1])
	f.ok(f.alice, sf)
	c0 := f.ok(f.fs[0], &ConfirmFile{FileHash: sf.FileHash}).Height
	f.ok(f.fs[1], &ConfirmFile{FileHash: sf.FileHash}) // its round is c0+11
	fl := follower(t, f.g)
	sync := func() {
		for h := fl.mustHeight(t) + 1; h <= f.height(); h++ {
			b, _ := f.l.Block(f.ctx(), h)
			if err := fl.ApplyBlock(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.until(c0 + 11)
	sync()
	for _, k := range f.fs[:2] {
		ch := f.challenge(sf.FileHash, k)
		if _, err := f.api.Submit(f.ctx(), f.tx(k, &SubmitProof{FileHash: sf.FileHash, RoundHeight: ch.RoundHeight, Proof: []byte("proof")})); err != nil {
			t.Fatal(err)
		}
	}
	b, err := f.l.ProduceBlock() // default budget: both proofs
	if err != nil || len(b.Txs) != 2 {
		t.Fatalf("block of %d txs: %v", len(b.Txs), err)
	}
	fl.params.MaxBlockProofWork = ProofWork(4) // one proof of 4 blocks
	before, _ := fl.StateRoot(f.ctx())
	if err := fl.ApplyBlock(b); !errors.Is(err, ErrBadBlock) || status.CodeOf(err, 0) != status.ChainUnknownBlock.Num() {
		t.Fatalf("block over the budget: %v", err)
	}
	if after, _ := fl.StateRoot(f.ctx()); after != before || fl.mustHeight(t) != f.height()-1 {
		t.Fatal("a refused block changed the follower")
	}
	// The producer under the same budget splits them over two blocks.
	f.l.params.MaxBlockProofWork = ProofWork(4)
	f.until(c0 + 21)
	for _, k := range f.fs[:2] {
		ch := f.challenge(sf.FileHash, k)
		if _, err := f.api.Submit(f.ctx(), f.tx(k, &SubmitProof{FileHash: sf.FileHash, RoundHeight: ch.RoundHeight, Proof: []byte("proof")})); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []int{1, 1, 0} {
		b, err := f.l.ProduceBlock()
		if err != nil || len(b.Txs) != want {
			t.Fatalf("block of %d txs, want %d: %v", len(b.Txs), want, err)
		}
	}
}

func (l *Embedded) mustHeight(t *testing.T) uint64 {
	t.Helper()
	h, err := l.Height(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}
