package wire

import "fmt"

// Opcode says what a Message's payload is. Opcodes 0-18 are the spec's, with the spec's numbers;
// applications use 1000 and up, one range per service (see Ranges).
type Opcode uint32

// The spec's opcodes. 4-8 are unassigned.
const (
	OpUnregistered       Opcode = 0  // no payload type; never valid on the wire
	OpBytes              Opcode = 1  // the payload is opaque bytes (type Bytes)
	OpKeepalive          Opcode = 2  // Keepalive
	OpKeepaliveResponse  Opcode = 3  // KeepaliveResponse
	OpProxyResponse      Opcode = 9  // ProxyResponse
	OpPing               Opcode = 10 // Ping
	OpPong               Opcode = 11 // Pong
	OpLookupNodeRequest  Opcode = 12 // LookupNodeRequest
	OpLookupNodeResponse Opcode = 13 // LookupNodeResponse
	OpDisconnect         Opcode = 14 // Disconnect
	OpProxyRequest       Opcode = 15 // ProxyRequest
	OpMetricRequest      Opcode = 16 // MetricRequest
	OpMetricResponse     Opcode = 17 // MetricResponse
	OpAckResponse        Opcode = 18 // Ack

	// OpApplicationStart is the spec's ApplicationOpCodeStart: the first application opcode.
	OpApplicationStart Opcode = 1000
)

// The application ranges: each service defines its opcodes inside its own range.
const (
	OpHostStart    Opcode = 1000 // host (node-level) messages: 1000-1099
	OpFSStart      Opcode = 1100 // fs service: 1100-1199
	OpScanStart    Opcode = 1200 // scan (tracker) service: 1200-1299
	OpDNSStart     Opcode = 1300 // dns service: 1300-1399
	OpProxyStart   Opcode = 1400 // proxy service: 1400-1499
	OpLedgerStart  Opcode = 1500 // ledger service: 1500-1599
	OpChannelStart Opcode = 1600 // channel (payments) service: 1600-1699
)

// OpRange is a block of application opcodes that belongs to one service.
type OpRange struct {
	Name        string
	First, Last Opcode // inclusive
}

// Ranges returns the application opcode ranges in order.
func Ranges() []OpRange {
	return []OpRange{
		{"host", OpHostStart, OpHostStart + 99},
		{"fs", OpFSStart, OpFSStart + 99},
		{"scan", OpScanStart, OpScanStart + 99},
		{"dns", OpDNSStart, OpDNSStart + 99},
		{"proxy", OpProxyStart, OpProxyStart + 99},
		{"ledger", OpLedgerStart, OpLedgerStart + 99},
		{"channel", OpChannelStart, OpChannelStart + 99},
	}
}

// RangeOf returns the application range op lies in.
func RangeOf(op Opcode) (OpRange, bool) {
	for _, r := range Ranges() {
		if op >= r.First && op <= r.Last {
			return r, true
		}
	}
	return OpRange{}, false
}

// IsSpec reports whether op is one of the spec's opcodes 0-18 (4-8 are unassigned and are not).
func (op Opcode) IsSpec() bool {
	return op <= OpKeepaliveResponse || (op >= OpProxyResponse && op <= OpAckResponse)
}

// String returns the registered name of op ("Ping") or "opcode(N)".
func (op Opcode) String() string {
	if name, ok := Lookup(op); ok {
		return name
	}
	if op == OpUnregistered {
		return "Unregistered"
	}
	return fmt.Sprintf("opcode(%d)", uint32(op))
}
