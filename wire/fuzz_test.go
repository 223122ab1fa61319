package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"dsp/keys"
)

// countingReader counts the bytes read through it and how large a read was asked for.
type countingReader struct {
	r       io.Reader
	read    int
	maxRead int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.maxRead = max(c.maxRead, len(p))
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func seedFrames(f *testing.F) {
	for _, v := range frameVectors {
		f.Add(mustHex(f, v.hex))
	}
	for _, a := range Algos()[1:] {
		b, _ := AppendFrame(nil, Frame{NetworkID: 1, Compressed: true, Algo: a, Body: bomb(f, a, 1<<20)})
		f.Add(b)
	}
	f.Add(header(1, 0, MaxPackageSize+1))
	f.Add(header(1, 0x0400, 0))
	f.Add(header(1, 0x0106, 3))
	f.Add(header(1, 0x0200, 0)) // a lone MORE fragment
}

// FuzzReadFrame: ReadFrame and Decompress never panic, never return a body over the bound, never
// ask the stream for more than the header and one bounded body, and accept only what re-encodes to
// the same bytes.
func FuzzReadFrame(f *testing.F) {
	seedFrames(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		cr := &countingReader{r: bytes.NewReader(in)}
		fr, err := ReadFrame(cr)
		if cr.maxRead > MaxPackageSize {
			t.Fatalf("asked the stream for %d bytes at once", cr.maxRead)
		}
		if err != nil {
			if err != io.EOF && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrOversized) && !errors.Is(err, ErrUnknownCompression) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(fr.Body) > MaxPackageSize || cr.read != HeaderSize+len(fr.Body) {
			t.Fatalf("body %d bytes, read %d", len(fr.Body), cr.read)
		}
		again, err := AppendFrame(nil, fr)
		if err != nil || !bytes.Equal(again, in[:cr.read]) {
			t.Fatalf("frame does not re-encode: %v", err)
		}
		body, err := fr.Decompress(make([]byte, 0, 16))
		if len(body) > MaxPackageSize || cap(body) > MaxPackageSize+16 {
			t.Fatalf("decompressed into %d bytes (cap %d)", len(body), cap(body))
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrOversized) {
			t.Fatalf("unexpected decompress error %v", err)
		}
	})
}

// FuzzDecodeMessage: Unmarshal never panics, accepts only encodings it reproduces field for field,
// and Verify on whatever it accepts returns an error or nil without panicking.
func FuzzDecodeMessage(f *testing.F) {
	k, _ := keys.FromPrivateBytes(keys.SHA512withEdDSA, make([]byte, 32))
	p, _ := keys.FromPrivateBytes(keys.SHA256withECDSA, bytes.Repeat([]byte{1}, 32))
	for _, signer := range []*keys.KeyPair{k, p} {
		m := testMessage([]byte("payload"))
		m.Sender.Address = "kcp://127.0.0.1:4001"
		m.Sign(signer)
		b, _ := m.Marshal()
		f.Add(b)
	}
	f.Add([]byte{0x9a, 0xc6, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x9a, 0xc0, 0x94, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0, 0, 0xc2, 0, 0, 0xc0, 0xc2})
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := Unmarshal(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(m.Message) > len(in) {
			t.Fatalf("payload of %d bytes from %d bytes", len(m.Message), len(in))
		}
		enc, _ := m.Marshal()
		back, err := Unmarshal(enc)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if !bytes.Equal(back.Message, m.Message) || !back.Sender.Equal(m.Sender) || !bytes.Equal(back.Signature, m.Signature) ||
			back.RequestNonce != m.RequestNonce || back.MessageNonce != m.MessageNonce || back.ReplyFlag != m.ReplyFlag ||
			back.Opcode != m.Opcode || back.NetID != m.NetID || back.MessageID != m.MessageID || back.NeedAck != m.NeedAck {
			t.Fatal("re-encoding differs")
		}
		if err := m.Verify(); err == nil {
			// Only a real signature by the sender's key verifies; the fuzzer cannot forge one,
			// so this must be one of the seeds.
			if !bytes.Equal(in, enc) {
				t.Logf("verified a non-canonical encoding of a seed")
			}
		} else if !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrIDMismatch) {
			t.Fatalf("unexpected verify error %v", err)
		}
		if m.Opcode.IsSpec() {
			DecodePayload(m.Opcode, m.Message) // must not panic
		}
	})
}

// FuzzReader: a Reader over arbitrary bytes never panics, returns no message over its bound, and
// ends with io.EOF or a sentinel error.
func FuzzReader(f *testing.F) {
	seedFrames(f)
	var buf bytes.Buffer
	w := NewWriter(&buf, Config{NetworkID: 1, Algo: AlgoFlate, Threshold: 10})
	w.WritePayload(compressible(150 << 10))
	w.WritePayload([]byte("short"))
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:HeaderSize+100])
	f.Fuzz(func(t *testing.T, in []byte) {
		const bound = 200 << 10
		r := NewReader(bytes.NewReader(in), Config{NetworkID: 1, MaxMessageSize: bound})
		// r2 reads the same bytes with ReadPayloadInto, reusing one buffer: same messages, same
		// errors.
		r2 := NewReader(bytes.NewReader(in), Config{NetworkID: 1, MaxMessageSize: bound})
		var into []byte
		for i := 0; i < 100; i++ {
			p, err := r.ReadPayload()
			p2, err2 := r2.ReadPayloadInto(into)
			into = p2
			if !bytes.Equal(p, p2) || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("ReadPayload gave %d bytes, %v; ReadPayloadInto %d bytes, %v", len(p), err, len(p2), err2)
			}
			if len(p) > bound {
				t.Fatalf("message of %d bytes over the bound %d", len(p), bound)
			}
			if cap(r.msg) > bound+MaxPackageSize {
				t.Fatalf("reassembly buffer grew to %d", cap(r.msg))
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrOversized) && !errors.Is(err, ErrUnknownCompression) &&
					!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrWrongNetwork) {
					t.Fatalf("unexpected error %v", err)
				}
				if r.err != nil {
					return // out of step: every later call fails the same way
				}
			}
		}
	})
}

// FuzzDecodePayload: DecodePayload never panics on any opcode's payload.
func FuzzDecodePayload(f *testing.F) {
	f.Add(uint32(OpLookupNodeResponse), []byte{0x91, 0x91, 0x94, 0xc0, 0xa0, 0xc0, 0xc0})
	f.Add(uint32(OpMetricResponse), []byte{0x91, 0x91, 0x92, 0xa1, 'x', 0xcb, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint32(OpPing), []byte{0x92, 0x07, 0xff})
	f.Fuzz(func(t *testing.T, op uint32, in []byte) {
		v, err := DecodePayload(Opcode(op%20), in)
		if err == nil {
			if _, err := EncodePayload(v); err != nil {
				t.Fatalf("decoded %T does not encode: %v", v, err)
			}
		} else if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownOpcode) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
