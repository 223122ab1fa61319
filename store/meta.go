package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// metaKey is the meta bucket key of (hash, key): the hash followed by the key's bytes.
func metaKey(hash Hash, key string) []byte {
	k := make([]byte, 0, HashSize+len(key))
	return append(append(k, hash[:]...), key...)
}

// PutBlockMeta implements FS. The block must be stored (ErrBlockNotFound otherwise).
func (s *Store) PutBlockMeta(ctx context.Context, hash Hash, key string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.update(func(tx *bolt.Tx) error {
		if !hasBlock(tx, hash) {
			return ErrBlockNotFound
		}
		return tx.Bucket(bucketMeta).Put(metaKey(hash, key), value)
	})
	if err != nil {
		return putFailed(err, "put meta %q of block %s", key, hash)
	}
	return nil
}

// GetBlockMeta implements FS.
func (s *Store) GetBlockMeta(ctx context.Context, hash Hash, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(metaKey(hash, key))
		if v == nil {
			return ErrMetaNotFound
		}
		out = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get meta %q of block %s: %w", key, hash, err)
	}
	return out, nil
}

// deleteMeta removes every meta value of hash.
func deleteMeta(tx *bolt.Tx, hash Hash) error {
	b := tx.Bucket(bucketMeta)
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(hash[:]); k != nil && bytes.HasPrefix(k, hash[:]); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
