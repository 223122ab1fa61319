package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BeginReceive implements FS.
func (s *Store) BeginReceive(ctx context.Context, fileHash Hash) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.noteRoot(fileHash)
	err := s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFiles).Get(fileHash[:]) != nil {
			return nil
		}
		return putFile(tx, FileInfo{
			FileHash: fileHash,
			State:    StatePartial,
			Added:    time.Now().UTC().Truncate(time.Second),
		})
	})
	if err != nil {
		return putFailed(err, "begin receive %s", fileHash)
	}
	return nil
}

// Missing implements FS.
func (s *Store) Missing(ctx context.Context, fileHash Hash) ([]Hash, error) {
	var (
		missing  []Hash
		complete bool
	)
	err := s.view(func(tx *bolt.Tx) error {
		fi, err := getFile(tx, fileHash)
		if err != nil {
			return err
		}
		if fi.State == StateComplete {
			complete = true
			return nil
		}
		seen := map[Hash]struct{}{}
		return walkTree(tx, fileHash, func(n treeNode) error {
			if _, dup := seen[n.hash]; !n.present && !dup {
				seen[n.hash] = struct{}{}
				missing = append(missing, n.hash)
			}
			return ctx.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("missing blocks of %s: %w", fileHash, err)
	}
	if complete || len(missing) > 0 {
		return missing, nil
	}
	if err := s.completeReceive(fileHash); err != nil {
		return nil, fmt.Errorf("missing blocks of %s: %w", fileHash, err)
	}
	return nil, nil
}

// completeReceive checks, in one write transaction, that every block of a partial file is
// stored and its tree is valid, and turns the record into a complete one.
func (s *Store) completeReceive(fileHash Hash) error {
	err := s.update(func(tx *bolt.Tx) error {
		fi, err := getFile(tx, fileHash)
		if err != nil || fi.State == StateComplete {
			return err
		}
		var mk Merkle
		fi.LinkBlocks = 0
		err = walkTree(tx, fileHash, func(n treeNode) error {
			switch {
			case !n.present:
				return fmt.Errorf("block %s: %w", n.hash, ErrFileIncomplete)
			case n.hash == fileHash:
				fi.Size = n.size
				fi.LinkBlocks++
			case n.level == 0:
				mk.Add(n.hash)
			default:
				fi.LinkBlocks++
			}
			return nil
		})
		if err != nil {
			return err
		}
		fi.State, fi.BlocksRoot, fi.Blocks = StateComplete, mk.Root(), mk.Len()
		return putFile(tx, fi)
	})
	if err != nil {
		return putFailed(err, "complete %s", fileHash)
	}
	return nil
}
