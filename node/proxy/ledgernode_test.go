package proxy

import (
	"context"
	"fmt"
	"time"

	"dsp/ledger"
	"dsp/node"
	"dsp/wire"
)

// ledgerComp serves a ledger to peers over the host, for the netns test (the node package's
// ledger role is wired elsewhere): each request is answered in a goroutine, since WaitTx may hold
// it for seconds.
type ledgerComp struct {
	node.BaseComponent
	h *ledger.Handler
}

func (c ledgerComp) Receive(in *node.Incoming) error {
	if !in.IsRequest() {
		return nil
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		reply := c.h.Handle(ctx, in.Payload)
		if op, ok := wire.OpcodeOf(reply); ok {
			in.Reply(ctx, op, reply)
		}
	}()
	return nil
}

var ledgerRange = wire.OpRange{First: wire.OpLedgerStart, Last: wire.OpLedgerStart + 99}

// remoteRT reaches the ledger node at url from h, connecting when needed. h is set when the host
// is made (in its mount callback), before anything uses the ledger.
type remoteRT struct {
	h   *node.Host
	url string
}

func (r *remoteRT) RoundTrip(ctx context.Context, op wire.Opcode, req any) (any, error) {
	p, err := r.h.Connect(ctx, r.url)
	if err != nil {
		return nil, fmt.Errorf("ledger node %s: %w", r.url, err)
	}
	in, err := p.Request(ctx, op, req)
	if err != nil {
		return nil, err
	}
	return in.Payload, nil
}
