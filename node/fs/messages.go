package fs

import (
	"encoding/binary"
	"fmt"

	"dsp/wire"
)

// Opcodes of the fs service (range 1100-1199). docs/protocol.md, "FS messages", lists them.
const (
	OpFile         wire.Opcode = wire.OpFSStart + 0 // File: the session handshake, both ways
	OpBlockFlights wire.Opcode = wire.OpFSStart + 1 // BlockFlights: a batch of blocks
	OpProgress     wire.Opcode = wire.OpFSStart + 2 // Progress: what a receiver holds; the end of an upload
	OpBlockRequest wire.Opcode = wire.OpFSStart + 3 // BlockRequest: blocks a downloader asks for
	// OpProverKey is ProverKey: an owner's PDP prover key, uploader -> FS node on an upload stream
	// (after an upload-ack with NeedProverKey), or a holder's reply to a ProverKeyRequest.
	OpProverKey wire.Opcode = wire.OpFSStart + 4
	// OpProverKeyRequest is ProverKeyRequest: a node asks a holder for an owner's prover key (a
	// component request; recovering nodes use it).
	OpProverKeyRequest wire.Opcode = wire.OpFSStart + 5
)

// Range is the opcode range the fs service registers for.
var Range = wire.OpRange{Name: "fs", First: wire.OpFSStart, Last: wire.OpFSStart + 99}

// Bulk stream protocol names (node.Peer.OpenStream).
const (
	// ProtoUpload carries one upload session: uploader -> FS node.
	ProtoUpload = "dsp/fs/upload/1"
	// ProtoDownload carries one download session: downloader -> any holder.
	ProtoDownload = "dsp/fs/download/1"
)

// Operation is File.Operation: which step of which session a File message is.
type Operation int32

// File operations.
const (
	OpUploadAsk    Operation = 1 // uploader -> FS: store this file (Tx names the StoreFile transaction)
	OpUploadAck    Operation = 2 // FS -> uploader: accepted; Breakpoint says what the FS already holds
	OpDownloadAsk  Operation = 3 // downloader -> holder: serve this file
	OpDownloadAck  Operation = 4 // holder -> downloader: accepted; TotalBlockCount, BlocksRoot, size
	OpRefuse       Operation = 5 // either way: refused; Code is the spec's task code, Msg says why
	OpUploadStatus Operation = 6 // Progress.Operation of an FS node's reports during an upload
)

// String names o.
func (o Operation) String() string {
	switch o {
	case OpUploadAsk:
		return "upload-ask"
	case OpUploadAck:
		return "upload-ack"
	case OpDownloadAsk:
		return "download-ask"
	case OpDownloadAck:
		return "download-ack"
	case OpRefuse:
		return "refuse"
	case OpUploadStatus:
		return "upload-status"
	}
	return fmt.Sprintf("operation(%d)", int32(o))
}

// File is the spec's File handshake message (Sharing Message Format). The spec's string hashes
// travel as raw bytes. Fields past BlocksRoot are this implementation's additions.
type File struct {
	SessionID   string   `msgpack:"session_id"`
	Hash        []byte   `msgpack:"hash"`         // the file hash (root block hash)
	BlockHashes [][]byte `msgpack:"block_hashes"` // unused: the tree travels as link blocks (docs/protocol.md)
	Operation   int32    `msgpack:"operation"`    // an Operation
	Prefix      []byte   `msgpack:"prefix"`       // unused, kept for the spec's shape
	ChunkSize   int32    `msgpack:"chunk_size"`   // the data block size, store.BlockSize
	// Tx is, in an upload-ask, the hash of the StoreFile transaction that put the file on the
	// ledger; in the FS node's final Progress it is the ConfirmFile transaction's hash.
	Tx              []byte      `msgpack:"tx"`
	Breakpoint      *Breakpoint `msgpack:"breakpoint"`        // upload-ack: what the receiver holds
	TotalBlockCount uint64      `msgpack:"total_block_count"` // link and data blocks, each distinct block once
	ChainInfo       *Chain      `msgpack:"chain_info"`        // the sender's view of the ledger
	BlocksRoot      []byte      `msgpack:"blocks_root"`       // Merkle root over the data blocks
	Size            uint64      `msgpack:"size"`              // file size in bytes (download-ack)
	Code            int         `msgpack:"code"`              // refuse: the spec's task code
	Msg             string      `msgpack:"msg"`               // refuse: why
	// NeedProverKey, in an upload-ack, asks the uploader for the owner's prover key (a ProverKey
	// message before any block): the node does not hold it yet.
	NeedProverKey bool `msgpack:"need_prover_key"`
	// UnitPrice, in a download-ack, is what the holder charges per byte of data block (0: free);
	// PayKey is then its public key (keys.PublicKey.Bytes), the partner key of a channel to it.
	// pay.go and docs/channels.md describe the payments.
	UnitPrice uint64 `msgpack:"unit_price"`
	PayKey    []byte `msgpack:"pay_key"`
}

// ProverKey carries an owner's PDP prover key (pdp.ProverKey.Bytes, about 406 KB) for the public
// key Pub (pdp.PublicKey.Bytes, the files' FileProveParam). A receiving node checks it against Pub
// once (pdp.ProverKey.Check) and keeps it for every file of that owner. An empty Key in a reply
// means the holder does not have it.
type ProverKey struct {
	Pub []byte `msgpack:"pub"`
	Key []byte `msgpack:"key"`
}

// ProverKeyRequest asks a node for the prover key of public key Pub; the answer is a ProverKey.
type ProverKeyRequest struct {
	Pub []byte `msgpack:"pub"`
}

// Chain is the spec's chainInfo: which ledger and at what height the sender looked.
type Chain struct {
	ChainID string `msgpack:"chain_id"`
	Height  uint64 `msgpack:"height"`
}

// Breakpoint is what a receiver already holds of a file, so that a resumed transfer sends only
// the rest (seed 002). Missing lists the blocks the receiver knows it lacks: a block is known once
// its parent link block is held. A sender sends a block if it is listed or if any of its ancestors
// is listed (their children are unknown to the receiver, so missing too). Complete means the
// receiver holds the whole file: nothing is to be sent.
type Breakpoint struct {
	Missing  [][]byte `msgpack:"missing"`
	Held     uint64   `msgpack:"held"` // blocks of the file the receiver holds
	Complete bool     `msgpack:"complete"`
}

// Block is one block in BlockFlights. Data empty in a reply to a BlockRequest means the holder
// will not send that block (it does not belong to the file or is not held).
type Block struct {
	Index uint64 `msgpack:"index"` // data block index in the file; LinkIndex for a link block
	Hash  []byte `msgpack:"hash"`
	Data  []byte `msgpack:"data"`
	// Tag is the data block's PDP tag for Index (48 bytes, pdp.Tag). Uploads carry one for every
	// data block; a block with a Tag and no Data carries only the tag of a data block the
	// receiver holds or gets at another index. Holders send it with the data blocks they serve.
	Tag []byte `msgpack:"tag"`
}

// LinkIndex is Block.Index of a link block.
const LinkIndex = ^uint64(0)

// BlockFlights is the spec's BlockFlights: a batch of blocks.
type BlockFlights struct {
	TimeStamp int64   `msgpack:"timestamp"` // unix nanoseconds at the sender
	Blocks    []Block `msgpack:"blocks"`
}

// ProgressInfo is one receiver's count in a Progress message.
type ProgressInfo struct {
	NodeAddr string `msgpack:"node_addr"` // the receiver's account
	Held     uint64 `msgpack:"held"`      // blocks of the file it holds
	Total    uint64 `msgpack:"total"`     // blocks of the file, when known
	Bytes    uint64 `msgpack:"bytes"`     // block bytes received in this session
}

// Progress is the spec's Progress: an FS node's report to the uploader. The FS node sends one
// every ProgressEvery blocks and a last one with Done set once it holds the whole file and has
// confirmed it on the ledger (TxHash), or with Code set when the session failed.
type Progress struct {
	ID        string         `msgpack:"id"` // the session id
	Hash      []byte         `msgpack:"hash"`
	Operation int32          `msgpack:"operation"`
	Sender    string         `msgpack:"sender"`
	Infos     []ProgressInfo `msgpack:"infos"`
	Done      bool           `msgpack:"done"`
	TxHash    []byte         `msgpack:"tx_hash"`
	Code      int            `msgpack:"code"`
	Msg       string         `msgpack:"msg"`
}

// BlockRequest asks a holder for blocks, answered by one BlockFlights of one block each, in
// order. Index is carried back in the reply; Hashes[i] is the block wanted for Indices[i].
type BlockRequest struct {
	Hashes  [][]byte `msgpack:"hashes"`
	Indices []uint64 `msgpack:"indices"`
}

func init() {
	wire.Register(OpFile, "FsFile", func() any { return new(File) })
	wire.Register(OpBlockFlights, "FsBlockFlights", func() any { return new(BlockFlights) })
	wire.Register(OpProgress, "FsProgress", func() any { return new(Progress) })
	wire.Register(OpBlockRequest, "FsBlockRequest", func() any { return new(BlockRequest) })
	wire.Register(OpProverKey, "FsProverKey", func() any { return new(ProverKey) })
	wire.Register(OpProverKeyRequest, "FsProverKeyRequest", func() any { return new(ProverKeyRequest) })
}

// DecodeFrame decodes one bulk stream payload into its registered fs message (*File,
// *BlockFlights, *Progress, *BlockRequest, *ProverKey or *ProverKeyRequest). Anything else is ErrMalformed.
func DecodeFrame(p []byte) (any, error) {
	if len(p) < 4 {
		return nil, fmt.Errorf("%w: frame of %d bytes", ErrMalformed, len(p))
	}
	op := wire.Opcode(binary.BigEndian.Uint32(p))
	if op < Range.First || op > Range.Last {
		return nil, fmt.Errorf("%w: opcode %d outside the fs range", ErrMalformed, op)
	}
	v, err := wire.DecodePayload(op, p[4:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return v, nil
}
