package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"dsp/keys"

	"github.com/vmihailenco/msgpack/v5"
)

func testKey(t testing.TB, s keys.Scheme) *keys.KeyPair {
	t.Helper()
	k, err := keys.GenerateFrom(s, bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testMessage(payload []byte) *Message {
	return &Message{
		Message:      payload,
		RequestNonce: 300,
		MessageNonce: 1 << 40,
		ReplyFlag:    true,
		Opcode:       OpPing,
		NetID:        1,
		MessageID:    "m-1",
		NeedAck:      true,
	}
}

func TestNewIDAndCheck(t *testing.T) {
	k := testKey(t, keys.SHA512withEdDSA)
	id := NewID(k.Public(), "kcp://127.0.0.1:4001")
	sum := sha256.Sum256(append([]byte{byte(keys.SHA512withEdDSA)}, k.Public().Key...))
	if !bytes.Equal(id.ID, sum[:]) || id.NetKey[0] != byte(keys.SHA512withEdDSA) || id.Address != "kcp://127.0.0.1:4001" {
		t.Fatalf("NewID = %+v", id)
	}
	if err := id.Check(); err != nil {
		t.Fatal(err)
	}
	acct, err := id.Account()
	if err != nil || acct != k.Address() {
		t.Fatalf("Account = %v, %v; want %v", acct, err, k.Address())
	}
	bad := id
	bad.ID = append([]byte(nil), id.ID...)
	bad.ID[0] ^= 1
	if err := bad.Check(); !errors.Is(err, ErrIDMismatch) || !strings.Contains(err.Error(), hex.EncodeToString(sum[:])) {
		t.Fatalf("tampered id: %v", err)
	}
	bad = id
	bad.NetKey = []byte{9, 1, 2, 3}
	if err := bad.Check(); !errors.Is(err, ErrIDMismatch) || !errors.Is(err, keys.ErrUnknownScheme) {
		t.Fatalf("bad net_key: %v", err)
	}
}

// The envelope's bytes, field by field, as docs/protocol.md describes them.
func TestMessageEncodingVector(t *testing.T) {
	m := testMessage([]byte{0xaa, 0xbb})
	m.Sender = ID{NetKey: []byte{2, 1}, Address: "a", ID: []byte{3}}
	m.Signature = []byte{0x55}
	got, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := "9a" + // array of 10
		"c402aabb" + // message: bin 8, 2 bytes
		"94" + "c4020201" + "a161" + "c40103" + "c400" + // sender: array of 4
		"c40155" + // signature
		"cd012c" + // request_nonce 300: uint 16
		"cf0000010000000000" + // message_nonce 2^40: uint 64
		"c3" + // reply_flag
		"0a" + // opcode 10: positive fixint
		"01" + // netID
		"a36d2d31" + // MessageID "m-1": fixstr
		"c3" // need_ack
	if hex.EncodeToString(got) != want {
		t.Fatalf("encoding\n got %x\nwant %s", got, want)
	}
	// Any msgpack decoder reads it as the spec's fields in order.
	var generic []any
	if err := msgpack.Unmarshal(got, &generic); err != nil || len(generic) != 10 {
		t.Fatalf("msgpack.Unmarshal: %v, %d fields", err, len(generic))
	}
	back, err := Unmarshal(got)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.Marshal()
	if !bytes.Equal(again, got) {
		t.Fatalf("re-encoding differs: %x", again)
	}
}

// An envelope written by the msgpack library itself (structs as arrays, fixed-width integers)
// decodes, and its signature verifies over the bytes as received.
func TestMessageFromMsgpackLibrary(t *testing.T) {
	k := testKey(t, keys.SHA256withECDSA)
	type libID struct {
		NetKey       []byte
		Address      string
		ID           []byte
		ConnectionID []byte
	}
	type libMessage struct {
		Message      []byte
		Sender       libID
		Signature    []byte
		RequestNonce uint64
		MessageNonce uint64
		ReplyFlag    bool
		Opcode       uint32
		NetID        uint32
		MessageID    string
		NeedAck      bool
	}
	id := NewID(k.Public(), "kcp://x")
	lm := libMessage{Message: []byte("hi"), Sender: libID(id), Signature: []byte{}, RequestNonce: 5, Opcode: 10, NetID: 1}
	enc := func() []byte {
		var buf bytes.Buffer
		e := msgpack.NewEncoder(&buf)
		e.UseArrayEncodedStructs(true)
		if err := e.Encode(lm); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	unsigned := enc() // signature field: c4 00, integers as uint 64
	sig, err := k.Sign(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	lm.Signature = sig
	m, err := Unmarshal(enc())
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Message) != "hi" || m.RequestNonce != 5 || m.Opcode != OpPing || !m.Sender.Equal(id) {
		t.Fatalf("decoded %+v", m)
	}
	if err := m.Verify(); err != nil {
		t.Fatalf("verify over the received bytes: %v", err)
	}
}

func TestSignVerifyEverySchemeAndTamper(t *testing.T) {
	for _, s := range keys.Schemes() {
		t.Run(s.String(), func(t *testing.T) {
			k := testKey(t, s)
			other, err := keys.Generate(s)
			if err != nil {
				t.Fatal(err)
			}
			m := testMessage([]byte("payload"))
			m.Sender.Address = "kcp://127.0.0.1:4001"
			if err := m.Sign(k); err != nil {
				t.Fatal(err)
			}
			if !m.Sender.Equal(NewID(k.Public(), "kcp://127.0.0.1:4001")) {
				t.Fatal("Sign did not fill the sender's key and id")
			}
			if err := m.Verify(); err != nil {
				t.Fatal(err)
			}
			enc, _ := m.Marshal()
			got, err := Unmarshal(enc)
			if err != nil {
				t.Fatal(err)
			}
			if err := got.Verify(); err != nil {
				t.Fatalf("received: %v", err)
			}
			if err := got.Verify(); err != nil {
				t.Fatalf("verifying twice: %v", err)
			}
			// Tamper with every region of the encoding: payload, sender, signature, nonces, flags.
			for _, tc := range []struct {
				name   string
				change func(m *Message)
				want   error
			}{
				{"payload", func(m *Message) { m.Message = []byte("pAyload") }, ErrBadSignature},
				{"payload in place", func(m *Message) { m.Message[0] ^= 1 }, ErrBadSignature},
				{"address", func(m *Message) { m.Sender.Address = "kcp://evil:1" }, ErrBadSignature},
				{"request nonce", func(m *Message) { m.RequestNonce++ }, ErrBadSignature},
				{"message nonce", func(m *Message) { m.MessageNonce++ }, ErrBadSignature},
				{"reply flag", func(m *Message) { m.ReplyFlag = false }, ErrBadSignature},
				{"opcode", func(m *Message) { m.Opcode = OpPong }, ErrBadSignature},
				{"net id", func(m *Message) { m.NetID = 2 }, ErrBadSignature},
				{"message id", func(m *Message) { m.MessageID = "m-2" }, ErrBadSignature},
				{"need ack", func(m *Message) { m.NeedAck = false }, ErrBadSignature},
				{"signature", func(m *Message) { m.Signature[5] ^= 1 }, ErrBadSignature},
				{"no signature", func(m *Message) { m.Signature = nil }, ErrBadSignature},
				{"id", func(m *Message) { m.Sender.ID = bytes.Repeat([]byte{1}, 32) }, ErrIDMismatch},
				{"other key", func(m *Message) { m.Sender = NewID(other.Public(), m.Sender.Address) }, ErrBadSignature},
			} {
				for _, from := range []string{"built", "received"} {
					var c *Message
					if from == "built" {
						c = testMessage([]byte("payload"))
						c.Sender.Address = "kcp://127.0.0.1:4001"
						c.Sign(k)
					} else {
						c, _ = Unmarshal(enc)
					}
					tc.change(c)
					if err := c.Verify(); !errors.Is(err, tc.want) {
						t.Errorf("%s %s: err = %v, want %v", from, tc.name, err, tc.want)
					}
				}
			}
			// Tampering with the encoded bytes themselves.
			for i := range enc {
				if i >= 18 && i < len(enc)-10 && i%7 != 0 {
					continue // a sample of positions is enough
				}
				b := bytes.Clone(enc)
				b[i] ^= 0x01
				if m, err := Unmarshal(b); err == nil && m.Verify() == nil {
					t.Fatalf("flipping a bit of byte %d still verifies", i)
				}
			}
		})
	}
}

func TestSignRejectsForeignSender(t *testing.T) {
	k := testKey(t, keys.SHA512withEdDSA)
	m := testMessage(nil)
	m.Sender = NewID(testKey(t, keys.SHA256withECDSA).Public(), "")
	if err := m.Sign(k); !errors.Is(err, ErrIDMismatch) {
		t.Fatalf("err = %v", err)
	}
}

func TestUnmarshalMalformed(t *testing.T) {
	k := testKey(t, keys.SHA512withEdDSA)
	m := testMessage([]byte("x"))
	m.Sign(k)
	good, _ := m.Marshal()
	for _, tc := range []struct {
		name string
		in   []byte
		text string
	}{
		{"empty", nil, "message at byte 0"},
		{"not an array", []byte{0xc0}, "not an array"},
		{"short array", []byte{0x99}, "9 elements, want 10"},
		{"truncated", good[:len(good)-1], "need_ack"},
		{"trailing", append(bytes.Clone(good), 0), "1 bytes after the message"},
		{"bad opcode type", bytes.Replace(bytes.Clone(good), []byte{0xc3, 0x0a, 0x01}, []byte{0xc3, 0xa0, 0x01}, 1), "opcode"},
		{"opcode too big", append(bytes.Clone(good[:len(good)-8]), 0xc3, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0x01, 0xa3, 'm', '-', '1', 0xc3), "out of range"},
		{"negative nonce", append(bytes.Clone(good[:len(good)-8-9]), 0xd0, 0xff, 0xc3, 0x0a, 0x01, 0xa3, 'm', '-', '1', 0xc3), "message_nonce"},
		{"huge bin", []byte{0x9a, 0xc6, 0xff, 0xff, 0xff, 0xff}, "needs 4294967295 bytes"},
	} {
		_, err := Unmarshal(tc.in)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: err = %v, want ErrMalformed mentioning %q", tc.name, err, tc.text)
		}
	}
}

func TestUnmarshalDoesNotAlias(t *testing.T) {
	m := testMessage([]byte("payload"))
	m.Sign(testKey(t, keys.SHA512withEdDSA))
	enc, _ := m.Marshal()
	got, _ := Unmarshal(enc)
	for i := range enc {
		enc[i] = 0
	}
	if string(got.Message) != "payload" || got.Verify() != nil {
		t.Fatal("Unmarshal result changed with its input")
	}
	// Appending to a decoded field must not overwrite the rest of the envelope.
	_ = append(got.Message, "XXXXXXXXXXXXXXXXXXXXXXXX"...)
	_ = append(got.Sender.NetKey, "XXXXXXXXXXXXXXXXXXXXXXXX"...)
	if err := got.Verify(); err != nil {
		t.Fatalf("after appends: %v", err)
	}
}

func TestReaderWriterMessages(t *testing.T) {
	k := testKey(t, keys.SHA512withEdDSA)
	var buf bytes.Buffer
	w := NewWriter(&buf, Config{NetworkID: 1, Algo: AlgoFlate, Threshold: 64})
	var sent []*Message
	for _, n := range []int{0, 100, 256 << 10} {
		m := testMessage(compressible(n))
		m.MessageNonce = uint64(n)
		if err := m.Sign(k); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteMessage(m); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m)
	}
	r := NewReader(&buf, DefaultConfig())
	for _, want := range sent {
		got, err := r.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if err := got.Verify(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Message, want.Message) || got.MessageNonce != want.MessageNonce || !got.Sender.Equal(want.Sender) {
			t.Fatalf("message %d differs", want.MessageNonce)
		}
	}
	// A payload that is not a Message is ErrMalformed and the stream goes on.
	w.WritePayload([]byte("not msgpack"))
	w.WriteMessage(sent[0])
	if _, err := r.ReadMessage(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v", err)
	}
	if _, err := r.ReadMessage(); err != nil {
		t.Fatal(err)
	}
}
