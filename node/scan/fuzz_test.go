package scan

import (
	"context"
	"testing"
	"time"

	"dsp/keys"
	"dsp/wire"
)

// FuzzHandleBytes feeds arbitrary payloads under every SCAN opcode to a Handler over a real
// tracker: it must answer each with a decodable reply of the request's reply opcode or OpError,
// never panic, and a refused request must store nothing.
func FuzzHandleBytes(f *testing.F) {
	a, _ := keys.ParseAddress("AWC88k8m26GUjaceiBXwMiHTo37wDM3Q7y")
	for _, seed := range []any{
		NewTorrent([]byte("file"), 3, Leecher, a, "kcp://1.2.3.4:5"),
		&Endpoint{WalletAddr: a.String(), HostPort: "mem://x", Type: 2},
		&PeersRequest{InfoHash: []byte("file"), Max: 3},
		&EndpointQuery{WalletAddr: a.String()},
		&SyncRequest{Since: 1, Limit: 2},
	} {
		op, _ := wire.OpcodeOf(seed)
		b, err := wire.EncodePayload(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(op-wire.OpScanStart), b)
	}
	clk := newClock()
	tr, _ := openTracker(f, clk)
	h := NewHandler(tr)
	from := Sender{Account: a, URL: "mem://fuzz"}
	f.Fuzz(func(t *testing.T, op uint8, payload []byte) {
		clk.Advance(time.Millisecond)
		rop, rb, err := h.HandleBytes(context.Background(), from, wire.OpScanStart+wire.Opcode(op%10), payload)
		if err != nil {
			t.Fatal(err)
		}
		if rop != wire.OpScanStart+wire.Opcode(op%10)+1 && rop != OpError {
			t.Fatalf("reply opcode %d to %d", rop, op%10)
		}
		if _, err := wire.DecodePayload(rop, rb); err != nil {
			t.Fatalf("reply does not decode: %v", err)
		}
	})
}
