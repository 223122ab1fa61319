package keys

import (
	"crypto/sha256"
	"sync"
	"testing"
	"time"
)

var benchMsg = make([]byte, 256) // about the size of a signed wire message header

// sha256Baseline is ns/op of a raw sha256 of benchMsg, measured once per run (at least 50 ms of
// hashing): the in-run baseline every benchmark here reports its ratio against. testing.Benchmark
// cannot be nested in a running benchmark, so it is timed by hand.
var sha256Baseline = sync.OnceValue(func() float64 {
	var sink [32]byte
	n := 0
	start := time.Now()
	for time.Since(start) < 50*time.Millisecond {
		for i := 0; i < 1000; i++ {
			sink = sha256.Sum256(benchMsg)
		}
		n += 1000
	}
	_ = sink
	return float64(time.Since(start).Nanoseconds()) / float64(n)
})

func reportRatio(b *testing.B) {
	if b.N > 0 && sha256Baseline() > 0 {
		nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(nsPerOp/sha256Baseline(), "x-sha256")
	}
}

func BenchmarkSign(b *testing.B) {
	for _, s := range Schemes() {
		b.Run(s.String(), func(b *testing.B) {
			kp, _ := Generate(s)
			sha256Baseline()
			for b.Loop() {
				if _, err := kp.Sign(benchMsg); err != nil {
					b.Fatal(err)
				}
			}
			reportRatio(b)
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, s := range Schemes() {
		b.Run(s.String(), func(b *testing.B) {
			kp, _ := Generate(s)
			sig, _ := kp.Sign(benchMsg)
			pub := kp.Public()
			sha256Baseline()
			for b.Loop() {
				if err := pub.Verify(benchMsg, sig); err != nil {
					b.Fatal(err)
				}
			}
			reportRatio(b)
		})
	}
}

// BenchmarkUnlockDefaultScrypt is the cost of opening one account at DefaultScrypt.
func BenchmarkUnlockDefaultScrypt(b *testing.B) {
	kp, _ := Generate(SHA512withEdDSA)
	r, err := newRecord(kp, "", "pw", DefaultScrypt)
	if err != nil {
		b.Fatal(err)
	}
	sha256Baseline()
	for b.Loop() {
		if _, err := unlockRecord(&r, "pw", "bench"); err != nil {
			b.Fatal(err)
		}
	}
	reportRatio(b)
}
