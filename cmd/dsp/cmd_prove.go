package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"dsp/node/client"

	"github.com/spf13/cobra"
)

var proveCmd = &cobra.Command{
	Use:   "prove",
	Short: "proofs of data possession on the ledger",
}

func init() {
	proveCmd.AddCommand(&cobra.Command{
		Use:   "detail HASH",
		Short: "per holder of a file: proofs made, last proof height, next due, failures, contract state",
		Long: `Show, for each FS node holding the file, its storage contract on the ledger: state (pending,
active, failed, recovering, ended), proofs the ledger accepted, the height of the last one, the
height by which the next must land (and how many blocks away that is), missed or invalid proofs,
and what remains of the contract's deposit.`,
		Args: cobra.ExactArgs(1),
		RunE: runProveDetail,
	})
	proveCmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "this FS node's prover: every file it stores, proves or recovers",
		Long: `Show the prover loop of the node driven (an FS node: --data of its data directory): for each
file among its duties, the contract state, whether it confirmed the file, the round of the next
proof and the deadline, the proofs this process got accepted (last round and the block that
included it), failed attempts with the last error, and the time the last proof took. A node
without the fs role answers NO_DSP (40003).`,
		Args: cobra.NoArgs,
		RunE: runProveStatus,
	})
	root.AddCommand(proveCmd)
}

// proveDetail is what "prove detail" prints.
type proveDetail struct {
	FileHash      string       `json:"fileHash"`
	Height        uint64       `json:"height"` // the ledger's height when asked
	ProveInterval uint64       `json:"proveInterval"`
	ExpiredHeight uint64       `json:"expiredHeight"`
	Copies        uint64       `json:"copies"`
	Holders       []proveEntry `json:"holders"`
	// Prover is the driven node's own prover entry for the file, when it is an FS node with the
	// file among its duties.
	Prover *client.ProverFile `json:"prover,omitempty"`
}

// proveEntry is one holder's proof status.
type proveEntry struct {
	client.Holder
	// DueIn is NextDue minus the height: blocks left to prove (negative: overdue); 0 while the
	// ledger names no next due height (NextDue 0).
	DueIn int64 `json:"dueIn"`
}

func runProveDetail(cmd *cobra.Command, args []string) error {
	h, err := fileHashArg(args[0])
	if err != nil {
		return err
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		f, err := c.File(ctx, h)
		if err != nil {
			return err
		}
		li, err := c.LedgerInfo(ctx)
		if err != nil {
			return err
		}
		d := proveDetail{FileHash: f.Hash, Height: li.Height, ProveInterval: f.ProveInterval,
			ExpiredHeight: f.ExpiredHeight, Copies: f.Copies, Holders: []proveEntry{}}
		for _, ho := range f.Holders {
			e := proveEntry{Holder: ho}
			if ho.NextDue > 0 {
				e.DueIn = int64(ho.NextDue) - int64(li.Height)
			}
			d.Holders = append(d.Holders, e)
		}
		if ps, err := c.ProverStatus(ctx); err == nil {
			for i := range ps {
				if ps[i].FileHash == f.Hash {
					d.Prover = &ps[i]
				}
			}
		}
		return emit(cmd, d, func(w io.Writer) { printProveDetail(w, &d) })
	})
}

func printProveDetail(w io.Writer, d *proveDetail) {
	fmt.Fprintf(w, "file      %s\nheight    %d\ninterval  %d blocks\nexpires   height %d\ncopies    %d\n",
		d.FileHash, d.Height, d.ProveInterval, d.ExpiredHeight, d.Copies)
	if len(d.Holders) == 0 {
		fmt.Fprintln(w, "no holders yet")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tSTATE\tPROOFS\tLAST PROOF\tNEXT DUE\tDUE IN\tFAILURES\tBALANCE")
	for _, e := range d.Holders {
		last := "-"
		if e.LastProof > 0 {
			last = fmt.Sprint(e.LastProof)
		}
		next, dueIn := "-", "-"
		if e.NextDue > 0 {
			next, dueIn = fmt.Sprint(e.NextDue), fmt.Sprint(e.DueIn)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%d\n", e.Node, e.State, e.Proofs, last, next, dueIn, e.Failures, e.Balance)
	}
	tw.Flush()
	if p := d.Prover; p != nil {
		fmt.Fprintf(w, "this node: %s, %d proofs accepted, next round %d, deadline %d, %d failures", p.State, p.Proofs, p.NextDue, p.Deadline, p.Failures)
		if p.LastError != "" {
			fmt.Fprintf(w, " (last: %s)", p.LastError)
		}
		fmt.Fprintln(w)
	}
}

func runProveStatus(cmd *cobra.Command, _ []string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		ps, err := c.ProverStatus(ctx)
		if err != nil {
			return err
		}
		return emit(cmd, ps, func(w io.Writer) { printProverStatus(w, ps) })
	})
}

func printProverStatus(w io.Writer, ps []client.ProverFile) {
	if len(ps) == 0 {
		fmt.Fprintln(w, "no duties yet")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tSTATE\tCONFIRMED\tPROOFS\tLAST ROUND\tNEXT ROUND\tDEADLINE\tFAILURES\tLAST PROOF TOOK\tLAST ERROR")
	for _, p := range ps {
		took := "-"
		if p.ReadTime+p.ProveTime > 0 {
			took = (p.ReadTime + p.ProveTime).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", p.FileHash, p.State, p.Confirmed, p.Proofs,
			p.LastProofHeight, p.NextDue, p.Deadline, p.Failures, took, p.LastError)
	}
	tw.Flush()
}
