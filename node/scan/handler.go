package scan

import (
	"context"
	"fmt"

	"dsp/keys"
	"dsp/status"
	"dsp/wire"
)

// Sender is who sent a request, as the host authenticated it: the account and the URL it
// listens on ("" if it did not say).
type Sender struct {
	Account keys.Address
	URL     string
}

// Handler answers SCAN requests from a Tracker: what a node with the scan role runs for each
// request it receives. It is safe for concurrent use.
type Handler struct{ t *Tracker }

// NewHandler returns a Handler serving t.
func NewHandler(t *Tracker) *Handler { return &Handler{t: t} }

// Handle answers one decoded request payload (a pointer, as wire.DecodePayload returns it) sent
// by from with a reply payload: the request's reply type or *ErrorReply. It never returns nil;
// the reply's opcode is wire.OpcodeOf(reply).
func (h *Handler) Handle(ctx context.Context, from Sender, req any) any {
	reply, err := h.handle(ctx, from, req)
	if err != nil {
		return errorReply(err)
	}
	return reply
}

// HandleBytes decodes a request payload of opcode op, answers it and encodes the reply.
func (h *Handler) HandleBytes(ctx context.Context, from Sender, op wire.Opcode, payload []byte) (wire.Opcode, []byte, error) {
	var reply any
	req, err := wire.DecodePayload(op, payload)
	if err != nil {
		reply = errorReply(status.Wrap(status.InvalidParams, fmt.Errorf("%w: %v", ErrMalformed, err), "scan request %d", op))
	} else {
		reply = h.Handle(ctx, from, req)
	}
	rop, ok := wire.OpcodeOf(reply)
	if !ok {
		return 0, nil, fmt.Errorf("scan: reply %T has no opcode", reply)
	}
	b, err := wire.EncodePayload(reply)
	return rop, b, err
}

func errorReply(err error) *ErrorReply {
	r := &ErrorReply{Code: status.CodeOf(err, status.InternalError.Num()), Name: status.NameOf(err), Msg: err.Error()}
	if r.Name == "" {
		r.Name = status.InternalError.Name()
	}
	return r
}

func (h *Handler) handle(ctx context.Context, from Sender, req any) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, status.Wrap(status.InternalError, err, "scan request")
	}
	switch r := req.(type) {
	case *Torrent:
		v, err := h.t.Announce(from.Account, r, from.URL)
		if err != nil {
			return nil, err
		}
		return &AnnounceReply{Expires: v.Expires}, nil
	case *Endpoint:
		v, err := h.t.Register(from.Account, r)
		if err != nil {
			return nil, err
		}
		return &EndpointReply{Expires: v.Expires}, nil
	case *PeersRequest:
		v, err := h.t.Holders(r.InfoHash, int(min(r.Max, MaxPeers)))
		if err != nil {
			return nil, err
		}
		return &PeersReply{Holders: v}, nil
	case *EndpointQuery:
		a, err := keys.ParseAddress(r.WalletAddr)
		if err != nil {
			return nil, status.Wrap(status.InvalidWalletAddress, ErrMalformed, "wallet address %q: %v", r.WalletAddr, err)
		}
		v, err := h.t.Endpoints(a)
		if err != nil {
			return nil, err
		}
		return &EndpointsReply{Endpoints: v}, nil
	case *SyncRequest:
		return h.t.Changes(r.Since, int(min(r.Limit, MaxSyncPage)))
	}
	return nil, status.Wrap(status.InvalidParams, ErrMalformed, "not a scan request: %T", req)
}
