package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dsp/node"
	"dsp/wire"
)

// The namespaces' addresses: the proxy has one leg to the public side and one to the private
// side and does not forward between them; the private side's only route leads to the proxy.
const (
	nsProxyPublic  = "10.231.1.1" // proxy, public leg
	nsPublic       = "10.231.1.2" // public node and client
	nsProxyPrivate = "10.231.2.1" // proxy, private leg
	nsPrivate      = "10.231.2.2" // private node
	nsProxyPort    = "7000"
	nsBulk         = 2 << 20
)

// nsInfo is what a role publishes for the others, as JSON in the shared directory.
type nsInfo struct {
	Account string `json:"account"`
	Address string `json:"address"`          // proxy address (or direct for the proxy itself)
	Direct  string `json:"direct,omitempty"` // a direct address, if any
	Err     string `json:"err,omitempty"`
	Done    bool   `json:"done,omitempty"`
}

// TestNetnsRelay separates the nodes with network namespaces the test creates: a proxy namespace
// with two legs, a public namespace (a public node and a client) and a private namespace that can
// reach only the proxy's namespace. Each role runs as a child process of this test binary inside
// its namespace. The client reaches the private node through its proxy address, and the private
// node reaches the public node through the public node's proxy address (the spec's connection-3
// and connection-4), with hash-checked bulk transfers both ways; the private node's direct dial to
// the public node must fail. Skipped where namespaces cannot be made.
func TestNetnsRelay(t *testing.T) {
	if os.Getenv("DSP_PROXY_NETNS_ROLE") != "" {
		t.Skip("running as a role")
	}
	nn := makeNetns(t)
	nn.start("proxy", nn.prx)
	nn.start("public", nn.pub)
	nn.start("private", nn.prv)
	nn.start("client", nn.pub)
	nn.wait("private-result", "client-result")
}

// netns is the namespaces of one test and the roles it started.
type netns struct {
	t             *testing.T
	ipBin, dir    string
	pub, prx, prv string
}

// makeNetns makes the three namespaces and their links, removed at cleanup; it skips t where the
// machine does not allow it.
func makeNetns(t *testing.T) *netns {
	if os.Geteuid() != 0 {
		t.Skip("netns test needs root (ip netns add); the loopback tests cover the same flow")
	}
	ipBin, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("netns test needs the ip command (iproute2); the loopback tests cover the same flow")
	}
	tag := fmt.Sprintf("%d", os.Getpid()%100000)
	pub, prx, prv := "dsppub"+tag, "dspprx"+tag, "dspprv"+tag
	ip := func(args ...string) error {
		out, err := exec.Command(ipBin, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := ip("netns", "add", pub); err != nil {
		t.Skipf("cannot create network namespaces here: %v", err)
	}
	t.Cleanup(func() { ip("netns", "del", pub) })
	for _, ns := range []string{prx, prv} {
		if err := ip("netns", "add", ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ip("netns", "del", ns) })
	}
	va, vb, vc, vd := "dpa"+tag, "dpb"+tag, "dpc"+tag, "dpd"+tag
	steps := [][]string{
		{"link", "add", va, "type", "veth", "peer", "name", vb},
		{"link", "set", va, "netns", prx}, {"link", "set", vb, "netns", pub},
		{"link", "add", vc, "type", "veth", "peer", "name", vd},
		{"link", "set", vc, "netns", prx}, {"link", "set", vd, "netns", prv},
		{"-n", prx, "addr", "add", nsProxyPublic + "/24", "dev", va},
		{"-n", pub, "addr", "add", nsPublic + "/24", "dev", vb},
		{"-n", prx, "addr", "add", nsProxyPrivate + "/24", "dev", vc},
		{"-n", prv, "addr", "add", nsPrivate + "/24", "dev", vd},
		{"-n", prx, "link", "set", va, "up"}, {"-n", prx, "link", "set", vc, "up"},
		{"-n", pub, "link", "set", vb, "up"}, {"-n", prv, "link", "set", vd, "up"},
		{"-n", prx, "link", "set", "lo", "up"}, {"-n", pub, "link", "set", "lo", "up"}, {"-n", prv, "link", "set", "lo", "up"},
		{"-n", prv, "route", "add", "default", "via", nsProxyPrivate},
	}
	for i, s := range steps {
		if err := ip(s...); err != nil {
			if i == 0 {
				t.Skipf("cannot create veth pairs here: %v", err)
			}
			ip("link", "del", va) // a veth left in this namespace if moving it failed
			ip("link", "del", vc)
			t.Fatal(err)
		}
	}

	return &netns{t: t, ipBin: ipBin, dir: t.TempDir(), pub: pub, prx: prx, prv: prv}
}

// start runs role as a child process in namespace ns, stopped at cleanup.
func (n *netns) start(role, ns string) {
	t, dir, ipBin := n.t, n.dir, n.ipBin
	logf, err := os.Create(filepath.Join(dir, role+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ipBin, "netns", "exec", ns, os.Args[0], "-test.run=^TestNetnsRole$", "-test.v", "-test.timeout=150s")
	cmd.Env = append(os.Environ(), "DSP_PROXY_NETNS_ROLE="+role, "DSP_PROXY_NETNS_DIR="+dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		os.WriteFile(filepath.Join(dir, "stop"), nil, 0o600)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, role+".log"))
			t.Logf("%s log:\n%s", role, b)
		}
	})
}

// wait waits for each result file and fails the test unless every one is done without error.
func (n *netns) wait(results ...string) {
	for _, role := range results {
		var r nsInfo
		if err := waitJSON(n.dir, role, 150*time.Second, &r); err != nil {
			n.t.Fatal(err)
		}
		if !r.Done || r.Err != "" {
			n.t.Fatalf("%s: %+v", role, r)
		}
		n.t.Logf("%s: %+v", role, r)
	}
}

// TestNetnsRole runs one role of TestNetnsRelay inside its namespace.
func TestNetnsRole(t *testing.T) {
	role, dir := os.Getenv("DSP_PROXY_NETNS_ROLE"), os.Getenv("DSP_PROXY_NETNS_DIR")
	if role == "" {
		t.Skip("a role of TestNetnsRelay, started by it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	switch role {
	case "proxy":
		// Bound to the public leg's address, not 0.0.0.0: from a wildcard socket the kernel would
		// answer the private side from the private leg's address, and a KCP dialer drops packets from
		// another address than the one it dialed.
		svc, err := NewService(Config{PublicHost: nsProxyPublic, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		h := startHost(t, hostConfig(genKey(t), "kcp://0.0.0.0:"+nsProxyPort), svc.Mount)
		writeJSON(t, dir, "proxy", nsInfo{Account: h.Account().String()})
	case "public":
		var px nsInfo
		must(t, waitJSON(dir, "proxy", 30*time.Second, &px))
		h, c := nsNode(t, px.Account+"@kcp://"+nsProxyPublic+":"+nsProxyPort, "kcp://"+nsPublic+":7001")
		writeJSON(t, dir, "public", nsInfo{Account: h.Account().String(), Address: c.Status().Address, Direct: "kcp://" + nsPublic + ":7001"})
	case "private":
		var px, pub nsInfo
		must(t, waitJSON(dir, "proxy", 30*time.Second, &px))
		h, c := nsNode(t, px.Account+"@kcp://"+nsProxyPrivate+":"+nsProxyPort)
		writeJSON(t, dir, "private", nsInfo{Account: h.Account().String(), Address: c.Status().Address})
		must(t, waitJSON(dir, "public", 30*time.Second, &pub))
		writeJSON(t, dir, "private-result", nsInfo{Done: true, Err: errString(nsPrivateToPublic(ctx, h, pub))})
	case "client":
		var priv nsInfo
		must(t, waitJSON(dir, "private", 60*time.Second, &priv))
		h := startHost(t, hostConfig(genKey(t)), nil)
		err := func() error {
			p, err := h.Connect(ctx, priv.Account+"@"+priv.Address)
			if err != nil {
				return fmt.Errorf("client -> private through %s: %w", priv.Address, err)
			}
			if err := echo(ctx, p, []byte("through the proxy")); err != nil {
				return err
			}
			if n, err := bulk(ctx, p, nsBulk); err != nil || n != nsBulk {
				return fmt.Errorf("bulk client <-> private: %d bytes, %v", n, err)
			}
			return nil
		}()
		writeJSON(t, dir, "client-result", nsInfo{Done: true, Err: errString(err)})
		return
	case "fclient":
		fileRole(t, ctx, role, dir)
		return
	default:
		if !fileRole(t, ctx, role, dir) {
			t.Fatalf("unknown role %q", role)
		}
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// nsPrivateToPublic checks that the private node cannot dial the public node directly and
// exchanges data with it through the public node's proxy address.
func nsPrivateToPublic(ctx context.Context, h *node.Host, pub nsInfo) error {
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, err := h.Connect(dctx, pub.Account+"@"+pub.Direct)
	cancel()
	if err == nil {
		return errors.New("the private namespace reached the public node directly: no separation")
	}
	p, err := h.Connect(ctx, pub.Account+"@"+pub.Address)
	if err != nil {
		return fmt.Errorf("private -> public through %s: %w", pub.Address, err)
	}
	if err := echo(ctx, p, []byte("out through the proxy")); err != nil {
		return err
	}
	if n, err := bulk(ctx, p, nsBulk); err != nil || n != nsBulk {
		return fmt.Errorf("bulk private <-> public: %d bytes, %v", n, err)
	}
	return nil
}

// nsNode starts a node holding an address on the proxy at purl, also listening on extra.
func nsNode(t *testing.T, purl string, extra ...string) (*node.Host, *Client) {
	c, err := NewClient(ClientConfig{Proxy: purl, KeepaliveInterval: time.Second, RetryInterval: 200 * time.Millisecond, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := hostConfig(genKey(t), append([]string{c.ListenURL()}, extra...)...)
	cfg.Transports = node.Transports{"kcp": node.NewKCP(node.DefaultKCPConfig()), "proxy": c.Transport()}
	h := startHost(t, cfg, func(h *node.Host) error {
		if err := c.Mount(h); err != nil {
			return err
		}
		h.HandleStream(bulkProto, serveBulk(nsBulk))
		return h.Register(echoComp{}, wire.OpRange{First: OpTestEcho, Last: OpTestEcho})
	})
	return h, c
}

func writeJSON(t *testing.T, dir, name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, name+".tmp")
	must(t, os.WriteFile(tmp, b, 0o600))
	must(t, os.Rename(tmp, filepath.Join(dir, name+".json")))
}

func waitJSON(dir, name string, d time.Duration, v any) error {
	end := time.Now().Add(d)
	for {
		b, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err == nil {
			return json.Unmarshal(b, v)
		}
		if time.Now().After(end) {
			return fmt.Errorf("no %s.json after %v", name, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
