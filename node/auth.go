package node

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"dsp/wire"
)

// MACSize is the length of a session MAC in Message.Signature. Account signatures are 64 bytes,
// so the length tells a receiver which of the two a message carries.
const MACSize = 16

// sessionMAC authenticates the messages of one connection after the handshake: AES-256-GCM used
// as GMAC (nothing is encrypted) under a key derived from the handshake's X25519 exchange. One
// key per direction; the GCM nonce is the smux stream id and the message's per-stream
// message_nonce, so a nonce is never used twice under a key.
type sessionMAC struct {
	send, recv cipher.AEAD
}

// deriveSession computes the two direction keys from the X25519 shared secret and the transcript.
// dialer says which side the caller is.
func deriveSession(shared, dialerNonce, acceptorNonce []byte, dialerAcct, acceptorAcct string, dialer bool) (*sessionMAC, []byte, error) {
	salt := append(append([]byte(nil), dialerNonce...), acceptorNonce...)
	info := "dsp-1 session v1|" + dialerAcct + "|" + acceptorAcct
	okm, err := hkdf.Key(sha256.New, shared, salt, info, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("derive session keys: %w", err)
	}
	d2a, err := newGMAC(okm[:32])
	if err != nil {
		return nil, nil, err
	}
	a2d, err := newGMAC(okm[32:])
	if err != nil {
		return nil, nil, err
	}
	connID := sha256.Sum256(salt)
	if dialer {
		return &sessionMAC{send: d2a, recv: a2d}, connID[:16], nil
	}
	return &sessionMAC{send: a2d, recv: d2a}, connID[:16], nil
}

func newGMAC(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	return cipher.NewGCM(b)
}

// macHeader is what the MAC covers besides the payload: every envelope field except the
// signature, with fixed widths. The payload itself is the GCM additional data, so it is not
// copied.
func macHeader(buf *[96]byte, stream uint32, m *wire.Message) []byte {
	b := buf[:0]
	b = binary.BigEndian.AppendUint32(b, stream)
	b = binary.BigEndian.AppendUint32(b, m.NetID)
	b = binary.BigEndian.AppendUint32(b, uint32(m.Opcode))
	b = binary.BigEndian.AppendUint64(b, m.RequestNonce)
	b = binary.BigEndian.AppendUint64(b, m.MessageNonce)
	var flags byte
	if m.ReplyFlag {
		flags |= 1
	}
	if m.NeedAck {
		flags |= 2
	}
	b = append(b, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(len(m.Message)))
	id := sha256.Sum256([]byte(m.MessageID))
	b = append(b, id[:]...)
	return b
}

func gcmNonce(stream uint32, n uint64) []byte {
	var nonce [12]byte
	binary.BigEndian.PutUint32(nonce[:4], stream)
	binary.BigEndian.PutUint64(nonce[4:], n)
	return nonce[:]
}

func tagOf(a cipher.AEAD, stream uint32, m *wire.Message) []byte {
	var hb [96]byte
	var out [96 + MACSize]byte
	h := macHeader(&hb, stream, m)
	sealed := a.Seal(out[:0], gcmNonce(stream, m.MessageNonce), h, m.Message)
	return sealed[len(sealed)-MACSize:]
}

// seal sets m.Signature to the session MAC of m on stream.
func (s *sessionMAC) seal(stream uint32, m *wire.Message) {
	m.Signature = append(m.Signature[:0], tagOf(s.send, stream, m)...)
}

// open checks the session MAC of a message received on stream.
func (s *sessionMAC) open(stream uint32, m *wire.Message) error {
	if len(m.Signature) != MACSize {
		return fmt.Errorf("%w: %d-byte signature where a session MAC was expected", wire.ErrBadSignature, len(m.Signature))
	}
	if subtle.ConstantTimeCompare(tagOf(s.recv, stream, m), m.Signature) != 1 {
		return fmt.Errorf("%w: session MAC does not verify", wire.ErrBadSignature)
	}
	return nil
}

// ephemeral is a fresh X25519 key for one handshake.
func ephemeral() (*ecdh.PrivateKey, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ephemeral key: %w", err)
	}
	return k, nil
}

func freshNonce() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}
