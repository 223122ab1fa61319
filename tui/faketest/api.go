package faketest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// Errors of the fake (wrapped in spec status errors where the node would use one).
var (
	// ErrNotFound: no such task, file, account or URL.
	ErrNotFound = errors.New("not found")
)

// Status implements client.NodeAPI.
func (c *Client) Status(context.Context) (*client.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Status"); err != nil {
		return nil, err
	}
	return &client.Status{Address: c.self, Roles: append([]string{}, c.roles...), Listen: []string{"kcp://127.0.0.1:4001"},
		NetworkID: 7, Started: Epoch.Add(-time.Hour), Peers: append([]client.PeerInfo{}, c.peers...)}, nil
}

// Peers implements client.NodeAPI.
func (c *Client) Peers(context.Context) ([]client.PeerInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Peers"); err != nil {
		return nil, err
	}
	return append([]client.PeerInfo{}, c.peers...), nil
}

// Connect implements client.NodeAPI: it adds a peer at url and emits peer.connected.
func (c *Client) Connect(_ context.Context, url string) (*client.PeerInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Connect"); err != nil {
		return nil, err
	}
	if !strings.Contains(url, "://") {
		return nil, status.New(status.InvalidParams, "connect: bad peer url %q", url)
	}
	p := client.PeerInfo{Address: Addr(20 + len(c.peers)), URL: url, Dialed: true, Since: c.tick()}
	c.peers = append(c.peers, p)
	c.emit(client.Event{Type: client.EventPeerConnected, Data: p})
	return &p, nil
}

// Disconnect implements client.NodeAPI.
func (c *Client) Disconnect(_ context.Context, account keys.Address) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Disconnect"); err != nil {
		return err
	}
	for i, p := range c.peers {
		if p.Address == account {
			c.peers = append(c.peers[:i], c.peers[i+1:]...)
			c.emit(client.Event{Type: client.EventPeerDisconnected, Data: p})
			return nil
		}
	}
	return fmt.Errorf("disconnect %s: %w", account, ErrNotFound)
}

// Events implements client.NodeAPI: a subscription buffered for 1024 events, closed when ctx ends.
func (c *Client) Events(ctx context.Context) (<-chan client.Event, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Events"); err != nil {
		return nil, err
	}
	ch := make(chan client.Event, 1024)
	c.subs[ch] = struct{}{}
	go func() {
		<-ctx.Done()
		c.mu.Lock()
		delete(c.subs, ch)
		close(ch)
		c.mu.Unlock()
	}()
	return ch, nil
}

// Accounts implements client.AccountAPI.
func (c *Client) Accounts(context.Context) ([]client.Account, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Accounts"); err != nil {
		return nil, err
	}
	return append([]client.Account{}, c.accounts...), nil
}

func (c *Client) addAccount(label, scheme string, pub []byte, def bool) *client.Account {
	if scheme == "" {
		scheme = "SHA512withEdDSA"
	}
	a := client.Account{Address: Addr(100 + len(c.accounts)), Label: label, Scheme: scheme, PublicKey: hex.EncodeToString(pub)}
	if len(c.accounts) == 0 {
		a.Active, a.Default = true, true
		c.self = a.Address
	}
	if def {
		for i := range c.accounts {
			c.accounts[i].Default = false
		}
		a.Default = true
	}
	c.accounts = append(c.accounts, a)
	return &a
}

// NewAccount implements client.AccountAPI. An empty password is refused.
func (c *Client) NewAccount(_ context.Context, req client.NewAccountRequest) (*client.Account, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("NewAccount"); err != nil {
		return nil, err
	}
	if req.Password == "" {
		return nil, status.New(status.InvalidParams, "new account: empty password")
	}
	if req.Scheme != "" {
		if _, err := keys.ParseScheme(req.Scheme); err != nil {
			return nil, status.Wrap(status.InvalidParams, err, "new account")
		}
	}
	sum := sha256.Sum256([]byte(req.Label))
	return c.addAccount(req.Label, req.Scheme, sum[:], req.Default), nil
}

// ImportAccount implements client.AccountAPI; the private key must be 64 hex digits.
func (c *Client) ImportAccount(_ context.Context, req client.ImportAccountRequest) (*client.Account, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("ImportAccount"); err != nil {
		return nil, err
	}
	if req.Password == "" {
		return nil, status.New(status.InvalidParams, "import account: empty password")
	}
	b, err := hex.DecodeString(req.PrivateKey)
	if req.Blob == nil && (err != nil || len(b) != 32) {
		return nil, status.New(status.InvalidParams, "import account: private key is not 32 bytes of hex")
	}
	sum := sha256.Sum256(b)
	return c.addAccount(req.Label, req.Scheme, sum[:], req.Default), nil
}

// ExportAccount implements client.AccountAPI; the wallet password is "secret" for the seeded
// accounts (any other is AccountPasswordWrong).
func (c *Client) ExportAccount(_ context.Context, req client.ExportAccountRequest) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("ExportAccount"); err != nil {
		return nil, err
	}
	if _, ok := c.account(req.Account); !ok {
		return nil, status.Wrap(status.WalletFileNotExist, ErrNotFound, "export %s", req.Account)
	}
	if req.Password != "secret" {
		return nil, status.New(status.AccountPasswordWrong, "export %s: wrong password", req.Account)
	}
	return []byte("sealed:" + req.Account), nil
}

func (c *Client) account(ref string) (int, bool) {
	for i, a := range c.accounts {
		if a.Address.String() == ref || a.Label == ref {
			return i, true
		}
	}
	return 0, false
}

// SetDefaultAccount implements client.AccountAPI.
func (c *Client) SetDefaultAccount(_ context.Context, ref string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("SetDefaultAccount"); err != nil {
		return err
	}
	i, ok := c.account(ref)
	if !ok {
		return status.Wrap(status.WalletFileNotExist, ErrNotFound, "set default %s", ref)
	}
	for j := range c.accounts {
		c.accounts[j].Default = j == i
	}
	return nil
}

// LedgerInfo implements client.LedgerAPI.
func (c *Client) LedgerInfo(context.Context) (*client.LedgerInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("LedgerInfo"); err != nil {
		return nil, err
	}
	return &client.LedgerInfo{ChainID: "dsp-devnet", Height: c.height, BlockInterval: time.Second, Producer: Addr(15)}, nil
}

// Balance implements client.LedgerAPI.
func (c *Client) Balance(_ context.Context, account keys.Address) (*client.Balance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Balance"); err != nil {
		return nil, err
	}
	if account.IsZero() {
		account = c.self
	}
	for _, a := range c.accounts {
		if a.Address == account {
			return &client.Balance{Address: a.Address, Balance: a.Balance, Pledged: a.Pledged, Nonce: 3}, nil
		}
	}
	return &client.Balance{Address: account}, nil
}

func (c *Client) tx() *client.TxResult {
	c.height++
	sum := sha256.Sum256([]byte(fmt.Sprint("tx", c.height)))
	return &client.TxResult{Hash: hex.EncodeToString(sum[:]), Height: c.height, Fee: 10}
}

func (c *Client) active() *client.Account {
	for i := range c.accounts {
		if c.accounts[i].Address == c.self {
			return &c.accounts[i]
		}
	}
	return nil
}

// Transfer implements client.LedgerAPI.
func (c *Client) Transfer(_ context.Context, to keys.Address, amount uint64) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Transfer"); err != nil {
		return nil, err
	}
	a := c.active()
	if a == nil || a.Balance < amount {
		return nil, status.New(status.InsufficientBalance, "transfer %d: insufficient balance", amount)
	}
	a.Balance -= amount
	return c.tx(), nil
}

// Pledge implements client.LedgerAPI.
func (c *Client) Pledge(_ context.Context, amount uint64) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Pledge"); err != nil {
		return nil, err
	}
	a := c.active()
	if a == nil || a.Balance < amount {
		return nil, status.New(status.InsufficientBalance, "pledge %d: insufficient balance", amount)
	}
	a.Balance, a.Pledged = a.Balance-amount, a.Pledged+amount
	return c.tx(), nil
}

// Unpledge implements client.LedgerAPI.
func (c *Client) Unpledge(_ context.Context, amount uint64) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Unpledge"); err != nil {
		return nil, err
	}
	a := c.active()
	if a == nil || a.Pledged < amount {
		return nil, status.New(status.InsufficientBalance, "unpledge %d: not pledged", amount)
	}
	a.Balance, a.Pledged = a.Balance+amount, a.Pledged-amount
	return c.tx(), nil
}

// Tx implements client.LedgerAPI.
func (c *Client) Tx(_ context.Context, hash string) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Tx"); err != nil {
		return nil, err
	}
	return map[string]any{"hash": hash, "height": c.height}, nil
}

// Block implements client.LedgerAPI.
func (c *Client) Block(_ context.Context, height uint64) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Block"); err != nil {
		return nil, err
	}
	return map[string]any{"height": height, "txs": 0}, nil
}

// Nodes implements client.LedgerAPI.
func (c *Client) Nodes(_ context.Context, role string) ([]client.NodeInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Nodes"); err != nil {
		return nil, err
	}
	var out []client.NodeInfo
	for _, n := range c.nodes {
		if role == "" || n.Role == role {
			out = append(out, n)
		}
	}
	return out, nil
}

// Files implements client.FileAPI.
func (c *Client) Files(context.Context) ([]client.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Files"); err != nil {
		return nil, err
	}
	out := make([]client.File, len(c.files))
	for i, f := range c.files {
		f.Holders = append([]client.Holder{}, f.Holders...)
		out[i] = f
	}
	return out, nil
}

// File implements client.FileAPI.
func (c *Client) File(_ context.Context, hash string) (*client.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("File"); err != nil {
		return nil, err
	}
	f := c.fileByHash(hash)
	if f == nil {
		return nil, status.Wrap(status.TaskFileNotFoundFromChain, ErrNotFound, "file %s", hash)
	}
	cp := *f
	cp.Holders = append([]client.Holder(nil), f.Holders...)
	cp.WhiteList = append([]keys.Address(nil), f.WhiteList...)
	return &cp, nil
}

// UploadPrice implements client.FileAPI: deposit = size in KB × copies × duration / 100.
func (c *Client) UploadPrice(_ context.Context, req client.UploadRequest) (*client.Price, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("UploadPrice"); err != nil {
		return nil, err
	}
	fi, err := os.Stat(req.Path)
	if err != nil {
		return nil, status.Wrap(status.InvalidParams, err, "upload price")
	}
	dur := req.Duration
	if dur == 0 {
		dur = 1000
	}
	copies := max(1, req.Copies)
	size := uint64(fi.Size())
	bal := uint64(0)
	if a := c.active(); a != nil {
		bal = a.Balance
	}
	return &client.Price{Size: size, Blocks: (size + 256*1024 - 1) / (256 * 1024), Copies: copies, Duration: dur,
		Deposit: (size/1024 + 1) * uint64(copies) * dur / 100, Fee: 20, Balance: bal}, nil
}

// DeleteFile implements client.FileAPI (owner only).
func (c *Client) DeleteFile(_ context.Context, hash string) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("DeleteFile"); err != nil {
		return nil, err
	}
	for i, f := range c.files {
		if f.Hash == hash {
			if f.Owner != c.self {
				return nil, status.New(status.TaskDeleteFileAccessDenied, "delete %s: not the owner", hash)
			}
			c.files = append(c.files[:i], c.files[i+1:]...)
			return c.tx(), nil
		}
	}
	return nil, status.New(status.TaskNoFileNeedDeleted, "delete %s: no such file", hash)
}

// SetWhitelist implements client.FileAPI.
func (c *Client) SetWhitelist(_ context.Context, hash string, privilege uint64, accounts []keys.Address) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("SetWhitelist"); err != nil {
		return nil, err
	}
	f := c.fileByHash(hash)
	if f == nil {
		return nil, status.Wrap(status.TaskFileNotFoundFromChain, ErrNotFound, "whitelist %s", hash)
	}
	if privilege > 2 {
		return nil, status.New(status.InvalidParams, "whitelist %s: privilege %d", hash, privilege)
	}
	f.Privilege, f.WhiteList = privilege, append([]keys.Address{}, accounts...)
	return c.tx(), nil
}

// Share implements client.FileAPI: only a file held complete here can be shared.
func (c *Client) Share(_ context.Context, hash string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Share"); err != nil {
		return err
	}
	if f := c.fileByHash(hash); f == nil || f.Local != "complete" {
		return status.Wrap(status.TaskFileNotFoundFromChain, ErrNotFound, "share %s", hash)
	}
	return nil
}

// Resolve implements client.FileAPI.
func (c *Client) Resolve(_ context.Context, url string) (*client.URLRecord, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Resolve"); err != nil {
		return nil, err
	}
	r, ok := c.urls[url]
	if !ok {
		return nil, status.Wrap(status.TaskFileNotFoundFromChain, ErrNotFound, "resolve %s", url)
	}
	return &r, nil
}

// RegisterURL implements client.FileAPI.
func (c *Client) RegisterURL(_ context.Context, url, hash string) (*client.URLRecord, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("RegisterURL"); err != nil {
		return nil, err
	}
	return c.register(url, hash), nil
}

func (c *Client) register(url, hash string) *client.URLRecord {
	if url == "" {
		url = "dsp://files/" + hash[:12]
	}
	r := client.URLRecord{URL: url, FileHash: hash, Owner: c.self, Height: c.height, TTL: 100000}
	c.urls[url] = r
	if f := c.fileByHash(hash); f != nil {
		f.URL = url
	}
	return &r
}

// TransferURL implements client.FileAPI.
func (c *Client) TransferURL(_ context.Context, url string, to keys.Address) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("TransferURL"); err != nil {
		return nil, err
	}
	r, ok := c.urls[url]
	if !ok {
		return nil, status.Wrap(status.TaskFileNotFoundFromChain, ErrNotFound, "transfer url %s", url)
	}
	r.Owner = to
	c.urls[url] = r
	return c.tx(), nil
}

// DeleteURL implements client.FileAPI.
func (c *Client) DeleteURL(_ context.Context, url string) (*client.TxResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("DeleteURL"); err != nil {
		return nil, err
	}
	if _, ok := c.urls[url]; !ok {
		return nil, status.Wrap(status.TaskFileNotFoundFromChain, ErrNotFound, "delete url %s", url)
	}
	delete(c.urls, url)
	return c.tx(), nil
}

// Upload implements client.TaskAPI: it reads req.Path, records the file and starts a task
// (finished at once when Auto is set).
func (c *Client) Upload(_ context.Context, req client.UploadRequest) (*client.Task, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Upload"); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(req.Path)
	if err != nil {
		return nil, status.Wrap(status.TaskPrepareUploadError, err, "upload")
	}
	if req.Copies <= 0 {
		return nil, status.New(status.TaskInvalidParams, "upload: copies must be at least 1")
	}
	name := req.Name
	if name == "" {
		name = filepath.Base(req.Path)
	}
	f := c.addFile(name, data, uint64(req.Copies))
	f.Holders = nil
	c.fileByHash(f.Hash).Holders = nil
	c.fileByHash(f.Hash).Privilege, c.fileByHash(f.Hash).WhiteList = req.Privilege, req.WhiteList
	t := client.Task{Kind: "upload", State: "running", Status: int(status.TaskUploadFileMakeSlice), FileHash: f.Hash,
		Size: f.Size, Blocks: max(1, f.Blocks), Upload: &req, Encrypted: req.Password != "",
		Peers: []client.TaskPeer{{Account: Addr(11)}}}
	t.Upload.Password = ""
	if req.RegisterURL || req.URL != "" {
		t.URL = c.register(req.URL, f.Hash).URL
	}
	return c.start(t), nil
}

func (c *Client) start(t client.Task) *client.Task {
	p := c.addTask(t)
	p = c.tasks[p.ID]
	c.emit(client.Event{Type: client.EventTask, Data: snapshot(p)})
	if c.Auto {
		c.progress(p, p.Blocks/2)
		_ = c.finish(p)
	}
	cp := snapshot(p)
	return &cp
}

// Download implements client.TaskAPI: by hash or by URL; an unknown file is
// TaskFileNotFoundFromChain.
func (c *Client) Download(_ context.Context, req client.DownloadRequest) (*client.Task, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Download"); err != nil {
		return nil, err
	}
	hash := req.Hash
	if req.URL != "" {
		r, ok := c.urls[req.URL]
		if !ok {
			return nil, status.Wrap(status.TaskFileNotFoundFromChain, ErrNotFound, "download %s", req.URL)
		}
		hash = r.FileHash
	}
	f := c.fileByHash(hash)
	if f == nil {
		return nil, status.Wrap(status.TaskFileNotFoundFromChain, ErrNotFound, "download %s", hash)
	}
	if req.Output == "" {
		req.Output = f.Name
	}
	t := client.Task{Kind: "download", State: "running", Status: int(status.TaskDownloadFileStart), FileHash: hash, URL: req.URL,
		Size: f.Size, Blocks: max(1, f.Blocks), Download: &req, Peers: []client.TaskPeer{{Account: Addr(11), Price: c.holderPrice[Addr(11)]}}}
	t.Download.Password = ""
	return c.start(t), nil
}

// Tasks implements client.TaskAPI, oldest first.
func (c *Client) Tasks(context.Context) ([]client.Task, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Tasks"); err != nil {
		return nil, err
	}
	out := make([]client.Task, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, snapshot(c.tasks[id]))
	}
	return out, nil
}

// Task implements client.TaskAPI.
func (c *Client) Task(_ context.Context, id string) (*client.Task, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Task"); err != nil {
		return nil, err
	}
	t, ok := c.tasks[id]
	if !ok {
		return nil, status.Wrap(status.TaskInvalidParams, ErrNotFound, "task %s", id)
	}
	cp := snapshot(t)
	return &cp, nil
}

func (c *Client) setState(method, id string, from []string, to string) error {
	if err := c.enter(method); err != nil {
		return err
	}
	t, ok := c.tasks[id]
	if !ok {
		return status.Wrap(status.TaskInvalidParams, ErrNotFound, "%s %s", strings.ToLower(method), id)
	}
	ok = false
	for _, s := range from {
		ok = ok || t.State == s
	}
	if !ok {
		return status.New(status.TaskTaskPauseError, "%s %s: task is %s", strings.ToLower(method), id, t.State)
	}
	t.State, t.Updated = to, c.tick()
	if to == "running" {
		t.Code, t.Msg = 0, ""
	}
	c.emit(client.Event{Type: client.EventTask, Data: snapshot(t)})
	return nil
}

// PauseTask implements client.TaskAPI.
func (c *Client) PauseTask(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.setState("PauseTask", id, []string{"running"}, "paused")
}

// ResumeTask implements client.TaskAPI; a task that needs a password refuses a missing one with
// TaskDecryptWrongPassword.
func (c *Client) ResumeTask(_ context.Context, id string, password []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.tasks[id]; ok && t.NeedPassword && len(password) == 0 {
		c.calls = append(c.calls, "ResumeTask")
		return status.New(status.TaskDecryptWrongPassword, "resume %s: password needed", id)
	}
	if t, ok := c.tasks[id]; ok {
		t.NeedPassword = false
	}
	return c.setState("ResumeTask", id, []string{"paused"}, "running")
}

// CancelTask implements client.TaskAPI.
func (c *Client) CancelTask(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.setState("CancelTask", id, []string{"running", "paused"}, "cancelled")
}

// RetryTask implements client.TaskAPI.
func (c *Client) RetryTask(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.setState("RetryTask", id, []string{"failed", "cancelled"}, "running")
}

// Proxies implements client.ProxyAPI.
func (c *Client) Proxies(context.Context) (*client.ProxyOverview, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("Proxies"); err != nil {
		return nil, err
	}
	o := c.proxies
	o.Known = append([]client.NodeInfo{}, o.Known...)
	if o.Mine != nil {
		m := *o.Mine
		o.Mine = &m
	}
	return &o, nil
}

// RequestProxy implements client.ProxyAPI: the allocation becomes active at once.
func (c *Client) RequestProxy(_ context.Context, url string) (*client.ProxyStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("RequestProxy"); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(url, "kcp://") {
		return nil, status.New(status.InvalidParams, "request proxy: bad url %q", url)
	}
	p := &client.ProxyStatus{Proxy: url, Address: "203.0.113.7:40001", State: "active", LastKeepalive: c.tick()}
	c.proxies.Mine = p
	cp := *p
	return &cp, nil
}

// ReleaseProxy implements client.ProxyAPI.
func (c *Client) ReleaseProxy(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("ReleaseProxy"); err != nil {
		return err
	}
	if c.proxies.Mine == nil {
		return status.New(status.InvalidParams, "release proxy: no allocation")
	}
	c.proxies.Mine = nil
	return nil
}

// SetProver makes ProverStatus answer pfs (nil: NO_DSP, a node without the fs role, the
// default).
func (c *Client) SetProver(pfs []client.ProverFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prover = slices.Clone(pfs)
}

// ProverStatus implements client.ProverAPI: what SetProver gave, or NO_DSP.
func (c *Client) ProverStatus(context.Context) ([]client.ProverFile, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("ProverStatus"); err != nil {
		return nil, err
	}
	if c.prover == nil {
		return nil, status.New(status.NoDsp, "the prover is not available on this node (no fs role)")
	}
	return slices.Clone(c.prover), nil
}
