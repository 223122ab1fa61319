package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/status"
)

// Config opens an Embedded ledger.
type Config struct {
	// Path is the bbolt file (e.g. DIR/ledger.db). It is created with the genesis state if absent.
	Path string
	// Genesis is required to create a chain; when opening an existing one it may be nil (the
	// stored genesis is used) or must equal the stored one (ErrGenesisMismatch).
	Genesis *Genesis
	// Producer is the key of the genesis' producer. With it the ledger makes blocks; without it
	// the ledger only applies blocks handed to ApplyBlock.
	Producer keys.Signer
	// BlockInterval overrides the genesis' interval when > 0. When < 0 no block is made on a
	// timer; blocks are made only by ProduceBlock (tests, and nodes that drive production).
	BlockInterval time.Duration
	// Verifier checks PDP proofs; nil means PDPVerifier (pdp.VerifyRound). Tests may inject
	// another; every ledger of a chain must use verifiers that agree.
	Verifier ProofVerifier
	// MaxMempool bounds the mempool (default 100000 transactions).
	MaxMempool int
	// Now is the clock for block times (default time.Now).
	Now func() time.Time
	// Logger receives block production errors (default slog.Default()).
	Logger *slog.Logger
}

// Embedded is the ledger running in this process over one bbolt file. It implements Ledger.
// All methods are safe for concurrent use.
type Embedded struct {
	db       *bolt.DB
	g        *Genesis
	gHash    Hash
	params   Params
	producer keys.Signer
	verifier ProofVerifier
	verdicts *verdicts
	now      func() time.Time
	log      *slog.Logger
	maxPool  int

	mu       sync.Mutex // guards the fields below and serializes block commits
	pool     []*poolTx
	inPool   map[Hash]bool
	pending  *overlay // writes of the pool's transactions over the committed state
	dropped  map[Hash]error
	dropList []Hash
	newBlock chan struct{} // closed and replaced at every commit

	closeOnce sync.Once
	closed    chan struct{}
	wg        sync.WaitGroup
}

type poolTx struct {
	tx      *Tx
	hash    Hash
	size    int // bytes of the signed encoding
	sender  keys.Address
	payload Payload
}

func newPoolTx(tx *Tx, sender keys.Address, p Payload) *poolTx {
	enc := tx.Encode()
	return &poolTx{tx: tx, hash: sha(enc), size: len(enc), sender: sender, payload: p}
}

const maxDropped = 10000

var _ Ledger = (*Embedded)(nil)

// Open opens or creates the ledger at c.Path and, with a producer and a positive interval,
// starts making blocks. Close stops it.
func Open(c Config) (*Embedded, error) {
	db, err := bolt.Open(c.Path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, status.Wrap(status.NoDb, err, "open ledger %s", c.Path)
	}
	l := &Embedded{db: db, producer: c.Producer, verifier: c.Verifier, now: c.Now, log: c.Logger, maxPool: c.MaxMempool,
		inPool: map[Hash]bool{}, dropped: map[Hash]error{}, newBlock: make(chan struct{}), closed: make(chan struct{})}
	if l.verifier == nil {
		l.verifier = PDPVerifier{}
	}
	l.verdicts = newVerdicts()
	if l.now == nil {
		l.now = time.Now
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.maxPool <= 0 {
		l.maxPool = 100000
	}
	if err := l.init(c.Genesis); err != nil {
		db.Close()
		return nil, err
	}
	l.pending = newOverlay(nil)
	if l.producer != nil && l.producer.Public().Address() != l.g.Producer {
		db.Close()
		return nil, status.Wrap(status.InvalidParams, ErrBadBlock, "producer key %s is not the genesis producer %s", l.producer.Public().Address(), l.g.Producer)
	}
	interval := c.BlockInterval
	if interval == 0 {
		interval = time.Duration(l.params.BlockIntervalMs) * time.Millisecond
	}
	if l.producer != nil && interval > 0 {
		l.wg.Add(1)
		go l.produceLoop(interval)
	}
	return l, nil
}

func (l *Embedded) init(g *Genesis) error {
	return l.db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return status.Wrap(status.NoDb, err, "create bucket %s", b)
			}
		}
		meta := tx.Bucket(bMeta)
		if stored := meta.Get([]byte("genesis")); stored != nil {
			var sg Genesis
			if err := decodeTrusted(stored, &sg); err != nil {
				return status.Wrap(status.NoDb, err, "stored genesis")
			}
			if g != nil && g.Hash() != sg.Hash() {
				return status.Wrap(status.InvalidParams, ErrGenesisMismatch, "the ledger was made from genesis %s, not %s", sg.Hash(), g.Hash())
			}
			l.setGenesis(&sg)
			return nil
		}
		if g == nil {
			return status.Wrap(status.InvalidParams, ErrGenesisMismatch, "a new ledger needs a genesis")
		}
		if err := g.Validate(); err != nil {
			return err
		}
		l.setGenesis(g)
		bk := &boltKV{tx: tx}
		e := &env{kv: bk, params: &l.params}
		for _, a := range g.Alloc {
			e.credit(a.Address, a.Balance)
		}
		b := g.block()
		bk.put(bMeta, []byte("genesis"), encode(g))
		l.writeBlock(bk, b, nil)
		return bk.err
	})
}

func (l *Embedded) setGenesis(g *Genesis) {
	l.g, l.gHash, l.params = g, g.Hash(), g.Params
}

// writeBlock stores b, its hash, its tx index entries, and moves the tip to it.
func (l *Embedded) writeBlock(bk *boltKV, b *Block, receipts []Receipt) {
	h := b.Header.Height
	bh := b.Hash()
	bk.put(bBlocks, u64(h), encode(b))
	bk.put(bBlockHash, u64(h), bh[:])
	for i, tx := range b.Txs {
		ent := txEntry{Tx: tx.Encode(), Receipt: receipts[i]}
		bk.put(bTxs, receipts[i].TxHash[:], encode(&ent))
	}
	bk.put(bMeta, []byte("height"), u64(h))
	bk.put(bMeta, []byte("tiphdr"), encode(&b.Header))
}

type txEntry struct {
	Tx      []byte
	Receipt Receipt
}

// tipHeight returns the committed height.
func tipHeight(tx *bolt.Tx) (uint64, error) {
	hb := tx.Bucket(bMeta).Get([]byte("height"))
	if len(hb) != 8 {
		return 0, status.New(status.ChainGetHeightFailed, "ledger has no height")
	}
	return binary.BigEndian.Uint64(hb), nil
}

// tip returns the committed height and the header of the block there.
func tip(tx *bolt.Tx) (uint64, *BlockHeader, error) {
	h, err := tipHeight(tx)
	if err != nil {
		return 0, nil, err
	}
	var hdr BlockHeader
	if err := decodeTrusted(tx.Bucket(bMeta).Get([]byte("tiphdr")), &hdr); err != nil || hdr.Height != h {
		return 0, nil, status.Wrap(status.ChainGetBlkByHeightFailed, fmt.Errorf("%w: tip header %d: %v", ErrMalformed, h, err), "tip")
	}
	return h, &hdr, nil
}

// Close stops block production, wakes every WaitTx with ErrClosed and closes the database.
func (l *Embedded) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.closed)
		l.wg.Wait()
		l.mu.Lock()
		defer l.mu.Unlock()
		err = l.db.Close()
	})
	return err
}

func (l *Embedded) produceLoop(interval time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.closed:
			return
		case <-t.C:
			if _, err := l.ProduceBlock(); err != nil && !errors.Is(err, ErrClosed) {
				l.log.Error("ledger: produce block", "err", err)
			}
		}
	}
}

func (l *Embedded) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

// ProduceBlock makes one block now from the mempool's oldest transactions (possibly none) and
// commits it with its state changes in one bbolt transaction. It needs the producer key.
func (l *Embedded) ProduceBlock() (*Block, error) {
	if l.producer == nil {
		return nil, status.Wrap(status.ChainInternalError, ErrBadBlock, "this ledger has no producer key")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		return nil, ErrClosed
	}
	take := l.pool[:min(len(l.pool), int(l.params.MaxBlockTxs))]
	var b *Block
	taken := 0
	skipped := map[Hash]error{}
	err := l.db.Update(func(btx *bolt.Tx) error {
		height, parent, err := tip(btx)
		if err != nil {
			return err
		}
		b = &Block{Header: BlockHeader{ChainID: l.g.ChainID, Height: height + 1, Parent: parent.Hash(),
			Time: max(l.now().UnixMilli(), parent.Time), Producer: l.g.Producer}}
		bk := &boltKV{tx: btx}
		var receipts []Receipt
		size := 0
		var work uint64
		for _, p := range take {
			if size+p.size > int(l.params.MaxBlockBytes) {
				break // the rest waits for the next block, in order
			}
			w := txWork(bk, p.payload)
			if work+w > l.params.maxProofWork() {
				break // so does PDP work beyond the block's budget
			}
			size += p.size
			work += w
			taken++
			r, err := l.applyTx(bk, b.Header.Height, p, uint32(len(b.Txs)))
			if err != nil { // nonce or fee no longer valid: leave it out
				skipped[p.hash] = err
				continue
			}
			b.Txs = append(b.Txs, p.tx)
			receipts = append(receipts, r)
		}
		(&env{kv: bk, params: &l.params, height: b.Header.Height}).sweep(btx)
		b.Header.TxRoot, b.Header.TxCount = txRoot(b.Txs), uint32(len(b.Txs))
		if err := b.Header.sign(l.producer); err != nil {
			return err
		}
		l.writeBlock(bk, b, receipts)
		return bk.err
	})
	if err != nil {
		return nil, status.Wrap(status.ChainInternalError, err, "commit block")
	}
	l.afterCommit(taken, skipped)
	return b, nil
}

// applyTx applies one verified transaction through bk at height: nonce and fee first (an error
// there means the transaction cannot be in a block), then the payload, whose failure is recorded
// in the receipt and leaves no other change.
func (l *Embedded) applyTx(bk *boltKV, height uint64, p *poolTx, index uint32) (Receipt, error) {
	e := l.txEnv(bk, height, p)
	if err := e.chargeTx(p.tx, l.g.Producer); err != nil {
		return Receipt{}, err
	}
	ov := newOverlay(bk)
	e.kv = ov
	r := Receipt{TxHash: p.hash, Height: height, Index: index}
	res, err := e.execute(p.payload)
	if err != nil {
		r.Code, r.Name, r.Msg = status.CodeOf(err, int(status.ChainInternalError)), status.NameOf(err), err.Error()
		if r.Name == "" {
			r.Name = status.ChainInternalError.Name()
		}
		return r, nil
	}
	r.Result = res
	flush(ov, bk)
	return r, nil
}

// txEnv is the env p executes in at height over k.
func (l *Embedded) txEnv(k kv, height uint64, p *poolTx) *env {
	return &env{kv: k, params: &l.params, height: height, txHash: p.hash, sender: p.sender, verifier: l.verifier,
		verdicts: l.verdicts, chainID: l.g.ChainID, nonce: p.tx.Nonce, senderKey: p.tx.PubKey}
}

// flush writes ov's buffered writes into bk.
func flush(ov *overlay, bk *boltKV) {
	for k, v := range ov.writes {
		i := strings.IndexByte(k, 0)
		bucket, key := []byte(k[:i]), []byte(k[i+1:])
		if v == nil {
			bk.del(bucket, key)
		} else {
			bk.put(bucket, key, v)
		}
	}
}

// afterCommit drops the first n pool entries (now in a block, or skipped), rebuilds the pending
// state for the rest, and wakes waiters. l.mu is held.
func (l *Embedded) afterCommit(n int, skipped map[Hash]error) {
	for _, p := range l.pool[:n] {
		delete(l.inPool, p.hash)
		if err, ok := skipped[p.hash]; ok {
			l.drop(p.hash, err)
		}
	}
	rest := l.pool[n:]
	l.pool = nil
	l.pending = newOverlay(nil)
	if len(rest) > 0 {
		_ = l.db.View(func(rtx *bolt.Tx) error {
			height, err := tipHeight(rtx)
			if err != nil {
				return err
			}
			l.pending.rebase(readKV{rtx})
			for _, p := range rest {
				if err := l.checkPending(p, height+1); err != nil {
					delete(l.inPool, p.hash)
					l.drop(p.hash, err)
					continue
				}
				l.pool = append(l.pool, p)
			}
			return nil
		})
	}
	close(l.newBlock)
	l.newBlock = make(chan struct{})
}

func (l *Embedded) drop(h Hash, err error) {
	if len(l.dropList) >= maxDropped {
		delete(l.dropped, l.dropList[0])
		l.dropList = l.dropList[1:]
	}
	l.dropped[h] = status.Wrap(status.Code(codeOf(err)), fmt.Errorf("%w: %w", ErrDropped, err), "tx %s dropped", h)
	l.dropList = append(l.dropList, h)
}

type rawCode struct {
	num  int
	name string
}

func (c rawCode) Num() int     { return c.num }
func (c rawCode) Name() string { return c.name }

func codeOf(err error) rawCode {
	return rawCode{num: status.CodeOf(err, int(status.ChainInternalError)), name: status.NameOf(err)}
}

// checkPending applies p over the pending overlay as the next block would; on success its writes
// join the pending state. l.mu is held and l.pending is based on a live read transaction.
func (l *Embedded) checkPending(p *poolTx, height uint64) error {
	child := newOverlay(l.pending)
	e := l.txEnv(child, height, p)
	if err := e.chargeTx(p.tx, l.g.Producer); err != nil {
		return err
	}
	grand := newOverlay(child)
	e.kv = grand
	if _, err := e.execute(p.payload); err != nil {
		return err
	}
	grand.mergeInto(child)
	child.mergeInto(l.pending)
	return nil
}

// Submit implements Ledger. Signature checks run before the mempool lock, so concurrent
// submitters verify in parallel.
func (l *Embedded) Submit(_ context.Context, tx *Tx) (Hash, error) {
	if tx == nil {
		return Hash{}, status.New(status.InvalidParams, "nil transaction")
	}
	sender, payload, err := tx.Verify(l.g.ChainID)
	if err != nil {
		return Hash{}, err
	}
	p := newPoolTx(tx, sender, payload)
	l.preverify([]*poolTx{p}) // a proof's pairing check runs before the mempool lock too
	return l.submitVerified(p)
}

func (l *Embedded) submitVerified(p *poolTx) (Hash, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		return Hash{}, ErrClosed
	}
	if l.inPool[p.hash] {
		return Hash{}, status.Wrap(status.InvalidParams, ErrDuplicate, "tx %s is in the mempool", p.hash)
	}
	if len(l.pool) >= l.maxPool {
		return Hash{}, status.Wrap(status.ChainInternalError, ErrMempoolFull, "%d transactions waiting", len(l.pool))
	}
	err := l.db.View(func(rtx *bolt.Tx) error {
		if rtx.Bucket(bTxs).Get(p.hash[:]) != nil {
			return status.Wrap(status.InvalidParams, ErrDuplicate, "tx %s is in the chain", p.hash)
		}
		height, err := tipHeight(rtx)
		if err != nil {
			return err
		}
		l.pending.rebase(readKV{rtx})
		return l.checkPending(p, height+1)
	})
	if err != nil {
		return Hash{}, err
	}
	l.pool = append(l.pool, p)
	l.inPool[p.hash] = true
	delete(l.dropped, p.hash)
	return p.hash, nil
}

// ApplyBlock checks b against the chain (height, parent, time, producer signature, tx root,
// every transaction's signature, nonce and fee) and commits it with its state changes in one
// bbolt transaction. A block that fails any check changes nothing. Transactions of the mempool
// that b includes leave it.
func (l *Embedded) ApplyBlock(b *Block) error {
	if b == nil || len(b.Txs) > int(l.params.MaxBlockTxs) {
		return status.Wrap(status.ChainUnknownBlock, ErrBadBlock, "nil block or more than %d txs", l.params.MaxBlockTxs)
	}
	ptxs, err := l.verifyTxs(b.Txs)
	if err != nil {
		return status.Wrap(status.ChainUnknownBlock, fmt.Errorf("%w: %w", ErrBadBlock, err), "block %d", b.Header.Height)
	}
	size := 0
	for _, p := range ptxs {
		size += p.size
	}
	if size > int(l.params.MaxBlockBytes) {
		return status.Wrap(status.ChainUnknownBlock, ErrBadBlock, "block %d carries %d bytes of txs, limit %d", b.Header.Height, size, l.params.MaxBlockBytes)
	}
	l.preverify(ptxs)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isClosed() {
		return ErrClosed
	}
	err = l.db.Update(func(btx *bolt.Tx) error {
		if err := l.checkHeader(btx, b); err != nil {
			return err
		}
		bk := &boltKV{tx: btx}
		receipts := make([]Receipt, len(ptxs))
		var work uint64
		for i, p := range ptxs {
			if work += txWork(bk, p.payload); work > l.params.maxProofWork() {
				return errBlockWork(work, l.params.maxProofWork())
			}
			r, err := l.applyTx(bk, b.Header.Height, p, uint32(i))
			if err != nil {
				return fmt.Errorf("%w: tx %d: %w", ErrBadBlock, i, err)
			}
			receipts[i] = r
		}
		(&env{kv: bk, params: &l.params, height: b.Header.Height}).sweep(btx)
		l.writeBlock(bk, b, receipts)
		return bk.err
	})
	if err != nil {
		return status.Wrap(status.ChainUnknownBlock, err, "apply block %d", b.Header.Height)
	}
	included := map[Hash]bool{}
	for _, p := range ptxs {
		included[p.hash] = true
	}
	kept := l.pool[:0]
	for _, p := range l.pool {
		if included[p.hash] {
			delete(l.inPool, p.hash)
		} else {
			kept = append(kept, p)
		}
	}
	// afterCommit(0, ...) rebuilds the pending state over the new block for what is left.
	l.pool = kept
	l.afterCommit(0, nil)
	return nil
}

func (l *Embedded) checkHeader(btx *bolt.Tx, b *Block) error {
	height, parent, err := tip(btx)
	if err != nil {
		return err
	}
	h := &b.Header
	switch {
	case h.ChainID != l.g.ChainID:
		return fmt.Errorf("%w: %w: block for %q", ErrBadBlock, ErrWrongChain, h.ChainID)
	case h.Height != height+1:
		return fmt.Errorf("%w: height %d, want %d", ErrBadBlock, h.Height, height+1)
	case h.Parent != parent.Hash():
		return fmt.Errorf("%w: parent %s, tip is %s", ErrBadBlock, h.Parent, parent.Hash())
	case h.Time < parent.Time:
		return fmt.Errorf("%w: time %d before parent's %d", ErrBadBlock, h.Time, parent.Time)
	case h.TxCount != uint32(len(b.Txs)) || h.TxRoot != txRoot(b.Txs):
		return fmt.Errorf("%w: tx root or count does not match the transactions", ErrBadBlock)
	}
	return h.verifySig(l.g.Producer)
}

// verifyTxs checks every transaction's format and signature, in parallel across cores.
func (l *Embedded) verifyTxs(txs []*Tx) ([]*poolTx, error) {
	out := make([]*poolTx, len(txs))
	errs := make([]error, len(txs))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(txs)/64))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(txs); i += workers {
				tx := txs[i]
				if tx == nil {
					errs[i] = fmt.Errorf("%w: nil tx", ErrMalformed)
					continue
				}
				sender, p, err := tx.Verify(l.g.ChainID)
				out[i], errs[i] = newPoolTx(tx, sender, p), err
			}
		}(w)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("tx %d: %w", i, err)
		}
	}
	return out, nil
}
