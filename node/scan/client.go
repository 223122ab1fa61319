package scan

import (
	"context"
	"fmt"
	"time"

	"dsp/keys"
	"dsp/node"
	"dsp/status"
	"dsp/wire"
)

// RoundTripper sends one request payload under its opcode to a SCAN node and returns the decoded
// reply payload (as wire.DecodePayload returns it: *PeersReply, *ErrorReply, ...). It must be safe
// for concurrent use and honor ctx. The SCAN node learns the sender's account from the
// connection, so a RoundTripper speaks for exactly one account.
type RoundTripper interface {
	RoundTrip(ctx context.Context, op wire.Opcode, req any) (reply any, err error)
}

// HostRoundTripper returns a RoundTripper sending requests from h to the connected peer with
// account peer (Host.Request). Errors of the transport wrap node's errors (ErrNotConnected,
// ErrPeerClosed); a request the peer's host refused comes back as a *status.Error.
func HostRoundTripper(h *node.Host, peer keys.Address) RoundTripper {
	return node.PeerRoundTripper{Host: h, Peer: peer}
}

// Client asks a SCAN node. Its methods are safe for concurrent use. Every error carries a spec
// status code: the SCAN node's, or INTERNAL_ERROR 40001 for a failed round trip.
type Client struct{ rt RoundTripper }

// NewClient returns a Client whose every call is one round trip through rt (Pull makes several).
func NewClient(rt RoundTripper) *Client { return &Client{rt: rt} }

func call[T any](ctx context.Context, c *Client, op wire.Opcode, req any) (*T, error) {
	reply, err := c.rt.RoundTrip(ctx, op, req)
	if err != nil {
		if status.CodeOf(err, 0) != 0 {
			return nil, err
		}
		return nil, status.Wrap(status.InternalError, err, "scan request %s", op)
	}
	switch v := reply.(type) {
	case *T:
		return v, nil
	case *ErrorReply:
		return nil, &status.Error{Code: v.Code, Name: v.Name, Msg: v.Msg}
	}
	return nil, status.Wrap(status.InternalError, ErrUnexpectedReply, "scan request %s: reply %T", op, reply)
}

// Announce sends t (see NewTorrent) and returns when the entry expires unless announced again.
func (c *Client) Announce(ctx context.Context, t *Torrent) (time.Time, error) {
	v, err := call[AnnounceReply](ctx, c, OpTorrent, t)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, v.Expires), nil
}

// RegisterEndpoint registers hostPort as an address of account, which must be the account the
// round tripper speaks for, and returns when the registration expires.
func (c *Client) RegisterEndpoint(ctx context.Context, account keys.Address, hostPort string, typ EndpointType) (time.Time, error) {
	v, err := call[EndpointReply](ctx, c, OpEndpoint, &Endpoint{WalletAddr: account.String(), HostPort: hostPort, Type: int32(typ)})
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, v.Expires), nil
}

// Peers returns the live holders of fileHash the node knows, at most max (0 = the node's
// default), the most complete first. An unknown file is an empty list.
func (c *Client) Peers(ctx context.Context, fileHash []byte, max int) ([]Holder, error) {
	v, err := call[PeersReply](ctx, c, OpPeersRequest, &PeersRequest{InfoHash: fileHash, Max: uint32(max)})
	if err != nil {
		return nil, err
	}
	return v.Holders, nil
}

// Endpoints returns the live addresses account registered, newest first.
func (c *Client) Endpoints(ctx context.Context, account keys.Address) ([]EndpointRecord, error) {
	v, err := call[EndpointsReply](ctx, c, OpEndpointQuery, &EndpointQuery{WalletAddr: account.String()})
	if err != nil {
		return nil, err
	}
	return v.Endpoints, nil
}

// Changes returns one page of the node's changes after since (see Tracker.Changes).
func (c *Client) Changes(ctx context.Context, since uint64, limit int) (*SyncReply, error) {
	return call[SyncReply](ctx, c, OpSyncRequest, &SyncRequest{Since: since, Limit: uint32(max(limit, 0))})
}

// Pull copies the remote node's changes into t: from t's cursor for source (the remote node's
// account) page by page until the last, merging each (Tracker.Merge) and saving the cursor after
// each, so an interrupted pull resumes. A remote table of another epoch than the cursor's (it was
// created anew) is pulled from the start. It returns how many records it applied.
func (c *Client) Pull(ctx context.Context, t *Tracker, source keys.Address) (int, error) {
	epoch, cur, err := t.Cursor(source)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		page, err := c.Changes(ctx, cur, MaxSyncPage)
		if err != nil {
			return total, fmt.Errorf("pull from %s at %d: %w", source, cur, err)
		}
		if page.Epoch != epoch && cur != 0 {
			epoch, cur = page.Epoch, 0 // the remote table is new: start over
			continue
		}
		epoch = page.Epoch
		n, err := t.Merge(page)
		if err != nil {
			return total, err
		}
		total += n
		if page.Next < cur || page.More && page.Next == cur {
			return total, status.Wrap(status.InternalError, ErrUnexpectedReply, "pull from %s: cursor %d after %d", source, page.Next, cur)
		}
		cur = page.Next
		if err := t.SetCursor(source, epoch, cur); err != nil {
			return total, err
		}
		if !page.More {
			return total, nil
		}
	}
}
