package wire

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"dsp/keys"
)

func TestSpecOpcodes(t *testing.T) {
	want := map[Opcode]uint32{
		OpUnregistered: 0, OpBytes: 1, OpKeepalive: 2, OpKeepaliveResponse: 3, OpProxyResponse: 9,
		OpPing: 10, OpPong: 11, OpLookupNodeRequest: 12, OpLookupNodeResponse: 13, OpDisconnect: 14,
		OpProxyRequest: 15, OpMetricRequest: 16, OpMetricResponse: 17, OpAckResponse: 18,
		OpApplicationStart: 1000,
	}
	for op, n := range want {
		if uint32(op) != n {
			t.Errorf("%v = %d, want %d", op, uint32(op), n)
		}
	}
	for op := Opcode(0); op < 1000; op++ {
		_, registered := Lookup(op)
		if registered != (op.IsSpec() && op != OpUnregistered) {
			t.Errorf("opcode %d: registered = %v", op, registered)
		}
	}
	if OpPing.String() != "Ping" || Opcode(4).String() != "opcode(4)" || OpUnregistered.String() != "Unregistered" {
		t.Error("opcode names")
	}
}

func TestRanges(t *testing.T) {
	prev := OpApplicationStart - 1
	for _, r := range Ranges() {
		if r.First != prev+1 || r.Last != r.First+99 {
			t.Fatalf("range %+v does not follow %d", r, prev)
		}
		prev = r.Last
	}
	if r, ok := RangeOf(1234); !ok || r.Name != "scan" {
		t.Fatalf("RangeOf(1234) = %+v", r)
	}
	if _, ok := RangeOf(999); ok {
		t.Fatal("999 in a range")
	}
}

// Every spec payload encodes to the documented bytes and decodes back to itself.
func TestSpecPayloads(t *testing.T) {
	k, _ := keys.FromPrivateBytes(keys.SHA512withEdDSA, make([]byte, 32))
	peer := NewID(k.Public(), "kcp://10.0.0.1:4001")
	for _, tc := range []struct {
		op  Opcode
		v   any
		hex string // "" when not pinned here
	}{
		{OpBytes, &Bytes{1, 2, 3}, "010203"},
		{OpKeepalive, &Keepalive{}, "90"},
		{OpKeepaliveResponse, &KeepaliveResponse{}, "90"},
		{OpPing, &Ping{Nonce: 7, SentUnixNano: 1000}, "9207cd03e8"},
		{OpPong, &Pong{Nonce: 7, SentUnixNano: -1}, "9207ff"},
		{OpLookupNodeRequest, &LookupNodeRequest{Target: []byte{0xab}}, "91c401ab"},
		{OpLookupNodeResponse, &LookupNodeResponse{Peers: []ID{peer}}, ""},
		{OpDisconnect, &Disconnect{Reason: "bye"}, "91a3627965"},
		{OpProxyRequest, &ProxyRequest{OriginAddress: "a", ProxyAddress: ""}, "92a161a0"},
		{OpProxyResponse, &ProxyResponse{OriginAddress: "a", ProxyAddress: "b"}, "92a161a162"},
		{OpMetricRequest, &MetricRequest{}, "90"},
		{OpMetricResponse, &MetricResponse{Metrics: []Metric{{"peers", 3}}}, "919192a57065657273cb4008000000000000"},
		{OpAckResponse, &Ack{MessageNonce: 9}, "9109"},
	} {
		if op, ok := OpcodeOf(tc.v); !ok || op != tc.op {
			t.Errorf("OpcodeOf(%T) = %v, %v", tc.v, op, ok)
		}
		b, err := EncodePayload(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if tc.hex != "" && hex.EncodeToString(b) != tc.hex {
			t.Errorf("%T encodes to %x, want %s", tc.v, b, tc.hex)
		}
		got, err := DecodePayload(tc.op, b)
		if err != nil {
			t.Fatalf("%T: %v", tc.v, err)
		}
		if !reflect.DeepEqual(got, tc.v) {
			t.Errorf("%T round trip: %+v", tc.v, got)
		}
	}
	// An ID inside a payload has the envelope's wire form.
	b, _ := EncodePayload(&LookupNodeResponse{Peers: []ID{peer}})
	if want := "9191" + hex.EncodeToString(peer.appendTo(nil)); hex.EncodeToString(b) != want {
		t.Errorf("LookupNodeResponse = %x, want %s", b, want)
	}
}

type testUpload struct {
	Hash string
	Size uint64
}

func TestRegister(t *testing.T) {
	const op = OpChannelStart + 99
	Register(op, "TestUpload", func() any { return new(testUpload) })
	if name, ok := Lookup(op); !ok || name != "TestUpload" || op.String() != "TestUpload" {
		t.Fatalf("Lookup = %q, %v", name, ok)
	}
	b, _ := EncodePayload(testUpload{Hash: "h", Size: 3})
	v, err := DecodePayload(op, b)
	if err != nil || *v.(*testUpload) != (testUpload{"h", 3}) {
		t.Fatalf("DecodePayload = %+v, %v", v, err)
	}
	for name, f := range map[string]func(){
		"duplicate": func() { Register(op, "Again", func() any { return new(testUpload) }) },
		"spec":      func() { Register(OpPing, "MyPing", func() any { return new(Ping) }) },
		"unknown":   func() { Register(5, "Five", func() any { return new(Ping) }) },
		"nil":       func() { Register(op-1, "Nil", func() any { return nil }) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register %s did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestDecodePayloadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   Opcode
		in   []byte
		want error
		text string
	}{
		{"unregistered", 4, []byte{0x90}, ErrUnknownOpcode, "4"},
		{"zero", OpUnregistered, []byte{0x90}, ErrUnknownOpcode, "0"},
		{"trailing", OpAckResponse, []byte{0x91, 0x09, 0x00}, ErrMalformed, "1 bytes after"},
		{"wrong type", OpAckResponse, []byte{0x91, 0xa1, 'x'}, ErrMalformed, "Ack"},
		{"empty", OpPing, nil, ErrMalformed, "Ping"},
		{"array bomb", OpLookupNodeResponse, []byte{0x91, 0xdd, 0xff, 0xff, 0xff, 0xff}, ErrMalformed, "4294967295 elements"},
		{"map bomb", OpMetricResponse, []byte{0xdf, 0x7f, 0xff, 0xff, 0xff}, ErrMalformed, "elements"},
		{"deep", OpPing, []byte(strings.Repeat("\x91", 100)), ErrMalformed, "deeper"},
		{"reserved type", OpPing, []byte{0xc1}, ErrMalformed, "0xc1"},
	} {
		_, err := DecodePayload(tc.op, tc.in)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: err = %v, want %v mentioning %q", tc.name, err, tc.want, tc.text)
		}
	}
}

// An ID encodes in its wire form whether it is passed by value, by pointer or inside a struct.
func TestIDMsgpackForms(t *testing.T) {
	k, _ := keys.FromPrivateBytes(keys.SHA512withEdDSA, make([]byte, 32))
	id := NewID(k.Public(), "kcp://a")
	want := hex.EncodeToString(id.appendTo(nil))
	for _, v := range []any{id, &id, struct{ P ID }{id}} {
		b, err := EncodePayload(v)
		if err != nil {
			t.Fatal(err)
		}
		got := hex.EncodeToString(b)
		if _, isStruct := v.(struct{ P ID }); isStruct {
			got = got[2:] // the enclosing array of 1
		}
		if got != want {
			t.Errorf("%T: %s, want %s", v, got, want)
		}
	}
}
