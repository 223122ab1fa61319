// Package task runs uploads and downloads as persisted tasks: each has an id, the spec's
// transmission status (0-25) and task error code (50000-50049), progress per peer, and survives a
// restart of its Manager in a bbolt file. The upload engine chunks a file into the store, records
// it on the ledger, sends it to every chosen FS node at once (node/fs) and waits for their
// confirmations; the download engine fetches a file from every holder at once (node/sched),
// verifies every block against the tree, and writes the output only when it is complete.
// docs/transfer.md describes the design.
package task

import (
	"time"

	"dsp/keys"
	"dsp/status"
)

// ID identifies a task.
type ID string

// Kind is what a task does.
type Kind string

// Task kinds.
const (
	KindUpload   Kind = "upload"
	KindDownload Kind = "download"
)

// State is where a task stands in its life.
type State string

// Task states. Running, Paused are unfinished; Done, Failed, Cancelled are final (Retry restarts
// a Failed or Cancelled task).
const (
	Running   State = "running"
	Paused    State = "paused"
	Done      State = "done"
	Failed    State = "failed"
	Cancelled State = "cancelled"
)

// UploadRequest asks for a file to be stored on FS nodes. Password is never persisted.
type UploadRequest struct {
	// Path is the file to upload.
	Path string `json:"path"`
	// Name is kept with the file in the store (default: the base name of Path).
	Name string `json:"name,omitempty"`
	// Desc goes on the ledger as the file description.
	Desc string `json:"desc,omitempty"`
	// Password, if set, encrypts the file before chunking (store encryption).
	Password []byte `json:"-"`
	// Copies is how many FS nodes store the file, each under its own contract (default 1). The
	// ledger's CopyNum is Copies-1.
	Copies int `json:"copies"`
	// Candidates is how many further FS nodes are named as candidates for recovery (default 0).
	Candidates int `json:"candidates,omitempty"`
	// ProveInterval is the number of blocks between proofs (default 100).
	ProveInterval uint64 `json:"proveInterval"`
	// Duration is how many blocks from now the file is stored (default 100 proof intervals).
	Duration uint64 `json:"duration"`
	// Privilege is ledger.PrivilegePrivate (0), PrivilegePublic (1) or PrivilegeWhitelist (2).
	Privilege uint64 `json:"privilege"`
	// WhiteList lists the accounts that may download a whitelist file.
	WhiteList []keys.Address `json:"whiteList,omitempty"`
	// Share announces the uploader to SCAN as a seeder of the file once it is stored.
	Share bool `json:"share,omitempty"`
	// RegisterURL registers URL (or, if empty, a random URL) under the default DNS header,
	// linking the file.
	RegisterURL bool `json:"registerUrl,omitempty"`
	// URL is the dsp:// URL to register ("dsp://name" or "name"); setting it implies RegisterURL.
	URL string `json:"url,omitempty"`
}

// DownloadRequest asks for a file by hash or URL. Password is never persisted.
type DownloadRequest struct {
	// Hash is the file hash in hex; or URL is a dsp:// URL resolved on the ledger.
	Hash string `json:"hash,omitempty"`
	URL  string `json:"url,omitempty"`
	// Output is the path the file is written to; it appears only when complete and verified
	// (a temporary name beside it is used until then). Empty: the file stays in the store only.
	Output string `json:"output,omitempty"`
	// Password decrypts a file uploaded with one.
	Password []byte `json:"-"`
	// MaxPeers bounds the holders downloaded from at once (default 8).
	MaxPeers int `json:"maxPeers,omitempty"`
}

// PeerProgress is one peer's part of a task.
type PeerProgress struct {
	Account keys.Address `json:"account"`
	// Held is, for an upload, the blocks the FS node reported holding; for a download, the
	// blocks received from the peer.
	Held uint64 `json:"held"`
	// Sent is, for an upload, the blocks sent to the node in this run.
	Sent  uint64  `json:"sent"`
	Bytes uint64  `json:"bytes"`
	Rate  float64 `json:"rate"` // bytes per second (download)
	Wrong int     `json:"wrong,omitempty"`
	Done  bool    `json:"done,omitempty"`
	Err   string  `json:"err,omitempty"`
	// Price is, for a download, the holder's price per byte of data block as its download-ack
	// stated it (0: free).
	Price uint64 `json:"price,omitempty"`
	// Paid is, for a download, what this task has paid the holder over its payment channel, in
	// all runs: the sum of the balance-proof increments it sent, each counted once the holder
	// acknowledged it. A holder paid in an earlier run and not used in this one stays listed
	// (Done) with what it was paid.
	Paid uint64 `json:"paid,omitempty"`
}

// Info is a snapshot of a task; it is also what is persisted.
type Info struct {
	ID    ID    `json:"id"`
	Kind  Kind  `json:"kind"`
	State State `json:"state"`
	// Status is the spec's transmission status of the step the task is at (or stopped at).
	Status     status.TxStatus `json:"status"`
	StatusName string          `json:"statusName"`
	// Code and Msg say why a task failed: the spec's task error code.
	Code int    `json:"code,omitempty"`
	Msg  string `json:"msg,omitempty"`

	FileHash string `json:"fileHash,omitempty"`
	URL      string `json:"url,omitempty"`
	Size     uint64 `json:"size"`
	// Blocks is the number of blocks to transfer (an upload: per node, link blocks included; a
	// download: distinct data and link blocks); Held how many are done.
	Blocks uint64         `json:"blocks"`
	Held   uint64         `json:"held"`
	Bytes  uint64         `json:"bytes"` // block bytes transferred in this run
	Peers  []PeerProgress `json:"peers,omitempty"`
	// Paid is what a download has paid its holders in all (the sum of its peers' Paid).
	Paid uint64 `json:"paid,omitempty"`

	Upload   *UploadRequest   `json:"upload,omitempty"`
	Download *DownloadRequest `json:"download,omitempty"`
	// Encrypted says the request carried a password.
	Encrypted bool `json:"encrypted,omitempty"`
	// NeedPassword is set on an unfinished task that needs its password again after a restart
	// (it was not persisted): Resume fails until ResumeWithPassword supplies it.
	NeedPassword bool `json:"needPassword,omitempty"`

	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Final reports whether the task is done, failed or cancelled.
func (i *Info) Final() bool { return i.State == Done || i.State == Failed || i.State == Cancelled }
