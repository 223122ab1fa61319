package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node/fs"
	"dsp/node/scan"
	"dsp/status"
	"dsp/store"
)

// runDownload is the download engine: resolve (18), find holders (19), fetch the link blocks and
// then the data blocks from every holder at once (20, 21, 22), write the output, and announce this
// node as a seeder (25). Blocks already in the store are never fetched again.
func (m *Manager) runDownload(ctx context.Context, t *task) error {
	t.mu.Lock()
	req, pw := *t.info.Download, t.password
	t.mu.Unlock()
	m.setStatus(t, status.TaskDownloadFileStart)
	root, err := m.resolve(ctx, t, req)
	if err != nil {
		return err
	}
	info, err := m.cfg.Ledger.FileInfo(ctx, root[:])
	if err != nil {
		if status.CodeOf(err, 0) == status.DspFileInfoNotFound.Num() {
			return status.Wrap(status.TaskFileNotFoundFromChain, err, "download %s", root)
		}
		return status.Wrap(status.TaskChainError, err, "file info of %s", root)
	}
	m.update(t, func(in *Info) { in.FileHash, in.Size = root.String(), info.RealFileSize })
	fi, err := m.cfg.Store.File(ctx, root)
	if err != nil || fi.State != store.StateComplete {
		if err := m.fetch(ctx, t, req, root, info); err != nil {
			return err
		}
	}
	if req.Output != "" {
		if err := m.writeOutput(ctx, root, req.Output, pw, string(t.info.ID)); err != nil {
			return err
		}
	}
	m.setStatus(t, status.TaskDownloadFileMakeSeed)
	if m.cfg.Scan != nil {
		if err := m.cfg.Scan.Announce(ctx, root, 0, scan.Seeder); err != nil {
			m.log.Info("announce to scan failed", "file", root, "err", err)
		}
	}
	return nil
}

// resolve returns the file hash of the request, resolving a URL on the ledger.
func (m *Manager) resolve(ctx context.Context, t *task, req DownloadRequest) (store.Hash, error) {
	if req.Hash != "" {
		h, err := store.ParseHash(req.Hash)
		if err != nil {
			return h, status.Wrap(status.InvalidParams, err, "download")
		}
		return h, nil
	}
	rec, err := m.cfg.Ledger.Resolve(ctx, strings.TrimSpace(req.URL))
	if err != nil {
		return store.Hash{}, err
	}
	link, ok := strings.CutPrefix(rec.Link, "file:")
	h, err := store.ParseHash(link)
	if !ok || err != nil {
		return store.Hash{}, status.New(status.TaskDownloadFilehashNotFound, "url %s links %q, not a file", req.URL, rec.Link)
	}
	return h, nil
}

// holders lists who may serve the file: SCAN's holders, then the file's primary nodes.
func (m *Manager) holders(ctx context.Context, root store.Hash, info *ledger.FileInfo) []Holder {
	seen := map[keys.Address]bool{m.cfg.Key.Public().Address(): true}
	var out []Holder
	if m.cfg.Scan != nil {
		hs, err := m.cfg.Scan.Holders(ctx, root)
		if err != nil {
			m.log.Info("scan holders", "file", root, "err", err)
		}
		for _, h := range hs {
			if !seen[h.Account] && len(h.Addrs) > 0 {
				seen[h.Account] = true
				out = append(out, h)
			}
		}
	}
	for _, a := range info.PrimaryNodes {
		if seen[a] {
			continue
		}
		n, err := m.cfg.Ledger.Node(ctx, ledger.RoleFS, a)
		if err != nil || n.HostAddr == "" {
			continue
		}
		seen[a] = true
		out = append(out, Holder{Account: a, Addrs: []string{n.HostAddr}})
	}
	return out
}

// openSessions connects to the holders and opens a download session with each, at most max.
func (m *Manager) openSessions(ctx context.Context, root store.Hash, hs []Holder, max int) ([]*fs.DownloadConn, error) {
	var (
		mu       sync.Mutex
		sessions []*fs.DownloadConn
		errs     []error
		wg       sync.WaitGroup
	)
	for _, h := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last error
			for _, url := range h.Addrs {
				cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				p, err := m.cfg.Host.Connect(cctx, h.Account.String()+"@"+url)
				if err == nil {
					var d *fs.DownloadConn
					d, err = fs.OpenDownload(cctx, m.cfg.Host, p, root)
					if err == nil {
						err = m.preparePay(cctx, d, root) // a holder with a price: a channel to pay it
					}
					if err != nil && d != nil {
						d.Close()
					}
					if err == nil {
						cancel()
						mu.Lock()
						sessions = append(sessions, d)
						mu.Unlock()
						return
					}
				}
				cancel()
				last = err
			}
			mu.Lock()
			errs = append(errs, last)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(sessions) > max {
		for _, d := range sessions[max:] {
			d.Close()
		}
		sessions = sessions[:max]
	}
	if len(sessions) == 0 {
		for _, err := range errs {
			if errors.Is(err, status.Is(status.TaskDownloadRefused)) {
				return nil, err
			}
		}
		if len(errs) > 0 && errs[0] != nil {
			return nil, status.Wrap(status.TaskNoDownloadSeed, errs[0], "no holder serves %s", root)
		}
		return nil, status.New(status.TaskNoDownloadSeed, "no holder of %s found", root)
	}
	return sessions, nil
}

// fetch brings every missing block of the file into the store (statuses 19-22).
func (m *Manager) fetch(ctx context.Context, t *task, req DownloadRequest, root store.Hash, info *ledger.FileInfo) error {
	me := m.cfg.Key.Public().Address()
	height, err := m.cfg.Ledger.Height(ctx)
	if err != nil {
		return status.Wrap(status.TaskChainError, err, "height")
	}
	wl, _ := m.cfg.Ledger.WhiteList(ctx, root[:])
	if !info.CanDownload(me, wl, height) {
		return status.New(status.TaskDownloadRefused, "%s may not download %s", me, root)
	}
	m.setStatus(t, status.TaskDownloadSearchPeers)
	hs := m.holders(ctx, root, info)
	maxPeers := req.MaxPeers
	if maxPeers <= 0 {
		maxPeers = 8
	}
	sessions, err := m.openSessions(ctx, root, hs, maxPeers)
	if err != nil {
		return err
	}
	defer func() {
		for _, d := range sessions {
			d.Close()
		}
	}()
	m.setStatus(t, status.TaskDownloadFileDownloading)
	if err := m.cfg.Store.BeginReceive(ctx, root); err != nil {
		return status.Wrap(status.TaskFsPutBlockFailed, err, "download %s", root)
	}
	if err := m.fetchLinks(ctx, root, sessions); err != nil {
		return err
	}
	m.setStatus(t, status.TaskDownloadRequestBlocks)
	pays := newPayRun(t, sessions)
	err = m.fetchData(ctx, t, root, sessions, pays)
	m.settlePay(ctx, t, pays) // pays for what arrived, also when the download failed
	if err != nil {
		return err
	}
	missing, err := m.cfg.Store.Missing(ctx, root)
	if err != nil {
		return status.Wrap(status.TaskFsPutBlockFailed, err, "complete %s", root)
	}
	if len(missing) > 0 {
		return status.New(status.TaskDownloadBlockFailed, "%s still misses %d blocks", root, len(missing))
	}
	m.setStatus(t, status.TaskDownloadReceiveBlocks)
	return nil
}

// fetchLinks fetches the root and link blocks, level by level, from the first holder that sends
// them right.
func (m *Manager) fetchLinks(ctx context.Context, root store.Hash, sessions []*fs.DownloadConn) error {
	bad := map[int]bool{}
	for {
		tree, err := fs.Tree(ctx, m.cfg.Store, root)
		if err != nil {
			return status.Wrap(status.TaskGetUndownloadBlockFailed, err, "tree of %s", root)
		}
		var want []store.Hash
		seen := map[store.Hash]bool{}
		for _, n := range tree {
			if n.Level != 0 && !n.Held && !seen[n.Hash] {
				seen[n.Hash] = true
				want = append(want, n.Hash)
			}
		}
		if len(want) == 0 {
			return nil
		}
		got := false
		for i, d := range sessions {
			if bad[i] {
				continue
			}
			if err := m.fetchFrom(ctx, d, want); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				m.log.Info("link blocks", "peer", d.Peer().Account(), "err", err)
				bad[i] = true
				continue
			}
			got = true
			break
		}
		if !got {
			return status.New(status.TaskDownloadBlockFailed, "no holder sent the link blocks of %s", root)
		}
	}
}

// fetchFrom requests blocks from one holder and stores them, each checked against its hash, in
// transactions of up to linkBatch blocks (not one per block: a level of link blocks can be long).
func (m *Manager) fetchFrom(ctx context.Context, d *fs.DownloadConn, want []store.Hash) error {
	idx := make([]uint64, len(want))
	for i := range idx {
		idx[i] = fs.LinkIndex
	}
	stop := context.AfterFunc(ctx, func() { d.Close() })
	defer stop()
	if err := d.Request(want, idx); err != nil {
		return err
	}
	var got []store.Checked
	for i, h := range want {
		b, err := d.Recv()
		if err != nil {
			return err
		}
		c, err := store.Check(h, b.Data)
		if err != nil || len(b.Data) == 0 {
			return fmt.Errorf("link block %s: %w", h, store.ErrHashMismatch)
		}
		got = append(got, c)
		if len(got) == linkBatch || i == len(want)-1 {
			if err := m.cfg.Store.PutChecked(ctx, got); err != nil {
				return err
			}
			got = got[:0]
		}
	}
	return nil
}

// linkBatch is the most link blocks fetchFrom stores in one transaction (8 MiB of full ones).
const linkBatch = 256

// writeOutput writes the complete file to path through a temporary name, decrypting it with
// password if one is given (a wrong password fails before anything is written).
func (m *Manager) writeOutput(ctx context.Context, root store.Hash, path string, password []byte, id string) error {
	var (
		rc  io.ReadCloser
		err error
	)
	if len(password) > 0 {
		rc, err = m.cfg.Store.OpenFileDecrypted(ctx, root, password)
	} else {
		rc, err = m.cfg.Store.OpenFile(ctx, root)
	}
	if err != nil {
		if status.CodeOf(err, 0) != 0 {
			return err
		}
		return status.Wrap(status.TaskGetFileStateError, err, "open %s", root)
	}
	defer rc.Close()
	tmp := fmt.Sprintf("%s.part-%s", path, id)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return status.Wrap(status.TaskCreateDownloadFileFailed, err, "download %s", root)
	}
	_, err = io.Copy(f, rc)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		if status.CodeOf(err, 0) != 0 {
			return err
		}
		return status.Wrap(status.TaskWriteFileDataFailed, err, "write %s", path)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return status.Wrap(status.TaskRenameFiledFailed, err, "rename to %s", path)
	}
	return nil
}
