package fs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/pdp"
	"dsp/status"
	"dsp/store"
)

// recoverWindow is how many blocks a recovery asks a holder for at once.
const recoverWindow = 32

// recover fetches the file of a recovering duty from the remaining holders with its tags, checks
// the tags, stores both, marks the file stored and sends ConfirmFile; the loop then proves it.
func (p *prover) recover(ctx context.Context, d ledger.Duty) {
	root := store.Hash(d.FileHash)
	if err := p.fetchFile(ctx, root, d); err != nil {
		p.failed(root, err)
		return
	}
	if err := p.s.cfg.Store.PutBlockMeta(ctx, root, metaStored, []byte{1}); err != nil {
		p.failed(root, err)
		return
	}
	if _, err := p.s.confirm(ctx, root); err != nil {
		p.failed(root, err)
		return
	}
	p.update(root, func(e *proverEntry) { e.Recovered, e.LastError = true, "" })
	p.kick()
}

// fetchFile makes sure the node holds root complete with checked tags, fetching it from the
// duty's holders one after the other until one serves it right.
func (p *prover) fetchFile(ctx context.Context, root store.Hash, d ledger.Duty) error {
	if p.heldWithTags(ctx, root, d.FileBlockNum) {
		return nil
	}
	fi, err := p.s.cfg.Ledger.FileInfo(ctx, root[:])
	if err != nil {
		return status.Wrap(status.TaskChainError, err, "recover %s", root)
	}
	pub, err := pdp.DecodePublicKey(fi.FileProveParam)
	if err != nil {
		return status.Wrap(status.TaskGetPdpParamsError, err, "recover %s", root)
	}
	if len(d.Holders) == 0 {
		return status.New(status.TaskNoDownloadSeed, "recover %s: no holder left", root)
	}
	var errs []error
	for _, a := range d.Holders {
		peer, err := p.connect(ctx, a)
		if err == nil {
			err = p.fetchFrom(ctx, peer, root, fi.FileBlockNum, pub)
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		errs = append(errs, fmt.Errorf("from %s: %w", a, err))
	}
	return status.Wrap(status.TaskDownloadBlockFailed, errors.Join(errs...), "recover %s", root)
}

func (p *prover) heldWithTags(ctx context.Context, root store.Hash, n uint64) bool {
	fi, err := p.s.cfg.Store.File(ctx, root)
	return err == nil && fi.State == store.StateComplete && HasTags(ctx, p.s.cfg.Store, root, n)
}

// connect reaches a registered FS node.
func (p *prover) connect(ctx context.Context, a keys.Address) (*node.Peer, error) {
	p.s.mu.Lock()
	h := p.s.host
	p.s.mu.Unlock()
	if h == nil {
		return nil, ErrClosed
	}
	if peer, ok := h.Peer(a); ok && peer.Err() == nil {
		return peer, nil
	}
	n, err := p.s.cfg.Ledger.Node(ctx, ledger.RoleFS, a)
	if err != nil {
		return nil, err
	}
	return h.Connect(ctx, a.String()+"@"+n.HostAddr)
}

// proverKeyFrom gets the prover key of pub from the holder peer.
func (p *prover) proverKeyFrom(ctx context.Context, peer *node.Peer, pub *pdp.PublicKey) (*pdp.ProverKey, error) {
	if pk, err := p.s.keys.get(pub); err == nil && pk != nil {
		return pk, nil
	}
	in, err := peer.Request(ctx, OpProverKeyRequest, &ProverKeyRequest{Pub: pub.Bytes()})
	if err != nil {
		return nil, status.Wrap(status.TaskGetPdpParamsError, err, "prover key from %s", peer.Account())
	}
	m, ok := in.Payload.(*ProverKey)
	if !ok || len(m.Key) == 0 {
		return nil, status.New(status.TaskGetPdpParamsError, "%s has no prover key for the file's owner", peer.Account())
	}
	return p.s.keys.add(pub, m.Key)
}

// fetchFrom downloads root from one holder: the link blocks level by level, then every data
// block at every index with its tag, each checked against its hash; the tags are checked with a
// pdp.TagChecker and stored once the file is complete.
func (p *prover) fetchFrom(ctx context.Context, peer *node.Peer, root store.Hash, n uint64, pub *pdp.PublicKey) error {
	pk, err := p.proverKeyFrom(ctx, peer, pub)
	if err != nil {
		return err
	}
	p.s.mu.Lock()
	h := p.s.host
	p.s.mu.Unlock()
	d, err := OpenDownload(ctx, h, peer, root)
	if err != nil {
		return err
	}
	defer d.Close()
	stop := context.AfterFunc(ctx, func() { d.Close() })
	defer stop()
	st := p.s.cfg.Store
	if err := st.BeginReceive(ctx, root); err != nil {
		return err
	}
	// The tree: the root, then each level's link blocks as their parents arrive.
	for {
		tree, err := Tree(ctx, st, root)
		if err != nil {
			return err
		}
		var want []TreeNode
		for _, t := range tree {
			if t.Level != 0 && !t.Held {
				want = append(want, t)
			}
		}
		if len(want) == 0 {
			break
		}
		for len(want) > 0 {
			k := min(len(want), recoverWindow)
			got, err := p.fetchBlocks(d, want[:k], nil)
			if err != nil {
				return err
			}
			if err := st.PutBlocks(ctx, got); err != nil {
				return err
			}
			want = want[k:]
		}
	}
	tree, err := Tree(ctx, st, root)
	if err != nil {
		return err
	}
	var data []TreeNode
	for _, t := range tree {
		if t.Level == 0 {
			data = append(data, t)
		}
	}
	ts := newTagState(pub, pk, root, n)
	for len(data) > 0 {
		k := min(len(data), recoverWindow)
		got, err := p.fetchBlocks(d, data[:k], ts)
		if err != nil {
			return err
		}
		if err := st.PutBlocks(ctx, got); err != nil {
			return err
		}
		data = data[k:]
	}
	missing, err := st.Missing(ctx, root)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return status.New(status.TaskDownloadBlockFailed, "recover %s: %d blocks still missing", root, len(missing))
	}
	return ts.finish(ctx, st)
}

// fetchBlocks asks d for the blocks of nodes and checks each against its hash; data blocks'
// tags go into ts.
func (p *prover) fetchBlocks(d *DownloadConn, nodes []TreeNode, ts *tagState) ([]store.Block, error) {
	hashes := make([]store.Hash, len(nodes))
	idx := make([]uint64, len(nodes))
	for i, t := range nodes {
		hashes[i], idx[i] = t.Hash, t.Index
		if t.Level != 0 {
			idx[i] = LinkIndex
		}
	}
	// A holder that stops answering ends the session after SessionTimeout.
	timer := time.AfterFunc(p.s.cfg.SessionTimeout, func() { d.Close() })
	defer timer.Stop()
	if err := d.Request(hashes, idx); err != nil {
		return nil, err
	}
	out := make([]store.Block, 0, len(nodes))
	for i := range nodes {
		b, err := d.Recv()
		if err != nil {
			return nil, err
		}
		if len(b.Data) == 0 || store.Sum(b.Data) != hashes[i] || b.Index != idx[i] {
			return nil, fmt.Errorf("block %s from %s: %w", hashes[i], d.Peer().Account(), store.ErrHashMismatch)
		}
		if ts != nil {
			if err := ts.record(idx[i], b.Tag); err != nil {
				return nil, err
			}
			if err := ts.add(idx[i], hashes[i], b.Data, b.Tag); err != nil {
				return nil, err
			}
		}
		if !slices.ContainsFunc(out, func(x store.Block) bool { return x.Hash == hashes[i] }) {
			out = append(out, store.Block{Hash: hashes[i], Data: b.Data})
		}
	}
	return out, nil
}

// mayRecover reports whether peer is assigned to recover file root (a recovering contract): such
// a node may download the file whatever its privilege.
func (s *Service) mayRecover(ctx context.Context, root []byte, peer keys.Address) bool {
	cs, err := s.cfg.Ledger.Contracts(ctx, root)
	if err != nil {
		return false
	}
	c := findContract(cs, peer)
	return c != nil && c.State == ledger.ContractRecovering
}
