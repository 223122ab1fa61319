package node

import (
	"context"

	"dsp/keys"
	"dsp/wire"
)

// PeerRoundTripper sends requests from Host to the connected peer with account Peer: each
// RoundTrip is one Host.Request, returning the reply's decoded payload. It satisfies the
// RoundTripper interfaces of the services' clients (ledger, scan, dns). Transport errors wrap
// ErrNotConnected or ErrPeerClosed; a request the peer refused comes back as a *status.Error.
type PeerRoundTripper struct {
	Host *Host
	Peer keys.Address
}

// RoundTrip sends req under op and returns the reply payload. It is safe for concurrent use.
func (r PeerRoundTripper) RoundTrip(ctx context.Context, op wire.Opcode, req any) (any, error) {
	in, err := r.Host.Request(ctx, r.Peer, op, req)
	if err != nil {
		return nil, err
	}
	return in.Payload, nil
}
