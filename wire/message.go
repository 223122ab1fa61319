package wire

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"

	"dsp/keys"

	"github.com/vmihailenco/msgpack/v5"
)

// ID is the spec's ID: who sent a message. On the wire it is a msgpack array of 4 elements in
// this order: net_key (bin), address (str), id (bin), connection_id (bin).
type ID struct {
	NetKey       []byte // keys.PublicKey.Bytes(): scheme byte || key bytes
	Address      string // the peer's network address, e.g. "kcp://127.0.0.1:4001"
	ID           []byte // sha256(NetKey)
	ConnectionID []byte // used with a proxy server; empty otherwise
}

const idFields = 4

// NewID returns the ID of the holder of pub listening at addr: NetKey = pub.Bytes(),
// ID = sha256(NetKey).
func NewID(pub keys.PublicKey, addr string) ID {
	nk := pub.Bytes()
	sum := sha256.Sum256(nk)
	return ID{NetKey: nk, Address: addr, ID: sum[:]}
}

// PublicKey parses NetKey. It does not check ID (see Check).
func (id ID) PublicKey() (keys.PublicKey, error) {
	pub, err := keys.ParsePublicKey(id.NetKey)
	if err != nil {
		return keys.PublicKey{}, fmt.Errorf("net_key %x: %w", id.NetKey, err)
	}
	return pub, nil
}

// Account returns the account address of NetKey's public key.
func (id ID) Account() (keys.Address, error) {
	pub, err := id.PublicKey()
	if err != nil {
		return keys.Address{}, err
	}
	return pub.Address(), nil
}

// Check returns nil if NetKey is a valid public key and ID == sha256(NetKey), else an error
// wrapping ErrIDMismatch that says which.
func (id ID) Check() error {
	_, err := id.checkedKey()
	return err
}

func (id ID) checkedKey() (keys.PublicKey, error) {
	pub, err := id.PublicKey()
	if err != nil {
		return keys.PublicKey{}, fmt.Errorf("%w: %w", ErrIDMismatch, err)
	}
	if sum := sha256.Sum256(id.NetKey); !bytes.Equal(sum[:], id.ID) {
		return keys.PublicKey{}, fmt.Errorf("%w: id %x, but sha256(net_key) is %x", ErrIDMismatch, id.ID, sum)
	}
	return pub, nil
}

// Equal reports whether id and o are the same in every field.
func (id ID) Equal(o ID) bool {
	return bytes.Equal(id.NetKey, o.NetKey) && id.Address == o.Address &&
		bytes.Equal(id.ID, o.ID) && bytes.Equal(id.ConnectionID, o.ConnectionID)
}

func (id *ID) appendTo(b []byte) []byte {
	b = appendArrayLen(b, idFields)
	b = appendBin(b, id.NetKey)
	b = appendStr(b, id.Address)
	b = appendBin(b, id.ID)
	return appendBin(b, id.ConnectionID)
}

func (id *ID) decode(r *mpReader) error {
	n, err := r.arrayLen("sender")
	if err != nil {
		return err
	}
	if n != idFields {
		return r.errf("sender", "ID array has %d elements, want %d", n, idFields)
	}
	if id.NetKey, err = r.raw("sender.net_key"); err != nil {
		return err
	}
	addr, err := r.raw("sender.address")
	if err != nil {
		return err
	}
	id.Address = string(addr)
	if id.ID, err = r.raw("sender.id"); err != nil {
		return err
	}
	id.ConnectionID, err = r.raw("sender.connection_id")
	return err
}

var (
	_ msgpack.CustomEncoder = ID{}
	_ msgpack.CustomDecoder = (*ID)(nil)
)

// EncodeMsgpack writes id in its wire form (an array of 4), so an ID inside a payload (for
// example LookupNodeResponse.Peers) is encoded exactly as in a Message.
func (id ID) EncodeMsgpack(e *msgpack.Encoder) error {
	return e.Encode(msgpack.RawMessage(id.appendTo(nil)))
}

// DecodeMsgpack reads an ID in its wire form.
func (id *ID) DecodeMsgpack(d *msgpack.Decoder) error {
	raw, err := d.DecodeRaw()
	if err != nil {
		return fmt.Errorf("%w: ID: %v", ErrMalformed, err)
	}
	r := &mpReader{b: raw}
	var v ID
	if err := v.decode(r); err != nil {
		return err
	}
	// raw is the decoder's own copy; keep it only through the fields.
	*id = v
	return nil
}

// Message is the spec's Message: the envelope of everything sent between peers. On the wire it is
// a msgpack array of 10 elements in this order: message (bin), sender (ID), signature (bin),
// request_nonce (uint), message_nonce (uint), reply_flag (bool), opcode (uint32), netID (uint32),
// MessageID (str), need_ack (bool).
//
// Message is the payload: msgpack of the typed struct registered for Opcode (see EncodePayload).
// The signature covers the whole encoding with the signature field replaced by an empty bin
// (0xc4 0x00).
type Message struct {
	Message      []byte
	Sender       ID
	Signature    []byte
	RequestNonce uint64 // request/response id; 0 when the message is not part of one
	MessageNonce uint64 // the sender's sequence number
	ReplyFlag    bool   // this message answers the request RequestNonce
	Opcode       Opcode
	NetID        uint32
	MessageID    string
	NeedAck      bool

	dec *decoded // the encoding m was decoded from, for Verify; nil for a message built here
}

const messageFields = 10

// decoded remembers the bytes a Message was decoded from, so Verify checks the signature over the
// bytes as received instead of a re-encoding.
type decoded struct {
	raw            []byte // owned by the message; after unsign it holds the signed form
	sigOff, sigEnd int    // the signature field's encoding is raw[sigOff:sigEnd]
	unsigned       bool   // raw has been rewritten to the signed form, raw[:signedLen]
	snap           Message
}

// emptySig is the encoding of the signature field in the bytes a signature covers.
var emptySig = []byte{0xc4, 0x00}

// appendEncoding appends m's encoding with signature sig to b.
func (m *Message) appendEncoding(b []byte, sig []byte) []byte {
	b = appendArrayLen(b, messageFields)
	b = appendBin(b, m.Message)
	b = m.Sender.appendTo(b)
	b = appendBin(b, sig)
	b = appendUint(b, m.RequestNonce)
	b = appendUint(b, m.MessageNonce)
	b = appendBool(b, m.ReplyFlag)
	b = appendUint(b, uint64(m.Opcode))
	b = appendUint(b, uint64(m.NetID))
	b = appendStr(b, m.MessageID)
	return appendBool(b, m.NeedAck)
}

// encodedSize bounds the size of m's encoding.
func (m *Message) encodedSize() int {
	const overhead = 1 + 5 + 1 + 5 + 5 + 5 + 5 + 5 + 9 + 9 + 1 + 5 + 5 + 5 + 1
	return overhead + len(m.Message) + len(m.Sender.NetKey) + len(m.Sender.Address) + len(m.Sender.ID) +
		len(m.Sender.ConnectionID) + len(m.Signature) + len(m.MessageID)
}

// Marshal returns m's wire encoding (the spec's field order, see Message). The result is new
// memory the caller owns.
func (m *Message) Marshal() ([]byte, error) {
	return m.appendEncoding(make([]byte, 0, m.encodedSize()), m.Signature), nil
}

// Unmarshal decodes a Message from b, which must hold exactly one encoded Message. It copies b
// once; the returned message shares no memory with b. It checks the encoding only: call Verify to
// check the sender's id and signature. A malformed encoding is ErrMalformed, naming the field.
func Unmarshal(b []byte) (*Message, error) {
	return unmarshalOwned(bytes.Clone(b))
}

// unmarshalOwned decodes a Message from b, which the message then owns: its byte fields alias b.
func unmarshalOwned(b []byte) (*Message, error) {
	m := &Message{}
	r := &mpReader{b: b}
	sigOff, sigEnd, err := m.decode(r)
	if err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	if r.off != len(b) {
		return nil, fmt.Errorf("decode message: %w: %d bytes after the message", ErrMalformed, len(b)-r.off)
	}
	d := &decoded{raw: b, snap: *m}
	d.sigOff, d.sigEnd = sigOff, sigEnd
	// The signature is copied out: Verify rewrites its place in raw.
	m.Signature = bytes.Clone(m.Signature)
	d.snap.Signature = nil
	m.dec = d
	return m, nil
}

// decode reads m's fields from r and returns where the signature field's encoding lies.
func (m *Message) decode(r *mpReader) (sigOff, sigEnd int, err error) {
	sigOff, sigEnd = -1, -1
	err = m.decodeFields(r, &sigOff, &sigEnd)
	return sigOff, sigEnd, err
}

func (m *Message) decodeFields(r *mpReader, sigOff, sigEnd *int) error {
	n, err := r.arrayLen("message")
	if err != nil {
		return err
	}
	if n != messageFields {
		return r.errf("message", "Message array has %d elements, want %d", n, messageFields)
	}
	if m.Message, err = r.raw("message"); err != nil {
		return err
	}
	if err = m.Sender.decode(r); err != nil {
		return err
	}
	*sigOff = r.off
	if m.Signature, err = r.raw("signature"); err != nil {
		return err
	}
	*sigEnd = r.off
	if m.RequestNonce, err = r.uint("request_nonce", 1<<64-1); err != nil {
		return err
	}
	if m.MessageNonce, err = r.uint("message_nonce", 1<<64-1); err != nil {
		return err
	}
	if m.ReplyFlag, err = r.bool("reply_flag"); err != nil {
		return err
	}
	op, err := r.uint("opcode", 1<<32-1)
	if err != nil {
		return err
	}
	m.Opcode = Opcode(op)
	netID, err := r.uint("netID", 1<<32-1)
	if err != nil {
		return err
	}
	m.NetID = uint32(netID)
	id, err := r.raw("MessageID")
	if err != nil {
		return err
	}
	m.MessageID = string(id)
	m.NeedAck, err = r.bool("need_ack")
	return err
}

// sigBufs pools the buffers Sign and Verify encode into.
var sigBufs = sync.Pool{New: func() any { return new([]byte) }}

// Sign sets m.Signature to s's signature over m's encoding with the signature empty. If
// m.Sender.NetKey is empty, Sign first sets NetKey and ID from s's public key (Address is left as
// is); if it is set and is not s's key, Sign fails with ErrIDMismatch. Any change to m after
// Sign invalidates the signature.
func (m *Message) Sign(s keys.Signer) error {
	nk := s.Public().Bytes()
	if len(m.Sender.NetKey) == 0 {
		sum := sha256.Sum256(nk)
		m.Sender.NetKey, m.Sender.ID = nk, sum[:]
	} else if !bytes.Equal(m.Sender.NetKey, nk) {
		return fmt.Errorf("sign message: %w: sender net_key %x is not the signer's key %x", ErrIDMismatch, m.Sender.NetKey, nk)
	}
	m.dec = nil
	bp := sigBufs.Get().(*[]byte)
	buf := m.appendEncoding((*bp)[:0], nil)
	sig, err := s.Sign(buf)
	putSigBuf(bp, buf)
	if err != nil {
		return fmt.Errorf("sign message: %w", err)
	}
	m.Signature = sig
	return nil
}

func putSigBuf(bp *[]byte, buf []byte) {
	if cap(buf) <= 2*DefaultMaxMessageSize {
		*bp = buf[:0]
		sigBufs.Put(bp)
	}
}

// Verify checks the sender (Sender.Check: ErrIDMismatch) and then the signature over the encoding
// with the signature empty (ErrBadSignature). A message from Unmarshal or Reader.ReadMessage is
// checked over the bytes as received (so a peer's choice among equivalent msgpack forms does not
// matter) without copying them; if its fields were changed since, it is checked over a fresh
// encoding instead. Verify does not check NetID, nonces or the opcode. The first Verify of a
// received message rewrites its retained encoding in place, so Verify (like Sign) must not run
// concurrently on one message or on copies of it.
func (m *Message) Verify() error {
	pub, err := m.Sender.checkedKey()
	if err != nil {
		return fmt.Errorf("verify message: %w", err)
	}
	if len(m.Signature) == 0 {
		return fmt.Errorf("verify message: %w: message is not signed", ErrBadSignature)
	}
	if signed, ok := m.receivedSigned(); ok {
		return wrapVerify(pub.Verify(signed, m.Signature))
	}
	bp := sigBufs.Get().(*[]byte)
	buf := m.appendEncoding((*bp)[:0], nil)
	err = pub.Verify(buf, m.Signature)
	putSigBuf(bp, buf)
	return wrapVerify(err)
}

// wrapVerify makes a keys verification failure an ErrBadSignature (still matching the keys error).
func wrapVerify(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("verify message: %w: %w", ErrBadSignature, err)
}

// receivedSigned returns the bytes m's signature covers, made from the bytes m was decoded from,
// if m still holds what was decoded.
func (m *Message) receivedSigned() ([]byte, bool) {
	d := m.dec
	if d == nil || !d.matches(m) || d.sigEnd-d.sigOff < len(emptySig) {
		return nil, false
	}
	if !d.unsigned {
		// Put the empty signature where the signature was and move the (short) rest of the
		// encoding down after it.
		n := copy(d.raw[d.sigOff:], emptySig)
		n += copy(d.raw[d.sigOff+n:], d.raw[d.sigEnd:])
		d.raw = d.raw[:d.sigOff+n]
		d.unsigned = true
	}
	return d.raw, true
}

// matches reports whether m still holds the values decoded from d.raw.
func (d *decoded) matches(m *Message) bool {
	s := &d.snap
	return sameSlice(m.Message, s.Message) && m.Sender.Equal(s.Sender) &&
		m.RequestNonce == s.RequestNonce && m.MessageNonce == s.MessageNonce &&
		m.ReplyFlag == s.ReplyFlag && m.Opcode == s.Opcode && m.NetID == s.NetID &&
		m.MessageID == s.MessageID && m.NeedAck == s.NeedAck
}

// sameSlice reports whether a and b are the same memory (not merely equal contents).
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
