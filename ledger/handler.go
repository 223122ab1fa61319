package ledger

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"dsp/status"
	"dsp/wire"
)

// Handler answers ledger requests from a Ledger: what a node with the ledger role runs for each
// request message it receives. It is safe for concurrent use.
type Handler struct{ l Ledger }

// NewHandler returns a Handler serving l.
func NewHandler(l Ledger) *Handler { return &Handler{l: l} }

// Handle answers one decoded request payload (a pointer, as wire.DecodePayload returns it) with
// a reply payload: the request's reply type, or *ErrorReply. It never returns nil; the reply's
// opcode is wire.OpcodeOf(reply).
func (h *Handler) Handle(ctx context.Context, req any) any {
	reply, err := h.handle(ctx, req)
	if err != nil {
		return errorReply(err)
	}
	return reply
}

// HandleBytes decodes a request payload of opcode op, answers it and encodes the reply: the
// whole exchange for a transport that moves bytes.
func (h *Handler) HandleBytes(ctx context.Context, op wire.Opcode, payload []byte) (wire.Opcode, []byte, error) {
	var reply any
	req, err := wire.DecodePayload(op, payload)
	if err != nil {
		reply = errorReply(status.Wrap(status.InvalidParams, fmt.Errorf("%w: %v", ErrMalformed, err), "ledger request %d", op))
	} else {
		reply = h.Handle(ctx, req)
	}
	rop, ok := wire.OpcodeOf(reply)
	if !ok {
		return 0, nil, fmt.Errorf("ledger: reply %T has no opcode", reply)
	}
	b, err := wire.EncodePayload(reply)
	return rop, b, err
}

func errorReply(err error) *ErrorReply {
	r := &ErrorReply{Code: status.CodeOf(err, int(status.ChainInternalError)), Name: status.NameOf(err), Msg: err.Error()}
	if r.Name == "" {
		r.Name = status.ChainInternalError.Name()
	}
	names := make([]string, 0, len(sentinelNames))
	for n := range sentinelNames {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if errors.Is(err, sentinelNames[n]) {
			r.Sentinel = n
			break
		}
	}
	return r
}

func (h *Handler) handle(ctx context.Context, req any) (any, error) {
	l := h.l
	switch r := req.(type) {
	case *ChainInfoRequest:
		v, err := l.ChainInfo(ctx)
		if err != nil {
			return nil, err
		}
		return &ChainInfoReply{Info: *v}, nil
	case *HeightRequest:
		v, err := l.Height(ctx)
		return &HeightReply{Height: v}, err
	case *BlockHashRequest:
		v, err := l.BlockHash(ctx, r.Height)
		return &BlockHashReply{Hash: v}, err
	case *BlockRequest:
		v, err := l.Block(ctx, r.Height)
		if err != nil {
			return nil, err
		}
		return &BlockReply{Block: v.Encode()}, nil
	case *TxRequest:
		v, err := l.Tx(ctx, r.Hash)
		if err != nil {
			return nil, err
		}
		return &TxReply{Tx: v.Tx.Encode(), Receipt: v.Receipt}, nil
	case *AccountRequest:
		v, err := l.Account(ctx, r.Address)
		return &AccountReply{Account: v}, err
	case *NextNonceRequest:
		v, err := l.NextNonce(ctx, r.Address)
		return &NextNonceReply{Nonce: v}, err
	case *NodesRequest:
		v, err := l.Nodes(ctx, r.Role)
		return &NodesReply{Nodes: v}, err
	case *NodeRequest:
		v, err := l.Node(ctx, r.Role, r.Address)
		if err != nil {
			return nil, err
		}
		return &NodeReply{Node: *v}, nil
	case *FileInfoRequest:
		v, err := l.FileInfo(ctx, r.FileHash)
		if err != nil {
			return nil, err
		}
		return &FileInfoReply{Info: *v}, nil
	case *FilesOfRequest:
		v, err := l.FilesOf(ctx, r.Owner)
		return &FilesOfReply{Files: v}, err
	case *WhiteListRequest:
		v, err := l.WhiteList(ctx, r.FileHash)
		if err != nil {
			return nil, err
		}
		return &WhiteListReply{WhiteList: *v}, nil
	case *ContractsRequest:
		v, err := l.Contracts(ctx, r.FileHash)
		return &ContractsReply{Contracts: v}, err
	case *ProofsRequest:
		v, err := l.Proofs(ctx, r.FileHash)
		return &ProofsReply{Proofs: v}, err
	case *ChallengeRequest:
		v, err := l.Challenge(ctx, r.FileHash, r.Node)
		if err != nil {
			return nil, err
		}
		return &ChallengeReply{Challenge: *v}, nil
	case *DutiesRequest:
		v, err := l.Duties(ctx, r.Node)
		return &DutiesReply{Duties: v}, err
	case *ChannelRequest:
		v, err := l.Channel(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		return &ChannelReply{Channel: *v}, nil
	case *ChannelsRequest:
		v, err := l.Channels(ctx, r.Address)
		return &ChannelsReply{Channels: v}, err
	case *HeaderRequest:
		v, err := l.Header(ctx, r.Name)
		if err != nil {
			return nil, err
		}
		return &HeaderReply{Header: *v}, nil
	case *ResolveRequest:
		v, err := l.Resolve(ctx, r.URL)
		if err != nil {
			return nil, err
		}
		return &ResolveReply{Record: *v}, nil
	case *StateRootRequest:
		v, err := l.StateRoot(ctx)
		return &StateRootReply{Root: v}, err
	case *SubmitRequest:
		tx, err := DecodeTx(r.Tx)
		if err != nil {
			return nil, err
		}
		v, err := l.Submit(ctx, tx)
		return &SubmitReply{Hash: v}, err
	case *WaitTxRequest:
		ms := r.TimeoutMs
		if ms == 0 || ms > maxWaitTxTimeoutMs {
			ms = maxWaitTxTimeoutMs
		}
		wctx, cancel := context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		defer cancel()
		v, err := l.WaitTx(wctx, r.Hash)
		if err != nil {
			return nil, err
		}
		return &WaitTxReply{Receipt: *v}, nil
	}
	return nil, status.Wrap(status.InvalidParams, ErrMalformed, "not a ledger request: %T", req)
}
