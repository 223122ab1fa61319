package wire

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"dsp/keys"
)

// pair times a baseline operation and the measured one alternately, iteration by iteration, so
// both see the same machine load; the ratio is then meaningful on a busy machine. (ns/op of a
// benchmark using pair covers both operations; read op-ns/op for the measured one alone.)
type pair struct{ base, op time.Duration }

func (p *pair) run(base, op func()) {
	t0 := time.Now()
	base()
	t1 := time.Now()
	op()
	p.base += t1.Sub(t0)
	p.op += time.Since(t1)
}

// report adds op-ns/op, op-MB/s (when size > 0) and x-baseline (op time over baseline time).
func (p *pair) report(b *testing.B, size int) {
	opNs := float64(p.op.Nanoseconds()) / float64(b.N)
	b.ReportMetric(opNs, "op-ns/op")
	if size > 0 {
		b.ReportMetric(float64(size)/opNs*1e3, "op-MB/s")
	}
	b.ReportMetric(float64(p.op)/float64(p.base), "x-baseline")
}

// BenchmarkFrame encodes (compress + frame, through a Writer) and decodes (read + check +
// decompress, through a Reader) one 64 KiB body per algorithm, for text-like and random data.
// x-baseline is the time per frame over a plain 64 KiB copy through a bytes.Buffer timed
// alternately with it; wire/raw is the frame's size over the body's.
func BenchmarkFrame(b *testing.B) {
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
					var p pair
					var copyBuf bytes.Buffer
					copyBuf.Grow(MaxPackageSize)
					out := make([]byte, MaxPackageSize)
					baseline := func() { // a plain 64 KiB copy through a bytes.Buffer
						copyBuf.Reset()
						copyBuf.Write(body)
						copyBuf.Read(out)
					}
					b.ReportAllocs()
					if dir == "encode" {
						w := NewWriter(&countWriter{}, Config{NetworkID: 1, Algo: a})
						for b.Loop() {
							p.run(baseline, func() {
								if err := w.WritePayload(body); err != nil {
									b.Fatal(err)
								}
							})
						}
					} else {
						src := bytes.NewReader(encoded)
						r := NewReader(src, Config{NetworkID: 1})
						for b.Loop() {
							p.run(baseline, func() {
								src.Reset(encoded)
								if _, err := r.next(false); err != nil {
									b.Fatal(err)
								}
							})
						}
					}
					p.report(b, MaxPackageSize)
					b.ReportMetric(float64(len(encoded))/float64(len(body)), "wire/raw")
				})
			}
		}
	}
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// BenchmarkMessage signs and verifies Messages carrying 1 KiB and 256 KiB payloads under each
// scheme. x-baseline is the time over the bare keys signature (Sign or Verify) of a byte slice as
// long as the encoded message, timed alternately with it: what the envelope adds to the signature.
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
				var p pair
				for b.Loop() {
					p.run(func() { k.Sign(raw) }, func() {
						if err := m.Sign(k); err != nil {
							b.Fatal(err)
						}
					})
				}
				p.report(b, size)
			})
			b.Run("verify/"+name, func(b *testing.B) {
				var p pair
				for b.Loop() {
					p.run(func() { pub.Verify(raw, sig) }, func() {
						got, err := Unmarshal(enc)
						if err != nil {
							b.Fatal(err)
						}
						if err := got.Verify(); err != nil {
							b.Fatal(err)
						}
					})
				}
				p.report(b, size)
			})
		}
	}
}
