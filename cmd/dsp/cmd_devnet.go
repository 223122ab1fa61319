package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"dsp/node/devnet"
	"dsp/status"
	"dsp/tui"
	tuissh "dsp/tui/ssh"

	"github.com/spf13/cobra"
)

// devnet command flags.
var (
	devnetFS        int
	devnetAPI       string
	devnetBlock     time.Duration
	devnetPassFile  string
	devnetLogLevel  string
	devnetStartWait time.Duration
	devnetSSH       string
	devnetAuthKeys  string
)

func init() {
	c := &cobra.Command{
		Use:   "devnet",
		Short: "run a whole network in this process: ledger, FS nodes, SCAN/DNS, proxy and a client node",
		Long: `Run a devnet until SIGINT or SIGTERM: a ledger node (1 s blocks), --fs FS nodes, a SCAN/DNS
node and a proxy node on loopback KCP ports, each with its own data directory under
<data dir>/nodes and its own account, funded by the genesis (<data dir>/genesis.json), the FS nodes
registered on the ledger; plus a client node in <data dir> itself whose control API (--api) the
other commands use: "dsp status --data DIR", "dsp upload --data DIR ...", the TUI.

A second "dsp devnet" on the same directory resumes it: same accounts, chain, files and tasks
(<data dir>/devnet.json keeps the layout). The client node runs as the wallet's default account
(<data dir>/wallet.json) when --password-file unlocks it, else as <data dir>/node.key; an account
with a zero balance is funded from the faucet (the ledger node's genesis funds).

--ssh ADDR --authorized-keys FILE serve the client node's TUI over SSH (docs/tui.md).`,
		Args: cobra.NoArgs,
		RunE: runDevnet,
	}
	f := c.Flags()
	f.IntVar(&devnetFS, "fs", 3, "number of FS nodes (a resumed devnet keeps at least the ones it has)")
	f.StringVar(&devnetAPI, "api", "127.0.0.1:0", "the client node's control API address")
	f.DurationVar(&devnetBlock, "block-interval", time.Second, "block interval of a new chain")
	f.StringVar(&devnetPassFile, "password-file", "", "unlock the wallet's default account with the password in FILE (first line) and run the client node as it")
	f.StringVar(&devnetLogLevel, "log-level", "warn", "debug, info, warn or error (logs go to stderr)")
	f.DurationVar(&devnetStartWait, "start-timeout", 2*time.Minute, "give up starting after this long")
	f.StringVar(&devnetSSH, "ssh", "", "serve the client node's TUI over SSH on ADDR (e.g. :2222; host key in <data dir>/"+tuissh.HostKeyFile+")")
	f.StringVar(&devnetAuthKeys, "authorized-keys", "", "with --ssh: the OpenSSH authorized_keys FILE of the operators allowed in (public keys only)")
	root.AddCommand(c)
}

func runDevnet(cmd *cobra.Command, _ []string) error {
	if devnetFS < 1 {
		return usageErr("--fs must be at least 1")
	}
	if err := checkConsoleFlags(devnetSSH, devnetAuthKeys); err != nil {
		return err
	}
	nodeLogLevel, nodeLogFormat = devnetLogLevel, "text"
	log, err := nodeLogger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	var pw string
	if devnetPassFile != "" {
		b, err := os.ReadFile(devnetPassFile)
		if err != nil {
			return usageErr("password file: %v", err)
		}
		pw, _, _ = strings.Cut(string(b), "\n")
		pw = strings.TrimSuffix(pw, "\r")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), nodeSignals...)
	defer stop()
	sctx, cancel := context.WithTimeout(ctx, devnetStartWait)
	defer cancel()
	d, err := devnet.Start(sctx, devnet.Config{Dir: flagData, FS: devnetFS, APIAddr: devnetAPI, BlockInterval: devnetBlock,
		Password: pw, Logger: log})
	if err != nil {
		return withCode(status.DspStartFailed, fmt.Errorf("start devnet: %w", err))
	}
	st := d.State()
	ready := map[string]any{"dir": flagData, "api": d.APIURL(), "client": st.Client, "chainId": st.ChainID, "nodes": st.Nodes}
	var con *console
	if devnetSSH != "" {
		c := d.Client() // stable across the client node's adoption of an account
		if con, err = startConsole(devnetSSH, devnetAuthKeys, flagData, func() tui.Client { return c }, cmd.ErrOrStderr()); err != nil {
			d.Close()
			return err
		}
		ready["ssh"] = con.addr
	}
	// stopAll closes the console (its sessions end) before the nodes.
	stopAll := func() error {
		if con != nil {
			con.Close()
		}
		return d.Close()
	}
	if err := emit(cmd, ready, func(w io.Writer) {
		fmt.Fprintf(w, "devnet in %s: client %s, control API %s\n", flagData, st.Client, d.APIURL())
		for _, n := range st.Nodes {
			fmt.Fprintf(w, "  %-7s %-12s %s@%s\n", n.Name, strings.Join(n.Roles, ","), n.Account, n.Listen)
		}
		if con != nil {
			fmt.Fprintf(w, "TUI over SSH on %s\n", con.addr)
		}
		fmt.Fprintf(w, "try: dsp status --data %s\n", flagData)
	}); err != nil {
		stopAll()
		return err
	}
	<-ctx.Done()
	log.Info("stopping devnet on signal")
	if err := stopAll(); err != nil {
		return withCode(status.DspStopFailed, err)
	}
	return nil
}
