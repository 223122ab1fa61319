package ledger

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"dsp/keys"
	"dsp/pdp"
	"dsp/status"
)

// Params are the chain's rules, fixed by the genesis.
type Params struct {
	BlockIntervalMs  uint64   `json:"block_interval_ms"`   // how often the producer makes a block
	MinFee           uint64   `json:"min_fee"`             // the least fee a transaction may carry
	MaxBlockTxs      uint32   `json:"max_block_txs"`       // the most transactions a block holds
	MaxBlockBytes    uint32   `json:"max_block_bytes"`     // the most bytes of signed transactions a block holds
	MinFSPledge      uint64   `json:"min_fs_pledge"`       // the least pledge an FS node registers with
	MaxHeaderTTL     uint64   `json:"max_header_ttl"`      // the longest a DNS header may be registered for, in blocks
	ReservedHeaders  []string `json:"reserved_headers"`    // DNS headers nobody may register ("dsp" is the default header)
	DefaultHeader    string   `json:"default_header"`      // the header of URLs registered without one
	MaxProveBlockNum uint64   `json:"max_prove_block_num"` // the most blocks a proof may challenge
	// MaxBlockProofWork bounds the PDP work of one block, in units of about one challenged block's
	// verification (see ProofWork); 0 means DefaultMaxBlockProofWork.
	MaxBlockProofWork uint64 `json:"max_block_proof_work"`
	// ProofGraceRounds is how many consecutive rounds an FS node may leave unproven (unpaid) before
	// its contract fails and it is slashed; 0 = the first missed round fails it.
	ProofGraceRounds uint64 `json:"proof_grace_rounds"`
	// SlashPercent is the share of an FS node's pledge taken when one of its contracts fails (0-100).
	SlashPercent uint64 `json:"slash_percent"`
	// RecoveryRounds is how many prove intervals a node assigned to recover a file has, from its
	// assignment, to confirm it and land its first valid proof; 0 means 1.
	RecoveryRounds uint64 `json:"recovery_rounds"`
	// ChannelChallengeBlocks is a payment channel's challenge period: after a unilateral close,
	// the blocks during which the other side may submit newer balance proofs before the channel
	// can be settled; 0 means DefaultChannelChallengeBlocks.
	ChannelChallengeBlocks uint64 `json:"channel_challenge_blocks"`
}

// DefaultMaxBlockProofWork is the PDP work a block may carry when Params.MaxBlockProofWork is 0:
// about one CPU-second of verification, 100 proofs of 64 challenged blocks.
const DefaultMaxBlockProofWork = 8192

func (p *Params) maxProofWork() uint64 {
	if p.MaxBlockProofWork == 0 {
		return DefaultMaxBlockProofWork
	}
	return p.MaxBlockProofWork
}

func (p *Params) recoveryRounds() uint64 { return max(1, p.RecoveryRounds) }

// Alloc is one funded account of a genesis.
type Alloc struct {
	Address keys.Address `json:"address"`
	Balance uint64       `json:"balance"`
}

// Genesis names the chain, its single producer (the authority whose key signs every block), its
// rules, and the accounts it funds. Its JSON form is the genesis file.
type Genesis struct {
	ChainID   string       `json:"chain_id"`
	Timestamp int64        `json:"timestamp_ms"` // the genesis block's time, unix milliseconds
	Producer  keys.Address `json:"producer"`
	Params    Params       `json:"params"`
	Alloc     []Alloc      `json:"alloc"` // sorted by address; an address appears once
}

// DefaultParams are the devnet's rules: 1 s blocks, zero minimum fee.
func DefaultParams() Params {
	return Params{
		BlockIntervalMs:   1000,
		MinFee:            0,
		MaxBlockTxs:       20000,
		MaxBlockBytes:     3 << 20, // a block fits one wire message (4 MiB) with room to spare
		MinFSPledge:       1000,
		MaxHeaderTTL:      10 * 365 * 24 * 3600, // ten years of 1 s blocks
		ReservedHeaders:   []string{"dsp", "http", "https", "ftp", "file", "ledger", "scan", "admin", "system", "root"},
		DefaultHeader:     "dsp",
		MaxProveBlockNum:  1024,
		MaxBlockProofWork: DefaultMaxBlockProofWork,
		ProofGraceRounds:  0,
		SlashPercent:      10,
		RecoveryRounds:    2,

		ChannelChallengeBlocks: DefaultChannelChallengeBlocks,
	}
}

// DevnetGenesis returns a devnet genesis whose producer is producer and which funds each address
// of funded. The timestamp is fixed (2026-01-01T00:00:00Z) so that two calls with equal arguments
// give equal genesis blocks.
func DevnetGenesis(producer keys.Address, funded map[keys.Address]uint64) *Genesis {
	g := &Genesis{
		ChainID:   "dsp-devnet",
		Timestamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		Producer:  producer,
		Params:    DefaultParams(),
	}
	for a, v := range funded {
		g.Alloc = append(g.Alloc, Alloc{Address: a, Balance: v})
	}
	sort.Slice(g.Alloc, func(i, j int) bool { return string(g.Alloc[i].Address[:]) < string(g.Alloc[j].Address[:]) })
	return g
}

// LoadGenesis reads and validates a JSON genesis file.
func LoadGenesis(path string) (*Genesis, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, status.Wrap(status.InvalidParams, err, "read genesis")
	}
	var g Genesis
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, status.Wrap(status.InvalidParams, err, "parse genesis %s", path)
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	return &g, nil
}

// Save writes g as an indented JSON genesis file.
func (g *Genesis) Save(path string) error {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return fmt.Errorf("encode genesis: %w", err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Validate checks the genesis' rules: a chain id, a producer, a block interval, allocations
// sorted by address without duplicates and without overflow.
func (g *Genesis) Validate() error {
	bad := func(f string, a ...any) error {
		return status.Wrap(status.InvalidParams, ErrMalformed, "genesis: "+f, a...)
	}
	switch {
	case g.ChainID == "" || len(g.ChainID) > 64:
		return bad("chain_id must be 1-64 bytes")
	case g.Producer.IsZero():
		return bad("producer is missing")
	case g.Params.BlockIntervalMs == 0:
		return bad("params.block_interval_ms must be > 0")
	case g.Params.MaxBlockTxs == 0:
		return bad("params.max_block_txs must be > 0")
	case g.Params.MaxBlockBytes < maxTxBytes:
		return bad("params.max_block_bytes must be at least %d", maxTxBytes)
	case g.Params.DefaultHeader == "":
		return bad("params.default_header is missing")
	case g.Params.MaxProveBlockNum == 0 || g.Params.MaxProveBlockNum > pdp.MaxChallenged:
		return bad("params.max_prove_block_num must be 1-%d", pdp.MaxChallenged)
	case g.Params.maxProofWork() < ProofWork(g.Params.MaxProveBlockNum):
		return bad("params.max_block_proof_work %d cannot carry one proof of %d blocks (%d)", g.Params.maxProofWork(), g.Params.MaxProveBlockNum, ProofWork(g.Params.MaxProveBlockNum))
	case g.Params.SlashPercent > 100:
		return bad("params.slash_percent must be 0-100")
	}
	var total uint64
	for i, a := range g.Alloc {
		if i > 0 && string(g.Alloc[i-1].Address[:]) >= string(a.Address[:]) {
			return bad("alloc must be sorted by address without duplicates (entry %d)", i)
		}
		if total+a.Balance < total {
			return bad("alloc overflows")
		}
		total += a.Balance
	}
	return nil
}

// Hash identifies the genesis: sha256 of its canonical encoding. A data directory remembers it
// and refuses to open under another genesis.
func (g *Genesis) Hash() Hash { return sha(encode(g)) }

func (g *Genesis) block() *Block {
	return &Block{Header: BlockHeader{ChainID: g.ChainID, Height: 0, Parent: g.Hash(), Time: g.Timestamp, Producer: g.Producer}}
}

func (p *Params) reserved(h string) bool {
	for _, r := range p.ReservedHeaders {
		if r == h {
			return true
		}
	}
	return false
}
