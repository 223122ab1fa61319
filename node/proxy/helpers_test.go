package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"dsp/keys"
	"dsp/node"
	"dsp/node/nettest"
	"dsp/wire"
)

// OpTestEcho is a test-only request in the proxy range: the receiver answers with the same bytes.
const OpTestEcho wire.Opcode = 1499

type testEcho struct {
	Data []byte `msgpack:"data"`
}

func init() {
	wire.Register(OpTestEcho, "ProxyTestEcho", func() any { return new(testEcho) })
}

// bulkProto is the test's bulk exchange: the opener sends u64 n and n bytes; the acceptor answers
// sha256 of what it received, then u64 m, m bytes of its own and sha256 of those.
const bulkProto = "test/bulk"

// echoComp answers OpTestEcho.
type echoComp struct{ node.BaseComponent }

func (echoComp) Receive(in *node.Incoming) error {
	e, ok := in.Payload.(*testEcho)
	if !ok || !in.IsRequest() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return in.Reply(ctx, OpTestEcho, &testEcho{Data: e.Data})
}

// serveBulk is the acceptor side of bulkProto; it sends back reply bytes.
func serveBulk(reply int) func(*node.Stream) {
	return func(st *node.Stream) {
		defer st.Close()
		var n [8]byte
		if _, err := io.ReadFull(st, n[:]); err != nil {
			return
		}
		h := sha256.New()
		if _, err := io.CopyN(h, st, int64(binary.BigEndian.Uint64(n[:]))); err != nil {
			return
		}
		if _, err := st.Write(h.Sum(nil)); err != nil {
			return
		}
		data := randBytes(reply, int64(reply))
		binary.BigEndian.PutUint64(n[:], uint64(reply))
		st.Write(n[:])
		st.Write(data)
		sum := sha256.Sum256(data)
		st.Write(sum[:])
		io.Copy(io.Discard, st) // until the opener closes
	}
}

// bulk runs the opener side of bulkProto to p with n bytes and checks both hashes. It returns the
// bytes received.
func bulk(ctx context.Context, p *node.Peer, n int) (int, error) {
	st, err := p.OpenStream(ctx, bulkProto)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if dl, ok := ctx.Deadline(); ok {
		st.SetDeadline(dl)
	}
	data := randBytes(n, int64(n)+1)
	want := sha256.Sum256(data)
	errc := make(chan error, 1)
	go func() {
		var hdr [8]byte
		binary.BigEndian.PutUint64(hdr[:], uint64(n))
		if _, err := st.Write(hdr[:]); err != nil {
			errc <- err
			return
		}
		_, err := st.Write(data)
		errc <- err
	}()
	var got [32]byte
	if _, err := io.ReadFull(st, got[:]); err != nil {
		return 0, fmt.Errorf("read hash: %w", err)
	}
	if err := <-errc; err != nil {
		return 0, err
	}
	if got != want {
		return 0, fmt.Errorf("peer hashed %x, sent %x", got, want)
	}
	var m [8]byte
	if _, err := io.ReadFull(st, m[:]); err != nil {
		return 0, err
	}
	size := int(binary.BigEndian.Uint64(m[:]))
	h := sha256.New()
	if _, err := io.CopyN(h, st, int64(size)); err != nil {
		return 0, fmt.Errorf("read data: %w", err)
	}
	if _, err := io.ReadFull(st, got[:]); err != nil {
		return 0, err
	}
	if sum := h.Sum(nil); string(sum) != string(got[:]) {
		return 0, fmt.Errorf("received data hashes to %x, peer says %x", sum, got)
	}
	return size, nil
}

func randBytes(n int, seed int64) []byte {
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b
}

// echo sends b to p and checks it comes back.
func echo(ctx context.Context, p *node.Peer, b []byte) error {
	in, err := p.Request(ctx, OpTestEcho, &testEcho{Data: b})
	if err != nil {
		return err
	}
	e, ok := in.Payload.(*testEcho)
	if !ok || string(e.Data) != string(b) {
		return fmt.Errorf("echo came back as %v", in.Payload)
	}
	return nil
}

func genKey(t testing.TB) *keys.KeyPair {
	t.Helper()
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func quietLogger() *slog.Logger {
	if os.Getenv("DSP_PROXY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// hostConfig is a host config with test timings.
func hostConfig(key keys.Signer, listen ...string) node.Config {
	return node.Config{
		Key: key, Listen: listen, Logger: quietLogger(),
		KeepaliveInterval: 200 * time.Millisecond, KeepaliveTimeout: 2 * time.Second,
		HandshakeTimeout: 2 * time.Second, RequestTimeout: 10 * time.Second,
	}
}

// startHost makes and starts a host; setup mounts services. It is closed at cleanup.
func startHost(t testing.TB, cfg node.Config, setup func(h *node.Host) error) *node.Host {
	t.Helper()
	h, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		if err := setup(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// proxyNode starts a proxy node on loopback KCP.
func proxyNode(t testing.TB, cfg Config) (*node.Host, *Service) {
	t.Helper()
	cfg.Logger = quietLogger()
	svc, err := NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := startHost(t, hostConfig(genKey(t), "kcp://127.0.0.1:0"), svc.Mount)
	return h, svc
}

// proxyURL is the pinned URL of the proxy host h.
func proxyURL(h *node.Host) string { return h.Account().String() + "@" + h.Addrs()[0] }

// privateNode starts a node that listens only through the proxy at purl: it dials out with kcp
// and accepts relayed connections. It serves echo and bulk (reply bytes back).
func privateNode(t testing.TB, key keys.Signer, purl string, reply int, ccfg ClientConfig) (*node.Host, *Client) {
	t.Helper()
	ccfg.Proxy = purl
	if ccfg.KeepaliveInterval == 0 {
		ccfg.KeepaliveInterval = 200 * time.Millisecond
	}
	if ccfg.KeepaliveTimeout == 0 {
		ccfg.KeepaliveTimeout = 5 * time.Second // generous: -race on 2 shared cores
	}
	if ccfg.RetryInterval == 0 {
		ccfg.RetryInterval = 100 * time.Millisecond
	}
	ccfg.Logger = quietLogger()
	c, err := NewClient(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := hostConfig(key, c.ListenURL())
	cfg.Transports = node.Transports{"kcp": node.NewKCP(node.DefaultKCPConfig()), "proxy": c.Transport()}
	h := startHost(t, cfg, func(h *node.Host) error {
		if err := c.Mount(h); err != nil {
			return err
		}
		h.HandleStream(bulkProto, serveBulk(reply))
		return h.Register(echoComp{}, wire.OpRange{First: OpTestEcho, Last: OpTestEcho})
	})
	return h, c
}

// publicNode starts an ordinary node on loopback KCP serving echo and bulk.
func publicNode(t testing.TB, reply int) *node.Host {
	t.Helper()
	return startHost(t, hostConfig(genKey(t), "kcp://127.0.0.1:0"), func(h *node.Host) error {
		h.HandleStream(bulkProto, serveBulk(reply))
		return h.Register(echoComp{}, wire.OpRange{First: OpTestEcho, Last: OpTestEcho})
	})
}

// clientNode starts a node with no listener.
func clientNode(t testing.TB) *node.Host {
	t.Helper()
	return startHost(t, hostConfig(genKey(t)), nil)
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkGoroutines fails t if goroutines started during the test are still running at cleanup
// (registered first, so it runs after every other cleanup).
func checkGoroutines(t *testing.T) {
	before := nettest.Goroutines()
	t.Cleanup(func() { nettest.WaitGoroutines(t, before, 15*time.Second, "dsp/") })
}
