package roles

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/client"
	"dsp/node/task"
	"dsp/status"
	"dsp/store"
)

// services answers the client API beyond NodeAPI for a Node (node.Services).
type services struct {
	n *Node

	walletMu sync.Mutex // serializes wallet changes (open, change, save)
}

var _ node.Services = (*services)(nil)

// send sends p through the node's sender and waits for its block.
func (s *services) send(ctx context.Context, p ledger.Payload) (*ledger.Receipt, error) {
	return s.n.tx.Send(ctx, p)
}

func txResult(ctx context.Context, l ledger.Ledger, r *ledger.Receipt) *client.TxResult {
	out := &client.TxResult{Hash: r.TxHash.String(), Height: r.Height}
	if rec, err := l.Tx(ctx, r.TxHash); err == nil && rec.Tx != nil {
		if v, err := rec.Tx.View(); err == nil {
			out.Fee = v.Fee
		}
	}
	return out
}

// sendResult sends p and returns its TxResult.
func (s *services) sendResult(ctx context.Context, p ledger.Payload) (*client.TxResult, error) {
	r, err := s.send(ctx, p)
	if err != nil {
		return nil, err
	}
	return txResult(ctx, s.n.led, r), nil
}

// ---- ledger ----

// LedgerInfo implements client.LedgerAPI.
func (s *services) LedgerInfo(ctx context.Context) (*client.LedgerInfo, error) {
	ci, err := s.n.led.ChainInfo(ctx)
	if err != nil {
		return nil, err
	}
	return &client.LedgerInfo{ChainID: ci.ChainID, Height: ci.Height, Producer: ci.Producer,
		BlockInterval: time.Duration(ci.Params.BlockIntervalMs) * time.Millisecond, Remote: s.n.embed == nil}, nil
}

// Balance implements client.LedgerAPI.
func (s *services) Balance(ctx context.Context, a keys.Address) (*client.Balance, error) {
	if a.IsZero() {
		a = s.n.Key().Address()
	}
	acct, err := s.n.led.Account(ctx, a)
	if err != nil {
		return nil, err
	}
	nonce, err := s.n.led.NextNonce(ctx, a)
	if err != nil {
		return nil, err
	}
	return &client.Balance{Address: a, Balance: acct.Balance, Pledged: acct.Pledged, Nonce: nonce}, nil
}

// Transfer implements client.LedgerAPI.
func (s *services) Transfer(ctx context.Context, to keys.Address, amount uint64) (*client.TxResult, error) {
	if to.IsZero() || amount == 0 {
		return nil, status.New(status.InvalidParams, "transfer needs a recipient and an amount above 0")
	}
	return s.sendResult(ctx, &ledger.Transfer{To: to, Amount: amount})
}

// Pledge implements client.LedgerAPI.
func (s *services) Pledge(ctx context.Context, amount uint64) (*client.TxResult, error) {
	if amount == 0 {
		return nil, status.New(status.InvalidParams, "pledge amount must be above 0")
	}
	return s.sendResult(ctx, &ledger.Pledge{Amount: amount})
}

// Unpledge implements client.LedgerAPI.
func (s *services) Unpledge(ctx context.Context, amount uint64) (*client.TxResult, error) {
	if amount == 0 {
		return nil, status.New(status.InvalidParams, "unpledge amount must be above 0")
	}
	return s.sendResult(ctx, &ledger.Unlock{Amount: amount})
}

// asMap turns v into its JSON object form.
func asMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, status.Wrap(status.InternalError, err, "encode")
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, status.Wrap(status.InternalError, err, "encode")
	}
	return m, nil
}

// Tx implements client.LedgerAPI.
func (s *services) Tx(ctx context.Context, hash string) (map[string]any, error) {
	h, err := ledger.ParseHash(hash)
	if err != nil {
		return nil, status.Wrap(status.InvalidParams, err, "transaction hash")
	}
	rec, err := s.n.led.Tx(ctx, h)
	if err != nil {
		return nil, err
	}
	v, err := rec.Tx.View()
	if err != nil {
		return nil, status.Wrap(status.ChainInternalError, err, "transaction %s", h)
	}
	m, err := asMap(v)
	if err != nil {
		return nil, err
	}
	m["receipt"] = map[string]any{"height": rec.Receipt.Height, "index": rec.Receipt.Index, "code": rec.Receipt.Code,
		"name": rec.Receipt.Name, "msg": rec.Receipt.Msg, "result": rec.Receipt.Result}
	return m, nil
}

// Block implements client.LedgerAPI.
func (s *services) Block(ctx context.Context, height uint64) (map[string]any, error) {
	b, err := s.n.led.Block(ctx, height)
	if err != nil {
		return nil, err
	}
	h := b.Header
	txs := []map[string]any{}
	for _, tx := range b.Txs {
		v, err := tx.View()
		if err != nil {
			continue
		}
		txs = append(txs, map[string]any{"hash": v.Hash.String(), "sender": v.Sender, "kind": v.Kind, "nonce": v.Nonce, "fee": v.Fee})
	}
	return map[string]any{
		"hash": h.Hash().String(), "chain_id": h.ChainID, "height": h.Height, "parent": h.Parent.String(),
		"time": time.UnixMilli(h.Time).UTC(), "producer": h.Producer, "tx_root": h.TxRoot.String(),
		"tx_count": h.TxCount, "txs": txs,
	}, nil
}

// roleOf parses a role name; "ledger" is answered from the chain's producer.
func roleOf(name string) (ledger.Role, error) {
	for _, r := range registrable {
		if r.name == name {
			return r.role, nil
		}
	}
	return 0, status.New(status.InvalidParams, "unknown role %q (want fs, scan, dns, proxy or ledger)", name)
}

// Nodes implements client.LedgerAPI.
func (s *services) Nodes(ctx context.Context, role string) ([]client.NodeInfo, error) {
	out := []client.NodeInfo{}
	if role == "" || role == "ledger" {
		ci, err := s.n.led.ChainInfo(ctx)
		if err != nil {
			return nil, err
		}
		ni := client.NodeInfo{Address: ci.Producer, Role: "ledger"}
		if ci.Producer == s.n.Key().Address() {
			ni.HostAddr, ni.Connected = s.n.Host().Addrs()[0], true
		}
		out = append(out, s.withPeer(ni))
		if role == "ledger" {
			return out, nil
		}
	}
	roles := []ledger.Role{}
	if role == "" {
		for _, r := range registrable {
			roles = append(roles, r.role)
		}
	} else {
		r, err := roleOf(role)
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	for _, r := range roles {
		ns, err := s.n.led.Nodes(ctx, r)
		if err != nil {
			return nil, err
		}
		for _, ni := range ns {
			out = append(out, s.withPeer(nodeInfo(ni)))
		}
	}
	return out, nil
}

func nodeInfo(ni ledger.NodeInfo) client.NodeInfo {
	return client.NodeInfo{Address: ni.Address, Role: ni.Role.String(), HostAddr: ni.HostAddr, Capacity: ni.Capacity,
		Used: ni.Used, Price: ni.PricePerMBBlock, MaxInterval: ni.MaxProveInterval, Accepting: ni.Accepting,
		Pledge: ni.Pledge, Failures: ni.Failures, Slashed: ni.Slashed}
}

// withPeer fills in whether the node is connected and its RTT.
func (s *services) withPeer(ni client.NodeInfo) client.NodeInfo {
	if ni.Address == s.n.Key().Address() {
		ni.Connected = true
		return ni
	}
	if p, ok := s.n.Host().Peer(ni.Address); ok {
		ni.Connected = true
		ni.RTTMs = float64(p.RTT().Microseconds()) / 1000
		if ni.HostAddr == "" {
			ni.HostAddr = p.URL()
		}
	}
	return ni
}

// ---- files ----

func parseFileHash(h string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(h))
	if err != nil || len(b) != 32 {
		return nil, status.New(status.InvalidParams, "file hash %q: want 64 hex digits", h)
	}
	return b, nil
}

// Files implements client.FileAPI.
func (s *services) Files(ctx context.Context) ([]client.File, error) {
	fis, err := s.n.led.FilesOf(ctx, s.n.Key().Address())
	if err != nil {
		return nil, status.Wrap(status.FsGetFileListFailed, err, "files")
	}
	out := make([]client.File, 0, len(fis))
	for i := range fis {
		f, err := s.file(ctx, &fis[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *f)
	}
	return out, nil
}

// File implements client.FileAPI.
func (s *services) File(ctx context.Context, hash string) (*client.File, error) {
	h, err := parseFileHash(hash)
	if err != nil {
		return nil, err
	}
	fi, err := s.n.led.FileInfo(ctx, h)
	if err != nil {
		return nil, err
	}
	return s.file(ctx, fi)
}

// file joins a FileInfo with its contracts, whitelist and the local store's record.
func (s *services) file(ctx context.Context, fi *ledger.FileInfo) (*client.File, error) {
	f := &client.File{Hash: hex.EncodeToString(fi.FileHash), Owner: fi.FileOwner, Size: fi.RealFileSize,
		Blocks: fi.FileBlockNum, Copies: fi.CopyNum + 1, Privilege: fi.Privilege, ProveInterval: fi.ProveInterval,
		ExpiredHeight: fi.ExpiredHeight, Deposit: fi.Deposit, Holders: []client.Holder{}}
	if f.Size == 0 {
		f.Size = fi.FileBlockNum * fi.FileBlockSize
	}
	cs, err := s.n.led.Contracts(ctx, fi.FileHash)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		h := client.Holder{Node: c.Node, State: ledger.ContractStateName(c.State), Balance: c.Balance,
			Proofs: c.Proofs, NextDue: c.Deadline, Failures: c.Missed}
		if c.Proofs > 0 {
			h.LastProof = c.LastProofHeight
		}
		f.Holders = append(f.Holders, h)
	}
	if fi.Privilege == ledger.PrivilegeWhitelist {
		if wl, err := s.n.led.WhiteList(ctx, fi.FileHash); err == nil {
			for _, r := range wl.Rules {
				f.WhiteList = append(f.WhiteList, r.Addr)
			}
		}
	}
	var root store.Hash
	copy(root[:], fi.FileHash)
	if sf, err := s.n.Store().File(ctx, root); err == nil {
		f.Name, f.Local = sf.Name, string(sf.State)
	}
	f.URL = s.urlOf(ctx, f.Hash)
	return f, nil
}

// urlOf returns a dsp:// URL that links the file (hash in hex) on the ledger now, or "". The
// ledger keeps no index from files to URLs, so the candidates are the URLs this node's tasks
// know for the file (the one an upload registered, the one a download resolved), newest first,
// each checked with Resolve: a URL deleted, expired or linked elsewhere since is skipped.
func (s *services) urlOf(ctx context.Context, hash string) string {
	ins := s.n.tasks.List()
	tried := map[string]bool{}
	for i := len(ins) - 1; i >= 0; i-- {
		in := ins[i]
		if in.FileHash != hash || in.URL == "" || tried[in.URL] {
			continue
		}
		tried[in.URL] = true
		r, err := s.n.led.Resolve(ctx, in.URL)
		if err == nil && r.Link == ledger.FileLink(mustHex(hash)) {
			return urlRecord(r).URL
		}
	}
	return ""
}

// mustHex decodes a hex string already checked (a file hash the ledger gave); nil if it is not.
func mustHex(h string) []byte {
	b, _ := hex.DecodeString(h)
	return b
}

// UploadPrice implements client.FileAPI: the deposit of the cheapest req.Copies FS nodes that can
// take the file, as the task manager picks them, for the file's size on disk (an encrypted
// upload is a little larger).
func (s *services) UploadPrice(ctx context.Context, req client.UploadRequest) (*client.Price, error) {
	st, err := os.Stat(req.Path)
	if err != nil || st.IsDir() {
		return nil, status.Wrap(status.FsUploadFilepathError, errors.Join(err, errNotAFile(st)), "upload price of %q", req.Path)
	}
	size := uint64(st.Size())
	copies := max(req.Copies, 1)
	interval := req.ProveInterval
	if interval == 0 {
		interval = 100
	}
	duration := req.Duration
	if duration == 0 {
		duration = 100 * interval
	}
	ci, err := s.n.led.ChainInfo(ctx)
	if err != nil {
		return nil, status.Wrap(status.DspCalcUploadFeeFailed, err, "upload price")
	}
	nodes, err := s.n.led.Nodes(ctx, ledger.RoleFS)
	if err != nil {
		return nil, status.Wrap(status.DspCalcUploadFeeFailed, err, "upload price")
	}
	var prices []uint64
	for _, n := range nodes {
		switch {
		case n.Address == s.n.Key().Address() || !n.Accepting || n.HostAddr == "":
		case n.Capacity < n.Used || n.Capacity-n.Used < size:
		case size < n.MinFileSize || (n.MaxFileSize != 0 && size > n.MaxFileSize):
		case interval > n.MaxProveInterval:
		default:
			prices = append(prices, n.PricePerMBBlock)
		}
	}
	if len(prices) < copies {
		return nil, status.New(status.TaskReceiversNotEnough, "%d FS nodes can take the file, %d copies wanted", len(prices), copies)
	}
	sortU64(prices)
	p := &client.Price{Size: size, Blocks: (size + store.BlockSize - 1) / store.BlockSize, Copies: copies,
		Duration: max(duration, 2*interval)}
	for _, price := range prices[:copies] {
		_, dep, ok := ledger.ContractDeposit(price, size, ci.Height, ci.Height+p.Duration)
		if !ok {
			return nil, status.New(status.DspCalcUploadFeeFailed, "deposit overflows")
		}
		p.Deposit += dep
	}
	txs := uint64(1)
	if req.RegisterURL || req.URL != "" {
		txs++
	}
	p.Fee = txs * max(s.n.cfg.Fee, ci.Params.MinFee)
	if acct, err := s.n.led.Account(ctx, s.n.Key().Address()); err == nil {
		p.Balance = acct.Balance
	}
	return p, nil
}

func errNotAFile(st os.FileInfo) error {
	if st != nil && st.IsDir() {
		return errors.New("is a directory")
	}
	return nil
}

func sortU64(v []uint64) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// DeleteFile implements client.FileAPI.
func (s *services) DeleteFile(ctx context.Context, hash string) (*client.TxResult, error) {
	h, err := parseFileHash(hash)
	if err != nil {
		return nil, err
	}
	return s.sendResult(ctx, &ledger.DeleteFile{FileHash: h})
}

// SetWhitelist implements client.FileAPI.
func (s *services) SetWhitelist(ctx context.Context, hash string, privilege uint64, accounts []keys.Address) (*client.TxResult, error) {
	h, err := parseFileHash(hash)
	if err != nil {
		return nil, err
	}
	if privilege > ledger.PrivilegeWhitelist {
		return nil, status.New(status.InvalidParams, "privilege %d: want 0 (private), 1 (public) or 2 (whitelist)", privilege)
	}
	wl := ledger.WhiteList{}
	for _, a := range accounts {
		wl.Rules = append(wl.Rules, ledger.WhiteListRule{Addr: a})
	}
	return s.sendResult(ctx, &ledger.SetWhiteList{FileHash: h, Privilege: privilege, WhiteList: wl})
}

// Share implements client.FileAPI.
func (s *services) Share(ctx context.Context, hash string) error {
	h, err := parseFileHash(hash)
	if err != nil {
		return err
	}
	var root store.Hash
	copy(root[:], h)
	sf, err := s.n.Store().File(ctx, root)
	if err != nil || sf.State != store.StateComplete {
		return status.New(status.DspFileNotExists, "share %s: this node does not hold the file complete", hash)
	}
	return s.n.scan().Announce(ctx, root, 0, scanSeeder)
}

// Resolve implements client.FileAPI.
func (s *services) Resolve(ctx context.Context, url string) (*client.URLRecord, error) {
	r, err := s.n.led.Resolve(ctx, strings.TrimSpace(url))
	if err != nil {
		return nil, err
	}
	return urlRecord(r), nil
}

func urlRecord(r *ledger.URLRecord) *client.URLRecord {
	out := &client.URLRecord{URL: r.Header + "://" + r.URL, Owner: r.Owner, Desc: r.Desc, Height: r.BlockHeight, TTL: r.TTL}
	if h, ok := strings.CutPrefix(r.Link, "file:"); ok {
		out.FileHash = h
	}
	return out
}

// RegisterURL implements client.FileAPI.
func (s *services) RegisterURL(ctx context.Context, url, hash string) (*client.URLRecord, error) {
	h, err := parseFileHash(hash)
	if err != nil {
		return nil, err
	}
	hdr, path := "", strings.TrimSpace(url)
	if i := strings.Index(path, "://"); i >= 0 {
		hdr, path = path[:i], path[i+3:]
	}
	r, err := s.send(ctx, &ledger.RegisterURL{Header: hdr, URL: path, Link: ledger.FileLink(h)})
	if err != nil {
		return nil, err
	}
	full := r.Result
	if full == "" {
		full = hdr + "://" + path
	}
	return s.Resolve(ctx, full)
}

// TransferURL implements client.FileAPI.
func (s *services) TransferURL(ctx context.Context, url string, to keys.Address) (*client.TxResult, error) {
	if to.IsZero() {
		return nil, status.New(status.InvalidWalletAddress, "transfer url: no recipient")
	}
	return s.sendResult(ctx, &ledger.TransferName{Name: strings.TrimSpace(url), To: to})
}

// DeleteURL implements client.FileAPI.
func (s *services) DeleteURL(ctx context.Context, url string) (*client.TxResult, error) {
	return s.sendResult(ctx, &ledger.DeleteName{Name: strings.TrimSpace(url)})
}

// ---- tasks ----

// taskOf converts a task snapshot to the control API's Task (the same JSON).
func taskOf(in task.Info) client.Task {
	var t client.Task
	b, _ := json.Marshal(in)
	_ = json.Unmarshal(b, &t)
	return t
}

// taskErr gives an unknown task the control API's DSP_TASK_NOT_EXIST (58000).
func taskErr(id task.ID, err error) error {
	if errors.Is(err, task.ErrNotFound) {
		return status.Wrap(status.DspTaskNotExist, err, "task %s", id)
	}
	return err
}

func (s *services) taskInfo(id task.ID) (*client.Task, error) {
	in, err := s.n.tasks.Get(id)
	if err != nil {
		return nil, taskErr(id, err)
	}
	t := taskOf(in)
	return &t, nil
}

// Upload implements client.TaskAPI.
func (s *services) Upload(ctx context.Context, req client.UploadRequest) (*client.Task, error) {
	if req.Path == "" {
		return nil, status.New(status.InvalidParams, "upload: no file path")
	}
	tr := task.UploadRequest{Path: req.Path, Name: req.Name, Desc: req.Desc, Copies: max(req.Copies, 1),
		Candidates: req.Candidates, ProveInterval: req.ProveInterval, Duration: req.Duration, Privilege: req.Privilege,
		WhiteList: req.WhiteList, Share: req.Share, RegisterURL: req.RegisterURL, URL: req.URL}
	if req.Password != "" {
		tr.Password = []byte(req.Password)
	}
	id, err := s.n.tasks.Upload(ctx, tr)
	if err != nil {
		return nil, err
	}
	return s.taskInfo(id)
}

// Download implements client.TaskAPI.
func (s *services) Download(ctx context.Context, req client.DownloadRequest) (*client.Task, error) {
	if req.Hash == "" && req.URL == "" {
		return nil, status.New(status.InvalidParams, "download: a file hash or a URL is required")
	}
	tr := task.DownloadRequest{Hash: req.Hash, URL: req.URL, Output: req.Output, MaxPeers: req.MaxPeers}
	if req.Password != "" {
		tr.Password = []byte(req.Password)
	}
	id, err := s.n.tasks.Download(ctx, tr)
	if err != nil {
		return nil, err
	}
	return s.taskInfo(id)
}

// Tasks implements client.TaskAPI.
func (s *services) Tasks(context.Context) ([]client.Task, error) {
	ins := s.n.tasks.List()
	out := make([]client.Task, 0, len(ins))
	for _, in := range ins {
		out = append(out, taskOf(in))
	}
	return out, nil
}

// Task implements client.TaskAPI.
func (s *services) Task(_ context.Context, id string) (*client.Task, error) {
	return s.taskInfo(task.ID(id))
}

// PauseTask implements client.TaskAPI.
func (s *services) PauseTask(_ context.Context, id string) error {
	return taskErr(task.ID(id), s.n.tasks.Pause(task.ID(id)))
}

// ResumeTask implements client.TaskAPI.
func (s *services) ResumeTask(_ context.Context, id string, password []byte) error {
	return taskErr(task.ID(id), s.n.tasks.ResumeWithPassword(task.ID(id), password))
}

// CancelTask implements client.TaskAPI.
func (s *services) CancelTask(_ context.Context, id string) error {
	return taskErr(task.ID(id), s.n.tasks.Cancel(task.ID(id)))
}

// RetryTask implements client.TaskAPI.
func (s *services) RetryTask(_ context.Context, id string) error {
	return taskErr(task.ID(id), s.n.tasks.Retry(task.ID(id)))
}

// ---- prover ----

// ProverStatus implements client.ProverAPI: the fs service's prover (NO_DSP without the fs role).
func (s *services) ProverStatus(context.Context) ([]client.ProverFile, error) {
	if !s.n.cfg.has("fs") {
		return nil, status.New(status.NoDsp, "the prover is not available on this node (no fs role)")
	}
	pfs := s.n.fsSvc.ProverStatus()
	out := make([]client.ProverFile, 0, len(pfs))
	for _, p := range pfs {
		out = append(out, client.ProverFile{FileHash: hex.EncodeToString(p.FileHash[:]), State: p.State,
			Confirmed: p.Confirmed, NextDue: p.NextDue, Deadline: p.Deadline, Proofs: p.Proofs,
			LastProofHeight: p.LastProofHeight, LastProofAt: p.LastProofAt, Failures: p.Failures,
			LastError: p.LastError, Recovered: p.Recovered, ReadTime: p.ReadTime, ProveTime: p.ProveTime})
	}
	return out, nil
}
