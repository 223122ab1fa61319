package pdp

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

// Performance goals (docs/pdp.md): tagging >= 400 MB/s on 2 cores; one proof for c = 64 full
// blocks < 100 ms plus reading them; one verification for c = 64 < 15 ms. Run with
//
//	go test -run '^$' -bench . -benchtime 2s ./pdp
//
// Every benchmark reports its own rate and a ratio against a baseline measured in the same run
// (raw sha256 over the same bytes) or against the goal ("x-goal" > 1 means faster than the goal).

const benchC = 64

// sha256Rate measures raw sha256 over the given blocks, in MB per CPU second: the baseline of
// the tagging ratios, measured by CPU time so that other load on the machine affects both sides
// alike.
func sha256Rate(blocks [][]byte) float64 {
	runtime.GC()
	runtime.LockOSThread() // count this thread's CPU time only, not GC or other goroutines
	defer runtime.UnlockOSThread()
	cpu0 := threadCPUTime()
	var total int
	for threadCPUTime()-cpu0 < 250*time.Millisecond { // a CPU budget, not a wall-time one
		for _, b := range blocks {
			sha256.Sum256(b)
			total += len(b)
		}
	}
	return float64(total) / (threadCPUTime() - cpu0).Seconds() / 1e6
}

// threadCPUTime is the CPU time of the calling OS thread.
func threadCPUTime() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTime is the CPU time (user + system) of the whole process so far. Benchmarks report CPU time
// per op beside wall time: on a machine shared with other work, wall time swells with the load,
// CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU milliseconds per op since start and returns them.
func reportCPU(b *testing.B, start time.Duration) float64 {
	ms := (cpuTime() - start).Seconds() * 1e3 / float64(b.N)
	b.ReportMetric(ms, "cpu-ms/op")
	return ms
}

func rateMBps(b *testing.B, bytesPerOp int) float64 {
	return float64(b.N) * float64(bytesPerOp) / b.Elapsed().Seconds() / 1e6
}

func BenchmarkTagBlock(b *testing.B) {
	sk := testKey(b)
	block := testBlocks(20, 1, BlockSize, 0)[0]
	name := []byte("bench file")
	sk.prepare()
	b.SetBytes(BlockSize)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, err := sk.TagBlock(name, uint64(i), block); err != nil {
			b.Fatal(err)
		}
	}
	cpuMs := reportCPU(b, cpu0)
	b.ReportMetric(BlockSize/cpuMs/1e3/sha256Rate([][]byte{block}), "x-sha256-cpu")
}

func BenchmarkTagger(b *testing.B) {
	sk := testKey(b)
	blocks := testBlocks(21, 64, BlockSize, 0)
	name := []byte("bench file")
	sk.prepare()
	for _, early := range []bool{true, false} {
		b.Run(fmt.Sprintf("name-known=%v", early), func(b *testing.B) {
			b.SetBytes(int64(len(blocks)) * BlockSize)
			cpu0 := cpuTime()
			for b.Loop() {
				var tg *Tagger
				if early {
					tg = sk.NewTagger(name, 0)
				} else {
					tg = sk.NewTagger(nil, 0)
				}
				for _, blk := range blocks {
					if err := tg.Add(blk); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := tg.Finish(name); err != nil {
					b.Fatal(err)
				}
			}
			cpuMs := reportCPU(b, cpu0)
			rate := rateMBps(b, len(blocks)*BlockSize)
			b.ReportMetric(rate/400, "x-goal")
			b.ReportMetric(float64(len(blocks)*BlockSize)/cpuMs/1e3/sha256Rate(blocks), "x-sha256-cpu")
		})
	}
}

// newBenchProof is a file of 2*benchC full blocks with its keys and a challenge of benchC blocks.
func newBenchProof(b *testing.B) *proveSetup {
	b.Helper()
	sk := testKey(b)
	pk, err := sk.ProverKey(MaxSectors)
	if err != nil {
		b.Fatal(err)
	}
	s := &proveSetup{sk: sk, pub: sk.PublicKey(), pk: pk, f: newTestFile(b, sk, 22, 2*benchC, BlockSize, 0)}
	s.ch, err = NewChallenge([]byte("bench block hash"), s.f.name, []byte("fs"), uint64(len(s.f.blocks)), benchC)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkProve(b *testing.B) {
	s := newBenchProof(b)
	var read [][]byte
	for _, i := range s.ch.Indices {
		read = append(read, s.f.blocks[i])
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		p, err := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
		if err != nil {
			b.Fatal(err)
		}
		_ = p
	}
	cpuMs := reportCPU(b, cpu0)
	ms := b.Elapsed().Seconds() * 1e3 / float64(b.N)
	b.ReportMetric(ms, "ms/proof")
	b.ReportMetric(100/ms, "x-goal")
	// Baseline: sha256 over the 64 challenged blocks, the cheapest possible "read and hash them".
	shaMs := float64(benchC*BlockSize) / (sha256Rate(read) * 1e6) * 1e3
	b.ReportMetric(cpuMs/shaMs, "x-sha256-of-blocks-cpu")
}

// BenchmarkProveSteps times Prove's steps one by one (same functions Prove calls).
func BenchmarkProveSteps(b *testing.B) {
	s := newBenchProof(b)
	var tTags, tComb, tDiv, tSig, tPsi time.Duration
	var cTags, cComb, cSig, cPsi time.Duration
	blocks := make([][]byte, benchC)
	tags := make([][]byte, benchC)
	for k, i := range s.ch.Indices {
		blocks[k], tags[k] = s.f.blocks[i], s.f.tags[i][:]
	}
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		sigmas, err := decodeTags(s.ch, tags)
		if err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), cpuTime()
		F := combine(blocks, s.ch.Coeffs)
		t2 := time.Now()
		_, q := evalDivide(F, &s.ch.Z)
		t3, c3 := time.Now(), cpuTime()
		var sig, psi bls.G1Affine
		if _, err := sig.MultiExp(sigmas, s.ch.Coeffs, msmConfig()); err != nil {
			b.Fatal(err)
		}
		t4, c4 := time.Now(), cpuTime()
		if err := commit(&psi, s.pk, q); err != nil {
			b.Fatal(err)
		}
		t5, c5 := time.Now(), cpuTime()
		cTags += c1 - c0
		cComb += c3 - c1
		cSig += c4 - c3
		cPsi += c5 - c4
		tTags += t1.Sub(t0)
		tComb += t2.Sub(t1)
		tDiv += t3.Sub(t2)
		tSig += t4.Sub(t3)
		tPsi += t5.Sub(t4)
	}
	n := float64(b.N)
	b.ReportMetric(tTags.Seconds()*1e3/n, "decode-tags-ms")
	b.ReportMetric(tComb.Seconds()*1e3/n, "combine-F-ms")
	b.ReportMetric(tDiv.Seconds()*1e3/n, "eval-divide-ms")
	b.ReportMetric(tSig.Seconds()*1e3/n, "msm-sigma-ms")
	b.ReportMetric(tPsi.Seconds()*1e3/n, "msm-psi-ms")
	b.ReportMetric(cTags.Seconds()*1e3/n, "decode-tags-cpu-ms")
	b.ReportMetric(cComb.Seconds()*1e3/n, "combine-divide-cpu-ms")
	b.ReportMetric(cSig.Seconds()*1e3/n, "msm-sigma-cpu-ms")
	b.ReportMetric(cPsi.Seconds()*1e3/n, "msm-psi-cpu-ms")
}

func BenchmarkVerify(b *testing.B) {
	s := newBenchProof(b)
	p, err := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
	if err != nil {
		b.Fatal(err)
	}
	enc := p.Bytes()
	var tDec, tHash, tMSM, tPair, cHash, cMSM, cPair time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		t0 := time.Now()
		p, err := DecodeProof(enc)
		if err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), cpuTime()
		hs, err := hashChallenged(s.ch)
		if err != nil {
			b.Fatal(err)
		}
		t2, c2 := time.Now(), cpuTime()
		a, err := aggregate(s.ch, p, hs)
		if err != nil {
			b.Fatal(err)
		}
		t3, c3 := time.Now(), cpuTime()
		if err := pairing(s.pub, p, &a); err != nil {
			b.Fatal(err)
		}
		t4, c4 := time.Now(), cpuTime()
		cHash += c2 - c1
		cMSM += c3 - c2
		cPair += c4 - c3
		tDec += t1.Sub(t0)
		tHash += t2.Sub(t1)
		tMSM += t3.Sub(t2)
		tPair += t4.Sub(t3)
	}
	reportCPU(b, cpu0)
	n := float64(b.N)
	ms := b.Elapsed().Seconds() * 1e3 / n
	b.ReportMetric(ms, "ms/verify")
	b.ReportMetric(15/ms, "x-goal")
	b.ReportMetric(tDec.Seconds()*1e3/n, "decode-ms")
	b.ReportMetric(tHash.Seconds()*1e3/n, "hash-to-G1-ms")
	b.ReportMetric(tMSM.Seconds()*1e3/n, "msm-ms")
	b.ReportMetric(tPair.Seconds()*1e3/n, "pairing-ms")
	b.ReportMetric(cHash.Seconds()*1e3/n, "hash-to-G1-cpu-ms")
	b.ReportMetric(cMSM.Seconds()*1e3/n, "msm-cpu-ms")
	b.ReportMetric(cPair.Seconds()*1e3/n, "pairing-cpu-ms")
}

func BenchmarkProverKey(b *testing.B) {
	sk := testKey(b)
	sk.prepare()
	pk, err := sk.ProverKey(MaxSectors)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("generate", func(b *testing.B) {
		cpu0 := cpuTime()
		defer reportCPU(b, cpu0)
		for b.Loop() {
			var err error
			if pk, err = sk.ProverKey(MaxSectors); err != nil {
				b.Fatal(err)
			}
		}
	})
	enc := pk.Bytes()
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		cpu0 := cpuTime()
		defer reportCPU(b, cpu0)
		for b.Loop() {
			if _, err := DecodeProverKey(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	pub := sk.PublicKey()
	b.Run("check", func(b *testing.B) {
		cpu0 := cpuTime()
		defer reportCPU(b, cpu0)
		for b.Loop() {
			if err := pk.Check(pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTagChecker is an FS node's cost to check the tags of an upload as it streams in: per
// block (Add), and once per file (Finish: one MSM over the prover key and a pairing check).
func BenchmarkTagChecker(b *testing.B) {
	s := newBenchProof(b)
	b.Run("add", func(b *testing.B) {
		tc := NewTagChecker(s.pub, s.pk, s.f.name)
		b.SetBytes(BlockSize)
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			k := i % len(s.f.blocks)
			if err := tc.Add(uint64(k), s.f.blocks[k], s.f.tags[k][:]); err != nil {
				b.Fatal(err)
			}
		}
		cpuMs := reportCPU(b, cpu0)
		b.ReportMetric(BlockSize/cpuMs/1e3/sha256Rate(s.f.blocks[:1]), "x-sha256-cpu")
	})
	b.Run("finish", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			b.StopTimer()
			tc := NewTagChecker(s.pub, s.pk, s.f.name)
			for k := range 4 {
				if err := tc.Add(uint64(k), s.f.blocks[k], s.f.tags[k][:]); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			if err := tc.Finish(); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu0) // includes the 4 untimed Adds, about 2 ms
	})
}
