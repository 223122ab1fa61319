package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Blocks are kept in two buckets: an index from hash to where the bytes are, and the bytes. Each
// write transaction puts its blocks in a segment of its own: a nested bucket of the data bucket,
// keyed by a segment number that only grows, holding the blocks under sequence numbers within the
// segment. A transaction therefore writes only new pages (the segment's) plus a small header in
// the data bucket, and never rewrites the leaves holding earlier blocks: with one bucket of
// sequence keys, bbolt keeps two to four 256 KiB values per leaf and rewrites the right-most leaf,
// with the values already in it, on every commit (four times the block bytes for a commit of one
// block). Keyed by hash it would rewrite leaves at random places.
//
// An index value of 16 bytes is segment || sequence. An index value of 8 bytes is a sequence
// number directly under the data bucket (format version 1, still read and collected).

func blockIndex(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket(bucketBlocks) }

// getBlock returns the stored bytes of h (valid only during tx), or nil.
func getBlock(tx *bolt.Tx, h Hash) []byte {
	loc := blockIndex(tx).Get(h[:])
	if loc == nil {
		return nil
	}
	var v []byte
	data := tx.Bucket(bucketData)
	switch len(loc) {
	case 8:
		v = data.Get(loc)
	case 16:
		if seg := data.Bucket(loc[:8]); seg != nil {
			v = seg.Get(loc[8:])
		}
	}
	if v == nil {
		return []byte{} // the index names a missing value: treated as a corrupt, empty block
	}
	return v
}

// hasBlock reports whether h is stored.
func hasBlock(tx *bolt.Tx, h Hash) bool { return blockIndex(tx).Get(h[:]) != nil }

// blockPutter puts the blocks of one write transaction into that transaction's segment, made at
// the first block that is not stored yet.
type blockPutter struct {
	tx  *bolt.Tx
	idx *bolt.Bucket
	seg *bolt.Bucket
	key [8]byte // the segment's key in the data bucket
}

func newBlockPutter(tx *bolt.Tx) *blockPutter { return &blockPutter{tx: tx, idx: blockIndex(tx)} }

// put stores data under h unless h is already stored. data must stay valid until tx commits.
func (p *blockPutter) put(h Hash, data []byte) error {
	if p.idx.Get(h[:]) != nil {
		return nil
	}
	if p.seg == nil {
		db := p.tx.Bucket(bucketData)
		db.FillPercent = 1.0 // keys only grow: pack pages full
		n, err := db.NextSequence()
		if err != nil {
			return fmt.Errorf("put block %s: segment: %w", h, err)
		}
		binary.BigEndian.PutUint64(p.key[:], n)
		if p.seg, err = db.CreateBucket(p.key[:]); err != nil {
			return fmt.Errorf("put block %s: segment %d: %w", h, n, err)
		}
		p.seg.FillPercent = 1.0
	}
	n, err := p.seg.NextSequence()
	if err != nil {
		return fmt.Errorf("put block %s: %w", h, err)
	}
	var loc [16]byte
	copy(loc[:8], p.key[:])
	binary.BigEndian.PutUint64(loc[8:], n)
	if err := p.seg.Put(loc[8:], data); err != nil {
		return fmt.Errorf("put block %s: %w", h, err)
	}
	if err := p.idx.Put(h[:], loc[:]); err != nil {
		return fmt.Errorf("put block %s: %w", h, err)
	}
	return nil
}

// deleteBlock removes h and its bytes, and the segment that held them once it is empty.
func deleteBlock(tx *bolt.Tx, h Hash) error {
	idx := blockIndex(tx)
	loc := idx.Get(h[:])
	if loc == nil {
		return nil
	}
	data := tx.Bucket(bucketData)
	switch len(loc) {
	case 8:
		if err := data.Delete(loc); err != nil {
			return fmt.Errorf("delete block %s: %w", h, err)
		}
	case 16:
		key := append([]byte(nil), loc[:8]...)
		if seg := data.Bucket(key); seg != nil {
			if err := seg.Delete(loc[8:]); err != nil {
				return fmt.Errorf("delete block %s: %w", h, err)
			}
			if k, _ := seg.Cursor().First(); k == nil {
				if err := data.DeleteBucket(key); err != nil {
					return fmt.Errorf("delete block %s: empty segment: %w", h, err)
				}
			}
		}
	}
	if err := idx.Delete(h[:]); err != nil {
		return fmt.Errorf("delete block %s: %w", h, err)
	}
	return nil
}
