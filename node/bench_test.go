package node

import (
	"io"
	"testing"
	"time"
)

// BenchmarkBulkVsRaw moves bulkBytes over one stream between two hosts on loopback KCP (frames,
// per-message session MAC) and, in the same run, over raw kcp-go + smux with the same settings.
// It reports both rates and host/raw as x-raw (goal: >= 0.8).
func BenchmarkBulkVsRaw(b *testing.B) {
	kcpNet := suites()[1]
	src, dst := newHost(b, kcpNet, "src"), newHost(b, kcpNet, "dst")
	done := make(chan error, 1)
	dst.HandleStream("bench/bulk", func(s *Stream) {
		defer s.Close()
		_, err := io.CopyN(io.Discard, s, bulkBytes)
		done <- err
	})
	ctx := ctxT(b)
	p, err := src.Connect(ctx, dst.Addrs()[0])
	if err != nil {
		b.Fatal(err)
	}
	rc, rs, rdone := rawPair(b, NewKCP(DefaultKCPConfig()), "127.0.0.1:0")
	defer rdone()
	buf := make([]byte, 256<<10)
	var hostDur, rawDur time.Duration
	b.SetBytes(bulkBytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rawTransfer(b, rc, rs, bulkBytes)
		rawDur += time.Since(start)

		start = time.Now()
		s, err := p.OpenStream(ctx, "bench/bulk")
		if err != nil {
			b.Fatal(err)
		}
		for sent := int64(0); sent < bulkBytes; sent += int64(len(buf)) {
			if _, err := s.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		hostDur += time.Since(start)
		s.Close()
	}
	b.StopTimer()
	mb := float64(bulkBytes) * float64(b.N) / 1e6
	b.ReportMetric(mb/hostDur.Seconds(), "host-MB/s")
	b.ReportMetric(mb/rawDur.Seconds(), "raw-MB/s")
	b.ReportMetric(rawDur.Seconds()/hostDur.Seconds(), "x-raw")
}
