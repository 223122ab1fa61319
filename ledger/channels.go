package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"dsp/keys"
	"dsp/status"
)

// Payment channels (Layer2). Two accounts lock deposits in a channel; off the ledger the payer
// of each direction signs balance proofs (BalanceProof) that only ever raise the amount it has
// transferred; on the ledger either side closes the channel with the newest proofs it holds,
// the other side may override them with newer ones during the challenge period, and settlement
// pays each side its deposit plus what it received minus what it paid. docs/channels.md
// describes the model and the byte formats.

// Channel states. ChannelStateName names them.
const (
	ChannelOpen    uint8 = 1 // deposits may be added; proofs stay off the ledger
	ChannelClosing uint8 = 2 // closed by one side: newer proofs are accepted until SettleHeight
	ChannelSettled uint8 = 3 // paid out; nothing more can happen to it
)

// ChannelStateName returns the state's name as the CLI and the control API show it.
func ChannelStateName(s uint8) string {
	switch s {
	case ChannelOpen:
		return "open"
	case ChannelClosing:
		return "closing"
	case ChannelSettled:
		return "settled"
	}
	return "unknown"
}

// DefaultChannelChallengeBlocks is the challenge period when Params.ChannelChallengeBlocks is 0.
const DefaultChannelChallengeBlocks = 60

func (p *Params) channelChallenge() uint64 {
	if p.ChannelChallengeBlocks == 0 {
		return DefaultChannelChallengeBlocks
	}
	return p.ChannelChallengeBlocks
}

// Channel is a payment channel between A (the opener) and B (the partner) as the ledger keeps
// it. Side A's proofs (signed with KeyA) say how much A has transferred to B, and the reverse.
type Channel struct {
	ID       Hash
	A        keys.Address
	B        keys.Address
	KeyA     []byte // keys.PublicKey.Bytes() of A: checks the proofs A signs
	KeyB     []byte // of B
	DepositA uint64 // locked from A's balance (opening deposit plus A's top-ups)
	DepositB uint64
	State    uint8

	OpenHeight   uint64
	Closer       keys.Address // who closed it unilaterally (zero for a cooperative close)
	CloseHeight  uint64       // the height of the close (unilateral or cooperative)
	SettleHeight uint64       // closing: the first height at which SettleChannel is accepted; proofs are accepted below it

	NonceA       uint64 // the newest proof signed by A on the ledger (0: none)
	TransferredA uint64 // what that proof says A transferred to B
	NonceB       uint64
	TransferredB uint64

	PaidA         uint64 // what settlement paid to A
	PaidB         uint64 // what settlement paid to B
	SettledHeight uint64
}

// Side returns the channel's side of addr: 'A', 'B', or 0 when addr is not a participant.
func (c *Channel) Side(addr keys.Address) byte {
	switch addr {
	case c.A:
		return 'A'
	case c.B:
		return 'B'
	}
	return 0
}

// Peer returns the other participant of addr (the zero address when addr is not one).
func (c *Channel) Peer(addr keys.Address) keys.Address {
	switch addr {
	case c.A:
		return c.B
	case c.B:
		return c.A
	}
	return keys.Address{}
}

// Deposit returns what addr has locked in the channel (0 for a non-participant).
func (c *Channel) Deposit(addr keys.Address) uint64 {
	switch addr {
	case c.A:
		return c.DepositA
	case c.B:
		return c.DepositB
	}
	return 0
}

// Key returns addr's public key bytes as the channel recorded them (nil for a non-participant).
func (c *Channel) Key(addr keys.Address) []byte {
	switch addr {
	case c.A:
		return c.KeyA
	case c.B:
		return c.KeyB
	}
	return nil
}

// Payout returns what settlement pays A and B for the transferred amounts ta (A to B) and tb
// (B to A): each side's deposit plus what it received minus what it paid, bounded so that no side
// is paid less than nothing or more than both deposits. The two always sum to both deposits.
func (c *Channel) Payout(ta, tb uint64) (toA, toB uint64) {
	total := c.DepositA + c.DepositB
	switch {
	case ta >= tb && ta-tb >= c.DepositA:
		toB = total
	case ta >= tb:
		toB = c.DepositB + (ta - tb)
	case tb-ta >= c.DepositB:
		toB = 0
	default:
		toB = c.DepositB - (tb - ta)
	}
	return total - toB, toB
}

// BalanceProof is the paying side's signed statement that it has transferred Transferred in
// total over the channel; Nonce orders its statements (1, 2, ...). Newer proofs never lower the
// amount. Signature is the payer's keys signature over BalanceProofMessage.
type BalanceProof struct {
	ChannelID   Hash
	Nonce       uint64
	Transferred uint64
	Signature   []byte
}

// Encode returns the proof's canonical encoding (msgpack array of its four fields).
func (p *BalanceProof) Encode() []byte { return encode(p) }

// DecodeBalanceProof parses a canonical encoding. It checks format only (see VerifyBalanceProof).
func DecodeBalanceProof(b []byte) (BalanceProof, error) {
	var p BalanceProof
	if len(b) > maxBalanceProofBytes {
		return p, status.Wrap(status.TaskPayUnpaidBlockFailed, ErrMalformed, "balance proof is %d bytes, limit %d", len(b), maxBalanceProofBytes)
	}
	if err := decode(b, &p); err != nil {
		return BalanceProof{}, status.Wrap(status.TaskPayUnpaidBlockFailed, err, "decode balance proof")
	}
	return p, nil
}

const (
	maxBalanceProofBytes = 512
	maxChannelSigBytes   = 256
)

// Domain tags of the messages channel signatures cover.
const (
	tagChannelID    = "dsp-channel-id\x00"
	tagBalanceProof = "dsp-balance-proof\x00"
	tagCoopClose    = "dsp-channel-close\x00"
	tagOpenConsent  = "dsp-channel-open\x00"
)

func chainPrefix(tag, chainID string) []byte {
	b := make([]byte, 0, 128)
	b = append(b, tag...)
	b = append(b, byte(len(chainID)))
	return append(b, chainID...)
}

// ChannelIDOf is the id of the channel opened by opener's transaction of nonce on chainID:
// sha256("dsp-channel-id\0" || len(chainID) u8 || chainID || opener 20 bytes || nonce u64 BE).
// The opener knows it before submitting (the partner signs its consent over it).
func ChannelIDOf(chainID string, opener keys.Address, nonce uint64) Hash {
	b := chainPrefix(tagChannelID, chainID)
	b = append(b, opener[:]...)
	b = binary.BigEndian.AppendUint64(b, nonce)
	return sha(b)
}

// BalanceProofMessage is what a balance proof's signature covers: "dsp-balance-proof\0" ||
// len(chainID) u8 || chainID || channel id 32 bytes || nonce u64 BE || transferred u64 BE.
func BalanceProofMessage(chainID string, id Hash, nonce, transferred uint64) []byte {
	b := chainPrefix(tagBalanceProof, chainID)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint64(b, nonce)
	return binary.BigEndian.AppendUint64(b, transferred)
}

// CoopCloseMessage is what both sides sign to close a channel at once: "dsp-channel-close\0" ||
// len(chainID) u8 || chainID || channel id || balanceA u64 BE || balanceB u64 BE.
func CoopCloseMessage(chainID string, id Hash, balanceA, balanceB uint64) []byte {
	b := chainPrefix(tagCoopClose, chainID)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint64(b, balanceA)
	return binary.BigEndian.AppendUint64(b, balanceB)
}

// OpenConsentMessage is what a partner signs to deposit at opening: "dsp-channel-open\0" ||
// len(chainID) u8 || chainID || channel id || partner deposit u64 BE.
func OpenConsentMessage(chainID string, id Hash, partnerDeposit uint64) []byte {
	b := chainPrefix(tagOpenConsent, chainID)
	b = append(b, id[:]...)
	return binary.BigEndian.AppendUint64(b, partnerDeposit)
}

// SignBalanceProof makes payer's proof that it has transferred transferred in total, as its
// nonce-th statement on channel id.
func SignBalanceProof(payer keys.Signer, chainID string, id Hash, nonce, transferred uint64) (BalanceProof, error) {
	sig, err := payer.Sign(BalanceProofMessage(chainID, id, nonce, transferred))
	if err != nil {
		return BalanceProof{}, fmt.Errorf("sign balance proof %d of channel %s: %w", nonce, id, err)
	}
	return BalanceProof{ChannelID: id, Nonce: nonce, Transferred: transferred, Signature: sig}, nil
}

// VerifyBalanceProof checks that p is for channel id on chainID, has a nonce of at least 1 and
// is signed by the key payerKey (keys.PublicKey.Bytes()). Errors carry PAY_UNPAID_BLOCK_FAILED
// and wrap ErrBadBalanceProof.
func VerifyBalanceProof(chainID string, id Hash, payerKey []byte, p *BalanceProof) error {
	switch {
	case p.ChannelID != id:
		return badBalance("proof for channel %s, not %s", p.ChannelID, id)
	case p.Nonce == 0:
		return badBalance("proof nonce 0 (nonces start at 1)")
	case len(p.Signature) == 0 || len(p.Signature) > maxChannelSigBytes:
		return badBalance("signature of %d bytes", len(p.Signature))
	}
	pub, err := keys.ParsePublicKey(payerKey)
	if err != nil {
		return badBalance("payer key: %v", err)
	}
	if err := pub.Verify(BalanceProofMessage(chainID, id, p.Nonce, p.Transferred), p.Signature); err != nil {
		return status.Wrap(status.TaskPayUnpaidBlockFailed, fmt.Errorf("%w: %w: %v", ErrBadBalanceProof, ErrBadSignature, err),
			"proof %d of channel %s is not signed by %s", p.Nonce, id, pub.Address())
	}
	return nil
}

func badBalance(f string, a ...any) error {
	return status.Wrap(status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof, f, a...)
}

func chanErr(sentinel error, f string, a ...any) error {
	return status.Wrap(status.TaskPrepareChannelError, sentinel, f, a...)
}

// OpenChannel opens a channel from the sender (side A) to the holder of PartnerKey (side B),
// locking Deposit (> 0) from the sender's balance and, when PartnerDeposit > 0, PartnerDeposit
// from the partner's, which the partner consents to with PartnerSig over OpenConsentMessage for
// the channel's id (ChannelIDOf(chain, sender, tx nonce)). The receipt's Result is the id in hex.
type OpenChannel struct {
	PartnerKey     []byte
	Deposit        uint64
	PartnerDeposit uint64
	PartnerSig     []byte
}

// DepositChannel adds Amount to the sender's deposit in an open channel it is part of.
type DepositChannel struct {
	ChannelID Hash
	Amount    uint64
}

// CloseChannel closes an open channel unilaterally; the sender is a participant. Proofs (at
// most two, one per direction; each attributed to the side whose key signed it) are the newest
// the sender holds. The challenge period starts: until SettleHeight either side may send newer
// proofs with UpdateChannel.
type CloseChannel struct {
	ChannelID Hash
	Proofs    []BalanceProof
}

// UpdateChannel submits newer proofs for a closing channel before its SettleHeight; the sender
// is a participant. A proof replaces the recorded one of its direction only with a higher nonce
// and an amount no lower; any other proof refuses the whole transaction.
type UpdateChannel struct {
	ChannelID Hash
	Proofs    []BalanceProof
}

// CoopCloseChannel settles an open or closing channel at once with balances both sides signed
// (CoopCloseMessage, SigA by A and SigB by B); BalanceA+BalanceB must equal both deposits. The
// sender is a participant.
type CoopCloseChannel struct {
	ChannelID Hash
	BalanceA  uint64
	BalanceB  uint64
	SigA      []byte
	SigB      []byte
}

// SettleChannel pays out a closing channel whose challenge period has ended (height >=
// SettleHeight) by its recorded proofs (Channel.Payout). The sender is a participant.
type SettleChannel struct{ ChannelID Hash }

// Kind implements Payload.
func (OpenChannel) Kind() TxKind { return KindOpenChannel }

// Kind implements Payload.
func (DepositChannel) Kind() TxKind { return KindDepositChannel }

// Kind implements Payload.
func (CloseChannel) Kind() TxKind { return KindCloseChannel }

// Kind implements Payload.
func (UpdateChannel) Kind() TxKind { return KindUpdateChannel }

// Kind implements Payload.
func (CoopCloseChannel) Kind() TxKind { return KindCoopCloseChannel }

// Kind implements Payload.
func (SettleChannel) Kind() TxKind { return KindSettleChannel }

// state access

func chanAcctKey(a keys.Address, id Hash) []byte { return append(bytes.Clone(a[:]), id[:]...) }

func (e *env) channel(id Hash) (*Channel, bool) {
	v := e.kv.get(sChannels, id[:])
	if v == nil {
		return nil, false
	}
	var c Channel
	mustDecode(v, &c)
	return &c, true
}

func (e *env) putChannel(c *Channel) { e.kv.put(sChannels, c.ID[:], encode(c)) }

// participantChannel loads id and requires the sender to be one of its sides.
func (e *env) participantChannel(id Hash) (*Channel, error) {
	c, ok := e.channel(id)
	if !ok {
		return nil, chanErr(ErrNotFound, "channel %s does not exist", id)
	}
	if c.Side(e.sender) == 0 {
		return nil, chanErr(ErrNotOwner, "%s is not a participant of channel %s", e.sender, id)
	}
	return c, nil
}

func (e *env) openChannel(p *OpenChannel) (string, error) {
	pub, err := keys.ParsePublicKey(p.PartnerKey)
	if err != nil {
		return "", status.Wrap(status.InvalidWalletAddress, err, "partner key")
	}
	partner := pub.Address()
	switch {
	case partner == e.sender:
		return "", chanErr(ErrMalformed, "a channel with oneself")
	case p.Deposit == 0:
		return "", chanErr(ErrMalformed, "the opener's deposit must be > 0")
	case p.Deposit+p.PartnerDeposit < p.Deposit:
		return "", chanErr(ErrMalformed, "deposits overflow")
	case len(p.PartnerSig) > maxChannelSigBytes || (p.PartnerDeposit == 0 && len(p.PartnerSig) != 0):
		return "", chanErr(ErrMalformed, "partner signature of %d bytes for a partner deposit of %d", len(p.PartnerSig), p.PartnerDeposit)
	}
	id := ChannelIDOf(e.chainID, e.sender, e.nonce)
	if _, exists := e.channel(id); exists {
		return "", chanErr(ErrExists, "channel %s exists", id) // cannot happen: nonces are used once
	}
	if p.PartnerDeposit > 0 {
		if err := pub.Verify(OpenConsentMessage(e.chainID, id, p.PartnerDeposit), p.PartnerSig); err != nil {
			return "", status.Wrap(status.TaskPrepareChannelError, fmt.Errorf("%w: %v", ErrBadSignature, err), "partner consent to deposit %d", p.PartnerDeposit)
		}
	}
	if err := e.debit(e.sender, p.Deposit, "channel deposit"); err != nil {
		return "", err
	}
	if err := e.debit(partner, p.PartnerDeposit, "partner's channel deposit"); err != nil {
		return "", err
	}
	senderKey := e.senderKey
	c := &Channel{ID: id, A: e.sender, B: partner, KeyA: senderKey, KeyB: bytes.Clone(p.PartnerKey),
		DepositA: p.Deposit, DepositB: p.PartnerDeposit, State: ChannelOpen, OpenHeight: e.height}
	e.putChannel(c)
	e.kv.put(sChanAcct, chanAcctKey(c.A, id), []byte{1})
	e.kv.put(sChanAcct, chanAcctKey(c.B, id), []byte{1})
	return id.String(), nil
}

func (e *env) depositChannel(p *DepositChannel) error {
	c, err := e.participantChannel(p.ChannelID)
	if err != nil {
		return err
	}
	if c.State != ChannelOpen {
		return chanErr(ErrChannelState, "channel %s is %s", c.ID, ChannelStateName(c.State))
	}
	if p.Amount == 0 || c.DepositA+c.DepositB+p.Amount < p.Amount {
		return chanErr(ErrMalformed, "deposit of %d", p.Amount)
	}
	if err := e.debit(e.sender, p.Amount, "channel deposit"); err != nil {
		return err
	}
	if c.Side(e.sender) == 'A' {
		c.DepositA += p.Amount
	} else {
		c.DepositB += p.Amount
	}
	e.putChannel(c)
	return nil
}

// applyProofs records each proof in its direction; every proof must verify and be newer than
// the recorded one.
func (e *env) applyProofs(c *Channel, proofs []BalanceProof) error {
	if len(proofs) > 2 {
		return badBalance("%d proofs; at most one per direction", len(proofs))
	}
	for i := range proofs {
		p := &proofs[i]
		nonce, amount := &c.NonceA, &c.TransferredA
		if err := VerifyBalanceProof(e.chainID, c.ID, c.KeyA, p); err != nil {
			if err2 := VerifyBalanceProof(e.chainID, c.ID, c.KeyB, p); err2 != nil {
				return err // the error under A's key says why (other channel, bad signature)
			}
			nonce, amount = &c.NonceB, &c.TransferredB
		}
		if p.Nonce <= *nonce {
			return badBalance("proof %d of channel %s is not newer than the recorded proof %d", p.Nonce, c.ID, *nonce)
		}
		if p.Transferred < *amount {
			return badBalance("proof %d of channel %s lowers the transferred amount from %d to %d", p.Nonce, c.ID, *amount, p.Transferred)
		}
		*nonce, *amount = p.Nonce, p.Transferred
	}
	return nil
}

func (e *env) closeChannel(p *CloseChannel) error {
	c, err := e.participantChannel(p.ChannelID)
	if err != nil {
		return err
	}
	if c.State != ChannelOpen {
		return chanErr(ErrChannelState, "channel %s is %s", c.ID, ChannelStateName(c.State))
	}
	if err := e.applyProofs(c, p.Proofs); err != nil {
		return err
	}
	c.State, c.Closer, c.CloseHeight = ChannelClosing, e.sender, e.height
	c.SettleHeight = e.height + e.params.channelChallenge()
	e.putChannel(c)
	return nil
}

func (e *env) updateChannel(p *UpdateChannel) error {
	c, err := e.participantChannel(p.ChannelID)
	if err != nil {
		return err
	}
	if c.State != ChannelClosing || e.height >= c.SettleHeight {
		return chanErr(ErrChannelState, "channel %s is %s (challenge period ends at %d, height %d)", c.ID, ChannelStateName(c.State), c.SettleHeight, e.height)
	}
	if len(p.Proofs) == 0 {
		return badBalance("no proofs")
	}
	if err := e.applyProofs(c, p.Proofs); err != nil {
		return err
	}
	e.putChannel(c)
	return nil
}

func (e *env) coopCloseChannel(p *CoopCloseChannel) error {
	c, err := e.participantChannel(p.ChannelID)
	if err != nil {
		return err
	}
	if c.State == ChannelSettled {
		return chanErr(ErrChannelState, "channel %s is settled", c.ID)
	}
	if p.BalanceA+p.BalanceB < p.BalanceA || p.BalanceA+p.BalanceB != c.DepositA+c.DepositB {
		return badBalance("balances %d + %d do not sum to the deposits %d + %d", p.BalanceA, p.BalanceB, c.DepositA, c.DepositB)
	}
	msg := CoopCloseMessage(e.chainID, c.ID, p.BalanceA, p.BalanceB)
	for _, s := range []struct {
		key, sig []byte
		who      keys.Address
	}{{c.KeyA, p.SigA, c.A}, {c.KeyB, p.SigB, c.B}} {
		pub, err := keys.ParsePublicKey(s.key)
		if err != nil || len(s.sig) > maxChannelSigBytes {
			return badBalance("signature of %s", s.who)
		}
		if err := pub.Verify(msg, s.sig); err != nil {
			return status.Wrap(status.TaskPayUnpaidBlockFailed, fmt.Errorf("%w: %w: %v", ErrBadBalanceProof, ErrBadSignature, err), "cooperative close of channel %s: %s did not sign", c.ID, s.who)
		}
	}
	if c.State == ChannelOpen {
		c.CloseHeight = e.height
	}
	e.settle(c, p.BalanceA, p.BalanceB)
	return nil
}

func (e *env) settleChannel(p *SettleChannel) error {
	c, err := e.participantChannel(p.ChannelID)
	if err != nil {
		return err
	}
	if c.State != ChannelClosing {
		return chanErr(ErrChannelState, "channel %s is %s, not closing", c.ID, ChannelStateName(c.State))
	}
	if e.height < c.SettleHeight {
		return chanErr(ErrChannelState, "channel %s is in its challenge period until height %d (now %d)", c.ID, c.SettleHeight, e.height)
	}
	toA, toB := c.Payout(c.TransferredA, c.TransferredB)
	e.settle(c, toA, toB)
	return nil
}

func (e *env) settle(c *Channel, toA, toB uint64) {
	e.credit(c.A, toA)
	e.credit(c.B, toB)
	c.State, c.PaidA, c.PaidB, c.SettledHeight = ChannelSettled, toA, toB, e.height
	e.putChannel(c)
}
