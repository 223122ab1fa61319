package scan

import (
	"dsp/keys"
	"dsp/wire"
)

// SCAN opcodes (wire range 1200-1299). Each request opcode is even and its reply is the next odd
// number; OpError answers any request that failed. docs/protocol.md ("SCAN messages") lists
// them.
const (
	OpTorrent        = wire.OpScanStart + 0 // Torrent: announce a file held by the sender
	OpAnnounceReply  = wire.OpScanStart + 1 // AnnounceReply
	OpEndpoint       = wire.OpScanStart + 2 // Endpoint: register the sender's host address
	OpEndpointReply  = wire.OpScanStart + 3 // EndpointReply
	OpPeersRequest   = wire.OpScanStart + 4 // PeersRequest: holders of a file
	OpPeersReply     = wire.OpScanStart + 5 // PeersReply
	OpEndpointQuery  = wire.OpScanStart + 6 // EndpointQuery: host addresses of an account
	OpEndpointsReply = wire.OpScanStart + 7 // EndpointsReply
	OpSyncRequest    = wire.OpScanStart + 8 // SyncRequest: a page of the table since a cursor
	OpSyncReply      = wire.OpScanStart + 9 // SyncReply
	OpError          = wire.OpScanStart + 99
)

// Range is the opcode range a SCAN service registers for.
var Range = wire.OpRange{Name: "scan", First: wire.OpScanStart, Last: wire.OpScanStart + 99}

// HolderType is the spec's Torrent.type: what kind of holder announces a file.
type HolderType int32

// Holder types.
const (
	// Seeder holds every block of the file and serves it (a finished downloader).
	Seeder HolderType = 1
	// Leecher holds part of the file (Left > 0) and serves the blocks it has.
	Leecher HolderType = 2
	// FSNode is a storage node that stores the file under a contract.
	FSNode HolderType = 3
)

// String names t.
func (t HolderType) String() string {
	switch t {
	case Seeder:
		return "seeder"
	case Leecher:
		return "leecher"
	case FSNode:
		return "fs"
	}
	return "unknown"
}

// EndpointType is the spec's Endpoint.type: what kind of node registers an address.
type EndpointType int32

// Endpoint types; they follow the node roles.
const (
	EndpointClient EndpointType = 1
	EndpointFS     EndpointType = 2
	EndpointSCAN   EndpointType = 3
	EndpointDNS    EndpointType = 4
	EndpointProxy  EndpointType = 5
	EndpointLedger EndpointType = 6
)

// Torrent is the spec's Torrent message: the sender announces that it holds the file InfoHash,
// missing Left blocks. PeerInfo is the msgpack encoding of a PeerInfo (see EncodePeerInfo); empty
// means "reach me at the address I connected from". The holder is always the sending account.
type Torrent struct {
	InfoHash []byte
	Left     uint64
	PeerInfo []byte
	Type     int32
}

// PeerInfo is what Torrent.PeerInfo carries: the announcing account (optional; when set it must be
// the sender) and the URLs it serves the file on.
type PeerInfo struct {
	WalletAddr string
	HostPorts  []string
}

// AnnounceReply acknowledges a Torrent: the entry lives until Expires (unix nanoseconds at the
// tracker); announce again before then to keep it.
type AnnounceReply struct {
	Expires int64
}

// Endpoint is the spec's Endpoint message: the sender registers HostPort (a node URL such as
// "kcp://203.0.113.7:4001") as an address of WalletAddr, which must be its own account.
type Endpoint struct {
	WalletAddr string
	HostPort   string
	Type       int32
}

// EndpointReply acknowledges an Endpoint: the address is registered until Expires (unix
// nanoseconds).
type EndpointReply struct {
	Expires int64
}

// PeersRequest asks for the live holders of InfoHash, at most Max of them (0 = the tracker's
// default).
type PeersRequest struct {
	InfoHash []byte
	Max      uint32
}

// PeersReply lists holders, those with the fewest missing blocks first.
type PeersReply struct {
	Holders []Holder
}

// EndpointQuery asks for the live addresses registered by WalletAddr (base58 account).
type EndpointQuery struct {
	WalletAddr string
}

// EndpointsReply lists an account's live addresses, newest first.
type EndpointsReply struct {
	Endpoints []EndpointRecord
}

// SyncRequest asks for the records changed on the answering node after its change sequence
// number Since, at most Limit of them (0 = default 256, capped at 1024).
type SyncRequest struct {
	Since uint64
	Limit uint32
}

// SyncReply is one page of changes: live records, in change order. Next is the cursor for the
// next request; More says whether another page follows. Epoch identifies the answering node's
// table: it changes when the table is created anew, and a cursor from another epoch is void.
type SyncReply struct {
	Epoch     uint64
	Holders   []Holder
	Endpoints []EndpointRecord
	Next      uint64
	More      bool
}

// ErrorReply answers a request that failed with the spec's status code and name.
type ErrorReply struct {
	Code int
	Name string
	Msg  string
}

// Holder is one entry of the table: Account holds FileHash (missing Left blocks) and serves it
// on Addrs. Updated is when the announce was accepted (unix nanoseconds, at the SCAN node that
// accepted it; it orders records in a sync), Expires when the entry lapses.
type Holder struct {
	FileHash []byte
	Account  keys.Address
	Addrs    []string
	Left     uint64
	Type     HolderType
	Updated  int64
	Expires  int64
}

// EndpointRecord is one registered address of an account.
type EndpointRecord struct {
	Account  keys.Address
	HostPort string
	Type     EndpointType
	Updated  int64
	Expires  int64
}

type opPair struct {
	op   wire.Opcode
	name string
	mk   func() any
}

var messageTypes = []opPair{
	{OpTorrent, "ScanTorrent", func() any { return new(Torrent) }},
	{OpAnnounceReply, "ScanAnnounceReply", func() any { return new(AnnounceReply) }},
	{OpEndpoint, "ScanEndpoint", func() any { return new(Endpoint) }},
	{OpEndpointReply, "ScanEndpointReply", func() any { return new(EndpointReply) }},
	{OpPeersRequest, "ScanPeersRequest", func() any { return new(PeersRequest) }},
	{OpPeersReply, "ScanPeersReply", func() any { return new(PeersReply) }},
	{OpEndpointQuery, "ScanEndpointQuery", func() any { return new(EndpointQuery) }},
	{OpEndpointsReply, "ScanEndpointsReply", func() any { return new(EndpointsReply) }},
	{OpSyncRequest, "ScanSyncRequest", func() any { return new(SyncRequest) }},
	{OpSyncReply, "ScanSyncReply", func() any { return new(SyncReply) }},
	{OpError, "ScanError", func() any { return new(ErrorReply) }},
}

func init() {
	for _, m := range messageTypes {
		wire.Register(m.op, m.name, m.mk)
	}
}
