package ledger

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"dsp/status"
	"dsp/wire"
)

// wireRT is a RoundTripper that moves real encoded payloads: it encodes the request with
// wire.EncodePayload, hands the bytes to a Handler, and decodes the reply with
// wire.DecodePayload, checking the reply opcode against the request's.
type wireRT struct {
	h     *Handler
	calls atomic.Int64 // round trips made (safe for concurrent callers)
}

func (rt *wireRT) RoundTrip(ctx context.Context, op wire.Opcode, req any) (any, error) {
	rt.calls.Add(1)
	if got, ok := wire.OpcodeOf(req); !ok || got != op {
		return nil, fmt.Errorf("request %T is registered as %d, sent as %d", req, got, op)
	}
	b, err := wire.EncodePayload(req)
	if err != nil {
		return nil, err
	}
	rop, rb, err := rt.h.HandleBytes(ctx, op, b)
	if err != nil {
		return nil, err
	}
	if rop != op+1 && rop != OpLedgerError {
		return nil, fmt.Errorf("reply opcode %d to request %d", rop, op)
	}
	return wire.DecodePayload(rop, rb)
}

func remoteAPI(t *testing.T, l *Embedded) Ledger {
	rt := &wireRT{h: NewHandler(l)}
	t.Cleanup(func() {
		if rt.calls.Load() == 0 {
			t.Error("the remote ledger made no round trip")
		}
	})
	return NewRemote(rt)
}

// TestRemote runs the whole behavior suite through Remote -> wire encoding -> Handler.
func TestRemote(t *testing.T) { runSuite(t, remoteAPI) }

func TestHandlerRefusesGarbage(t *testing.T) {
	f := newFixture(t, nil)
	h := NewHandler(f.l)
	// A payload that is not msgpack of the request.
	op, b, err := h.HandleBytes(context.Background(), OpSubmitRequest, []byte{0xc1})
	if err != nil || op != OpLedgerError {
		t.Fatalf("garbage: op %d err %v", op, err)
	}
	rep, err := wire.DecodePayload(op, b)
	if err != nil || rep.(*ErrorReply).Code != status.InvalidParams.Num() {
		t.Fatalf("garbage reply %+v %v", rep, err)
	}
	// A well-formed request carrying a malformed transaction.
	r := h.Handle(context.Background(), &SubmitRequest{Tx: []byte{1, 2, 3}})
	if e, ok := r.(*ErrorReply); !ok || e.Code != status.InvalidParams.Num() || e.Sentinel != "malformed" {
		t.Fatalf("bad tx reply %+v", r)
	}
	// A reply type sent as a request.
	if e, ok := h.Handle(context.Background(), &HeightReply{}).(*ErrorReply); !ok || e.Code != status.InvalidParams.Num() {
		t.Fatal("a reply was answered as a request")
	}
	// Every registered message round-trips through the wire registry.
	for _, m := range messageTypes {
		if name, ok := wire.Lookup(m.op); !ok || name != m.name {
			t.Fatalf("opcode %d registered as %q", m.op, name)
		}
		if m.op < wire.OpLedgerStart || m.op > wire.OpLedgerStart+99 {
			t.Fatalf("opcode %d outside the ledger range", m.op)
		}
	}
}

// TestSyncFromRemote: a follower ledger catches up with a producer through Remote and ends with
// the same state root; a chain from another genesis is refused.
func TestSyncFromRemote(t *testing.T) {
	f := newFixture(t, nil)
	busyChain(t, f)
	src := remoteAPI(t, f.l)
	fl := follower(t, f.g)
	ctx := f.ctx()
	n, err := fl.SyncFrom(ctx, src)
	if err != nil || uint64(n) != f.height() {
		t.Fatalf("synced %d of %d: %v", n, f.height(), err)
	}
	f.ok(f.alice, &Transfer{To: f.bob.Address(), Amount: 1})
	if n, err := fl.SyncFrom(ctx, src); err != nil || n != 1 {
		t.Fatalf("second sync %d %v", n, err)
	}
	r1, _ := f.l.StateRoot(ctx)
	r2, _ := fl.StateRoot(ctx)
	if r1 != r2 {
		t.Fatal("state roots differ after sync")
	}
	other := newFixture(t, nil)
	other.produce(2)
	stranger := follower(t, other.g)
	if _, err := stranger.SyncFrom(ctx, src); err == nil {
		t.Fatal("synced a chain of another genesis")
	}
	if _, err := f.l.SyncFrom(ctx, src); err == nil {
		t.Fatal("a producer synced from elsewhere")
	}
}
