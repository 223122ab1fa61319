package node

import (
	"io"
	"syscall"
	"testing"
	"time"

	"dsp/keys"
	"dsp/wire"
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
	var hostDur, rawDur, hostCPU, rawCPU time.Duration
	b.SetBytes(bulkBytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start, cpu := time.Now(), cpuTime()
		rawTransfer(b, rc, rs, bulkBytes)
		rawDur += time.Since(start)
		rawCPU += cpuTime() - cpu

		start, cpu = time.Now(), cpuTime()
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
		hostCPU += cpuTime() - cpu
		s.Close()
	}
	b.StopTimer()
	mb := float64(bulkBytes) * float64(b.N) / 1e6
	b.ReportMetric(mb/hostDur.Seconds(), "host-MB/s")
	b.ReportMetric(mb/rawDur.Seconds(), "raw-MB/s")
	b.ReportMetric(rawDur.Seconds()/hostDur.Seconds(), "x-raw")
	b.ReportMetric(hostCPU.Seconds()/rawCPU.Seconds(), "cpu-per-byte-x-raw")
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// BenchmarkMessageAuth compares the cost of authenticating one 64 KiB message: the session MAC
// the host uses after the handshake (seal + open) against an Ed25519 account signature (sign +
// verify, what wire.Message.Sign/Verify would cost per message). x-signature is how many times
// cheaper the MAC is.
func BenchmarkMessageAuth(b *testing.B) {
	body := make([]byte, StreamChunk)
	shared := make([]byte, 32)
	send, _, err := deriveSession(shared, make([]byte, 32), make([]byte, 32), "a", "b", true)
	if err != nil {
		b.Fatal(err)
	}
	recv, _, _ := deriveSession(shared, make([]byte, 32), make([]byte, 32), "a", "b", false)
	k, _ := keys.Generate(keys.SHA512withEdDSA)
	m := &wire.Message{Message: body, Sender: wire.NewID(k.Public(), "kcp://127.0.0.1:1"), Opcode: wire.OpBytes, NetID: 1}
	var macDur, sigDur time.Duration
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		start := time.Now()
		m.MessageNonce = uint64(i + 1)
		send.seal(3, m)
		if err := recv.open(3, m); err != nil {
			b.Fatal(err)
		}
		macDur += time.Since(start)
		start = time.Now()
		m.Signature = nil
		if err := m.Sign(k); err != nil {
			b.Fatal(err)
		}
		if err := m.Verify(); err != nil {
			b.Fatal(err)
		}
		sigDur += time.Since(start)
	}
	mb := float64(len(body)) * float64(b.N) / 1e6
	b.ReportMetric(mb/macDur.Seconds(), "mac-MB/s")
	b.ReportMetric(mb/sigDur.Seconds(), "sig-MB/s")
	b.ReportMetric(sigDur.Seconds()/macDur.Seconds(), "x-signature")
}
