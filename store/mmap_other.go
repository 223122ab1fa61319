//go:build !linux

package store

// dropMapped does nothing where MADV_DONTNEED is not used.
func (s *Store) dropMapped() {}
