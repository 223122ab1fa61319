package roles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/status"
	"dsp/wire"
)

// ledgerRange is the opcode range the ledger role answers.
var ledgerRange = wire.OpRange{Name: "ledger", First: wire.OpLedgerStart, Last: wire.OpLedgerStart + 99}

// requestTimeout bounds the answer to one ledger request (WaitTx waits up to 30 s on the
// serving side, so a little more).
const requestTimeout = 40 * time.Second

// ledgerComponent is the ledger role on a host: it answers every request of the ledger range
// from the node's chain with ledger.Handler. Each request is answered on its own goroutine (WaitTx
// may wait for a block), owned by the component and stopped at Cleanup.
type ledgerComponent struct {
	node.BaseComponent
	h   *ledger.Handler
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

func newLedgerComponent(l ledger.Ledger, log *slog.Logger) *ledgerComponent {
	ctx, cancel := context.WithCancel(context.Background())
	return &ledgerComponent{h: ledger.NewHandler(l), log: log, ctx: ctx, cancel: cancel}
}

// Receive implements node.Component.
func (c *ledgerComponent) Receive(in *node.Incoming) error {
	if !in.IsRequest() {
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return status.New(status.NoDsp, "ledger service stopping")
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.ctx, requestTimeout)
		defer cancel()
		reply := c.h.Handle(ctx, in.Payload)
		op, ok := wire.OpcodeOf(reply)
		if !ok {
			c.log.Error("ledger reply without opcode", "type", fmt.Sprintf("%T", reply))
			return
		}
		if err := in.Reply(ctx, op, reply); err != nil && c.ctx.Err() == nil {
			c.log.Debug("ledger reply not sent", "peer", in.Peer.Account(), "err", err)
		}
	}()
	return nil
}

// Cleanup implements node.Component: it ends the requests still being answered and waits.
func (c *ledgerComponent) Cleanup(*node.Host) {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}

// ledgerRT is a ledger.RoundTripper over the host: to the configured ledger node, or else to
// the first connected peer that answers ledger requests (remembered until it goes away).
type ledgerRT struct {
	h   *node.Host
	url string

	mu   sync.Mutex
	peer keys.Address // the peer that served last
}

// RoundTrip implements ledger.RoundTripper.
func (r *ledgerRT) RoundTrip(ctx context.Context, op wire.Opcode, req any) (any, error) {
	if r.url != "" {
		p, err := r.h.Connect(ctx, r.url)
		if err != nil {
			return nil, fmt.Errorf("connect to ledger node %s: %w", r.url, err)
		}
		return r.request(ctx, p.Account(), op, req)
	}
	r.mu.Lock()
	last := r.peer
	r.mu.Unlock()
	if !last.IsZero() {
		if _, ok := r.h.Peer(last); ok {
			return r.request(ctx, last, op, req)
		}
	}
	var errs []error
	for _, p := range r.h.Peers() {
		reply, err := r.request(ctx, p.Account(), op, req)
		if err == nil {
			r.mu.Lock()
			r.peer = p.Account()
			r.mu.Unlock()
			return reply, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("no ledger node: %w", node.ErrNotConnected)
	}
	return nil, fmt.Errorf("no connected peer serves the ledger: %w", errors.Join(errs...))
}

func (r *ledgerRT) request(ctx context.Context, a keys.Address, op wire.Opcode, req any) (any, error) {
	in, err := r.h.Request(ctx, a, op, req)
	if err != nil {
		return nil, err
	}
	return in.Payload, nil
}

// Peer returns the ledger node last used ("" before one answered).
func (r *ledgerRT) Peer() keys.Address {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peer
}
