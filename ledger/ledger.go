// Package ledger is the DSP ledger: a deterministic state machine (accounts, node registry, file
// infos, storage contracts, whitelists, DNS names, PDP rounds) over a chain of blocks of signed
// transactions, kept in bbolt. Embedded runs the chain in-process, producing a block every block
// interval as the genesis' single producer; Remote reaches a ledger served by another node over
// the wire through Handler. docs/ledger.md describes the model.
package ledger

import (
	"context"

	"dsp/keys"
)

// Ledger is the ledger as every other package sees it. Both implementations (Embedded and the
// client returned by NewRemote) honor the same contract. Every error carries a spec status code
// (status.CodeOf); the table is in docs/ledger.md.
type Ledger interface {
	// ChainInfo returns the chain's identity, rules and current height.
	ChainInfo(ctx context.Context) (*ChainInfo, error)
	// Height returns the height of the newest committed block (0 = only the genesis block).
	Height(ctx context.Context) (uint64, error)
	// BlockHash returns the hash of the block at height, CHAIN_UNKNOWN_BLOCK beyond the tip. The
	// hash of the block at a PDP round's height seeds that round's challenge.
	BlockHash(ctx context.Context, height uint64) (Hash, error)
	// Block returns the block at height, CHAIN_UNKNOWN_BLOCK beyond the tip.
	Block(ctx context.Context, height uint64) (*Block, error)
	// Tx returns an included transaction with its receipt, CHAIN_UNKNOWN_TX if none.
	Tx(ctx context.Context, hash Hash) (*TxRecord, error)
	// Account returns an account's committed state; an unknown account is the zero Account.
	Account(ctx context.Context, addr keys.Address) (Account, error)
	// NextNonce returns the nonce addr's next transaction must carry, counting transactions still
	// in the mempool.
	NextNonce(ctx context.Context, addr keys.Address) (uint64, error)
	// Nodes lists the nodes registered under role, by address.
	Nodes(ctx context.Context, role Role) ([]NodeInfo, error)
	// Node returns one registration, DSP_NODE_QUERY_FAILED if there is none.
	Node(ctx context.Context, role Role, addr keys.Address) (*NodeInfo, error)
	// FileInfo returns a file's info, DSP_FILE_INFO_NOT_FOUND if there is none.
	FileInfo(ctx context.Context, fileHash []byte) (*FileInfo, error)
	// FilesOf lists the files owned by owner, by file hash.
	FilesOf(ctx context.Context, owner keys.Address) ([]FileInfo, error)
	// WhiteList returns a file's whitelist, DSP_GET_WHITELIST_FAILED if the file is unknown.
	WhiteList(ctx context.Context, fileHash []byte) (*WhiteList, error)
	// Contracts lists a file's storage contracts, one per primary node, by node address. A
	// contract past the file's ExpiredHeight shows as ended (EndExpired) although its balance
	// returns to the owner only when the file is deleted or the contract closed.
	Contracts(ctx context.Context, fileHash []byte) ([]Contract, error)
	// Proofs lists a file's accepted proofs, by node then round.
	Proofs(ctx context.Context, fileHash []byte) ([]ProofRecord, error)
	// Challenge returns the open PDP round of node's contract for fileHash: the round a proof
	// included in the next block must name, with its seed. An error with code
	// FILE_UPLOADED_CHECK_PDP_FAILED says no round is open (not due yet, or no active contract).
	Challenge(ctx context.Context, fileHash []byte, node keys.Address) (*ProofChallenge, error)
	// Duties lists what node must do, one Duty per pending, active or recovering contract it
	// holds (by file hash): fetch and confirm (pending), prove each round (active), or fetch from
	// the holders, confirm and prove by the deadline (recovering). Contracts with nothing left to
	// do before their file's expiry are left out. An FS node's prover loop needs only this call
	// and Challenge.
	Duties(ctx context.Context, node keys.Address) ([]Duty, error)
	// Channel returns a payment channel (open, closing with its SettleHeight, or settled) by id,
	// PREPARE_CHANNEL_ERROR (ErrNotFound) if there is none.
	Channel(ctx context.Context, id Hash) (*Channel, error)
	// Channels lists the payment channels addr is a side of, in any state, by channel id.
	Channels(ctx context.Context, addr keys.Address) ([]Channel, error)
	// Header returns a registered DNS header, DSP_GET_FILE_LINK_FAILED if none is live.
	Header(ctx context.Context, name string) (*Header, error)
	// Resolve returns the record of a live URL ("header://url", or "url" under the default
	// header), DSP_GET_FILE_LINK_FAILED if it is unknown, expired, or its header is deleted or
	// expired.
	Resolve(ctx context.Context, url string) (*URLRecord, error)
	// StateRoot returns the hash over every state record after the newest block. Two ledgers that
	// applied the same blocks have the same root.
	StateRoot(ctx context.Context) (Hash, error)
	// Submit validates tx (format, signature, then against the state the mempool leads to) and
	// queues it for the next block, returning its hash. A refused tx returns the spec's code and
	// changes nothing.
	Submit(ctx context.Context, tx *Tx) (Hash, error)
	// WaitTx waits until the transaction is in a block and returns its receipt. It fails with
	// CHAIN_UNKNOWN_TX for a hash it never saw, with the drop reason for a transaction dropped
	// from the mempool, and with CHAIN_WAIT_TX_COMFIRMED_TIMEOUT when ctx ends first.
	WaitTx(ctx context.Context, hash Hash) (*Receipt, error)
}

// ChainInfo is the chain's identity and rules.
type ChainInfo struct {
	ChainID     string
	GenesisHash Hash
	Producer    keys.Address
	Params      Params
	Height      uint64
}

// Duty is one file an FS node must store, prove or recover (see Ledger.Duties).
type Duty struct {
	FileHash        []byte
	State           uint8  // ContractPending, ContractActive or ContractRecovering
	Confirmed       bool   // the node sent ConfirmFile (always true for an active contract)
	NextProveHeight uint64 // the round a proof is due for next (0 until confirmed)
	Deadline        uint64 // the last height whose block may carry that proof (0: none owed)
	ProveInterval   uint64
	ExpiredHeight   uint64
	FileBlockNum    uint64
	ProveBlockNum   uint64
	Replaces        keys.Address   // recovering: the failed holder
	Holders         []keys.Address // the file's primary nodes other than node and failed ones: where to fetch the blocks
}
