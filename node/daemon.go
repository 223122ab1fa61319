package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"dsp/keys"
	"dsp/node/client"
	"dsp/store"
	"dsp/wire"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Roles a node can take. Services plug into the host as components; a node with no role is a
// client that still uploads and downloads.
var Roles = []string{"fs", "scan", "dns", "proxy", "ledger"}

// Files in a node's data directory.
const (
	KeyFile   = "node.key"        // the node's account key (mode 0600), made on first start
	StoreFile = "store/blocks.db" // the block store (bbolt)
)

// Options configure a Node (what `dsp node` takes on its command line).
type Options struct {
	DataDir string
	// Key is the node's account key; nil means the key file DataDir/node.key (see
	// LoadOrCreateKey). `dsp node --password-file` passes a key unlocked from the wallet here.
	Key *keys.KeyPair
	// Listen URLs (default kcp://127.0.0.1:0).
	Listen []string
	// Advertise is the URL peers are told to reach this node at (default the first listener's
	// URL; set it when listening on 0.0.0.0 or behind a port mapping).
	Advertise string
	Roles     []string
	// Peers to connect to and keep connected: "kcp://host:port" or "ACCOUNT@kcp://host:port".
	Peers []string
	// MetricsAddr, if set, serves Prometheus metrics at http://MetricsAddr/metrics and Go's
	// profiles at http://MetricsAddr/debug/pprof/ (net/http/pprof): bind it to loopback or a
	// trusted network.
	MetricsAddr string
	// APIAddr is where the control API listens (default 127.0.0.1:0: loopback, any free port).
	APIAddr   string
	NetworkID uint32 // default wire.DefaultConfig().NetworkID
	// KeepaliveInterval and KeepaliveTimeout override the host's defaults (5 s / 20 s) when set.
	KeepaliveInterval, KeepaliveTimeout time.Duration
	// ReconnectInterval is how often unconnected Peers are dialed again (default 5 s).
	ReconnectInterval time.Duration
	Logger            *slog.Logger
	// Host, if set, adjusts the host configuration before the host is made (tests: transports,
	// timeouts).
	Host func(*Config)
	// Setup, if set, runs after the host is made and before it starts: services register their
	// components (Host.Register) and stream handlers (Host.HandleStream) here.
	Setup func(n *Node, h *Host) error
}

// Node is a running headless node: key, store, host, metrics and control API. Close stops it.
type Node struct {
	opts    Options
	log     *slog.Logger
	key     *keys.KeyPair
	host    *Host
	store   *store.Store
	events  *eventBus
	started time.Time
	apiURL  string
	metrics string
	token   string
	// services answer the client API beyond NodeAPI (SetServices); nil: NoServices.
	services Services

	closers []namedCloser // run in reverse on Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once
}

type namedCloser struct {
	name string
	fn   func() error
}

// Open starts a node: it loads (or creates) the key, opens the store, starts the host, the
// metrics and API servers, writes DataDir/api.json and begins connecting to Options.Peers. On
// error everything already started is stopped again.
func Open(opts Options) (n *Node, err error) {
	if opts.DataDir == "" {
		return nil, fmt.Errorf("%w: no data directory", ErrBadConfig)
	}
	for _, r := range opts.Roles {
		if !slices.Contains(Roles, r) {
			return nil, fmt.Errorf("%w: unknown role %q (want some of %s)", ErrBadConfig, r, strings.Join(Roles, ","))
		}
	}
	for _, p := range opts.Peers {
		if _, _, err := ParsePeerURL(p); err != nil {
			return nil, err
		}
	}
	if len(opts.Listen) == 0 {
		opts.Listen = []string{"kcp://127.0.0.1:0"}
	}
	if opts.APIAddr == "" {
		opts.APIAddr = "127.0.0.1:0"
	}
	if opts.ReconnectInterval <= 0 {
		opts.ReconnectInterval = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	nd := &Node{opts: opts, log: opts.Logger, events: newEventBus(), started: time.Now().UTC()}
	n = nd
	defer func() {
		if err != nil { // a return statement has set n to nil: close what was started via nd
			nd.Close()
			n = nil
		}
	}()
	if nd.key = opts.Key; nd.key == nil {
		if nd.key, err = LoadOrCreateKey(filepath.Join(opts.DataDir, KeyFile)); err != nil {
			return nil, err
		}
	}
	n.log = n.log.With("node", n.key.Address().String())
	if n.store, err = store.Open(filepath.Join(opts.DataDir, StoreFile), nil); err != nil {
		return nil, err
	}
	n.addCloser("store", n.store.Close)
	if err := n.startHost(); err != nil {
		return nil, err
	}
	if err := n.startServers(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.keepPeers(ctx) }()
	n.log.Info("node ready", "listen", n.host.Addrs(), "api", n.apiURL, "roles", opts.Roles, "network", n.host.NetworkID())
	return n, nil
}

func (n *Node) addCloser(name string, fn func() error) {
	n.closers = append(n.closers, namedCloser{name, fn})
}

func (n *Node) startHost() error {
	wc := wire.DefaultConfig()
	if n.opts.NetworkID != 0 {
		wc.NetworkID = n.opts.NetworkID
	}
	cfg := Config{Key: n.key, Wire: wc, Listen: n.opts.Listen, Advertise: n.opts.Advertise, Logger: n.log,
		KeepaliveInterval: n.opts.KeepaliveInterval, KeepaliveTimeout: n.opts.KeepaliveTimeout}
	if n.opts.Host != nil {
		n.opts.Host(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		return err
	}
	if err := h.Register(peerEvents{bus: n.events}); err != nil {
		return err
	}
	if n.opts.Setup != nil {
		if err := n.opts.Setup(n, h); err != nil {
			return fmt.Errorf("set up services: %w", err)
		}
	}
	if err := h.Start(); err != nil {
		return err
	}
	n.host = h
	n.addCloser("host", h.Close)
	return nil
}

func (n *Node) startServers() error {
	if n.opts.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(n.host.Metrics().Registry, promhttp.HandlerOpts{}))
		// Go's profiles (CPU, heap, goroutines, execution trace) beside the metrics, for operators
		// looking into a node's CPU or memory: go tool pprof http://ADDR/debug/pprof/profile.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		addr, err := n.serve("metrics", n.opts.MetricsAddr, mux)
		if err != nil {
			return err
		}
		n.metrics = "http://" + addr + "/metrics"
		n.log.Info("metrics", "url", n.metrics)
	}
	tok := make([]byte, 32)
	_, _ = rand.Read(tok)
	n.token = hex.EncodeToString(tok)
	addr, err := n.serve("api", n.opts.APIAddr, NewAPIHandler(Local(n), n.token))
	if err != nil {
		return err
	}
	n.apiURL = "http://" + addr + "/api/v1"
	info, _ := json.MarshalIndent(client.APIInfo{URL: n.apiURL, Token: n.token}, "", "  ")
	path := filepath.Join(n.opts.DataDir, client.APIInfoFile)
	if err := writeFileAtomic(path, append(info, '\n'), 0o600); err != nil {
		return err
	}
	n.addCloser("api.json", func() error { return os.Remove(path) })
	return nil
}

// serve starts an HTTP server on addr and returns the address actually bound.
func (n *Node) serve(name, addr string, h http.Handler) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s listen %s: %w", name, addr, err)
	}
	base, stop := context.WithCancel(context.Background()) // ends event streams on shutdown
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return base }}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error(name+" server stopped", "err", err)
		}
	}()
	n.addCloser(name+" server", func() error {
		stop()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			return srv.Close() // event streams stay open until closed
		}
		return nil
	})
	return l.Addr().String(), nil
}

// keepPeers dials every configured peer that is not connected, now and every ReconnectInterval.
func (n *Node) keepPeers(ctx context.Context) {
	t := time.NewTicker(n.opts.ReconnectInterval)
	defer t.Stop()
	for {
		for _, u := range n.opts.Peers {
			cctx, cancel := context.WithTimeout(ctx, n.host.Config().HandshakeTimeout)
			if _, err := n.host.Connect(cctx, u); err != nil && ctx.Err() == nil {
				n.log.Warn("peer unreachable; will retry", "peer", u, "err", err, "retry", n.opts.ReconnectInterval)
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the node: the reconnect loop, the API and metrics servers (removing api.json), the
// host (every peer gets a Disconnect message) and last the store, flushed and closed; then every
// Events stream of the node ends. It returns the first error and may be called more than once.
func (n *Node) Close() error {
	var first error
	n.once.Do(func() {
		if n.cancel != nil {
			n.cancel()
		}
		for i := len(n.closers) - 1; i >= 0; i-- {
			c := n.closers[i]
			if err := c.fn(); err != nil && !errors.Is(err, os.ErrNotExist) {
				n.log.Error("stop "+c.name, "err", err)
				if first == nil {
					first = fmt.Errorf("stop %s: %w", c.name, err)
				}
			}
		}
		n.wg.Wait()
		n.events.close()
		n.log.Info("node stopped")
	})
	return first
}

// Host is the node's P2P host.
func (n *Node) Host() *Host { return n.host }

// Store is the node's block store.
func (n *Node) Store() *store.Store { return n.store }

// Key is the node's account key.
func (n *Node) Key() *keys.KeyPair { return n.key }

// MetricsURL is where Prometheus metrics are served ("" without Options.MetricsAddr).
func (n *Node) MetricsURL() string { return n.metrics }

// APIURL is the control API's base URL (…/api/v1).
func (n *Node) APIURL() string { return n.apiURL }

// keyFile is the JSON form of KeyFile.
type keyFile struct {
	Scheme  string `json:"scheme"`
	Private string `json:"private"` // hex of keys.KeyPair.PrivateBytes
	Address string `json:"address"` // for people; checked on load
}

// LoadOrCreateKey reads the node key at path, or creates an Ed25519 key there (mode 0600,
// written atomically) if the file does not exist. A key file other users may read is refused.
func LoadOrCreateKey(path string) (*keys.KeyPair, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := keys.Generate(keys.DefaultScheme)
		if err != nil {
			return nil, err
		}
		b, _ := json.MarshalIndent(keyFile{Scheme: k.Scheme().String(), Private: hex.EncodeToString(k.PrivateBytes()), Address: k.Address().String()}, "", "  ")
		if err := writeFileAtomic(path, append(b, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("create node key: %w", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read node key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: node key %s is open to other users (mode %04o); chmod 600 it", ErrBadConfig, path, fi.Mode().Perm())
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	s, err := keys.ParseScheme(kf.Scheme)
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	priv, err := hex.DecodeString(kf.Private)
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	k, err := keys.FromPrivateBytes(s, priv)
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	if kf.Address != "" && kf.Address != k.Address().String() {
		return nil, fmt.Errorf("node key %s: address %s does not match the key (%s)", path, kf.Address, k.Address())
	}
	return k, nil
}

// writeFileAtomic writes data to a temporary file in path's directory, syncs it and renames it
// over path, so readers see the old content or the new, never a part.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := io.Copy(f, strings.NewReader(string(data))); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Opts returns the options the node runs with, defaults filled in.
func (n *Node) Opts() Options { return n.opts }

// Publish sends an event to every subscriber of the node's event stream (client.NodeAPI.Events,
// GET /api/v1/events). Services use it for task progress; it never blocks.
func (n *Node) Publish(typ string, data any) { n.events.publish(typ, data) }

// AddCloser adds fn to what Close runs, in reverse order of addition: something added during
// Options.Setup stops after the host; something added after Open returned stops before the API
// servers and the host. fn runs once, also when Open fails after it was added.
func (n *Node) AddCloser(name string, fn func() error) { n.addCloser(name, fn) }
