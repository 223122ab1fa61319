package roles

import (
	"context"
	"encoding/hex"
	"path/filepath"
	"time"

	"dsp/channel"
	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/client"
	"dsp/status"
)

// ChannelsFile is the node's channel store in its data directory (docs/channels.md).
const ChannelsFile = "channels.db"

// channelWatchEvery is how often the node looks at its channels on the ledger: far below any
// challenge period (60 blocks by default).
const channelWatchEvery = 2 * time.Second

// openChannels opens DataDir/channels.db (none without a data directory: the node then serves
// for free and skips priced holders) and closes it with the node, and registers the channel
// component (cooperative closes; refused with NO_DSP without a store) with h.
func (n *Node) openChannels(nd *node.Node, h *node.Host) error {
	if err := h.Register(newChannelComponent(n), channelRange); err != nil {
		return err
	}
	if n.cfg.DataDir == "" {
		return nil
	}
	cs, err := channel.Open(filepath.Join(n.cfg.DataDir, ChannelsFile))
	if err != nil {
		return err
	}
	nd.AddCloser("channels", cs.Close)
	n.chans = cs
	return nil
}

// Channels is the node's channel store (nil without a data directory).
func (n *Node) Channels() *channel.Store { return n.chans }

// watchChannels answers a partner's unilateral close with the newest proof this node received
// (UpdateChannel) while the challenge period runs, and settles closing channels once it is over.
// It runs until ctx ends.
func (n *Node) watchChannels(ctx context.Context) {
	if n.chans == nil {
		return
	}
	t := time.NewTicker(channelWatchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := n.checkChannels(ctx); err != nil && ctx.Err() == nil {
			n.log.Info("channel watch", "err", err)
		}
	}
}

// checkChannels is one round of watchChannels.
func (n *Node) checkChannels(ctx context.Context) error {
	me := n.Key().Address()
	chs, err := n.led.Channels(ctx, me)
	if err != nil {
		return err
	}
	var height uint64
	for i := range chs {
		ch := &chs[i]
		if ch.State != ledger.ChannelClosing {
			continue
		}
		if height == 0 {
			if height, err = n.led.Height(ctx); err != nil {
				return err
			}
		}
		if height >= ch.SettleHeight {
			if _, err := n.svc.send(ctx, &ledger.SettleChannel{ChannelID: ch.ID}); err != nil {
				n.log.Info("settle channel", "channel", ch.ID, "err", err)
			}
			continue
		}
		held, ok, err := n.chans.Received(ch.ID)
		if err != nil || !ok {
			continue
		}
		recorded := ch.NonceA
		if ch.Peer(me) == ch.B {
			recorded = ch.NonceB
		}
		if held.Nonce <= recorded {
			continue
		}
		if _, err := n.svc.send(ctx, &ledger.UpdateChannel{ChannelID: ch.ID, Proofs: []ledger.BalanceProof{held}}); err != nil {
			n.log.Info("answer channel close", "channel", ch.ID, "err", err)
		} else {
			n.log.Info("answered channel close with a newer proof", "channel", ch.ID, "nonce", held.Nonce, "amount", held.Transferred)
		}
	}
	return nil
}

func (s *services) chans() (*channel.Store, error) {
	if s.n.chans == nil {
		return nil, status.New(status.NoDsp, "payment channels need a data directory")
	}
	return s.n.chans, nil
}

// channelView is ch as the client API shows it to me.
func channelView(cs *channel.Store, ch *ledger.Channel, me keys.Address) client.Channel {
	v := client.Channel{ID: ch.ID.String(), Partner: ch.Peer(me), Opener: ch.A == me, State: ledger.ChannelStateName(ch.State),
		Deposit: ch.Deposit(me), PartnerDeposit: ch.Deposit(ch.Peer(me)), OpenHeight: ch.OpenHeight}
	if p, ok, _ := cs.Sent(ch.ID); ok {
		v.Sent, v.SentNonce = p.Transferred, p.Nonce
	}
	if p, ok, _ := cs.Received(ch.ID); ok {
		v.Received, v.ReceivedNonce = p.Transferred, p.Nonce
	}
	v.Available = v.Deposit - min(v.Deposit, v.Sent)
	switch ch.State {
	case ledger.ChannelClosing:
		v.SettleHeight = ch.SettleHeight
	case ledger.ChannelSettled:
		v.PaidOut = ch.PaidA
		if ch.B == me {
			v.PaidOut = ch.PaidB
		}
	}
	return v
}

// Channels implements client.ChannelAPI.
func (s *services) Channels(ctx context.Context) (*client.ChannelList, error) {
	cs, err := s.chans()
	if err != nil {
		return nil, err
	}
	me := s.n.Key().Address()
	chs, err := s.n.led.Channels(ctx, me)
	if err != nil {
		return nil, err
	}
	out := &client.ChannelList{Address: me, Key: hex.EncodeToString(s.n.Key().Public().Bytes()), Price: s.n.cfg.Price,
		Channels: []client.Channel{}}
	for i := range chs {
		out.Channels = append(out.Channels, channelView(cs, &chs[i], me))
	}
	return out, nil
}

func parseChannelID(id string) (ledger.Hash, error) {
	h, err := ledger.ParseHash(id)
	if err != nil {
		return h, status.Wrap(status.InvalidParams, err, "channel id")
	}
	return h, nil
}

// OpenChannel implements client.ChannelAPI.
func (s *services) OpenChannel(ctx context.Context, req client.OpenChannelRequest) (*client.Channel, error) {
	cs, err := s.chans()
	if err != nil {
		return nil, err
	}
	kb, err := hex.DecodeString(req.PartnerKey)
	if err != nil {
		return nil, status.Wrap(status.InvalidWalletAddress, err, "partner key")
	}
	if _, err := keys.ParsePublicKey(kb); err != nil {
		return nil, status.Wrap(status.InvalidWalletAddress, err, "partner key")
	}
	if req.Deposit == 0 {
		return nil, status.New(status.InvalidParams, "a channel needs a deposit above 0")
	}
	r, err := s.send(ctx, &ledger.OpenChannel{PartnerKey: kb, Deposit: req.Deposit})
	if err != nil {
		return nil, err
	}
	id, err := ledger.ParseHash(r.Result)
	if err != nil {
		return nil, status.Wrap(status.TaskPrepareChannelError, err, "channel id of %s", r.TxHash)
	}
	ch, err := s.n.led.Channel(ctx, id)
	if err != nil {
		return nil, err
	}
	v := channelView(cs, ch, s.n.Key().Address())
	return &v, nil
}

// DepositChannel implements client.ChannelAPI.
func (s *services) DepositChannel(ctx context.Context, id string, amount uint64) (*client.TxResult, error) {
	h, err := parseChannelID(id)
	if err != nil {
		return nil, err
	}
	if amount == 0 {
		return nil, status.New(status.InvalidParams, "deposit amount must be above 0")
	}
	res, err := s.sendResult(ctx, &ledger.DepositChannel{ChannelID: h, Amount: amount})
	if err != nil {
		return nil, err
	}
	// A payer of the channel learns of its larger deposit.
	if cs := s.n.chans; cs != nil {
		if ch, err := s.n.led.Channel(ctx, h); err == nil {
			if p, err := cs.Payer(s.chainID(ctx), ch, s.n.Key()); err == nil {
				_ = p.Update(ch)
			}
		}
	}
	return res, nil
}

func (s *services) chainID(ctx context.Context) string {
	ci, err := s.n.led.ChainInfo(ctx)
	if err != nil {
		return ""
	}
	return ci.ChainID
}

// CloseChannel implements client.ChannelAPI.
func (s *services) CloseChannel(ctx context.Context, id string) (*client.TxResult, error) {
	cs, err := s.chans()
	if err != nil {
		return nil, err
	}
	h, err := parseChannelID(id)
	if err != nil {
		return nil, err
	}
	var proofs []ledger.BalanceProof
	if p, ok, err := cs.Received(h); err != nil {
		return nil, err
	} else if ok {
		proofs = append(proofs, p)
	}
	return s.sendResult(ctx, &ledger.CloseChannel{ChannelID: h, Proofs: proofs})
}

// SettleChannel implements client.ChannelAPI.
func (s *services) SettleChannel(ctx context.Context, id string) (*client.TxResult, error) {
	h, err := parseChannelID(id)
	if err != nil {
		return nil, err
	}
	return s.sendResult(ctx, &ledger.SettleChannel{ChannelID: h})
}

// Earnings implements client.ChannelAPI.
func (s *services) Earnings(context.Context) (*client.Earnings, error) {
	cs, err := s.chans()
	if err != nil {
		return nil, err
	}
	es, err := cs.Earnings()
	if err != nil {
		return nil, err
	}
	out := &client.Earnings{Peers: []client.PeerEarning{}, Files: []client.FileEarning{}}
	for _, e := range es {
		out.Total += e.Amount
		out.Files = append(out.Files, client.FileEarning{Peer: e.Peer, FileHash: hex.EncodeToString(e.FileHash), Amount: e.Amount})
	}
	for _, e := range channel.PeerTotals(es) {
		out.Peers = append(out.Peers, client.PeerEarning{Peer: e.Peer, Amount: e.Amount})
	}
	return out, nil
}
