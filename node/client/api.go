package client

import (
	"context"
	"time"

	"dsp/keys"
)

// The sub-interfaces below join Client as they are implemented by node.Local and the HTTP client:
// AccountAPI, LedgerAPI, FileAPI, TaskAPI, ProxyAPI and ProverAPI. Their types are plain JSON data so that a
// program driving a remote node links none of the node's machinery. Field names follow the
// control API's JSON; amounts are in the ledger's smallest unit.

// AccountAPI manages the accounts in the node's wallet. The node's identity on the network (its
// handshake key and the account that pays for uploads) is the account it was started with
// (Account.Active); changing the default takes effect when the node next starts.
type AccountAPI interface {
	// Accounts lists the wallet's accounts with their ledger balances.
	Accounts(ctx context.Context) ([]Account, error)
	// NewAccount creates an account sealed under req.Password and saves the wallet.
	NewAccount(ctx context.Context, req NewAccountRequest) (*Account, error)
	// ImportAccount adds a raw private key (hex) or an exported account blob to the wallet.
	ImportAccount(ctx context.Context, req ImportAccountRequest) (*Account, error)
	// ExportAccount returns the account as an encrypted blob (keys.SealAccount's format), sealed
	// under req.BlobPassword after unlocking with req.Password.
	ExportAccount(ctx context.Context, req ExportAccountRequest) ([]byte, error)
	// SetDefaultAccount makes the account (address or label) the wallet's default.
	SetDefaultAccount(ctx context.Context, account string) error
}

// LedgerAPI reads the ledger and sends transactions signed by the node's active account.
type LedgerAPI interface {
	// LedgerInfo returns the chain's identity and height.
	LedgerInfo(ctx context.Context) (*LedgerInfo, error)
	// Balance returns an account's balance, pledge and next nonce (the zero address: the node's
	// own account).
	Balance(ctx context.Context, account keys.Address) (*Balance, error)
	// Transfer moves amount to another account and waits for the transaction's block.
	Transfer(ctx context.Context, to keys.Address, amount uint64) (*TxResult, error)
	// Pledge locks amount of the active account's balance as pledge; Unpledge unlocks it.
	Pledge(ctx context.Context, amount uint64) (*TxResult, error)
	Unpledge(ctx context.Context, amount uint64) (*TxResult, error)
	// Tx returns an included transaction with its receipt, as readable JSON.
	Tx(ctx context.Context, hash string) (map[string]any, error)
	// Block returns the block at height, as readable JSON.
	Block(ctx context.Context, height uint64) (map[string]any, error)
	// Nodes lists the nodes registered on the ledger under role ("fs", "scan", "dns", "proxy",
	// "ledger"; "" for all roles).
	Nodes(ctx context.Context, role string) ([]NodeInfo, error)
}

// FileAPI covers the files the active account owns and the names (dsp:// URLs) on the ledger.
type FileAPI interface {
	// Files lists the active account's files on the ledger, with holders and proof status.
	Files(ctx context.Context) ([]File, error)
	// File returns one file (any owner) by hash.
	File(ctx context.Context, hash string) (*File, error)
	// UploadPrice returns what storing a file of req's size under req's terms costs, before
	// anything is sent (req.Path must name a readable file).
	UploadPrice(ctx context.Context, req UploadRequest) (*Price, error)
	// DeleteFile deletes the file on the ledger (owner only), refunding what is unspent.
	DeleteFile(ctx context.Context, hash string) (*TxResult, error)
	// SetWhitelist replaces a file's privilege and whitelist (owner only).
	SetWhitelist(ctx context.Context, hash string, privilege uint64, accounts []keys.Address) (*TxResult, error)
	// Share announces this node to SCAN as a holder of a file it holds complete.
	Share(ctx context.Context, hash string) error
	// Resolve looks a dsp:// URL up on the ledger.
	Resolve(ctx context.Context, url string) (*URLRecord, error)
	// RegisterURL links url (empty: a random one under the default header) to a file.
	RegisterURL(ctx context.Context, url, hash string) (*URLRecord, error)
	// TransferURL gives a URL to another account; DeleteURL removes it (owner only).
	TransferURL(ctx context.Context, url string, to keys.Address) (*TxResult, error)
	DeleteURL(ctx context.Context, url string) (*TxResult, error)
}

// TaskAPI starts and controls uploads and downloads. Progress arrives as Events of type
// EventTask carrying a Task.
type TaskAPI interface {
	Upload(ctx context.Context, req UploadRequest) (*Task, error)
	Download(ctx context.Context, req DownloadRequest) (*Task, error)
	Tasks(ctx context.Context) ([]Task, error)
	Task(ctx context.Context, id string) (*Task, error)
	PauseTask(ctx context.Context, id string) error
	// ResumeTask resumes a paused task; password is needed again for an encrypted task after a
	// restart (Task.NeedPassword).
	ResumeTask(ctx context.Context, id string, password []byte) error
	CancelTask(ctx context.Context, id string) error
	RetryTask(ctx context.Context, id string) error
}

// ProxyAPI is this node's use of proxies (an address for a node behind NAT) and, on a node with
// the proxy role, the allocations it serves.
type ProxyAPI interface {
	// Proxies lists the proxy nodes known from the ledger registry and this node's allocation.
	Proxies(ctx context.Context) (*ProxyOverview, error)
	// RequestProxy asks the proxy at url for an address; the node then advertises it.
	RequestProxy(ctx context.Context, url string) (*ProxyStatus, error)
	// ReleaseProxy gives the allocation back.
	ReleaseProxy(ctx context.Context) error
}

// ProverAPI is the FS role's prover on this node: where each file it must store, prove or
// recover stands. A node without the fs role answers NO_DSP (40003).
type ProverAPI interface {
	// ProverStatus lists, sorted by file hash, every file the node's prover loop has seen among
	// its duties since the node started.
	ProverStatus(ctx context.Context) ([]ProverFile, error)
}

// EventTask is the event type of task progress; Data is a Task.
const EventTask = "task"

// Account is one wallet account.
type Account struct {
	Address   keys.Address `json:"address"`
	Label     string       `json:"label"`
	Scheme    string       `json:"scheme"`
	PublicKey string       `json:"publicKey"` // hex
	Default   bool         `json:"default"`
	Active    bool         `json:"active"` // the node runs as this account
	Balance   uint64       `json:"balance"`
	Pledged   uint64       `json:"pledged"`
}

// NewAccountRequest creates an account. Scheme is a keys.ParseScheme name ("" = default).
type NewAccountRequest struct {
	Label    string `json:"label"`
	Scheme   string `json:"scheme,omitempty"`
	Password string `json:"password"`
	Default  bool   `json:"default,omitempty"`
}

// ImportAccountRequest imports PrivateKey (hex, under Scheme) or Blob (sealed under
// BlobPassword), sealing it in the wallet under Password.
type ImportAccountRequest struct {
	Label        string `json:"label"`
	Scheme       string `json:"scheme,omitempty"`
	PrivateKey   string `json:"privateKey,omitempty"`
	Blob         []byte `json:"blob,omitempty"`
	BlobPassword string `json:"blobPassword,omitempty"`
	Password     string `json:"password"`
	Default      bool   `json:"default,omitempty"`
}

// ExportAccountRequest exports an account (address or label).
type ExportAccountRequest struct {
	Account      string `json:"account"`
	Password     string `json:"password"`
	BlobPassword string `json:"blobPassword"`
}

// LedgerInfo is the chain as a client sees it.
type LedgerInfo struct {
	ChainID       string        `json:"chainId"`
	Height        uint64        `json:"height"`
	BlockInterval time.Duration `json:"blockInterval"`
	Producer      keys.Address  `json:"producer"`
	Remote        bool          `json:"remote"` // the node reaches the ledger over the wire
}

// Balance is an account's ledger state.
type Balance struct {
	Address keys.Address `json:"address"`
	Balance uint64       `json:"balance"`
	Pledged uint64       `json:"pledged"`
	Nonce   uint64       `json:"nonce"`
}

// TxResult is a transaction that made it into a block.
type TxResult struct {
	Hash   string `json:"hash"`
	Height uint64 `json:"height"`
	Fee    uint64 `json:"fee"`
}

// NodeInfo is a node registered on the ledger.
type NodeInfo struct {
	Address  keys.Address `json:"address"`
	Role     string       `json:"role"`
	HostAddr string       `json:"hostAddr"`
	// FS terms (seed 004's provider parameters); zero for other roles.
	Capacity    uint64  `json:"capacity,omitempty"`
	Used        uint64  `json:"used,omitempty"`
	Price       uint64  `json:"price,omitempty"` // per MB per block
	MaxInterval uint64  `json:"maxInterval,omitempty"`
	Accepting   bool    `json:"accepting,omitempty"`
	Pledge      uint64  `json:"pledge,omitempty"`
	Failures    uint64  `json:"failures,omitempty"`
	Slashed     uint64  `json:"slashed,omitempty"`
	Connected   bool    `json:"connected"`
	RTTMs       float64 `json:"rttMs,omitempty"`
}

// File is a file on the ledger with its holders' proof status.
type File struct {
	Hash          string         `json:"hash"`
	Name          string         `json:"name,omitempty"` // from the local store, if held here
	Owner         keys.Address   `json:"owner"`
	Size          uint64         `json:"size"`
	Blocks        uint64         `json:"blocks"`
	Copies        uint64         `json:"copies"` // wanted holders
	Privilege     uint64         `json:"privilege"`
	WhiteList     []keys.Address `json:"whiteList,omitempty"`
	ProveInterval uint64         `json:"proveInterval"`
	ExpiredHeight uint64         `json:"expiredHeight"`
	Deposit       uint64         `json:"deposit"`
	URL           string         `json:"url,omitempty"`
	Holders       []Holder       `json:"holders"`
	Local         string         `json:"local,omitempty"` // "complete", "partial" or "" (not in the local store)
}

// Holder is one FS node's contract for a file.
type Holder struct {
	Node      keys.Address `json:"node"`
	State     string       `json:"state"` // pending, active, failed, recovering, ended
	Proofs    uint64       `json:"proofs"`
	LastProof uint64       `json:"lastProof"` // height, 0 = none yet
	NextDue   uint64       `json:"nextDue"`   // height by which the next proof must land
	Failures  uint64       `json:"failures"`
	Balance   uint64       `json:"balance"` // what remains of the contract's deposit
}

// ProverFile is one file in ProverAPI.ProverStatus: fs.ProverFile on the control API. Proofs,
// LastProofHeight and LastProofAt count what this node's process submitted and the ledger
// accepted (the ledger's own count is Holder.Proofs).
type ProverFile struct {
	FileHash  string `json:"fileHash"`
	State     string `json:"state"`     // the contract's state; "ended" once no duty is left
	Confirmed bool   `json:"confirmed"` // the node sent ConfirmFile
	// NextDue is the round height of the next proof (0 until confirmed); Deadline the last height
	// whose block may carry it (0: nothing owed that can fail the contract).
	NextDue         uint64 `json:"nextDue"`
	Deadline        uint64 `json:"deadline"`
	Proofs          uint64 `json:"proofs"`
	LastProofHeight uint64 `json:"lastProofHeight"` // the round of the last accepted proof
	LastProofAt     uint64 `json:"lastProofAt"`     // the height of the block that included it
	// Failures counts failed proof, confirmation and recovery attempts; LastError is the latest
	// ("" after a success).
	Failures  uint64 `json:"failures"`
	LastError string `json:"lastError,omitempty"`
	Recovered bool   `json:"recovered,omitempty"` // fetched as a recovering node and confirmed
	// ReadTime and ProveTime split the last proof: reading blocks and tags, and the pdp work.
	ReadTime  time.Duration `json:"readNs"`
	ProveTime time.Duration `json:"proveNs"`
}

// UploadRequest is task.UploadRequest on the control API. Password is sent, never stored.
type UploadRequest struct {
	Path          string         `json:"path"`
	Name          string         `json:"name,omitempty"`
	Desc          string         `json:"desc,omitempty"`
	Password      string         `json:"password,omitempty"`
	Copies        int            `json:"copies"`
	Candidates    int            `json:"candidates,omitempty"`
	ProveInterval uint64         `json:"proveInterval,omitempty"`
	Duration      uint64         `json:"duration,omitempty"`
	Privilege     uint64         `json:"privilege"`
	WhiteList     []keys.Address `json:"whiteList,omitempty"`
	Share         bool           `json:"share,omitempty"`
	RegisterURL   bool           `json:"registerUrl,omitempty"`
	URL           string         `json:"url,omitempty"`
}

// DownloadRequest is task.DownloadRequest on the control API.
type DownloadRequest struct {
	Hash     string `json:"hash,omitempty"`
	URL      string `json:"url,omitempty"`
	Output   string `json:"output,omitempty"`
	Password string `json:"password,omitempty"`
	MaxPeers int    `json:"maxPeers,omitempty"`
}

// Price is what an upload will cost.
type Price struct {
	Size     uint64 `json:"size"`
	Blocks   uint64 `json:"blocks"`
	Copies   int    `json:"copies"`
	Duration uint64 `json:"duration"` // blocks
	Deposit  uint64 `json:"deposit"`  // paid from the balance when the file is recorded
	Fee      uint64 `json:"fee"`      // transaction fees
	Balance  uint64 `json:"balance"`  // the active account's balance now
}

// Task is a task snapshot: task.Info on the control API (same JSON).
type Task struct {
	ID           string           `json:"id"`
	Kind         string           `json:"kind"`   // upload, download
	State        string           `json:"state"`  // running, paused, done, failed, cancelled
	Status       int              `json:"status"` // transmission status code 0–25
	StatusName   string           `json:"statusName"`
	Code         int              `json:"code,omitempty"` // task error code 50000–50049
	Msg          string           `json:"msg,omitempty"`
	FileHash     string           `json:"fileHash,omitempty"`
	URL          string           `json:"url,omitempty"`
	Size         uint64           `json:"size"`
	Blocks       uint64           `json:"blocks"`
	Held         uint64           `json:"held"`
	Bytes        uint64           `json:"bytes"`
	Peers        []TaskPeer       `json:"peers,omitempty"`
	Paid         uint64           `json:"paid,omitempty"` // a download's payments to its holders in all
	Upload       *UploadRequest   `json:"upload,omitempty"`
	Download     *DownloadRequest `json:"download,omitempty"`
	Encrypted    bool             `json:"encrypted,omitempty"`
	NeedPassword bool             `json:"needPassword,omitempty"`
	Created      time.Time        `json:"created"`
	Updated      time.Time        `json:"updated"`
}

// TaskPeer is one peer's part of a task (task.PeerProgress).
type TaskPeer struct {
	Account keys.Address `json:"account"`
	Held    uint64       `json:"held"`
	Sent    uint64       `json:"sent"`
	Bytes   uint64       `json:"bytes"`
	Rate    float64      `json:"rate"`
	Wrong   int          `json:"wrong,omitempty"`
	Done    bool         `json:"done,omitempty"`
	Err     string       `json:"err,omitempty"`
	// Price is a download holder's price per byte as its download-ack stated it (0: free); Paid
	// what this task paid it, counted as the holder acknowledged each payment.
	Price uint64 `json:"price,omitempty"`
	Paid  uint64 `json:"paid,omitempty"`
}

// URLRecord is a dsp:// name on the ledger.
type URLRecord struct {
	URL      string       `json:"url"`
	FileHash string       `json:"fileHash"`
	Owner    keys.Address `json:"owner"`
	Desc     string       `json:"desc,omitempty"`
	Height   uint64       `json:"height"`
	TTL      uint64       `json:"ttl"`
}

// ProxyOverview is what the Proxies screen shows.
type ProxyOverview struct {
	Known []NodeInfo   `json:"known"` // proxy nodes on the ledger
	Mine  *ProxyStatus `json:"mine,omitempty"`
	// Serving lists the allocations this node serves (proxy role only).
	Serving []ProxyAllocation `json:"serving,omitempty"`
}

// ProxyStatus is this node's allocation at a proxy.
type ProxyStatus struct {
	Proxy         string    `json:"proxy"`   // the proxy's URL
	Address       string    `json:"address"` // the allocated public address
	State         string    `json:"state"`   // e.g. requesting, active, lost
	LastKeepalive time.Time `json:"lastKeepalive"`
	Relayed       int       `json:"relayed"` // relayed connections now
	BytesIn       uint64    `json:"bytesIn"`
	BytesOut      uint64    `json:"bytesOut"`
}

// ProxyAllocation is one node served by this proxy.
type ProxyAllocation struct {
	Account  keys.Address `json:"account"`
	Address  string       `json:"address"`
	Online   bool         `json:"online"`
	Relayed  int          `json:"relayed"`
	BytesIn  uint64       `json:"bytesIn"`
	BytesOut uint64       `json:"bytesOut"`
	Expires  time.Time    `json:"expires"`
}
