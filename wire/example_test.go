package wire

import (
	"bytes"
	"encoding/hex"
	"testing"

	"dsp/keys"
)

// docFrame is the example frame of docs/protocol.md: a Ping from the Ed25519 key whose seed is 32
// zero bytes, signed, framed on network 1 without compression. Ed25519 signatures are
// deterministic, so the bytes are fixed.
const docFrame = "" +
	"00000001" + "0000" + "000000ae" + // NetworkID 1, CompressInfo 0, Length 174
	"9a" + // Message: array of 10
	"c405" + "9201cd03e8" + // message: bin 8 of 5 bytes: Ping{Nonce: 1, SentUnixNano: 1000}
	"94" + // sender: ID, array of 4
	"c421" + "023b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29" + // net_key
	"b4" + "6b63703a2f2f3132372e302e302e313a34303031" + // address "kcp://127.0.0.1:4001"
	"c420" + "c00f77ef73c16e36fb2de336d0f9863d68e9c0cd45628a773888c323e8cf6b68" + // id
	"c400" + // connection_id: empty
	"c440" + docSig + // signature: bin 8 of 64 bytes
	"00" + "01" + "c2" + "0a" + "01" + "a0" + "c2" // request_nonce 0, message_nonce 1, reply_flag false, opcode 10, netID 1, MessageID "", need_ack false

const docSig = "f1464500793d4a6cb3fd1ee40a536c02d5f06f8757eef771540c68258d012a41" +
	"34b43265e0c2c3fa7dede7c7ee19932959f09092dfebe89d2c1eea73eee63801"

func docMessage(t *testing.T) (*Message, *keys.KeyPair) {
	k, err := keys.FromPrivateBytes(keys.SHA512withEdDSA, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := EncodePayload(Ping{Nonce: 1, SentUnixNano: 1000})
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{Message: payload, Sender: NewID(k.Public(), "kcp://127.0.0.1:4001"), MessageNonce: 1, Opcode: OpPing, NetID: 1}
	if err := m.Sign(k); err != nil {
		t.Fatal(err)
	}
	return m, k
}

func TestDocExampleFrame(t *testing.T) {
	m, _ := docMessage(t)
	var buf bytes.Buffer
	if err := NewWriter(&buf, DefaultConfig()).WriteMessage(m); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf.Bytes()); got != docFrame {
		t.Fatalf("frame\n got %s\nwant %s", got, docFrame)
	}
	got, err := NewReader(&buf, DefaultConfig()).ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(); err != nil {
		t.Fatal(err)
	}
	v, err := DecodePayload(got.Opcode, got.Message)
	if err != nil || *v.(*Ping) != (Ping{Nonce: 1, SentUnixNano: 1000}) {
		t.Fatalf("payload %+v, %v", v, err)
	}
}
