package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"dsp/node/client"

	"github.com/spf13/cobra"
)

var proxyCmd = &cobra.Command{
	Use:   "proxy",
	Short: "an address for a node behind NAT: request, status, release, list",
	Long: `A node without a public address asks a proxy node for one; peers then reach it through the
proxy, which relays their traffic over the node's connection to it.

  dsp proxy request URL   ask the proxy at URL (kcp://host:port or ACCOUNT@kcp://host:port) for an address
  dsp proxy status        this node's allocation: proxy, address, state, last keepalive, relayed traffic
  dsp proxy release       give the allocation back
  dsp proxy list          proxy nodes on the ledger, this node's allocation and, on a proxy, the
                          allocations it serves`,
}

func init() {
	requestCmd := &cobra.Command{
		Use:   "request URL",
		Short: "ask the proxy at URL for an address and advertise it",
		Args:  cobra.ExactArgs(1),
		RunE:  runProxyRequest,
	}
	statusCmd := &cobra.Command{
		Use:   "status",
		Short: "show this node's proxy allocation",
		Args:  cobra.NoArgs,
		RunE:  runProxyStatus,
	}
	releaseCmd := &cobra.Command{
		Use:   "release",
		Short: "give this node's proxy allocation back",
		Args:  cobra.NoArgs,
		RunE:  runProxyRelease,
	}
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "list proxy nodes, this node's allocation and the allocations it serves",
		Args:  cobra.NoArgs,
		RunE:  runProxyList,
	}
	proxyCmd.AddCommand(requestCmd, statusCmd, releaseCmd, listCmd)
	root.AddCommand(proxyCmd)
}

func runProxyRequest(cmd *cobra.Command, args []string) error {
	u := args[0]
	if i := strings.Index(u, "://"); i <= 0 || i+3 == len(u) {
		return usageErr("proxy URL %q: want kcp://HOST:PORT or ACCOUNT@kcp://HOST:PORT", u)
	}
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		st, err := c.RequestProxy(ctx, u)
		if err != nil {
			return err
		}
		return emit(cmd, st, func(w io.Writer) { printProxyStatus(w, st) })
	})
}

func runProxyStatus(cmd *cobra.Command, _ []string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		o, err := c.Proxies(ctx)
		if err != nil {
			return err
		}
		// JSON: the allocation, or null without one.
		return emit(cmd, o.Mine, func(w io.Writer) { printProxyStatus(w, o.Mine) })
	})
}

func runProxyRelease(cmd *cobra.Command, _ []string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		if err := c.ReleaseProxy(ctx); err != nil {
			return err
		}
		return emit(cmd, map[string]any{"released": true}, func(w io.Writer) {
			fmt.Fprintln(w, "released the proxy allocation")
		})
	})
}

func runProxyList(cmd *cobra.Command, _ []string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		o, err := c.Proxies(ctx)
		if err != nil {
			return err
		}
		if o.Known == nil {
			o.Known = []client.NodeInfo{}
		}
		return emit(cmd, o, func(w io.Writer) {
			fmt.Fprintln(w, "proxy nodes on the ledger:")
			printNodes(w, o.Known)
			fmt.Fprintln(w, "this node:")
			printProxyStatus(w, o.Mine)
			if len(o.Serving) == 0 {
				return
			}
			fmt.Fprintln(w, "serving:")
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  ACCOUNT\tADDRESS\tONLINE\tRELAYED\tIN\tOUT\tEXPIRES")
			for _, a := range o.Serving {
				fmt.Fprintf(tw, "  %s\t%s\t%v\t%d\t%s\t%s\t%s\n", a.Account, a.Address, a.Online, a.Relayed,
					sizeText(a.BytesIn), sizeText(a.BytesOut), a.Expires.Format(time.RFC3339))
			}
			tw.Flush()
		})
	})
}

func printProxyStatus(w io.Writer, st *client.ProxyStatus) {
	if st == nil {
		fmt.Fprintln(w, "no proxy allocation")
		return
	}
	last := "-"
	if !st.LastKeepalive.IsZero() {
		last = st.LastKeepalive.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "proxy          %s\naddress        %s\nstate          %s\nlast keepalive %s\nrelayed        %d connections\ntraffic        %s in, %s out\n",
		st.Proxy, orDash(st.Address), st.State, last, st.Relayed, sizeText(st.BytesIn), sizeText(st.BytesOut))
}
