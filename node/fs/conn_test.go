package fs

import (
	"bytes"
	"testing"
)

// TestAppendFrameReusesBuffer: appendFrame into one reused buffer gives, message after message,
// the bytes encodeFrame gives.
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

func mustEncode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := encodeFrame(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
