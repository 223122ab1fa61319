package dns

import (
	"context"
	"path/filepath"
	"testing"

	"dsp/keys"
	"dsp/ledger"
	"dsp/wire"
)

// FuzzHandleBytes feeds arbitrary payloads under the DNS opcodes to a Handler over an embedded
// ledger: every answer must be a decodable reply or OpError, never a panic.
func FuzzHandleBytes(f *testing.F) {
	for _, seed := range []any{&ResolveRequest{URL: "dsp://a/b", MaxHolders: 3}, &HeaderRequest{Name: "shop"}} {
		op, _ := wire.OpcodeOf(seed)
		b, _ := wire.EncodePayload(seed)
		f.Add(uint8(op-wire.OpDNSStart), b)
	}
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		f.Fatal(err)
	}
	l, err := ledger.Open(ledger.Config{Path: filepath.Join(f.TempDir(), "l.db"),
		Genesis: ledger.DevnetGenesis(k.Address(), nil), Producer: k, BlockInterval: -1})
	if err != nil {
		f.Fatal(err)
	}
	defer l.Close()
	h := NewHandler(l, nil)
	f.Fuzz(func(t *testing.T, op uint8, payload []byte) {
		o := wire.OpDNSStart + wire.Opcode(op%4)
		rop, rb, err := h.HandleBytes(context.Background(), o, payload)
		if err != nil {
			t.Fatal(err)
		}
		if rop != o+1 && rop != OpError {
			t.Fatalf("reply %d to %d", rop, o)
		}
		if _, err := wire.DecodePayload(rop, rb); err != nil {
			t.Fatal(err)
		}
	})
}
