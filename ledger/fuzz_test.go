package ledger

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"

	"dsp/keys"
	"dsp/wire"
)

func fuzzSeedTx(t testing.TB) []byte {
	k := seededKey(t, "fuzz")
	tx, err := NewTx(k, "dsp-devnet", 3, 1, &StoreFile{FileHash: []byte("h"), PrimaryNodes: []keys.Address{k.Address()},
		Option: UploadOption{FileSize: 10, WhiteList: WhiteList{Rules: []WhiteListRule{{Addr: k.Address()}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return tx.Encode()
}

func FuzzDecodeTx(f *testing.F) {
	f.Add(fuzzSeedTx(f))
	f.Add([]byte{0x97})
	k := seededKey(f, "fuzz")
	bp, _ := SignBalanceProof(k, "dsp-devnet", Hash{1}, 2, 3)
	ctx, _ := NewTx(k, "dsp-devnet", 4, 1, &CloseChannel{ChannelID: Hash{1}, Proofs: []BalanceProof{bp}})
	f.Add(ctx.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			return
		}
		if !bytes.Equal(tx.Encode(), b) {
			t.Fatal("a decoded tx does not re-encode to its bytes")
		}
		_, _, _ = tx.Verify("dsp-devnet")
		_, _ = tx.Payload()
		_ = tx.Hash()
	})
}

func FuzzDecodeBlock(f *testing.F) {
	tx, _ := DecodeTx(fuzzSeedTx(f))
	b := &Block{Header: BlockHeader{ChainID: "dsp-devnet", Height: 1}, Txs: []*Tx{tx}}
	b.Header.TxRoot = txRoot(b.Txs)
	f.Add(b.Encode())
	f.Add([]byte{0x92, 0x99})
	f.Fuzz(func(t *testing.T, buf []byte) {
		b, err := DecodeBlock(buf)
		if err != nil {
			return
		}
		if !bytes.Equal(b.Encode(), buf) {
			t.Fatal("a decoded block does not re-encode to its bytes")
		}
		_ = b.Hash()
		_ = txRoot(b.Txs)
		_ = b.Header.verifySig(keys.Address{})
	})
}

var fuzzLedger struct {
	once sync.Once
	h    *Handler
}

// FuzzHandleBytes sends arbitrary payloads under every ledger opcode to a Handler: it never
// panics and always answers with a registered reply.
func FuzzHandleBytes(f *testing.F) {
	for _, m := range messageTypes {
		b, _ := wire.EncodePayload(m.mk())
		f.Add(uint8(m.op-wire.OpLedgerStart), b)
	}
	sub, _ := wire.EncodePayload(&SubmitRequest{Tx: fuzzSeedTx(f)})
	f.Add(uint8(OpSubmitRequest-wire.OpLedgerStart), sub)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, op uint8, payload []byte) {
		fuzzLedger.once.Do(func() {
			g, prod, _ := crashGenesis(t)
			l, err := Open(Config{Path: filepath.Join(dir, "fuzz.db"), Genesis: g, Producer: prod, BlockInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			fuzzLedger.h = NewHandler(l)
		})
		if OpWaitTxRequest == wire.OpLedgerStart+wire.Opcode(op) {
			return // waits up to its timeout by design
		}
		rop, rb, err := fuzzLedger.h.HandleBytes(context.Background(), wire.OpLedgerStart+wire.Opcode(op%100), payload)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wire.DecodePayload(rop, rb); err != nil {
			t.Fatalf("reply %d does not decode: %v", rop, err)
		}
	})
}
