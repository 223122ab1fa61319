package faketest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// The fake's payment channels keep real state, as the active account sees them: OpenChannel
// locks the deposit from the active account's balance and adds an open channel, DepositChannel
// raises it, CloseChannel starts the challenge period (ChallengeBlocks), SettleChannel pays the
// account out once the ledger height reaches the settle height. Downloads pay their holders over
// an open channel as they progress (at the holder's price; the fake opens no channel for a
// download), and each task reports what it paid each holder and in all, as a node's does.
// Refusals carry the codes a node answers with (docs/channels.md).

// ChallengeBlocks is the fake's challenge period: a channel closed at height h settles from
// h+ChallengeBlocks on (the devnet's default).
const ChallengeBlocks = 60

// peerKeys is the hex public key of the fake's peers 0..63: PeerKey.
var peerKeys = sync.OnceValue(func() []string {
	out := make([]string, 64)
	for i := range out {
		seed := sha256.Sum256([]byte(fmt.Sprint("faketest peer ", i)))
		k, err := keys.FromPrivateBytes(keys.SHA512withEdDSA, seed[:])
		if err != nil {
			panic(err)
		}
		out[i] = hex.EncodeToString(k.Public().Bytes())
	}
	return out
})

// accountKey is the public key of the fake's seeded wallet account i under scheme, as
// client.Account.PublicKey has it: hex of the key without its scheme byte.
func accountKey(i int, scheme keys.Scheme) string {
	seed := sha256.Sum256([]byte(fmt.Sprint("faketest account ", i)))
	k, err := keys.FromPrivateBytes(scheme, seed[:])
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(k.Public().Key)
}

// partnerKeyOf is a wallet account's key as partners open channels to it (ChannelList.Key): hex
// keys.PublicKey.Bytes, the scheme byte first; "" when the account's key does not parse.
func partnerKeyOf(a *client.Account) string {
	scheme, err := keys.ParseScheme(a.Scheme)
	if err != nil {
		return ""
	}
	raw, err := hex.DecodeString(a.PublicKey)
	if err != nil {
		return ""
	}
	return hex.EncodeToString(keys.PublicKey{Scheme: scheme, Key: raw}.Bytes())
}

// PeerKey returns the public key (hex keys.PublicKey.Bytes, what a node's Channels shows as Key)
// of the fake's account i, 0 <= i < 64. The fake's addresses are not derived from keys: a channel
// opened to PeerKey(i) is a channel to Addr(i). Any other valid key opens a channel to the
// address the key derives.
func PeerKey(i int) string { return peerKeys()[i] }

// partnerOf is the account a channel to the public key kb goes to.
func partnerOf(kb []byte, pk keys.PublicKey) keys.Address {
	h := hex.EncodeToString(kb)
	if i := slices.Index(peerKeys(), h); i >= 0 {
		return Addr(i)
	}
	return pk.Address()
}

// walletPartner is the wallet account whose key is kb, if any: the fake's account addresses are
// not derived from their keys either. Callers hold mu.
func (c *Client) walletPartner(kb []byte) (keys.Address, bool) {
	h := hex.EncodeToString(kb)
	for i := range c.accounts {
		if partnerKeyOf(&c.accounts[i]) == h {
			return c.accounts[i].Address, true
		}
	}
	return keys.Address{}, false
}

// channelID is a deterministic 32-byte hex id.
func channelID(parts ...any) string {
	sum := sha256.Sum256([]byte(fmt.Sprint(parts...)))
	return hex.EncodeToString(sum[:])
}

// seedChannels gives New's fake a price, four channels (open both ways, closing, settled) and
// earnings from two peers.
func (c *Client) seedChannels() {
	c.price = 2
	c.holderPrice = map[keys.Address]uint64{Addr(11): 1, Addr(12): 2}
	c.channels = []client.Channel{
		{ID: channelID("seed", 1), Partner: Addr(11), Opener: true, State: "open", Deposit: 200_000,
			Sent: 16_400, SentNonce: 3, Available: 183_600, OpenHeight: 1100},
		{ID: channelID("seed", 2), Partner: Addr(12), State: "open", PartnerDeposit: 20_000,
			Received: 4_096, ReceivedNonce: 2, OpenHeight: 1150},
		{ID: channelID("seed", 3), Partner: Addr(13), Opener: true, State: "closing", Deposit: 10_000,
			Sent: 2_500, SentNonce: 1, Received: 1_200, ReceivedNonce: 1, Available: 7_500, OpenHeight: 900, SettleHeight: 1230},
		{ID: channelID("seed", 4), Partner: Addr(14), Opener: true, State: "settled", Deposit: 5_000,
			Sent: 1_000, SentNonce: 4, Available: 4_000, OpenHeight: 700, PaidOut: 4_000},
	}
	hash := func(name string) string {
		return c.files[slices.IndexFunc(c.files, func(f client.File) bool { return f.Name == name })].Hash
	}
	c.earnings = []client.FileEarning{
		{Peer: Addr(12), FileHash: hash("holiday.jpg"), Amount: 3_000},
		{Peer: Addr(12), FileHash: hash("report.pdf"), Amount: 1_096},
		{Peer: Addr(13), FileHash: hash("holiday.jpg"), Amount: 1_200},
	}
}

// SetPrice sets what Channels reports as the node's price per served byte.
func (c *Client) SetPrice(price uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.price = price
}

// Channels implements client.ChannelAPI.
func (c *Client) Channels(context.Context) (*client.ChannelList, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Channels"); err != nil {
		return nil, err
	}
	out := &client.ChannelList{Address: c.self, Price: c.price, Channels: slices.Clone(c.channels)}
	if a := c.active(); a != nil {
		out.Key = partnerKeyOf(a)
	}
	if out.Channels == nil {
		out.Channels = []client.Channel{}
	}
	return out, nil
}

// OpenChannel implements client.ChannelAPI: the deposit leaves the active account's balance.
func (c *Client) OpenChannel(_ context.Context, req client.OpenChannelRequest) (*client.Channel, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("OpenChannel"); err != nil {
		return nil, err
	}
	kb, err := hex.DecodeString(req.PartnerKey)
	if err != nil {
		return nil, status.Wrap(status.InvalidWalletAddress, err, "partner key")
	}
	pk, err := keys.ParsePublicKey(kb)
	if err != nil {
		return nil, status.Wrap(status.InvalidWalletAddress, err, "partner key")
	}
	if req.Deposit == 0 {
		return nil, status.New(status.InvalidParams, "a channel needs a deposit above 0")
	}
	partner, ok := c.walletPartner(kb)
	if !ok {
		partner = partnerOf(kb, pk)
	}
	a := c.active()
	switch {
	case a == nil:
		return nil, status.New(status.NoDsp, "open channel: the node has no account")
	case partner == c.self:
		return nil, status.New(status.TaskPrepareChannelError, "open channel: a channel with oneself")
	case a.Balance < req.Deposit:
		return nil, status.New(status.InsufficientBalance, "open channel: deposit %d above the balance %d", req.Deposit, a.Balance)
	}
	a.Balance -= req.Deposit
	tx := c.tx()
	ch := client.Channel{ID: channelID("open", c.self, tx.Height, len(c.channels)), Partner: partner, Opener: true, State: "open",
		Deposit: req.Deposit, Available: req.Deposit, OpenHeight: tx.Height}
	c.channels = append(c.channels, ch)
	return &ch, nil
}

// channel finds the channel id for method, refusing a malformed id (INVALID_PARAMS) and an
// unknown one (PREPARE_CHANNEL_ERROR) as a node does. Callers hold mu.
func (c *Client) channel(method, id string) (*client.Channel, error) {
	if b, err := hex.DecodeString(id); err != nil || len(b) != 32 {
		return nil, status.New(status.InvalidParams, "%s: channel id %q is not 64 hex digits", method, id)
	}
	for i := range c.channels {
		if c.channels[i].ID == id {
			return &c.channels[i], nil
		}
	}
	return nil, status.Wrap(status.TaskPrepareChannelError, ErrNotFound, "%s: channel %s", method, id)
}

// DepositChannel implements client.ChannelAPI: open channels only; the amount leaves the
// balance.
func (c *Client) DepositChannel(_ context.Context, id string, amount uint64) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("DepositChannel"); err != nil {
		return nil, err
	}
	ch, err := c.channel("deposit", id)
	if err != nil {
		return nil, err
	}
	a := c.active()
	switch {
	case amount == 0:
		return nil, status.New(status.InvalidParams, "deposit amount must be above 0")
	case ch.State != "open":
		return nil, status.New(status.TaskPrepareChannelError, "deposit: channel %s is %s", id, ch.State)
	case a == nil || a.Balance < amount:
		return nil, status.New(status.InsufficientBalance, "deposit %d: insufficient balance", amount)
	}
	a.Balance -= amount
	ch.Deposit += amount
	ch.Available += amount
	return c.tx(), nil
}

// CloseChannel implements client.ChannelAPI: an open channel becomes closing until the height
// ChallengeBlocks after the close.
func (c *Client) CloseChannel(_ context.Context, id string) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("CloseChannel"); err != nil {
		return nil, err
	}
	ch, err := c.channel("close", id)
	if err != nil {
		return nil, err
	}
	if ch.State != "open" {
		return nil, status.New(status.TaskPrepareChannelError, "close: channel %s is %s", id, ch.State)
	}
	tx := c.tx()
	ch.State, ch.SettleHeight = "closing", tx.Height+ChallengeBlocks
	return tx, nil
}

// SettleChannel implements client.ChannelAPI: a closing channel from its settle height on pays
// the active account its deposit plus what it received minus what it sent.
func (c *Client) SettleChannel(_ context.Context, id string) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("SettleChannel"); err != nil {
		return nil, err
	}
	ch, err := c.channel("settle", id)
	if err != nil {
		return nil, err
	}
	switch {
	case ch.State != "closing":
		return nil, status.New(status.TaskPrepareChannelError, "settle: channel %s is %s", id, ch.State)
	case c.height+1 < ch.SettleHeight: // the settle transaction lands in the next block
		return nil, status.New(status.TaskPrepareChannelError, "settle: channel %s settles from height %d", id, ch.SettleHeight)
	}
	paid := min(ch.Deposit+ch.PartnerDeposit, (ch.Deposit+ch.Received)-min(ch.Deposit+ch.Received, ch.Sent))
	if a := c.active(); a != nil {
		a.Balance += paid
	}
	ch.State, ch.SettleHeight, ch.PaidOut = "settled", 0, paid
	return c.tx(), nil
}

// Earnings implements client.ChannelAPI: the seeded earnings, totalled per peer.
func (c *Client) Earnings(context.Context) (*client.Earnings, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Earnings"); err != nil {
		return nil, err
	}
	out := &client.Earnings{Files: slices.Clone(c.earnings), Peers: []client.PeerEarning{}}
	if out.Files == nil {
		out.Files = []client.FileEarning{}
	}
	for _, e := range c.earnings {
		out.Total += e.Amount
		i := slices.IndexFunc(out.Peers, func(p client.PeerEarning) bool { return p.Peer == e.Peer })
		if i < 0 {
			out.Peers = append(out.Peers, client.PeerEarning{Peer: e.Peer})
			i = len(out.Peers) - 1
		}
		out.Peers[i].Amount += e.Amount
	}
	return out, nil
}

// pay charges a download's progress to its holders: each priced holder whose bytes grew (since
// before) is paid its price × the new bytes over the open channel to it with the most
// available, at most what it has left; the task's peer and the task count what was paid.
// Callers hold mu.
func (c *Client) pay(t *client.Task, before []client.TaskPeer) {
	for i := range t.Peers {
		p := &t.Peers[i]
		price := p.Price
		if price == 0 || i >= len(before) || p.Bytes <= before[i].Bytes {
			continue
		}
		var best *client.Channel
		for j := range c.channels {
			ch := &c.channels[j]
			if ch.Partner == p.Account && ch.State == "open" && (best == nil || ch.Available > best.Available) {
				best = ch
			}
		}
		if best == nil {
			continue
		}
		amount := min(best.Available, price*(p.Bytes-before[i].Bytes))
		if amount == 0 {
			continue
		}
		best.Sent += amount
		best.SentNonce++
		best.Available -= amount
		p.Paid += amount
		t.Paid += amount
	}
}
