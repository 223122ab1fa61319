package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"dsp/channel"
	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/status"
	"dsp/store"
	"dsp/wire"
)

// Downloads pay per flight of data blocks through payment channels (docs/channels.md, "How
// downloads pay per flight"). A holder with a price states it in its download-ack
// (File.UnitPrice, per byte of data block) with the key its channels are checked under
// (File.PayKey); it charges each served flight to the peer and refuses a peer whose unpaid amount
// passes its limit. The downloader pays each verified flight with a balance proof in a Payment
// request, which the holder accepts (channel.Payee.AcceptFor) before answering with a PaymentAck.

// Payment opcodes (fs range). docs/protocol.md, "Payments", lists them.
const (
	// OpPayment is Payment: a downloader's balance proof for blocks of a file, a component request
	// to the holder (answered with a PaymentAck or an error reply carrying the refusal's code).
	OpPayment wire.Opcode = wire.OpFSStart + 6
	// OpPaymentAck is PaymentAck: the holder's answer once the proof is accepted and persisted.
	OpPaymentAck wire.Opcode = wire.OpFSStart + 7
)

// Flight sizes of payments.
const (
	// FlightBlocks is the number of data blocks in one paid flight: a downloader pays once it has
	// verified this many blocks' bytes from a holder (and the rest when the download ends).
	FlightBlocks = 16
	// FlightBytes is the bytes of one flight of full blocks.
	FlightBytes = FlightBlocks * store.BlockSize
	// DefaultLimitFlights is a holder's default limit on a peer's unpaid service, in flights: it
	// covers the scheduler's largest window (64 blocks, 4 flights) plus a flight whose payment is
	// on its way, with room to spare.
	DefaultLimitFlights = 8
)

// Payment carries one balance proof (ledger.BalanceProof's canonical encoding, 119 bytes with a
// 64-byte signature) for blocks of file FileHash.
type Payment struct {
	FileHash []byte `msgpack:"file_hash"`
	Proof    []byte `msgpack:"proof"`
}

// PaymentAck answers a Payment: the newest proof the holder holds for the channel (its nonce and
// amount) and what this payment added (0 for a proof it already held).
type PaymentAck struct {
	ChannelID   []byte `msgpack:"channel_id"`
	Nonce       uint64 `msgpack:"nonce"`
	Transferred uint64 `msgpack:"transferred"`
	Paid        uint64 `msgpack:"paid"`
}

func init() {
	wire.Register(OpPayment, "FsPayment", func() any { return new(Payment) })
	wire.Register(OpPaymentAck, "FsPaymentAck", func() any { return new(PaymentAck) })
}

// PayConfig is how a node charges for the blocks it serves (Config.Pay).
type PayConfig struct {
	// Channels is the node's channel store (DATA/channels.db). Nil: the node serves for free and
	// refuses payments.
	Channels *channel.Store
	// Price is what one byte of a served data block costs, in the ledger's smallest unit (0: free;
	// link blocks are always free). Needs Channels.
	Price uint64
	// Limit is how much a peer may owe for served blocks before the holder refuses it with
	// PAY_UNPAID_BLOCK_FAILED (0: DefaultLimitFlights × FlightBytes × Price).
	Limit uint64
}

// payState is a service's side of payments: what it charges and, for each peer and file, the
// data bytes it served (Served).
type payState struct {
	cfg PayConfig

	mu     sync.Mutex
	payees map[ledger.Hash]*channel.Payee
	served map[servedKey]uint64
}

type servedKey struct {
	peer keys.Address
	file store.Hash
}

func newPayState(cfg PayConfig) *payState {
	if cfg.Channels == nil {
		cfg.Price = 0
	}
	if cfg.Limit == 0 && cfg.Price > 0 {
		cfg.Limit = DefaultLimitFlights * FlightBytes * cfg.Price
		if cfg.Limit/FlightBytes/DefaultLimitFlights != cfg.Price {
			cfg.Limit = ^uint64(0) // overflow: no practical limit
		}
	}
	return &payState{cfg: cfg, payees: map[ledger.Hash]*channel.Payee{}, served: map[servedKey]uint64{}}
}

// Price returns the service's price per byte of data block (0: free).
func (s *Service) Price() uint64 { return s.pay.cfg.Price }

// Served returns the data bytes this service sent to peer for file since it started (every
// block it sent, paid or not).
func (s *Service) Served(peer keys.Address, file store.Hash) uint64 {
	s.pay.mu.Lock()
	defer s.pay.mu.Unlock()
	return s.pay.served[servedKey{peer, file}]
}

// payGate is one download session's accounting: the blocks of the flight being served, charged
// to the peer once the flight is sent. A nil gate (a free holder) does nothing.
type payGate struct {
	ps     *payState
	peer   keys.Address
	file   store.Hash
	flight uint64 // data bytes of the flight being served
}

// payGate returns the session's gate, nil when the service is free.
func (s *Service) payGate(peer keys.Address, file store.Hash) *payGate {
	if s.pay.cfg.Price == 0 {
		return nil
	}
	return &payGate{ps: s.pay, peer: peer, file: file}
}

// ackTerms fills the download-ack's payment fields.
func (g *payGate) ackTerms(ack *File, key keys.Signer) {
	if g == nil {
		return
	}
	ack.UnitPrice = g.ps.cfg.Price
	ack.PayKey = key.Public().Bytes()
}

// admit refuses the next flight when the peer owes more than the limit: an error with
// PAY_UNPAID_BLOCK_FAILED.
func (g *payGate) admit() error {
	if g == nil || !g.ps.cfg.Channels.OverLimit(g.peer, g.ps.cfg.Limit) {
		return nil
	}
	return status.New(status.TaskPayUnpaidBlockFailed, "%s owes %d, over the limit of %d: pay before asking for more blocks",
		g.peer, g.ps.cfg.Channels.Owed(g.peer), g.ps.cfg.Limit)
}

// sent counts one block sent in the current flight (link blocks are free).
func (g *payGate) sent(index uint64, n int) {
	if g == nil || index == LinkIndex {
		return
	}
	g.flight += uint64(n)
	g.ps.mu.Lock()
	g.ps.served[servedKey{g.peer, g.file}] += uint64(n)
	g.ps.mu.Unlock()
}

// charge charges the flight just served to the peer.
func (g *payGate) charge() {
	if g == nil || g.flight == 0 {
		return
	}
	g.ps.cfg.Channels.Charge(g.peer, g.flight*g.ps.cfg.Price)
	g.flight = 0
}

// refuseErr answers a handshake with err's code (PAY_UNPAID_BLOCK_FAILED when it has none).
func (s *Service) refuseErr(c *conn, ask *File, err error) {
	code := status.TaskCode(status.CodeOf(err, status.TaskPayUnpaidBlockFailed.Num()))
	s.refuse(c, ask, code, "%v", err)
}

// receivePayment accepts a Payment request from in's peer: the proof must be signed by the peer
// on a channel between it and this node, newer than the one held; it is persisted with the
// earnings it brings (for the payment's file) before the PaymentAck is sent. A proof the holder
// already holds is acknowledged again (a payer resending after a lost answer) with Paid 0.
func (s *Service) receivePayment(in *node.Incoming, pm *Payment) error {
	ps := s.pay
	if ps.cfg.Channels == nil {
		return status.New(status.TaskUnitpriceError, "this node takes no payments")
	}
	proof, err := ledger.DecodeBalanceProof(pm.Proof)
	if err != nil {
		return status.Wrap(status.TaskPayUnpaidBlockFailed, err, "payment from %s", in.Peer.Account())
	}
	if len(pm.FileHash) != 0 && len(pm.FileHash) != store.HashSize {
		return status.New(status.InvalidParams, "payment for a file hash of %d bytes", len(pm.FileHash))
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.SessionTimeout)
	defer cancel()
	payee, err := s.payee(ctx, proof.ChannelID, in.Peer.Account(), false)
	if err != nil {
		return err
	}
	paid, err := payee.AcceptFor(pm.FileHash, proof)
	if errors.Is(err, channel.ErrOverDeposit) || errors.Is(err, channel.ErrNotOpen) {
		// The peer may have topped the channel up since this node last looked: look again.
		if payee, err = s.payee(ctx, proof.ChannelID, in.Peer.Account(), true); err != nil {
			return err
		}
		paid, err = payee.AcceptFor(pm.FileHash, proof)
	}
	if err != nil {
		held := payee.Latest()
		if !errors.Is(err, channel.ErrStale) || !bytes.Equal(held.Encode(), proof.Encode()) {
			return err
		}
		paid = 0 // a resend of the proof already held
	}
	held := payee.Latest()
	return in.Reply(ctx, OpPaymentAck, &PaymentAck{ChannelID: held.ChannelID[:], Nonce: held.Nonce, Transferred: held.Transferred, Paid: paid})
}

// payee returns the Payee of channel id, which must join this node and peer (the payer); the
// channel is read from the ledger the first time, or again with refresh.
func (s *Service) payee(ctx context.Context, id ledger.Hash, peer keys.Address, refresh bool) (*channel.Payee, error) {
	ps := s.pay
	ps.mu.Lock()
	p := ps.payees[id]
	ps.mu.Unlock()
	if p != nil && !refresh {
		return p, nil
	}
	me := s.cfg.Key.Public().Address()
	ch, err := s.cfg.Ledger.Channel(ctx, id)
	if err != nil {
		return nil, err
	}
	if ch.Side(me) == 0 || ch.Peer(me) != peer {
		return nil, status.New(status.TaskPrepareChannelError, "channel %s does not join %s and %s", id, peer, me)
	}
	ci, err := s.cfg.Ledger.ChainInfo(ctx)
	if err != nil {
		return nil, status.Wrap(status.TaskChainError, err, "chain info")
	}
	p, err = ps.cfg.Channels.Payee(ci.ChainID, ch, me)
	if err != nil {
		return nil, err
	}
	ps.mu.Lock()
	ps.payees[id] = p
	ps.mu.Unlock()
	return p, nil
}

// BlockPayer pays one holder for the data blocks of one file a downloader receives from it: the
// downloader reports each verified block (Received), the payer pays once a flight's bytes are
// unpaid, and Settle pays the rest when the download ends. Each payment is a channel.Payer
// proof (persisted before it is sent) in a Payment request; a payment whose answer is lost is
// covered by the next proof, or sent again by Settle. A nil *BlockPayer (a free holder) does
// nothing. Safe for concurrent use.
type BlockPayer struct {
	peer  *node.Peer
	payer *channel.Payer
	file  store.Hash
	price uint64

	mu        sync.Mutex
	unpaid    uint64 // verified bytes not yet paid
	paid      uint64 // bytes paid (proofs made)
	ackedNonc uint64 // the newest nonce the holder acknowledged
}

// NewBlockPayer returns a payer of price per byte to holder p for file, paying through payer.
func NewBlockPayer(p *node.Peer, payer *channel.Payer, file store.Hash, price uint64) *BlockPayer {
	return &BlockPayer{peer: p, payer: payer, file: file, price: price}
}

// Price returns the holder's price per byte (0 for a nil payer).
func (b *BlockPayer) Price() uint64 {
	if b == nil {
		return 0
	}
	return b.price
}

// PaidBytes returns the bytes paid for so far.
func (b *BlockPayer) PaidBytes() uint64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.paid
}

// Received reports n verified bytes of data blocks from the holder; once a flight's bytes are
// unpaid it pays them. An error (the channel exhausted or closed, the holder refusing the proof)
// means this holder should not be asked for more blocks.
func (b *BlockPayer) Received(ctx context.Context, n int) error {
	if b == nil || n <= 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.unpaid += uint64(n)
	if b.unpaid < FlightBytes {
		return nil
	}
	return b.payLocked(ctx)
}

// Settle pays every verified byte not yet paid, or sends the newest proof again when the holder
// has not acknowledged it.
func (b *BlockPayer) Settle(ctx context.Context) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unpaid > 0 {
		return b.payLocked(ctx)
	}
	if latest := b.payer.Latest(); latest.Nonce > b.ackedNonc && b.paid > 0 {
		return b.send(ctx, latest)
	}
	return nil
}

// payLocked pays the unpaid bytes; b.mu is held.
func (b *BlockPayer) payLocked(ctx context.Context) error {
	amount := b.unpaid * b.price
	if b.price != 0 && amount/b.price != b.unpaid {
		return status.New(status.TaskFileUnitPriceError, "%d bytes at %d overflow", b.unpaid, b.price)
	}
	proof, err := b.payer.Pay(amount)
	if err != nil {
		return fmt.Errorf("pay %s for %d bytes of %s: %w", b.peer.Account(), b.unpaid, b.file, err)
	}
	b.paid += b.unpaid
	b.unpaid = 0
	return b.send(ctx, proof)
}

// send sends proof to the holder and waits for its acknowledgment; b.mu is held.
func (b *BlockPayer) send(ctx context.Context, proof ledger.BalanceProof) error {
	in, err := b.peer.Request(ctx, OpPayment, &Payment{FileHash: b.file[:], Proof: proof.Encode()})
	if err != nil {
		return status.Wrap(status.TaskPayUnpaidBlockFailed, err, "send proof %d to %s", proof.Nonce, b.peer.Account())
	}
	ack, ok := in.Payload.(*PaymentAck)
	if !ok || ack.Nonce < proof.Nonce || ack.Transferred < proof.Transferred {
		return status.New(status.TaskPayUnpaidBlockFailed, "%s answered proof %d with %T %+v", b.peer.Account(), proof.Nonce, in.Payload, in.Payload)
	}
	b.ackedNonc = max(b.ackedNonc, ack.Nonce)
	return nil
}
