package proxy

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"dsp/wire"
)

// FuzzRelayOpen feeds arbitrary bytes to the relay header reader: it must return a header or an
// error, never panic, and a header it returns must encode back to bytes it reads again the same.
func FuzzRelayOpen(f *testing.F) {
	var buf bytes.Buffer
	writeRelayOpen(&buf, &RelayOpen{ProxyAddress: "kcp://203.0.113.5:30001", Remote: "198.51.100.7:4242"})
	f.Add(buf.Bytes())
	f.Add([]byte{0, 0})
	f.Add([]byte{0xff, 0xff, 0x92})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := readRelayOpen(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := writeRelayOpen(&out, h); err != nil {
			t.Fatalf("decoded header does not encode: %v", err)
		}
		h2, err := readRelayOpen(&out)
		if err != nil || *h2 != *h {
			t.Fatalf("round trip: %+v -> %+v, %v", h, h2, err)
		}
	})
}

// FuzzControl feeds arbitrary bytes to the control stream reader the proxy and the client use:
// it must return messages, skip undecodable ones while in step, or fail, never panic or read past
// the control message bound; every payload it returns re-encodes and decodes under its opcode.
func FuzzControl(f *testing.F) {
	cfg := wire.DefaultConfig()
	var buf bytes.Buffer
	w := wire.NewWriter(&buf, cfg)
	for i, p := range []any{
		&wire.ProxyRequest{OriginAddress: "kcp://10.0.0.2:4001", ProxyAddress: "kcp://203.0.113.5:30001"},
		&wire.ProxyResponse{OriginAddress: "kcp://10.0.0.2:4001", ProxyAddress: "kcp://203.0.113.5:30001"},
		&wire.Keepalive{}, &wire.KeepaliveResponse{},
		&ReleaseRequest{ProxyAddress: "kcp://203.0.113.5:30001"}, &ReleaseReply{},
		&StatusRequest{}, &StatusReply{ProxyAddress: "kcp://203.0.113.5:30001", Conns: 3, RateLimit: 1 << 20},
		&ErrorReply{Code: 40010, Name: "INVALID_WALLET_ADDRESS", Msg: "no"},
	} {
		op, _ := wire.OpcodeOf(p)
		body, _ := wire.EncodePayload(p)
		buf.Reset()
		w = wire.NewWriter(&buf, cfg)
		w.WriteMessage(&wire.Message{Message: body, Opcode: op, NetID: cfg.NetworkID, RequestNonce: uint64(i + 1), ReplyFlag: i%2 == 1})
		f.Add(append([]byte(nil), buf.Bytes()...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &ctrl{r: wire.NewReader(bytes.NewReader(b), wire.Config{NetworkID: cfg.NetworkID, MaxMessageSize: maxControl}), net: cfg.NetworkID}
		for range 64 {
			m, payload, skipped, err := c.read()
			if err != nil {
				if skipped {
					continue
				}
				if !errors.Is(err, io.EOF) && err.Error() == "" {
					t.Fatal("empty error")
				}
				return
			}
			if len(m.Message) > maxControl {
				t.Fatalf("message of %d bytes over the bound", len(m.Message))
			}
			enc, err := wire.EncodePayload(payload)
			if err != nil {
				t.Fatalf("payload %T does not encode: %v", payload, err)
			}
			if _, err := wire.DecodePayload(m.Opcode, enc); err != nil {
				t.Fatalf("re-encoded %T does not decode: %v", payload, err)
			}
		}
	})
}
