package proxy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"dsp/node"
	"dsp/status"
	"dsp/wire"

	"github.com/prometheus/client_golang/prometheus"
)

// TestRelayLoopback runs the whole flow on loopback KCP: a proxy, a private node that only dials
// out (its one listener is the proxy), a public node and a client. The client reaches the private
// node through its proxy address and exchanges messages and a bulk stream both ways; the private
// node reaches the public node by ordinary dialing.
func TestRelayLoopback(t *testing.T) {
	checkGoroutines(t)
	const size = 3 << 20
	ph, svc := proxyNode(t, Config{})
	priv, pc := privateNode(t, genKey(t), proxyURL(ph), size, ClientConfig{})
	pub := publicNode(t, size)
	cl := clientNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	st := pc.Status()
	if !strings.HasPrefix(st.Address, "kcp://127.0.0.1:") || st.Advertised != st.Address {
		t.Fatalf("status after start: %+v", st)
	}
	if got := priv.Addrs(); len(got) != 1 || got[0] != st.Address {
		t.Fatalf("private host listens on %v, want only the proxy address %s", got, st.Address)
	}
	if priv.Config().Advertise != st.Address {
		t.Fatalf("private host advertises %q, want %q", priv.Config().Advertise, st.Address)
	}
	waitFor(t, 10*time.Second, "client active", func() bool { return pc.Status().State == StateActive })

	// The client reaches the private node through the proxy.
	p, err := cl.Connect(ctx, priv.Account().String()+"@"+st.Address)
	if err != nil {
		t.Fatalf("connect through proxy: %v", err)
	}
	if p.URL() != st.Address {
		t.Errorf("private node told the client URL %q, want %q", p.URL(), st.Address)
	}
	for i := range 20 {
		if err := echo(ctx, p, randBytes(100+i*997, int64(i))); err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
	}
	if n, err := bulk(ctx, p, size); err != nil || n != size {
		t.Fatalf("bulk through proxy: %d, %v", n, err)
	}
	// Several relayed connections at once: a second client while the first is up.
	cl2 := clientNode(t)
	p2, err := cl2.Connect(ctx, priv.Account().String()+"@"+st.Address)
	if err != nil {
		t.Fatalf("second client: %v", err)
	}
	errc := make(chan error, 2)
	go func() { _, err := bulk(ctx, p, 256<<10); errc <- err }()
	go func() { _, err := bulk(ctx, p2, 256<<10); errc <- err }()
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatalf("concurrent bulk: %v", err)
		}
	}

	// The private node dials out to the public node directly.
	q, err := priv.Connect(ctx, pub.Account().String()+"@"+pub.Addrs()[0])
	if err != nil {
		t.Fatalf("private -> public: %v", err)
	}
	if err := echo(ctx, q, []byte("out")); err != nil {
		t.Fatal(err)
	}
	if n, err := bulk(ctx, q, size); err != nil || n != size {
		t.Fatalf("bulk private -> public: %d, %v", n, err)
	}
	// The public node sees the private node's proxy address as its URL.
	if pp, ok := pub.Peer(priv.Account()); !ok || pp.URL() != st.Address {
		t.Errorf("public node sees the private node at %v", pp)
	}

	info, ok := svc.Allocation(priv.Account())
	if !ok || !info.Online || info.Address != st.Address || info.Conns != 2 || info.ConnsTotal != 2 {
		t.Fatalf("proxy view: %+v", info)
	}
	if info.BytesToNode < size || info.BytesFromNode < size {
		t.Errorf("relayed bytes %d to node, %d from node; want >= %d each", info.BytesToNode, info.BytesFromNode, size)
	}
	st = pc.Status()
	if st.Relayed != 2 || st.RelayedTotal != 2 || st.BytesIn < size || st.BytesOut < size || st.ProxyAccount != ph.Account() {
		t.Errorf("client status: %+v", st)
	}
	rs, err := pc.Remote(ctx)
	if err != nil || rs.ProxyAddress != st.Address || rs.Conns != 2 || rs.Owner != priv.Account().String() || !rs.Online {
		t.Fatalf("remote status: %+v, %v", rs, err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(svc)
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "/" + l.GetValue()
			}
			got[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	if got["dsp_proxy_allocations/online"] != 1 || got["dsp_proxy_relays"] != 2 || got["dsp_proxy_relayed_connections_total"] != 2 ||
		got["dsp_proxy_relayed_bytes_total/to_node"] < size || got["dsp_proxy_relayed_bytes_total/from_node"] < size {
		t.Errorf("metrics: %v", got)
	}

	// The private node's connections close when the client closes.
	cl2.Close()
	waitFor(t, 10*time.Second, "relay of closed client to end", func() bool {
		i, _ := svc.Allocation(priv.Account())
		return i.Conns == 1 && pc.Status().Relayed == 1
	})
}

// TestSameAddressAndOwnership: the same account gets its address back within the cache time
// (after its node went away, through a new host); another account neither gets nor releases it;
// after the cache time it is gone.
func TestSameAddressAndOwnership(t *testing.T) {
	checkGoroutines(t)
	ph, svc := proxyNode(t, Config{CacheTime: time.Hour, SweepInterval: time.Hour})
	key := genKey(t)
	priv, pc := privateNode(t, key, proxyURL(ph), 0, ClientConfig{})
	addr := pc.Status().Address
	waitFor(t, 10*time.Second, "active", func() bool { return pc.Status().State == StateActive })
	priv.Close()
	waitFor(t, 10*time.Second, "allocation offline", func() bool {
		i, ok := svc.Allocation(key.Address())
		return ok && !i.Online && !i.Expires.IsZero()
	})

	// Another account asks for that address: it gets another one, and cannot release the first.
	other, oc := privateNode(t, genKey(t), proxyURL(ph), 0, ClientConfig{Address: addr})
	waitFor(t, 10*time.Second, "other active", func() bool { return oc.Status().State == StateActive })
	if got := oc.Status().Address; got == addr || got == "" {
		t.Fatalf("other account got %q; %q is held", got, addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess := rawControl(t, ctx, other, ph)
	_, err := sess.call(ctx, &ReleaseRequest{ProxyAddress: addr})
	if !errors.Is(err, status.Is(status.InvalidWalletAddress)) {
		t.Fatalf("release of another's address: %v, want INVALID_WALLET_ADDRESS", err)
	}
	if _, ok := svc.Allocation(key.Address()); !ok {
		t.Fatal("allocation gone after a refused release")
	}
	// A request on the proxy range as a host message is refused, not served.
	if _, err := other.Request(ctx, ph.Account(), OpStatus, &StatusRequest{}); !errors.Is(err, status.Is(status.InvalidParams)) {
		t.Fatalf("status as host message: %v", err)
	}

	// The owner comes back with a new host and no held address: same address.
	priv2, pc2 := privateNode(t, key, proxyURL(ph), 0, ClientConfig{})
	if got := pc2.Status().Address; got != addr {
		t.Fatalf("owner got %q back, want %q", got, addr)
	}
	if priv2.Addrs()[0] != addr {
		t.Fatalf("new host listens on %v", priv2.Addrs())
	}
	waitFor(t, 10*time.Second, "owner active again", func() bool { return pc2.Status().State == StateActive })

	// Release by the owner frees it; a relayed dial is then refused; Request gets an address again.
	if err := pc2.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := svc.Allocation(key.Address()); ok {
		t.Fatal("allocation kept after release")
	}
	if s := pc2.Status(); s.State != StateReleased || s.Address != "" {
		t.Fatalf("after release: %+v", s)
	}
	if err := pc2.Release(ctx); !errors.Is(err, status.Is(status.NoDsp)) {
		t.Fatalf("second release: %v", err)
	}
	got, err := pc2.Request(ctx)
	if err != nil || got == "" {
		t.Fatalf("request after release: %q, %v", got, err)
	}
	if got != addr {
		t.Logf("port not free again at once: %s instead of %s", got, addr)
	}
}

// TestCacheExpiry: an allocation whose node is away longer than the cache time is freed.
func TestCacheExpiry(t *testing.T) {
	checkGoroutines(t)
	ph, svc := proxyNode(t, Config{CacheTime: 300 * time.Millisecond, SweepInterval: 50 * time.Millisecond})
	key := genKey(t)
	priv, pc := privateNode(t, key, proxyURL(ph), 0, ClientConfig{})
	waitFor(t, 10*time.Second, "active", func() bool { return pc.Status().State == StateActive })
	if _, ok := svc.Allocation(key.Address()); !ok {
		t.Fatal("no allocation")
	}
	time.Sleep(500 * time.Millisecond) // online allocations never expire
	if _, ok := svc.Allocation(key.Address()); !ok {
		t.Fatal("online allocation expired")
	}
	priv.Close()
	waitFor(t, 10*time.Second, "allocation expired", func() bool {
		_, ok := svc.Allocation(key.Address())
		return !ok
	})
}

// TestSilentNode: a node that stops sending keepalives loses its relayed connections after the
// proxy's keepalive timeout but keeps its allocation, and gets it back when it speaks again.
func TestSilentNode(t *testing.T) {
	checkGoroutines(t)
	ph, svc := proxyNode(t, Config{KeepaliveTimeout: 600 * time.Millisecond})
	priv, pc := privateNode(t, genKey(t), proxyURL(ph), 0, ClientConfig{KeepaliveInterval: 100 * time.Millisecond})
	cl := clientNode(t)
	addr := pc.Status().Address
	waitFor(t, 10*time.Second, "active", func() bool { return pc.Status().State == StateActive })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := cl.Connect(ctx, priv.Account().String()+"@"+addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := echo(ctx, p, []byte("hello")); err != nil {
		t.Fatal(err)
	}

	pc.pauseKeepalive.Store(true)
	waitFor(t, 10*time.Second, "relays cut", func() bool {
		i, ok := svc.Allocation(priv.Account())
		return ok && !i.Online && i.Conns == 0
	})
	select {
	case <-p.Closed():
	case <-time.After(10 * time.Second):
		t.Fatal("client's relayed connection still up")
	}
	if i, ok := svc.Allocation(priv.Account()); !ok || i.Address != addr {
		t.Fatalf("allocation after silence: %+v, %v", i, ok)
	}
	// The node's own connection to the proxy stays: only the proxy relationship went silent.
	pc.pauseKeepalive.Store(false)
	waitFor(t, 10*time.Second, "online again", func() bool {
		i, _ := svc.Allocation(priv.Account())
		return i.Online && pc.Status().State == StateActive && pc.Status().Reconnects >= 1
	})
	if got := pc.Status().Address; got != addr {
		t.Fatalf("address after silence %q, want %q", got, addr)
	}
	p, err = cl.Connect(ctx, priv.Account().String()+"@"+addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := echo(ctx, p, []byte("again")); err != nil {
		t.Fatal(err)
	}
}

// TestCaps: relayed connections per node and allocations per proxy are capped.
func TestCaps(t *testing.T) {
	checkGoroutines(t)
	ph, svc := proxyNode(t, Config{MaxConnsPerNode: 1, MaxAllocations: 1})
	priv, pc := privateNode(t, genKey(t), proxyURL(ph), 0, ClientConfig{})
	addr := pc.Status().Address
	waitFor(t, 10*time.Second, "active", func() bool { return pc.Status().State == StateActive })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl1, cl2 := clientNode(t), clientNode(t)
	p, err := cl1.Connect(ctx, priv.Account().String()+"@"+addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := echo(ctx, p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
	_, err = cl2.Connect(cctx, priv.Account().String()+"@"+addr)
	ccancel()
	if err == nil {
		t.Fatal("second relayed connection accepted over the cap of 1")
	}
	if i, _ := svc.Allocation(priv.Account()); i.Refused == 0 || i.Conns != 1 {
		t.Fatalf("after refusal: %+v", i)
	}
	// A second account cannot get an allocation: the proxy holds its maximum of 1.
	other := clientNode(t)
	sess := rawControl(t, ctx, other, ph)
	_, err = sess.call(ctx, &wire.ProxyRequest{})
	if !errors.Is(err, status.Is(status.InternalError)) || !strings.Contains(err.Error(), ErrAllocationsFull.Error()) {
		t.Fatalf("allocation over the cap: %v", err)
	}
	if got := len(svc.Allocations()); got != 1 {
		t.Fatalf("%d allocations", got)
	}
}

// rawControl opens a control stream from h to the proxy host ph.
func rawControl(t *testing.T, ctx context.Context, h, ph *node.Host) *ctrl {
	t.Helper()
	p, err := h.Connect(ctx, proxyURL(ph))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := openControl(ctx, p, h.Config().Wire)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.st.Close() })
	return sess
}

// TestUseAtRuntime: a node started without a proxy (a dormant proxy listener after its own) picks
// one at run time, is reached through it, and switches to another proxy.
func TestUseAtRuntime(t *testing.T) {
	checkGoroutines(t)
	ph1, svc1 := proxyNode(t, Config{})
	ph2, svc2 := proxyNode(t, Config{})
	c, err := NewClient(ClientConfig{KeepaliveInterval: 200 * time.Millisecond, KeepaliveTimeout: 5 * time.Second,
		RetryInterval: 100 * time.Millisecond, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := hostConfig(genKey(t), "kcp://127.0.0.1:0", c.ListenURL())
	cfg.Transports = node.Transports{"kcp": node.NewKCP(node.DefaultKCPConfig()), "proxy": c.Transport()}
	h := startHost(t, cfg, func(h *node.Host) error {
		if err := c.Mount(h); err != nil {
			return err
		}
		return h.Register(echoComp{}, wire.OpRange{First: OpTestEcho, Last: OpTestEcho})
	})
	if got := h.Addrs(); len(got) != 2 || got[1] != "proxy://none" || h.Config().Advertise != got[0] {
		t.Fatalf("addrs %v, advertise %q", got, h.Config().Advertise)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Request(ctx); !errors.Is(err, status.Is(status.NoDsp)) {
		t.Fatalf("request without a proxy: %v", err)
	}
	cl := clientNode(t)
	for i, ph := range []*node.Host{ph1, ph2} {
		addr, err := c.Use(ctx, proxyURL(ph))
		if err != nil {
			t.Fatal(err)
		}
		if h.Addrs()[1] != addr || c.Status().State != StateActive || c.Status().ProxyAccount != ph.Account() {
			t.Fatalf("after Use %d: addrs %v, status %+v", i, h.Addrs(), c.Status())
		}
		p, err := cl.Connect(ctx, h.Account().String()+"@"+addr)
		if err != nil {
			t.Fatalf("through proxy %d: %v", i, err)
		}
		if err := echo(ctx, p, []byte("runtime")); err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	// The first proxy keeps the allocation cached (away); the second serves it.
	if i, ok := svc1.Allocation(h.Account()); !ok || i.Online {
		t.Fatalf("first proxy: %+v, %v", i, ok)
	}
	waitFor(t, 5*time.Second, "second proxy online", func() bool {
		i, ok := svc2.Allocation(h.Account())
		return ok && i.Online
	})
}

// TestBadInput: a control request the proxy cannot use is answered with INVALID_PARAMS and the
// stream goes on; a relay stream opened by a peer other than the proxy is refused.
func TestBadInput(t *testing.T) {
	checkGoroutines(t)
	ph, _ := proxyNode(t, Config{})
	priv, pc := privateNode(t, genKey(t), proxyURL(ph), 0, ClientConfig{})
	waitFor(t, 10*time.Second, "active", func() bool { return pc.Status().State == StateActive })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	other := clientNode(t)
	sess := rawControl(t, ctx, other, ph)
	if _, err := sess.call(ctx, &testEcho{Data: []byte("not a control request")}); !errors.Is(err, status.Is(status.InvalidParams)) {
		t.Fatalf("unexpected request: %v", err)
	}
	// A payload that does not decode under its opcode.
	sess.nonce++
	sess.w.WriteMessage(&wire.Message{Message: []byte{0xc1, 0xff}, Opcode: OpRelease, NetID: sess.net, RequestNonce: sess.nonce})
	m, payload, _, err := sess.read()
	if err != nil || !m.ReplyFlag || m.RequestNonce != sess.nonce {
		t.Fatalf("reply to a malformed request: %v %v", m, err)
	}
	if e, ok := payload.(*ErrorReply); !ok || e.Code != status.InvalidParams.Num() {
		t.Fatalf("malformed request answered with %+v", payload)
	}
	if v, err := sess.call(ctx, &wire.Keepalive{}); err != nil {
		t.Fatalf("keepalive after bad input: %v", err)
	} else if _, ok := v.(*wire.KeepaliveResponse); !ok {
		t.Fatalf("keepalive answered with %T", v)
	}
	if _, err := sess.call(ctx, &StatusRequest{}); !errors.Is(err, status.Is(status.NoDsp)) {
		t.Fatalf("status without an allocation: %v", err)
	}

	// Another peer of the private node pretends to relay a connection.
	p, err := other.Connect(ctx, priv.Account().String()+"@"+pc.Status().Address)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.OpenStream(ctx, RelayProto)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	writeRelayOpen(st, &RelayOpen{ProxyAddress: pc.Status().Address, Remote: "203.0.113.9:1"})
	st.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := st.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("forged relay stream: read %v, want it closed", err)
	}
	if got := pc.Status().RelayedTotal; got != 1 {
		t.Fatalf("%d relayed connections accepted, want only the real one", got)
	}
}
