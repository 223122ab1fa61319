package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"dsp/keys"
	"dsp/status"
	"dsp/wire"
)

// RoundTripper sends one request payload under its opcode to a ledger node and returns the
// decoded reply payload (as wire.DecodePayload returns it: *SubmitReply, *ErrorReply, ...). The
// node implements it over its P2P host. It must be safe for concurrent use and honor ctx.
type RoundTripper interface {
	RoundTrip(ctx context.Context, op wire.Opcode, req any) (reply any, err error)
}

// Remote is a Ledger reached through a RoundTripper.
type Remote struct{ rt RoundTripper }

var _ Ledger = (*Remote)(nil)

// NewRemote returns a Ledger whose every call is one round trip through rt (WaitTx may take
// several, each waiting at most 30 s on the serving node). Errors carry the serving ledger's
// status code and sentinel.
func NewRemote(rt RoundTripper) Ledger { return &Remote{rt: rt} }

// call sends req and returns the reply as *T, or the remote error.
func call[T any](ctx context.Context, r *Remote, op wire.Opcode, req any) (*T, error) {
	reply, err := r.rt.RoundTrip(ctx, op, req)
	if err != nil {
		return nil, status.Wrap(status.ChainInternalError, err, "ledger request %d", op)
	}
	switch v := reply.(type) {
	case *T:
		return v, nil
	case *ErrorReply:
		return nil, v.err()
	}
	return nil, status.Wrap(status.ChainInternalError, ErrMalformed, "ledger request %d: unexpected reply %T", op, reply)
}

func (e *ErrorReply) err() error {
	var cause error
	if s, ok := sentinelNames[e.Sentinel]; ok {
		cause = s
	}
	return &status.Error{Code: e.Code, Name: e.Name, Msg: e.Msg, Err: cause}
}

// ChainInfo implements Ledger.
func (r *Remote) ChainInfo(ctx context.Context) (*ChainInfo, error) {
	v, err := call[ChainInfoReply](ctx, r, OpChainInfoRequest, &ChainInfoRequest{})
	if err != nil {
		return nil, err
	}
	return &v.Info, nil
}

// Height implements Ledger.
func (r *Remote) Height(ctx context.Context) (uint64, error) {
	v, err := call[HeightReply](ctx, r, OpHeightRequest, &HeightRequest{})
	if err != nil {
		return 0, err
	}
	return v.Height, nil
}

// BlockHash implements Ledger.
func (r *Remote) BlockHash(ctx context.Context, height uint64) (Hash, error) {
	v, err := call[BlockHashReply](ctx, r, OpBlockHashRequest, &BlockHashRequest{Height: height})
	if err != nil {
		return Hash{}, err
	}
	return v.Hash, nil
}

// Block implements Ledger.
func (r *Remote) Block(ctx context.Context, height uint64) (*Block, error) {
	v, err := call[BlockReply](ctx, r, OpBlockRequest, &BlockRequest{Height: height})
	if err != nil {
		return nil, err
	}
	return DecodeBlock(v.Block)
}

// Tx implements Ledger.
func (r *Remote) Tx(ctx context.Context, hash Hash) (*TxRecord, error) {
	v, err := call[TxReply](ctx, r, OpTxRequest, &TxRequest{Hash: hash})
	if err != nil {
		return nil, err
	}
	tx, err := DecodeTx(v.Tx)
	if err != nil {
		return nil, err
	}
	return &TxRecord{Tx: tx, Receipt: v.Receipt}, nil
}

// Account implements Ledger.
func (r *Remote) Account(ctx context.Context, addr keys.Address) (Account, error) {
	v, err := call[AccountReply](ctx, r, OpAccountRequest, &AccountRequest{Address: addr})
	if err != nil {
		return Account{}, err
	}
	return v.Account, nil
}

// NextNonce implements Ledger.
func (r *Remote) NextNonce(ctx context.Context, addr keys.Address) (uint64, error) {
	v, err := call[NextNonceReply](ctx, r, OpNextNonceRequest, &NextNonceRequest{Address: addr})
	if err != nil {
		return 0, err
	}
	return v.Nonce, nil
}

// Nodes implements Ledger.
func (r *Remote) Nodes(ctx context.Context, role Role) ([]NodeInfo, error) {
	v, err := call[NodesReply](ctx, r, OpNodesRequest, &NodesRequest{Role: role})
	if err != nil {
		return nil, err
	}
	return v.Nodes, nil
}

// Node implements Ledger.
func (r *Remote) Node(ctx context.Context, role Role, addr keys.Address) (*NodeInfo, error) {
	v, err := call[NodeReply](ctx, r, OpNodeRequest, &NodeRequest{Role: role, Address: addr})
	if err != nil {
		return nil, err
	}
	return &v.Node, nil
}

// FileInfo implements Ledger.
func (r *Remote) FileInfo(ctx context.Context, fileHash []byte) (*FileInfo, error) {
	v, err := call[FileInfoReply](ctx, r, OpFileInfoRequest, &FileInfoRequest{FileHash: fileHash})
	if err != nil {
		return nil, err
	}
	return &v.Info, nil
}

// FilesOf implements Ledger.
func (r *Remote) FilesOf(ctx context.Context, owner keys.Address) ([]FileInfo, error) {
	v, err := call[FilesOfReply](ctx, r, OpFilesOfRequest, &FilesOfRequest{Owner: owner})
	if err != nil {
		return nil, err
	}
	return v.Files, nil
}

// WhiteList implements Ledger.
func (r *Remote) WhiteList(ctx context.Context, fileHash []byte) (*WhiteList, error) {
	v, err := call[WhiteListReply](ctx, r, OpWhiteListRequest, &WhiteListRequest{FileHash: fileHash})
	if err != nil {
		return nil, err
	}
	return &v.WhiteList, nil
}

// Contracts implements Ledger.
func (r *Remote) Contracts(ctx context.Context, fileHash []byte) ([]Contract, error) {
	v, err := call[ContractsReply](ctx, r, OpContractsRequest, &ContractsRequest{FileHash: fileHash})
	if err != nil {
		return nil, err
	}
	return v.Contracts, nil
}

// Proofs implements Ledger.
func (r *Remote) Proofs(ctx context.Context, fileHash []byte) ([]ProofRecord, error) {
	v, err := call[ProofsReply](ctx, r, OpProofsRequest, &ProofsRequest{FileHash: fileHash})
	if err != nil {
		return nil, err
	}
	return v.Proofs, nil
}

// Challenge implements Ledger.
func (r *Remote) Challenge(ctx context.Context, fileHash []byte, node keys.Address) (*ProofChallenge, error) {
	v, err := call[ChallengeReply](ctx, r, OpChallengeRequest, &ChallengeRequest{FileHash: fileHash, Node: node})
	if err != nil {
		return nil, err
	}
	return &v.Challenge, nil
}

// Duties implements Ledger.
func (r *Remote) Duties(ctx context.Context, node keys.Address) ([]Duty, error) {
	v, err := call[DutiesReply](ctx, r, OpDutiesRequest, &DutiesRequest{Node: node})
	if err != nil {
		return nil, err
	}
	return v.Duties, nil
}

// Channel implements Ledger.
func (r *Remote) Channel(ctx context.Context, id Hash) (*Channel, error) {
	v, err := call[ChannelReply](ctx, r, OpChannelRequest, &ChannelRequest{ID: id})
	if err != nil {
		return nil, err
	}
	return &v.Channel, nil
}

// Channels implements Ledger.
func (r *Remote) Channels(ctx context.Context, addr keys.Address) ([]Channel, error) {
	v, err := call[ChannelsReply](ctx, r, OpChannelsRequest, &ChannelsRequest{Address: addr})
	if err != nil {
		return nil, err
	}
	return v.Channels, nil
}

// Header implements Ledger.
func (r *Remote) Header(ctx context.Context, name string) (*Header, error) {
	v, err := call[HeaderReply](ctx, r, OpHeaderRequest, &HeaderRequest{Name: name})
	if err != nil {
		return nil, err
	}
	return &v.Header, nil
}

// Resolve implements Ledger.
func (r *Remote) Resolve(ctx context.Context, url string) (*URLRecord, error) {
	v, err := call[ResolveReply](ctx, r, OpResolveRequest, &ResolveRequest{URL: url})
	if err != nil {
		return nil, err
	}
	return &v.Record, nil
}

// StateRoot implements Ledger.
func (r *Remote) StateRoot(ctx context.Context) (Hash, error) {
	v, err := call[StateRootReply](ctx, r, OpStateRootRequest, &StateRootRequest{})
	if err != nil {
		return Hash{}, err
	}
	return v.Root, nil
}

// Submit implements Ledger.
func (r *Remote) Submit(ctx context.Context, tx *Tx) (Hash, error) {
	if tx == nil {
		return Hash{}, status.New(status.InvalidParams, "nil transaction")
	}
	v, err := call[SubmitReply](ctx, r, OpSubmitRequest, &SubmitRequest{Tx: tx.Encode()})
	if err != nil {
		return Hash{}, err
	}
	return v.Hash, nil
}

// WaitTx implements Ledger: it asks the serving node to wait for up to 30 s at a time until ctx
// ends.
func (r *Remote) WaitTx(ctx context.Context, hash Hash) (*Receipt, error) {
	for {
		ms := uint64(maxWaitTxTimeoutMs)
		if d, ok := ctx.Deadline(); ok {
			left := time.Until(d).Milliseconds()
			if left <= 0 {
				return nil, status.Wrap(status.ChainWaitTxComfirmedTimeout, context.DeadlineExceeded, "wait for tx %s", hash)
			}
			ms = min(ms, uint64(left))
		}
		v, err := call[WaitTxReply](ctx, r, OpWaitTxRequest, &WaitTxRequest{Hash: hash, TimeoutMs: ms})
		if err == nil {
			return &v.Receipt, nil
		}
		if status.CodeOf(err, 0) != status.ChainWaitTxComfirmedTimeout.Num() {
			return nil, err
		}
		if ctx.Err() != nil || errors.Is(err, context.Canceled) {
			return nil, status.Wrap(status.ChainWaitTxComfirmedTimeout, fmt.Errorf("%w", ctx.Err()), "wait for tx %s", hash)
		}
	}
}
