package fs

import (
	"context"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/status"
	"dsp/store"
)

func (s *Service) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if _, err := s.Sweep(s.ctx); err != nil && s.ctx.Err() == nil {
				s.log.Info("fs sweep failed", "err", err)
			}
		}
	}
}

// Sweep deletes the files this node stores for the ledger (those an upload session completed)
// that the ledger no longer assigns to it: the file is deleted on the ledger, or this node's
// contract ended. It then collects the garbage blocks if it deleted anything, and returns how
// many files it deleted. A storage node runs it every Config.SweepInterval.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	files, err := s.cfg.Store.Files(ctx)
	if err != nil {
		return 0, err
	}
	me := s.cfg.Key.Public().Address()
	n := 0
	for _, f := range files {
		if f.State != store.StateComplete {
			continue
		}
		if _, err := s.cfg.Store.GetBlockMeta(ctx, f.FileHash, metaStored); err != nil {
			continue // not stored for the ledger (uploaded or downloaded by this node's owner)
		}
		gone, err := s.ended(ctx, f.FileHash, me)
		if err != nil {
			return n, err
		}
		if !gone {
			continue
		}
		if err := s.cfg.Store.DeleteFile(ctx, f.FileHash); err != nil {
			return n, err
		}
		n++
		s.swept.Add(1)
		s.log.Info("fs deleted file", "file", f.FileHash)
	}
	if n > 0 {
		if _, err := s.cfg.Store.GarbageCollect(ctx); err != nil {
			return n, err
		}
	}
	return n, nil
}

// ended reports whether the ledger no longer assigns the file to node me.
func (s *Service) ended(ctx context.Context, h store.Hash, me keys.Address) (bool, error) {
	fi, err := s.cfg.Ledger.FileInfo(ctx, h[:])
	if err != nil {
		if status.CodeOf(err, 0) == status.DspFileInfoNotFound.Num() {
			return true, nil
		}
		return false, err
	}
	cs, err := s.cfg.Ledger.Contracts(ctx, h[:])
	if err != nil {
		return false, err
	}
	for _, c := range cs {
		if c.Node == me {
			return c.State == ledger.ContractEnded, nil
		}
	}
	for _, a := range fi.CandidateNodes {
		if a == me {
			return fi.ExpiredHeight < s.heightOr(ctx, 0), nil
		}
	}
	return true, nil
}

func (s *Service) heightOr(ctx context.Context, def uint64) uint64 {
	h, err := s.cfg.Ledger.Height(ctx)
	if err != nil {
		return def
	}
	return h
}
