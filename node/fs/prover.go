package fs

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"dsp/ledger"
	"dsp/pdp"
	"dsp/status"
	"dsp/store"
)

// ProverFile is where one file this node must store, prove or recover stands, as the prover loop
// sees it (Service.ProverStatus). Proofs, LastProofHeight and LastProofAt count what this process
// submitted and the ledger accepted; the ledger's own record is Contracts and Proofs.
type ProverFile struct {
	FileHash  store.Hash `json:"file_hash"`
	State     string     `json:"state"`     // the contract's state name (ledger.ContractStateName), "ended" once no duty is left
	Confirmed bool       `json:"confirmed"` // the node sent ConfirmFile
	// NextDue is the round height the next proof is due for (0 until confirmed); Deadline the last
	// height whose block may carry it (0: nothing owed that can fail the contract).
	NextDue  uint64 `json:"next_due"`
	Deadline uint64 `json:"deadline"`
	// Proofs is how many proofs of this process the ledger accepted; LastProofHeight the round of
	// the last one and LastProofAt the height of the block that included it.
	Proofs          uint64 `json:"proofs"`
	LastProofHeight uint64 `json:"last_proof_height"`
	LastProofAt     uint64 `json:"last_proof_at"`
	// Failures counts proof, confirmation and recovery attempts that failed; LastError is the
	// latest failure ("" after a success).
	Failures  uint64 `json:"failures"`
	LastError string `json:"last_error,omitempty"`
	// Recovered is set once this node fetched the file as a recovering node and confirmed it.
	Recovered bool `json:"recovered,omitempty"`
	// ReadTime and ProveTime split the last proof: reading the challenged blocks and tags from
	// the store, and the pdp computation.
	ReadTime  time.Duration `json:"read_ns"`
	ProveTime time.Duration `json:"prove_ns"`
}

// ProverStatus returns, by file hash, every file the prover loop has seen among the node's duties
// since the service started.
func (s *Service) ProverStatus() []ProverFile {
	p := s.prover
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ProverFile, 0, len(p.files))
	for _, f := range p.files {
		out = append(out, f.ProverFile)
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i].FileHash[:]) < string(out[j].FileHash[:]) })
	return out
}

// maxProofAttempts bounds how often the prover tries one round before it waits for the next.
const maxProofAttempts = 3

// prover is a storage node's prover loop: on every new ledger height it reads the node's duties
// and starts, per file and at most one at a time, a proof of the open round, a recovery or a
// confirmation. Its goroutines belong to the service (Close stops them).
type prover struct {
	s     *Service
	kickc chan struct{}
	sem   chan struct{} // one proof computation at a time (each uses every core)

	mu    sync.Mutex
	files map[store.Hash]*proverEntry
}

type proverEntry struct {
	ProverFile
	busy     bool
	round    uint64 // the round of the last attempts
	attempts int
}

func newProver(s *Service) *prover {
	return &prover{s: s, kickc: make(chan struct{}, 1), sem: make(chan struct{}, 1), files: map[store.Hash]*proverEntry{}}
}

// kick makes the loop look at the duties now (a file just became held).
func (p *prover) kick() {
	select {
	case p.kickc <- struct{}{}:
	default:
	}
}

func (p *prover) poll(ctx context.Context) time.Duration {
	if d := p.s.cfg.ProverPoll; d > 0 {
		return d
	}
	ci, err := p.s.cfg.Ledger.ChainInfo(ctx)
	if err != nil || ci.Params.BlockIntervalMs == 0 {
		return 250 * time.Millisecond
	}
	return min(250*time.Millisecond, max(20*time.Millisecond, time.Duration(ci.Params.BlockIntervalMs)*time.Millisecond/4))
}

// loop runs until the service closes.
func (p *prover) loop() {
	defer p.s.wg.Done()
	ctx := p.s.ctx
	t := time.NewTicker(p.poll(ctx))
	defer t.Stop()
	last, seen := uint64(0), false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kickc:
			seen = false
		}
		h, err := p.s.cfg.Ledger.Height(ctx)
		if err != nil || (seen && h == last) {
			continue
		}
		last, seen = h, true
		p.round(ctx, h)
	}
}

// round looks at the duties at height h and starts what is due.
func (p *prover) round(ctx context.Context, h uint64) {
	me := p.s.cfg.Key.Public().Address()
	duties, err := p.s.cfg.Ledger.Duties(ctx, me)
	if err != nil {
		p.s.log.Info("prover: duties", "err", err)
		return
	}
	listed := map[store.Hash]bool{}
	for _, d := range duties {
		if len(d.FileHash) != store.HashSize {
			continue
		}
		root := store.Hash(d.FileHash)
		listed[root] = true
		p.mu.Lock()
		e := p.files[root]
		if e == nil {
			e = &proverEntry{ProverFile: ProverFile{FileHash: root}}
			p.files[root] = e
		}
		e.State, e.Confirmed, e.NextDue, e.Deadline = ledger.ContractStateName(d.State), d.Confirmed, d.NextProveHeight, d.Deadline
		p.mu.Unlock()
		switch {
		case !d.Confirmed && d.State == ledger.ContractRecovering:
			p.start(ctx, root, func(ctx context.Context) { p.recover(ctx, d) })
		case !d.Confirmed:
			// A pending primary: its upload session confirms. A file held complete and marked
			// whose confirmation failed is confirmed again here.
			if p.held(ctx, root, d.FileBlockNum) {
				p.start(ctx, root, func(ctx context.Context) { p.confirm(ctx, root) })
			}
		case d.NextProveHeight != 0 && h >= d.NextProveHeight:
			p.start(ctx, root, func(ctx context.Context) { p.prove(ctx, root) })
		}
	}
	p.mu.Lock()
	for root, e := range p.files {
		if !listed[root] && !e.busy {
			e.State, e.NextDue, e.Deadline = "ended", 0, 0
		}
	}
	p.mu.Unlock()
}

// start runs job for root in its own goroutine unless one is running for root.
func (p *prover) start(ctx context.Context, root store.Hash, job func(context.Context)) {
	p.mu.Lock()
	e := p.files[root]
	if e.busy {
		p.mu.Unlock()
		return
	}
	e.busy = true
	p.mu.Unlock()
	p.s.wg.Add(1)
	go func() {
		defer p.s.wg.Done()
		defer func() {
			p.mu.Lock()
			e.busy = false
			p.mu.Unlock()
		}()
		job(ctx)
	}()
}

func (p *prover) update(root store.Hash, f func(*proverEntry)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.files[root]; e != nil {
		f(e)
	}
}

func (p *prover) failed(root store.Hash, err error) {
	if p.s.ctx.Err() != nil {
		return
	}
	p.s.log.Info("prover", "file", root, "err", err)
	p.update(root, func(e *proverEntry) { e.Failures++; e.LastError = err.Error() })
}

// held reports whether the node holds root complete, marked as stored and with its tags.
func (p *prover) held(ctx context.Context, root store.Hash, n uint64) bool {
	fi, err := p.s.cfg.Store.File(ctx, root)
	if err != nil || fi.State != store.StateComplete {
		return false
	}
	if _, err := p.s.cfg.Store.GetBlockMeta(ctx, root, metaStored); err != nil {
		return false
	}
	return HasTags(ctx, p.s.cfg.Store, root, n)
}

func (p *prover) confirm(ctx context.Context, root store.Hash) {
	if _, err := p.s.confirm(ctx, root); err != nil {
		p.failed(root, err)
		return
	}
	p.kick()
}

// prove answers the open round of root's contract and submits the proof.
func (p *prover) prove(ctx context.Context, root store.Hash) {
	me := p.s.cfg.Key.Public().Address()
	ch, err := p.s.cfg.Ledger.Challenge(ctx, root[:], me)
	if err != nil {
		return // no round open (yet): nothing to do at this height
	}
	again := true
	p.update(root, func(e *proverEntry) {
		if e.round != ch.RoundHeight {
			e.round, e.attempts = ch.RoundHeight, 0
		}
		if e.LastProofHeight >= ch.RoundHeight || e.attempts >= maxProofAttempts {
			again = false
			return
		}
		e.attempts++
	})
	if !again {
		return
	}
	proof, read, work, err := p.makeProof(ctx, ch)
	p.update(root, func(e *proverEntry) { e.ReadTime, e.ProveTime = read, work })
	if err != nil {
		p.failed(root, err)
		return
	}
	r, err := p.s.txs.Send(ctx, &ledger.SubmitProof{FileHash: root[:], RoundHeight: ch.RoundHeight, Proof: proof})
	if err != nil {
		p.failed(root, status.Wrap(status.TaskFileUploadedCheckPdpFailed, err, "submit proof of %s for round %d", root, ch.RoundHeight))
		return
	}
	p.update(root, func(e *proverEntry) {
		e.Proofs++
		e.LastProofHeight, e.LastProofAt, e.LastError = ch.RoundHeight, r.Height, ""
	})
	p.kick()
}

// makeProof reads the challenged blocks and tags of ch's file from the store and proves the
// round. It returns the proof and the time spent reading and computing.
func (p *prover) makeProof(ctx context.Context, ch *ledger.ProofChallenge) ([]byte, time.Duration, time.Duration, error) {
	root := store.Hash(ch.FileHash)
	pub, err := pdp.DecodePublicKey(ch.FileProveParam)
	if err != nil {
		return nil, 0, 0, status.Wrap(status.TaskGetPdpParamsError, err, "prove %s", root)
	}
	pk, err := p.s.keys.get(pub)
	if err == nil && pk == nil {
		err = fmt.Errorf("no prover key for the owner of %s", root)
	}
	if err != nil {
		return nil, 0, 0, status.Wrap(status.TaskGetPdpParamsError, err, "prove %s", root)
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, 0, ctx.Err()
	}
	defer func() { <-p.sem }()
	st := p.s.cfg.Store
	tags := NewTagReader(st, root)
	var read time.Duration
	readBlock := func(i uint64) ([]byte, error) {
		t0 := time.Now()
		defer func() { read += time.Since(t0) }()
		h, err := st.DataBlockHash(ctx, root, i)
		if err != nil {
			return nil, err
		}
		return st.GetBlock(ctx, h)
	}
	readTag := func(i uint64) ([]byte, error) {
		t0 := time.Now()
		defer func() { read += time.Since(t0) }()
		return tags.Tag(ctx, i)
	}
	t0 := time.Now()
	proof, err := pdp.ProveRound(pk, ch.Seed[:], ch.FileHash, ch.Prover[:], ch.FileBlockNum, ch.ProveBlockNum, readBlock, readTag)
	total := time.Since(t0)
	if err != nil {
		return nil, read, total - read, status.Wrap(status.TaskFileUploadedCheckPdpFailed, err, "prove %s round %d", root, ch.RoundHeight)
	}
	return proof, read, total - read, nil
}
