package proxy

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"time"

	"dsp/node"
)

// sourceProto: the opener sends u64 n, the acceptor sends n bytes and closes.
const sourceProto = "test/source"

func serveSource(st *node.Stream) {
	defer st.Close()
	var hdr [8]byte
	if _, err := io.ReadFull(st, hdr[:]); err != nil {
		return
	}
	buf := randBytes(node.StreamChunk, 3)
	for n := int(binary.BigEndian.Uint64(hdr[:])); n > 0; {
		k, err := st.Write(buf[:min(n, len(buf))])
		if err != nil {
			return
		}
		n -= k
	}
	io.Copy(io.Discard, st)
}

// download fetches n bytes from p over sourceProto and returns how long it took.
func download(ctx context.Context, p *node.Peer, n int) (time.Duration, error) {
	start := time.Now()
	st, err := p.OpenStream(ctx, sourceProto)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(n))
	if _, err := st.Write(hdr[:]); err != nil {
		return 0, err
	}
	got, err := io.CopyN(io.Discard, st, int64(n))
	if err != nil {
		return 0, fmt.Errorf("after %d bytes: %w", got, err)
	}
	return time.Since(start), nil
}

// BenchmarkRelayVsDirect downloads the same amount from a public node directly and from a private
// node through the proxy, alternately in each iteration, all on loopback KCP. It reports both
// rates and relayed/direct as x-direct (goal >= 0.5).
func BenchmarkRelayVsDirect(b *testing.B) {
	const size = 32 << 20
	ph, _ := proxyNode(b, Config{})
	priv, pc := privateNode(b, genKey(b), proxyURL(ph), 0, ClientConfig{})
	priv.HandleStream(sourceProto, serveSource)
	pub := publicNode(b, 0)
	pub.HandleStream(sourceProto, serveSource)
	cl := clientNode(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	waitFor(b, 10*time.Second, "active", func() bool { return pc.Status().State == StateActive })
	direct, err := cl.Connect(ctx, pub.Account().String()+"@"+pub.Addrs()[0])
	if err != nil {
		b.Fatal(err)
	}
	relayed, err := cl.Connect(ctx, priv.Account().String()+"@"+pc.Status().Address)
	if err != nil {
		b.Fatal(err)
	}
	// Warm both paths (KCP windows, buffers).
	for _, p := range []*node.Peer{direct, relayed} {
		if _, err := download(ctx, p, 4<<20); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	b.ResetTimer()
	var td, tr time.Duration
	for range b.N {
		d, err := download(ctx, direct, size)
		if err != nil {
			b.Fatal(err)
		}
		r, err := download(ctx, relayed, size)
		if err != nil {
			b.Fatal(err)
		}
		td, tr = td+d, tr+r
	}
	b.StopTimer()
	mb := float64(size*b.N) / 1e6
	b.ReportMetric(mb/td.Seconds(), "direct-MB/s")
	b.ReportMetric(mb/tr.Seconds(), "relayed-MB/s")
	b.ReportMetric(td.Seconds()/tr.Seconds(), "x-direct")
}
