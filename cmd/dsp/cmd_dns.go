package main

import (
	"context"
	"fmt"
	"io"

	"dsp/ledger"
	"dsp/node/client"

	"github.com/spf13/cobra"
)

// dns command flags.
var dnsHash, dnsTo string

var dnsCmd = &cobra.Command{
	Use:   "dns",
	Short: "dsp:// names on the ledger: register, resolve, transfer, delete",
	Long: `A dsp:// URL names a file on the ledger. "register" links a URL (or, without one, a random
URL under the default header) to a file; "resolve" looks a URL up; "transfer" gives it to another
account and "delete" removes it (owner only). A URL is "header://path" or "path" (the default
header, dsp); the header is a lowercase letter then lowercase letters, digits or "-" (up to 16),
the path up to 128 of A-Z a-z 0-9 . _ ~ / -.`,
}

func init() {
	registerCmd := &cobra.Command{
		Use:   "register [dsp://NAME] --hash HASH",
		Short: "link a URL (random if none is given) to a file",
		Args:  cobra.MaximumNArgs(1),
		RunE:  runDNSRegister,
	}
	registerCmd.Flags().StringVar(&dnsHash, "hash", "", "file hash the URL links to")
	resolveCmd := &cobra.Command{
		Use:   "resolve URL",
		Short: "look a URL up on the ledger",
		Args:  cobra.ExactArgs(1),
		RunE:  runDNSResolve,
	}
	transferCmd := &cobra.Command{
		Use:   "transfer URL --to ADDRESS",
		Short: "give a URL to another account",
		Args:  cobra.ExactArgs(1),
		RunE:  runDNSTransfer,
	}
	transferCmd.Flags().StringVar(&dnsTo, "to", "", "account address to give the URL to")
	deleteCmd := &cobra.Command{
		Use:   "delete URL",
		Short: "remove a URL you own",
		Args:  cobra.ExactArgs(1),
		RunE:  runDNSDelete,
	}
	dnsCmd.AddCommand(registerCmd, resolveCmd, transferCmd, deleteCmd)
	root.AddCommand(dnsCmd)
}

// checkURL refuses a URL the ledger cannot hold (the ledger's own rules, ledger.ValidHeader and
// ledger.ValidURLPath), as INVALID_PARAMS.
func checkURL(u string) error {
	header, path := ledger.SplitURL(u, "dsp")
	if !ledger.ValidHeader(header) {
		return usageErr("URL %q: header %q is not a lowercase letter followed by up to 15 of a-z 0-9 -", u, header)
	}
	if !ledger.ValidURLPath(path) {
		return usageErr("URL %q: the name must have 1 to 128 of A-Z a-z 0-9 . _ ~ / -", u)
	}
	return nil
}

func runDNSRegister(cmd *cobra.Command, args []string) error {
	if dnsHash == "" {
		return usageErr("register needs --hash HASH")
	}
	h, err := fileHashArg(dnsHash)
	if err != nil {
		return err
	}
	var u string
	if len(args) == 1 {
		u = args[0]
		if err := checkURL(u); err != nil {
			return err
		}
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.RegisterURL(ctx, u, h)
		if err != nil {
			return err
		}
		return emitURL(cmd, r)
	})
}

func runDNSResolve(cmd *cobra.Command, args []string) error {
	if err := checkURL(args[0]); err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.Resolve(ctx, args[0])
		if err != nil {
			return err
		}
		return emitURL(cmd, r)
	})
}

func emitURL(cmd *cobra.Command, r *client.URLRecord) error {
	return emit(cmd, r, func(w io.Writer) {
		fmt.Fprintf(w, "url       %s\nfileHash  %s\nowner     %s\nheight    %d\nttl       %d\n",
			r.URL, r.FileHash, r.Owner, r.Height, r.TTL)
		if r.Desc != "" {
			fmt.Fprintf(w, "desc      %s\n", r.Desc)
		}
	})
}

func runDNSTransfer(cmd *cobra.Command, args []string) error {
	if err := checkURL(args[0]); err != nil {
		return err
	}
	if dnsTo == "" {
		return usageErr("transfer needs --to ADDRESS")
	}
	to, err := parseAddress("--to", dnsTo)
	if err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.TransferURL(ctx, args[0], to)
		if err != nil {
			return err
		}
		return emitTx(cmd, r, fmt.Sprintf("gave %s to %s", args[0], to))
	})
}

func runDNSDelete(cmd *cobra.Command, args []string) error {
	if err := checkURL(args[0]); err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.DeleteURL(ctx, args[0])
		if err != nil {
			return err
		}
		return emitTx(cmd, r, "deleted "+args[0])
	})
}
