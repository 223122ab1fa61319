package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"dsp/status"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. See docs/store.md, "Bucket layout".
var (
	bucketBlocks = []byte("blocks") // hash -> segment || sequence number (u64s, big-endian)
	bucketData   = []byte("data")   // segment -> (sequence number -> block bytes)
	bucketMeta   = []byte("meta")   // hash || key -> auxiliary value
	bucketFiles  = []byte("files")  // file hash -> fileRecord (JSON)
	bucketInfo   = []byte("info")   // "version" -> store format version
)

// storeVersion is the on-disk format version kept in the info bucket. Version 1 stores (every
// block directly under the data bucket) are read as they are and become version 2 when opened:
// their blocks stay where they are, new blocks go into segments (see blocks.go).
const storeVersion = "2"

// Options tune a Store. The zero value gives the defaults.
type Options struct {
	// OpenTimeout bounds the wait for another process's lock on the database file. Zero waits
	// one second.
	OpenTimeout time.Duration
	// BatchBytes is the most block bytes AddFile and PutBlocks commit in one transaction. Zero
	// means DefaultBatchBytes. Memory held by AddFile is about three batches.
	BatchBytes int
	// GCBatch is how many block keys one sweep transaction of GarbageCollect examines. Zero
	// means DefaultGCBatch. The write lock is released between batches.
	GCBatch int
}

// Defaults of Options.
const (
	DefaultBatchBytes = 8 << 20
	DefaultGCBatch    = 1024
)

// Store is the bbolt implementation of FS. All methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	opts Options

	gcMu sync.Mutex // held for the whole of one GarbageCollect

	reads atomic.Uint64 // blocks read by GetBlock and AppendBlock, to drop mapped pages now and then
	group grouper       // overlapping PutBlocks and PutChecked calls share transactions

	mu     sync.Mutex // guards the fields below
	closed bool
	pins   map[*pinSet]struct{} // blocks of AddFiles in progress
	gc     *gcRun               // non-nil while a GarbageCollect runs
}

// pinSet holds the hashes one AddFile has written or found before its file record exists.
type pinSet struct{ m map[Hash]struct{} }

// Open opens (creating if needed) the store kept in the bbolt file path. The parent directory is
// created with mode 0700.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.OpenTimeout == 0 {
		o.OpenTimeout = time.Second
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.GCBatch <= 0 {
		o.GCBatch = DefaultGCBatch
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        o.OpenTimeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketBlocks, bucketData, bucketMeta, bucketFiles, bucketInfo} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		info := tx.Bucket(bucketInfo)
		if v := info.Get([]byte("version")); v != nil && string(v) != storeVersion && string(v) != "1" {
			return fmt.Errorf("store format version %q, want %q", v, storeVersion)
		}
		return info.Put([]byte("version"), []byte(storeVersion))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{db: db, opts: o, pins: map[*pinSet]struct{}{}}, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.db.Path() }

// Close closes the store, waiting for transactions in flight. Operations after Close fail with
// ErrClosed (writes also carry FS_PUT_BLOCK_FAILED). Close may be called more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return s.db.Close()
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// view runs fn in a read transaction, mapping a closed database to ErrClosed.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	if s.isClosed() {
		return ErrClosed
	}
	err := s.db.View(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// update runs fn in a write transaction, mapping a closed database to ErrClosed.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if s.isClosed() {
		return ErrClosed
	}
	err := s.db.Update(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// putFailed wraps a write error with FS_PUT_BLOCK_FAILED.
func putFailed(err error, format string, a ...any) error {
	return status.Wrap(status.TaskFsPutBlockFailed, err, format, a...)
}

// protect records hashes as needed by a write in progress, before the write commits: in the
// AddFile's pin set p (if any) and, while a collection runs, in its protected set.
func (s *Store) protect(p *pinSet, hs ...Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hs {
		if p != nil {
			p.m[h] = struct{}{}
		}
		if s.gc != nil {
			s.gc.protected[h] = struct{}{}
		}
	}
}

// noteRoot tells a running collection that a file record for root is about to be written, so
// it marks that tree too.
func (s *Store) noteRoot(root Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gc != nil {
		s.gc.lateRoots = append(s.gc.lateRoots, root)
	}
}

func (s *Store) newPins() *pinSet {
	p := &pinSet{m: map[Hash]struct{}{}}
	s.mu.Lock()
	s.pins[p] = struct{}{}
	s.mu.Unlock()
	return p
}

func (s *Store) releasePins(p *pinSet) {
	s.mu.Lock()
	delete(s.pins, p)
	s.mu.Unlock()
}

// FileState says whether all of a file's blocks are stored.
type FileState string

// File states.
const (
	// StateComplete: every block of the file is stored and the tree is valid.
	StateComplete FileState = "complete"
	// StatePartial: the file is being received; Missing says which blocks are still needed.
	StatePartial FileState = "partial"
)

// FileInfo describes a stored file.
type FileInfo struct {
	// FileHash is the hash of the root link block.
	FileHash Hash `json:"fileHash"`
	// BlocksRoot is the Merkle root over the data block hashes (see BlocksRoot); zero while the
	// file is partial.
	BlocksRoot Hash `json:"blocksRoot"`
	// Size is the file's size in bytes (of the stored bytes: ciphertext if encrypted); zero
	// while a partial file's root block has not arrived.
	Size uint64 `json:"size"`
	// Blocks is the number of data blocks; LinkBlocks the number of link blocks, root included.
	Blocks     uint64 `json:"blocks"`
	LinkBlocks uint64 `json:"linkBlocks"`
	// State is complete or partial.
	State FileState `json:"state"`
	// Name is the name given to AddFile, if any.
	Name string `json:"name,omitempty"`
	// Encrypted is true when AddFile encrypted the content with a password.
	Encrypted bool `json:"encrypted,omitempty"`
	// Added is when the file record was first written.
	Added time.Time `json:"added"`
}

// getFile reads the record of fileHash in tx.
func getFile(tx *bolt.Tx, fileHash Hash) (FileInfo, error) {
	v := tx.Bucket(bucketFiles).Get(fileHash[:])
	if v == nil {
		return FileInfo{}, fmt.Errorf("file %s: %w", fileHash, ErrFileNotFound)
	}
	var fi FileInfo
	if err := json.Unmarshal(v, &fi); err != nil {
		return FileInfo{}, fmt.Errorf("file %s: record: %w", fileHash, err)
	}
	fi.FileHash = fileHash
	return fi, nil
}

func putFile(tx *bolt.Tx, fi FileInfo) error {
	v, err := json.Marshal(fi)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketFiles).Put(fi.FileHash[:], v)
}
