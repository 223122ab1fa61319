// Package client is the one interface through which the TUI, the CLI and scripts drive a node:
// Client, with two implementations, in-process (node.Local) and over the control API (HTTP, this
// package). It imports nothing of package node, so a program can drive a remote node without
// linking one.
//
// Client embeds one sub-interface per area: NodeAPI, AccountAPI, LedgerAPI, FileAPI, TaskAPI and
// ProxyAPI, and ProverAPI. A node that lacks what a method needs (no wallet, no ledger reachable, no proxy)
// answers with a spec code, NO_DSP (40003) when the service is not instantiated on that node.
package client

import (
	"context"
	"time"

	"dsp/keys"
)

// Client drives one node.
type Client interface {
	NodeAPI
	AccountAPI
	LedgerAPI
	FileAPI
	TaskAPI
	ProxyAPI
	ProverAPI
	ChannelAPI
}

// NodeAPI is the node itself: identity, peers and events.
type NodeAPI interface {
	// Status returns the node's identity, roles, listen addresses, network and peers.
	Status(ctx context.Context) (*Status, error)
	// Peers lists the connected peers sorted by account address.
	Peers(ctx context.Context) ([]PeerInfo, error)
	// Connect connects to the peer at url ("kcp://host:port" or "ACCOUNT@kcp://host:port") and
	// returns it once authenticated; an existing connection is returned as is.
	Connect(ctx context.Context, url string) (*PeerInfo, error)
	// Disconnect sends the peer a Disconnect message and closes the connection.
	Disconnect(ctx context.Context, account keys.Address) error
	// Events streams the node's events (peer.connected, peer.disconnected; task progress later)
	// until ctx ends or the node goes away; then the channel is closed. A subscriber that does not
	// keep up loses events rather than slowing the node.
	Events(ctx context.Context) (<-chan Event, error)
}

// Status is a node's view of itself.
type Status struct {
	Address   keys.Address `json:"address"`
	Roles     []string     `json:"roles"`
	Listen    []string     `json:"listen"`
	NetworkID uint32       `json:"network_id"`
	Started   time.Time    `json:"started"`
	Peers     []PeerInfo   `json:"peers"`
}

// PeerInfo is one connected peer.
type PeerInfo struct {
	Address  keys.Address `json:"address"`
	Key      string       `json:"key"`      // hex keys.PublicKey.Bytes the peer proved in the handshake (what a channel to it is opened to)
	URL      string       `json:"url"`      // where the peer listens ("" if it does not)
	Dialed   bool         `json:"dialed"`   // this node dialed the connection
	RTTMs    float64      `json:"rtt_ms"`   // last keepalive or ping round trip; 0 before one
	BytesIn  uint64       `json:"bytes_in"` // transport bytes received from the peer
	BytesOut uint64       `json:"bytes_out"`
	Since    time.Time    `json:"since"`
}

// Event types.
const (
	EventPeerConnected    = "peer.connected"
	EventPeerDisconnected = "peer.disconnected"
)

// Event is something that happened in the node. Data's shape depends on Type: a PeerInfo for
// the peer events.
type Event struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	Data any       `json:"data,omitempty"`
}

// Response is the control API's envelope: Code is a spec RESTful code (0 SUCCESS), Msg says what
// failed, Data is the result.
type Response struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
	// Name is the code's spec name (e.g. RECEIVERS_NOT_ENOUGH): task and RESTful codes share
	// numbers, so the name tells which table a code is from.
	Name string `json:"name,omitempty"`
	Data any    `json:"data,omitempty"`
}

// APIInfoFile is the name, in a node's data directory, of the file giving its control API's URL
// and bearer token. The node writes it (mode 0600) once the API serves and removes it on stop.
const APIInfoFile = "api.json"

// APIInfo is the content of APIInfoFile.
type APIInfo struct {
	URL   string `json:"url"` // base URL, e.g. http://127.0.0.1:4100/api/v1
	Token string `json:"token"`
}
