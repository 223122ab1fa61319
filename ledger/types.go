package ledger

import (
	"dsp/keys"
)

// Role is a node role in the registry.
type Role uint8

// Node roles. Values are stable: they are part of state keys and of the wire.
const (
	RoleFS    Role = 1 // storage node: stores files and proves possession
	RoleScan  Role = 2 // SCAN tracker: file hash -> peers
	RoleDNS   Role = 3 // DNS node: serves dsp:// names
	RoleProxy Role = 4 // proxy for peers behind NAT
)

// String returns the role's name as the CLI spells it.
func (r Role) String() string {
	switch r {
	case RoleFS:
		return "fs"
	case RoleScan:
		return "scan"
	case RoleDNS:
		return "dns"
	case RoleProxy:
		return "proxy"
	}
	return "unknown"
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r >= RoleFS && r <= RoleProxy }

// File privileges (spec: FileInfo.Privilege).
const (
	PrivilegePrivate   uint64 = 0 // only the owner may download
	PrivilegePublic    uint64 = 1 // anyone may download
	PrivilegeWhitelist uint64 = 2 // the owner and the accounts on the file's whitelist
)

// Account is an account's state. The zero Account is an account never seen.
type Account struct {
	Balance uint64 // spendable
	Pledged uint64 // locked by Pledge, returned by Unlock
	Nonce   uint64 // the nonce the account's next transaction must carry (= transactions applied)
}

// NodeInfo is a registered node. FS nodes carry seed 004's provider parameters; other roles use
// only HostAddr and Pledge. The spec's NodeInfo{HostAddr, Account} is HostAddr and Address.
type NodeInfo struct {
	Role     Role
	Address  keys.Address // the node's account
	HostAddr string       // where peers reach it, e.g. "kcp://10.0.0.5:4001"
	Pledge   uint64       // locked from the account's balance while registered

	Capacity         uint64 // bytes offered (FS)
	Used             uint64 // bytes under active or pending contracts (FS)
	PricePerMBBlock  uint64 // price per started MiB per block (FS)
	MaxProveInterval uint64 // the longest interval between proofs the node accepts, in blocks (FS)
	MinFileSize      uint64 // bytes (FS)
	MaxFileSize      uint64 // bytes; 0 = no bound other than Capacity (FS)
	Accepting        bool   // whether the node accepts new files (FS)

	RegisteredHeight uint64
	UpdatedHeight    uint64

	Failures uint64 // contracts this node failed (missed its proof deadline) (FS; kept across updates)
	Slashed  uint64 // pledge taken from it for those failures, in total (FS; kept across updates)
}

// WhiteListRule lets Addr download a file between BaseHeight and ExpireHeight (inclusive; an
// ExpireHeight of 0 means no end).
type WhiteListRule struct {
	Addr         keys.Address
	BaseHeight   uint64
	ExpireHeight uint64
}

// WhiteList is a file's access list, consulted when the file's Privilege is PrivilegeWhitelist.
type WhiteList struct {
	Rules []WhiteListRule
}

// Allows reports whether the list lets addr download at height h.
func (w WhiteList) Allows(addr keys.Address, h uint64) bool {
	for _, r := range w.Rules {
		if r.Addr == addr && h >= r.BaseHeight && (r.ExpireHeight == 0 || h <= r.ExpireHeight) {
			return true
		}
	}
	return false
}

// UploadOption is the spec's UploadOption: what the uploader asks for. EncryptPassword must be
// empty on the ledger (a password never goes on chain; the field is kept for the spec's shape).
type UploadOption struct {
	FileDesc        []byte
	FileSize        uint64 // bytes
	ProveInterval   uint64 // blocks between proofs
	ExpiredHeight   uint64 // the last height the file is stored
	Privilege       uint64
	CopyNum         uint64 // copies beyond the first: PrimaryNodes holds CopyNum+1 nodes
	Encrypt         bool
	EncryptPassword []byte
	RegisterDNS     bool   // register DnsURL (or a random URL) under the default header, linking the file
	BindDNS         bool   // bind the sender's existing DnsURL to the file
	DnsURL          []byte // "dsp://name", "name", or empty for a random name
	WhiteList       WhiteList
	Share           bool
	StorageType     uint64
}

// FileInfo is the spec's FileInfo as the ledger keeps it.
type FileInfo struct {
	FileHash       []byte
	FileOwner      keys.Address
	FileDesc       []byte
	Privilege      uint64
	FileBlockNum   uint64
	FileBlockSize  uint64
	ProveInterval  uint64
	ProveTimes     uint64 // proofs each node owes over the file's life: (ExpiredHeight-BlockHeight)/ProveInterval
	ExpiredHeight  uint64
	CopyNum        uint64
	Deposit        uint64 // paid by the owner at upload, summed over the primary nodes' contracts
	FileProveParam []byte // PDP public parameters (pdp.md: v || kappa), opaque to the ledger
	ProveBlockNum  uint64 // blocks challenged per proof
	BlockHeight    uint64 // height of the block that stored the file info
	ValidFlag      bool
	StorageType    uint64
	RealFileSize   uint64
	PrimaryNodes   []keys.Address // nodes that store the file, each under a contract
	CandidateNodes []keys.Address // nodes that may take over in recovery
	BlocksRoot     []byte

	// RecoveringNodes are nodes assigned to recover a copy lost by a failed holder, each under a
	// ContractRecovering contract; on its first valid proof a node moves to PrimaryNodes in the
	// failed holder's place.
	RecoveringNodes []keys.Address
	// FailedNodes are holders that missed a proof deadline (slashed, contract ContractFailed) and
	// recovering nodes that did not deliver in time (contract ended, EndRecoveryTimeout). None of
	// them is paid for or assigned this file again.
	FailedNodes []keys.Address
}

// Contract states. ContractStateName names them.
const (
	ContractPending uint8 = 0 // made at upload, waiting for the node's ConfirmFile
	ContractActive  uint8 = 1 // confirmed: the node owes proofs and is paid per proof
	ContractEnded   uint8 = 2 // see EndReason
	// ContractFailed: the node let its proof deadline pass; it was slashed, is never paid for the
	// file again, and its client balance moved to a recovery contract (or back to the owner).
	ContractFailed uint8 = 3
	// ContractRecovering: the node was assigned to replace a failed holder. It fetches the file
	// from the remaining holders, sends ConfirmFile, and becomes active (and a primary node) with
	// its first valid proof, which must land by Deadline.
	ContractRecovering uint8 = 4
)

// ContractStateName returns the state's name as the CLI and the control API show it.
func ContractStateName(s uint8) string {
	switch s {
	case ContractPending:
		return "pending"
	case ContractActive:
		return "active"
	case ContractEnded:
		return "ended"
	case ContractFailed:
		return "failed"
	case ContractRecovering:
		return "recovering"
	}
	return "unknown"
}

// Reasons a contract ended.
const (
	EndNone        uint8 = 0
	EndExhausted   uint8 = 1 // the client balance reached 0
	EndExpired     uint8 = 2 // a proof round fell after the file's ExpiredHeight
	EndClosedOwner uint8 = 3 // the owner closed it
	EndClosedNode  uint8 = 4 // the node closed it
	// EndRecoveryTimeout: a recovering node did not land its first valid proof by its deadline;
	// the recovery moved to another node.
	EndRecoveryTimeout uint8 = 5
)

// Contract is one node's storage contract for one file (seed 004): a client balance drawn down
// at Rate per block for every proven round.
type Contract struct {
	FileHash        []byte
	Node            keys.Address
	Owner           keys.Address
	Size            uint64 // bytes reserved on the node
	Rate            uint64 // per block: the node's PricePerMBBlock times the file's started MiB, fixed at upload
	Deposit         uint64 // the client balance at start
	Balance         uint64 // what is left of it
	Paid            uint64 // paid to the node so far
	State           uint8
	EndReason       uint8
	StartHeight     uint64 // the ConfirmFile height
	LastProofHeight uint64 // the last proven round (StartHeight before the first proof)
	NextProveHeight uint64 // the round height of the next proof due
	Proofs          uint64 // accepted proofs
	Missed          uint64 // rounds that passed without a proof
	EndHeight       uint64 // when the contract ended or failed

	// Deadline is the height of the last block that may carry the proof that keeps the contract
	// alive (the next round's close, after Params.ProofGraceRounds; for a recovering contract, the
	// end of its recovery window). At the end of that block a contract still owing it fails (or,
	// recovering, times out). 0 = nothing owed that can fail it (pending, ended, or no round left
	// before the file's expiry).
	Deadline uint64
	Replaces keys.Address // recovering: the failed holder this node replaces
	Bounty   uint64       // recovering: the failed holder's slashed pledge, paid with the first valid proof
	Slashed  uint64       // failed: what the failure took from this node's pledge
}

// ProofRecord is one accepted proof in a file's history.
type ProofRecord struct {
	FileHash    []byte
	Node        keys.Address
	RoundHeight uint64 // the challenge height: its block hash seeds the challenge
	Height      uint64 // the height of the block that included the proof
	Paid        uint64
	Proof       []byte
	Verified    bool // true when a ProofVerifier checked it; false when recorded unchecked
}

// Header is a registered DNS header (the "protocol" part of header://url).
type Header struct {
	Name         string
	Owner        keys.Address
	Desc         string
	BlockHeight  uint64
	ExpireHeight uint64
}

// URLRecord is a registered DNS URL: the spec's Header, URL, Name, Owner, Description,
// BlockHeight and TTL.
type URLRecord struct {
	Header       string
	URL          string // the part after "header://"
	Link         string // what the URL maps to, e.g. a file link
	Name         string // source path
	Owner        keys.Address
	Desc         string
	BlockHeight  uint64
	TTL          uint64 // blocks; 0 = no expiry of its own (the header's still applies)
	ExpireHeight uint64 // BlockHeight+TTL, or 0
}

// Full returns "header://url".
func (u URLRecord) Full() string { return u.Header + "://" + u.URL }
