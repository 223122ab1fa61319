package channel

import (
	"bytes"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/ledger"
	"dsp/status"
)

// Cooperative close (docs/channels.md, "Cooperative close"). The side that wants to close
// computes the final balances from its own proofs (CloseTerms), signs them and asks the other
// side, which checks them against its own proofs and signs too; either may then submit the
// ledger's CoopCloseChannel. A side's signature over final balances is a standing offer: once it
// has signed (or is about to hand its signature out), the channel is frozen in this store: no
// further payment is made or accepted on it, since the other side could settle at the signed
// balances at any time and a later payment would be lost. The frozen offer survives restarts
// (bucket coop); a top-up of the channel voids it on the ledger (the balances no longer sum to
// the deposits) but the channel stays frozen here: close it, cooperatively or not, and open
// another.

// CoopClose is one cooperative close of a channel: the final balances of A and B and the
// signatures of both sides over ledger.CoopCloseMessage (a side's is empty until it signed).
type CoopClose struct {
	ChainID   string
	ChannelID ledger.Hash
	BalanceA  uint64
	BalanceB  uint64
	SigA      []byte
	SigB      []byte
}

// Complete reports whether both sides signed: the close can go to the ledger.
func (c *CoopClose) Complete() bool { return len(c.SigA) > 0 && len(c.SigB) > 0 }

// Tx is the ledger transaction of a complete close.
func (c *CoopClose) Tx() *ledger.CoopCloseChannel {
	return &ledger.CoopCloseChannel{ChannelID: c.ChannelID, BalanceA: c.BalanceA, BalanceB: c.BalanceB,
		SigA: bytes.Clone(c.SigA), SigB: bytes.Clone(c.SigB)}
}

// Balance returns what the close pays addr (A's or B's balance; 0 for a non-participant of ch).
func (c *CoopClose) Balance(ch *ledger.Channel, addr keys.Address) uint64 {
	switch ch.Side(addr) {
	case 'A':
		return c.BalanceA
	case 'B':
		return c.BalanceB
	}
	return 0
}

func (c *CoopClose) sig(side byte) *[]byte {
	if side == 'A' {
		return &c.SigA
	}
	return &c.SigB
}

func (c *CoopClose) message() []byte {
	return ledger.CoopCloseMessage(c.ChainID, c.ChannelID, c.BalanceA, c.BalanceB)
}

func closeErr(f string, a ...any) error {
	return status.Wrap(status.TaskPayUnpaidBlockFailed, ErrCloseTerms, f, a...)
}

// CloseTerms returns the final balances of ch (as the ledger returned it, for its current
// deposits) by what me's store holds: each side gets its deposit plus what it received minus
// what it paid (ledger.Channel.Payout), where what me paid is its newest signed proof and what
// the peer paid the newest proof me accepted, each raised to the amount the ledger recorded for
// that side if higher (a closing channel). A close at these terms never pays me less than it
// holds as payee nor takes more than it owes as payer.
func (s *Store) CloseTerms(ch *ledger.Channel, me keys.Address) (balanceA, balanceB uint64, err error) {
	if ch.Side(me) == 0 {
		return 0, 0, status.Wrap(status.TaskPrepareChannelError, ErrNotParticipant, "%s is not on channel %s", me, ch.ID)
	}
	var sent, recv BalanceProof
	err = s.view(func(tx *bolt.Tx) error {
		var err error
		if sent, _, err = proofIn(tx, bSent, ch.ID); err != nil {
			return err
		}
		recv, _, err = proofIn(tx, bRecv, ch.ID)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	paid, received := sent.Transferred, recv.Transferred
	ta, tb := max(paid, ch.TransferredA), max(received, ch.TransferredB) // me is A
	if ch.Side(me) == 'B' {
		ta, tb = max(received, ch.TransferredA), max(paid, ch.TransferredB)
	}
	a, b := ch.Payout(ta, tb)
	return a, b, nil
}

// OfferClose signs the close of ch at CloseTerms with key (a side of ch) and freezes the
// channel (persisted before it returns, so the signature may then be handed out). An offer
// already held at the same balances is returned with the other side's signature if it has one.
// A settled channel is refused with PREPARE_CHANNEL_ERROR.
func (s *Store) OfferClose(chainID string, ch *ledger.Channel, key keys.Signer) (CoopClose, error) {
	me := key.Public().Address()
	if err := closable(ch, key); err != nil {
		return CoopClose{}, err
	}
	a, b, err := s.CloseTerms(ch, me)
	if err != nil {
		return CoopClose{}, err
	}
	c := CoopClose{ChainID: chainID, ChannelID: ch.ID, BalanceA: a, BalanceB: b}
	if held, ok, err := s.Offer(ch.ID); err != nil {
		return CoopClose{}, err
	} else if ok && held.ChainID == chainID && held.BalanceA == a && held.BalanceB == b {
		c = held
	}
	mine := c.sig(ch.Side(me))
	if len(*mine) == 0 {
		if *mine, err = key.Sign(c.message()); err != nil {
			return CoopClose{}, status.Wrap(status.TaskPayUnpaidBlockFailed, err, "sign the close of channel %s", ch.ID)
		}
	}
	return c, s.freeze(&c)
}

// AcceptClose answers the other side's offer for ch: the offer must be for ch's id on chainID,
// sum to ch's deposits, carry the other side's valid signature and pay me (key's account) at
// least what CloseTerms gives it; then key signs, the channel is frozen (persisted) and the
// complete close is returned. Refusals change nothing and carry PAY_UNPAID_BLOCK_FAILED
// (ErrCloseTerms; ledger.ErrBadSignature for the signature) or PREPARE_CHANNEL_ERROR for a
// settled channel or a key that is not a side of it.
func (s *Store) AcceptClose(chainID string, ch *ledger.Channel, key keys.Signer, offer CoopClose) (CoopClose, error) {
	me := key.Public().Address()
	if err := closable(ch, key); err != nil {
		return CoopClose{}, err
	}
	offer.SigA, offer.SigB = bytes.Clone(offer.SigA), bytes.Clone(offer.SigB)
	if err := checkOffer(chainID, ch, &offer, ch.Peer(me)); err != nil {
		return CoopClose{}, err
	}
	a, b, err := s.CloseTerms(ch, me)
	if err != nil {
		return CoopClose{}, err
	}
	fair := a
	if ch.Side(me) == 'B' {
		fair = b
	}
	if got := offer.Balance(ch, me); got < fair {
		return CoopClose{}, closeErr("the close of channel %s pays %s %d; its proofs give it %d (balances A %d, B %d)", ch.ID, me, got, fair, a, b)
	}
	sig, err := key.Sign(offer.message())
	if err != nil {
		return CoopClose{}, status.Wrap(status.TaskPayUnpaidBlockFailed, err, "sign the close of channel %s", ch.ID)
	}
	*offer.sig(ch.Side(me)) = sig
	return offer, s.freeze(&offer)
}

// Countersigned records the other side's signature on the offer this store holds for ch,
// after checking it, and returns the complete close (persisted).
func (s *Store) Countersigned(ch *ledger.Channel, me keys.Address, peerSig []byte) (CoopClose, error) {
	c, ok, err := s.Offer(ch.ID)
	if err != nil {
		return CoopClose{}, err
	}
	if !ok {
		return CoopClose{}, closeErr("no close of channel %s was offered", ch.ID)
	}
	*c.sig(ch.Side(ch.Peer(me))) = bytes.Clone(peerSig)
	if err := checkOffer(c.ChainID, ch, &c, ch.Peer(me)); err != nil {
		return CoopClose{}, err
	}
	return c, s.freeze(&c)
}

// Offer returns the close this store signed for channel id, if any (ok false: the channel is
// not frozen).
func (s *Store) Offer(id ledger.Hash) (c CoopClose, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bCoop).Get(id[:])
		if v == nil {
			return nil
		}
		if err := msgpack.Unmarshal(v, &c); err != nil {
			return status.Wrap(status.NoDb, err, "cooperative close of channel %s", id)
		}
		ok = true
		return nil
	})
	return c, ok, err
}

// Frozen reports whether a cooperative close of channel id was signed in this store: no payment
// is made or accepted on it any more.
func (s *Store) Frozen(id ledger.Hash) bool {
	s.frozenMu.Lock()
	defer s.frozenMu.Unlock()
	return s.frozen[id]
}

// frozenErr is the refusal of a payment on a frozen channel (nil when it is not).
func (s *Store) frozenErr(id ledger.Hash) error {
	if !s.Frozen(id) {
		return nil
	}
	return status.Wrap(status.TaskPrepareChannelError, ErrClosing, "channel %s", id)
}

// freeze persists c as the channel's close and stops payments on it.
func (s *Store) freeze(c *CoopClose) error {
	b, err := msgpack.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode cooperative close: %w", err)
	}
	// Frozen first: a payment racing with the commit is refused rather than made after the
	// signature is out.
	s.frozenMu.Lock()
	s.frozen[c.ChannelID] = true
	s.frozenMu.Unlock()
	err = s.update(func(tx *bolt.Tx) error { return tx.Bucket(bCoop).Put(c.ChannelID[:], b) })
	if err != nil {
		return status.Wrap(status.NoDb, err, "persist the close of channel %s", c.ChannelID)
	}
	return nil
}

// loadFrozen fills s.frozen from bucket coop; it runs in Open.
func (s *Store) loadFrozen(tx *bolt.Tx) error {
	return tx.Bucket(bCoop).ForEach(func(k, _ []byte) error {
		if len(k) != len(ledger.Hash{}) {
			return status.New(status.NoDb, "cooperative close under a key of %d bytes", len(k))
		}
		s.frozen[ledger.Hash(k)] = true
		return nil
	})
}

// closable checks that key is a side of ch under its recorded key and that ch is not settled.
func closable(ch *ledger.Channel, key keys.Signer) error {
	me := key.Public().Address()
	if ch.Side(me) == 0 || !bytes.Equal(ch.Key(me), key.Public().Bytes()) {
		return status.Wrap(status.TaskPrepareChannelError, ErrNotParticipant, "%s cannot close channel %s", me, ch.ID)
	}
	if ch.State == ledger.ChannelSettled {
		return status.Wrap(status.TaskPrepareChannelError, ledger.ErrChannelState, "channel %s is settled", ch.ID)
	}
	return nil
}

// checkOffer checks that c closes ch on chainID at balances summing to its deposits, signed by
// signer (a side of ch).
func checkOffer(chainID string, ch *ledger.Channel, c *CoopClose, signer keys.Address) error {
	switch {
	case c.ChannelID != ch.ID || c.ChainID != chainID:
		return closeErr("a close of channel %s on %q, not %s on %q", c.ChannelID, c.ChainID, ch.ID, chainID)
	case c.BalanceA+c.BalanceB < c.BalanceA || c.BalanceA+c.BalanceB != ch.DepositA+ch.DepositB:
		return closeErr("balances %d + %d of channel %s do not sum to its deposits %d + %d", c.BalanceA, c.BalanceB, ch.ID, ch.DepositA, ch.DepositB)
	}
	sig := *c.sig(ch.Side(signer))
	pub, err := keys.ParsePublicKey(ch.Key(signer))
	if err == nil && len(sig) > 0 {
		err = pub.Verify(c.message(), sig)
	} else if err == nil {
		err = fmt.Errorf("no signature")
	}
	if err != nil {
		return status.Wrap(status.TaskPayUnpaidBlockFailed, fmt.Errorf("%w: %w: %v", ErrCloseTerms, ledger.ErrBadSignature, err),
			"the close of channel %s is not signed by %s", ch.ID, signer)
	}
	return nil
}
