//go:build linux

package store

import (
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// dropMapped tells the kernel this process no longer needs the pages of the database mapping
// it has touched (MADV_DONTNEED). The mapping is shared and read-only, so the data stays in the
// page cache and is faulted in again on the next read; what goes is the resident set that
// streaming a large file through the mapping would otherwise build up. The read transaction
// keeps bbolt from remapping meanwhile.
func (s *Store) dropMapped() {
	_ = s.view(func(tx *bolt.Tx) error {
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, s.db.Info().Data, uintptr(tx.Size()), unix.MADV_DONTNEED)
		return nil
	})
}

// dropMappedTx drops the mapped pages while tx (read or write) pins the mapping.
func dropMappedTx(tx *bolt.Tx) {
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, tx.DB().Info().Data, uintptr(tx.Size()), unix.MADV_DONTNEED)
}
