package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"text/tabwriter"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// dsp node's payment flags.
var (
	nodeServePrice uint64
	nodePayLimit   uint64
)

// payFlags adds dsp node's --price and --pay-limit.
func payFlags(f *pflag.FlagSet) {
	f.Uint64Var(&nodeServePrice, "price", 0, "price per byte of data block this node serves to downloaders (0: free); paid through payment channels")
	f.Uint64Var(&nodePayLimit, "pay-limit", 0, "how much a peer may owe for served blocks before it is refused (default 8 flights of 16 blocks at --price)")
}

var channelCmd = &cobra.Command{
	Use:   "channel",
	Short: "payment channels: what the node pays for downloads and earns serving blocks",
	Long: `Payment channels of the node's account (docs/channels.md). Downloads open channels to
priced holders by themselves; these commands list them, open one by hand, add to a deposit, close
one (with the newest proof the node received; the partner may answer within the challenge period)
and settle it once the period is over, or close it cooperatively (both sides sign the final
balances; settled at once). Amounts are in the ledger's smallest unit.`,
}

var earningsCmd = &cobra.Command{
	Use:   "earnings",
	Short: "what peers paid this node for the blocks it served, per peer and per file",
	Args:  cobra.NoArgs,
	RunE:  runEarnings,
}

// dsp channel close's flags.
var (
	closeCooperative bool
	closePeer        string
)

var closeCmd = &cobra.Command{
	Use:   "close ID",
	Short: "close channel ID: unilaterally with the newest proof received (the challenge period starts), or --cooperative at once",
	Long: `Close channel ID. By default the close is unilateral: the node submits the newest proof it
received, the challenge period starts (the partner may answer with newer proofs) and dsp channel
settle pays out once it is over. With --cooperative the node computes the final balances from its
proofs, asks the partner's node to sign them (at --peer, else a connected node of the partner's
account, else an address the partner registered on the ledger) and submits the close, which
settles at once. Once the request is sent, the node makes and accepts no more payments on the
channel. A partner that cannot be reached is NET_RECONNECT_PEER_FAILED: close unilaterally then.`,
	Args: cobra.ExactArgs(1),
	RunE: runChannelClose,
}

func init() {
	closeCmd.Flags().BoolVar(&closeCooperative, "cooperative", false, "close at once with final balances both sides sign (asks the partner's node)")
	closeCmd.Flags().StringVar(&closePeer, "peer", "", "with --cooperative: the partner node's URL (ACCOUNT@kcp://host:port)")
	channelCmd.AddCommand(
		&cobra.Command{Use: "list", Short: "list the node's channels with deposits and transferred amounts", Args: cobra.NoArgs, RunE: runChannelList},
		&cobra.Command{Use: "open PARTNER_KEY DEPOSIT", Short: "open a channel to the account of PARTNER_KEY (hex, the key dsp channel list shows on the partner)", Args: cobra.ExactArgs(2), RunE: runChannelOpen},
		&cobra.Command{Use: "deposit ID AMOUNT", Short: "add AMOUNT to the node's deposit in channel ID", Args: cobra.ExactArgs(2), RunE: runChannelDeposit},
		closeCmd,
		&cobra.Command{Use: "settle ID", Short: "pay out channel ID once its challenge period is over", Args: cobra.ExactArgs(1), RunE: runChannelSettle},
	)
	root.AddCommand(channelCmd, earningsCmd)
}

func checkChannelID(s string) error {
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 {
		return usageErr("channel id %q: want 64 hex digits", s)
	}
	return nil
}

func runChannelList(cmd *cobra.Command, _ []string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		l, err := c.Channels(ctx)
		if err != nil {
			return err
		}
		return emit(cmd, l, func(w io.Writer) {
			fmt.Fprintf(w, "account  %s\nkey      %s\nprice    %d per byte served\n\n", l.Address, l.Key, l.Price)
			if len(l.Channels) == 0 {
				fmt.Fprintln(w, "no channels")
				return
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPARTNER\tSTATE\tDEPOSIT\tSENT\tRECEIVED\tAVAILABLE\tSETTLE AT")
			for _, ch := range l.Channels {
				settle := "-"
				if ch.SettleHeight > 0 {
					settle = fmt.Sprint(ch.SettleHeight)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", ch.ID, ch.Partner, ch.State, ch.Deposit, ch.Sent, ch.Received, ch.Available, settle)
			}
			tw.Flush()
		})
	})
}

func runChannelOpen(cmd *cobra.Command, args []string) error {
	kb, err := hex.DecodeString(args[0])
	if err == nil {
		_, err = keys.ParsePublicKey(kb)
	}
	if err != nil {
		return status.Wrap(status.InvalidWalletAddress, err, "partner key %q", args[0])
	}
	deposit, err := parseAmount(args[1])
	if err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		ch, err := c.OpenChannel(ctx, client.OpenChannelRequest{PartnerKey: args[0], Deposit: deposit})
		if err != nil {
			return err
		}
		return emit(cmd, ch, func(w io.Writer) {
			fmt.Fprintf(w, "opened channel %s to %s with %d\n", ch.ID, ch.Partner, ch.Deposit)
		})
	})
}

func runChannelDeposit(cmd *cobra.Command, args []string) error {
	if err := checkChannelID(args[0]); err != nil {
		return err
	}
	amount, err := parseAmount(args[1])
	if err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.DepositChannel(ctx, args[0], amount)
		if err != nil {
			return err
		}
		return emitTx(cmd, r, fmt.Sprintf("deposited %d in channel %s", amount, args[0]))
	})
}

func runChannelClose(cmd *cobra.Command, args []string) error {
	if err := checkChannelID(args[0]); err != nil {
		return err
	}
	if closePeer != "" && !closeCooperative {
		return usageErr("--peer needs --cooperative")
	}
	if closeCooperative {
		return runChannelCoopClose(cmd, args[0])
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.CloseChannel(ctx, args[0])
		if err != nil {
			return err
		}
		return emitTx(cmd, r, fmt.Sprintf("closed channel %s: settle it after the challenge period (dsp channel list shows when)", args[0]))
	})
}

func runChannelCoopClose(cmd *cobra.Command, id string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.CoopCloseChannel(ctx, id, client.CoopCloseRequest{Peer: closePeer})
		if err != nil {
			return err
		}
		return emit(cmd, r, func(w io.Writer) {
			fmt.Fprintf(w, "closed channel %s cooperatively: paid %d to this node, %d to the partner\ntx %s at height %d\n",
				id, r.Paid, r.PartnerPaid, r.Hash, r.Height)
		})
	})
}

func runChannelSettle(cmd *cobra.Command, args []string) error {
	if err := checkChannelID(args[0]); err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.SettleChannel(ctx, args[0])
		if err != nil {
			return err
		}
		return emitTx(cmd, r, fmt.Sprintf("settled channel %s", args[0]))
	})
}

func runEarnings(cmd *cobra.Command, _ []string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		e, err := c.Earnings(ctx)
		if err != nil {
			return err
		}
		return emit(cmd, e, func(w io.Writer) {
			fmt.Fprintf(w, "total  %d\n", e.Total)
			if len(e.Files) == 0 {
				return
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "\nPEER\tFILE\tAMOUNT")
			for _, f := range e.Files {
				fmt.Fprintf(tw, "%s\t%s\t%d\n", f.Peer, f.FileHash, f.Amount)
			}
			tw.Flush()
		})
	})
}
