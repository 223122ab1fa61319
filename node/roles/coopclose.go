package roles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"dsp/channel"
	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/client"
	"dsp/status"
	"dsp/wire"
)

// Cooperative close over the network (docs/channels.md, "Cooperative close"; docs/protocol.md,
// "Channel messages"): the node that wants to close a channel computes the final balances from
// its proofs (channel.Store.CloseTerms), signs them and sends a CoopClose request to the
// partner's node; the partner checks them against its own proofs (it never signs a balance lower
// than it holds as payee nor more than it owes as payer), signs and answers with CoopCloseReply;
// the requester submits CoopCloseChannel.

// Channel opcodes (channel range, 1600-1699).
const (
	// OpCoopClose is CoopClose: a request to sign the final balances of a channel.
	OpCoopClose wire.Opcode = wire.OpChannelStart
	// OpCoopCloseReply is CoopCloseReply: the partner's signature over the same balances.
	OpCoopCloseReply wire.Opcode = wire.OpChannelStart + 1
)

// channelRange is the opcode range the channel component answers.
var channelRange = wire.OpRange{Name: "channel", First: wire.OpChannelStart, Last: wire.OpChannelStart + 99}

// CoopClose asks the partner to sign the close of channel ChannelID at BalanceA and BalanceB
// (what the ledger pays A, the opener, and B); Sig is the requester's signature over
// ledger.CoopCloseMessage of those balances.
type CoopClose struct {
	ChannelID []byte `msgpack:"channel_id"`
	BalanceA  uint64 `msgpack:"balance_a"`
	BalanceB  uint64 `msgpack:"balance_b"`
	Sig       []byte `msgpack:"sig"`
}

// CoopCloseReply is the partner's answer: the same channel and balances and its own signature.
type CoopCloseReply struct {
	ChannelID []byte `msgpack:"channel_id"`
	BalanceA  uint64 `msgpack:"balance_a"`
	BalanceB  uint64 `msgpack:"balance_b"`
	Sig       []byte `msgpack:"sig"`
}

func init() {
	wire.Register(OpCoopClose, "ChannelCoopClose", func() any { return new(CoopClose) })
	wire.Register(OpCoopCloseReply, "ChannelCoopCloseReply", func() any { return new(CoopCloseReply) })
}

// coopDialTimeout bounds reaching the partner's node at one address.
const coopDialTimeout = 10 * time.Second

// channelComponent answers the channel range: CoopClose requests. Answering looks the channel up
// on the ledger, which a node may reach through the very peer that asks, so it runs in a goroutine
// of the component's (never on the peer's dispatch loop); Cleanup stops and waits for them.
type channelComponent struct {
	node.BaseComponent
	n    *Node
	ctx  context.Context
	stop context.CancelFunc
	wg   *sync.WaitGroup
}

func newChannelComponent(n *Node) channelComponent {
	ctx, stop := context.WithCancel(context.Background())
	return channelComponent{n: n, ctx: ctx, stop: stop, wg: new(sync.WaitGroup)}
}

// Receive implements node.Component.
func (c channelComponent) Receive(in *node.Incoming) error {
	if !in.IsRequest() {
		return nil
	}
	req, ok := in.Payload.(*CoopClose)
	if !ok {
		return status.New(status.InvalidParams, "channel: %s is not a request", in.Msg.Opcode)
	}
	if c.ctx.Err() != nil {
		return status.New(status.NetReconnectPeerFailed, "channel: node closing")
	}
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(c.ctx, requestTimeout)
		defer cancel()
		reply, err := c.n.answerCoopClose(ctx, in.Peer.Account(), req)
		if err != nil {
			c.n.log.Info("refused a cooperative close", "peer", in.Peer.Account(), "err", err)
			_ = in.ReplyError(ctx, err)
			return
		}
		_ = in.Reply(ctx, OpCoopCloseReply, reply)
	})
	return nil
}

// Cleanup implements node.Component: it stops the answers still running and waits for them.
func (c channelComponent) Cleanup(*node.Host) {
	c.stop()
	c.wg.Wait()
}

// answerCoopClose checks and signs peer's request to close a channel between it and this node.
func (n *Node) answerCoopClose(ctx context.Context, peer keys.Address, req *CoopClose) (*CoopCloseReply, error) {
	cs, err := n.svc.chans()
	if err != nil {
		return nil, err
	}
	if len(req.ChannelID) != len(ledger.Hash{}) {
		return nil, status.New(status.InvalidParams, "channel id of %d bytes", len(req.ChannelID))
	}
	ch, err := n.led.Channel(ctx, ledger.Hash(req.ChannelID))
	if err != nil {
		return nil, err
	}
	me := n.Key().Address()
	if ch.Side(me) == 0 || ch.Peer(me) != peer {
		return nil, status.New(status.TaskPrepareChannelError, "channel %s does not join %s and %s", ch.ID, peer, me)
	}
	ci, err := n.led.ChainInfo(ctx)
	if err != nil {
		return nil, status.Wrap(status.TaskChainError, err, "chain info")
	}
	offer := channel.CoopClose{ChainID: ci.ChainID, ChannelID: ch.ID, BalanceA: req.BalanceA, BalanceB: req.BalanceB}
	if ch.Side(peer) == 'A' {
		offer.SigA = req.Sig
	} else {
		offer.SigB = req.Sig
	}
	done, err := cs.AcceptClose(ci.ChainID, ch, n.Key(), offer)
	if err != nil {
		return nil, err
	}
	n.log.Info("signed a cooperative close", "channel", ch.ID, "peer", peer, "balanceA", done.BalanceA, "balanceB", done.BalanceB)
	sig := done.SigA
	if ch.Side(me) == 'B' {
		sig = done.SigB
	}
	return &CoopCloseReply{ChannelID: ch.ID[:], BalanceA: done.BalanceA, BalanceB: done.BalanceB, Sig: sig}, nil
}

// CoopCloseChannel implements client.ChannelAPI.
func (s *services) CoopCloseChannel(ctx context.Context, id string, req client.CoopCloseRequest) (*client.CoopCloseResult, error) {
	cs, err := s.chans()
	if err != nil {
		return nil, err
	}
	h, err := parseChannelID(id)
	if err != nil {
		return nil, err
	}
	n := s.n
	me := n.Key().Address()
	ch, err := n.led.Channel(ctx, h)
	if err != nil {
		return nil, err
	}
	switch {
	case ch.Side(me) == 0:
		return nil, status.Wrap(status.TaskPrepareChannelError, ledger.ErrNotOwner, "%s is not a side of channel %s", me, ch.ID)
	case ch.State == ledger.ChannelSettled:
		return nil, status.Wrap(status.TaskPrepareChannelError, ledger.ErrChannelState, "channel %s is settled", ch.ID)
	}
	ci, err := n.led.ChainInfo(ctx)
	if err != nil {
		return nil, status.Wrap(status.TaskChainError, err, "chain info")
	}
	done, err := s.agreeClose(ctx, cs, ci.ChainID, ch, req.Peer)
	if err != nil {
		return nil, err
	}
	res, err := s.sendResult(ctx, done.Tx())
	if err != nil {
		return nil, err
	}
	return &client.CoopCloseResult{TxResult: *res, Paid: done.Balance(ch, me), PartnerPaid: done.Balance(ch, ch.Peer(me))}, nil
}

// agreeClose returns the close of ch both sides signed: the one this node holds already (a
// retry after the submission failed), or a new one the partner's node signs.
func (s *services) agreeClose(ctx context.Context, cs *channel.Store, chainID string, ch *ledger.Channel, peerURL string) (channel.CoopClose, error) {
	n := s.n
	me := n.Key().Address()
	held, ok, err := cs.Offer(ch.ID)
	if err != nil {
		return channel.CoopClose{}, err
	}
	if ok && held.Complete() && held.ChainID == chainID && held.BalanceA+held.BalanceB == ch.DepositA+ch.DepositB {
		return held, nil
	}
	partner := ch.Peer(me)
	p, err := s.partnerPeer(ctx, partner, peerURL)
	if status.CodeOf(err, 0) == status.InvalidParams.Num() {
		return channel.CoopClose{}, err
	}
	if err != nil {
		return channel.CoopClose{}, status.Wrap(status.NetReconnectPeerFailed, err,
			"cooperative close of channel %s: the partner's node is not reachable; close it unilaterally instead (dsp channel close %s)", ch.ID, ch.ID)
	}
	// From here on this node's signature may be out: the offer freezes the channel first.
	offer, err := cs.OfferClose(chainID, ch, n.Key())
	if err != nil {
		return channel.CoopClose{}, err
	}
	if offer.Complete() {
		return offer, nil
	}
	sig := offer.SigA
	if ch.Side(me) == 'B' {
		sig = offer.SigB
	}
	in, err := p.Request(ctx, OpCoopClose, &CoopClose{ChannelID: ch.ID[:], BalanceA: offer.BalanceA, BalanceB: offer.BalanceB, Sig: sig})
	var se *status.Error
	if errors.As(err, &se) {
		return channel.CoopClose{}, fmt.Errorf("cooperative close of channel %s refused by %s (no more payments on it; close it unilaterally with dsp channel close %s): %w", ch.ID, partner, ch.ID, err)
	}
	if err != nil {
		return channel.CoopClose{}, status.Wrap(status.NetReconnectPeerFailed, err,
			"cooperative close of channel %s: no answer from %s (no more payments on it; ask again, or close it unilaterally with dsp channel close %s)", ch.ID, partner, ch.ID)
	}
	r, ok := in.Payload.(*CoopCloseReply)
	if !ok || r.BalanceA != offer.BalanceA || r.BalanceB != offer.BalanceB || string(r.ChannelID) != string(ch.ID[:]) {
		return channel.CoopClose{}, status.New(status.TaskPayUnpaidBlockFailed, "%s answered the close of channel %s with %T %+v", partner, ch.ID, in.Payload, in.Payload)
	}
	return cs.Countersigned(ch, me, r.Sig)
}

// partnerPeer returns a connection to partner's node: at url when given (its account must be
// partner's), else an existing connection, else the host address of any role partner registered
// on the ledger.
func (s *services) partnerPeer(ctx context.Context, partner keys.Address, url string) (*node.Peer, error) {
	h := s.n.Host()
	if url != "" {
		pin, _, err := node.ParsePeerURL(url)
		if err != nil {
			return nil, status.Wrap(status.InvalidParams, err, "partner URL")
		}
		if pin.IsZero() {
			url = partner.String() + "@" + url
		} else if pin != partner {
			return nil, status.New(status.InvalidParams, "partner URL names %s; the channel's partner is %s", pin, partner)
		}
		return dialPartner(ctx, h, url)
	}
	if p, ok := h.Peer(partner); ok {
		return p, nil
	}
	var tried []string
	for _, r := range registrable {
		ni, err := s.n.led.Node(ctx, r.role, partner)
		if err != nil || ni.HostAddr == "" {
			continue
		}
		p, err := dialPartner(ctx, h, partner.String()+"@"+ni.HostAddr)
		if err == nil {
			return p, nil
		}
		tried = append(tried, err.Error())
	}
	if len(tried) == 0 {
		return nil, fmt.Errorf("%s is not connected and registers no address on the ledger (give its node's URL)", partner)
	}
	return nil, errors.New(strings.Join(tried, "; "))
}

func dialPartner(ctx context.Context, h *node.Host, url string) (*node.Peer, error) {
	ctx, cancel := context.WithTimeout(ctx, coopDialTimeout)
	defer cancel()
	return h.Connect(ctx, url)
}
