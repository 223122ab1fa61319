package roles

import (
	"bytes"
	"testing"

	"dsp/wire"
)

// FuzzCoopCloseDecode: arbitrary payloads under the channel opcodes decode to the registered
// message or fail with an error, never a panic, and what decodes encodes back to a payload that
// decodes to the same message.
func FuzzCoopCloseDecode(f *testing.F) {
	for _, seed := range []any{
		&CoopClose{ChannelID: bytes.Repeat([]byte{7}, 32), BalanceA: 10, BalanceB: 90, Sig: []byte{1, 2, 3}},
		&CoopCloseReply{ChannelID: bytes.Repeat([]byte{9}, 32), BalanceA: 1 << 40, Sig: make([]byte, 65)},
	} {
		op, _ := wire.OpcodeOf(seed)
		b, err := wire.EncodePayload(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(op == OpCoopCloseReply, b)
	}
	f.Add(false, []byte{0x94, 0xc4, 0x00, 0x00, 0x00, 0xc4, 0x00})
	f.Fuzz(func(t *testing.T, reply bool, payload []byte) {
		op := OpCoopClose
		if reply {
			op = OpCoopCloseReply
		}
		v, err := wire.DecodePayload(op, payload)
		if err != nil {
			return
		}
		again, err := wire.EncodePayload(v)
		if err != nil {
			t.Fatalf("re-encode %T: %v", v, err)
		}
		w, err := wire.DecodePayload(op, again)
		if err != nil {
			t.Fatalf("decode the re-encoding of %T: %v", v, err)
		}
		b1, _ := wire.EncodePayload(w)
		if !bytes.Equal(b1, again) {
			t.Fatalf("%T does not round-trip: %x then %x", v, again, b1)
		}
	})
}
