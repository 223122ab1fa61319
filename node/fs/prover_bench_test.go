package fs

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/pdp"
	"dsp/store"
)

// BenchmarkProofFromStore is one round's proof as the prover loop makes it: c = 64 challenged
// 256 KiB blocks of a 128-block file, read with their tags from a bbolt store, then pdp. It
// reports the split (read-ms: store reads of blocks and tags; pdp-ms: the rest of ProveRound) and
// checks the proof with pdp.VerifyRound.
//
//	go test -run '^$' -bench ProofFromStore -benchtime 10x ./node/fs
func BenchmarkProofFromStore(b *testing.B) {
	ctx := context.Background()
	st := openStore(b)
	fi := addRandom(b, st, 128*store.BlockSize, 7)
	seed := sha256.Sum256([]byte("bench prover key"))
	sk, err := pdp.DeriveSecretKey(seed[:])
	if err != nil {
		b.Fatal(err)
	}
	hashes, err := st.DataBlockHashes(ctx, fi.FileHash)
	if err != nil {
		b.Fatal(err)
	}
	tg := sk.NewTagger(fi.FileHash[:], 0)
	for _, h := range hashes {
		blk, err := st.GetBlock(ctx, h)
		if err != nil {
			b.Fatal(err)
		}
		tg.Add(blk)
	}
	tags, err := tg.Finish(nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := StoreTags(ctx, st, fi.FileHash, tags); err != nil {
		b.Fatal(err)
	}
	pk, err := sk.ProverKey(pdp.MaxSectors)
	if err != nil {
		b.Fatal(err)
	}
	s := &Service{cfg: Config{Store: st}, keys: newProverKeys("")}
	s.prover = newProver(s)
	pub := sk.PublicKey()
	if _, err := s.keys.add(pub, pk.Bytes()); err != nil {
		b.Fatal(err)
	}
	var prover keys.Address
	prover[0] = 1
	var read, work time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch := &ledger.ProofChallenge{FileHash: fi.FileHash[:], Prover: prover, FileProveParam: pub.Bytes(),
			FileBlockNum: fi.Blocks, ProveBlockNum: 64, RoundHeight: uint64(i + 1), Seed: ledger.Hash(sha256.Sum256([]byte{byte(i), byte(i >> 8)}))}
		proof, r, w, err := s.prover.makeProof(ctx, ch)
		if err != nil {
			b.Fatal(err)
		}
		read, work = read+r, work+w
		b.StopTimer()
		if err := pdp.VerifyRound(ch.FileProveParam, ch.Seed[:], ch.FileHash, prover[:], fi.Blocks, 64, proof); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(read.Microseconds())/1000/float64(b.N), "read-ms")
	b.ReportMetric(float64(work.Microseconds())/1000/float64(b.N), "pdp-ms")
}
