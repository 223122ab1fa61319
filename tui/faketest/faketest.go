// Package faketest is a deterministic in-memory node client for testing the TUI (and anything
// else that drives a node through node/client): fixed accounts, files, tasks, peers, ledger
// registry, proxies, payment channels and earnings; events a test controls; errors a test
// injects per method.
//
// Uploads read the file they are given and keep its bytes, so a download of the same file (by
// hash or URL) writes the very bytes back: a test can check a round trip without a network.
package faketest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// Epoch is the fake's clock at creation; every timestamp it makes is Epoch plus a step count.
var Epoch = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// Client is the fake. Its methods are safe for concurrent use.
type Client struct {
	mu       sync.Mutex
	now      time.Time
	self     keys.Address
	roles    []string
	peers    []client.PeerInfo
	height   uint64
	accounts []client.Account
	files    []client.File
	data     map[string][]byte // file hash -> contents
	urls     map[string]client.URLRecord
	tasks    map[string]*client.Task
	order    []string
	nodes    []client.NodeInfo
	proxies  client.ProxyOverview
	prover   []client.ProverFile // nil: no fs role (ProverStatus answers NO_DSP)
	price    uint64              // per served byte (Channels)
	channels []client.Channel    // the active account's, as it sees them
	earnings []client.FileEarning
	// holderPrice is what each holder charges per byte; downloads pay it over open channels.
	holderPrice map[keys.Address]uint64
	errs        map[string]error
	subs        map[chan client.Event]struct{}
	calls       []string
	seq         int

	// Auto makes new uploads and downloads run to completion at once (events for 0%, 50% and
	// done); otherwise they stay running until the test calls Progress, Finish or FailTask.
	Auto bool
}

// Addr returns the deterministic address number i (the same for every fake).
func Addr(i int) keys.Address {
	var a keys.Address
	for j := range a {
		a[j] = byte(i*31 + j*7 + 1)
	}
	return a
}

// NewEmpty returns a fake whose wallet has no account (the TUI's first run).
func NewEmpty() *Client {
	return &Client{
		now: Epoch, self: Addr(0), roles: []string{"client"}, height: 1200,
		data: map[string][]byte{}, urls: map[string]client.URLRecord{}, tasks: map[string]*client.Task{},
		errs: map[string]error{}, subs: map[chan client.Event]struct{}{},
	}
}

// New returns a fake with two accounts, three peers, registered nodes of every role, three files
// (one with a failed holder), three tasks (running, done, failed), a known proxy, and payment
// channels (open both ways, closing, settled) with earnings from two peers.
func New() *Client {
	c := NewEmpty()
	c.accounts = []client.Account{
		{Address: Addr(0), Label: "main", Scheme: "SHA512withEdDSA", PublicKey: accountKey(0, keys.SHA512withEdDSA), Default: true, Active: true, Balance: 1_000_000, Pledged: 5_000},
		{Address: Addr(1), Label: "savings", Scheme: "SHA256withECDSA", PublicKey: accountKey(1, keys.SHA256withECDSA), Balance: 250},
	}
	for i := 1; i <= 3; i++ {
		c.peers = append(c.peers, client.PeerInfo{Address: Addr(10 + i), Key: PeerKey(10 + i), URL: fmt.Sprintf("kcp://10.0.0.%d:4001", i),
			Dialed: i != 2, RTTMs: float64(i) * 12.5, BytesIn: uint64(i) << 20, BytesOut: uint64(i) << 18, Since: Epoch.Add(-time.Duration(i) * time.Hour)})
	}
	c.nodes = []client.NodeInfo{
		{Address: Addr(11), Role: "fs", HostAddr: "kcp://10.0.0.1:4001", Capacity: 1 << 40, Used: 1 << 30, Price: 2, MaxInterval: 100, Accepting: true, Pledge: 10_000, Connected: true, RTTMs: 12.5},
		{Address: Addr(12), Role: "fs", HostAddr: "kcp://10.0.0.2:4001", Capacity: 1 << 39, Price: 3, MaxInterval: 100, Accepting: true, Pledge: 10_000, Failures: 1, Slashed: 100, Connected: true, RTTMs: 25},
		{Address: Addr(13), Role: "scan", HostAddr: "kcp://10.0.0.3:4001", Connected: true, RTTMs: 37.5},
		{Address: Addr(13), Role: "dns", HostAddr: "kcp://10.0.0.3:4001", Connected: true, RTTMs: 37.5},
		{Address: Addr(14), Role: "proxy", HostAddr: "kcp://203.0.113.7:4001"},
		{Address: Addr(15), Role: "ledger", HostAddr: "kcp://10.0.0.5:4001"},
	}
	c.proxies = client.ProxyOverview{Known: []client.NodeInfo{c.nodes[4]}}
	c.addFile("holiday.jpg", []byte(strings.Repeat("holiday photo bytes ", 4096)), 2, client.Holder{Node: Addr(11), State: "active", Proofs: 4, LastProof: 1180, NextDue: 1280, Balance: 900},
		client.Holder{Node: Addr(12), State: "active", Proofs: 3, LastProof: 1150, NextDue: 1250, Balance: 880})
	c.addFile("report.pdf", []byte(strings.Repeat("quarterly numbers ", 1000)), 2, client.Holder{Node: Addr(11), State: "active", Proofs: 1, LastProof: 1190, NextDue: 1290},
		client.Holder{Node: Addr(12), State: "failed", Failures: 3, NextDue: 1100})
	c.addFile("notes.txt", []byte("short notes\n"), 1, client.Holder{Node: Addr(11), State: "pending"})
	c.files[0].URL = "dsp://photos/holiday"
	c.urls[c.files[0].URL] = client.URLRecord{URL: c.files[0].URL, FileHash: c.files[0].Hash, Owner: Addr(0), Height: 1001, TTL: 100000}
	c.files[1].Privilege, c.files[1].WhiteList = 2, []keys.Address{Addr(1)}
	c.seedChannels()

	c.addTask(client.Task{Kind: "upload", State: "running", Status: int(status.TaskUploadFileTransferBlocks), StatusName: "TaskUploadFileTransferBlocks",
		Size: 8 << 20, Blocks: 32, Held: 12, Bytes: 3 << 20, Upload: &client.UploadRequest{Path: "/data/video.mp4", Copies: 2},
		Peers: []client.TaskPeer{{Account: Addr(11), Held: 12, Sent: 12, Bytes: 3 << 20, Rate: 512 << 10}, {Account: Addr(12), Held: 10, Sent: 11, Bytes: 5 << 19, Rate: 256 << 10}}})
	c.addTask(client.Task{Kind: "download", State: "done", Status: int(status.TaskDownloadFileMakeSeed), FileHash: c.files[0].Hash, URL: c.files[0].URL,
		Size: c.files[0].Size, Blocks: c.files[0].Blocks, Held: c.files[0].Blocks, Bytes: c.files[0].Size,
		Download: &client.DownloadRequest{URL: c.files[0].URL, Output: "/tmp/holiday.jpg"}, Paid: 16_400,
		// Addr(11) charged 1 per byte: its channel's 16 400 sent are this download's; a free seeder served the rest.
		Peers: []client.TaskPeer{{Account: Addr(11), Held: 1, Bytes: 16_400, Price: 1, Paid: 16_400, Done: true},
			{Account: Addr(16), Held: 1, Bytes: c.files[0].Size - 16_400, Done: true}}})
	c.addTask(client.Task{Kind: "upload", State: "failed", Status: int(status.TaskUploadFileTransferBlocks), Code: int(status.TaskFsPutBlockFailed), Msg: "holder refused block 3",
		Size: 1 << 20, Blocks: 4, Held: 2, Bytes: 1 << 19, Upload: &client.UploadRequest{Path: "/data/archive.tar", Copies: 1},
		Peers: []client.TaskPeer{{Account: Addr(12), Held: 2, Sent: 3, Bytes: 1 << 19, Err: "put block refused"}}})
	return c
}

// tick advances the clock one second and returns it. Callers hold mu.
func (c *Client) tick() time.Time {
	c.now = c.now.Add(time.Second)
	return c.now
}

func (c *Client) addFile(name string, data []byte, copies uint64, holders ...client.Holder) client.File {
	sum := sha256.Sum256(data)
	f := client.File{Hash: hex.EncodeToString(sum[:]), Name: name, Owner: c.self, Size: uint64(len(data)),
		Blocks: uint64(len(data)+256*1024-1) / (256 * 1024), Copies: copies, Privilege: 1, ProveInterval: 100,
		ExpiredHeight: c.height + 10000, Deposit: uint64(len(data)) / 1000 * copies, Holders: holders, Local: "complete"}
	c.files = append(c.files, f)
	c.data[f.Hash] = data
	return f
}

func (c *Client) addTask(t client.Task) *client.Task {
	c.seq++
	t.ID = fmt.Sprintf("t%04d", c.seq)
	t.Created, t.Updated = c.tick(), c.now
	c.tasks[t.ID] = &t
	c.order = append(c.order, t.ID)
	return &t
}

// Fail makes every later call of method (e.g. "Upload", "Accounts") return err until Fail is
// called with a nil error.
func (c *Client) Fail(method string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		delete(c.errs, method)
		return
	}
	c.errs[method] = err
}

// Calls returns the methods called so far, in order.
func (c *Client) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// enter records a call and returns its injected error. Callers hold mu.
func (c *Client) enter(method string) error {
	c.calls = append(c.calls, method)
	return c.errs[method]
}

// Emit sends ev to every subscriber (dropping it for one whose buffer is full, as a node does).
func (c *Client) Emit(ev client.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emit(ev)
}

func (c *Client) emit(ev client.Event) {
	if ev.Time.IsZero() {
		ev.Time = c.now
	}
	for ch := range c.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// Subscribers returns how many event subscriptions are open.
func (c *Client) Subscribers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs)
}

// SetHeight sets the ledger height.
func (c *Client) SetHeight(h uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.height = h
}

// SetProxy sets this node's allocation shown by Proxies.
func (c *Client) SetProxy(p *client.ProxyStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.proxies.Mine = p
}

// PutTask adds or replaces a task and emits its event.
func (c *Client) PutTask(t client.Task) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.tasks[t.ID]; !ok {
		c.order = append(c.order, t.ID)
	}
	c.tasks[t.ID] = &t
	c.emit(client.Event{Type: client.EventTask, Data: snapshot(&t)})
}

// AddTasks adds n running uploads (for load tests) without emitting events and returns their ids.
func (c *Client) AddTasks(n int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		t := c.addTask(client.Task{Kind: "upload", State: "running", Status: int(status.TaskUploadFileTransferBlocks), Size: 4 << 20, Blocks: 16,
			Held: uint64(i % 16), Bytes: uint64(i%16) << 18, Upload: &client.UploadRequest{Path: fmt.Sprintf("/data/file-%04d.bin", i), Copies: 1},
			Peers: []client.TaskPeer{{Account: Addr(11), Held: uint64(i % 16), Rate: 100 << 10}}})
		ids = append(ids, t.ID)
	}
	return ids
}

// Progress moves a running task to held blocks (of its total) and emits the update.
func (c *Client) Progress(id string, held uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tasks[id]
	if !ok {
		return fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	c.progress(t, held)
	return nil
}

func (c *Client) progress(t *client.Task, held uint64) {
	t.Held = min(held, t.Blocks)
	if t.Blocks > 0 {
		t.Bytes = t.Size * t.Held / t.Blocks
	}
	t.Updated = c.tick()
	before := slices.Clone(t.Peers)
	for i := range t.Peers {
		t.Peers[i].Held, t.Peers[i].Bytes, t.Peers[i].Rate = t.Held, t.Bytes, 1<<20
	}
	if t.Kind == "download" {
		c.pay(t, before)
	}
	c.emit(client.Event{Type: client.EventTask, Data: snapshot(t)})
}

// Finish completes a task: an upload records its file (and URL), a download writes the file's
// bytes to its output.
func (c *Client) Finish(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tasks[id]
	if !ok {
		return fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	return c.finish(t)
}

// FailTask fails a task with a spec task code.
func (c *Client) FailTask(id string, code status.TaskCode, msg string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tasks[id]
	if !ok {
		return fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	t.State, t.Code, t.Msg, t.Updated = "failed", int(code), msg, c.tick()
	c.emit(client.Event{Type: client.EventTask, Data: snapshot(t)})
	return nil
}

func (c *Client) finish(t *client.Task) error {
	switch t.Kind {
	case "upload":
		if f := c.fileByHash(t.FileHash); f != nil {
			f.Holders = append(f.Holders, client.Holder{Node: Addr(11), State: "pending"})
		}
	case "download":
		if t.Download != nil && t.Download.Output != "" {
			if err := os.WriteFile(t.Download.Output, c.data[t.FileHash], 0o644); err != nil {
				t.State, t.Code, t.Msg = "failed", int(status.TaskWriteFileDataFailed), err.Error()
				t.Updated = c.tick()
				c.emit(client.Event{Type: client.EventTask, Data: snapshot(t)})
				return nil
			}
		}
	}
	t.State, t.Held, t.Bytes, t.Updated = "done", t.Blocks, t.Size, c.tick()
	t.Status = int(status.TaskUploadFileTransferBlocksDone)
	if t.Kind == "download" {
		t.Status = int(status.TaskDownloadFileMakeSeed)
		if len(t.Peers) == 1 { // the one holder served the rest: pay it
			before := slices.Clone(t.Peers)
			t.Peers[0].Held, t.Peers[0].Bytes = t.Blocks, t.Size
			c.pay(t, before)
		}
	}
	for i := range t.Peers {
		t.Peers[i].Done, t.Peers[i].Rate = true, 0
	}
	c.emit(client.Event{Type: client.EventTask, Data: snapshot(t)})
	return nil
}

func (c *Client) fileByHash(h string) *client.File {
	for i := range c.files {
		if c.files[i].Hash == h {
			return &c.files[i]
		}
	}
	return nil
}

// snapshot copies a task deeply enough that the caller and the fake never share memory.
func snapshot(t *client.Task) client.Task {
	cp := *t
	cp.Peers = append([]client.TaskPeer(nil), t.Peers...)
	if t.Upload != nil {
		u := *t.Upload
		cp.Upload = &u
	}
	if t.Download != nil {
		d := *t.Download
		cp.Download = &d
	}
	return cp
}
