package store

import (
	"context"
	"io"
)

// FS is the spec's FS API: what a storage node and a client keep their files in. Store
// implements it on bbolt. Every method is safe for concurrent use, including GarbageCollect with
// everything else. Errors of writes carry FS_PUT_BLOCK_FAILED (50038).
type FS interface {
	// AddFile chunks r into blocks, stores them with the file's link tree and returns the
	// file's description. It streams: memory does not grow with the file. With
	// AddOptions.Password the content is encrypted before chunking (see NewEncryptReader).
	// If AddFile fails or ctx ends, no file record is written; blocks already written are
	// garbage for the next GarbageCollect.
	AddFile(ctx context.Context, r io.Reader, opts AddOptions) (FileInfo, error)
	// DeleteFile removes the file record (complete or partial). Its blocks stay until a
	// GarbageCollect finds them unreferenced.
	DeleteFile(ctx context.Context, fileHash Hash) error
	// File returns the record of one file, or ErrFileNotFound.
	File(ctx context.Context, fileHash Hash) (FileInfo, error)
	// Files lists every file, complete and partial, ordered by file hash.
	Files(ctx context.Context) ([]FileInfo, error)
	// OpenFile returns the whole content of a complete file. Every block is verified against
	// its hash before any of its bytes are returned; a bad block ends the stream with an error
	// wrapping ErrCorruptBlock that names the hash. The caller must Close the reader.
	OpenFile(ctx context.Context, fileHash Hash) (io.ReadCloser, error)
	// OpenFileDecrypted is OpenFile of a file AddFile encrypted, decrypted with password; a
	// wrong password fails before any output with DECRYPT_WRONG_PASSWORD (50046).
	OpenFileDecrypted(ctx context.Context, fileHash Hash, password []byte) (io.ReadCloser, error)
	// GetBlockHashesOfFile returns the hashes of every block of a complete file, link and data,
	// each once, in level order: the root first, then each level's link blocks, then the data
	// blocks in file order. This is the order a sender should send blocks in.
	GetBlockHashesOfFile(ctx context.Context, fileHash Hash) ([]Hash, error)
	// DataBlockHashes returns the data block hashes of a complete file in file order, one per
	// index (duplicates included): index i is the i-th BlockSize bytes of the file.
	DataBlockHashes(ctx context.Context, fileHash Hash) ([]Hash, error)
	// DataBlockHash returns the hash of data block index of a complete file, reading only the
	// link blocks on its path.
	DataBlockHash(ctx context.Context, fileHash Hash, index uint64) (Hash, error)
	// PutBlock stores one block after checking that data hashes to hash. Storing a block that
	// is already stored is a no-op. A block that no file record reaches is garbage for the next
	// GarbageCollect: a receiver calls BeginReceive before putting a file's blocks.
	PutBlock(ctx context.Context, hash Hash, data []byte) error
	// PutBlocks stores several blocks in one transaction, each checked like PutBlock.
	PutBlocks(ctx context.Context, blocks []Block) error
	// PutChecked stores blocks that Check has already verified, in one transaction, without
	// hashing them again: a receiver that checks each block on arrival hashes it once.
	PutChecked(ctx context.Context, blocks []Checked) error
	// GetBlock returns a copy of a block after verifying its hash: ErrBlockNotFound if absent,
	// ErrCorruptBlock if its bytes changed on disk.
	GetBlock(ctx context.Context, hash Hash) ([]byte, error)
	// AppendBlock is GetBlock appending the verified block to dst (which may be a reused
	// buffer): it returns dst extended by the block, or dst unchanged and the error.
	AppendBlock(ctx context.Context, dst []byte, hash Hash) ([]byte, error)
	// HasBlock reports whether a block is stored (without verifying it).
	HasBlock(ctx context.Context, hash Hash) (bool, error)
	// BeginReceive records a partial file expected to arrive block by block (PutBlock) in any
	// order. It is a no-op for a file already recorded, partial or complete.
	BeginReceive(ctx context.Context, fileHash Hash) error
	// Missing returns the blocks of a file that are needed and not stored yet, as far as they
	// are known: a child is known once its parent link block is stored, so a sender sends the
	// root first and then level by level. When nothing is missing the file is validated,
	// becomes complete and Missing returns an empty list. A complete file has nothing missing.
	Missing(ctx context.Context, fileHash Hash) ([]Hash, error)
	// PutBlockMeta stores value under (hash, key) beside a stored block, replacing any previous
	// value. It is removed when the block is collected.
	PutBlockMeta(ctx context.Context, hash Hash, key string, value []byte) error
	// GetBlockMeta returns the value stored under (hash, key), or ErrMetaNotFound.
	GetBlockMeta(ctx context.Context, hash Hash, key string) ([]byte, error)
	// GarbageCollect removes every block that no file (complete, partial, or being added right
	// now) references, in batches, releasing the write lock between them.
	GarbageCollect(ctx context.Context) (GCStats, error)
	// Close releases the store; later calls fail with ErrClosed.
	Close() error
}

// Block is a block and its hash, for PutBlocks.
type Block struct {
	Hash Hash
	Data []byte
}

// Checked is a block whose bytes Check has hashed and found equal to its hash and no larger than
// MaxBlockSize. It is made only by Check. The caller must not modify Data afterwards: PutChecked
// stores the bytes as they are then.
type Checked struct {
	hash Hash
	data []byte
}

// Check verifies that data hashes to hash and is at most MaxBlockSize bytes, and returns it as a
// Checked for PutChecked. A mismatch wraps ErrHashMismatch, an oversized block ErrBlockTooLarge,
// both with FS_PUT_BLOCK_FAILED.
func Check(hash Hash, data []byte) (Checked, error) {
	if len(data) > MaxBlockSize {
		return Checked{}, putFailed(ErrBlockTooLarge, "block %s: %d bytes", hash, len(data))
	}
	if Sum(data) != hash {
		return Checked{}, putFailed(ErrHashMismatch, "block %s", hash)
	}
	return Checked{hash: hash, data: data}, nil
}

// Hash is the checked block's hash.
func (c Checked) Hash() Hash { return c.hash }

// Data is the checked block's bytes.
func (c Checked) Data() []byte { return c.data }

// AddOptions tune AddFile.
type AddOptions struct {
	// Name is kept in the file record for people; it plays no part in the file hash.
	Name string
	// Password, if not empty, encrypts the content before chunking (see NewEncryptReader).
	Password []byte
}

var _ FS = (*Store)(nil)
