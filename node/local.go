package node

import (
	"context"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// nodeLocal is the in-process NodeAPI over a running Node.
type nodeLocal struct{ n *Node }

// local is the in-process Client: the node's own NodeAPI and the Services mounted on it.
type local struct {
	nodeLocal
	Services
}

// Local returns the in-process Client of n: the same interface the control API serves, without
// HTTP. The account, ledger, file, task and proxy methods are those of the Services set with
// SetServices (during Options.Setup); without them they fail with NO_DSP. It stays valid until n
// closes.
func Local(n *Node) client.Client {
	s := n.services
	if s == nil {
		s = NoServices{}
	}
	return local{nodeLocal{n}, s}
}

// ProverStatus implements client.ProverAPI with the mounted Services when they implement it,
// else NO_DSP.
func (l local) ProverStatus(ctx context.Context) ([]client.ProverFile, error) {
	if p, ok := l.Services.(client.ProverAPI); ok {
		return p.ProverStatus(ctx)
	}
	return nil, notAvailable("the prover (fs role)")
}

// Status implements client.NodeAPI.
func (l nodeLocal) Status(ctx context.Context) (*client.Status, error) {
	h := l.n.host
	peers, _ := l.Peers(ctx)
	return &client.Status{
		Address: h.Account(), Roles: append([]string{}, l.n.opts.Roles...), Listen: h.Addrs(),
		NetworkID: h.NetworkID(), Started: l.n.started, Peers: peers,
	}, nil
}

// Peers implements client.NodeAPI.
func (l nodeLocal) Peers(context.Context) ([]client.PeerInfo, error) {
	out := []client.PeerInfo{}
	for _, p := range l.n.host.Peers() {
		out = append(out, peerInfo(p))
	}
	return out, nil
}

// Connect implements client.NodeAPI.
func (l nodeLocal) Connect(ctx context.Context, url string) (*client.PeerInfo, error) {
	if _, _, err := ParsePeerURL(url); err != nil {
		return nil, status.Wrap(status.InvalidParams, err, "connect")
	}
	p, err := l.n.host.Connect(ctx, url)
	if err != nil {
		return nil, status.Wrap(status.NetReconnectPeerFailed, err, "connect")
	}
	info := peerInfo(p)
	return &info, nil
}

// Disconnect implements client.NodeAPI.
func (l nodeLocal) Disconnect(_ context.Context, a keys.Address) error {
	if err := l.n.host.Disconnect(a, "disconnect requested through the control API"); err != nil {
		return status.Wrap(status.InvalidParams, err, "disconnect")
	}
	return nil
}

// Events implements client.NodeAPI.
func (l nodeLocal) Events(ctx context.Context) (<-chan client.Event, error) {
	return l.n.events.subscribe(ctx), nil
}
