package wire

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"dsp/keys"
)

// Baselines measured once per run, in the same process as the benchmarks that report ratios
// against them.
var (
	baselineOnce sync.Once
	baselineCopy float64 // ns to copy a 64 KiB body through a bytes.Buffer
)

func copyBaseline() float64 {
	baselineOnce.Do(func() {
		body := compressible(MaxPackageSize)
		out := make([]byte, MaxPackageSize)
		var buf bytes.Buffer
		buf.Grow(MaxPackageSize)
		baselineCopy = timeOp(func() {
			buf.Reset()
			buf.Write(body)
			buf.Read(out)
		})
	})
	return baselineCopy
}

// timeOp returns the mean ns per call of f over at least 200 ms. (testing.Benchmark cannot run
// inside a benchmark, and a baseline sub-benchmark would be skipped by a -bench filter.)
func timeOp(f func()) float64 {
	f()
	n := 0
	start := time.Now()
	for time.Since(start) < 200*time.Millisecond {
		f()
		n++
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func reportRatio(b *testing.B, baseline float64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/baseline, "x-baseline")
}

// BenchmarkFrame encodes (compress + frame, through a Writer) and decodes (read + check +
// decompress, through a Reader) one 64 KiB body per algorithm, for text-like and random data.
// x-baseline is the time per frame over a plain 64 KiB copy through a bytes.Buffer measured in
// the same run; wire/raw is the frame's size over the body's.
func BenchmarkFrame(b *testing.B) {
	base := copyBaseline()
	data := map[string][]byte{"text": compressible(MaxPackageSize), "random": randomBytes(3, MaxPackageSize)}
	for _, dir := range []string{"encode", "decode"} {
		for _, a := range Algos() {
			for _, kind := range []string{"text", "random"} {
				body := data[kind]
				var frame bytes.Buffer
				w := NewWriter(&frame, Config{NetworkID: 1, Algo: a})
				if err := w.WritePayload(body); err != nil {
					b.Fatal(err)
				}
				encoded := bytes.Clone(frame.Bytes())
				b.Run(fmt.Sprintf("%s/%v/%s", dir, a, kind), func(b *testing.B) {
					b.SetBytes(MaxPackageSize)
					b.ReportAllocs()
					if dir == "encode" {
						cw := &countWriter{}
						w := NewWriter(cw, Config{NetworkID: 1, Algo: a})
						for b.Loop() {
							if err := w.WritePayload(body); err != nil {
								b.Fatal(err)
							}
						}
					} else {
						src := bytes.NewReader(encoded)
						r := NewReader(src, Config{NetworkID: 1})
						for b.Loop() {
							src.Reset(encoded)
							if _, err := r.next(); err != nil {
								b.Fatal(err)
							}
						}
					}
					reportRatio(b, base)
					b.ReportMetric(float64(len(encoded))/float64(len(body)), "wire/raw")
				})
			}
		}
	}
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

var (
	sigBaselineMu sync.Mutex
	sigBaselines  = map[string]float64{}
)

// sigBaseline returns the ns per op of f, measured once per key.
func sigBaseline(key string, f func()) float64 {
	sigBaselineMu.Lock()
	defer sigBaselineMu.Unlock()
	if v, ok := sigBaselines[key]; ok {
		return v
	}
	v := timeOp(f)
	sigBaselines[key] = v
	return v
}

// BenchmarkMessage signs and verifies Messages carrying 1 KiB and 256 KiB payloads under each
// scheme. x-baseline is the time over the bare keys signature (Sign or Verify) of a byte slice as
// long as the encoded message, measured in the same run: what the envelope adds to the signature.
// verify includes decoding the received bytes (Unmarshal), as a receiver does.
func BenchmarkMessage(b *testing.B) {
	for _, s := range keys.Schemes() {
		k, err := keys.Generate(s)
		if err != nil {
			b.Fatal(err)
		}
		for _, size := range []int{1 << 10, 256 << 10} {
			m := testMessage(randomBytes(5, size))
			m.Sender.Address = "kcp://127.0.0.1:4001"
			if err := m.Sign(k); err != nil {
				b.Fatal(err)
			}
			enc, _ := m.Marshal()
			raw := bytes.Clone(enc)
			sig, _ := k.Sign(raw)
			pub := k.Public()
			name := fmt.Sprintf("%v/%dKiB", s, size>>10)
			b.Run("sign/"+name, func(b *testing.B) {
				base := sigBaseline("sign/"+name, func() { k.Sign(raw) })
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if err := m.Sign(k); err != nil {
						b.Fatal(err)
					}
				}
				reportRatio(b, base)
			})
			b.Run("verify/"+name, func(b *testing.B) {
				base := sigBaseline("verify/"+name, func() { pub.Verify(raw, sig) })
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					got, err := Unmarshal(enc)
					if err != nil {
						b.Fatal(err)
					}
					if err := got.Verify(); err != nil {
						b.Fatal(err)
					}
				}
				reportRatio(b, base)
			})
		}
	}
}
