package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Blocks are kept in two buckets: an index from hash to a sequence number, and the bytes under
// that sequence number. Block bytes are therefore appended in key order, so a transaction
// writes new pages at the right edge of the data bucket instead of rewriting leaves full of
// 256 KiB values at random places (which is what hash keys would cause, doubling the bytes
// written and pulling old blocks into memory through the mmap).

func blockIndex(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket(bucketBlocks) }

// getBlock returns the stored bytes of h (valid only during tx), or nil.
func getBlock(tx *bolt.Tx, h Hash) []byte {
	seq := blockIndex(tx).Get(h[:])
	if seq == nil {
		return nil
	}
	v := tx.Bucket(bucketData).Get(seq)
	if v == nil {
		return []byte{} // the index names a missing value: treated as a corrupt, empty block
	}
	return v
}

// hasBlock reports whether h is stored.
func hasBlock(tx *bolt.Tx, h Hash) bool { return blockIndex(tx).Get(h[:]) != nil }

// putBlock stores data under h unless h is already stored. data must stay valid until tx
// commits.
func putBlock(tx *bolt.Tx, h Hash, data []byte) error {
	idx := blockIndex(tx)
	if idx.Get(h[:]) != nil {
		return nil
	}
	db := tx.Bucket(bucketData)
	db.FillPercent = 1.0 // keys only grow: pack pages full
	n, err := db.NextSequence()
	if err != nil {
		return fmt.Errorf("put block %s: %w", h, err)
	}
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], n)
	if err := db.Put(seq[:], data); err != nil {
		return fmt.Errorf("put block %s: %w", h, err)
	}
	if err := idx.Put(h[:], seq[:]); err != nil {
		return fmt.Errorf("put block %s: %w", h, err)
	}
	return nil
}

// deleteBlock removes h and its bytes.
func deleteBlock(tx *bolt.Tx, h Hash) error {
	idx := blockIndex(tx)
	seq := idx.Get(h[:])
	if seq == nil {
		return nil
	}
	if err := tx.Bucket(bucketData).Delete(seq); err != nil {
		return fmt.Errorf("delete block %s: %w", h, err)
	}
	if err := idx.Delete(h[:]); err != nil {
		return fmt.Errorf("delete block %s: %w", h, err)
	}
	return nil
}
