package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dsp/keys"
	"dsp/status"
	"dsp/wire"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Test payloads, in the top of the host range (the host itself uses 1000-1005).
const (
	opEcho    wire.Opcode = 1090
	opFail    wire.Opcode = 1091
	opSlow    wire.Opcode = 1092
	opNoComp  wire.Opcode = 1093 // registered with wire, but no component handles it
	opCounted wire.Opcode = 1094
)

type echoMsg struct {
	Text string `msgpack:"text"`
}

func init() {
	wire.Register(opEcho, "TestEcho", func() any { return new(echoMsg) })
	wire.Register(opFail, "TestFail", func() any { return new(echoMsg) })
	wire.Register(opSlow, "TestSlow", func() any { return new(echoMsg) })
	wire.Register(opNoComp, "TestNoComponent", func() any { return new(echoMsg) })
	wire.Register(opCounted, "TestCounted", func() any { return new(echoMsg) })
}

// echo is a test component: it echoes opEcho, fails opFail with a spec code, sleeps on opSlow
// until released, counts opCounted, and records connect/disconnect events.
type echo struct {
	BaseComponent
	mu      sync.Mutex
	events  []string
	counted atomic.Int64
	release chan struct{}
}

func newEcho() *echo { return &echo{release: make(chan struct{})} }

func (e *echo) Receive(in *Incoming) error {
	switch in.Msg.Opcode {
	case opEcho:
		return in.Reply(context.Background(), opEcho, &echoMsg{Text: "echo: " + in.Payload.(*echoMsg).Text})
	case opFail:
		if in.Payload.(*echoMsg).Text == "task" {
			return status.New(status.TaskFsPutBlockFailed, "disk full")
		}
		return status.New(status.InsufficientBalance, "no money for %q", in.Payload.(*echoMsg).Text)
	case opSlow:
		<-e.release
		return in.Reply(context.Background(), opSlow, &echoMsg{Text: "late"})
	case opCounted:
		e.counted.Add(1)
	}
	return nil
}

func (e *echo) PeerConnect(p *Peer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, "connect "+p.Account().String())
}

func (e *echo) PeerDisconnect(p *Peer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, "disconnect "+p.Account().String())
}

func (e *echo) Events() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.events...)
}

// testNet is one transport flavour of the suite.
type testNet struct {
	name string
	// transports returns the transports for a host called name and its listen URL.
	transports func(name string) (Transports, string)
	mem        *MemNetwork
}

func suites() []testNet {
	mem := NewMemNetwork()
	return []testNet{
		{name: "mem", mem: mem, transports: func(name string) (Transports, string) {
			return Transports{"mem": mem.As("mem-" + name)}, "mem://mem-" + name
		}},
		{name: "kcp", transports: func(string) (Transports, string) {
			return Transports{"kcp": NewKCP(DefaultKCPConfig())}, "kcp://127.0.0.1:0"
		}},
	}
}

type testHost struct {
	*Host
	echo *echo
}

func newHost(t testing.TB, n testNet, name string, mod ...func(*Config)) *testHost {
	t.Helper()
	k, err := keys.Generate(keys.SHA512withEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	tr, listen := n.transports(name)
	cfg := Config{
		Key: k, Listen: []string{listen}, Transports: tr,
		KeepaliveInterval: 100 * time.Millisecond, KeepaliveTimeout: 5 * time.Second,
		HandshakeTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second,
		Logger: slog.New(slog.DiscardHandler),
	}
	for _, f := range mod {
		f(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEcho()
	if err := h.Register(e, wire.OpRange{Name: "test", First: opEcho, Last: opSlow}, wire.OpRange{Name: "counted", First: opCounted, Last: opCounted}); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	th := &testHost{Host: h, echo: e}
	t.Cleanup(func() {
		select {
		case <-e.release:
		default:
			close(e.release)
		}
		h.Close()
	})
	return th
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// goroutinesSettle waits for the goroutine count (see countGoroutines) to come back to at most
// base.
func goroutinesSettle(t testing.TB, base int) {
	t.Helper()
	end := time.Now().Add(10 * time.Second)
	for countGoroutines() > base {
		if time.Now().After(end) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutine leak: %d running, baseline %d\n%s", countGoroutines(), base, buf[:n])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countGoroutines counts goroutines, leaving out those the testing and fuzzing machinery starts
// on its own (signal handling, fuzz workers), which come and go independently of the code under
// test.
func countGoroutines() int {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "os/signal.") || strings.Contains(g, "internal/fuzz.") || strings.Contains(g, "testing.runFuzzing") {
			continue
		}
		n++
	}
	return n
}

func forEachNet(t *testing.T, f func(t *testing.T, n testNet)) {
	for _, n := range suites() {
		t.Run(n.name, func(t *testing.T) { f(t, n) })
	}
}

func TestRequestReply(t *testing.T) {
	forEachNet(t, func(t *testing.T, n testNet) {
		a, b := newHost(t, n, "a"), newHost(t, n, "b")
		ctx := ctxT(t)
		p, err := a.Connect(ctx, b.Addrs()[0])
		if err != nil {
			t.Fatal(err)
		}
		if p.Account() != b.Account() || !p.Dialed() {
			t.Fatalf("peer %s dialed=%v, want %s dialed", p.Account(), p.Dialed(), b.Account())
		}
		in, err := a.Request(ctx, b.Account(), opEcho, &echoMsg{Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		if got := in.Payload.(*echoMsg).Text; got != "echo: hi" {
			t.Fatalf("reply %q", got)
		}
		// A failing handler's spec code comes back.
		_, err = p.Request(ctx, opFail, &echoMsg{Text: "x"})
		if !errors.Is(err, status.Is(status.InsufficientBalance)) {
			t.Fatalf("opFail: %v, want INSUFFICIENT_BALANCE", err)
		}
		// A task code keeps its own table's name across the wire.
		_, err = p.Request(ctx, opFail, &echoMsg{Text: "task"})
		if !errors.Is(err, status.Is(status.TaskFsPutBlockFailed)) {
			t.Fatalf("opFail task: %v, want FS_PUT_BLOCK_FAILED", err)
		}
		// No component for the opcode: NO_DSP.
		_, err = p.Request(ctx, opNoComp, &echoMsg{})
		if !errors.Is(err, status.Is(status.NoDsp)) {
			t.Fatalf("opNoComp: %v, want NO_DSP", err)
		}
		// need_ack: acknowledged once the component accepted it.
		if err := p.SendAck(ctx, opCounted, &echoMsg{}); err != nil {
			t.Fatal(err)
		}
		if b.echo.counted.Load() != 1 {
			t.Fatalf("counted %d after SendAck", b.echo.counted.Load())
		}
		rtt, err := p.Ping(ctx)
		if err != nil || rtt <= 0 || p.RTT() != rtt {
			t.Fatalf("ping: %v %v (RTT %v)", rtt, err, p.RTT())
		}
		// Both sides see one peer, and the acceptor got PeerConnect.
		eventually(t, 5*time.Second, "b sees a", func() bool { return len(b.Peers()) == 1 })
		if q, ok := b.Peer(a.Account()); !ok || q.Dialed() || string(q.ConnID()) != string(p.ConnID()) {
			t.Fatalf("b's view of a: %v %v", q, ok)
		}
		eventually(t, 5*time.Second, "connect events", func() bool {
			return len(a.echo.Events()) == 1 && len(b.echo.Events()) == 1
		})
		// Connect again returns the same connection.
		p2, err := a.Connect(ctx, b.Addrs()[0])
		if err != nil || p2 != p {
			t.Fatalf("second Connect: %v %v", p2 == p, err)
		}
	})
}

func TestLookupAndKeepaliveRTT(t *testing.T) {
	forEachNet(t, func(t *testing.T, n testNet) {
		a, b, c := newHost(t, n, "a"), newHost(t, n, "b"), newHost(t, n, "c")
		ctx := ctxT(t)
		pb, err := a.Connect(ctx, b.Addrs()[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Connect(ctx, b.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "b has two peers", func() bool { return len(b.Peers()) == 2 })
		ids, err := pb.Lookup(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 {
			t.Fatalf("lookup found %d peers, want 1 (c)", len(ids))
		}
		if acct, _ := ids[0].Account(); acct != c.Account() {
			t.Fatalf("lookup found %s, want %s", acct, c.Account())
		}
		eventually(t, 5*time.Second, "keepalive RTT", func() bool { return pb.RTT() > 0 })
		if v := metricValue(a.Metrics().RTT.WithLabelValues(b.Account().String())); v <= 0 {
			t.Fatalf("rtt metric %v", v)
		}
		if v := metricValue(b.Metrics().Peers); v != 2 {
			t.Fatalf("peers metric %v", v)
		}
	})
}

func TestDisconnectFailsPendingAndReconnects(t *testing.T) {
	forEachNet(t, func(t *testing.T, n testNet) {
		a, b := newHost(t, n, "a"), newHost(t, n, "b")
		ctx := ctxT(t)
		p, err := a.Connect(ctx, b.Addrs()[0])
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := p.Request(ctx, opSlow, &echoMsg{})
			errc <- err
		}()
		eventually(t, 5*time.Second, "request pending", func() bool {
			p.pmu.Lock()
			defer p.pmu.Unlock()
			return len(p.pending) == 1
		})
		if err := b.Disconnect(a.Account(), "test"); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, ErrPeerClosed) || !errors.Is(err, ErrRemoteDisconnect) {
				t.Fatalf("pending request: %v, want ErrPeerClosed/ErrRemoteDisconnect", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("pending request not failed after disconnect")
		}
		eventually(t, 5*time.Second, "both sides drop the peer", func() bool {
			return len(a.Peers()) == 0 && len(b.Peers()) == 0
		})
		eventually(t, 5*time.Second, "disconnect events", func() bool {
			ea, eb := a.echo.Events(), b.echo.Events()
			return len(ea) == 2 && strings.HasPrefix(ea[1], "disconnect") && len(eb) == 2 && strings.HasPrefix(eb[1], "disconnect")
		})
		// Reconnection is possible at once.
		p2, err := a.Connect(ctx, b.Addrs()[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p2.Request(ctx, opEcho, &echoMsg{Text: "again"}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Request(ctx, opEcho, &echoMsg{}); !errors.Is(err, ErrPeerClosed) {
			t.Fatalf("request on the old connection: %v", err)
		}
	})
}

func TestSimultaneousDialKeepsOneConnection(t *testing.T) {
	forEachNet(t, func(t *testing.T, n testNet) {
		rounds := 5
		if n.name == "kcp" {
			rounds = 3
		}
		for i := range rounds {
			a, b := newHost(t, n, fmt.Sprintf("sa%d", i)), newHost(t, n, fmt.Sprintf("sb%d", i))
			ctx := ctxT(t)
			var wg sync.WaitGroup
			var pa, pb *Peer
			var ea, eb error
			wg.Add(2)
			go func() { defer wg.Done(); pa, ea = a.Connect(ctx, b.Addrs()[0]) }()
			go func() { defer wg.Done(); pb, eb = b.Connect(ctx, a.Addrs()[0]) }()
			wg.Wait()
			if ea != nil || eb != nil {
				t.Fatalf("round %d: connect: %v / %v", i, ea, eb)
			}
			smaller, aa, ba := a.Account(), a.Account(), b.Account()
			if string(ba[:]) < string(aa[:]) {
				smaller = ba
			}
			eventually(t, 5*time.Second, "one connection each way", func() bool {
				qa, oka := a.Peer(b.Account())
				qb, okb := b.Peer(a.Account())
				return oka && okb && len(a.Peers()) == 1 && len(b.Peers()) == 1 &&
					string(qa.ConnID()) == string(qb.ConnID()) && qa.dialer == smaller && qb.dialer == smaller
			})
			qa, _ := a.Peer(b.Account())
			if _, err := qa.Request(ctx, opEcho, &echoMsg{Text: "x"}); err != nil {
				t.Fatalf("round %d: request on the kept connection: %v", i, err)
			}
			_, _ = pa, pb
			a.Close()
			b.Close()
		}
	})
}

func TestBulkStream(t *testing.T) {
	forEachNet(t, func(t *testing.T, n testNet) {
		a, b := newHost(t, n, "a"), newHost(t, n, "b")
		got := make(chan []byte, 1)
		b.HandleStream("test/bulk", func(s *Stream) {
			defer s.Close()
			data, err := io.ReadAll(s)
			if err != nil {
				t.Error(err)
			}
			got <- data
		})
		ctx := ctxT(t)
		p, err := a.Connect(ctx, b.Addrs()[0])
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, 3<<20+17)
		for i := range want {
			want[i] = byte(i * 7)
		}
		s, err := p.OpenStream(ctx, "test/bulk")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(want); err != nil {
			t.Fatal(err)
		}
		s.Close()
		select {
		case data := <-got:
			if string(data) != string(want) {
				t.Fatalf("got %d bytes, want %d intact", len(data), len(want))
			}
		case <-time.After(15 * time.Second):
			t.Fatal("bulk stream did not finish")
		}
		// A stream for an unknown protocol is refused and counted; the connection stays up.
		s2, err := p.OpenStream(ctx, "test/nobody")
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1)
		if _, err := s2.Read(buf); err == nil {
			t.Fatal("read on a refused stream succeeded")
		}
		eventually(t, 5*time.Second, "unknown stream counted", func() bool {
			return metricValue(b.Metrics().Dropped.WithLabelValues(DropUnknownStream)) == 1
		})
		if _, err := p.Request(ctx, opEcho, &echoMsg{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestHostCloseLeavesNoGoroutines(t *testing.T) {
	forEachNet(t, func(t *testing.T, n testNet) {
		base := countGoroutines()
		a, b := newHost(t, n, "la"), newHost(t, n, "lb")
		ctx := ctxT(t)
		p, err := a.Connect(ctx, b.Addrs()[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Request(ctx, opEcho, &echoMsg{}); err != nil {
			t.Fatal(err)
		}
		a.Close()
		b.Close()
		goroutinesSettle(t, base)
	})
}

// metricValue reads a single-series gauge or counter.
func metricValue(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var d dto.Metric
	if err := (<-ch).Write(&d); err != nil {
		panic(err)
	}
	if d.Gauge != nil {
		return d.Gauge.GetValue()
	}
	return d.Counter.GetValue()
}

func TestMemLinkCutAndReconnect(t *testing.T) {
	n := suites()[0]
	a, b := newHost(t, n, "cut-a"), newHost(t, n, "cut-b")
	ctx := ctxT(t)
	base := countGoroutines()
	p, err := a.Connect(ctx, b.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	n.mem.Disconnect("mem-cut-b")
	select {
	case <-p.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("cut link not noticed")
	}
	if !errors.Is(p.Err(), ErrPeerClosed) {
		t.Fatalf("Err %v", p.Err())
	}
	eventually(t, 5*time.Second, "both sides forget the peer", func() bool { return len(a.Peers())+len(b.Peers()) == 0 })
	goroutinesSettle(t, base) // the connection's goroutines are gone with it
	p2, err := a.Connect(ctx, b.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.Request(ctx, opEcho, &echoMsg{}); err != nil {
		t.Fatal(err)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	forEachNet(t, func(t *testing.T, n testNet) {
		a, b := newHost(t, n, "ra"), newHost(t, n, "rb")
		other := newHost(t, n, "rnet", func(c *Config) { c.Wire = wire.DefaultConfig(); c.Wire.NetworkID = 2 })
		ctx := ctxT(t)
		// A pinned account that is not the one at the address.
		if _, err := a.Connect(ctx, a.Account().String()+"@"+b.Addrs()[0]); !errors.Is(err, ErrHandshake) {
			t.Fatalf("pinned wrong account: %v, want ErrHandshake", err)
		}
		// The right pin works.
		if _, err := a.Connect(ctx, b.Account().String()+"@"+b.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
		// Another network: refused (on KCP the refusal shows as a handshake timeout).
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := a.Connect(sctx, other.Addrs()[0]); err == nil {
			t.Fatal("connected across networks")
		}
		// Oneself.
		if _, err := a.Connect(ctx, a.Addrs()[0]); !errors.Is(err, ErrSelf) && !errors.Is(err, ErrHandshake) {
			t.Fatalf("self connect: %v", err)
		}
		if len(a.Peers()) != 1 {
			t.Fatalf("a has %d peers, want 1", len(a.Peers()))
		}
	})
}
