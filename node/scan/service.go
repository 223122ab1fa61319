package scan

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"dsp/node"
	"dsp/wire"
)

// ServiceConfig configures a Service. Only Tracker is required.
type ServiceConfig struct {
	// Tracker is the table the service serves. The caller opened it and closes it after the host
	// is closed.
	Tracker *Tracker
	// SyncFrom lists the SCAN nodes whose tables this node pulls, as node URLs
	// ("ACCOUNT@kcp://host:port" pins the account).
	SyncFrom []string
	// SyncInterval is how often the tables of SyncFrom are pulled (default 30 s).
	SyncInterval time.Duration
	// SweepInterval is how often expired entries are deleted (default 1 min).
	SweepInterval time.Duration
	// Logger receives sync and sweep failures (default slog.Default()).
	Logger *slog.Logger
}

// Service is the scan role on a node: a node.Component answering the SCAN range from its Tracker,
// sweeping expired entries and pulling the tables of other SCAN nodes in the background.
type Service struct {
	node.BaseComponent
	cfg ServiceConfig
	h   *Handler

	mu     sync.Mutex
	host   *node.Host
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ node.Component = (*Service)(nil)

// NewService returns a service over cfg.Tracker; mount it on a host with Mount before Start.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Tracker == nil {
		return nil, fmt.Errorf("scan service: no tracker")
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 30 * time.Second
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	for _, u := range cfg.SyncFrom {
		if _, _, err := node.ParsePeerURL(u); err != nil {
			return nil, fmt.Errorf("scan service: sync peer %q: %w", u, err)
		}
	}
	return &Service{cfg: cfg, h: NewHandler(cfg.Tracker)}, nil
}

// Mount registers the service with h for the SCAN opcode range.
func (s *Service) Mount(h *node.Host) error { return h.Register(s, Range) }

// Tracker returns the table the service serves.
func (s *Service) Tracker() *Tracker { return s.cfg.Tracker }

// Handler returns the service's request handler.
func (s *Service) Handler() *Handler { return s.h }

// Startup implements node.Component: it starts the sweep and sync loop, which Cleanup stops.
func (s *Service) Startup(h *node.Host) {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.host, s.cancel = h, cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go s.loop(ctx)
}

// Cleanup implements node.Component: it stops the background loop and waits for it.
func (s *Service) Cleanup(*node.Host) {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
}

// Receive implements node.Component: it answers a SCAN request from the tracker. The sender is the
// account the host authenticated; it is the only account a Torrent or Endpoint may speak for.
// Messages that are not requests are ignored.
func (s *Service) Receive(in *node.Incoming) error {
	if !in.IsRequest() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply := s.h.Handle(ctx, Sender{Account: in.Peer.Account(), URL: in.Peer.URL()}, in.Payload)
	op, ok := wire.OpcodeOf(reply)
	if !ok {
		return fmt.Errorf("scan: reply %T has no opcode", reply)
	}
	return in.Reply(ctx, op, reply)
}

func (s *Service) loop(ctx context.Context) {
	defer s.wg.Done()
	sweep := time.NewTicker(s.cfg.SweepInterval)
	defer sweep.Stop()
	sync := time.NewTicker(s.cfg.SyncInterval)
	defer sync.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			if _, err := s.cfg.Tracker.Sweep(); err != nil {
				s.cfg.Logger.Warn("scan sweep failed", "err", err)
			}
		case <-sync.C:
			if err := s.SyncNow(ctx); err != nil {
				s.cfg.Logger.Warn("scan sync failed", "err", err)
			}
		}
	}
}

// SyncNow pulls the table of every SyncFrom node once (connecting when needed) and returns the
// first failure after trying them all. It must be called after Startup.
func (s *Service) SyncNow(ctx context.Context) error {
	s.mu.Lock()
	h := s.host
	s.mu.Unlock()
	if h == nil {
		return fmt.Errorf("scan sync: %w", node.ErrHostClosed)
	}
	var first error
	for _, u := range s.cfg.SyncFrom {
		p, err := h.Connect(ctx, u)
		if err == nil {
			_, err = NewClient(HostRoundTripper(h, p.Account())).Pull(ctx, s.cfg.Tracker, p.Account())
		}
		if err != nil && first == nil {
			first = fmt.Errorf("scan sync from %s: %w", u, err)
		}
	}
	return first
}
