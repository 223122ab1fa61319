package channel

import (
	"bytes"

	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/ledger"
	"dsp/status"
)

// Payer is the paying side of one channel: it signs balance proofs with strictly increasing
// nonces and never-decreasing amounts, and persists each before handing it out. Safe for
// concurrent use.
type Payer struct {
	side // latest: zero before the first payment
	key  keys.Signer
}

// Payer returns the store's Payer for channel ch (as the ledger returned it) with key, one of
// its sides, on chain chainID. It resumes from the newest proof persisted for the channel, so a
// restarted node continues above every nonce it ever handed out. Every call for the same channel
// returns the same Payer (with its channel record refreshed from ch); a call with another key
// fails with ErrNotParticipant, one for a channel frozen for a cooperative close with ErrClosing.
func (s *Store) Payer(chainID string, ch *ledger.Channel, key keys.Signer) (*Payer, error) {
	me := key.Public().Address()
	if ch.Side(me) == 0 || !bytes.Equal(ch.Key(me), key.Public().Bytes()) {
		return nil, status.Wrap(status.TaskPrepareChannelError, ErrNotParticipant, "%s does not pay on channel %s", me, ch.ID)
	}
	if err := s.frozenErr(ch.ID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.payers[ch.ID]; p != nil {
		if p.me != me || p.chainID != chainID {
			return nil, status.Wrap(status.TaskPrepareChannelError, ErrNotParticipant, "channel %s already pays as %s", ch.ID, p.me)
		}
		return p, p.Update(ch)
	}
	p := &Payer{side: side{s: s, chainID: chainID, me: me, bucket: bSent, ch: *ch}, key: key}
	if err := p.load(); err != nil {
		return nil, err
	}
	s.payers[ch.ID] = p
	return p, nil
}

// Pay raises the transferred amount by amount (> 0), signs the next proof, persists it (the
// bbolt commit is synced) and returns it; only then may the caller send it. If persisting fails
// the proof is discarded and nothing changes. A payment beyond the payer's deposit fails with
// ErrOverDeposit (INSUFFICIENT_BALANCE); one on a channel the payer knows is not open with
// ErrNotOpen; one on a channel this store signed a cooperative close of with ErrClosing.
func (p *Payer) Pay(amount uint64) (BalanceProof, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch.State != ledger.ChannelOpen {
		return BalanceProof{}, status.Wrap(status.TaskPrepareChannelError, ErrNotOpen, "channel %s is %s", p.ch.ID, ledger.ChannelStateName(p.ch.State))
	}
	if err := p.s.frozenErr(p.ch.ID); err != nil {
		return BalanceProof{}, err
	}
	deposit := p.ch.Deposit(p.me)
	next := p.latest.Transferred + amount
	if amount == 0 || next < amount || next > deposit {
		return BalanceProof{}, status.Wrap(status.InsufficientBalance, ErrOverDeposit, "pay %d on channel %s: %d transferred of a %d deposit", amount, p.ch.ID, p.latest.Transferred, deposit)
	}
	proof, err := ledger.SignBalanceProof(p.key, p.chainID, p.ch.ID, p.latest.Nonce+1, next)
	if err != nil {
		return BalanceProof{}, status.Wrap(status.TaskPayUnpaidBlockFailed, err, "pay on channel %s", p.ch.ID)
	}
	err = p.s.update(func(tx *bolt.Tx) error {
		cur, ok, err := proofIn(tx, bSent, p.ch.ID)
		if err != nil {
			return err
		}
		if ok && cur.Nonce >= proof.Nonce {
			return status.Wrap(status.TaskPayUnpaidBlockFailed, ErrStale, "channel %s: stored proof %d, new %d", p.ch.ID, cur.Nonce, proof.Nonce)
		}
		return tx.Bucket(bSent).Put(p.ch.ID[:], proof.Encode())
	})
	if err != nil {
		return BalanceProof{}, status.Wrap(status.TaskPayUnpaidBlockFailed, err, "persist proof %d of channel %s", proof.Nonce, p.ch.ID)
	}
	p.latest = proof
	return proof, nil
}

// Latest returns the newest proof the payer made (the zero proof before the first payment):
// what to send again when a peer lost it.
func (p *Payer) Latest() BalanceProof {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latest
}

// Available returns what the payer may still transfer: its deposit minus what it transferred (0
// once the channel is frozen for a cooperative close).
func (p *Payer) Available() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.s.Frozen(p.ch.ID) {
		return 0
	}
	return p.ch.Deposit(p.me) - min(p.ch.Deposit(p.me), p.latest.Transferred)
}

// Channel returns the payer's view of the channel.
func (p *Payer) Channel() ledger.Channel {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ch
}
