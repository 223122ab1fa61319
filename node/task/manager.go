package task

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/fs"
	"dsp/node/sched"
	"dsp/pdp"
	"dsp/status"
	"dsp/store"

	bolt "go.etcd.io/bbolt"
)

// Config is what a Manager needs. Host, Store, Ledger, Key, Sender and Path are required.
type Config struct {
	// Host is the node's P2P host (started): FS nodes and holders are reached through it. To share
	// downloaded files the host must have an fs.Service mounted (serve-only on a client node).
	Host *node.Host
	// Store keeps the files uploaded and downloaded.
	Store store.FS
	// Ledger records uploads and answers queries.
	Ledger ledger.Ledger
	// Key is the account that uploads, pays and downloads: the host's key.
	Key keys.Signer
	// Sender sends the manager's transactions (StoreFile, RegisterURL, channel openings and
	// deposits) from Key's account. It must be the one Sender every component of the node
	// sending from that account shares (ledger.Sender), or their nonces collide.
	Sender *ledger.Sender
	// Scan finds holders and announces this node as one; nil: holders come from the ledger only
	// and nothing is announced.
	Scan Scan
	// Path is the bbolt file the tasks are kept in (e.g. DIR/tasks.db).
	Path string
	// AutoResume resumes unfinished tasks when the manager opens; otherwise they come back
	// Paused (status TaskPause) until Resume.
	AutoResume bool
	// ConfirmTimeout bounds the wait for the FS nodes' confirmations on the ledger after the
	// blocks are sent (default 2 min).
	ConfirmTimeout time.Duration
	// Upload tunes the block sending (fs.UploadOptions; OnProgress and StoreTx are set by the
	// manager).
	Upload fs.UploadOptions
	// Sched tunes the download scheduler (Total is set by the manager).
	Sched sched.Config
	// Pay is how downloads pay holders that charge (pay.go; zero: only free holders are used).
	Pay PayConfig
	// Logger receives task failures (default slog.Default()).
	Logger *slog.Logger
}

var bucketTasks = []byte("tasks")

// Manager runs, persists and reports tasks. All methods are safe for concurrent use. Close stops
// every task (they stay unfinished, as Paused on the next open unless AutoResume) and waits for
// their goroutines.
type Manager struct {
	cfg Config
	db  *bolt.DB
	txs *ledger.Sender
	log *slog.Logger
	pay payState

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	pdpOnce sync.Once // the owner's PDP key: pdpSK, pdpPub, pdpErr
	pdpSK   *pdp.SecretKey
	pdpPub  []byte
	pdpErr  error
	pkOnce  sync.Once // the encoded prover key, made when a node first asks: pkBytes, pkErr
	pkBytes []byte
	pkErr   error

	mu     sync.Mutex
	closed bool
	tasks  map[ID]*task
	subs   map[*Subscription]struct{}
}

// task is one task in memory.
type task struct {
	mu       sync.Mutex
	info     Info
	password []byte
	cancel   context.CancelCauseFunc
	done     chan struct{} // closed when the run ends; nil when not running
}

// Open opens the task database at cfg.Path and loads its tasks: unfinished ones come back Paused,
// or resume with cfg.AutoResume.
func Open(cfg Config) (*Manager, error) {
	if cfg.Host == nil || cfg.Store == nil || cfg.Ledger == nil || cfg.Key == nil || cfg.Sender == nil || cfg.Path == "" {
		return nil, status.New(status.InvalidParams, "task manager: host, store, ledger, key, sender and path are required")
	}
	if cfg.Sender.Address() != cfg.Key.Public().Address() {
		return nil, status.New(status.InvalidParams, "task manager: sender %s is not key %s", cfg.Sender.Address(), cfg.Key.Public().Address())
	}
	if cfg.ConfirmTimeout <= 0 {
		cfg.ConfirmTimeout = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, status.Wrap(status.TaskNewTaskFailed, err, "open task database %s", cfg.Path)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{cfg: cfg, db: db, txs: cfg.Sender, log: cfg.Logger,
		ctx: ctx, cancel: cancel, tasks: map[ID]*task{}, subs: map[*Subscription]struct{}{}}
	if err := m.load(); err != nil {
		cancel()
		db.Close()
		return nil, err
	}
	return m, nil
}

func (m *Manager) load() error {
	var infos []Info
	err := m.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketTasks)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var in Info
			if err := json.Unmarshal(v, &in); err != nil {
				return fmt.Errorf("task %s: %w", k, err)
			}
			infos = append(infos, in)
			return nil
		})
	})
	if err != nil {
		return status.Wrap(status.TaskNewTaskFailed, err, "load tasks")
	}
	for _, in := range infos {
		t := &task{info: in}
		if !in.Final() {
			t.info.State, t.info.Status, t.info.StatusName = Paused, status.TaskPause, status.TaskPause.String()
			t.info.NeedPassword = in.Encrypted && needsPassword(&in)
			m.save(&t.info)
		}
		m.tasks[in.ID] = t
		if !in.Final() && m.cfg.AutoResume && !t.info.NeedPassword {
			m.start(t)
		}
	}
	return nil
}

// needsPassword reports whether an unfinished task still has a step that uses its password.
func needsPassword(in *Info) bool {
	if in.Kind == KindUpload {
		return in.FileHash == ""
	}
	return true
}

func newID() ID {
	var b [8]byte
	rand.Read(b[:])
	return ID(hex.EncodeToString(b[:]))
}

// Upload starts an upload task and returns its id at once; follow it with Get or Subscribe.
func (m *Manager) Upload(ctx context.Context, req UploadRequest) (ID, error) {
	if req.Path == "" {
		return "", status.New(status.InvalidParams, "upload: no file")
	}
	if req.Copies <= 0 {
		req.Copies = 1
	}
	if req.Privilege > ledger.PrivilegeWhitelist {
		return "", status.New(status.InvalidParams, "upload: privilege %d", req.Privilege)
	}
	pw := req.Password
	req.Password = nil
	r := req
	return m.add(Info{Kind: KindUpload, Upload: &r, Encrypted: len(pw) > 0}, pw)
}

// Download starts a download task and returns its id at once.
func (m *Manager) Download(ctx context.Context, req DownloadRequest) (ID, error) {
	if req.Hash == "" && req.URL == "" {
		return "", status.New(status.InvalidParams, "download: no file hash or url")
	}
	if req.Hash != "" {
		if _, err := store.ParseHash(req.Hash); err != nil {
			return "", status.Wrap(status.InvalidParams, err, "download")
		}
	}
	pw := req.Password
	req.Password = nil
	r := req
	return m.add(Info{Kind: KindDownload, Download: &r, FileHash: req.Hash, URL: req.URL, Encrypted: len(pw) > 0}, pw)
}

func (m *Manager) add(in Info, password []byte) (ID, error) {
	now := time.Now().UTC()
	in.ID, in.State, in.Created, in.Updated = newID(), Running, now, now
	in.Status, in.StatusName = status.TaskDoing, status.TaskDoing.String()
	t := &task{info: in, password: password}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return "", status.Wrap(status.TaskNewTaskFailed, ErrClosed, "new task")
	}
	m.tasks[in.ID] = t
	m.mu.Unlock()
	if err := m.save(&t.info); err != nil {
		return "", status.Wrap(status.TaskNewTaskFailed, err, "new task")
	}
	m.start(t)
	return in.ID, nil
}

// start runs t in a goroutine owned by the manager.
func (m *Manager) start(t *task) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	ctx, cancel := context.WithCancelCause(m.ctx)
	t.mu.Lock()
	t.cancel, t.done = cancel, make(chan struct{})
	t.info.State, t.info.Code, t.info.Msg, t.info.NeedPassword = Running, 0, "", false
	t.info.Status, t.info.StatusName = status.TaskDoing, status.TaskDoing.String()
	done := t.done
	t.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(done)
		defer cancel(nil)
		m.run(ctx, t)
	}()
}

// run executes the task's engine and records the outcome.
func (m *Manager) run(ctx context.Context, t *task) {
	m.update(t, func(in *Info) {})
	t.mu.Lock()
	kind := t.info.Kind
	t.mu.Unlock()
	var err error
	if kind == KindUpload {
		err = m.runUpload(ctx, t)
	} else {
		err = m.runDownload(ctx, t)
	}
	cause := context.Cause(ctx)
	m.update(t, func(in *Info) {
		switch {
		case err == nil:
			in.State = Done
		case errors.Is(cause, errPaused):
			in.State, in.Status = Paused, status.TaskPause
		case errors.Is(cause, errCancelled):
			in.State = Cancelled
		case m.ctx.Err() != nil:
			in.State, in.Status = Paused, status.TaskPause // the manager closed: unfinished
		default:
			in.State = Failed
			in.Code = status.CodeOf(err, status.TaskTaskInternalError.Num())
			in.Msg = err.Error()
		}
	})
	if err != nil && cause == nil && m.ctx.Err() == nil {
		m.log.Info("task failed", "id", t.info.ID, "kind", kind, "err", err)
	}
}

// update changes a task's info, persists it and publishes it.
func (m *Manager) update(t *task, f func(*Info)) {
	t.mu.Lock()
	f(&t.info)
	t.info.StatusName = t.info.Status.String()
	t.info.Updated = time.Now().UTC()
	in := clone(t.info)
	t.mu.Unlock()
	if err := m.save(&in); err != nil {
		m.log.Info("save task", "id", in.ID, "err", err)
	}
	m.publish(in)
}

// progress changes a task's live numbers and publishes them without persisting.
func (m *Manager) progress(t *task, f func(*Info)) {
	t.mu.Lock()
	f(&t.info)
	t.info.Updated = time.Now().UTC()
	in := clone(t.info)
	t.mu.Unlock()
	m.publish(in)
}

// setStatus moves a task to a transmission status.
func (m *Manager) setStatus(t *task, s status.TxStatus) {
	m.update(t, func(in *Info) { in.Status = s })
}

func clone(in Info) Info {
	in.Peers = append([]PeerProgress(nil), in.Peers...)
	return in
}

func (m *Manager) save(in *Info) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return m.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTasks).Put([]byte(in.ID), b)
	})
}

func (m *Manager) get(id ID) (*task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	t, ok := m.tasks[id]
	if !ok {
		return nil, status.Wrap(status.InvalidParams, ErrNotFound, "task %s", id)
	}
	return t, nil
}

// Get returns a snapshot of the task.
func (m *Manager) Get(id ID) (Info, error) {
	t, err := m.get(id)
	if err != nil {
		return Info{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return clone(t.info), nil
}

// List returns a snapshot of every task, oldest first.
func (m *Manager) List() []Info {
	m.mu.Lock()
	ts := make([]*task, 0, len(m.tasks))
	for _, t := range m.tasks {
		ts = append(ts, t)
	}
	m.mu.Unlock()
	out := make([]Info, 0, len(ts))
	for _, t := range ts {
		t.mu.Lock()
		out = append(out, clone(t.info))
		t.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// stop ends a running task's run with cause and waits for it.
func (t *task) stop(cause error) bool {
	t.mu.Lock()
	cancel, done, state := t.cancel, t.done, t.info.State
	t.mu.Unlock()
	if state != Running || done == nil {
		return false
	}
	cancel(cause)
	<-done
	return true
}

// Pause stops a running task; Resume continues it from its breakpoint.
func (m *Manager) Pause(id ID) error {
	t, err := m.get(id)
	if err != nil {
		return err
	}
	if !t.stop(errPaused) {
		return status.Wrap(status.TaskTaskPauseError, ErrState, "pause task %s", id)
	}
	return nil
}

// Resume restarts a paused task from its breakpoint (blocks already held are not sent again).
func (m *Manager) Resume(id ID) error { return m.ResumeWithPassword(id, nil) }

// ResumeWithPassword is Resume for a task that needs its password again after a restart.
func (m *Manager) ResumeWithPassword(id ID, password []byte) error {
	t, err := m.get(id)
	if err != nil {
		return err
	}
	t.mu.Lock()
	state, need := t.info.State, t.info.NeedPassword
	if len(password) > 0 {
		t.password, need = password, false
	}
	t.mu.Unlock()
	switch {
	case state != Paused:
		return status.Wrap(status.InvalidParams, ErrState, "resume task %s (%s)", id, state)
	case need:
		return status.Wrap(status.InvalidParams, ErrNeedPassword, "resume task %s", id)
	}
	m.start(t)
	return nil
}

// Cancel stops a task for good (it can still be retried). Blocks already stored stay in the
// store until garbage collected.
func (m *Manager) Cancel(id ID) error {
	t, err := m.get(id)
	if err != nil {
		return err
	}
	if t.stop(errCancelled) {
		return nil
	}
	t.mu.Lock()
	final := t.info.Final()
	t.mu.Unlock()
	if final {
		return status.Wrap(status.InvalidParams, ErrState, "cancel task %s", id)
	}
	m.update(t, func(in *Info) { in.State = Cancelled })
	return nil
}

// Retry restarts a failed or cancelled task from its breakpoint.
func (m *Manager) Retry(id ID) error {
	t, err := m.get(id)
	if err != nil {
		return err
	}
	t.mu.Lock()
	state := t.info.State
	t.mu.Unlock()
	if state != Failed && state != Cancelled {
		return status.Wrap(status.InvalidParams, ErrState, "retry task %s (%s)", id, state)
	}
	m.start(t)
	return nil
}

// Wait blocks until the task reaches a final state or stops running (paused), or ctx ends, and
// returns its info.
func (m *Manager) Wait(ctx context.Context, id ID) (Info, error) {
	t, err := m.get(id)
	if err != nil {
		return Info{}, err
	}
	t.mu.Lock()
	done := t.done
	t.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return Info{}, ctx.Err()
		}
	}
	return m.Get(id)
}

// Close stops every task (unfinished ones are persisted as they stand), the subscriptions and the
// database. It may be called more than once.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	subs := m.subs
	m.subs = map[*Subscription]struct{}{}
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
	for s := range subs {
		s.Close()
	}
	return m.db.Close()
}
