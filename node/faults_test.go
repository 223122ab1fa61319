package node

import (
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"dsp/node/nettest"
	"dsp/wire"
)

// lossyNet is the kcp suite over links that drop 5 %, reorder 2 % and duplicate 1 % of packets.
func lossyNet(drop float64) (testNet, *nettest.Lossy) {
	reg := &nettest.Lossy{Drop: drop, Dup: 0.01, Reorder: 0.02}
	tr := NewKCP(DefaultKCPConfig())
	tr.WrapPacket = reg.Wrap
	return testNet{name: "lossy-kcp", transports: func(string) (Transports, string) {
		return Transports{"kcp": tr}, "kcp://127.0.0.1:0"
	}}, reg
}

// patternReader yields n pseudo-random bytes and hashes them as they go.
type patternReader struct {
	rng  *rand.ChaCha8
	left int64
	h    hash.Hash
}

func (r *patternReader) Read(b []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), r.left)]
	r.rng.Read(b)
	r.h.Write(b)
	r.left -= int64(len(b))
	return len(b), nil
}

func TestLossyLinkMovesDataIntact(t *testing.T) {
	n, reg := lossyNet(0.05)
	a, b := newHost(t, n, "a"), newHost(t, n, "b")
	type result struct {
		sum [32]byte
		n   int64
		err error
	}
	res := make(chan result, 1)
	b.HandleStream("test/lossy", func(s *Stream) {
		defer s.Close()
		h := sha256.New()
		k, err := io.Copy(h, s)
		var r result
		copy(r.sum[:], h.Sum(nil))
		r.n, r.err = k, err
		res <- r
	})
	ctx := ctxT(t)
	p, err := a.Connect(ctx, b.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.OpenStream(ctx, "test/lossy")
	if err != nil {
		t.Fatal(err)
	}
	src := &patternReader{rng: rand.NewChaCha8([32]byte{1}), left: lossyBytes, h: sha256.New()}
	if _, err := io.CopyBuffer(s, src, make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	select {
	case r := <-res:
		if r.err != nil || r.n != lossyBytes || r.sum != [32]byte(src.h.Sum(nil)) {
			t.Fatalf("received %d bytes (err %v), want %d intact", r.n, r.err, int64(lossyBytes))
		}
	case <-time.After(60 * time.Second):
		t.Fatal("transfer over the lossy link did not finish")
	}
	sent, dropped := reg.Counts()
	if dropped == 0 || float64(dropped)/float64(sent) < 0.03 {
		t.Fatalf("the link dropped %d of %d packets; the test did not exercise loss", dropped, sent)
	}
	t.Logf("moved %d MiB; %d of %d packets dropped", lossyBytes>>20, dropped, sent)
}

// TestKilledPeerFailsRequests: a peer that vanishes mid-transfer (its link drops everything)
// fails its pending requests within the keepalive timeout, and the node keeps serving others.
func TestKilledPeerFailsRequests(t *testing.T) {
	n, reg := lossyNet(0)
	short := func(c *Config) { c.KeepaliveTimeout = 2 * time.Second }
	victim := newHost(t, n, "victim", short)
	node := newHost(t, suites()[1], "node", short) // a clean link of its own
	other := newHost(t, suites()[1], "other", short)
	node.HandleStream("test/sink", func(s *Stream) { defer s.Close(); io.Copy(io.Discard, s) })
	ctx := ctxT(t)
	// The victim dials the node, so every packet the victim sends goes through its lossy conn.
	if _, err := victim.Connect(ctx, node.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Connect(ctx, node.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "node has both peers", func() bool { return len(node.Peers()) == 2 })
	pv, _ := node.Peer(victim.Account())
	// A transfer from the victim is under way, and the node waits on a request to it.
	vp, _ := victim.Peer(node.Account())
	s, err := vp.OpenStream(ctx, "test/sink")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := s.Write(buf); err != nil {
				return
			}
		}
	}()
	errc := make(chan error, 1)
	go func() {
		_, err := pv.Request(ctx, opSlow, &echoMsg{})
		errc <- err
	}()
	time.Sleep(200 * time.Millisecond)
	killed := time.Now()
	reg.BlackholeAll() // the victim is gone without a word
	timeout := node.Config().KeepaliveTimeout
	select {
	case err := <-errc:
		if !errors.Is(err, ErrPeerClosed) || !errors.Is(err, ErrKeepaliveTimeout) {
			t.Fatalf("pending request: %v, want ErrPeerClosed by keepalive timeout", err)
		}
		// The bound is the keepalive timeout plus one check interval; the margin is for a
		// loaded machine, not for the design.
		if d := time.Since(killed); d > 2*timeout {
			t.Fatalf("request failed after %v, keepalive timeout is %v", d, timeout)
		}
	case <-time.After(2*timeout + 2*time.Second):
		t.Fatal("pending request not failed within the keepalive timeout")
	}
	if _, ok := node.Peer(victim.Account()); ok {
		t.Fatal("victim still listed as a peer")
	}
	po, _ := other.Peer(node.Account())
	if _, err := po.Request(ctx, opEcho, &echoMsg{Text: "still here"}); err != nil {
		t.Fatalf("the node stopped serving others: %v", err)
	}
}

// TestBadMessagesDroppedAndCounted writes messages that fail each check onto a live connection's
// message stream; each is dropped and counted by reason and the connection keeps serving.
func TestBadMessagesDroppedAndCounted(t *testing.T) {
	forEachNet(t, func(t *testing.T, n testNet) {
		a, b := newHost(t, n, "a"), newHost(t, n, "b")
		ctx := ctxT(t)
		p, err := a.Connect(ctx, b.Addrs()[0])
		if err != nil {
			t.Fatal(err)
		}
		ms := p.ctrl
		raw := func(f func() error) {
			t.Helper()
			if err := ms.wmu.lock(ctx); err != nil {
				t.Fatal(err)
			}
			defer ms.wmu.unlock()
			if err := f(); err != nil {
				t.Fatal(err)
			}
		}
		msg := func(op wire.Opcode, body []byte) *wire.Message {
			return &wire.Message{Message: body, Sender: a.selfID(), Opcode: op, NetID: a.NetworkID()}
		}
		good, _ := wire.EncodePayload(&echoMsg{Text: "x"})
		// Wrong network id at the frame level.
		raw(func() error {
			w := wire.NewWriter(ms.s, wire.Config{NetworkID: 77, Threshold: 1024, MaxMessageSize: wire.DefaultMaxMessageSize})
			m := msg(opCounted, good)
			ms.sendNonce++
			m.MessageNonce = ms.sendNonce
			p.mac.seal(ms.id, m)
			return w.WriteMessage(m)
		})
		// Not a message at all.
		raw(func() error { return ms.w.WritePayload([]byte{0x01, 0x02, 0x03}) })
		// Bad MAC.
		raw(func() error {
			m := msg(opCounted, good)
			ms.sendNonce++
			m.MessageNonce = ms.sendNonce
			p.mac.seal(ms.id, m)
			m.Signature[0] ^= 1
			return ms.w.WriteMessage(m)
		})
		// Replayed nonce: a correct MAC over an old nonce.
		raw(func() error {
			m := msg(opCounted, good)
			m.MessageNonce = 1
			p.mac.seal(ms.id, m)
			return ms.w.WriteMessage(m)
		})
		// Unknown opcode.
		raw(func() error {
			m := msg(1099, good)
			ms.sendNonce++
			m.MessageNonce = ms.sendNonce
			p.mac.seal(ms.id, m)
			return ms.w.WriteMessage(m)
		})
		// Someone else's sender id.
		raw(func() error {
			m := msg(opCounted, good)
			m.Sender = b.selfID()
			ms.sendNonce++
			m.MessageNonce = ms.sendNonce
			p.mac.seal(ms.id, m)
			return ms.w.WriteMessage(m)
		})
		// The connection still serves.
		if _, err := p.Request(ctx, opEcho, &echoMsg{Text: "after"}); err != nil {
			t.Fatal(err)
		}
		for _, reason := range []string{DropWrongNetwork, DropMalformed, DropBadSignature, DropReplay, DropUnknownOpcode, DropIDMismatch} {
			if v := metricValue(b.Metrics().Dropped.WithLabelValues(reason)); v != 1 {
				t.Errorf("dropped[%s] = %v, want 1", reason, v)
			}
		}
		if b.echo.counted.Load() != 0 {
			t.Fatalf("a bad message reached the component")
		}
	})
}
