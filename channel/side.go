package channel

import (
	"sync"

	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/ledger"
	"dsp/status"
)

// side is what a Payer and a Payee share: one channel seen from one of its accounts (me), and the
// newest balance proof of its direction, persisted in bucket (bSent for the payer, bRecv for the
// payee).
type side struct {
	s       *Store
	chainID string
	me      keys.Address
	bucket  []byte

	mu     sync.Mutex
	ch     ledger.Channel
	latest BalanceProof
}

// load resumes from the newest proof persisted for the channel and records the channel. It runs
// before the side is shared.
func (d *side) load() error {
	return d.s.update(func(tx *bolt.Tx) error {
		latest, _, err := proofIn(tx, d.bucket, d.ch.ID)
		if err != nil {
			return err
		}
		d.latest = latest
		return putRecord(tx, &Record{ChainID: d.chainID, Channel: d.ch, Me: d.me})
	})
}

// Update replaces this side's view of the channel (after a top-up, or to learn it is closing)
// and persists it.
func (d *side) Update(ch *ledger.Channel) error {
	if ch.ID != d.ch.ID || ch.Side(d.me) == 0 {
		return status.Wrap(status.TaskPrepareChannelError, ErrNotParticipant, "channel %s is not %s", ch.ID, d.ch.ID)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ch = *ch
	return d.s.update(func(tx *bolt.Tx) error {
		return putRecord(tx, &Record{ChainID: d.chainID, Channel: *ch, Me: d.me})
	})
}
