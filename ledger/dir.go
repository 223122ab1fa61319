package ledger

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"dsp/keys"
	"dsp/status"
)

// File names OpenDir uses inside a data directory.
const (
	DBFile      = "ledger.db"
	GenesisFile = "genesis.json"
	DevnetFunds = 1_000_000_000_000 // what a devnet genesis made by OpenDir gives the node's account
)

// OpenDir opens the ledger kept in dir (DBFile) for a node whose account key is self, the way
// `dsp node --roles ledger --data DIR [--genesis FILE]` does:
//   - with genesisFile, the chain is that genesis (a data file made from another is refused);
//   - without it, an existing data file keeps its chain, and an empty dir starts a devnet whose
//     producer is self and which funds self with DevnetFunds; its genesis is written to
//     dir/GenesisFile so other nodes can join it.
//
// The ledger produces blocks (every Params.BlockIntervalMs) when self is the genesis' producer
// and only follows (ApplyBlock, SyncFrom) otherwise. v may be nil: proofs are verified with
// PDPVerifier (pdp.VerifyRound).
func OpenDir(dir, genesisFile string, self keys.Signer, v ProofVerifier) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, status.Wrap(status.NoDb, err, "ledger dir")
	}
	dbPath := filepath.Join(dir, DBFile)
	var g *Genesis
	switch _, statErr := os.Stat(dbPath); {
	case genesisFile != "":
		var err error
		if g, err = LoadGenesis(genesisFile); err != nil {
			return nil, err
		}
	case errors.Is(statErr, os.ErrNotExist):
		me := self.Public().Address()
		g = DevnetGenesis(me, map[keys.Address]uint64{me: DevnetFunds})
		if err := g.Save(filepath.Join(dir, GenesisFile)); err != nil {
			return nil, status.Wrap(status.NoDb, err, "write devnet genesis")
		}
	}
	var producer keys.Signer
	stored, err := storedGenesis(dbPath, g)
	if err != nil {
		return nil, err
	}
	if stored.Producer == self.Public().Address() {
		producer = self
	}
	l, err := Open(Config{Path: dbPath, Genesis: g, Producer: producer, Verifier: v})
	if err != nil {
		return nil, fmt.Errorf("open ledger in %s: %w", dir, err)
	}
	return l, nil
}

// storedGenesis returns g, or when g is nil the genesis kept in the data file at path.
func storedGenesis(path string, g *Genesis) (*Genesis, error) {
	if g != nil {
		return g, nil
	}
	l, err := Open(Config{Path: path, BlockInterval: -1})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return l.g, nil
}
