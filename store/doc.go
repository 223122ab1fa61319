// Package store keeps files as content-addressed blocks in a bbolt database: the spec's Storage
// Service (Block Management, FS API, FS Block Sharing, Garbage Collection).
//
// A file is chunked into data blocks of BlockSize bytes (the last one shorter). A balanced tree
// of link blocks, each holding up to FanOut child hashes, sits over them; the hash of its root
// block is the file hash. BlocksRoot, a binary Merkle root over the data blocks' hashes in order,
// is what goes on the ledger. A block's hash is the SHA-256 of its bytes, so every block read
// back is verified, and a block shared by several files is stored once.
//
// FS is the API other packages use; Store is its bbolt implementation. docs/store.md describes the
// byte formats, the bucket layout, the garbage collector and the crash-safety argument.
package store
