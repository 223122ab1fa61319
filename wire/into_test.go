package wire

import (
	"bytes"
	"testing"
)

// TestReadPayloadIntoAndFragmentSize writes messages with a small FragmentSize (and the default)
// and reads them with ReadPayloadInto into one reused buffer and with ReadMessageView.
func TestReadPayloadIntoAndFragmentSize(t *testing.T) {
	for _, frag := range []int{0, 1000, MaxPackageSize - 512} {
		var buf bytes.Buffer
		c := Config{NetworkID: 1, FragmentSize: frag}
		if err := c.Verify(); err != nil {
			t.Fatal(err)
		}
		w := NewWriter(&buf, c)
		msgs := [][]byte{compressible(300 << 10), {}, []byte("short"), bytes.Repeat([]byte{7}, MaxPackageSize)}
		for _, m := range msgs {
			if err := w.WritePayload(m); err != nil {
				t.Fatal(err)
			}
		}
		if frag > 0 {
			// every frame carries at most frag bytes of body
			rest := buf.Bytes()
			for len(rest) > 0 {
				f, err := ReadFrame(bytes.NewReader(rest))
				if err != nil {
					t.Fatal(err)
				}
				if len(f.Body) > frag {
					t.Fatalf("FragmentSize %d: frame of %d bytes", frag, len(f.Body))
				}
				rest = rest[HeaderSize+len(f.Body):]
			}
		}
		r := NewReader(&buf, c)
		var into []byte
		for i, want := range msgs {
			got, err := r.ReadPayloadInto(into)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("FragmentSize %d: message %d: %d bytes, %v", frag, i, len(got), err)
			}
			into = got
		}
	}
	if err := (Config{NetworkID: 1, FragmentSize: MaxPackageSize + 1}).Verify(); err == nil {
		t.Fatal("Verify accepted a FragmentSize over MaxPackageSize")
	}
}

// TestReadMessageView reads messages written in one frame (encoded in place) and over several,
// without copies; each is whole until the next read.
func TestReadMessageView(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Config{NetworkID: 1})
	small := &Message{Message: []byte("hello"), Opcode: OpBytes, NetID: 1, MessageNonce: 1}
	big := &Message{Message: bytes.Repeat([]byte{3}, 200<<10), Opcode: OpBytes, NetID: 1, MessageNonce: 2}
	for _, m := range []*Message{small, big, small} {
		if err := w.WriteMessage(m); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&buf, Config{NetworkID: 1})
	for i, want := range []*Message{small, big, small} {
		m, err := r.ReadMessageView()
		if err != nil || !bytes.Equal(m.Message, want.Message) || m.MessageNonce != want.MessageNonce {
			t.Fatalf("message %d: %v", i, err)
		}
	}
}

// TestDecodePayloadInto decodes into a value that already holds a buffer: the bytes land in it.
// A value of another type than the opcode's is refused.
func TestDecodePayloadInto(t *testing.T) {
	b, err := EncodePayload(&LookupNodeRequest{Target: bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	op, _ := OpcodeOf(&LookupNodeRequest{})
	buf := make([]byte, 0, 64)
	v := &LookupNodeRequest{Target: buf}
	if err := DecodePayloadInto(op, b, v); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v.Target, bytes.Repeat([]byte{9}, 32)) || &v.Target[0] != &buf[:1][0] {
		t.Fatal("payload not decoded into the given buffer")
	}
	if err := DecodePayloadInto(op, b, &Ping{}); err == nil {
		t.Fatal("decoded into a value of another type")
	}
	if err := DecodePayloadInto(op, b[:len(b)-1], &LookupNodeRequest{}); err == nil {
		t.Fatal("decoded a truncated payload")
	}
}
