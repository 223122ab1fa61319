package roles

import (
	"context"
	"time"

	"dsp/ledger"
	"dsp/status"
)

// registrable maps the roles registered on the ledger to their ledger roles.
var registrable = []struct {
	name string
	role ledger.Role
}{{"fs", ledger.RoleFS}, {"scan", ledger.RoleScan}, {"dns", ledger.RoleDNS}, {"proxy", ledger.RoleProxy}}

// registerLoop registers each of the node's roles on the ledger (or updates its host address when
// it changed), retrying every RegisterInterval until all are, then closes n.registered.
func (n *Node) registerLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.RegisterInterval)
	defer t.Stop()
	for {
		err := n.registerAll(ctx)
		if err == nil {
			close(n.registered)
			return
		}
		if ctx.Err() != nil {
			return
		}
		n.log.Warn("role registration on the ledger failed; will retry", "err", err, "retry", n.cfg.RegisterInterval)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Node) registerAll(ctx context.Context) error {
	for _, r := range registrable {
		if !n.cfg.has(r.name) {
			continue
		}
		if err := n.register(ctx, r.role); err != nil {
			return err
		}
	}
	return nil
}

// info is what the node registers under role.
func (n *Node) info(ctx context.Context, role ledger.Role) (ledger.NodeInfo, error) {
	in := ledger.NodeInfo{Role: role, HostAddr: n.Host().Addrs()[0]}
	if role != ledger.RoleFS {
		return in, nil
	}
	t := n.cfg.FS
	pledge := t.Pledge
	if pledge == 0 {
		ci, err := n.led.ChainInfo(ctx)
		if err != nil {
			return in, err
		}
		pledge = max(ci.Params.MinFSPledge, 1000)
	}
	in.Capacity, in.PricePerMBBlock, in.MaxProveInterval = t.Capacity, t.PricePerMBBlock, t.MaxProveInterval
	in.MinFileSize, in.MaxFileSize, in.Pledge, in.Accepting = t.MinFileSize, t.MaxFileSize, pledge, true
	return in, nil
}

// register registers role, or updates the registration when its host address changed (a node
// restarted on another port). Other changed terms are left as registered: an operator changes
// them deliberately.
func (n *Node) register(ctx context.Context, role ledger.Role) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	want, err := n.info(ctx, role)
	if err != nil {
		return err
	}
	have, err := n.led.Node(ctx, role, n.Key().Address())
	switch {
	case err == nil && have.HostAddr == want.HostAddr:
		return nil
	case err == nil:
		up := *have
		up.HostAddr = want.HostAddr
		_, err = n.svc.send(ctx, &ledger.UpdateNode{Info: up})
		if err == nil {
			n.log.Info("updated the node's address on the ledger", "role", role, "addr", want.HostAddr)
		}
		return err
	case status.CodeOf(err, 0) != status.DspNodeQueryFailed.Num():
		return err
	}
	if _, err := n.svc.send(ctx, &ledger.RegisterNode{Info: want}); err != nil {
		return err
	}
	n.log.Info("registered on the ledger", "role", role, "addr", want.HostAddr)
	return nil
}
