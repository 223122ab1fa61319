// Package fs is the FS service (the spec's Storage Service on a node) and the transfer protocol
// between an uploader or downloader and the nodes that hold a file. A Service mounted on a host
// serves downloads of the files its store holds complete (every node, so that finished
// downloaders share blocks) and, with Config.Storage (the fs role), accepts uploads of files the
// ledger assigns to it, confirms them on the ledger and sweeps files whose contract ended. The
// sending halves (Uploader, Downloader) are what node/task drives. docs/protocol.md, "FS
// messages", is the wire; docs/transfer.md the design.
package fs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/status"
	"dsp/store"
	"dsp/wire"
)

// Config configures a Service. Store, Ledger, Key and Sender are required.
type Config struct {
	// Store holds the node's files.
	Store store.FS
	// Ledger is consulted for file infos, rights and contracts, and receives ConfirmFile.
	Ledger ledger.Ledger
	// Key is the node's account key (the host's).
	Key keys.Signer
	// Sender sends the node's transactions (ConfirmFile, SubmitProof) from Key's account. It
	// must be the one Sender every component of the node sending from that account shares
	// (ledger.Sender), or their nonces collide.
	Sender *ledger.Sender
	// Storage enables the fs role: accept uploads, confirm them, sweep ended files. Without it the
	// service only serves downloads of complete files (block sharing on a client node).
	Storage bool
	// Capacity bounds the bytes of files this node accepts (0: only the ledger's registration
	// bounds it).
	Capacity uint64
	// SweepInterval is how often a storage node deletes files the ledger no longer assigns to it
	// (default 1 min; < 0 disables the sweep).
	SweepInterval time.Duration
	// SessionTimeout bounds every wait for the peer within a session (default 60 s).
	SessionTimeout time.Duration
	// ProgressEvery is how many stored blocks an upload session lets pass between Progress
	// reports (default 16).
	ProgressEvery int
	// Announce, if set, is called after the node confirmed a file (left 0): the hook to announce
	// the node as a holder to SCAN. Its error is logged.
	Announce func(ctx context.Context, fileHash store.Hash) error
	// KeyDir is where a storage node keeps the owners' PDP prover keys it received (one file per
	// owner, about 406 KB). Empty: the directory PATH.pdpkeys beside the store's file when the
	// store has a Path (a *store.Store), otherwise memory only (keys are then asked for again
	// after a restart, and files whose owner does not upload again cannot be proven).
	KeyDir string
	// ProverPoll is how often the prover loop looks for a new ledger height (default: a quarter
	// of the chain's block interval, between 20 and 250 ms); < 0 disables the prover loop. A
	// file that became held wakes the loop at once.
	ProverPoll time.Duration
	// Pay is what the node charges for the blocks it serves and where it keeps its channels
	// (zero: free).
	Pay PayConfig
	// Logger receives session failures (default slog.Default()).
	Logger *slog.Logger
	// Faults injects faults; for tests only.
	Faults *Faults
}

// Faults are test hooks. Nil fields do nothing.
type Faults struct {
	// CorruptBlock, when it returns true, makes the service send the data block at index of the
	// file with one byte flipped (a lying holder).
	CorruptBlock func(fileHash store.Hash, index uint64) bool
	// Stored is called by an upload session after each stored flight with the blocks stored in
	// the session so far.
	Stored func(fileHash store.Hash, blocks int)
}

// Stats counts a service's work since it started.
type Stats struct {
	BlocksReceived uint64 // blocks stored by upload sessions
	BlocksServed   uint64 // blocks sent by download sessions
	Confirmed      uint64 // ConfirmFile transactions that succeeded
	Refused        uint64 // sessions refused
	Swept          uint64 // files deleted by the sweep
}

// metaStored marks, on a file's root block, that the node stores the file for the ledger (the
// sweep looks only at marked files).
const metaStored = "fs/stored"

// Service is the fs service on one host: a node.Component for the fs opcode range and the
// handler of the upload and download bulk streams. It is safe for concurrent use.
type Service struct {
	node.BaseComponent
	cfg Config
	txs *ledger.Sender
	log *slog.Logger

	mu     sync.Mutex
	host   *node.Host
	wire   wire.Config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	keys   *proverKeys
	prover *prover
	pay    *payState

	// confirming holds one *sync.Mutex per file hash: the upload session and the prover loop may
	// both want to confirm a file; they take turns, and the second finds the contract confirmed.
	confirming sync.Map

	received, served, confirmed, refused, swept atomic.Uint64
}

var _ node.Component = (*Service)(nil)

// New checks cfg and returns a service; Mount it on a host before the host starts.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Ledger == nil || cfg.Key == nil || cfg.Sender == nil {
		return nil, status.New(status.InvalidParams, "fs service: store, ledger, key and sender are required")
	}
	if cfg.Sender.Address() != cfg.Key.Public().Address() {
		return nil, status.New(status.InvalidParams, "fs service: sender %s is not key %s", cfg.Sender.Address(), cfg.Key.Public().Address())
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = time.Minute
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = time.Minute
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 16
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Faults == nil {
		cfg.Faults = &Faults{}
	}
	if cfg.KeyDir == "" {
		if p, ok := cfg.Store.(interface{ Path() string }); ok && p.Path() != "" {
			cfg.KeyDir = p.Path() + ".pdpkeys"
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{cfg: cfg, txs: cfg.Sender, log: cfg.Logger,
		ctx: ctx, cancel: cancel, keys: newProverKeys(cfg.KeyDir)}
	s.prover = newProver(s)
	s.pay = newPayState(cfg.Pay)
	return s, nil
}

// Mount registers the service with h for the fs opcode range and the download stream, and with
// Config.Storage the upload stream. Call it before h.Start; the host must use Config.Key.
func (s *Service) Mount(h *node.Host) error {
	if h.Account() != s.cfg.Key.Public().Address() {
		return status.New(status.InvalidParams, "fs service: key %s is not the host's account %s", s.cfg.Key.Public().Address(), h.Account())
	}
	if err := h.Register(s, Range); err != nil {
		return err
	}
	s.mu.Lock()
	s.host, s.wire = h, h.Config().Wire
	s.mu.Unlock()
	h.HandleStream(ProtoDownload, s.serveDownload)
	if s.cfg.Storage {
		h.HandleStream(ProtoUpload, s.receiveUpload)
	}
	return nil
}

// Startup implements node.Component: a storage node starts its sweep and its prover loop.
func (s *Service) Startup(*node.Host) {
	if s.cfg.Storage && s.cfg.SweepInterval > 0 {
		s.wg.Add(1)
		go s.sweepLoop()
	}
	if s.cfg.Storage && s.cfg.ProverPoll >= 0 {
		s.wg.Add(1)
		go s.prover.loop()
	}
}

// Cleanup implements node.Component: it stops the sweep and the prover loop and waits for them. Sessions end with
// their streams, which the host closes.
func (s *Service) Cleanup(*node.Host) { s.Close() }

// Close stops the service's background work (the sweep, the prover loop and its proof and
// recovery jobs) and waits for it; sessions still open fail at their next step. It may be called
// more than once.
func (s *Service) Close() error {
	s.cancel()
	s.wg.Wait()
	return nil
}

// Receive implements node.Component. A ProverKeyRequest is answered with the prover key this
// node holds for that public key (an empty Key if none); other fs messages travel on bulk streams
// only, and one that arrives as a request is refused.
func (s *Service) Receive(in *node.Incoming) error {
	if !in.IsRequest() {
		return nil
	}
	if req, ok := in.Payload.(*ProverKeyRequest); ok {
		return in.Reply(s.ctx, OpProverKey, &ProverKey{Pub: req.Pub, Key: s.keys.encoded(req.Pub)})
	}
	if pm, ok := in.Payload.(*Payment); ok {
		return s.receivePayment(in, pm)
	}
	return status.New(status.InvalidParams, "fs: %s is carried on bulk streams only", in.Msg.Opcode)
}

// Stats returns the service's counters.
func (s *Service) Stats() Stats {
	return Stats{BlocksReceived: s.received.Load(), BlocksServed: s.served.Load(), Confirmed: s.confirmed.Load(),
		Refused: s.refused.Load(), Swept: s.swept.Load()}
}

func (s *Service) wireConfig() wire.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wire
}

// chain returns the chain info for a handshake (nil if the ledger does not answer).
func (s *Service) chain(ctx context.Context) *Chain {
	ci, err := s.cfg.Ledger.ChainInfo(ctx)
	if err != nil {
		return nil
	}
	return &Chain{ChainID: ci.ChainID, Height: ci.Height}
}

// openSession starts an FS session on st: a conn that closes when the service stops or end is
// called, and the session's opening File, which must carry operation want. A session that opens
// otherwise is refused with INVALID_PARAMS (refusal) and ask is nil, as it is when nothing
// arrives within the session timeout. Call end once the session is over, whatever ask is.
func (s *Service) openSession(st *node.Stream, want Operation, refusal string) (c *conn, ctx context.Context, ask *File, end func()) {
	c = newConn(st, s.wireConfig())
	ctx, cancel := context.WithCancel(s.ctx)
	stop := context.AfterFunc(ctx, func() { c.close() })
	end = func() { stop(); cancel(); c.close() }
	v, err := c.recv(s.cfg.SessionTimeout)
	if err != nil {
		return c, ctx, nil, end
	}
	ask, ok := v.(*File)
	if !ok || Operation(ask.Operation) != want {
		s.refuse(c, &File{}, status.InvalidParams, "%s", refusal)
		return c, ctx, nil, end
	}
	return c, ctx, ask, end
}

// refuse answers a handshake with a refusal carrying code.
func (s *Service) refuse(c *conn, ask *File, code status.Code, format string, a ...any) {
	s.refused.Add(1)
	msg := fmt.Sprintf(format, a...)
	s.log.Info("fs session refused", "peer", c.s.Peer().Account(), "op", Operation(ask.Operation), "code", code.Num(), "why", msg)
	_ = c.send(&File{SessionID: ask.SessionID, Hash: ask.Hash, Operation: int32(OpRefuse), Code: code.Num(), Msg: msg})
}

// drain waits, briefly, for the peer to close the stream after our last message.
func drain(c *conn, d time.Duration) {
	c.s.SetReadDeadline(time.Now().Add(d))
	for {
		if _, err := c.r.ReadPayload(); err != nil {
			return
		}
	}
}
