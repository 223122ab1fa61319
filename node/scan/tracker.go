// Package scan is the SCAN role: a tracker of which accounts hold which files (the spec's
// Torrent announces) and of the host addresses accounts registered (the spec's Endpoint), with
// expiry, kept in bbolt, synchronized between SCAN nodes by pulling pages of changes. Tracker is
// the state, Handler answers request payloads, Client asks a SCAN node through a RoundTripper, and
// Service mounts the role on a node.Host. docs/sharing.md describes the role.
package scan

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/node"
	"dsp/status"
	"dsp/wire"
)

// Defaults and bounds of the tracker.
const (
	DefaultHolderTTL   = 30 * time.Minute // a holder entry lives this long after its announce
	DefaultEndpointTTL = time.Hour        // an endpoint lives this long after its registration
	DefaultMaxSkew     = time.Minute      // synced records stamped further ahead are refused
	DefaultPeers       = 64               // holders in a PeersReply when the request says 0
	MaxPeers           = 256              // the most holders a PeersReply carries
	DefaultSyncPage    = 256              // records in a SyncReply when the request says 0
	MaxSyncPage        = 1024             // the most records a SyncReply carries
	MaxHashLen         = 64               // the longest file hash accepted
	MaxAddrs           = 8                // addresses per announce, and live endpoints per account
	MaxAddrLen         = 256              // the longest host address accepted
)

// Config configures a Tracker. Only Path is required.
type Config struct {
	// Path is the bbolt file (e.g. DIR/scan.db), created if absent.
	Path string
	// HolderTTL and EndpointTTL are how long an announce and an endpoint registration stay live
	// (defaults DefaultHolderTTL, DefaultEndpointTTL). Re-announcing refreshes the entry.
	HolderTTL, EndpointTTL time.Duration
	// MaxSkew bounds how far in the future a synced record's Updated may be (default
	// DefaultMaxSkew).
	MaxSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Tracker is the SCAN table: file hash -> holders and account -> endpoints, with expiry, in one
// bbolt file. Every local change gets the next change sequence number, which Changes pages
// through and another node's Pull follows. Its methods are safe for concurrent use. Expired
// entries are never returned and are deleted by Sweep.
type Tracker struct {
	db    *bolt.DB
	cfg   Config
	epoch uint64
}

var (
	bHolders   = []byte("holders")   // len(hash) || hash || account -> stored
	bEndpoints = []byte("endpoints") // account || hostPort -> stored
	bSeq       = []byte("seq")       // u64 seq -> kind || key
	bMeta      = []byte("meta")      // "seq" -> u64; "cursor/" || account -> u64
	kSeq       = []byte("seq")
	kEpoch     = []byte("epoch")
)

const (
	kindHolder   byte = 1
	kindEndpoint byte = 2
)

// stored is a table value: the record and its current change sequence number.
type stored struct {
	Seq      uint64
	Holder   *Holder
	Endpoint *EndpointRecord
}

// Open opens (or creates) the tracker file at cfg.Path. The caller closes it after the Service
// using it has stopped.
func Open(cfg Config) (*Tracker, error) {
	if cfg.Path == "" {
		return nil, status.New(status.InvalidParams, "scan: no tracker path")
	}
	if cfg.HolderTTL <= 0 {
		cfg.HolderTTL = DefaultHolderTTL
	}
	if cfg.EndpointTTL <= 0 {
		cfg.EndpointTTL = DefaultEndpointTTL
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, status.Wrap(status.NoDb, err, "open scan tracker %s", cfg.Path)
	}
	var epoch uint64
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bHolders, bEndpoints, bSeq, bMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if v := meta.Get(kEpoch); len(v) == 8 {
			epoch = binary.BigEndian.Uint64(v)
			return nil
		}
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		b[7] |= 1 // never zero
		epoch = binary.BigEndian.Uint64(b[:])
		return meta.Put(kEpoch, b[:])
	})
	if err != nil {
		db.Close()
		return nil, status.Wrap(status.NoDb, err, "init scan tracker %s", cfg.Path)
	}
	return &Tracker{db: db, cfg: cfg, epoch: epoch}, nil
}

// Close closes the file. Calls after Close fail with ErrClosed.
func (t *Tracker) Close() error { return t.db.Close() }

// HolderTTL returns how long an announce stays live.
func (t *Tracker) HolderTTL() time.Duration { return t.cfg.HolderTTL }

// EndpointTTL returns how long an endpoint registration stays live.
func (t *Tracker) EndpointTTL() time.Duration { return t.cfg.EndpointTTL }

func malformed(f string, a ...any) error {
	return status.Wrap(status.InvalidParams, ErrMalformed, f, a...)
}

func dbErr(err error, f string, a ...any) error {
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		err = fmt.Errorf("%w: %v", ErrClosed, err)
	}
	var se *status.Error
	if errors.As(err, &se) {
		return err
	}
	return status.Wrap(status.InternalError, err, f, a...)
}

// checkAddr validates one host address: scheme://address, at most MaxAddrLen bytes.
func checkAddr(a string) error {
	if len(a) == 0 || len(a) > MaxAddrLen {
		return malformed("host address of %d bytes, want 1-%d", len(a), MaxAddrLen)
	}
	if _, _, err := node.SplitURL(a); err != nil {
		return malformed("host address %q: %v", a, err)
	}
	return nil
}

func checkHash(h []byte) error {
	if len(h) == 0 || len(h) > MaxHashLen {
		return malformed("file hash of %d bytes, want 1-%d", len(h), MaxHashLen)
	}
	return nil
}

func checkAddrs(as []string) error {
	if len(as) > MaxAddrs {
		return malformed("%d host addresses, at most %d", len(as), MaxAddrs)
	}
	for _, a := range as {
		if err := checkAddr(a); err != nil {
			return err
		}
	}
	return nil
}

// EncodePeerInfo returns the bytes a Torrent's PeerInfo carries.
func EncodePeerInfo(p PeerInfo) []byte {
	b, err := wire.EncodePayload(&p)
	if err != nil {
		panic(fmt.Sprintf("scan: encode peer info: %v", err)) // a struct of strings always encodes
	}
	return b
}

// DecodePeerInfo parses a Torrent's PeerInfo; empty bytes are an empty PeerInfo.
func DecodePeerInfo(b []byte) (PeerInfo, error) {
	var p PeerInfo
	if len(b) == 0 {
		return p, nil
	}
	if len(b) > 4096 {
		return p, malformed("peer info of %d bytes", len(b))
	}
	if err := msgpack.Unmarshal(b, &p); err != nil {
		return p, malformed("peer info: %v", err)
	}
	return p, nil
}

// NewTorrent builds the Torrent announcing that account holds fileHash, missing left blocks, and
// serves it on addrs (none: the address it connects from).
func NewTorrent(fileHash []byte, left uint64, typ HolderType, account keys.Address, addrs ...string) *Torrent {
	var pi []byte
	if !account.IsZero() || len(addrs) > 0 {
		p := PeerInfo{HostPorts: addrs}
		if !account.IsZero() {
			p.WalletAddr = account.String()
		}
		pi = EncodePeerInfo(p)
	}
	return &Torrent{InfoHash: bytes.Clone(fileHash), Left: left, PeerInfo: pi, Type: int32(typ)}
}

// sameAccount checks that a wallet address named in a message, if any, is the sender's.
func sameAccount(from keys.Address, wallet string) error {
	if wallet == "" {
		return nil
	}
	a, err := keys.ParseAddress(wallet)
	if err != nil {
		return status.Wrap(status.InvalidWalletAddress, ErrMalformed, "wallet address %q: %v", wallet, err)
	}
	if a != from {
		return status.Wrap(status.InvalidWalletAddress, ErrNotYours, "%s may not announce for %s", from, a)
	}
	return nil
}

// Announce records that from holds tr.InfoHash. The holder is always from: a PeerInfo naming
// another account is refused with ErrNotYours (INVALID_WALLET_ADDRESS). The addresses are the
// PeerInfo's, or fallback (the URL the sender connected from) when it lists none. Announcing again
// replaces the entry and restarts its TTL. It returns the stored entry.
func (t *Tracker) Announce(from keys.Address, tr *Torrent, fallback string) (Holder, error) {
	if err := checkHash(tr.InfoHash); err != nil {
		return Holder{}, err
	}
	typ := HolderType(tr.Type)
	if typ != Seeder && typ != Leecher && typ != FSNode {
		return Holder{}, malformed("holder type %d", tr.Type)
	}
	pi, err := DecodePeerInfo(tr.PeerInfo)
	if err != nil {
		return Holder{}, err
	}
	if err := sameAccount(from, pi.WalletAddr); err != nil {
		return Holder{}, err
	}
	addrs := pi.HostPorts
	if len(addrs) == 0 && fallback != "" {
		addrs = []string{fallback}
	}
	if err := checkAddrs(addrs); err != nil {
		return Holder{}, err
	}
	now := t.cfg.Now()
	h := Holder{FileHash: bytes.Clone(tr.InfoHash), Account: from, Addrs: addrs, Left: tr.Left, Type: typ,
		Updated: now.UnixNano(), Expires: now.Add(t.cfg.HolderTTL).UnixNano()}
	err = t.db.Update(func(tx *bolt.Tx) error {
		key := holderKey(h.FileHash, from)
		if old, ok := getStored(tx.Bucket(bHolders), key); ok && old.Holder != nil && old.Holder.Updated >= h.Updated {
			h.Updated = old.Holder.Updated + 1 // a local announce always supersedes what it replaces
		}
		return putRecord(tx, kindHolder, key, &stored{Holder: &h})
	})
	if err != nil {
		return Holder{}, dbErr(err, "announce %x by %s", h.FileHash, from)
	}
	return h, nil
}

// Register records e.HostPort as an address of from. e.WalletAddr must be from (ErrNotYours
// otherwise). An account keeps at most MaxAddrs live addresses; registering another drops its
// least recently registered one. Registering an address again restarts its TTL.
func (t *Tracker) Register(from keys.Address, e *Endpoint) (EndpointRecord, error) {
	if e.WalletAddr == "" {
		return EndpointRecord{}, status.Wrap(status.InvalidWalletAddress, ErrMalformed, "endpoint without a wallet address")
	}
	if err := sameAccount(from, e.WalletAddr); err != nil {
		return EndpointRecord{}, err
	}
	if err := checkAddr(e.HostPort); err != nil {
		return EndpointRecord{}, err
	}
	if e.Type < int32(EndpointClient) || e.Type > int32(EndpointLedger) {
		return EndpointRecord{}, malformed("endpoint type %d", e.Type)
	}
	now := t.cfg.Now()
	r := EndpointRecord{Account: from, HostPort: e.HostPort, Type: EndpointType(e.Type),
		Updated: now.UnixNano(), Expires: now.Add(t.cfg.EndpointTTL).UnixNano()}
	err := t.db.Update(func(tx *bolt.Tx) error {
		key := endpointKey(from, r.HostPort)
		if old, ok := getStored(tx.Bucket(bEndpoints), key); ok && old.Endpoint != nil && old.Endpoint.Updated >= r.Updated {
			r.Updated = old.Endpoint.Updated + 1
		}
		if err := putRecord(tx, kindEndpoint, key, &stored{Endpoint: &r}); err != nil {
			return err
		}
		return t.capEndpoints(tx, from)
	})
	if err != nil {
		return EndpointRecord{}, dbErr(err, "register endpoint of %s", from)
	}
	return r, nil
}

// capEndpoints deletes a's oldest addresses beyond MaxAddrs.
func (t *Tracker) capEndpoints(tx *bolt.Tx, a keys.Address) error {
	b := tx.Bucket(bEndpoints)
	type kr struct {
		key []byte
		upd int64
	}
	var all []kr
	c := b.Cursor()
	for k, v := c.Seek(a[:]); k != nil && bytes.HasPrefix(k, a[:]); k, v = c.Next() {
		s, err := decodeStored(v)
		if err != nil || s.Endpoint == nil {
			continue
		}
		all = append(all, kr{bytes.Clone(k), s.Endpoint.Updated})
	}
	if len(all) <= MaxAddrs {
		return nil
	}
	sort.Slice(all, func(i, j int) bool { return all[i].upd > all[j].upd })
	for _, e := range all[MaxAddrs:] {
		if err := deleteRecord(tx, bEndpoints, e.key); err != nil {
			return err
		}
	}
	return nil
}

// Holders returns the live holders of fileHash, at most max (0 = DefaultPeers, capped at
// MaxPeers): those missing the fewest blocks first, then the most recently announced.
func (t *Tracker) Holders(fileHash []byte, max int) ([]Holder, error) {
	if err := checkHash(fileHash); err != nil {
		return nil, err
	}
	if max <= 0 {
		max = DefaultPeers
	}
	max = min(max, MaxPeers)
	now := t.cfg.Now().UnixNano()
	var out []Holder
	err := t.db.View(func(tx *bolt.Tx) error {
		prefix := holderPrefix(fileHash)
		c := tx.Bucket(bHolders).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			s, err := decodeStored(v)
			if err != nil || s.Holder == nil || s.Holder.Expires <= now {
				continue
			}
			out = append(out, *s.Holder)
		}
		return nil
	})
	if err != nil {
		return nil, dbErr(err, "holders of %x", fileHash)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Left != b.Left {
			return a.Left < b.Left
		}
		if a.Updated != b.Updated {
			return a.Updated > b.Updated
		}
		return bytes.Compare(a.Account[:], b.Account[:]) < 0
	})
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// Endpoints returns a's live addresses, the most recently registered first.
func (t *Tracker) Endpoints(a keys.Address) ([]EndpointRecord, error) {
	now := t.cfg.Now().UnixNano()
	var out []EndpointRecord
	err := t.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEndpoints).Cursor()
		for k, v := c.Seek(a[:]); k != nil && bytes.HasPrefix(k, a[:]); k, v = c.Next() {
			s, err := decodeStored(v)
			if err != nil || s.Endpoint == nil || s.Endpoint.Expires <= now {
				continue
			}
			out = append(out, *s.Endpoint)
		}
		return nil
	})
	if err != nil {
		return nil, dbErr(err, "endpoints of %s", a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Updated != out[j].Updated {
			return out[i].Updated > out[j].Updated
		}
		return out[i].HostPort < out[j].HostPort
	})
	return out, nil
}

// Changes returns the live records whose latest change has a sequence number above since, in
// change order, at most limit of them (0 = DefaultSyncPage, capped at MaxSyncPage). Next is the
// cursor to pass next time (since itself when nothing changed).
func (t *Tracker) Changes(since uint64, limit int) (*SyncReply, error) {
	if limit <= 0 {
		limit = DefaultSyncPage
	}
	limit = min(limit, MaxSyncPage)
	now := t.cfg.Now().UnixNano()
	r := &SyncReply{Epoch: t.epoch, Next: since}
	err := t.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bSeq).Cursor()
		n := 0
		k, v := c.Seek(u64(since + 1))
		for ; k != nil && n < limit; k, v = c.Next() {
			r.Next = binary.BigEndian.Uint64(k)
			if len(v) < 1 {
				continue
			}
			bucket := bHolders
			if v[0] == kindEndpoint {
				bucket = bEndpoints
			}
			s, ok := getStored(tx.Bucket(bucket), v[1:])
			switch {
			case !ok:
			case s.Holder != nil && s.Holder.Expires > now:
				r.Holders = append(r.Holders, *s.Holder)
				n++
			case s.Endpoint != nil && s.Endpoint.Expires > now:
				r.Endpoints = append(r.Endpoints, *s.Endpoint)
				n++
			}
		}
		r.More = k != nil
		return nil
	})
	if err != nil {
		return nil, dbErr(err, "changes since %d", since)
	}
	return r, nil
}

// newer reports whether a record stamped (u1, e1, b1) beats one stamped (u2, e2, b2): the later
// Updated wins, then the later Expires, then the larger encoding, so every node picks the same.
func newer(u1, e1 int64, b1 []byte, u2, e2 int64, b2 []byte) bool {
	if u1 != u2 {
		return u1 > u2
	}
	if e1 != e2 {
		return e1 > e2
	}
	return bytes.Compare(b1, b2) > 0
}

// Merge applies a page pulled from another SCAN node, last writer wins by Updated. Records that
// are malformed, expired, or stamped more than MaxSkew ahead of this node's clock are skipped;
// expiries are capped at now plus the TTL. Applied records get a local sequence number, so they
// propagate further. It returns how many records it applied.
func (t *Tracker) Merge(page *SyncReply) (int, error) {
	now := t.cfg.Now()
	horizon := now.Add(t.cfg.MaxSkew).UnixNano()
	applied := 0
	err := t.db.Update(func(tx *bolt.Tx) error {
		for i := range page.Holders {
			h := page.Holders[i]
			if checkHash(h.FileHash) != nil || checkAddrs(h.Addrs) != nil || h.Account.IsZero() ||
				(h.Type != Seeder && h.Type != Leecher && h.Type != FSNode) ||
				h.Updated > horizon || h.Expires <= now.UnixNano() {
				continue
			}
			h.Expires = min(h.Expires, now.Add(t.cfg.HolderTTL).UnixNano())
			ok, err := t.mergeOne(tx, kindHolder, holderKey(h.FileHash, h.Account), &stored{Holder: &h})
			if err != nil {
				return err
			}
			if ok {
				applied++
			}
		}
		touched := map[keys.Address]bool{}
		for i := range page.Endpoints {
			e := page.Endpoints[i]
			if checkAddr(e.HostPort) != nil || e.Account.IsZero() || e.Type < EndpointClient || e.Type > EndpointLedger ||
				e.Updated > horizon || e.Expires <= now.UnixNano() {
				continue
			}
			e.Expires = min(e.Expires, now.Add(t.cfg.EndpointTTL).UnixNano())
			ok, err := t.mergeOne(tx, kindEndpoint, endpointKey(e.Account, e.HostPort), &stored{Endpoint: &e})
			if err != nil {
				return err
			}
			if ok {
				applied++
				touched[e.Account] = true
			}
		}
		for a := range touched {
			if err := t.capEndpoints(tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, dbErr(err, "merge sync page")
	}
	return applied, nil
}

func (t *Tracker) mergeOne(tx *bolt.Tx, kind byte, key []byte, s *stored) (bool, error) {
	bucket := bHolders
	if kind == kindEndpoint {
		bucket = bEndpoints
	}
	if old, ok := getStored(tx.Bucket(bucket), key); ok {
		nu, ne, ou, oe := stamps(s), stamps2(s), stamps(old), stamps2(old)
		nb, _ := wire.EncodePayload(recordOf(s))
		ob, _ := wire.EncodePayload(recordOf(old))
		if !newer(nu, ne, nb, ou, oe, ob) {
			return false, nil
		}
	}
	return true, putRecord(tx, kind, key, s)
}

func recordOf(s *stored) any {
	if s.Holder != nil {
		return s.Holder
	}
	return s.Endpoint
}

func stamps(s *stored) int64 {
	if s.Holder != nil {
		return s.Holder.Updated
	}
	if s.Endpoint != nil {
		return s.Endpoint.Updated
	}
	return 0
}

func stamps2(s *stored) int64 {
	if s.Holder != nil {
		return s.Holder.Expires
	}
	if s.Endpoint != nil {
		return s.Endpoint.Expires
	}
	return 0
}

// Sweep deletes every expired entry and returns how many it deleted.
func (t *Tracker) Sweep() (int, error) {
	now := t.cfg.Now().UnixNano()
	n := 0
	err := t.db.Update(func(tx *bolt.Tx) error {
		for _, bucket := range [][]byte{bHolders, bEndpoints} {
			var dead [][]byte
			err := tx.Bucket(bucket).ForEach(func(k, v []byte) error {
				s, err := decodeStored(v)
				if err != nil || stamps2(&s) <= now {
					dead = append(dead, bytes.Clone(k))
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range dead {
				if err := deleteRecord(tx, bucket, k); err != nil {
					return err
				}
			}
			n += len(dead)
		}
		return nil
	})
	if err != nil {
		return 0, dbErr(err, "sweep")
	}
	return n, nil
}

// Len returns how many holder and endpoint entries the file holds, expired ones included until
// the next Sweep.
func (t *Tracker) Len() (holders, endpoints int, err error) {
	err = t.db.View(func(tx *bolt.Tx) error {
		holders = tx.Bucket(bHolders).Stats().KeyN
		endpoints = tx.Bucket(bEndpoints).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, 0, dbErr(err, "count entries")
	}
	return holders, endpoints, nil
}

// Epoch identifies this tracker's table (random, fixed when the file is created).
func (t *Tracker) Epoch() uint64 { return t.epoch }

// Cursor returns the epoch and sequence number up to which this tracker has pulled source's
// changes (0, 0 if never).
func (t *Tracker) Cursor(source keys.Address) (epoch, seq uint64, err error) {
	err = t.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(cursorKey(source)); len(v) == 16 {
			epoch, seq = binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])
		}
		return nil
	})
	if err != nil {
		return 0, 0, dbErr(err, "cursor of %s", source)
	}
	return epoch, seq, nil
}

// SetCursor records that source's changes up to seq of its table epoch have been pulled.
func (t *Tracker) SetCursor(source keys.Address, epoch, seq uint64) error {
	err := t.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put(cursorKey(source), binary.BigEndian.AppendUint64(u64(epoch), seq))
	})
	if err != nil {
		return dbErr(err, "set cursor of %s", source)
	}
	return nil
}

func cursorKey(a keys.Address) []byte { return append([]byte("cursor/"), a[:]...) }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func holderPrefix(h []byte) []byte { return append([]byte{byte(len(h))}, h...) }

func holderKey(h []byte, a keys.Address) []byte { return append(holderPrefix(h), a[:]...) }

func endpointKey(a keys.Address, hostPort string) []byte {
	return append(bytes.Clone(a[:]), hostPort...)
}

func decodeStored(v []byte) (stored, error) {
	var s stored
	err := msgpack.Unmarshal(v, &s)
	return s, err
}

func getStored(b *bolt.Bucket, key []byte) (*stored, bool) {
	v := b.Get(key)
	if v == nil {
		return nil, false
	}
	s, err := decodeStored(v)
	if err != nil {
		return &stored{}, true
	}
	return &s, true
}

// putRecord stores s under key with the next sequence number, dropping the old one's index.
func putRecord(tx *bolt.Tx, kind byte, key []byte, s *stored) error {
	bucket := bHolders
	if kind == kindEndpoint {
		bucket = bEndpoints
	}
	b, seqs, meta := tx.Bucket(bucket), tx.Bucket(bSeq), tx.Bucket(bMeta)
	if old, ok := getStored(b, key); ok && old.Seq != 0 {
		if err := seqs.Delete(u64(old.Seq)); err != nil {
			return err
		}
	}
	var seq uint64
	if v := meta.Get(kSeq); len(v) == 8 {
		seq = binary.BigEndian.Uint64(v)
	}
	seq++
	s.Seq = seq
	v, err := wire.EncodePayload(s)
	if err != nil {
		return err
	}
	if err := meta.Put(kSeq, u64(seq)); err != nil {
		return err
	}
	if err := seqs.Put(u64(seq), append([]byte{kind}, key...)); err != nil {
		return err
	}
	return b.Put(key, v)
}

func deleteRecord(tx *bolt.Tx, bucket, key []byte) error {
	b := tx.Bucket(bucket)
	if old, ok := getStored(b, key); ok && old.Seq != 0 {
		if err := tx.Bucket(bSeq).Delete(u64(old.Seq)); err != nil {
			return err
		}
	}
	return b.Delete(key)
}
