package task

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/fs"
	"dsp/node/scan"
	"dsp/pdp"
	"dsp/status"
	"dsp/store"
)

// runUpload is the upload engine: chunk (3, 4) while tagging (11 when the tags are made after),
// record on the ledger and pick nodes (9, 7, 8,
// 10), send the blocks to every primary node at once (12, 13), wait for their confirmations
// (14, 15), register the URL (16, 17) and announce. Every step is skipped when a previous run
// already did it, so Resume and Retry continue from where the task stopped.
func (m *Manager) runUpload(ctx context.Context, t *task) error {
	t.mu.Lock()
	req, pw, hashHex := *t.info.Upload, t.password, t.info.FileHash
	t.mu.Unlock()
	root, err := m.chunk(ctx, t, req, pw, hashHex)
	if err != nil {
		return err
	}
	if err := m.ensureTags(ctx, t, root); err != nil {
		return err
	}
	info, storeTx, err := m.recordFile(ctx, t, req, root)
	if err != nil {
		return err
	}
	if err := m.transfer(ctx, t, root, info, storeTx); err != nil {
		return err
	}
	if err := m.waitConfirmed(ctx, t, root, info); err != nil {
		return err
	}
	if err := m.registerURL(ctx, t, req, root); err != nil {
		return err
	}
	if req.Share && m.cfg.Scan != nil {
		if err := m.cfg.Scan.Announce(ctx, root, 0, scan.Seeder); err != nil {
			return status.Wrap(status.TaskNoConnectedDns, err, "announce %s", root)
		}
	}
	return nil
}

// chunk adds the file to the store (statuses 3, 4) unless a previous run did.
func (m *Manager) chunk(ctx context.Context, t *task, req UploadRequest, pw []byte, hashHex string) (store.Hash, error) {
	if hashHex != "" {
		root, err := store.ParseHash(hashHex)
		if err != nil {
			return root, status.Wrap(status.TaskTaskInternalError, err, "task file hash")
		}
		if fi, err := m.cfg.Store.File(ctx, root); err == nil && fi.State == store.StateComplete {
			return root, nil
		}
		if t.info.Encrypted && len(pw) == 0 {
			return root, status.Wrap(status.InvalidParams, ErrNeedPassword, "re-chunk %s", req.Path)
		}
	}
	m.setStatus(t, status.TaskUploadFileMakeSlice)
	f, err := os.Open(req.Path)
	if err != nil {
		return store.Hash{}, status.Wrap(status.TaskPrepareUploadError, err, "upload")
	}
	defer f.Close()
	name := req.Name
	if name == "" {
		name = filepath.Base(req.Path)
	}
	var src io.Reader = f
	var tee *tagTee
	if len(pw) == 0 {
		// Tags of a plain file are computed as it is chunked; an encrypted file's stored blocks
		// are ciphertext made inside the store and are tagged after (ensureTags).
		sk, _, err := m.pdpKey()
		if err != nil {
			return store.Hash{}, status.Wrap(status.TaskGetPdpParamsError, err, "upload %s", req.Path)
		}
		tee = newTagTee(f, sk.NewTagger(nil, 0))
		src = tee
	}
	fi, err := m.cfg.Store.AddFile(ctx, src, store.AddOptions{Name: name, Password: pw})
	if err != nil {
		if tee != nil {
			tee.t.Close()
		}
		return store.Hash{}, status.Wrap(status.TaskShardingFaield, err, "chunk %s", req.Path)
	}
	if tee != nil {
		tags, err := tee.finish(fi.FileHash)
		if err != nil {
			return store.Hash{}, status.Wrap(status.TaskGetPdpParamsError, err, "tag %s", req.Path)
		}
		if uint64(len(tags)) == fi.Blocks {
			if err := fs.StoreTags(ctx, m.cfg.Store, fi.FileHash, tags); err != nil {
				return store.Hash{}, status.Wrap(status.TaskGetPdpParamsError, err, "tag %s", req.Path)
			}
		}
	}
	if fi.Size == 0 || fi.Blocks == 0 {
		return store.Hash{}, status.New(status.InvalidParams, "upload: %s is empty", req.Path)
	}
	m.update(t, func(in *Info) {
		in.FileHash, in.Size, in.Status = fi.FileHash.String(), fi.Size, status.TaskUploadFileMakeSliceDone
	})
	return fi.FileHash, nil
}

// recordFile puts the file on the ledger with the chosen nodes (statuses 9, 7, 8, 10), unless a
// previous run did. It returns the file info and the StoreFile transaction hash (nil if earlier).
func (m *Manager) recordFile(ctx context.Context, t *task, req UploadRequest, root store.Hash) (*ledger.FileInfo, []byte, error) {
	me := m.cfg.Key.Public().Address()
	info, err := m.cfg.Ledger.FileInfo(ctx, root[:])
	switch {
	case err == nil && info.FileOwner != me:
		return nil, nil, status.New(status.TaskFileHasUploaded, "file %s is on the ledger for %s", root, info.FileOwner)
	case err == nil:
		m.setStatus(t, status.TaskUploadFileFindReceiversDone)
		return info, nil, nil
	case status.CodeOf(err, 0) != status.DspFileInfoNotFound.Num():
		return nil, nil, status.Wrap(status.TaskChainError, err, "file info of %s", root)
	}
	m.setStatus(t, status.TaskUploadFileFindReceivers)
	fi, err := m.cfg.Store.File(ctx, root)
	if err != nil {
		return nil, nil, status.Wrap(status.TaskGetFileStateError, err, "upload")
	}
	interval, height, err := m.terms(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	primaries, candidates, err := m.pickNodes(ctx, req, fi.Size, interval)
	if err != nil {
		return nil, nil, err
	}
	duration := req.Duration
	if duration == 0 {
		duration = 100 * interval
	}
	opt := ledger.UploadOption{FileDesc: []byte(req.Desc), FileSize: fi.Size, ProveInterval: interval,
		ExpiredHeight: height + max(duration, 2*interval), Privilege: req.Privilege, CopyNum: uint64(len(primaries) - 1),
		Encrypt: t.info.Encrypted, Share: req.Share}
	for _, a := range req.WhiteList {
		opt.WhiteList.Rules = append(opt.WhiteList.Rules, ledger.WhiteListRule{Addr: a})
	}
	if len(opt.WhiteList.Rules) > 0 {
		m.setStatus(t, status.TaskUploadFileCommitWhitelist)
	}
	pub, err := m.pdpPublicKey()
	if err != nil {
		return nil, nil, status.Wrap(status.TaskGetPdpParamsError, err, "upload %s", root)
	}
	sf := &ledger.StoreFile{FileHash: root[:], BlocksRoot: fi.BlocksRoot[:], FileBlockNum: fi.Blocks, FileBlockSize: store.BlockSize,
		ProveBlockNum: min(fi.Blocks, 16), FileProveParam: pub, PrimaryNodes: primaries, CandidateNodes: candidates, Option: opt}
	r, err := m.txs.Send(ctx, sf)
	if err != nil {
		code := status.TaskPayForStoreFileFailed
		if c := status.CodeOf(err, 0); c != 0 {
			return nil, nil, err
		}
		return nil, nil, status.Wrap(code, err, "store file %s", root)
	}
	if len(opt.WhiteList.Rules) > 0 {
		m.setStatus(t, status.TaskUploadFileCommitWhitelistDone)
	}
	info, err = m.cfg.Ledger.FileInfo(ctx, root[:])
	if err != nil {
		return nil, nil, status.Wrap(status.TaskChainError, err, "file info of %s", root)
	}
	m.setStatus(t, status.TaskUploadFileFindReceiversDone)
	return info, r.TxHash[:], nil
}

// terms returns the prove interval and the current height.
func (m *Manager) terms(ctx context.Context, req UploadRequest) (uint64, uint64, error) {
	interval := req.ProveInterval
	if interval == 0 {
		interval = 100
	}
	h, err := m.cfg.Ledger.Height(ctx)
	if err != nil {
		return 0, 0, status.Wrap(status.TaskChainError, err, "height")
	}
	return interval, h, nil
}

// pickNodes chooses req.Copies primary and req.Candidates candidate FS nodes from the registry:
// accepting, with room, size limits and a prove interval that fit, cheapest first.
func (m *Manager) pickNodes(ctx context.Context, req UploadRequest, size, interval uint64) ([]keys.Address, []keys.Address, error) {
	nodes, err := m.cfg.Ledger.Nodes(ctx, ledger.RoleFS)
	if err != nil {
		return nil, nil, status.Wrap(status.TaskGetStorageNodesFailed, err, "fs nodes")
	}
	me := m.cfg.Key.Public().Address()
	var ok []ledger.NodeInfo
	for _, n := range nodes {
		switch {
		case n.Address == me || !n.Accepting || n.HostAddr == "":
		case n.Capacity < n.Used || n.Capacity-n.Used < size:
		case size < n.MinFileSize || (n.MaxFileSize != 0 && size > n.MaxFileSize):
		case interval > n.MaxProveInterval:
		default:
			ok = append(ok, n)
		}
	}
	if len(ok) < req.Copies {
		return nil, nil, status.New(status.TaskReceiversNotEnough, "%d FS nodes can take the file, %d copies wanted", len(ok), req.Copies)
	}
	sort.SliceStable(ok, func(i, j int) bool {
		if ok[i].PricePerMBBlock != ok[j].PricePerMBBlock {
			return ok[i].PricePerMBBlock < ok[j].PricePerMBBlock
		}
		return ok[i].Capacity-ok[i].Used > ok[j].Capacity-ok[j].Used
	})
	var primaries, candidates []keys.Address
	for i, n := range ok {
		switch {
		case i < req.Copies:
			primaries = append(primaries, n.Address)
		case len(candidates) < req.Candidates:
			candidates = append(candidates, n.Address)
		}
	}
	return primaries, candidates, nil
}

// connectFS connects to a registered FS node.
func (m *Manager) connectFS(ctx context.Context, a keys.Address) (*node.Peer, error) {
	if p, ok := m.cfg.Host.Peer(a); ok && p.Err() == nil {
		return p, nil
	}
	n, err := m.cfg.Ledger.Node(ctx, ledger.RoleFS, a)
	if err != nil {
		return nil, status.Wrap(status.TaskSearchReceiversFailed, err, "fs node %s", a)
	}
	p, err := m.cfg.Host.Connect(ctx, a.String()+"@"+n.HostAddr)
	if err != nil {
		return nil, status.Wrap(status.TaskReceiversRejected, err, "connect to fs node %s", a)
	}
	return p, nil
}

// transfer sends the blocks to every primary node that has not confirmed its contract yet (12, 13).
func (m *Manager) transfer(ctx context.Context, t *task, root store.Hash, info *ledger.FileInfo, storeTx []byte) error {
	m.setStatus(t, status.TaskUploadFileTransferBlocks)
	cs, err := m.cfg.Ledger.Contracts(ctx, root[:])
	if err != nil {
		return status.Wrap(status.TaskChainError, err, "contracts of %s", root)
	}
	confirmed := map[keys.Address]bool{}
	for _, c := range cs {
		if c.StartHeight != 0 {
			confirmed[c.Node] = true
		}
	}
	var peers []*node.Peer
	for _, a := range info.PrimaryNodes {
		if confirmed[a] {
			continue
		}
		p, err := m.connectFS(ctx, a)
		if err != nil {
			return err
		}
		peers = append(peers, p)
	}
	m.progress(t, func(in *Info) {
		in.Peers = nil
		for _, a := range info.PrimaryNodes {
			in.Peers = append(in.Peers, PeerProgress{Account: a, Done: confirmed[a]})
		}
		in.Bytes = 0
	})
	if len(peers) > 0 {
		opts := m.cfg.Upload
		opts.StoreTx = storeTx
		opts.ProverKey = m.proverKey
		opts.OnProgress = func(np fs.NodeProgress) { m.progress(t, func(in *Info) { applyNode(in, np) }) }
		res, err := fs.Upload(ctx, m.cfg.Host, m.cfg.Store, root, peers, opts)
		if err != nil {
			return status.Wrap(status.TaskGetAllBlockError, err, "upload %s", root)
		}
		res, err = m.retryStale(ctx, root, peers, res, opts)
		if err != nil {
			return err
		}
		var errs []error
		for _, r := range res {
			if r.Err != nil {
				errs = append(errs, r.Err)
			}
		}
		m.update(t, func(in *Info) {
			for _, r := range res {
				applyNode(in, r)
			}
		})
		if len(errs) > 0 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return errs[0]
		}
	}
	m.setStatus(t, status.TaskUploadFileTransferBlocksDone)
	return nil
}

// applyNode folds one node's progress into the task.
func applyNode(in *Info, np fs.NodeProgress) {
	var bytes uint64
	minHeld := np.Total
	for i := range in.Peers {
		p := &in.Peers[i]
		if p.Account == np.Node {
			p.Held, p.Sent, p.Bytes, p.Done = np.Held, uint64(np.Sent), np.SentBytes, p.Done || np.Done
			if np.Done {
				p.Held = np.Total
			}
			if np.Err != nil {
				p.Err = np.Err.Error()
			}
		}
		bytes += p.Bytes
		if !p.Done {
			minHeld = min(minHeld, p.Held)
		}
	}
	in.Blocks, in.Held, in.Bytes = np.Total, minHeld, bytes
}

// waitConfirmed waits until every primary node has confirmed its contract (14, 15): the contract
// has a start height. What happens to it afterwards (a missed proof, a slash, a recovery) is the
// ledger's and the FS nodes' business, not the upload's: with short prove intervals one node can
// miss a round before another has confirmed, and waiting for every contract to be active at once
// would then wait forever.
func (m *Manager) waitConfirmed(ctx context.Context, t *task, root store.Hash, info *ledger.FileInfo) error {
	m.setStatus(t, status.TaskUploadFileWaitForPDPProve)
	ctx, cancel := context.WithTimeout(ctx, m.cfg.ConfirmTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cs, err := m.cfg.Ledger.Contracts(ctx, root[:])
		if err == nil {
			n := 0
			for _, c := range cs {
				if c.StartHeight != 0 {
					n++
				}
			}
			if n >= len(info.PrimaryNodes) {
				m.setStatus(t, status.TaskUploadFileWaitForPDPProveDone)
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && context.Cause(ctx) == context.DeadlineExceeded {
				return status.New(status.TaskTaskWaitTimeout, "fs nodes did not confirm %s in %s", root, m.cfg.ConfirmTimeout)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// registerURL registers the requested URL for the file (16, 17), unless a previous run did.
func (m *Manager) registerURL(ctx context.Context, t *task, req UploadRequest, root store.Hash) error {
	t.mu.Lock()
	done := t.info.URL != ""
	t.mu.Unlock()
	if done || (!req.RegisterURL && req.URL == "") {
		return nil
	}
	m.setStatus(t, status.TaskUploadFileRegisterDNS)
	hdr, path := "", strings.TrimSpace(req.URL)
	if i := strings.Index(path, "://"); i >= 0 {
		hdr, path = path[:i], path[i+3:]
	}
	r, err := m.txs.Send(ctx, &ledger.RegisterURL{Header: hdr, URL: path, Link: ledger.FileLink(root[:]), Desc: req.Desc})
	if err != nil {
		if status.CodeOf(err, 0) != 0 {
			return err
		}
		return status.Wrap(status.TaskNoConnectedDns, err, "register url for %s", root)
	}
	url := r.Result
	if url == "" {
		url = fmt.Sprintf("%s://%s", hdr, path)
	}
	m.update(t, func(in *Info) { in.URL, in.Status = url, status.TaskUploadFileRegisterDNSDone })
	return nil
}

// pdpKey returns the uploader's PDP secret key and its public key, the file's FileProveParam:
// derived from the account's private key when the signer exposes it (the same key for all of the
// owner's files, see pdp.DeriveSecretKey), otherwise drawn once per manager.
func (m *Manager) pdpKey() (*pdp.SecretKey, []byte, error) {
	m.pdpOnce.Do(func() {
		var sk *pdp.SecretKey
		if kp, ok := m.cfg.Key.(interface{ PrivateBytes() []byte }); ok {
			seed := sha256.Sum256(append([]byte("dsp-pdp-owner\x00"), kp.PrivateBytes()...))
			sk, m.pdpErr = pdp.DeriveSecretKey(seed[:])
		} else {
			sk, m.pdpErr = pdp.GenerateSecretKey(nil)
		}
		if m.pdpErr == nil {
			m.pdpSK, m.pdpPub = sk, sk.PublicKey().Bytes()
		}
	})
	return m.pdpSK, m.pdpPub, m.pdpErr
}

// pdpPublicKey returns the owner's PDP public key (see pdpKey).
func (m *Manager) pdpPublicKey() ([]byte, error) {
	_, pub, err := m.pdpKey()
	return pub, err
}

// proverKey returns the owner's public key and encoded prover key for FS nodes that ask for it
// (fs.UploadOptions.ProverKey), made once per manager (about 130 ms of CPU, 406 KB).
func (m *Manager) proverKey() ([]byte, []byte, error) {
	sk, pub, err := m.pdpKey()
	if err != nil {
		return nil, nil, err
	}
	m.pkOnce.Do(func() {
		pk, err := sk.ProverKey(pdp.MaxSectors)
		if err != nil {
			m.pkErr = err
			return
		}
		m.pkBytes = pk.Bytes()
	})
	return pub, m.pkBytes, m.pkErr
}

// tagTee passes a file's bytes to the store's chunker and cuts the same bytes into store blocks
// for a pdp.Tagger, so that the tags are computed on the other cores while the file is chunked.
type tagTee struct {
	r   io.Reader
	t   *pdp.Tagger
	buf []byte
	err error
}

func newTagTee(r io.Reader, t *pdp.Tagger) *tagTee {
	return &tagTee{r: r, t: t, buf: make([]byte, 0, store.BlockSize)}
}

func (tt *tagTee) Read(p []byte) (int, error) {
	n, err := tt.r.Read(p)
	q := p[:n]
	for len(q) > 0 && tt.err == nil {
		k := min(len(q), store.BlockSize-len(tt.buf))
		tt.buf = append(tt.buf, q[:k]...)
		q = q[k:]
		if len(tt.buf) == store.BlockSize {
			tt.err = tt.t.Add(tt.buf)
			tt.buf = tt.buf[:0]
		}
	}
	return n, err
}

// finish tags the last, short block and returns the tags of the file named root.
func (tt *tagTee) finish(root store.Hash) ([]pdp.Tag, error) {
	if tt.err == nil && len(tt.buf) > 0 {
		tt.err = tt.t.Add(tt.buf)
	}
	if tt.err != nil {
		tt.t.Close()
		return nil, tt.err
	}
	return tt.t.Finish(root[:])
}

// tagStored computes the tags of a file already in the store (an encrypted upload, whose stored
// blocks are ciphertext made inside the store, or one chunked by an earlier run), reading its
// data blocks in order.
func (m *Manager) tagStored(ctx context.Context, sk *pdp.SecretKey, root store.Hash) ([]pdp.Tag, error) {
	hashes, err := m.cfg.Store.DataBlockHashes(ctx, root)
	if err != nil {
		return nil, err
	}
	tg := sk.NewTagger(root[:], 0)
	for _, h := range hashes {
		b, err := m.cfg.Store.GetBlock(ctx, h)
		if err == nil {
			err = tg.Add(b)
		}
		if err != nil {
			tg.Close()
			return nil, err
		}
	}
	return tg.Finish(nil)
}

// ensureTags makes sure the store holds the tags of every data block of root (fs.StoreTags),
// computing them from the stored blocks if it does not (status 11).
func (m *Manager) ensureTags(ctx context.Context, t *task, root store.Hash) error {
	fi, err := m.cfg.Store.File(ctx, root)
	if err != nil {
		return status.Wrap(status.TaskGetFileStateError, err, "upload")
	}
	if fs.HasTags(ctx, m.cfg.Store, root, fi.Blocks) {
		return nil
	}
	m.setStatus(t, status.TaskUploadFileGeneratePDPData)
	sk, _, err := m.pdpKey()
	if err != nil {
		return status.Wrap(status.TaskGetPdpParamsError, err, "upload %s", root)
	}
	tags, err := m.tagStored(ctx, sk, root)
	if err != nil {
		return status.Wrap(status.TaskGetPdpParamsError, err, "tag %s", root)
	}
	if err := fs.StoreTags(ctx, m.cfg.Store, root, tags); err != nil {
		return status.Wrap(status.TaskGetPdpParamsError, err, "tag %s", root)
	}
	return nil
}

// retryStale runs the upload again, once, to the nodes whose session failed at once because the
// connection was an old one that was closing (a node that restarted): it waits for that
// connection to go and dials afresh.
func (m *Manager) retryStale(ctx context.Context, root store.Hash, peers []*node.Peer, res []fs.NodeProgress, opts fs.UploadOptions) ([]fs.NodeProgress, error) {
	var again []*node.Peer
	var at []int
	for i, r := range res {
		if r.Err == nil || r.Sent > 0 || status.CodeOf(r.Err, 0) != 0 && !errors.Is(r.Err, node.ErrPeerClosed) {
			continue // refused by the node, or failed after sending: a real failure
		}
		select {
		case <-peers[i].Closed():
		case <-time.After(2 * time.Second):
			continue // the connection is alive: the failure was not a stale connection
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		p, err := m.connectFS(ctx, r.Node)
		if err != nil {
			return nil, err
		}
		again, at = append(again, p), append(at, i)
	}
	if len(again) == 0 {
		return res, nil
	}
	res2, err := fs.Upload(ctx, m.cfg.Host, m.cfg.Store, root, again, opts)
	if err != nil {
		return nil, status.Wrap(status.TaskGetAllBlockError, err, "upload %s", root)
	}
	for j, i := range at {
		res[i] = res2[j]
	}
	return res, nil
}
