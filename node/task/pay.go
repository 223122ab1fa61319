package task

import (
	"bytes"
	"context"
	"sync"

	"dsp/channel"
	"dsp/keys"
	"dsp/ledger"
	"dsp/node/fs"
	"dsp/status"
	"dsp/store"
)

// PayConfig is how a downloader pays holders that charge (Config.Pay).
type PayConfig struct {
	// Channels is the node's channel store (DATA/channels.db). Nil: holders with a price are
	// skipped (UNITPRICE_ERROR); free holders still serve.
	Channels *channel.Store
	// MaxPrice is the highest price per byte the downloader pays; a holder asking more is skipped
	// with FILE_UNIT_PRICE_ERROR (0: any price).
	MaxPrice uint64
}

// DepositFor is the deposit a downloader locks in a new channel to a holder of price per byte for
// a file of size bytes: twice the file (blocks fetched twice from a slow holder are paid too) plus
// one flight. ok is false when it overflows.
func DepositFor(size, price uint64) (deposit uint64, ok bool) {
	n := 2*size + fs.FlightBytes
	if size > n || price == 0 {
		return 0, price == 0
	}
	d := n * price
	return d, d/price == n
}

// payState serializes the opening of channels, so that two downloads do not open two channels
// to one holder.
type payState struct {
	mu sync.Mutex
}

// preparePay makes d pay its holder when the download-ack names a price: it checks the price,
// finds or opens (or tops up) a channel to the holder with enough deposit for the file, and sets
// d.Pay. Status TaskDownloadPayForBlocks while it works on the ledger.
func (m *Manager) preparePay(ctx context.Context, d *fs.DownloadConn, root store.Hash) error {
	price := d.Ack.UnitPrice
	if price == 0 {
		return nil
	}
	holder := d.Peer().Account()
	if m.cfg.Pay.Channels == nil {
		return status.New(status.TaskUnitpriceError, "%s asks %d per byte and this node keeps no payment channels", holder, price)
	}
	if mx := m.cfg.Pay.MaxPrice; mx > 0 && price > mx {
		return status.New(status.TaskFileUnitPriceError, "%s asks %d per byte, above the %d this node pays", holder, price, mx)
	}
	need, ok := DepositFor(d.Ack.Size, price)
	if !ok {
		return status.New(status.TaskFileUnitPriceError, "%s asks %d per byte: the file's price overflows", holder, price)
	}
	pk, err := keys.ParsePublicKey(d.Ack.PayKey)
	if err != nil || pk.Address() != holder {
		return status.New(status.TaskUnitpriceError, "%s names a pay key that is not its account's", holder)
	}
	payer, err := m.channelTo(ctx, holder, d.Ack.PayKey, need)
	if err != nil {
		return err
	}
	d.Pay = fs.NewBlockPayer(d.Peer(), payer, root, price)
	return nil
}

// channelTo returns the Payer of an open channel from this node to holder with at least need
// available: an existing one (topped up if short) or a new one.
func (m *Manager) channelTo(ctx context.Context, holder keys.Address, holderKey []byte, need uint64) (*channel.Payer, error) {
	m.pay.mu.Lock()
	defer m.pay.mu.Unlock()
	me := m.cfg.Key.Public().Address()
	ci, err := m.cfg.Ledger.ChainInfo(ctx)
	if err != nil {
		return nil, status.Wrap(status.TaskChainError, err, "chain info")
	}
	chs, err := m.cfg.Ledger.Channels(ctx, me)
	if err != nil {
		return nil, status.Wrap(status.TaskPrepareChannelError, err, "channels of %s", me)
	}
	var (
		best  *channel.Payer
		avail uint64
	)
	for i := range chs {
		ch := &chs[i]
		if ch.State != ledger.ChannelOpen || ch.Peer(me) != holder || !bytes.Equal(ch.Key(me), m.cfg.Key.Public().Bytes()) {
			continue
		}
		p, err := m.cfg.Pay.Channels.Payer(ci.ChainID, ch, m.cfg.Key)
		if err != nil {
			continue
		}
		if a := p.Available(); best == nil || a > avail {
			best, avail = p, a
		}
	}
	if best != nil && avail >= need {
		return best, nil
	}
	if best != nil {
		id := best.Channel().ID
		if _, err := m.txs.Send(ctx, &ledger.DepositChannel{ChannelID: id, Amount: need - avail}); err != nil {
			return nil, status.Wrap(status.TaskPrepareChannelError, err, "top up channel %s to %s", id, holder)
		}
		return m.refreshPayer(ctx, ci.ChainID, id)
	}
	r, err := m.txs.Send(ctx, &ledger.OpenChannel{PartnerKey: holderKey, Deposit: need})
	if err != nil {
		return nil, status.Wrap(status.TaskPrepareChannelError, err, "open a channel to %s with %d", holder, need)
	}
	id, err := ledger.ParseHash(r.Result)
	if err != nil {
		return nil, status.Wrap(status.TaskPrepareChannelError, err, "channel id of %s", r.TxHash)
	}
	m.log.Info("opened payment channel", "holder", holder, "channel", id, "deposit", need)
	return m.refreshPayer(ctx, ci.ChainID, id)
}

func (m *Manager) refreshPayer(ctx context.Context, chainID string, id ledger.Hash) (*channel.Payer, error) {
	ch, err := m.cfg.Ledger.Channel(ctx, id)
	if err != nil {
		return nil, status.Wrap(status.TaskPrepareChannelError, err, "channel %s", id)
	}
	return m.cfg.Pay.Channels.Payer(chainID, ch, m.cfg.Key)
}

// settlePay pays every holder the verified bytes not paid yet (statuses 23 and 24) and records
// what the holders acknowledged in the task's info. A holder that cannot be paid now is logged:
// the proofs are persisted and the channel can still be closed with them.
func (m *Manager) settlePay(ctx context.Context, t *task, pays *payRun) {
	if !pays.priced() {
		return
	}
	m.setStatus(t, status.TaskDownloadPayForBlocks)
	ctx = context.WithoutCancel(ctx)
	for _, h := range pays.holders {
		if err := h.settle(ctx); err != nil {
			m.log.Info("pay holder", "peer", h.account, "err", err)
		}
	}
	m.update(t, func(in *Info) {
		pays.fill(in)
		in.Status = status.TaskDownloadPayForBlocksDone
	})
}

// payRun is what one run of a download pays its holders: each session's holder with its price
// as the download-ack stated it and the amount this task paid it, earlier runs of the task
// included. Only payments the holder acknowledged count. Safe for concurrent use.
type payRun struct {
	holders []*holderPay // one per session, in the order of the sessions

	mu      sync.Mutex
	earlier []PeerProgress          // holders this task paid in earlier runs, as persisted
	paid    map[keys.Address]uint64 // per holder, earlier runs included
	total   uint64
}

// newPayRun starts the payment record of a run of t over sessions, from what t's info says
// earlier runs paid.
func newPayRun(t *task, sessions []*fs.DownloadConn) *payRun {
	r := &payRun{paid: map[keys.Address]uint64{}}
	t.mu.Lock()
	r.total = t.info.Paid
	for _, p := range t.info.Peers {
		if p.Paid > 0 {
			r.paid[p.Account] += p.Paid
			r.earlier = append(r.earlier, PeerProgress{Account: p.Account, Price: p.Price, Paid: p.Paid, Done: true})
		}
	}
	t.mu.Unlock()
	for _, d := range sessions {
		r.holders = append(r.holders, &holderPay{run: r, account: d.Peer().Account(), price: d.Ack.UnitPrice, bp: d.Pay})
	}
	return r
}

// priced reports whether any holder of the run charges.
func (r *payRun) priced() bool {
	for _, h := range r.holders {
		if h.bp != nil {
			return true
		}
	}
	return false
}

// add counts amount paid to holder.
func (r *payRun) add(holder keys.Address, amount uint64) {
	r.mu.Lock()
	r.paid[holder] += amount
	r.total += amount
	r.mu.Unlock()
}

// fill sets the price and paid amount of in's peers (listed by the scheduler), adds the holders
// paid in earlier runs that are not among them, and sets the task's total.
func (r *payRun) fill(in *Info) {
	price := make(map[keys.Address]uint64, len(r.holders))
	for _, h := range r.holders {
		price[h.account] = h.price
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	listed := make(map[keys.Address]bool, len(in.Peers))
	for i := range in.Peers {
		p := &in.Peers[i]
		listed[p.Account] = true
		p.Price, p.Paid = price[p.Account], r.paid[p.Account]
	}
	for _, p := range r.earlier {
		if !listed[p.Account] {
			in.Peers = append(in.Peers, p)
		}
	}
	in.Paid = r.total
}

// holderPay pays one holder through its session's fs.BlockPayer (nil: a free holder) and counts
// what the holder acknowledged. BlockPayer's Received and Settle return nil only once the holder
// has answered the newest proof with a PaymentAck, and a proof carries every amount before it:
// so after a nil return every byte the payer has paid for is acknowledged, and the increments
// since the last count (bytes × price, as the payer made them) are added to the run. After an
// error, what was paid counts only once a later call sends a proof again and it is acknowledged.
// Calls for one holder are not concurrent (its receiver, then settlePay).
type holderPay struct {
	run     *payRun
	account keys.Address
	price   uint64
	bp      *fs.BlockPayer

	bytes  uint64 // bytes paid for and counted
	failed bool   // a payment was made and not acknowledged
}

// received reports n verified bytes from the holder (fs.BlockPayer.Received).
func (h *holderPay) received(ctx context.Context, n int) error {
	before := h.bp.PaidBytes()
	err := h.bp.Received(ctx, n)
	h.count(err, h.bp.PaidBytes() != before)
	return err
}

// settle pays what is left, or sends the newest proof again (fs.BlockPayer.Settle).
func (h *holderPay) settle(ctx context.Context) error {
	err := h.bp.Settle(ctx)
	h.count(err, true)
	return err
}

// count adds the bytes paid since the last count once they are acknowledged: err is the call's
// result, sent whether it sent a proof.
func (h *holderPay) count(err error, sent bool) {
	if h.bp == nil {
		return
	}
	if err != nil {
		h.failed = true
		return
	}
	if h.failed && !sent {
		return
	}
	h.failed = false
	paid := h.bp.PaidBytes()
	if paid > h.bytes {
		h.run.add(h.account, (paid-h.bytes)*h.price)
		h.bytes = paid
	}
}
