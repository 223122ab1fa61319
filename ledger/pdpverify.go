package ledger

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"

	"dsp/pdp"
	"dsp/status"
)

// PDPVerifier is the ProofVerifier a ledger uses unless Config.Verifier names another: it checks
// the proof with pdp.VerifyRound over the ledger's own records (the file's FileProveParam, the
// hash of the block at the round's height, the file hash, the prover's address bytes,
// FileBlockNum and ProveBlockNum). It is deterministic: every ledger reaches the same verdict.
type PDPVerifier struct{}

// VerifyProof implements ProofVerifier.
func (PDPVerifier) VerifyProof(c ProofChallenge, proof []byte) error {
	return pdp.VerifyRound(c.FileProveParam, c.Seed[:], c.FileHash, c.Prover[:], c.FileBlockNum, c.ProveBlockNum, proof)
}

// PDP work units: what a transaction costs the block that carries it in verification, about
// 0.13 ms of CPU per unit (one challenged block: a hash to G1 and an MSM term). A proof costs a
// fixed part (decoding, the pairing check of three pairs) plus one unit per challenged block.
const (
	proofBaseWork = 16 // decode the key and proof, the pairing check
	storeFileWork = 8  // decode and subgroup-check the file's 192-byte public key
)

// ProofWork is the PDP work of verifying one proof that challenges c blocks.
func ProofWork(c uint64) uint64 { return proofBaseWork + min(c, pdp.MaxChallenged) }

// txWork is the PDP work p adds to a block applied over k: a proof by the file's ProveBlockNum
// (capped at its block count), a file registration by the key check. Other payloads cost none.
func txWork(k kv, p Payload) uint64 {
	switch p := p.(type) {
	case *SubmitProof:
		v := k.get(sFiles, fileKey(p.FileHash))
		if v == nil {
			return 0 // refused before any verification
		}
		var f FileInfo
		mustDecode(v, &f)
		return ProofWork(min(f.ProveBlockNum, f.FileBlockNum))
	case *StoreFile:
		return storeFileWork
	}
	return 0
}

// verdicts remembers proofs (by everything that determines the verdict) and public keys already
// found valid, so a proof checked at Submit or before a block's lock is not checked again while
// the block is applied. The verdict is a pure function of the key, so caching cannot change
// what any ledger decides. Safe for concurrent use.
type verdicts struct {
	mu   sync.Mutex
	good map[Hash]struct{}
}

const maxVerdicts = 1 << 14

func newVerdicts() *verdicts { return &verdicts{good: map[Hash]struct{}{}} }

func (v *verdicts) has(k Hash) bool {
	if v == nil {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.good[k]
	return ok
}

func (v *verdicts) add(k Hash) {
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.good) >= maxVerdicts {
		clear(v.good)
	}
	v.good[k] = struct{}{}
}

func proofVerdictKey(c *ProofChallenge, proof []byte) Hash {
	h := newHasher()
	h.field([]byte("proof"))
	h.field(encode(c))
	h.field(proof)
	return h.sum()
}

func keyVerdictKey(pub []byte) Hash {
	return sha256.Sum256(append([]byte("pdp-public-key\x00"), pub...))
}

// checkProveParam refuses a FileProveParam that is not a pdp public key.
func (e *env) checkProveParam(pub []byte) error {
	k := keyVerdictKey(pub)
	if e.verdicts.has(k) {
		return nil
	}
	if _, err := pdp.DecodePublicKey(pub); err != nil {
		return invalid("file prove param is not a pdp public key: %v", err)
	}
	e.verdicts.add(k)
	return nil
}

// verifyProof runs the verifier on a proof, once per distinct (challenge, proof).
func (e *env) verifyProof(c *ProofChallenge, proof []byte) error {
	k := proofVerdictKey(c, proof)
	if e.verdicts.has(k) {
		return nil
	}
	if err := e.verifier.VerifyProof(*c, proof); err != nil {
		return err
	}
	e.verdicts.add(k)
	return nil
}

// roundChallenge is the challenge of round r of node's contract for f: the seed is the hash of
// the block at r (zero if the chain has not reached it).
func roundChallenge(k kv, f *FileInfo, node [20]byte, r uint64) *ProofChallenge {
	ch := &ProofChallenge{FileHash: f.FileHash, Prover: node, FileProveParam: f.FileProveParam,
		FileBlockNum: f.FileBlockNum, ProveBlockNum: f.ProveBlockNum, RoundHeight: r}
	copy(ch.Seed[:], k.get(bBlockHash, u64(r)))
	return ch
}

// preverify checks the proofs among ps against the committed state, outside the ledger lock and
// in parallel, and records the valid ones in the verdict cache. It decides nothing: execution
// checks every proof again under the lock (a cache hit when nothing relevant changed).
func (l *Embedded) preverify(ps []*poolTx) {
	type job struct {
		ch    *ProofChallenge
		proof []byte
	}
	if !slices.ContainsFunc(ps, func(p *poolTx) bool { _, ok := p.payload.(*SubmitProof); return ok }) {
		return
	}
	var jobs []job
	_ = l.db.View(func(tx *bolt.Tx) error {
		k := readKV{tx}
		for _, p := range ps {
			sp, ok := p.payload.(*SubmitProof)
			if !ok {
				continue
			}
			v := k.get(sFiles, fileKey(sp.FileHash))
			if v == nil || k.get(bBlockHash, u64(sp.RoundHeight)) == nil || len(sp.Proof) > maxProveParamLen {
				continue
			}
			var f FileInfo
			mustDecode(v, &f)
			jobs = append(jobs, job{roundChallenge(k, &f, p.sender, sp.RoundHeight), sp.Proof})
		}
		return nil
	})
	if len(jobs) == 0 {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(jobs); i += workers {
				j := jobs[i]
				key := proofVerdictKey(j.ch, j.proof)
				if l.verdicts.has(key) {
					continue
				}
				if l.verifier.VerifyProof(*j.ch, j.proof) == nil {
					l.verdicts.add(key)
				}
			}
		}(w)
	}
	wg.Wait()
}

// errBlockWork is returned when a block's transactions exceed Params.MaxBlockProofWork.
func errBlockWork(used, limit uint64) error {
	return status.Wrap(status.ChainUnknownBlock, fmt.Errorf("%w: PDP work %d exceeds the block limit %d", ErrBadBlock, used, limit), "block")
}
