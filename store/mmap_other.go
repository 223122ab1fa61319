//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// dropMapped does nothing where MADV_DONTNEED is not used.
func (s *Store) dropMapped() {}

// dropMappedTx does nothing where MADV_DONTNEED is not used.
func dropMappedTx(*bolt.Tx) {}
