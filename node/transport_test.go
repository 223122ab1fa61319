package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"testing"
	"time"

	"github.com/xtaci/smux"
)

// rawPair returns two ends of one smux stream over transport t (no host, no framing).
func rawPair(tb testing.TB, tr Transport, listenAddr string) (client, server *smux.Stream, cleanup func()) {
	tb.Helper()
	l, err := tr.Listen(listenAddr)
	if err != nil {
		tb.Fatal(err)
	}
	_, addr, _ := SplitURL(l.URL())
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cc, err := tr.Dial(ctx, addr)
	if err != nil {
		tb.Fatal(err)
	}
	cs, err := smux.Client(cc, DefaultMuxConfig())
	if err != nil {
		tb.Fatal(err)
	}
	client, err = cs.OpenStream()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := client.Write([]byte{1}); err != nil { // KCP listeners accept on first packet
		tb.Fatal(err)
	}
	sc, ok := <-accepted
	if !ok {
		tb.Fatal("accept failed")
	}
	ss, err := smux.Server(sc, DefaultMuxConfig())
	if err != nil {
		tb.Fatal(err)
	}
	server, err = ss.AcceptStream()
	if err != nil {
		tb.Fatal(err)
	}
	var one [1]byte
	if _, err := io.ReadFull(server, one[:]); err != nil {
		tb.Fatal(err)
	}
	return client, server, func() {
		cs.Close()
		ss.Close()
		cc.Close()
		sc.Close()
		l.Close()
	}
}

func TestTransportsCarryBytes(t *testing.T) {
	for name, tr := range map[string]struct {
		t    Transport
		addr string
	}{
		"kcp": {NewKCP(DefaultKCPConfig()), "127.0.0.1:0"},
		"mem": {NewMemNetwork(), "carry"},
	} {
		t.Run(name, func(t *testing.T) {
			c, s, done := rawPair(t, tr.t, tr.addr)
			defer done()
			data := bytes.Repeat([]byte("dsp-transport."), 100000)
			go func() { c.Write(data); c.Close() }()
			got, err := io.ReadAll(s)
			if err != nil {
				t.Fatal(err)
			}
			if sha256.Sum256(got) != sha256.Sum256(data) {
				t.Fatalf("got %d bytes, want %d intact", len(got), len(data))
			}
		})
	}
}

func TestMemDisconnect(t *testing.T) {
	n := NewMemNetwork()
	l, err := n.Listen("b")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
		}
	}()
	c, err := n.As("a").Dial(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Disconnect("a"); got != 2 {
		t.Fatalf("Disconnect cut %d conns, want 2", got)
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("write after Disconnect succeeded")
	}
	if _, err := n.Dial(context.Background(), "nobody"); err == nil {
		t.Fatal("dial to a missing listener succeeded")
	}
}

func TestSplitURL(t *testing.T) {
	for _, bad := range []string{"", "kcp", "kcp://", "://x", "127.0.0.1:4001"} {
		if _, _, err := SplitURL(bad); err == nil {
			t.Errorf("SplitURL(%q) accepted", bad)
		}
	}
	s, a, err := SplitURL("KCP://127.0.0.1:4001")
	if err != nil || s != "kcp" || a != "127.0.0.1:4001" {
		t.Fatalf("SplitURL = %q %q %v", s, a, err)
	}
	if _, err := DefaultTransports().Dial(context.Background(), "tcp://x:1"); err == nil {
		t.Fatal("dial with unknown scheme succeeded")
	}
}

// BenchmarkRawKCPSmux is the baseline of the bulk benchmark: one smux stream over one KCP session
// on loopback with the host's settings, no framing, no authentication.
func BenchmarkRawKCPSmux(b *testing.B) {
	c, s, done := rawPair(b, NewKCP(DefaultKCPConfig()), "127.0.0.1:0")
	defer done()
	b.SetBytes(bulkBytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rawTransfer(b, c, s, bulkBytes)
	}
}

const bulkBytes = 64 << 20

func rawTransfer(tb testing.TB, w io.Writer, r io.Reader, n int64) {
	buf := make([]byte, 256<<10)
	errc := make(chan error, 1)
	go func() {
		var sent int64
		for sent < n {
			k, err := w.Write(buf[:min(int64(len(buf)), n-sent)])
			if err != nil {
				errc <- err
				return
			}
			sent += int64(k)
		}
		errc <- nil
	}()
	if _, err := io.CopyN(io.Discard, r, n); err != nil {
		tb.Fatal(err)
	}
	if err := <-errc; err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkKCPTuning measures raw KCP+smux throughput on loopback for the default tuning and the
// alternatives docs/node.md compares it with.
func BenchmarkKCPTuning(b *testing.B) {
	variants := map[string]func(*KCPConfig){
		"default":     func(*KCPConfig) {},
		"wnd-256":     func(c *KCPConfig) { c.SendWindow, c.RecvWindow = 256, 256 },
		"wnd-4096":    func(c *KCPConfig) { c.SendWindow, c.RecvWindow = 4096, 4096 },
		"interval-40": func(c *KCPConfig) { c.Interval = 40 },
		"mtu-1200":    func(c *KCPConfig) { c.MTU = 1200 },
		"sockbuf-0":   func(c *KCPConfig) { c.SocketBuffer = 0 },
	}
	for name, f := range variants {
		b.Run(name, func(b *testing.B) {
			cfg := DefaultKCPConfig()
			f(&cfg)
			c, s, done := rawPair(b, NewKCP(cfg), "127.0.0.1:0")
			defer done()
			b.SetBytes(32 << 20)
			for i := 0; i < b.N; i++ {
				rawTransfer(b, c, s, 32<<20)
			}
		})
	}
}
