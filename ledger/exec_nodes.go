package ledger

import (
	"strings"

	"dsp/status"
)

func checkNodeInfo(n *NodeInfo, p *Params) error {
	if !n.Role.Valid() {
		return status.Wrap(status.DspNodeRegisterFailed, ErrMalformed, "unknown role %d", n.Role)
	}
	if n.HostAddr == "" || len(n.HostAddr) > 256 || !strings.Contains(n.HostAddr, "://") {
		return status.Wrap(status.DspNodeRegisterFailed, ErrMalformed, "host address %q is not scheme://host:port", n.HostAddr)
	}
	if n.Role != RoleFS {
		return nil
	}
	switch {
	case n.Pledge < p.MinFSPledge:
		return status.Wrap(status.DspNodeRegisterFailed, ErrInsufficient, "FS pledge %d below minimum %d", n.Pledge, p.MinFSPledge)
	case n.Capacity == 0:
		return status.Wrap(status.DspNodeRegisterFailed, ErrMalformed, "FS capacity is 0")
	case n.MaxProveInterval == 0:
		return status.Wrap(status.DspNodeRegisterFailed, ErrMalformed, "FS max prove interval is 0")
	case n.MaxFileSize != 0 && n.MaxFileSize < n.MinFileSize:
		return status.Wrap(status.DspNodeRegisterFailed, ErrMalformed, "FS max file size %d below min %d", n.MaxFileSize, n.MinFileSize)
	}
	return nil
}

func (e *env) registerNode(p *RegisterNode) error {
	n := p.Info
	if err := checkNodeInfo(&n, e.params); err != nil {
		return err
	}
	if _, ok := e.node(n.Role, e.sender); ok {
		return status.Wrap(status.DspNodeRegisterFailed, ErrExists, "%s is already a %s node", e.sender, n.Role)
	}
	if err := e.debit(e.sender, n.Pledge, "node pledge"); err != nil {
		return err
	}
	n.Address, n.Used, n.Failures, n.Slashed = e.sender, 0, 0, 0
	n.RegisteredHeight, n.UpdatedHeight = e.height, e.height
	e.putNode(&n)
	return nil
}

func (e *env) updateNode(p *UpdateNode) error {
	n := p.Info
	old, ok := e.node(n.Role, e.sender)
	if !ok {
		return status.Wrap(status.DspNodeUpdateFailed, ErrNotFound, "%s is not a %s node", e.sender, n.Role)
	}
	if err := checkNodeInfo(&n, e.params); err != nil {
		return status.Wrap(status.DspNodeUpdateFailed, err, "update node")
	}
	if n.Role == RoleFS && n.Capacity < old.Used {
		return status.Wrap(status.DspNodeUpdateFailed, ErrMalformed, "capacity %d below the %d bytes under contract", n.Capacity, old.Used)
	}
	if n.Pledge > old.Pledge {
		if err := e.debit(e.sender, n.Pledge-old.Pledge, "node pledge"); err != nil {
			return err
		}
	} else {
		e.credit(e.sender, old.Pledge-n.Pledge)
	}
	n.Address, n.Used, n.Failures, n.Slashed = e.sender, old.Used, old.Failures, old.Slashed
	n.RegisteredHeight, n.UpdatedHeight = old.RegisteredHeight, e.height
	e.putNode(&n)
	return nil
}

func (e *env) unregisterNode(p *UnregisterNode) error {
	old, ok := e.node(p.Role, e.sender)
	if !ok {
		return status.Wrap(status.DspNodeUnregisterFailed, ErrNotFound, "%s is not a %s node", e.sender, p.Role)
	}
	if old.Used > 0 {
		return status.Wrap(status.DspNodeUnregisterFailed, ErrExists, "%d bytes still under contract", old.Used)
	}
	e.credit(e.sender, old.Pledge)
	e.kv.del(sNodes, nodeKey(p.Role, e.sender))
	return nil
}
