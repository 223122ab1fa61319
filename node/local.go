package node

import (
	"context"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// local is the in-process Client over a running Node.
type local struct{ n *Node }

// Local returns the in-process Client of n: the same interface the control API serves, without
// HTTP. It stays valid until n closes.
func Local(n *Node) client.Client { return local{n} }

// Status implements client.NodeAPI.
func (l local) Status(ctx context.Context) (*client.Status, error) {
	h := l.n.host
	peers, _ := l.Peers(ctx)
	return &client.Status{
		Address: h.Account(), Roles: append([]string{}, l.n.opts.Roles...), Listen: h.Addrs(),
		NetworkID: h.NetworkID(), Started: l.n.started, Peers: peers,
	}, nil
}

// Peers implements client.NodeAPI.
func (l local) Peers(context.Context) ([]client.PeerInfo, error) {
	out := []client.PeerInfo{}
	for _, p := range l.n.host.Peers() {
		out = append(out, peerInfo(p))
	}
	return out, nil
}

// Connect implements client.NodeAPI.
func (l local) Connect(ctx context.Context, url string) (*client.PeerInfo, error) {
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
func (l local) Disconnect(_ context.Context, a keys.Address) error {
	if err := l.n.host.Disconnect(a, "disconnect requested through the control API"); err != nil {
		return status.Wrap(status.InvalidParams, err, "disconnect")
	}
	return nil
}

// Events implements client.NodeAPI.
func (l local) Events(ctx context.Context) (<-chan client.Event, error) {
	return l.n.events.subscribe(ctx), nil
}
