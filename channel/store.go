// Package channel is the off-ledger side of the ledger's payment channels: the payer signs
// balance proofs (Payer.Pay), the payee checks them (Payee.Accept), and each side keeps the
// newest proofs durably in bbolt before anything depends on them, so a crash never makes the
// payer pay twice under one nonce nor the payee lose money it was paid. The Store also counts a
// holder's earnings per counterparty and per file and what each peer owes for service not yet
// paid. docs/channels.md describes the model, the byte formats and the crash argument.
package channel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/ledger"
	"dsp/status"
)

// BalanceProof is the payer's signed statement of what it has transferred in total over a
// channel: ledger.BalanceProof, the one format the ledger checks at close.
type BalanceProof = ledger.BalanceProof

// Buckets.
var (
	bSent = []byte("sent") // channel id -> encoded BalanceProof: the newest proof this node signed
	bRecv = []byte("recv") // channel id -> encoded BalanceProof: the newest proof this node accepted
	bChan = []byte("chan") // channel id -> msgpack Record: the channel as this node last saw it
	bEarn = []byte("earn") // peer address (20 bytes) | file hash -> u64 BE: received from peer for file
	bCoop = []byte("coop") // channel id -> msgpack CoopClose: the cooperative close this node signed
)

// Record is what the store remembers of a channel: the chain, the ledger's record as last
// handed to Payer, Payee or Update, and which side this node is.
type Record struct {
	ChainID string
	Channel ledger.Channel
	Me      keys.Address
}

// Store keeps one node's balance proofs and earnings in one bbolt file. It is safe for
// concurrent use. Each channel has at most one Payer and one Payee per Store.
type Store struct {
	db *bolt.DB

	mu     sync.Mutex // guards payers and payees; taken before a Payer's or Payee's own lock
	payers map[ledger.Hash]*Payer
	payees map[ledger.Hash]*Payee

	debtMu sync.Mutex // guards debts; taken after any other lock
	debts  map[keys.Address]*debt

	frozenMu sync.Mutex           // guards frozen; taken after any other lock
	frozen   map[ledger.Hash]bool // channels with a signed cooperative close (bucket coop)
}

// debt is what a peer was charged for service and what it paid since the store opened.
type debt struct{ charged, paid uint64 }

// Open opens or creates the store at path (e.g. DIR/channels.db).
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, status.Wrap(status.NoDb, err, "open channel store %s", path)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bSent, bRecv, bChan, bEarn, bCoop} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	})
	s := &Store{db: db, payers: map[ledger.Hash]*Payer{}, payees: map[ledger.Hash]*Payee{}, debts: map[keys.Address]*debt{},
		frozen: map[ledger.Hash]bool{}}
	if err == nil {
		err = db.View(s.loadFrozen)
	}
	if err != nil {
		db.Close()
		return nil, status.Wrap(status.NoDb, err, "init channel store %s", path)
	}
	return s, nil
}

// Close closes the database. Payers and Payees of the store fail with ErrClosed afterwards.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	err := s.db.Update(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return status.Wrap(status.NoDb, ErrClosed, "channel store")
	}
	return err
}

func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	err := s.db.View(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return status.Wrap(status.NoDb, ErrClosed, "channel store")
	}
	return err
}

// proof reads the proof of channel id in bucket; ok is false when there is none.
func proofIn(tx *bolt.Tx, bucket []byte, id ledger.Hash) (BalanceProof, bool, error) {
	v := tx.Bucket(bucket).Get(id[:])
	if v == nil {
		return BalanceProof{}, false, nil
	}
	p, err := ledger.DecodeBalanceProof(v)
	if err != nil {
		return BalanceProof{}, false, status.Wrap(status.NoDb, err, "stored proof of channel %s", id)
	}
	return p, true, nil
}

// Sent returns the newest proof this node signed for channel id (ok false if none): what it has
// paid, and the proof to send again after a restart.
func (s *Store) Sent(id ledger.Hash) (p BalanceProof, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		p, ok, err = proofIn(tx, bSent, id)
		return err
	})
	return p, ok, err
}

// Received returns the newest proof this node accepted for channel id (ok false if none): the
// proof to close or update the channel with on the ledger.
func (s *Store) Received(id ledger.Hash) (p BalanceProof, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		p, ok, err = proofIn(tx, bRecv, id)
		return err
	})
	return p, ok, err
}

// Records lists the channels the store has seen, by id.
func (s *Store) Records() ([]Record, error) {
	var out []Record
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bChan).ForEach(func(k, v []byte) error {
			var r Record
			if err := msgpack.Unmarshal(v, &r); err != nil {
				return status.Wrap(status.NoDb, err, "channel record %x", k)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

func putRecord(tx *bolt.Tx, r *Record) error {
	b, err := msgpack.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode channel record: %w", err)
	}
	return tx.Bucket(bChan).Put(r.Channel.ID[:], b)
}

// Charge records that peer was served work priced at amount and has not paid for it yet. Charges
// are kept in memory: a restart forgives unpaid service (at most the caller's limit per peer),
// never money received.
func (s *Store) Charge(peer keys.Address, amount uint64) {
	s.debtMu.Lock()
	defer s.debtMu.Unlock()
	d := s.debt(peer)
	d.charged += amount
}

// Owed returns what peer has been charged and has not paid for since the store opened (0 when it
// has paid ahead).
func (s *Store) Owed(peer keys.Address) uint64 {
	s.debtMu.Lock()
	defer s.debtMu.Unlock()
	d := s.debt(peer)
	if d.paid >= d.charged {
		return 0
	}
	return d.charged - d.paid
}

// OverLimit reports whether peer owes more than limit: a holder stops serving it until it pays.
func (s *Store) OverLimit(peer keys.Address, limit uint64) bool { return s.Owed(peer) > limit }

// debt returns peer's debt record; s.debtMu is held.
func (s *Store) debt(peer keys.Address) *debt {
	d := s.debts[peer]
	if d == nil {
		d = &debt{}
		s.debts[peer] = d
	}
	return d
}

func (s *Store) paid(peer keys.Address, amount uint64) {
	s.debtMu.Lock()
	defer s.debtMu.Unlock()
	s.debt(peer).paid += amount
}

// Earning is what one peer paid this node for one file (FileHash empty: payments accepted
// without a file).
type Earning struct {
	Peer     keys.Address `json:"peer"`
	FileHash []byte       `json:"file_hash"`
	Amount   uint64       `json:"amount"`
}

func earnKey(peer keys.Address, file []byte) []byte {
	return append(bytes.Clone(peer[:]), file...)
}

// Earnings lists what each peer paid for each file, by peer then file hash.
func (s *Store) Earnings() ([]Earning, error) {
	var out []Earning
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bEarn).ForEach(func(k, v []byte) error {
			if len(k) < len(keys.Address{}) || len(v) != 8 {
				return status.Wrap(status.NoDb, errors.New("malformed earnings record"), "earnings %x", k)
			}
			out = append(out, Earning{Peer: keys.Address(k[:20]), FileHash: bytes.Clone(k[20:]), Amount: binary.BigEndian.Uint64(v)})
			return nil
		})
	})
	return out, err
}

// EarnedFrom returns what peer has paid this node in total.
func (s *Store) EarnedFrom(peer keys.Address) (uint64, error) {
	es, err := s.Earnings()
	var sum uint64
	for _, e := range es {
		if e.Peer == peer {
			sum += e.Amount
		}
	}
	return sum, err
}

// EarnedFor returns what every peer has paid this node for file in total.
func (s *Store) EarnedFor(file []byte) (uint64, error) {
	es, err := s.Earnings()
	var sum uint64
	for _, e := range es {
		if bytes.Equal(e.FileHash, file) {
			sum += e.Amount
		}
	}
	return sum, err
}

// PeerTotals sums Earnings per peer, by peer address.
func PeerTotals(es []Earning) []Earning {
	m := map[keys.Address]uint64{}
	for _, e := range es {
		m[e.Peer] += e.Amount
	}
	out := make([]Earning, 0, len(m))
	for p, a := range m {
		out = append(out, Earning{Peer: p, Amount: a})
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Peer[:], out[j].Peer[:]) < 0 })
	return out
}

func addEarning(tx *bolt.Tx, peer keys.Address, file []byte, amount uint64) error {
	b := tx.Bucket(bEarn)
	k := earnKey(peer, file)
	var cur uint64
	if v := b.Get(k); len(v) == 8 {
		cur = binary.BigEndian.Uint64(v)
	}
	return b.Put(k, binary.BigEndian.AppendUint64(nil, cur+amount))
}
