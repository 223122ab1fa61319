// Package roles makes a node.Node a whole dsp node: it mounts the services of the node's roles
// (ledger, scan, dns, fs, proxy), reaches the ledger over the wire when the node does not run it,
// runs the task manager every node has (uploads, downloads, block sharing), registers the node's
// roles on the ledger, and answers the whole client API (node.Services) in-process and through
// the control API. `dsp node` and node/devnet start nodes with Open. docs/node.md describes the
// roles and their files.
package roles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"dsp/channel"
	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/client"
	"dsp/node/dns"
	"dsp/node/fs"
	"dsp/node/proxy"
	"dsp/node/scan"
	"dsp/node/task"
	"dsp/status"
	"dsp/store"
)

// Files and directories a node keeps in its data directory besides node's own (node.KeyFile,
// node.StoreFile, api.json).
const (
	LedgerDir  = "ledger"      // the ledger role's chain (ledger.OpenDir)
	ScanFile   = "scan.db"     // the scan role's table
	TasksFile  = "tasks.db"    // the task manager's tasks
	WalletFile = "wallet.json" // the accounts the AccountAPI manages
	// PDPKeysDir holds the owners' PDP prover keys an FS node received (fs.Config.KeyDir). A
	// node that kept them beside its store (store/blocks.db.pdpkeys, fs's default) has them
	// moved here at start.
	PDPKeysDir = "pdpkeys"
)

// FSTerms are what an FS node registers on the ledger with (seed 004's provider parameters).
type FSTerms struct {
	Capacity         uint64 // bytes offered (default 1 GiB)
	PricePerMBBlock  uint64 // per started MiB per block (default 1)
	MaxProveInterval uint64 // blocks (default 10,000)
	MinFileSize      uint64 // bytes (default 1)
	MaxFileSize      uint64 // bytes; 0 = no bound but Capacity
	Pledge           uint64 // locked while registered (default the chain's MinFSPledge, at least 1000)
}

// DefaultFSTerms are the terms an FS node registers with when Config.FS leaves them zero.
func DefaultFSTerms() FSTerms {
	return FSTerms{Capacity: 1 << 30, PricePerMBBlock: 1, MaxProveInterval: 10_000, MinFileSize: 1}
}

// Config configures a whole node. Options is the node's own configuration; its Setup, if set,
// runs after the roles are mounted.
type Config struct {
	node.Options
	// Genesis is the ledger role's genesis file ("": the chain already in DataDir/ledger, or a
	// new devnet chain funding the node's account, its genesis written to
	// DataDir/ledger/genesis.json).
	Genesis string
	// Ledger is the ledger node a node without the ledger role asks ("ACCOUNT@kcp://host:port"
	// pins its account). Empty: the first connected peer that answers ledger requests.
	Ledger string
	// Scan is the SCAN node the task manager announces to and finds holders at. Empty: this node
	// when it runs scan, else the first SCAN node registered on the ledger.
	Scan string
	// FS are the fs role's registration terms (zero fields take DefaultFSTerms).
	FS FSTerms
	// Proxy is a proxy node's URL: the node asks it for an address and advertises that address
	// (a node behind NAT). Empty: no proxy until RequestProxy names one.
	Proxy string
	// ProxyService configures the proxy role.
	ProxyService proxy.Config
	// AutoResume resumes unfinished tasks at start (else they come back paused).
	AutoResume bool
	// Fee is the fee of the node's transactions (at least the chain's MinFee).
	Fee uint64
	// Wallet is the wallet file of the AccountAPI (default DataDir/wallet.json). WalletOptions
	// are passed when it is opened or created (tests: cheap scrypt).
	Wallet        string
	WalletOptions []keys.Option
	// ConfirmTimeout bounds an upload's wait for the FS nodes' confirmations (default 2 min).
	ConfirmTimeout time.Duration
	// RegisterInterval is how often a failed role registration is retried (default 2 s).
	RegisterInterval time.Duration
	// OnAdopt, if set, is called when NewAccount or ImportAccount is asked to make the new
	// account the default (Default true) while the node does not run as a wallet account (it runs
	// as its key file): kp is the new account, unlocked with the request's password. The call
	// answering the request is still running on this node, so OnAdopt must not block or close the
	// node itself; node/devnet reopens its client node as kp in the background.
	OnAdopt func(kp *keys.KeyPair)
	// Price is what the node charges per byte of data block it serves (0: free) and PayLimit how
	// much a peer may owe it before it is refused (0: fs.DefaultLimitFlights flights); payments
	// use DataDir/channels.db (channels.go, docs/channels.md).
	Price, PayLimit uint64
}

// Node is a running node with its roles. Close stops it.
type Node struct {
	*node.Node
	cfg    Config
	log    *slog.Logger
	led    ledger.Ledger
	embed  *ledger.Embedded // the ledger role's chain; nil on other nodes
	rt     *ledgerRT        // how a node without the role reaches the ledger
	tx     *ledger.Sender   // every transaction of the node's account goes through it
	fsSvc  *fs.Service
	scanT  *scan.Tracker
	prxSvc *proxy.Service
	prxCli *proxy.Client
	tasks  *task.Manager
	svc    *services
	chans  *channel.Store // DataDir/channels.db; nil without a data directory

	registered chan struct{} // closed once every role is registered
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

func (c *Config) has(role string) bool { return slices.Contains(c.Roles, role) }

// Open starts a node with cfg's roles: it opens what the roles keep (the chain, the SCAN table),
// mounts their services and the fs service (serve-only without the fs role), starts the node
// (node.Open), then the task manager and the registration of the node's roles on the ledger,
// which keeps retrying in the background until it succeeds (WaitRegistered). On error
// everything already started is stopped.
func Open(cfg Config) (*Node, error) {
	if cfg.RegisterInterval <= 0 {
		cfg.RegisterInterval = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Wallet == "" && cfg.DataDir != "" {
		cfg.Wallet = filepath.Join(cfg.DataDir, WalletFile)
	}
	cfg.FS = withDefaults(cfg.FS)
	if cfg.Key == nil && cfg.DataDir != "" {
		k, err := node.LoadOrCreateKey(filepath.Join(cfg.DataDir, node.KeyFile))
		if err != nil {
			return nil, err
		}
		cfg.Key = k
	}
	n := &Node{cfg: cfg, log: cfg.Logger, registered: make(chan struct{})}
	n.svc = &services{n: n}
	opts := cfg.Options
	user := opts.Setup
	opts.Setup = func(nd *node.Node, h *node.Host) error {
		n.Node = nd
		if err := n.mount(nd, h); err != nil {
			return err
		}
		nd.SetServices(n.svc)
		if user != nil {
			return user(nd, h)
		}
		return nil
	}
	if cfg.Proxy != "" || !cfg.has("proxy") {
		// A proxy client, dormant without cfg.Proxy, so RequestProxy can pick one at run time.
		pc, err := proxy.NewClient(proxy.ClientConfig{Proxy: cfg.Proxy, Logger: cfg.Logger})
		if err != nil {
			return nil, status.Wrap(status.InvalidParams, err, "--proxy")
		}
		n.prxCli = pc
		hostCfg := opts.Host
		opts.Host = func(c *node.Config) {
			if hostCfg != nil {
				hostCfg(c)
			}
			if c.Transports == nil {
				c.Transports = node.DefaultTransports()
			}
			c.Transports["proxy"] = pc.Transport()
			if cfg.Proxy != "" {
				c.Listen = append([]string{pc.ListenURL()}, c.Listen...)
			} else {
				c.Listen = append(c.Listen, pc.ListenURL())
			}
		}
	}
	nd, err := node.Open(opts)
	if err != nil {
		return nil, err
	}
	n.Node = nd
	if err := n.start(); err != nil {
		nd.Close()
		return nil, err
	}
	return n, nil
}

func withDefaults(t FSTerms) FSTerms {
	d := DefaultFSTerms()
	if t.Capacity == 0 {
		t.Capacity = d.Capacity
	}
	if t.PricePerMBBlock == 0 {
		t.PricePerMBBlock = d.PricePerMBBlock
	}
	if t.MaxProveInterval == 0 {
		t.MaxProveInterval = d.MaxProveInterval
	}
	if t.MinFileSize == 0 {
		t.MinFileSize = d.MinFileSize
	}
	return t
}

// mount opens the roles' state and registers their services with h (node.Options.Setup).
func (n *Node) mount(nd *node.Node, h *node.Host) error {
	cfg := &n.cfg
	if cfg.has("ledger") {
		l, err := ledger.OpenDir(filepath.Join(cfg.DataDir, LedgerDir), cfg.Genesis, nd.Key(), nil)
		if err != nil {
			return err
		}
		nd.AddCloser("ledger", l.Close)
		n.embed, n.led = l, l
		lc := newLedgerComponent(l, n.log)
		if err := h.Register(lc, ledgerRange); err != nil {
			return err
		}
	} else {
		n.rt = &ledgerRT{h: h, url: cfg.Ledger}
		n.led = ledger.NewRemote(n.rt)
	}
	n.tx = ledger.NewSender(n.led, nd.Key(), cfg.Fee)
	if cfg.has("scan") {
		t, err := scan.Open(scan.Config{Path: filepath.Join(cfg.DataDir, ScanFile)})
		if err != nil {
			return err
		}
		nd.AddCloser("scan table", t.Close)
		n.scanT = t
		svc, err := scan.NewService(scan.ServiceConfig{Tracker: t, Logger: n.log})
		if err != nil {
			return err
		}
		if err := svc.Mount(h); err != nil {
			return err
		}
	}
	if cfg.has("dns") {
		svc, err := dns.NewService(dns.ServiceConfig{Ledger: n.led, Tracker: n.scanT})
		if err != nil {
			return err
		}
		if err := svc.Mount(h); err != nil {
			return err
		}
	}
	if err := n.openChannels(nd, h); err != nil {
		return err
	}
	keyDir, err := pdpKeyDir(cfg.DataDir)
	if err != nil {
		return err
	}
	fsSvc, err := fs.New(fs.Config{Store: nd.Store(), Ledger: n.led, Key: nd.Key(), Sender: n.tx,
		Storage: cfg.has("fs"), Capacity: cfg.FS.Capacity, Logger: n.log, KeyDir: keyDir,
		Pay: fs.PayConfig{Channels: n.chans, Price: cfg.Price, Limit: cfg.PayLimit},
		Announce: func(ctx context.Context, fh store.Hash) error {
			return n.scan().Announce(ctx, fh, 0, scan.FSNode)
		}})
	if err != nil {
		return err
	}
	if err := fsSvc.Mount(h); err != nil {
		return err
	}
	n.fsSvc = fsSvc
	if cfg.has("proxy") {
		pcfg := cfg.ProxyService
		if pcfg.Logger == nil {
			pcfg.Logger = n.log
		}
		ps, err := proxy.NewService(pcfg)
		if err != nil {
			return err
		}
		if err := ps.Mount(h); err != nil {
			return err
		}
		if err := h.Metrics().Registry.Register(ps); err != nil {
			return fmt.Errorf("proxy metrics: %w", err)
		}
		n.prxSvc = ps
	}
	if n.prxCli != nil {
		if err := n.prxCli.Mount(h); err != nil {
			return err
		}
	}
	return nil
}

// pdpKeyDir is DataDir/PDPKeysDir ("" without a data directory: fs's default), with the keys of
// an older layout (beside the store) moved there.
func pdpKeyDir(dataDir string) (string, error) {
	if dataDir == "" {
		return "", nil
	}
	dir := filepath.Join(dataDir, PDPKeysDir)
	old := filepath.Join(dataDir, node.StoreFile) + ".pdpkeys"
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(old); err == nil {
			if err := os.Rename(old, dir); err != nil {
				return "", fmt.Errorf("move prover keys to %s: %w", dir, err)
			}
		}
	}
	return dir, nil
}

// start runs what needs the started host: the task manager, its event pump and the role
// registration. Their closers run before the host's.
func (n *Node) start() error {
	m, err := task.Open(task.Config{Host: n.Host(), Store: n.Store(), Ledger: n.led, Key: n.Key(), Sender: n.tx,
		Scan: n.scan(), Path: filepath.Join(n.cfg.DataDir, TasksFile), AutoResume: n.cfg.AutoResume,
		ConfirmTimeout: n.cfg.ConfirmTimeout, Logger: n.log, Pay: task.PayConfig{Channels: n.chans}})
	if err != nil {
		return err
	}
	n.tasks = m
	n.AddCloser("tasks", m.Close)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	sub := m.Subscribe()
	n.wg.Add(2)
	go func() { defer n.wg.Done(); n.pumpEvents(ctx, sub) }()
	go func() { defer n.wg.Done(); n.registerLoop(ctx) }()
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.watchChannels(ctx) }()
	n.AddCloser("background", func() error {
		cancel()
		sub.Close()
		n.wg.Wait()
		return nil
	})
	return nil
}

// pumpEvents publishes every task snapshot as a client.EventTask event.
func (n *Node) pumpEvents(ctx context.Context, sub *task.Subscription) {
	for {
		select {
		case <-ctx.Done():
			return
		case in, ok := <-sub.C():
			if !ok {
				return
			}
			n.Publish(client.EventTask, taskOf(in))
		}
	}
}

// Ledger is the ledger the node uses: its own chain (ledger role) or the remote one.
func (n *Node) Ledger() ledger.Ledger { return n.led }

// Sender is the one sender of the node's transactions, shared by its fs service, task manager,
// registration, channel watch and client API: anything else in the process that sends from the
// node's account must use it too (ledger.Sender).
func (n *Node) Sender() *ledger.Sender { return n.tx }

// Chain is the ledger role's chain, nil on a node without the role.
func (n *Node) Chain() *ledger.Embedded { return n.embed }

// Tasks is the node's task manager.
func (n *Node) Tasks() *task.Manager { return n.tasks }

// FS is the node's fs service (serve-only without the fs role).
func (n *Node) FS() *fs.Service { return n.fsSvc }

// ProxyClient is the node's proxy client (nil on a proxy node started without Config.Proxy).
func (n *Node) ProxyClient() *proxy.Client { return n.prxCli }

// ProxyService is the proxy role's service (nil without the role).
func (n *Node) ProxyService() *proxy.Service { return n.prxSvc }

// ScanTable is the scan role's table (nil without the role).
func (n *Node) ScanTable() *scan.Tracker { return n.scanT }

// Client is the node's in-process client (node.Local).
func (n *Node) Client() client.Client { return node.Local(n.Node) }

// WaitRegistered waits until every role of the node is registered on the ledger (at once for a
// node without registrable roles).
func (n *Node) WaitRegistered(ctx context.Context) error {
	select {
	case <-n.registered:
		return nil
	case <-ctx.Done():
		return status.Wrap(status.DspNodeRegisterFailed, ctx.Err(), "wait for role registration")
	}
}

// URL is the node's peer URL with its account pinned: ACCOUNT@ADVERTISED.
func (n *Node) URL() string { return n.Key().Address().String() + "@" + n.Host().Addrs()[0] }

// errNotRunning: a role the node does not run.
var errNotRunning = errors.New("role not running on this node")
