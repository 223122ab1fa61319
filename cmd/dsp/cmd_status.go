package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func init() {
	root.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "show the running node's address, roles, peers and their RTT",
		Long: `Show the node running on the data directory: its account address, roles, listen addresses,
network id and connected peers with round-trip time and traffic. It reads <data dir>/api.json and
asks the node's control API; with no node running it fails with NO_DSP (40003).`,
		Args: cobra.NoArgs,
		RunE: runStatus,
	})
}

func runStatus(cmd *cobra.Command, _ []string) error {
	c, err := openClient(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	return emit(cmd, st, func(w io.Writer) {
		fmt.Fprintf(w, "address   %s\nroles     %s\nlisten    %s\nnetwork   %d\nsince     %s\n",
			st.Address, orNone(strings.Join(st.Roles, ",")), strings.Join(st.Listen, ","), st.NetworkID, st.Started.Format(time.RFC3339))
		fmt.Fprintf(w, "peers     %d\n", len(st.Peers))
		if len(st.Peers) == 0 {
			return
		}
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ADDRESS\tURL\tRTT\tIN\tOUT\tDIALED")
		for _, p := range st.Peers {
			fmt.Fprintf(tw, "  %s\t%s\t%.1f ms\t%d\t%d\t%v\n", p.Address, p.URL, p.RTTMs, p.BytesIn, p.BytesOut, p.Dialed)
		}
		tw.Flush()
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none: client node)"
	}
	return s
}
