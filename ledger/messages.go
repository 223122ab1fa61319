package ledger

import (
	"dsp/keys"
	"dsp/wire"
)

// Ledger opcodes (wire range 1500-1599). Each request opcode is even and its reply is the next
// odd number; OpLedgerError answers any request that failed. docs/protocol.md lists them.
const (
	OpChainInfoRequest = wire.OpLedgerStart + 0
	OpChainInfoReply   = wire.OpLedgerStart + 1
	OpHeightRequest    = wire.OpLedgerStart + 2
	OpHeightReply      = wire.OpLedgerStart + 3
	OpBlockHashRequest = wire.OpLedgerStart + 4
	OpBlockHashReply   = wire.OpLedgerStart + 5
	OpBlockRequest     = wire.OpLedgerStart + 6
	OpBlockReply       = wire.OpLedgerStart + 7
	OpTxRequest        = wire.OpLedgerStart + 8
	OpTxReply          = wire.OpLedgerStart + 9
	OpAccountRequest   = wire.OpLedgerStart + 10
	OpAccountReply     = wire.OpLedgerStart + 11
	OpNextNonceRequest = wire.OpLedgerStart + 12
	OpNextNonceReply   = wire.OpLedgerStart + 13
	OpNodesRequest     = wire.OpLedgerStart + 14
	OpNodesReply       = wire.OpLedgerStart + 15
	OpNodeRequest      = wire.OpLedgerStart + 16
	OpNodeReply        = wire.OpLedgerStart + 17
	OpFileInfoRequest  = wire.OpLedgerStart + 18
	OpFileInfoReply    = wire.OpLedgerStart + 19
	OpFilesOfRequest   = wire.OpLedgerStart + 20
	OpFilesOfReply     = wire.OpLedgerStart + 21
	OpWhiteListRequest = wire.OpLedgerStart + 22
	OpWhiteListReply   = wire.OpLedgerStart + 23
	OpContractsRequest = wire.OpLedgerStart + 24
	OpContractsReply   = wire.OpLedgerStart + 25
	OpProofsRequest    = wire.OpLedgerStart + 26
	OpProofsReply      = wire.OpLedgerStart + 27
	OpChallengeRequest = wire.OpLedgerStart + 28
	OpChallengeReply   = wire.OpLedgerStart + 29
	OpHeaderRequest    = wire.OpLedgerStart + 30
	OpHeaderReply      = wire.OpLedgerStart + 31
	OpResolveRequest   = wire.OpLedgerStart + 32
	OpResolveReply     = wire.OpLedgerStart + 33
	OpStateRootRequest = wire.OpLedgerStart + 34
	OpStateRootReply   = wire.OpLedgerStart + 35
	OpSubmitRequest    = wire.OpLedgerStart + 36
	OpSubmitReply      = wire.OpLedgerStart + 37
	OpWaitTxRequest    = wire.OpLedgerStart + 38
	OpWaitTxReply      = wire.OpLedgerStart + 39
	OpDutiesRequest    = wire.OpLedgerStart + 40
	OpDutiesReply      = wire.OpLedgerStart + 41
	OpChannelRequest   = wire.OpLedgerStart + 42
	OpChannelReply     = wire.OpLedgerStart + 43
	OpChannelsRequest  = wire.OpLedgerStart + 44
	OpChannelsReply    = wire.OpLedgerStart + 45
	OpLedgerError      = wire.OpLedgerStart + 99
	maxWaitTxTimeoutMs = 30_000 // a WaitTxRequest waits at most this long on the serving node
)

// ChainInfoRequest asks for ChainInfo.
type ChainInfoRequest struct{}

// ChainInfoReply carries ChainInfo.
type ChainInfoReply struct{ Info ChainInfo }

// HeightRequest asks for the current height.
type HeightRequest struct{}

// HeightReply carries the current height.
type HeightReply struct{ Height uint64 }

// BlockHashRequest asks for the hash of the block at Height.
type BlockHashRequest struct{ Height uint64 }

// BlockHashReply carries a block hash.
type BlockHashReply struct{ Hash Hash }

// BlockRequest asks for the block at Height.
type BlockRequest struct{ Height uint64 }

// BlockReply carries a block in its canonical encoding (Block.Encode).
type BlockReply struct{ Block []byte }

// TxRequest asks for an included transaction.
type TxRequest struct{ Hash Hash }

// TxReply carries a transaction in its canonical signed encoding and its receipt.
type TxReply struct {
	Tx      []byte
	Receipt Receipt
}

// AccountRequest asks for an account's committed state.
type AccountRequest struct{ Address keys.Address }

// AccountReply carries an account.
type AccountReply struct{ Account Account }

// NextNonceRequest asks for an account's next nonce, counting the mempool.
type NextNonceRequest struct{ Address keys.Address }

// NextNonceReply carries a nonce.
type NextNonceReply struct{ Nonce uint64 }

// NodesRequest asks for the nodes of a role.
type NodesRequest struct{ Role Role }

// NodesReply carries nodes.
type NodesReply struct{ Nodes []NodeInfo }

// NodeRequest asks for one registration.
type NodeRequest struct {
	Role    Role
	Address keys.Address
}

// NodeReply carries one registration.
type NodeReply struct{ Node NodeInfo }

// FileInfoRequest asks for a file's info.
type FileInfoRequest struct{ FileHash []byte }

// FileInfoReply carries a file's info.
type FileInfoReply struct{ Info FileInfo }

// FilesOfRequest asks for the files of an owner.
type FilesOfRequest struct{ Owner keys.Address }

// FilesOfReply carries file infos.
type FilesOfReply struct{ Files []FileInfo }

// WhiteListRequest asks for a file's whitelist.
type WhiteListRequest struct{ FileHash []byte }

// WhiteListReply carries a whitelist.
type WhiteListReply struct{ WhiteList WhiteList }

// ContractsRequest asks for a file's contracts.
type ContractsRequest struct{ FileHash []byte }

// ContractsReply carries contracts.
type ContractsReply struct{ Contracts []Contract }

// ProofsRequest asks for a file's proof history.
type ProofsRequest struct{ FileHash []byte }

// ProofsReply carries proof records.
type ProofsReply struct{ Proofs []ProofRecord }

// ChallengeRequest asks for the open PDP round of Node for FileHash.
type ChallengeRequest struct {
	FileHash []byte
	Node     keys.Address
}

// ChallengeReply carries a challenge.
type ChallengeReply struct{ Challenge ProofChallenge }

// DutiesRequest asks for the duties of an FS node.
type DutiesRequest struct{ Node keys.Address }

// DutiesReply carries a node's duties.
type DutiesReply struct{ Duties []Duty }

// ChannelRequest asks for a payment channel by id.
type ChannelRequest struct{ ID Hash }

// ChannelReply carries a payment channel.
type ChannelReply struct{ Channel Channel }

// ChannelsRequest asks for the payment channels an account is part of.
type ChannelsRequest struct{ Address keys.Address }

// ChannelsReply carries payment channels.
type ChannelsReply struct{ Channels []Channel }

// HeaderRequest asks for a DNS header.
type HeaderRequest struct{ Name string }

// HeaderReply carries a DNS header.
type HeaderReply struct{ Header Header }

// ResolveRequest asks to resolve a URL.
type ResolveRequest struct{ URL string }

// ResolveReply carries a URL record.
type ResolveReply struct{ Record URLRecord }

// StateRootRequest asks for the state root.
type StateRootRequest struct{}

// StateRootReply carries the state root.
type StateRootReply struct{ Root Hash }

// SubmitRequest carries a transaction in its canonical signed encoding.
type SubmitRequest struct{ Tx []byte }

// SubmitReply carries the accepted transaction's hash.
type SubmitReply struct{ Hash Hash }

// WaitTxRequest asks to wait for a transaction's inclusion for at most TimeoutMs (capped at 30 s
// by the serving node; 0 means the cap).
type WaitTxRequest struct {
	Hash      Hash
	TimeoutMs uint64
}

// WaitTxReply carries a receipt.
type WaitTxReply struct{ Receipt Receipt }

// ErrorReply answers a request that failed: the spec's status code and name, the message, and
// Sentinel, the name of the ledger sentinel error it wrapped ("" if none; see sentinelNames).
type ErrorReply struct {
	Code     int
	Name     string
	Msg      string
	Sentinel string
}

type opPair struct {
	op   wire.Opcode
	name string
	mk   func() any
}

var messageTypes = []opPair{
	{OpChainInfoRequest, "LedgerChainInfoRequest", func() any { return new(ChainInfoRequest) }},
	{OpChainInfoReply, "LedgerChainInfoReply", func() any { return new(ChainInfoReply) }},
	{OpHeightRequest, "LedgerHeightRequest", func() any { return new(HeightRequest) }},
	{OpHeightReply, "LedgerHeightReply", func() any { return new(HeightReply) }},
	{OpBlockHashRequest, "LedgerBlockHashRequest", func() any { return new(BlockHashRequest) }},
	{OpBlockHashReply, "LedgerBlockHashReply", func() any { return new(BlockHashReply) }},
	{OpBlockRequest, "LedgerBlockRequest", func() any { return new(BlockRequest) }},
	{OpBlockReply, "LedgerBlockReply", func() any { return new(BlockReply) }},
	{OpTxRequest, "LedgerTxRequest", func() any { return new(TxRequest) }},
	{OpTxReply, "LedgerTxReply", func() any { return new(TxReply) }},
	{OpAccountRequest, "LedgerAccountRequest", func() any { return new(AccountRequest) }},
	{OpAccountReply, "LedgerAccountReply", func() any { return new(AccountReply) }},
	{OpNextNonceRequest, "LedgerNextNonceRequest", func() any { return new(NextNonceRequest) }},
	{OpNextNonceReply, "LedgerNextNonceReply", func() any { return new(NextNonceReply) }},
	{OpNodesRequest, "LedgerNodesRequest", func() any { return new(NodesRequest) }},
	{OpNodesReply, "LedgerNodesReply", func() any { return new(NodesReply) }},
	{OpNodeRequest, "LedgerNodeRequest", func() any { return new(NodeRequest) }},
	{OpNodeReply, "LedgerNodeReply", func() any { return new(NodeReply) }},
	{OpFileInfoRequest, "LedgerFileInfoRequest", func() any { return new(FileInfoRequest) }},
	{OpFileInfoReply, "LedgerFileInfoReply", func() any { return new(FileInfoReply) }},
	{OpFilesOfRequest, "LedgerFilesOfRequest", func() any { return new(FilesOfRequest) }},
	{OpFilesOfReply, "LedgerFilesOfReply", func() any { return new(FilesOfReply) }},
	{OpWhiteListRequest, "LedgerWhiteListRequest", func() any { return new(WhiteListRequest) }},
	{OpWhiteListReply, "LedgerWhiteListReply", func() any { return new(WhiteListReply) }},
	{OpContractsRequest, "LedgerContractsRequest", func() any { return new(ContractsRequest) }},
	{OpContractsReply, "LedgerContractsReply", func() any { return new(ContractsReply) }},
	{OpProofsRequest, "LedgerProofsRequest", func() any { return new(ProofsRequest) }},
	{OpProofsReply, "LedgerProofsReply", func() any { return new(ProofsReply) }},
	{OpChallengeRequest, "LedgerChallengeRequest", func() any { return new(ChallengeRequest) }},
	{OpChallengeReply, "LedgerChallengeReply", func() any { return new(ChallengeReply) }},
	{OpHeaderRequest, "LedgerHeaderRequest", func() any { return new(HeaderRequest) }},
	{OpHeaderReply, "LedgerHeaderReply", func() any { return new(HeaderReply) }},
	{OpResolveRequest, "LedgerResolveRequest", func() any { return new(ResolveRequest) }},
	{OpResolveReply, "LedgerResolveReply", func() any { return new(ResolveReply) }},
	{OpStateRootRequest, "LedgerStateRootRequest", func() any { return new(StateRootRequest) }},
	{OpStateRootReply, "LedgerStateRootReply", func() any { return new(StateRootReply) }},
	{OpSubmitRequest, "LedgerSubmitRequest", func() any { return new(SubmitRequest) }},
	{OpSubmitReply, "LedgerSubmitReply", func() any { return new(SubmitReply) }},
	{OpWaitTxRequest, "LedgerWaitTxRequest", func() any { return new(WaitTxRequest) }},
	{OpWaitTxReply, "LedgerWaitTxReply", func() any { return new(WaitTxReply) }},
	{OpDutiesRequest, "LedgerDutiesRequest", func() any { return new(DutiesRequest) }},
	{OpDutiesReply, "LedgerDutiesReply", func() any { return new(DutiesReply) }},
	{OpChannelRequest, "LedgerChannelRequest", func() any { return new(ChannelRequest) }},
	{OpChannelReply, "LedgerChannelReply", func() any { return new(ChannelReply) }},
	{OpChannelsRequest, "LedgerChannelsRequest", func() any { return new(ChannelsRequest) }},
	{OpChannelsReply, "LedgerChannelsReply", func() any { return new(ChannelsReply) }},
	{OpLedgerError, "LedgerError", func() any { return new(ErrorReply) }},
}

func init() {
	for _, m := range messageTypes {
		wire.Register(m.op, m.name, m.mk)
	}
}

// sentinelNames names the sentinels that cross the wire in ErrorReply.Sentinel.
var sentinelNames = map[string]error{
	"malformed": ErrMalformed, "bad_signature": ErrBadSignature, "wrong_chain": ErrWrongChain,
	"bad_nonce": ErrBadNonce, "fee_too_low": ErrFeeTooLow, "insufficient": ErrInsufficient,
	"not_owner": ErrNotOwner, "not_found": ErrNotFound, "exists": ErrExists, "reserved": ErrReserved,
	"expired": ErrExpired, "rejected": ErrRejected, "bad_proof": ErrBadProof, "bad_block": ErrBadBlock,
	"mempool_full": ErrMempoolFull, "duplicate": ErrDuplicate, "dropped": ErrDropped, "closed": ErrClosed,
	"genesis_mismatch": ErrGenesisMismatch, "bad_balance_proof": ErrBadBalanceProof, "channel_state": ErrChannelState,
}
