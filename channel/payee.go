package channel

import (
	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/ledger"
	"dsp/status"
)

// Payee is the receiving side of one channel: it checks the peer's balance proofs and persists
// each accepted one, with the earnings it brings, before returning. Safe for concurrent use.
type Payee struct {
	side // latest: zero before the first accepted proof
	peer keys.Address
}

// Payee returns the store's Payee for channel ch (as the ledger returned it) on chain chainID,
// where me is the receiving side. It resumes from the newest proof persisted for the channel.
// Every call for the same channel returns the same Payee (with its channel record refreshed); a
// call for a channel frozen for a cooperative close fails with ErrClosing.
func (s *Store) Payee(chainID string, ch *ledger.Channel, me keys.Address) (*Payee, error) {
	if ch.Side(me) == 0 {
		return nil, status.Wrap(status.TaskPrepareChannelError, ErrNotParticipant, "%s is not on channel %s", me, ch.ID)
	}
	if err := s.frozenErr(ch.ID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.payees[ch.ID]; p != nil {
		if p.me != me || p.chainID != chainID {
			return nil, status.Wrap(status.TaskPrepareChannelError, ErrNotParticipant, "channel %s already receives as %s", ch.ID, p.me)
		}
		return p, p.Update(ch)
	}
	p := &Payee{side: side{s: s, chainID: chainID, me: me, bucket: bRecv, ch: *ch}, peer: ch.Peer(me)}
	if err := p.load(); err != nil {
		return nil, err
	}
	s.payees[ch.ID] = p
	return p, nil
}

// Accept is AcceptFor with no file.
func (p *Payee) Accept(proof BalanceProof) (uint64, error) { return p.AcceptFor(nil, proof) }

// AcceptFor checks proof (signed by the peer for this channel and chain, newer than the newest
// held: nonce higher and amount no lower, within the peer's deposit, on an open channel), then
// persists it together with the payment it brings (its amount minus the previous one), counted
// as earnings from the peer for file, and returns that payment. Only after AcceptFor returns
// may the caller acknowledge or serve what the proof pays for. Refused proofs change nothing:
// forged, other-channel or other-chain proofs fail with PAY_UNPAID_BLOCK_FAILED
// (ledger.ErrBadBalanceProof), replays and lowered amounts with ErrStale (same code), amounts
// beyond the deposit with ErrOverDeposit (INSUFFICIENT_BALANCE), any proof on a channel frozen
// for a cooperative close with ErrClosing (PREPARE_CHANNEL_ERROR).
func (p *Payee) AcceptFor(file []byte, proof BalanceProof) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch.State != ledger.ChannelOpen {
		return 0, status.Wrap(status.TaskPrepareChannelError, ErrNotOpen, "channel %s is %s", p.ch.ID, ledger.ChannelStateName(p.ch.State))
	}
	if err := p.s.frozenErr(p.ch.ID); err != nil {
		return 0, err
	}
	if err := ledger.VerifyBalanceProof(p.chainID, p.ch.ID, p.ch.Key(p.peer), &proof); err != nil {
		return 0, err
	}
	switch {
	case proof.Nonce <= p.latest.Nonce:
		return 0, status.Wrap(status.TaskPayUnpaidBlockFailed, ErrStale, "proof %d of channel %s: already hold proof %d", proof.Nonce, p.ch.ID, p.latest.Nonce)
	case proof.Transferred < p.latest.Transferred:
		return 0, status.Wrap(status.TaskPayUnpaidBlockFailed, ErrStale, "proof %d of channel %s lowers the amount from %d to %d", proof.Nonce, p.ch.ID, p.latest.Transferred, proof.Transferred)
	case proof.Transferred > p.ch.Deposit(p.peer):
		return 0, status.Wrap(status.InsufficientBalance, ErrOverDeposit, "proof %d of channel %s transfers %d of a %d deposit", proof.Nonce, p.ch.ID, proof.Transferred, p.ch.Deposit(p.peer))
	}
	delta := proof.Transferred - p.latest.Transferred
	err := p.s.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bRecv).Put(p.ch.ID[:], proof.Encode()); err != nil {
			return err
		}
		if delta == 0 {
			return nil
		}
		return addEarning(tx, p.peer, file, delta)
	})
	if err != nil {
		return 0, status.Wrap(status.TaskPayUnpaidBlockFailed, err, "persist proof %d of channel %s", proof.Nonce, p.ch.ID)
	}
	p.latest = proof
	p.s.paid(p.peer, delta)
	return delta, nil
}

// Latest returns the newest proof accepted (the zero proof before the first): what to close or
// update the channel with on the ledger.
func (p *Payee) Latest() BalanceProof {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latest
}

// Peer returns the paying side's address.
func (p *Payee) Peer() keys.Address { return p.peer }

// Channel returns the payee's view of the channel.
func (p *Payee) Channel() ledger.Channel {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ch
}
