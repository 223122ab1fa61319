package fs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"dsp/wire"
)

// TestAppendFrameReusesBuffer: appendFrame into one reused buffer gives, message after message,
// the bytes encodeFrame (the wire package's encoding behind the opcode) gives.
func TestAppendFrameReusesBuffer(t *testing.T) {
	var buf []byte
	big := &BlockFlights{TimeStamp: 5, Blocks: []Block{{Index: 7, Hash: bytes.Repeat([]byte{5}, 32), Data: bytes.Repeat([]byte{6}, 300<<10)}}}
	for round := 0; round < 2; round++ {
		for _, want := range append(frameSeeds(t), mustEncode(t, big)) {
			v, err := DecodeFrame(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendFrame(buf[:0], v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("appendFrame of %T differs from encodeFrame", v)
			}
			buf = got
		}
	}
	if _, err := appendFrame(nil, struct{}{}); err == nil {
		t.Fatal("appendFrame encoded an unregistered type")
	}
}

// encodeFrame is the reference encoding of a bulk stream payload, made independently of
// appendFrame: the opcode (u32, big-endian), then wire.EncodePayload of v.
func encodeFrame(v any) ([]byte, error) {
	op, ok := wire.OpcodeOf(v)
	if !ok {
		return nil, fmt.Errorf("fs: %T is not a registered payload", v)
	}
	b, err := wire.EncodePayload(v)
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(op)), b...), nil
}

func mustEncode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := encodeFrame(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
