// Package devnet runs a whole dsp network in one process on loopback KCP ports: a ledger node,
// FS nodes, a SCAN/DNS node and a proxy node, each with its own data directory and account, all
// funded by the genesis and the FS nodes registered on the ledger, plus a client node whose
// control API the CLI and the TUI use (its api.json is in the devnet's directory). A second Start
// on the same directory resumes the network: same accounts, same chain, same files and tasks.
// docs/devnet.md describes it.
package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/client"
	"dsp/node/roles"
	"dsp/status"
)

// Files in a devnet's directory besides the client node's own (node.key, store/, tasks.db,
// wallet.json, api.json).
const (
	StateFile   = "devnet.json"  // the network's layout: nodes, accounts, addresses
	GenesisFile = "genesis.json" // the chain's genesis
	NodesDir    = "nodes"        // one data directory per service node
)

// Funds are what the genesis gives each service node, and FaucetAmount what the faucet gives an
// account with a zero balance.
const (
	Funds        = 1_000_000_000
	FaucetAmount = 100_000_000
)

// DefaultProofGraceRounds is a new devnet chain's Params.ProofGraceRounds unless
// Config.ProofGraceRounds says otherwise: an FS node may leave this many consecutive rounds
// unproven before its contract fails and its pledge is slashed (the ledger's default is 0). The FS
// nodes prove every round; the slack absorbs proofs that land late on a loaded machine (tests run
// 5-block intervals of 100 ms blocks beside other work), while a holder that stops is still
// slashed and its file recovered (after 11 rounds: about 18 minutes at interval 100 and 1 s
// blocks).
const DefaultProofGraceRounds = 10

// Config configures a devnet.
type Config struct {
	// Dir keeps everything; the client node's data directory is Dir itself.
	Dir string
	// FS is the number of FS nodes (default 3; on resume, the number saved, or more if asked).
	FS int
	// APIAddr is where the client node's control API listens (default 127.0.0.1:0).
	APIAddr string
	// BlockInterval is the chain's block interval when the chain is made (default 1 s); a
	// resumed chain keeps its own.
	BlockInterval time.Duration
	// Key is the account the client node runs as. Nil: the wallet's (Dir/wallet.json) default
	// account unlocked with Password, or, without a wallet account or password, Dir/node.key.
	Key      *keys.KeyPair
	Password string
	// WalletOptions are passed to the wallet (tests: cheap scrypt).
	WalletOptions []keys.Option
	// Logger receives every node's logs (default: discarded).
	Logger *slog.Logger
	// Host adjusts every node's host configuration (tests: keepalive).
	Host func(*node.Config)
	// ConfirmTimeout bounds an upload's wait for the FS confirmations (default 2 min).
	ConfirmTimeout time.Duration
	// ProofGraceRounds is the Params.ProofGraceRounds of a new chain (0: DefaultProofGraceRounds;
	// a resumed chain keeps its own).
	ProofGraceRounds uint64
	// FSPrices are the FS nodes' prices per byte of data block served: FS node i (fs<i+1>)
	// charges FSPrices[i] (missing: free; docs/channels.md).
	FSPrices []uint64
}

// NodeState is one service node in StateFile.
type NodeState struct {
	Name    string       `json:"name"`
	Roles   []string     `json:"roles"`
	Account keys.Address `json:"account"`
	Listen  string       `json:"listen"` // kcp://127.0.0.1:PORT, reused on resume when free
}

// State is the content of StateFile.
type State struct {
	ChainID string       `json:"chainId"`
	Nodes   []NodeState  `json:"nodes"`
	Client  keys.Address `json:"client"`  // the client node's account at the last start
	API     string       `json:"api"`     // the client node's control API at the last start
	Started time.Time    `json:"started"` // the last start
}

// Devnet is a running devnet. Close stops it.
type Devnet struct {
	cfg    Config
	log    *slog.Logger
	state  State
	Ledger *roles.Node
	Scan   *roles.Node // scan and dns
	Proxy  *roles.Node
	FS     []*roles.Node
	// ClientNode is the node the CLI and TUI drive. It is replaced when the client node adopts a
	// new account (docs/devnet.md); read it while no adoption runs, or use Current.
	ClientNode *roles.Node

	faucetMu sync.Mutex
	closed   sync.Once

	mu       sync.Mutex
	swap     chan struct{} // non-nil while the client node is reopened; closed when done
	closing  bool
	adopting sync.WaitGroup
}

// Start starts (or resumes) the devnet in cfg.Dir and returns once every FS node is registered
// on the ledger and the client node's account is funded. ctx bounds the start only.
func Start(ctx context.Context, cfg Config) (d *Devnet, err error) {
	if cfg.Dir == "" {
		return nil, status.New(status.InvalidParams, "devnet: no directory")
	}
	if cfg.BlockInterval <= 0 {
		cfg.BlockInterval = time.Second
	}
	if cfg.APIAddr == "" {
		cfg.APIAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, NodesDir), 0o700); err != nil {
		return nil, fmt.Errorf("devnet dir: %w", err)
	}
	dn := &Devnet{cfg: cfg, log: cfg.Logger}
	d = dn
	defer func() {
		if err != nil { // a return statement has set d to nil: close what was started via dn
			dn.Close()
			d = nil
		}
	}()
	if err := d.loadState(); err != nil {
		return nil, err
	}
	genesis, err := d.genesis()
	if err != nil {
		return nil, err
	}
	ledgerState := d.state.Nodes[0]
	if d.Ledger, err = d.open(ledgerState, roles.Config{Genesis: genesis}); err != nil {
		return nil, err
	}
	d.state.Nodes[0].Listen = d.Ledger.Host().Addrs()[0]
	ledgerURL := d.Ledger.URL()
	for i := 1; i < len(d.state.Nodes); i++ {
		ns := d.state.Nodes[i]
		n, err := d.open(ns, roles.Config{Ledger: ledgerURL, Price: d.fsPrice(ns.Name)})
		if err != nil {
			return nil, err
		}
		d.state.Nodes[i].Listen = n.Host().Addrs()[0]
		switch {
		case ns.Name == "scan":
			d.Scan = n
		case ns.Name == "proxy":
			d.Proxy = n
		default:
			d.FS = append(d.FS, n)
		}
	}
	if err := d.openClient(ctx, ledgerURL); err != nil {
		return nil, err
	}
	for _, n := range append([]*roles.Node{d.Scan, d.Proxy}, d.FS...) {
		if err := d.fund(ctx, n.Key().Address()); err != nil {
			return nil, err
		}
		if err := n.WaitRegistered(ctx); err != nil {
			return nil, fmt.Errorf("devnet: %s: %w", n.Key().Address(), err)
		}
	}
	d.state.Client, d.state.API, d.state.Started = d.ClientNode.Key().Address(), d.ClientNode.APIURL(), time.Now().UTC()
	if err := d.saveState(); err != nil {
		return nil, err
	}
	d.log.Info("devnet ready", "dir", cfg.Dir, "fs", len(d.FS), "client", d.state.Client, "api", d.state.API)
	return d, nil
}

// loadState reads StateFile, or lays a new devnet out (making every service node's key).
func (d *Devnet) loadState() error {
	b, err := os.ReadFile(filepath.Join(d.cfg.Dir, StateFile))
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &d.state); err != nil || len(d.state.Nodes) < 3 {
			return status.New(status.InvalidParams, "devnet: bad %s in %s", StateFile, d.cfg.Dir)
		}
	case errors.Is(err, os.ErrNotExist):
		d.state.Nodes = []NodeState{{Name: "ledger", Roles: []string{"ledger"}}, {Name: "scan", Roles: []string{"scan", "dns"}},
			{Name: "proxy", Roles: []string{"proxy"}}}
	default:
		return fmt.Errorf("devnet: %w", err)
	}
	have := len(d.state.Nodes) - 3
	want := d.cfg.FS
	if want == 0 && have == 0 {
		want = 3
	}
	for i := have; i < want; i++ {
		d.state.Nodes = append(d.state.Nodes, NodeState{Name: fmt.Sprintf("fs%d", i+1), Roles: []string{"fs"}})
	}
	for i, ns := range d.state.Nodes {
		if err := os.MkdirAll(d.nodeDir(ns), 0o700); err != nil {
			return fmt.Errorf("devnet: %w", err)
		}
		k, err := node.LoadOrCreateKey(filepath.Join(d.nodeDir(ns), node.KeyFile))
		if err != nil {
			return err
		}
		d.state.Nodes[i].Account = k.Address()
	}
	return nil
}

func (d *Devnet) nodeDir(ns NodeState) string { return filepath.Join(d.cfg.Dir, NodesDir, ns.Name) }

// genesis returns the genesis file, writing it the first time: the ledger node produces, every
// service node is funded.
func (d *Devnet) genesis() (string, error) {
	path := filepath.Join(d.cfg.Dir, GenesisFile)
	if g, err := ledger.LoadGenesis(path); err == nil {
		d.state.ChainID = g.ChainID
		return path, nil
	} else if _, statErr := os.Stat(path); statErr == nil {
		return "", err
	}
	funded := map[keys.Address]uint64{}
	for _, ns := range d.state.Nodes {
		funded[ns.Account] = Funds
	}
	funded[d.state.Nodes[0].Account] = ledger.DevnetFunds // the faucet
	g := ledger.DevnetGenesis(d.state.Nodes[0].Account, funded)
	g.Params.BlockIntervalMs = uint64(max(d.cfg.BlockInterval.Milliseconds(), 1))
	g.Params.ProofGraceRounds = d.cfg.ProofGraceRounds
	if g.Params.ProofGraceRounds == 0 {
		g.Params.ProofGraceRounds = DefaultProofGraceRounds
	}
	if err := g.Save(path); err != nil {
		return "", status.Wrap(status.DspInitFailed, err, "write devnet genesis")
	}
	d.state.ChainID = g.ChainID
	return path, nil
}

// open starts one service node on its saved address, or any free port when that is taken.
func (d *Devnet) open(ns NodeState, rc roles.Config) (*roles.Node, error) {
	listen := ns.Listen
	if listen == "" {
		listen = "kcp://127.0.0.1:0"
	}
	rc.Options = node.Options{DataDir: d.nodeDir(ns), Listen: []string{listen}, Roles: ns.Roles, APIAddr: "127.0.0.1:0",
		Logger: d.log.With("devnet", ns.Name), ReconnectInterval: time.Second, Host: d.cfg.Host}
	if rc.Ledger != "" {
		rc.Peers = []string{rc.Ledger}
	}
	rc.AutoResume = true
	rc.ConfirmTimeout = d.cfg.ConfirmTimeout
	rc.RegisterInterval = 500 * time.Millisecond
	rc.WalletOptions = d.cfg.WalletOptions
	n, err := roles.Open(rc)
	if err != nil && ns.Listen != "" && isAddrInUse(err) {
		d.log.Warn("saved address taken; listening on another port", "node", ns.Name, "addr", ns.Listen)
		rc.Listen = []string{"kcp://127.0.0.1:0"}
		n, err = roles.Open(rc)
	}
	if err != nil {
		return nil, fmt.Errorf("devnet: start %s: %w", ns.Name, err)
	}
	return n, nil
}

func isAddrInUse(err error) bool { return strings.Contains(err.Error(), "address already in use") }

// clientKey is the account the client node runs as (Config.Key, Password).
func (d *Devnet) clientKey() (*keys.KeyPair, error) {
	if d.cfg.Key != nil {
		return d.cfg.Key, nil
	}
	if d.cfg.Password == "" {
		return nil, nil
	}
	w, err := keys.OpenWallet(filepath.Join(d.cfg.Dir, roles.WalletFile), d.cfg.WalletOptions...)
	if errors.Is(err, keys.ErrWalletNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a, err := w.Default()
	if err != nil {
		return nil, nil
	}
	return w.Unlock(a.Address.String(), d.cfg.Password)
}

// openClient starts the client node in Dir and funds its account (and the wallet's default
// account) from the faucet when their balance is zero.
func (d *Devnet) openClient(ctx context.Context, ledgerURL string) error {
	k, err := d.clientKey()
	if err != nil {
		return err
	}
	n, err := d.startClient(k, d.cfg.APIAddr)
	if err != nil {
		return err
	}
	d.ClientNode = n
	if err := d.fund(ctx, n.Key().Address()); err != nil {
		return err
	}
	if w, err := keys.OpenWallet(filepath.Join(d.cfg.Dir, roles.WalletFile), d.cfg.WalletOptions...); err == nil {
		if a, err := w.Default(); err == nil {
			return d.fund(ctx, a.Address)
		}
	}
	return nil
}

// startClient opens the client node in Dir as k (nil: Dir/node.key) with its control API on
// apiAddr.
func (d *Devnet) startClient(k *keys.KeyPair, apiAddr string) (*roles.Node, error) {
	ledgerURL := d.Ledger.URL()
	n, err := roles.Open(roles.Config{Options: node.Options{DataDir: d.cfg.Dir, Key: k, Listen: []string{"kcp://127.0.0.1:0"},
		APIAddr: apiAddr, Peers: []string{ledgerURL}, Logger: d.log.With("devnet", "client"),
		ReconnectInterval: time.Second, Host: d.cfg.Host}, Ledger: ledgerURL, AutoResume: true,
		ConfirmTimeout: d.cfg.ConfirmTimeout, WalletOptions: d.cfg.WalletOptions, OnAdopt: d.adopt})
	if err != nil {
		return nil, fmt.Errorf("devnet: start client: %w", err)
	}
	return n, nil
}

// Fund sends amount from the faucet (the ledger node's genesis funds) to a and waits for its
// block.
func (d *Devnet) Fund(ctx context.Context, a keys.Address, amount uint64) error {
	d.faucetMu.Lock()
	defer d.faucetMu.Unlock()
	_, err := d.Ledger.Sender().Send(ctx, &ledger.Transfer{To: a, Amount: amount})
	if err != nil {
		return fmt.Errorf("devnet faucet to %s: %w", a, err)
	}
	return nil
}

// fund gives a FaucetAmount when its balance is zero.
func (d *Devnet) fund(ctx context.Context, a keys.Address) error {
	acct, err := d.Ledger.Chain().Account(ctx, a)
	if err != nil {
		return err
	}
	if acct.Balance > 0 {
		return nil
	}
	return d.Fund(ctx, a, FaucetAmount)
}

// Client is the client node's in-process client: what the TUI drives. It stays valid across
// adoptions (it forwards every call to the client node of the moment, waiting while one is
// reopened) until the devnet closes.
func (d *Devnet) Client() client.Client { return liveClient{d} }

// APIURL is the client node's control API (its token is in Dir/api.json).
func (d *Devnet) APIURL() string {
	n, err := d.Current(context.Background())
	if err != nil {
		return ""
	}
	return n.APIURL()
}

// State returns the devnet's layout as saved in StateFile.
func (d *Devnet) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state
}

func (d *Devnet) saveState() error {
	d.mu.Lock()
	b, _ := json.MarshalIndent(d.state, "", "  ")
	d.mu.Unlock()
	tmp := filepath.Join(d.cfg.Dir, "."+StateFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("devnet: save state: %w", err)
	}
	return os.Rename(tmp, filepath.Join(d.cfg.Dir, StateFile))
}

// Close stops every node: the client first, the ledger last. It returns the first error and may
// be called more than once.
func (d *Devnet) Close() error {
	var first error
	d.closed.Do(func() {
		d.mu.Lock()
		d.closing = true
		d.mu.Unlock()
		d.adopting.Wait()
		all := []*roles.Node{d.ClientNode, d.Proxy, d.Scan}
		all = append(all, d.FS...)
		all = append(all, d.Ledger)
		for _, n := range all {
			if n == nil {
				continue
			}
			if err := n.Close(); err != nil && first == nil {
				first = err
			}
		}
	})
	return first
}
