package wire

// The spec's own payloads, registered under the spec's opcodes. Each is encoded by EncodePayload:
// a msgpack array of its fields in the order declared here.

// Bytes is the OpBytes payload: opaque bytes carried as is, not msgpack.
type Bytes []byte

// Keepalive (OpKeepalive) asks a peer (or a proxy server, every 15 s by default) to show it is
// alive. It has no fields: an empty array.
type Keepalive struct{}

// KeepaliveResponse (OpKeepaliveResponse) answers a Keepalive. No fields.
type KeepaliveResponse struct{}

// Ping (OpPing) measures the round trip to a peer.
type Ping struct {
	Nonce        uint64 `msgpack:"nonce"`          // chosen by the sender, echoed in the Pong
	SentUnixNano int64  `msgpack:"sent_unix_nano"` // the sender's clock when sent
}

// Pong (OpPong) answers a Ping, echoing its fields so the pinger computes the round trip from its
// own clock.
type Pong struct {
	Nonce        uint64 `msgpack:"nonce"`          // the Ping's Nonce
	SentUnixNano int64  `msgpack:"sent_unix_nano"` // the Ping's SentUnixNano
}

// LookupNodeRequest (OpLookupNodeRequest) asks a peer for the peers it knows closest to Target.
type LookupNodeRequest struct {
	Target []byte `msgpack:"target"` // an ID's id (sha256 of a net_key)
}

// LookupNodeResponse (OpLookupNodeResponse) answers a LookupNodeRequest.
type LookupNodeResponse struct {
	Peers []ID `msgpack:"peers"` // each in the ID wire form
}

// Disconnect (OpDisconnect) tells a peer the sender is closing the connection, and why.
type Disconnect struct {
	Reason string `msgpack:"reason"`
}

// ProxyRequest (OpProxyRequest) asks a proxy server for a proxy address (spec "ProxyRequest").
type ProxyRequest struct {
	OriginAddress string `msgpack:"origin_address"` // the requester's own address
	ProxyAddress  string `msgpack:"proxy_address"`  // a proxy address held before, or empty
}

// ProxyResponse (OpProxyResponse) gives the proxy address allocated to OriginAddress.
type ProxyResponse struct {
	OriginAddress string `msgpack:"origin_address"`
	ProxyAddress  string `msgpack:"proxy_address"` // ip:port others reach the requester at
}

// MetricRequest (OpMetricRequest) asks a peer for its metrics. No fields.
type MetricRequest struct{}

// Metric is one named value of a MetricResponse.
type Metric struct {
	Name  string  `msgpack:"name"`
	Value float64 `msgpack:"value"`
}

// MetricResponse (OpMetricResponse) answers a MetricRequest.
type MetricResponse struct {
	Metrics []Metric `msgpack:"metrics"` // sorted by Name
}

// Ack (OpAckResponse) acknowledges a message sent with need_ack.
type Ack struct {
	MessageNonce uint64 `msgpack:"message_nonce"` // the acknowledged message's message_nonce
}

func init() {
	register(OpBytes, "Bytes", func() any { return new(Bytes) })
	register(OpKeepalive, "Keepalive", func() any { return new(Keepalive) })
	register(OpKeepaliveResponse, "KeepaliveResponse", func() any { return new(KeepaliveResponse) })
	register(OpProxyResponse, "ProxyResponse", func() any { return new(ProxyResponse) })
	register(OpPing, "Ping", func() any { return new(Ping) })
	register(OpPong, "Pong", func() any { return new(Pong) })
	register(OpLookupNodeRequest, "LookupNodeRequest", func() any { return new(LookupNodeRequest) })
	register(OpLookupNodeResponse, "LookupNodeResponse", func() any { return new(LookupNodeResponse) })
	register(OpDisconnect, "Disconnect", func() any { return new(Disconnect) })
	register(OpProxyRequest, "ProxyRequest", func() any { return new(ProxyRequest) })
	register(OpMetricRequest, "MetricRequest", func() any { return new(MetricRequest) })
	register(OpMetricResponse, "MetricResponse", func() any { return new(MetricResponse) })
	register(OpAckResponse, "Ack", func() any { return new(Ack) })
}
