package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"dsp/keys"
	"dsp/node"
	"dsp/node/roles"
	"dsp/status"
	"dsp/tui"
	tuissh "dsp/tui/ssh"

	"github.com/spf13/cobra"
)

// node command flags.
var (
	nodeListen    string
	nodeAdvertise string
	nodeRoles     string
	nodePeers     string
	nodeMetrics   string
	nodeAPI       string
	nodeNetwork   uint32
	nodeKeepalive time.Duration
	nodeKATimeout time.Duration
	nodeAccount   string
	nodePassFile  string
	nodeLogLevel  string
	nodeLogFormat string
	nodeGenesis   string
	nodeLedger    string
	nodeScan      string
	nodeProxy     string
	nodeFSCap     uint64
	nodeFSPrice   uint64
	nodeFSMaxIv   uint64
	nodeFSPledge  uint64
	nodeResume    bool
	nodeSSH       string
	nodeAuthKeys  string
)

// nodeSignals stop a running node.
var nodeSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

func init() {
	c := &cobra.Command{
		Use:   "node",
		Short: "run a headless node until SIGINT or SIGTERM",
		Long: `Run a headless node: the P2P host on --listen, the services of --roles, Prometheus metrics
on --metrics and the control API on --api (loopback by default). Every node runs a task manager
(<data dir>/tasks.db) and serves the files it holds complete. The ledger role keeps its chain in
<data dir>/ledger (a new devnet chain on an empty directory, its genesis written there); other
nodes reach the ledger over the wire (--ledger). Nodes with the fs, scan, dns or proxy role
register themselves on the ledger at start (FS terms from the --fs-* flags). The node's account key is
a wallet account (<data dir>/wallet.json) when --password-file is given, else <data dir>/node.key
(made on first start, mode 0600); its block store is <data dir>/store/blocks.db.
When the API serves, the node writes <data dir>/api.json (URL and bearer token, mode 0600), which
"dsp status" and the TUI read. SIGINT or SIGTERM stop it cleanly: peers get a Disconnect message,
the store is flushed and closed, api.json is removed.

Peers are kcp://host:port, or ACCOUNT@kcp://host:port to require that account in the handshake;
unreachable peers are retried every 5 s. Logs are structured (slog) on stderr.

--ssh ADDR --authorized-keys FILE serve the node's TUI over SSH (one program per session, public
keys only; "ssh -t -p PORT HOST"); docs/tui.md.`,
		Args: cobra.NoArgs,
		RunE: runNode,
	}
	f := c.Flags()
	f.StringVar(&nodeListen, "listen", "kcp://127.0.0.1:4001", "URL(s) to accept peers on, comma-separated")
	f.StringVar(&nodeAdvertise, "advertise", "", "URL peers are told to reach this node at (default: the first --listen URL)")
	f.StringVar(&nodeRoles, "roles", "", "services to run, comma-separated: "+strings.Join(node.Roles, ","))
	f.StringVar(&nodePeers, "peers", "", "peers to connect to and keep connected, comma-separated")
	f.StringVar(&nodeMetrics, "metrics", "", "serve Prometheus metrics at http://ADDR/metrics")
	f.StringVar(&nodeAPI, "api", "127.0.0.1:4100", "control API address (HTTP+JSON under /api/v1)")
	f.Uint32Var(&nodeNetwork, "network-id", 1, "network id; frames of other networks are dropped")
	f.DurationVar(&nodeKeepalive, "keepalive", 5*time.Second, "keepalive interval per peer")
	f.DurationVar(&nodeKATimeout, "keepalive-timeout", 20*time.Second, "close a connection silent this long")
	f.StringVar(&nodeAccount, "account", "", "wallet account (address or label) to run as; default the wallet's default account")
	f.StringVar(&nodePassFile, "password-file", "", "run as a wallet account (<data dir>/wallet.json), unlocked with the password in FILE (first line)")
	f.StringVar(&nodeGenesis, "genesis", "", "ledger role: the chain's genesis file (default: the chain in <data dir>/ledger, or a new devnet chain funding this node)")
	f.StringVar(&nodeLedger, "ledger", "", "without the ledger role: the ledger node, ACCOUNT@kcp://host:port (default: the first peer that serves the ledger)")
	f.StringVar(&nodeScan, "scan", "", "the SCAN node, ACCOUNT@kcp://host:port (default: this node with the scan role, else the first SCAN node on the ledger)")
	f.StringVar(&nodeProxy, "proxy", "", "a proxy node's URL: ask it for an address and advertise that address (a node behind NAT)")
	f.Uint64Var(&nodeFSCap, "fs-capacity", 0, "fs role: bytes offered (default 1 GiB)")
	f.Uint64Var(&nodeFSPrice, "fs-price", 0, "fs role: price per started MiB per block (default 1)")
	f.Uint64Var(&nodeFSMaxIv, "fs-max-interval", 0, "fs role: the longest prove interval accepted, in blocks (default 10000)")
	f.Uint64Var(&nodeFSPledge, "fs-pledge", 0, "fs role: pledge locked at registration (default the chain's minimum)")
	payFlags(f) // --price, --pay-limit (cmd_channel.go)
	f.BoolVar(&nodeResume, "auto-resume", false, "resume unfinished tasks at start (default: they wait, paused)")
	f.StringVar(&nodeSSH, "ssh", "", "serve the TUI over SSH on ADDR (e.g. :2222; host key in <data dir>/"+tuissh.HostKeyFile+")")
	f.StringVar(&nodeAuthKeys, "authorized-keys", "", "with --ssh: the OpenSSH authorized_keys FILE of the operators allowed in (public keys only)")
	f.StringVar(&nodeLogLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&nodeLogFormat, "log-format", "text", "text or json")
	root.AddCommand(c)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func nodeLogger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(nodeLogLevel)); err != nil {
		return nil, usageErr("--log-level %q: want debug, info, warn or error", nodeLogLevel)
	}
	o := &slog.HandlerOptions{Level: level}
	switch nodeLogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, usageErr("--log-format %q: want text or json", nodeLogFormat)
}

func runNode(cmd *cobra.Command, _ []string) error {
	log, err := nodeLogger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if nodeNetwork == 0 {
		return usageErr("--network-id must not be 0")
	}
	if err := checkConsoleFlags(nodeSSH, nodeAuthKeys); err != nil {
		return err
	}
	key, err := nodeWalletKey()
	if err != nil {
		return err
	}
	// Catch the signals before anything starts, so a stop during start-up is clean too.
	ctx, stop := signal.NotifyContext(cmd.Context(), nodeSignals...)
	defer stop()
	peers := splitList(nodePeers)
	if nodeLedger != "" && !slices.Contains(peers, nodeLedger) {
		peers = append(peers, nodeLedger)
	}
	n, err := roles.Open(roles.Config{Options: node.Options{
		Key: key, DataDir: flagData, Listen: splitList(nodeListen), Advertise: nodeAdvertise, Roles: splitList(nodeRoles),
		Peers: peers, MetricsAddr: nodeMetrics, APIAddr: nodeAPI,
		NetworkID: nodeNetwork, Logger: log, KeepaliveInterval: nodeKeepalive, KeepaliveTimeout: nodeKATimeout,
	}, Genesis: nodeGenesis, Ledger: nodeLedger, Scan: nodeScan, Proxy: nodeProxy, AutoResume: nodeResume,
		FS:    roles.FSTerms{Capacity: nodeFSCap, PricePerMBBlock: nodeFSPrice, MaxProveInterval: nodeFSMaxIv, Pledge: nodeFSPledge},
		Price: nodeServePrice, PayLimit: nodePayLimit})
	if err != nil {
		if status.CodeOf(err, 0) == status.InvalidParams.Num() || errors.Is(err, node.ErrBadConfig) || errors.Is(err, node.ErrBadURL) || errors.Is(err, node.ErrUnknownScheme) {
			return status.Wrap(status.InvalidParams, err, "node")
		}
		return withCode(status.DspStartFailed, fmt.Errorf("start node: %w", err))
	}
	ready := map[string]any{
		"address": n.Key().Address(), "listen": n.Host().Addrs(), "api": n.APIURL(),
		"roles": splitList(nodeRoles), "network_id": nodeNetwork,
	}
	var con *console
	if nodeSSH != "" {
		if con, err = startConsole(nodeSSH, nodeAuthKeys, flagData, func() tui.Client { return n.Client() }, cmd.ErrOrStderr()); err != nil {
			n.Close()
			return err
		}
		ready["ssh"] = con.addr
	}
	if err := emit(cmd, ready, func(w io.Writer) {
		fmt.Fprintf(w, "node %s listening on %s, control API %s\n", n.Key().Address(), strings.Join(n.Host().Addrs(), ","), n.APIURL())
		if con != nil {
			fmt.Fprintf(w, "TUI over SSH on %s\n", con.addr)
		}
	}); err != nil {
		if con != nil {
			con.Close()
		}
		n.Close()
		return err
	}
	<-ctx.Done()
	log.Info("stopping on signal")
	if con != nil {
		con.Close()
	}
	if err := n.Close(); err != nil {
		return withCode(status.DspStopFailed, err)
	}
	return nil
}

// nodeWalletKey unlocks the wallet account the node runs as, or returns nil (the node then uses
// its key file) when neither --password-file nor --account is given.
func nodeWalletKey() (*keys.KeyPair, error) {
	if nodePassFile == "" {
		if nodeAccount != "" {
			return nil, usageErr("--account needs --password-file (a headless node does not prompt)")
		}
		return nil, nil
	}
	b, err := os.ReadFile(nodePassFile)
	if err != nil {
		return nil, usageErr("password file: %v", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	w, err := keys.OpenWallet(filepath.Join(flagData, "wallet.json"))
	if err != nil {
		return nil, err
	}
	name := nodeAccount
	if name == "" {
		a, err := w.Default()
		if err != nil {
			return nil, err
		}
		name = a.Address.String()
	}
	return w.Unlock(name, pw)
}
