package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// GetBlock implements FS.
func (s *Store) GetBlock(ctx context.Context, hash Hash) ([]byte, error) {
	return s.AppendBlock(ctx, nil, hash)
}

// AppendBlock implements FS.
func (s *Store) AppendBlock(ctx context.Context, dst []byte, hash Hash) ([]byte, error) {
	out, err := s.appendBlock(ctx, dst, hash)
	if err != nil {
		return out, err
	}
	if Sum(out[len(dst):]) != hash {
		return dst, fmt.Errorf("get block %s: %w", hash, ErrCorruptBlock)
	}
	return out, nil
}

// AppendBlockUnverified is AppendBlock without the hash check, for a sender whose receiver checks
// every block against its hash anyway (an upload to FS nodes): a corrupt block is then refused
// over there instead of here, and the sender saves a SHA-256 pass per block.
func (s *Store) AppendBlockUnverified(ctx context.Context, dst []byte, hash Hash) ([]byte, error) {
	return s.appendBlock(ctx, dst, hash)
}

// appendBlock appends the stored bytes of block hash to dst.
func (s *Store) appendBlock(ctx context.Context, dst []byte, hash Hash) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if s.reads.Add(1)%dropEvery == 0 {
		s.dropMapped()
	}
	out := dst
	err := s.view(func(tx *bolt.Tx) error {
		v := getBlock(tx, hash)
		if v == nil {
			return ErrBlockNotFound
		}
		if dst == nil {
			out = bytes.Clone(v)
		} else {
			out = append(dst, v...)
		}
		return nil
	})
	if err != nil {
		return dst, fmt.Errorf("get block %s: %w", hash, err)
	}
	return out, nil
}

// HasBlock implements FS.
func (s *Store) HasBlock(ctx context.Context, hash Hash) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		ok = hasBlock(tx, hash)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("has block %s: %w", hash, err)
	}
	return ok, nil
}

// File implements FS.
func (s *Store) File(ctx context.Context, fileHash Hash) (FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return FileInfo{}, err
	}
	var fi FileInfo
	err := s.view(func(tx *bolt.Tx) (err error) {
		fi, err = getFile(tx, fileHash)
		return err
	})
	return fi, err
}

// Files implements FS.
func (s *Store) Files(ctx context.Context) ([]FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []FileInfo
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFiles).ForEach(func(k, _ []byte) error {
			fi, err := getFile(tx, Hash(k))
			if err != nil {
				return err
			}
			out = append(out, fi)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return out, nil
}

// DeleteFile implements FS.
func (s *Store) DeleteFile(ctx context.Context, fileHash Hash) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFiles)
		if b.Get(fileHash[:]) == nil {
			return ErrFileNotFound
		}
		return b.Delete(fileHash[:])
	})
	if err != nil {
		return fmt.Errorf("delete file %s: %w", fileHash, err)
	}
	return nil
}

// completeFile returns the record of fileHash if the file is complete.
func completeFile(tx *bolt.Tx, fileHash Hash) (FileInfo, error) {
	fi, err := getFile(tx, fileHash)
	if err != nil {
		return fi, err
	}
	if fi.State != StateComplete {
		return fi, fmt.Errorf("file %s: %w", fileHash, ErrFileIncomplete)
	}
	return fi, nil
}

// GetBlockHashesOfFile implements FS.
func (s *Store) GetBlockHashesOfFile(ctx context.Context, fileHash Hash) ([]Hash, error) {
	var out []Hash
	err := s.view(func(tx *bolt.Tx) error {
		if _, err := completeFile(tx, fileHash); err != nil {
			return err
		}
		seen := map[Hash]struct{}{}
		return walkTree(tx, fileHash, func(n treeNode) error {
			if !n.present {
				return fmt.Errorf("block %s: %w", n.hash, ErrBlockNotFound)
			}
			if _, dup := seen[n.hash]; !dup {
				seen[n.hash] = struct{}{}
				out = append(out, n.hash)
			}
			return ctx.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("block hashes of %s: %w", fileHash, err)
	}
	return out, nil
}

// DataBlockHashes implements FS.
func (s *Store) DataBlockHashes(ctx context.Context, fileHash Hash) ([]Hash, error) {
	var out []Hash
	err := s.view(func(tx *bolt.Tx) error {
		if _, err := completeFile(tx, fileHash); err != nil {
			return err
		}
		it, _, err := newDataIter(tx, fileHash)
		if err != nil {
			return err
		}
		for {
			h, _, ok, err := it.next(tx)
			if err != nil || !ok {
				return err
			}
			out = append(out, h)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("data block hashes of %s: %w", fileHash, err)
	}
	return out, nil
}

// DataBlockHash implements FS.
func (s *Store) DataBlockHash(ctx context.Context, fileHash Hash, index uint64) (Hash, error) {
	if err := ctx.Err(); err != nil {
		return Hash{}, err
	}
	var out Hash
	err := s.view(func(tx *bolt.Tx) error {
		if _, err := completeFile(tx, fileHash); err != nil {
			return err
		}
		l, err := loadLink(tx, fileHash, 0, 0)
		if err != nil {
			return err
		}
		if index >= dataBlocks(l.Size) {
			return fmt.Errorf("data block index %d of %d: %w", index, dataBlocks(l.Size), ErrBlockNotFound)
		}
		for {
			per := span(l.Level - 1)
			i := index / per
			index %= per
			c := l.Children[i]
			if l.Level == 1 {
				out = c
				return nil
			}
			if l, err = loadLink(tx, c, l.Level-1, childSize(l.Level, l.Size, i)); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return Hash{}, fmt.Errorf("data block hash of %s: %w", fileHash, err)
	}
	return out, nil
}

// OpenFile implements FS.
func (s *Store) OpenFile(ctx context.Context, fileHash Hash) (io.ReadCloser, error) {
	r := &fileReader{s: s, ctx: ctx, root: fileHash}
	err := s.view(func(tx *bolt.Tx) error {
		if _, err := completeFile(tx, fileHash); err != nil {
			return err
		}
		var err error
		r.it, _, err = newDataIter(tx, fileHash)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open file %s: %w", fileHash, err)
	}
	r.buf = make([]byte, 0, BlockSize)
	return r, nil
}

// fileReader streams a file's data blocks, one verified block at a time. Each block is read in
// its own short read transaction, so a long read never pins the database.
type fileReader struct {
	s    *Store
	ctx  context.Context
	root Hash
	it   *dataIter
	buf  []byte // the current verified block
	off  int    // bytes of buf already returned
	err  error  // sticky: io.EOF at the end
	n    int    // blocks read
}

// dropEvery is how many blocks a reader reads between dropping the mapped pages it touched.
const dropEvery = 32

// errReaderClosed is returned by Read after Close.
var errReaderClosed = errors.New("read after close")

// fill loads the next block into buf, or sets err.
func (r *fileReader) fill() {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return
	}
	r.buf, r.off = r.buf[:0], 0
	if r.n++; r.n%dropEvery == 0 {
		r.s.dropMapped()
	}
	var h Hash
	err := r.s.view(func(tx *bolt.Tx) error {
		var size uint64
		var ok bool
		var err error
		h, size, ok, err = r.it.next(tx)
		if err != nil {
			return err
		}
		if !ok {
			return io.EOF
		}
		v := getBlock(tx, h)
		if v == nil {
			return fmt.Errorf("data block %s: %w", h, ErrBlockNotFound)
		}
		if uint64(len(v)) != size {
			return fmt.Errorf("data block %s: %d bytes, want %d: %w", h, len(v), size, ErrCorruptBlock)
		}
		r.buf = append(r.buf, v...)
		return nil
	})
	switch {
	case err == io.EOF:
		r.err = io.EOF
	case err != nil:
		r.err = fmt.Errorf("read file %s: %w", r.root, err)
	case Sum(r.buf) != h:
		r.buf = r.buf[:0]
		r.err = fmt.Errorf("read file %s: data block %s: %w", r.root, h, ErrCorruptBlock)
	}
}

// Read implements io.Reader.
func (r *fileReader) Read(p []byte) (int, error) {
	for r.off == len(r.buf) {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// WriteTo implements io.WriterTo, writing each verified block with one Write.
func (r *fileReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if r.off < len(r.buf) {
			n, err := w.Write(r.buf[r.off:])
			total += int64(n)
			r.off += n
			if err != nil {
				return total, err
			}
		}
		if r.err != nil {
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		r.fill()
	}
}

// Close implements io.Closer; later reads fail.
func (r *fileReader) Close() error {
	r.buf, r.off, r.err = nil, 0, errReaderClosed
	return nil
}
