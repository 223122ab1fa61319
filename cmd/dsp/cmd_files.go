package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"dsp/keys"
	"dsp/node/client"

	"github.com/spf13/cobra"
)

// files command flags.
var filesPrivilege, filesAdd, filesRemove string

var filesCmd = &cobra.Command{
	Use:   "files [HASH]",
	Short: "list the node account's files on the ledger, or show one with its holders' proofs",
	Long: `Without HASH, list the files the node's account owns on the ledger: hash, size, copies wanted
and holders active, expiry height and URL. With HASH, show that file (any owner) with each
holder's contract: state, proofs made, last proof height, next proof due, failures and what
remains of its deposit.

  dsp files delete HASH                       delete the file on the ledger (owner), refunding what is unspent
  dsp files whitelist HASH [--privilege P] [--add A,...] [--remove A,...]
  dsp files share HASH                        (also "dsp share HASH") announce this node to SCAN as a holder`,
	Args: cobra.MaximumNArgs(1),
	RunE: runFiles,
}

func init() {
	deleteCmd := &cobra.Command{
		Use:   "delete HASH",
		Short: "delete a file on the ledger (owner only); the unspent deposit is refunded",
		Args:  cobra.ExactArgs(1),
		RunE:  runFilesDelete,
	}
	whitelistCmd := &cobra.Command{
		Use:   "whitelist HASH [--privilege private|public|whitelist] [--add ADDR,...] [--remove ADDR,...]",
		Short: "change who may download a file (owner only)",
		Args:  cobra.ExactArgs(1),
		RunE:  runFilesWhitelist,
	}
	wf := whitelistCmd.Flags()
	wf.StringVar(&filesPrivilege, "privilege", "", "new privilege: private, public or whitelist (default: unchanged)")
	wf.StringVar(&filesAdd, "add", "", "addresses to add to the whitelist, comma-separated")
	wf.StringVar(&filesRemove, "remove", "", "addresses to remove from the whitelist, comma-separated")
	shareCmd := func(use string) *cobra.Command {
		return &cobra.Command{
			Use:   use + " HASH",
			Short: "announce this node to SCAN as a holder of a file it holds complete",
			Args:  cobra.ExactArgs(1),
			RunE:  runShare,
		}
	}
	filesCmd.AddCommand(deleteCmd, whitelistCmd, shareCmd("share"))
	root.AddCommand(filesCmd, shareCmd("share"))
}

// fileHashArg checks a file hash argument and returns it in canonical form.
func fileHashArg(s string) (string, error) {
	h, err := parseFileHash(s)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

func runFiles(cmd *cobra.Command, args []string) error {
	if len(args) == 1 {
		h, err := fileHashArg(args[0])
		if err != nil {
			return err
		}
		return withNode(cmd, func(ctx context.Context, c client.Client) error {
			f, err := c.File(ctx, h)
			if err != nil {
				return err
			}
			return emit(cmd, f, func(w io.Writer) { printFile(w, f) })
		})
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		fs, err := c.Files(ctx)
		if err != nil {
			return err
		}
		if fs == nil {
			fs = []client.File{}
		}
		return emit(cmd, fs, func(w io.Writer) { printFiles(w, fs) })
	})
}

// activeHolders counts the holders whose contract is active.
func activeHolders(f *client.File) int {
	n := 0
	for _, h := range f.Holders {
		if h.State == "active" {
			n++
		}
	}
	return n
}

func printFiles(w io.Writer, fs []client.File) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "no files")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HASH\tNAME\tSIZE\tHOLDERS\tPROOFS\tPRIVILEGE\tEXPIRES\tURL")
	for i := range fs {
		f := &fs[i]
		var proofs uint64
		for _, h := range f.Holders {
			proofs += h.Proofs
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%s\t%d\t%s\n", f.Hash, orDash(f.Name), sizeText(f.Size),
			activeHolders(f), f.Copies, proofs, privilegeName(f.Privilege), f.ExpiredHeight, orDash(f.URL))
	}
	tw.Flush()
}

func printFile(w io.Writer, f *client.File) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "fileHash\t%s\n", f.Hash)
	if f.Name != "" {
		fmt.Fprintf(tw, "name\t%s\n", f.Name)
	}
	fmt.Fprintf(tw, "owner\t%s\n", f.Owner)
	fmt.Fprintf(tw, "size\t%s (%d blocks)\n", sizeText(f.Size), f.Blocks)
	fmt.Fprintf(tw, "copies\t%d wanted, %d active\n", f.Copies, activeHolders(f))
	fmt.Fprintf(tw, "privilege\t%s\n", privilegeName(f.Privilege))
	if len(f.WhiteList) > 0 {
		fmt.Fprintf(tw, "whitelist\t%s\n", addrList(f.WhiteList))
	}
	fmt.Fprintf(tw, "proveInterval\t%d blocks\n", f.ProveInterval)
	fmt.Fprintf(tw, "expires\theight %d\n", f.ExpiredHeight)
	fmt.Fprintf(tw, "deposit\t%d\n", f.Deposit)
	fmt.Fprintf(tw, "url\t%s\n", orDash(f.URL))
	fmt.Fprintf(tw, "local\t%s\n", orDash(f.Local))
	tw.Flush()
	printHolders(w, f.Holders)
}

// printHolders prints each holder's contract and proof status.
func printHolders(w io.Writer, hs []client.Holder) {
	if len(hs) == 0 {
		fmt.Fprintln(w, "holders: none yet")
		return
	}
	fmt.Fprintln(w, "holders:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tSTATE\tPROOFS\tLAST PROOF\tNEXT DUE\tFAILURES\tBALANCE")
	for _, h := range hs {
		last := "-"
		if h.LastProof > 0 {
			last = fmt.Sprint(h.LastProof)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%d\t%d\t%d\n", h.Node, h.State, h.Proofs, last, h.NextDue, h.Failures, h.Balance)
	}
	tw.Flush()
}

func addrList(as []keys.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func runFilesDelete(cmd *cobra.Command, args []string) error {
	h, err := fileHashArg(args[0])
	if err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		r, err := c.DeleteFile(ctx, h)
		if err != nil {
			return err
		}
		return emitTx(cmd, r, "deleted "+h)
	})
}

// whitelistOut is what "files whitelist" prints.
type whitelistOut struct {
	FileHash  string           `json:"fileHash"`
	Privilege string           `json:"privilege"`
	WhiteList []keys.Address   `json:"whiteList"`
	Tx        *client.TxResult `json:"tx"`
}

func runFilesWhitelist(cmd *cobra.Command, args []string) error {
	h, err := fileHashArg(args[0])
	if err != nil {
		return err
	}
	if filesPrivilege == "" && filesAdd == "" && filesRemove == "" {
		return usageErr("whitelist needs --privilege, --add or --remove")
	}
	add, err := parseAddresses("--add", filesAdd)
	if err != nil {
		return err
	}
	remove, err := parseAddresses("--remove", filesRemove)
	if err != nil {
		return err
	}
	var priv uint64
	if filesPrivilege != "" {
		if priv, err = parsePrivilege(filesPrivilege); err != nil {
			return err
		}
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		f, err := c.File(ctx, h)
		if err != nil {
			return err
		}
		if filesPrivilege == "" {
			priv = f.Privilege
		}
		list := editList(f.WhiteList, add, remove)
		r, err := c.SetWhitelist(ctx, h, priv, list)
		if err != nil {
			return err
		}
		out := whitelistOut{FileHash: h, Privilege: privilegeName(priv), WhiteList: list, Tx: r}
		return emit(cmd, out, func(w io.Writer) {
			fmt.Fprintf(w, "file       %s\nprivilege  %s\nwhitelist  %s\ntx         %s (height %d)\n",
				h, out.Privilege, orDash(addrList(list)), r.Hash, r.Height)
		})
	})
}

// editList returns list with add appended (once each) and remove taken out, in order.
func editList(list, add, remove []keys.Address) []keys.Address {
	out := []keys.Address{}
	for _, a := range append(slices.Clone(list), add...) {
		if !slices.Contains(remove, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func runShare(cmd *cobra.Command, args []string) error {
	h, err := fileHashArg(args[0])
	if err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		if err := c.Share(ctx, h); err != nil {
			return err
		}
		return emit(cmd, map[string]any{"fileHash": h, "shared": true}, func(w io.Writer) {
			fmt.Fprintf(w, "shared %s: this node is announced to SCAN as a holder\n", h)
		})
	})
}
