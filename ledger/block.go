package ledger

import (
	"fmt"

	"dsp/keys"
	"dsp/status"
)

// BlockHeader is a block header. Its hash (the block hash) is sha256 of the canonical encoding of the
// header with ProducerSig empty, so the producer's signature, randomized under ECDSA, cannot be
// ground to bias the PDP challenges seeded by block hashes.
type BlockHeader struct {
	ChainID     string
	Height      uint64
	Parent      Hash
	Time        int64 // unix milliseconds, never before the parent's
	Producer    keys.Address
	TxRoot      Hash // merkleRoot of the transaction hashes in order
	TxCount     uint32
	ProducerKey []byte // keys.PublicKey.Bytes() of the producer
	ProducerSig []byte // over the block hash
}

// Block is a header and its transactions in order.
type Block struct {
	Header BlockHeader
	Txs    []*Tx
}

// Hash returns the block hash.
func (h *BlockHeader) Hash() Hash {
	c := *h
	c.ProducerSig = nil
	return sha(encode(&c))
}

// Hash returns the block hash.
func (b *Block) Hash() Hash { return b.Header.Hash() }

// Encode returns the canonical encoding of the block.
func (b *Block) Encode() []byte { return encode(b) }

// DecodeBlock parses a canonical block encoding (format only; ApplyBlock checks the rest).
func DecodeBlock(buf []byte) (*Block, error) {
	var b Block
	if err := decode(buf, &b); err != nil {
		return nil, status.Wrap(status.ChainUnknownBlock, err, "decode block")
	}
	for i, tx := range b.Txs {
		if tx == nil {
			return nil, status.Wrap(status.ChainUnknownBlock, ErrMalformed, "block tx %d is nil", i)
		}
	}
	return &b, nil
}

func txRoot(txs []*Tx) Hash {
	hs := make([]Hash, len(txs))
	for i, tx := range txs {
		hs[i] = tx.Hash()
	}
	return merkleRoot(hs)
}

// sign fills ProducerKey and ProducerSig.
func (h *BlockHeader) sign(s keys.Signer) error {
	h.ProducerKey = s.Public().Bytes()
	bh := h.Hash()
	sig, err := s.Sign(bh[:])
	if err != nil {
		return fmt.Errorf("sign block %d: %w", h.Height, err)
	}
	h.ProducerSig = sig
	return nil
}

// verifySig checks that the header is signed by producer.
func (h *BlockHeader) verifySig(producer keys.Address) error {
	pub, err := keys.ParsePublicKey(h.ProducerKey)
	if err != nil {
		return fmt.Errorf("%w: producer key: %v", ErrBadBlock, err)
	}
	if pub.Address() != producer || h.Producer != producer {
		return fmt.Errorf("%w: block %d produced by %s, the chain's producer is %s", ErrBadBlock, h.Height, pub.Address(), producer)
	}
	bh := h.Hash()
	if err := pub.Verify(bh[:], h.ProducerSig); err != nil {
		return fmt.Errorf("%w: block %d: %w: %v", ErrBadBlock, h.Height, ErrBadSignature, err)
	}
	return nil
}
