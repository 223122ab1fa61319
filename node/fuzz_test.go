package node

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dsp/keys"
	"dsp/wire"
)

// FuzzLiveConn feeds arbitrary bytes to a live host three ways: as a new inbound connection
// instead of a handshake, as the start of a new stream on an authenticated connection, and as
// frames on an extra message stream after a valid StreamOpen. The host must not panic, the
// authenticated connection must keep serving requests, and once the hosts close no goroutine may
// be left behind.
func FuzzLiveConn(f *testing.F) {
	base := countGoroutines()
	n := suites()[0]
	a, b := newHost(f, n, "fz-a"), newHost(f, n, "fz-b")
	f.Cleanup(func() {
		a.Close()
		b.Close()
		goroutinesSettle(f, base)
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := a.Connect(ctx, b.Addrs()[0])
	if err != nil {
		f.Fatal(err)
	}
	frame := func(network uint32, body []byte, more bool) []byte {
		var buf bytes.Buffer
		if err := wire.WriteFrame(&buf, wire.Frame{NetworkID: network, Body: body, More: more}); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	good, _ := wire.EncodePayload(&echoMsg{Text: "x"})
	m := &wire.Message{Message: good, Sender: a.selfID(), Opcode: opEcho, NetID: a.NetworkID(), MessageNonce: 9, RequestNonce: 5}
	m.Sign(a.Config().Key)
	signed, _ := m.Marshal()
	f.Add([]byte{})
	f.Add(frame(a.NetworkID(), []byte{0x93, 0x01, 0x02, 0x03}, false))
	f.Add(frame(a.NetworkID()+1, good, false))
	f.Add(frame(a.NetworkID(), signed, false))
	f.Add(append(frame(a.NetworkID(), signed[:10], true), frame(a.NetworkID(), signed[10:], false)...))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		// 1. Instead of a handshake.
		if c, err := n.mem.Dial(ctx, "mem-fz-b"); err == nil {
			c.Write(data)
			c.Close()
		}
		// 2. As the first bytes of a new stream.
		if st, err := p.sess.OpenStream(); err == nil {
			st.Write(data)
			st.Close()
		}
		// 3. After a valid StreamOpen on an extra message stream.
		st, err := p.sess.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		ms := newMsgStream(st, a.Config().Wire)
		if err := p.sendOn(ctx, ms, OpStreamOpen, &StreamOpen{}, 0, false, false); err != nil {
			t.Fatal(err)
		}
		st.Write(data)
		st.Close()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := p.Request(rctx, opEcho, &echoMsg{Text: "alive"}); err != nil {
			t.Fatalf("connection stopped serving after fuzz input: %v", err)
		}
	})
}

// FuzzParsePeerURL: any string is either rejected or splits into a pin and a URL that SplitURL
// accepts; a pinned account prints back as it was written.
func FuzzParsePeerURL(f *testing.F) {
	f.Add("kcp://127.0.0.1:4001")
	f.Add("AUrpEHLpaR5KPFV8Ew2tNd8tzs4538NqMQ@kcp://127.0.0.1:4001")
	f.Add("@kcp://x")
	f.Add("a@b@kcp://x:1")
	f.Add("mem://a@b")
	f.Fuzz(func(t *testing.T, s string) {
		pin, url, err := ParsePeerURL(s)
		if err != nil {
			return
		}
		if _, _, err := SplitURL(url); err != nil {
			t.Fatalf("ParsePeerURL(%q) gave url %q that SplitURL rejects: %v", s, url, err)
		}
		if pin != (keys.Address{}) && pin.String()+"@"+url != s {
			t.Fatalf("ParsePeerURL(%q) = %s @ %q", s, pin, url)
		}
	})
}

// FuzzLoadKey: a node.key file with any content loads a key or fails with an error, never panics,
// and a loaded key's address matches the file's address field when there is one.
func FuzzLoadKey(f *testing.F) {
	k, _ := keys.Generate(keys.SHA512withEdDSA)
	f.Add([]byte(`{"scheme":"SHA512withEdDSA","private":"` + hex.EncodeToString(k.PrivateBytes()) + `","address":"` + k.Address().String() + `"}`))
	f.Add([]byte(`{"scheme":"p256","private":"00"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), KeyFile)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := LoadOrCreateKey(path)
		if err != nil {
			return
		}
		var kf keyFile
		if json.Unmarshal(b, &kf) == nil && kf.Address != "" && kf.Address != k.Address().String() {
			t.Fatalf("loaded %s from a file naming %s", k.Address(), kf.Address)
		}
	})
}
