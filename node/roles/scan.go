package roles

import (
	"context"

	"dsp/ledger"
	"dsp/node/scan"
	"dsp/node/task"
	"dsp/status"
	"dsp/store"
)

// scanSeeder is how a node that holds a file complete announces itself.
const scanSeeder = scan.Seeder

// scan returns the node's SCAN access: its own table with the scan role, else the configured
// SCAN node, else the first SCAN node registered on the ledger (looked up when first needed).
func (n *Node) scan() task.Scan { return (*nodeScan)(n) }

type nodeScan Node

func (s *nodeScan) remote(ctx context.Context) (task.Scan, error) {
	n := (*Node)(s)
	if n.cfg.Scan != "" {
		return task.HostScan(n.Host(), n.cfg.Scan), nil
	}
	nodes, err := n.led.Nodes(ctx, ledger.RoleScan)
	if err != nil {
		return nil, status.Wrap(status.TaskNoConnectedDns, err, "find a SCAN node")
	}
	for _, ni := range nodes {
		if ni.Address != n.Key().Address() && ni.HostAddr != "" {
			return task.HostScan(n.Host(), ni.Address.String()+"@"+ni.HostAddr), nil
		}
	}
	return nil, status.New(status.TaskNoConnectedDns, "no SCAN node registered on the ledger")
}

// Announce implements task.Scan.
func (s *nodeScan) Announce(ctx context.Context, fh store.Hash, left uint64, typ scan.HolderType) error {
	n := (*Node)(s)
	if n.scanT != nil {
		_, err := n.scanT.Announce(n.Key().Address(), scan.NewTorrent(fh[:], left, typ, n.Key().Address(), n.Host().Addrs()...), "")
		return err
	}
	r, err := s.remote(ctx)
	if err != nil {
		return err
	}
	return r.Announce(ctx, fh, left, typ)
}

// Holders implements task.Scan.
func (s *nodeScan) Holders(ctx context.Context, fh store.Hash) ([]task.Holder, error) {
	n := (*Node)(s)
	if n.scanT != nil {
		hs, err := n.scanT.Holders(fh[:], 0)
		if err != nil {
			return nil, err
		}
		out := make([]task.Holder, 0, len(hs))
		for _, h := range hs {
			out = append(out, task.Holder{Account: h.Account, Addrs: h.Addrs})
		}
		return out, nil
	}
	r, err := s.remote(ctx)
	if err != nil {
		return nil, err
	}
	return r.Holders(ctx, fh)
}
