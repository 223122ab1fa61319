package client

import (
	"context"
	"net/url"

	"dsp/keys"
)

// ChannelAPI covers the node's payment channels (docs/channels.md): what it pays holders for
// downloads and what it earns serving blocks. Amounts are in the ledger's smallest unit.
type ChannelAPI interface {
	// Channels lists the channels the node's account is a side of (any state), with the newest
	// proofs the node holds in each direction, its own public key (the partner key others open
	// channels to it with) and its price per served byte.
	Channels(ctx context.Context) (*ChannelList, error)
	// OpenChannel opens a channel to the account of req.PartnerKey with req.Deposit locked from the
	// node's balance, and returns it once in a block.
	OpenChannel(ctx context.Context, req OpenChannelRequest) (*Channel, error)
	// DepositChannel adds amount to the node's deposit in the open channel id (hex).
	DepositChannel(ctx context.Context, id string, amount uint64) (*TxResult, error)
	// CloseChannel closes the open channel id unilaterally with the newest proof the node received
	// on it; the challenge period starts (the partner may answer with newer proofs), then
	// SettleChannel pays out.
	CloseChannel(ctx context.Context, id string) (*TxResult, error)
	// CoopCloseChannel closes channel id (open or closing) at once, with final balances both
	// sides sign: the node computes them from its proofs, asks the partner's node to sign them
	// over the network (at req.Peer, else a connected node of the partner's account, else an
	// address the partner registered on the ledger) and submits the close once both signed. The
	// partner refuses balances that pay it less than its own proofs. Once the request is sent the
	// node makes and accepts no more payments on the channel. An unreachable partner is
	// NET_RECONNECT_PEER_FAILED: close unilaterally instead (CloseChannel).
	CoopCloseChannel(ctx context.Context, id string, req CoopCloseRequest) (*CoopCloseResult, error)
	// SettleChannel pays out a closing channel whose challenge period is over.
	SettleChannel(ctx context.Context, id string) (*TxResult, error)
	// Earnings returns what peers paid this node for the blocks it served, per peer and per file.
	Earnings(ctx context.Context) (*Earnings, error)
}

// ChannelList is the answer of Channels.
type ChannelList struct {
	Address  keys.Address `json:"address"`
	Key      string       `json:"key"`   // hex keys.PublicKey.Bytes of the node's account
	Price    uint64       `json:"price"` // per byte of data block served (0: free)
	Channels []Channel    `json:"channels"`
}

// Channel is one payment channel as the node sees it.
type Channel struct {
	ID             string       `json:"id"`
	Partner        keys.Address `json:"partner"`
	Opener         bool         `json:"opener"` // this node opened it (side A)
	State          string       `json:"state"`  // open, closing, settled
	Deposit        uint64       `json:"deposit"`
	PartnerDeposit uint64       `json:"partnerDeposit"`
	// Sent is what this node has transferred to the partner by its newest proof (SentNonce);
	// Received what the partner has by the newest proof this node accepted.
	Sent          uint64 `json:"sent"`
	SentNonce     uint64 `json:"sentNonce"`
	Received      uint64 `json:"received"`
	ReceivedNonce uint64 `json:"receivedNonce"`
	// Available is what this node may still pay on the channel.
	Available    uint64 `json:"available"`
	OpenHeight   uint64 `json:"openHeight"`
	SettleHeight uint64 `json:"settleHeight,omitempty"` // closing: the first height settle is accepted
	PaidOut      uint64 `json:"paidOut,omitempty"`      // settled: what this node was paid
}

// OpenChannelRequest opens a channel.
type OpenChannelRequest struct {
	PartnerKey string `json:"partnerKey"` // hex keys.PublicKey.Bytes of the partner (ChannelList.Key)
	Deposit    uint64 `json:"deposit"`
}

// CoopCloseRequest closes a channel cooperatively.
type CoopCloseRequest struct {
	// Peer is the partner node's URL ("ACCOUNT@kcp://host:port" or "kcp://host:port"); empty:
	// a connected node of the partner's account or an address it registered on the ledger.
	Peer string `json:"peer,omitempty"`
}

// CoopCloseResult is the answer of CoopCloseChannel: the close's transaction and what it paid
// each side.
type CoopCloseResult struct {
	TxResult
	Paid        uint64 `json:"paid"`        // to this node
	PartnerPaid uint64 `json:"partnerPaid"` // to the partner
}

// Earnings is what the node earned serving blocks.
type Earnings struct {
	Total uint64        `json:"total"`
	Peers []PeerEarning `json:"peers"` // per paying peer, by address
	Files []FileEarning `json:"files"` // per peer and file
}

// PeerEarning is what one peer paid in total.
type PeerEarning struct {
	Peer   keys.Address `json:"peer"`
	Amount uint64       `json:"amount"`
}

// FileEarning is what one peer paid for one file.
type FileEarning struct {
	Peer     keys.Address `json:"peer"`
	FileHash string       `json:"fileHash"`
	Amount   uint64       `json:"amount"`
}

// Channels implements ChannelAPI over HTTP.
func (c *HTTP) Channels(ctx context.Context) (*ChannelList, error) {
	return get[ChannelList](c, ctx, "/channels")
}

// OpenChannel implements ChannelAPI over HTTP.
func (c *HTTP) OpenChannel(ctx context.Context, req OpenChannelRequest) (*Channel, error) {
	return send[Channel](c, ctx, "POST", "/channels", req)
}

// DepositChannel implements ChannelAPI over HTTP.
func (c *HTTP) DepositChannel(ctx context.Context, id string, amount uint64) (*TxResult, error) {
	return send[TxResult](c, ctx, "POST", "/channels/"+url.PathEscape(id)+"/deposit", AmountRequest{Amount: amount})
}

// CloseChannel implements ChannelAPI over HTTP.
func (c *HTTP) CloseChannel(ctx context.Context, id string) (*TxResult, error) {
	return send[TxResult](c, ctx, "POST", "/channels/"+url.PathEscape(id)+"/close", nil)
}

// CoopCloseChannel implements ChannelAPI over HTTP.
func (c *HTTP) CoopCloseChannel(ctx context.Context, id string, req CoopCloseRequest) (*CoopCloseResult, error) {
	return send[CoopCloseResult](c, ctx, "POST", "/channels/"+url.PathEscape(id)+"/coop-close", req)
}

// SettleChannel implements ChannelAPI over HTTP.
func (c *HTTP) SettleChannel(ctx context.Context, id string) (*TxResult, error) {
	return send[TxResult](c, ctx, "POST", "/channels/"+url.PathEscape(id)+"/settle", nil)
}

// Earnings implements ChannelAPI over HTTP.
func (c *HTTP) Earnings(ctx context.Context) (*Earnings, error) {
	return get[Earnings](c, ctx, "/earnings")
}
