package pdp_test

import (
	"crypto/sha256"
	"fmt"

	"dsp/pdp"
)

// The whole life of one file: the uploader tags it, an FS node proves a round, the ledger verifies.
func Example() {
	// Uploader: a per-owner key from the account's private key bytes.
	sk, err := pdp.DeriveSecretKey([]byte("the account's private key bytes"))
	if err != nil {
		panic(err)
	}
	blocks := [][]byte{[]byte("block zero"), []byte("block one"), []byte("block two, the last")}
	fileHash := sha256.Sum256([]byte("the root of the file's block tree"))
	tagger := sk.NewTagger(fileHash[:], 0)
	for _, b := range blocks {
		if err := tagger.Add(b); err != nil {
			panic(err)
		}
	}
	tags, err := tagger.Finish(nil)
	if err != nil {
		panic(err)
	}
	publicKey := sk.PublicKey().Bytes() // on the ledger with the file
	pk, err := sk.ProverKey(pdp.MaxSectors)
	if err != nil {
		panic(err)
	}
	proverKey := pk.Bytes() // to the FS nodes with the blocks and tags

	// FS node: check what it was given, then answer a round.
	pub, _ := pdp.DecodePublicKey(publicKey)
	nodeKey, _ := pdp.DecodeProverKey(proverKey)
	if err := nodeKey.Check(pub); err != nil {
		panic(err)
	}
	if err := pdp.CheckTags(pub, nodeKey, fileHash[:], 0, blocks, tags); err != nil {
		panic(err)
	}
	roundBlockHash := sha256.Sum256([]byte("ledger block at the round's height"))
	node := []byte("fs node address")
	proof, err := pdp.ProveRound(nodeKey, roundBlockHash[:], fileHash[:], node, uint64(len(blocks)), 2,
		func(i uint64) ([]byte, error) { return blocks[i], nil },
		func(i uint64) ([]byte, error) { return tags[i][:], nil })
	if err != nil {
		panic(err)
	}

	// Ledger: everything it needs is in its own records.
	err = pdp.VerifyRound(publicKey, roundBlockHash[:], fileHash[:], node, uint64(len(blocks)), 2, proof)
	fmt.Println(len(proof), err)
	// Output: 128 <nil>
}
