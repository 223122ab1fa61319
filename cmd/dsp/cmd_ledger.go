package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"

	"github.com/spf13/cobra"
)

// opTimeout bounds one operation on the node (a query, or a transaction and the block that
// includes it). Following a task has no bound: it ends with the task or on interrupt.
const opTimeout = 2 * time.Minute

// ledger command flags.
var (
	ledgerTo     string
	ledgerAmount uint64
	ledgerRole   string
)

var ledgerCmd = &cobra.Command{
	Use:   "ledger",
	Short: "read the ledger and send transfers and pledges through the running node",
	Long: `Read the ledger (height, balances, transactions, blocks, registered nodes) and send
transactions signed by the node's active account (transfer, pledge, unpledge). Every subcommand
goes through the control API of the node on --data DIR (or --api URL --token T); amounts are in the
ledger's smallest unit. A transaction command returns once its block is made.`,
}

func init() {
	heightCmd := &cobra.Command{
		Use:   "height",
		Short: "show the chain id, height and block interval",
		Args:  cobra.NoArgs,
		RunE:  runLedgerHeight,
	}
	balanceCmd := &cobra.Command{
		Use:   "balance [ADDRESS]",
		Short: "show an account's balance, pledge and next nonce (default: the node's account)",
		Args:  cobra.MaximumNArgs(1),
		RunE:  runLedgerBalance,
	}
	transferCmd := &cobra.Command{
		Use:   "transfer --to ADDRESS --amount N",
		Short: "send N to ADDRESS from the node's account and wait for the block",
		Args:  cobra.NoArgs,
		RunE:  runLedgerTransfer,
	}
	transferCmd.Flags().StringVar(&ledgerTo, "to", "", "receiving account address")
	transferCmd.Flags().Uint64Var(&ledgerAmount, "amount", 0, "amount to send (smallest unit)")
	txCmd := &cobra.Command{
		Use:   "tx HASH",
		Short: "show an included transaction and its receipt",
		Args:  cobra.ExactArgs(1),
		RunE:  runLedgerTx,
	}
	blockCmd := &cobra.Command{
		Use:   "block HEIGHT",
		Short: "show the block at HEIGHT",
		Args:  cobra.ExactArgs(1),
		RunE:  runLedgerBlock,
	}
	nodesCmd := &cobra.Command{
		Use:   "nodes",
		Short: "list the nodes registered on the ledger",
		Args:  cobra.NoArgs,
		RunE:  runLedgerNodes,
	}
	nodesCmd.Flags().StringVar(&ledgerRole, "role", "", "only nodes of this role: fs, scan, dns, proxy, ledger")
	pledgeCmd := &cobra.Command{
		Use:   "pledge N",
		Short: "lock N of the node account's balance as pledge",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runLedgerPledge(cmd, args, true) },
	}
	unpledgeCmd := &cobra.Command{
		Use:   "unpledge N",
		Short: "unlock N of the node account's pledge",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runLedgerPledge(cmd, args, false) },
	}
	ledgerCmd.AddCommand(heightCmd, balanceCmd, transferCmd, txCmd, blockCmd, nodesCmd, pledgeCmd, unpledgeCmd)
	root.AddCommand(ledgerCmd)
}

// withNode opens the node's client and runs f under a context that ends on interrupt or after
// opTimeout.
func withNode(cmd *cobra.Command, f func(ctx context.Context, c client.Client) error) error {
	c, err := nodeClient(cmd)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	return f(ctx, c)
}

// nodeClient is openClient, with a hint when no node runs on --data.
func nodeClient(cmd *cobra.Command) (client.Client, error) {
	c, err := openClient(cmd)
	if err != nil && flagAPI == "" && errors.Is(err, status.Is(status.NoDsp)) {
		return nil, status.New(status.NoDsp, "no node at %s: start dsp devnet or dsp node (--data %s)", flagData, flagData)
	}
	return c, err
}

// parseAddress parses an account address; a malformed one is INVALID_WALLET_ADDRESS (40010).
func parseAddress(what, s string) (keys.Address, error) {
	a, err := keys.ParseAddress(s)
	if err != nil {
		return a, status.Wrap(status.InvalidWalletAddress, err, "%s %q", what, s)
	}
	return a, nil
}

// parseAddresses parses a comma-separated list of addresses.
func parseAddresses(what, s string) ([]keys.Address, error) {
	var out []keys.Address
	for _, p := range splitList(s) {
		a, err := parseAddress(what, p)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// parseAmount parses a positive amount in the ledger's smallest unit.
func parseAmount(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, usageErr("amount %q: want a positive integer", s)
	}
	return n, nil
}

func runLedgerHeight(cmd *cobra.Command, _ []string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		li, err := c.LedgerInfo(ctx)
		if err != nil {
			return err
		}
		return emit(cmd, li, func(w io.Writer) {
			where := "embedded"
			if li.Remote {
				where = "remote"
			}
			fmt.Fprintf(w, "height    %d\nchain     %s\ninterval  %s\nproducer  %s\nledger    %s\n",
				li.Height, li.ChainID, li.BlockInterval, li.Producer, where)
		})
	})
}

func runLedgerBalance(cmd *cobra.Command, args []string) error {
	var a keys.Address
	if len(args) == 1 {
		var err error
		if a, err = parseAddress("account", args[0]); err != nil {
			return err
		}
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		b, err := c.Balance(ctx, a)
		if err != nil {
			return err
		}
		return emit(cmd, b, func(w io.Writer) {
			fmt.Fprintf(w, "address  %s\nbalance  %d\npledged  %d\nnonce    %d\n", b.Address, b.Balance, b.Pledged, b.Nonce)
		})
	})
}

func runLedgerTransfer(cmd *cobra.Command, _ []string) error {
	if ledgerTo == "" {
		return usageErr("transfer needs --to ADDRESS")
	}
	if ledgerAmount == 0 {
		return usageErr("transfer needs --amount N (a positive integer)")
	}
	to, err := parseAddress("--to", ledgerTo)
	if err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.Transfer(ctx, to, ledgerAmount)
		if err != nil {
			return err
		}
		return emitTx(cmd, r, fmt.Sprintf("sent %d to %s", ledgerAmount, to))
	})
}

func runLedgerPledge(cmd *cobra.Command, args []string, lock bool) error {
	n, err := parseAmount(args[0])
	if err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		pledge, what := c.Pledge, "pledged"
		if !lock {
			pledge, what = c.Unpledge, "unpledged"
		}
		r, err := pledge(ctx, n)
		if err != nil {
			return err
		}
		return emitTx(cmd, r, fmt.Sprintf("%s %d", what, n))
	})
}

// emitTx prints a transaction that made it into a block.
func emitTx(cmd *cobra.Command, r *client.TxResult, what string) error {
	return emit(cmd, r, func(w io.Writer) {
		fmt.Fprintf(w, "%s\ntx      %s\nheight  %d\nfee     %d\n", what, r.Hash, r.Height, r.Fee)
	})
}

func runLedgerTx(cmd *cobra.Command, args []string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		tx, err := c.Tx(ctx, args[0])
		if err != nil {
			return err
		}
		return emit(cmd, tx, func(w io.Writer) { printFields(w, tx) })
	})
}

func runLedgerBlock(cmd *cobra.Command, args []string) error {
	h, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return usageErr("height %q: want a non-negative integer", args[0])
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		b, err := c.Block(ctx, h)
		if err != nil {
			return err
		}
		return emit(cmd, b, func(w io.Writer) { printFields(w, b) })
	})
}

// printFields prints a JSON object's fields one a line in key order, nested values as compact JSON.
func printFields(w io.Writer, m map[string]any) {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, k := range ks {
		v := m[k]
		switch v.(type) {
		case map[string]any, []any:
			b, _ := json.Marshal(v)
			fmt.Fprintf(tw, "%s\t%s\n", k, b)
		default:
			fmt.Fprintf(tw, "%s\t%v\n", k, v)
		}
	}
	tw.Flush()
}

func runLedgerNodes(cmd *cobra.Command, _ []string) error {
	switch ledgerRole {
	case "", "fs", "scan", "dns", "proxy", "ledger":
	default:
		return usageErr("--role %q: want fs, scan, dns, proxy or ledger", ledgerRole)
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		ns, err := c.Nodes(ctx, ledgerRole)
		if err != nil {
			return err
		}
		if ns == nil {
			ns = []client.NodeInfo{}
		}
		return emit(cmd, ns, func(w io.Writer) { printNodes(w, ns) })
	})
}

// printNodes prints registered nodes as a table; FS nodes with their terms.
func printNodes(w io.Writer, ns []client.NodeInfo) {
	if len(ns) == 0 {
		fmt.Fprintln(w, "no nodes registered")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tROLE\tHOST\tCONNECTED\tCAPACITY\tUSED\tPRICE\tACCEPTING\tPLEDGE\tFAILURES")
	for _, n := range ns {
		conn := "no"
		if n.Connected {
			conn = "yes"
			if n.RTTMs > 0 {
				conn = fmt.Sprintf("%.1f ms", n.RTTMs)
			}
		}
		if n.Role != "fs" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t-\t-\t-\t-\t%d\t-\n", n.Address, n.Role, n.HostAddr, conn, n.Pledge)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%v\t%d\t%d\n", n.Address, n.Role, n.HostAddr, conn,
			sizeText(n.Capacity), sizeText(n.Used), n.Price, n.Accepting, n.Pledge, n.Failures)
	}
	tw.Flush()
}

// sizeText formats a byte count for people: 1.5 MiB.
func sizeText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
