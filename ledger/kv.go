package ledger

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Buckets. The state buckets (prefix "s.") are what the state root covers; the others hold the
// chain (blocks, tx index, block hashes) and bookkeeping.
var (
	bMeta      = []byte("meta")    // "genesis" -> genesis hash, "height" -> u64, "tip" -> hash
	bBlocks    = []byte("blocks")  // u64 height -> block encoding
	bBlockHash = []byte("bhash")   // u64 height -> block hash
	bTxs       = []byte("txs")     // tx hash -> txIndex encoding
	sAccounts  = []byte("s.acct")  // address -> Account
	sNodes     = []byte("s.node")  // role | address -> NodeInfo
	sFiles     = []byte("s.file")  // fileKey -> FileInfo
	sOwner     = []byte("s.owner") // address | fileKey -> empty
	sWhiteList = []byte("s.wl")    // fileKey -> WhiteList
	sContracts = []byte("s.ctr")   // fileKey | node -> Contract
	sProofs    = []byte("s.proof") // fileKey | node | u64 round -> ProofRecord
	sHeaders   = []byte("s.hdr")   // name -> Header
	sURLs      = []byte("s.url")   // "header://url" -> URLRecord
	sDue       = []byte("s.due")   // u64 deadline | fileKey | node -> 1 (contracts owing a proof by then)
	sDuty      = []byte("s.duty")  // node | fileKey -> 1 (the node's pending, active and recovering contracts)
	sChannels  = []byte("s.chan")  // channel id -> Channel
	sChanAcct  = []byte("s.chacc") // address | channel id -> 1 (the channels an account is part of)
)

var stateBuckets = [][]byte{sAccounts, sNodes, sFiles, sOwner, sWhiteList, sContracts, sProofs, sHeaders, sURLs, sDue, sDuty, sChannels, sChanAcct}

var allBuckets = append([][]byte{bMeta, bBlocks, bBlockHash, bTxs}, stateBuckets...)

// fileKey is the length-prefixed file hash, so a prefix scan of one file never reaches another.
func fileKey(h []byte) []byte { return append([]byte{byte(len(h))}, h...) }

// kv is what transaction execution reads and writes: a bolt write transaction when a block is
// applied, an overlay when the mempool checks a transaction against pending state.
type kv interface {
	get(bucket, key []byte) []byte // nil when absent; the result must not be modified
	put(bucket, key, val []byte)
	del(bucket, key []byte)
}

// boltKV runs over a bolt transaction and remembers the first write error.
type boltKV struct {
	tx  *bolt.Tx
	err error
}

func (b *boltKV) get(bucket, key []byte) []byte { return b.tx.Bucket(bucket).Get(key) }

func (b *boltKV) put(bucket, key, val []byte) {
	if b.err != nil {
		return
	}
	if err := b.tx.Bucket(bucket).Put(key, val); err != nil {
		b.err = fmt.Errorf("put %s/%x: %w", bucket, key, err)
	}
}

func (b *boltKV) del(bucket, key []byte) {
	if b.err != nil {
		return
	}
	if err := b.tx.Bucket(bucket).Delete(key); err != nil {
		b.err = fmt.Errorf("delete %s/%x: %w", bucket, key, err)
	}
}

// overlay buffers writes over a base; a nil value in writes marks a deletion.
type overlay struct {
	base   kv
	writes map[string][]byte
}

func newOverlay(base kv) *overlay { return &overlay{base: base, writes: map[string][]byte{}} }

func okey(bucket, key []byte) string { return string(bucket) + "\x00" + string(key) }

func (o *overlay) get(bucket, key []byte) []byte {
	if v, ok := o.writes[okey(bucket, key)]; ok {
		return v
	}
	return o.base.get(bucket, key)
}

func (o *overlay) put(bucket, key, val []byte) {
	o.writes[okey(bucket, key)] = append([]byte{}, val...)
}

func (o *overlay) del(bucket, key []byte) { o.writes[okey(bucket, key)] = nil }

// mergeInto copies o's writes into dst (an overlay of the same base).
func (o *overlay) mergeInto(dst *overlay) {
	for k, v := range o.writes {
		dst.writes[k] = v
	}
}

// rebase points o at a new base (the writes are kept).
func (o *overlay) rebase(base kv) { o.base = base }

// readKV reads through a read-only bolt transaction; writes are bugs.
type readKV struct{ tx *bolt.Tx }

func (r readKV) get(bucket, key []byte) []byte { return r.tx.Bucket(bucket).Get(key) }
func (r readKV) put(_, _, _ []byte)            { panic("ledger: write through a read view") }
func (r readKV) del(_, _ []byte)               { panic("ledger: write through a read view") }
