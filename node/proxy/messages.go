package proxy

import (
	"encoding/binary"
	"fmt"
	"io"

	"dsp/wire"
)

// Stream protocols of the proxy (node.Host.HandleStream). Both ride on the Main-Connection, the
// ordinary authenticated connection between a node behind NAT and its proxy.
const (
	// ControlProto is the control stream a node opens to its proxy: ProxyRequest, Keepalive,
	// release and status requests, each answered in order (docs/protocol.md, "Proxy messages").
	ControlProto = "dsp/proxy/control"
	// RelayProto is a stream the proxy opens to the node for each connection a peer makes to the
	// node's proxy address: a RelayOpen header, then the peer's bytes both ways.
	RelayProto = "dsp/proxy/relay"
)

// The proxy's own opcodes, in the proxy range 1400-1499. The spec's ProxyRequest (15),
// ProxyResponse (9), Keepalive (2) and KeepaliveResponse (3) are used as the wire package defines
// them.
const (
	OpRelease      wire.Opcode = 1400 // ReleaseRequest: node -> proxy, on the control stream
	OpReleaseReply wire.Opcode = 1401 // ReleaseReply: proxy -> node
	OpStatus       wire.Opcode = 1402 // StatusRequest: node -> proxy
	OpStatusReply  wire.Opcode = 1403 // StatusReply: proxy -> node
	OpRelayOpen    wire.Opcode = 1404 // RelayOpen: header of a relay stream, proxy -> node
	OpError        wire.Opcode = 1405 // ErrorReply: a control request the proxy refused
)

// Range is the proxy's opcode range.
var Range = wire.OpRange{Name: "proxy", First: wire.OpProxyStart, Last: wire.OpProxyStart + 99}

// ReleaseRequest gives an allocation back before its cache time ends. ProxyAddress names it; empty
// means the sender's own allocation, whatever its address.
type ReleaseRequest struct {
	ProxyAddress string `msgpack:"proxy_address"`
}

// ReleaseReply confirms a release: the address is no longer served.
type ReleaseReply struct {
	ProxyAddress string `msgpack:"proxy_address"`
}

// StatusRequest asks the proxy for its view of the sender's allocation. No fields.
type StatusRequest struct{}

// StatusReply is the proxy's view of one allocation and the limits it applies to it.
type StatusReply struct {
	ProxyAddress       string `msgpack:"proxy_address"`
	Owner              string `msgpack:"owner"`                // account address (base58)
	Online             bool   `msgpack:"online"`               // a control stream is bound to it
	CreatedUnixNano    int64  `msgpack:"created_unix_nano"`    // when it was allocated
	ExpiresUnixNano    int64  `msgpack:"expires_unix_nano"`    // when an offline allocation ends; 0 while online
	Conns              uint32 `msgpack:"conns"`                // relayed connections open now
	ConnsTotal         uint64 `msgpack:"conns_total"`          // relayed connections accepted so far
	Refused            uint64 `msgpack:"refused"`              // connections refused (node offline, cap reached)
	BytesToNode        uint64 `msgpack:"bytes_to_node"`        // relayed from peers to the node
	BytesFromNode      uint64 `msgpack:"bytes_from_node"`      // relayed from the node to peers
	MaxConns           uint32 `msgpack:"max_conns"`            // cap on Conns
	RateLimit          uint64 `msgpack:"rate_limit"`           // bytes per second, both directions together; 0 = none
	KeepaliveTimeoutMs uint64 `msgpack:"keepalive_timeout_ms"` // silence after which relayed connections close
	CacheTimeMs        uint64 `msgpack:"cache_time_ms"`        // how long an offline allocation is kept
}

// RelayOpen is the header of a relay stream: which allocation the connection came to and the
// address of the peer that made it (connection-3 in the spec's words).
type RelayOpen struct {
	ProxyAddress string `msgpack:"proxy_address"`
	Remote       string `msgpack:"remote"` // the peer's ip:port as the proxy sees it
}

// ErrorReply answers a control request the proxy refused. Code is a spec status code.
type ErrorReply struct {
	Code int    `msgpack:"code"`
	Name string `msgpack:"name"`
	Msg  string `msgpack:"msg"`
}

func init() {
	wire.Register(OpRelease, "ProxyReleaseRequest", func() any { return new(ReleaseRequest) })
	wire.Register(OpReleaseReply, "ProxyReleaseReply", func() any { return new(ReleaseReply) })
	wire.Register(OpStatus, "ProxyStatusRequest", func() any { return new(StatusRequest) })
	wire.Register(OpStatusReply, "ProxyStatusReply", func() any { return new(StatusReply) })
	wire.Register(OpRelayOpen, "ProxyRelayOpen", func() any { return new(RelayOpen) })
	wire.Register(OpError, "ProxyErrorReply", func() any { return new(ErrorReply) })
}

// maxHeader bounds a RelayOpen header.
const maxHeader = 1024

// writeRelayOpen writes h as the first bytes of a relay stream: a big-endian u16 length, then the
// RelayOpen payload (msgpack).
func writeRelayOpen(w io.Writer, h *RelayOpen) error {
	body, err := wire.EncodePayload(h)
	if err != nil {
		return err
	}
	if len(body) > maxHeader {
		return fmt.Errorf("relay header: %w: %d bytes", ErrMalformed, len(body))
	}
	buf := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(body)), uint16(len(body)))
	_, err = w.Write(append(buf, body...))
	return err
}

// readRelayOpen reads the header writeRelayOpen wrote.
func readRelayOpen(r io.Reader) (*RelayOpen, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, fmt.Errorf("relay header: %w", err)
	}
	size := int(binary.BigEndian.Uint16(n[:]))
	if size > maxHeader {
		return nil, fmt.Errorf("relay header: %w: length %d over %d", ErrMalformed, size, maxHeader)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("relay header: %w", err)
	}
	return decodeRelayOpen(body)
}

func decodeRelayOpen(body []byte) (*RelayOpen, error) {
	v, err := wire.DecodePayload(OpRelayOpen, body)
	if err != nil {
		return nil, fmt.Errorf("relay header: %w: %v", ErrMalformed, err)
	}
	h := v.(*RelayOpen)
	if len(h.ProxyAddress) > 256 || len(h.Remote) > 256 {
		return nil, fmt.Errorf("relay header: %w: address too long", ErrMalformed)
	}
	return h, nil
}
