package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dsp/keys"
	"dsp/node"
	"dsp/node/client"
	"dsp/status"
)

// scriptedTasks is a node's task API that plays a fixed script of task snapshots, publishing each
// as an event: it tests how the CLI follows a task (events over the real control API, polling,
// exit codes) without a network of nodes. The devnet tests cover real uploads and downloads.
type scriptedTasks struct {
	node.NoServices
	n      *node.Node
	script []client.Task // the snapshots a started task goes through; the last is final
	step   time.Duration

	mu    sync.Mutex
	tasks map[string]*client.Task
	req   client.UploadRequest
	wg    sync.WaitGroup
}

func (s *scriptedTasks) start(kind string) *client.Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := kind + "-1"
	t := &client.Task{ID: id, Kind: kind, State: taskRunning, Status: int(status.TaskDoing), StatusName: status.TaskDoing.String()}
	s.tasks[id] = t
	cp := *t
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, next := range s.script {
			time.Sleep(s.step)
			next.ID, next.Kind = id, kind
			s.mu.Lock()
			*s.tasks[id] = next
			s.mu.Unlock()
			s.n.Publish(client.EventTask, next)
		}
	}()
	return &cp
}

func (s *scriptedTasks) Upload(_ context.Context, req client.UploadRequest) (*client.Task, error) {
	s.mu.Lock()
	s.req = req
	s.mu.Unlock()
	return s.start("upload"), nil
}

func (s *scriptedTasks) Download(_ context.Context, req client.DownloadRequest) (*client.Task, error) {
	return s.start("download"), nil
}

func (s *scriptedTasks) Task(_ context.Context, id string) (*client.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[id]
	if !ok {
		return nil, status.New(status.DspTaskNotExist, "no task %s", id)
	}
	cp := *t
	return &cp, nil
}

func (s *scriptedTasks) Tasks(context.Context) ([]client.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []client.Task
	for _, t := range s.tasks {
		out = append(out, *t)
	}
	return out, nil
}

var scriptedSeq atomic.Int64

// scriptedNode starts a real headless node whose task API plays script; the CLI reaches it
// through its data directory's api.json.
func scriptedNode(t *testing.T, step time.Duration, script ...client.Task) (string, *scriptedTasks) {
	t.Helper()
	s := &scriptedTasks{script: script, step: step, tasks: map[string]*client.Task{}}
	n, err := node.Open(node.Options{
		DataDir: t.TempDir(), Listen: []string{fmt.Sprintf("mem://scripted-%d", scriptedSeq.Add(1))},
		Logger: slog.New(slog.DiscardHandler),
		Setup:  func(n *node.Node, _ *node.Host) error { s.n = n; n.SetServices(s); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(); s.wg.Wait() })
	return n.Opts().DataDir, s
}

func transferring(held uint64) client.Task {
	return client.Task{State: taskRunning, Status: int(status.TaskUploadFileTransferBlocks),
		StatusName: status.TaskUploadFileTransferBlocks.String(), FileHash: strings.Repeat("ab", 32), Blocks: 10, Held: held}
}

func smallFile(t *testing.T, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUploadFollowsTaskToDone(t *testing.T) {
	done := transferring(10)
	done.State, done.URL = taskDone, "dsp://notes"
	dir, s := scriptedNode(t, 20*time.Millisecond, transferring(3), transferring(7), done)
	f := smallFile(t, "hello")
	out, errOut, code := runCLI(t, "upload", f, "--copies", "2", "--url", "dsp://notes", "--privilege", "public", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "fileHash") || !strings.Contains(out, done.FileHash) || !strings.Contains(out, "dsp://notes") {
		t.Fatalf("upload output lacks hash or url:\n%s", out)
	}
	// Not a terminal: plain progress lines on stderr, the last at 100 %.
	if !strings.Contains(errOut, "TaskUploadFileTransferBlocks") || !strings.Contains(errOut, "10/10 blocks (100%)") || strings.Contains(errOut, "\r") {
		t.Fatalf("progress lines:\n%q", errOut)
	}
	s.mu.Lock()
	req := s.req
	s.mu.Unlock()
	if req.Copies != 2 || req.Privilege != 1 || req.URL != "dsp://notes" || !req.RegisterURL || !filepath.IsAbs(req.Path) {
		t.Fatalf("request sent to the node: %+v", req)
	}

	// --json: only the final task on stdout, nothing on stderr.
	dir, _ = scriptedNode(t, 10*time.Millisecond, transferring(5), done)
	out, errOut, code = runCLI(t, "upload", f, "--data", dir, "--json")
	var got client.Task
	if code != 0 || errOut != "" || json.Unmarshal([]byte(out), &got) != nil || got.FileHash != done.FileHash || got.URL != "dsp://notes" || got.State != taskDone {
		t.Fatalf("--json upload: exit %d, stderr %q, out %s", code, errOut, out)
	}
}

func TestUploadFailureExitsWithTaskCode(t *testing.T) {
	failed := transferring(4)
	failed.State, failed.Code, failed.Msg = taskFailed, status.TaskFsPutBlockFailed.Num(), "node X refused block 5"
	dir, _ := scriptedNode(t, 10*time.Millisecond, transferring(2), failed)
	f := smallFile(t, "hello")
	e := wantErr(t, 1, 50038, "upload", f, "--data", dir)
	if !strings.Contains(e.Msg, "node X refused block 5") {
		t.Fatalf("message %q", e.Msg)
	}
	dir, _ = scriptedNode(t, 10*time.Millisecond, failed)
	_, errOut, code := runCLI(t, "upload", f, "--data", dir)
	if code != 1 || !strings.Contains(errOut, "50038 FS_PUT_BLOCK_FAILED") {
		t.Fatalf("text failure: exit %d, stderr %q", code, errOut)
	}
}

func TestDownloadDetachReturnsAtOnce(t *testing.T) {
	dir, _ := scriptedNode(t, time.Hour) // the task never moves
	out, _, code := runCLI(t, "download", strings.Repeat("cd", 32), "--detach", "--data", dir, "--json")
	var got client.Task
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.ID != "download-1" || got.State != taskRunning {
		t.Fatalf("detached download: exit %d, out %s", code, out)
	}
	e := wantErr(t, 1, 58000, "tasks", "no-such-task", "--data", dir)
	if !strings.Contains(e.Msg, "no-such-task") {
		t.Fatalf("message %q", e.Msg)
	}
}

// A download from holders that charge shows what it paid: PAID in the list, its total and each
// holder's price and amount in detail (and the fields in --json); other tasks show none of it.
func TestTasksShowPayments(t *testing.T) {
	priced, free := genAccount(t), genAccount(t)
	done := transferring(10)
	done.State, done.Status, done.StatusName = taskDone, int(status.TaskDownloadFileMakeSeed), status.TaskDownloadFileMakeSeed.String()
	done.Paid = 1_572_867
	done.Peers = []client.TaskPeer{{Account: priced, Held: 6, Bytes: 524_289, Price: 3, Paid: 1_572_867, Done: true},
		{Account: free, Held: 4, Bytes: 400_000, Done: true}}
	dir, _ := scriptedNode(t, time.Millisecond, done)
	out, _, code := runCLI(t, "download", strings.Repeat("cd", 32), "--data", dir)
	if code != 0 || !strings.Contains(out, "paid") || !strings.Contains(out, "1572867") {
		t.Fatalf("download: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, "tasks", "--data", dir)
	if lines := strings.Split(out, "\n"); code != 0 || len(lines) < 2 || !strings.Contains(lines[0], "PAID") ||
		!strings.Contains(lines[1], "download-1") || !strings.Contains(lines[1], " 1572867 ") {
		t.Fatalf("task list: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, "tasks", "download-1", "--data", dir)
	if code != 0 || !strings.Contains(out, "1572867 (to its holders") || !strings.Contains(out, "PRICE") {
		t.Fatalf("text task: exit %d\n%s", code, out)
	}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case strings.Contains(l, priced.String()) && (len(f) < 2 || f[len(f)-2] != "3" || f[len(f)-1] != "1572867"):
			t.Fatalf("priced holder's line %q", l)
		case strings.Contains(l, free.String()) && (len(f) < 2 || f[len(f)-2] != "0" || f[len(f)-1] != "0"):
			t.Fatalf("free holder's line %q", l)
		}
	}
	out, _, code = runCLI(t, "tasks", "download-1", "--data", dir, "--json")
	var got client.Task
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Paid != done.Paid || len(got.Peers) != 2 ||
		got.Peers[0].Price != 3 || got.Peers[0].Paid != done.Paid || got.Peers[1].Price != 0 || got.Peers[1].Paid != 0 {
		t.Fatalf("--json task: exit %d, %s", code, out)
	}
	if !strings.Contains(out, `"paid": 1572867`) || !strings.Contains(out, `"price": 3`) {
		t.Fatalf("--json field names: %s", out)
	}
	// An upload has no payments.
	dir, _ = scriptedNode(t, time.Millisecond, transferring(10))
	runCLI(t, "upload", smallFile(t, "x"), "--detach", "--data", dir)
	out, _, code = runCLI(t, "tasks", "upload-1", "--data", dir)
	if code != 0 || strings.Contains(out, "paid") || strings.Contains(out, "PRICE") {
		t.Fatalf("upload detail: exit %d\n%s", code, out)
	}
}

// genAccount returns a new account address.
func genAccount(t *testing.T) keys.Address {
	t.Helper()
	kp, err := keys.Generate(keys.SHA512withEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	return kp.Public().Address()
}

func TestUploadDetachWaitsForHash(t *testing.T) {
	dir, _ := scriptedNode(t, 20*time.Millisecond, transferring(1), transferring(2))
	out, _, code := runCLI(t, "upload", smallFile(t, "x"), "--detach", "--data", dir, "--json")
	var got client.Task
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.FileHash == "" || got.State != taskRunning {
		t.Fatalf("detached upload: exit %d, out %s", code, out)
	}
}

func TestUploadBadInput(t *testing.T) {
	dir := t.TempDir()
	f := smallFile(t, "x")
	e := wantErr(t, 2, 40002, "upload", filepath.Join(dir, "missing.bin"), "--data", dir)
	if !strings.Contains(e.Msg, "missing.bin") {
		t.Fatalf("message %q", e.Msg)
	}
	wantErr(t, 2, 40002, "upload", dir, "--data", dir) // a directory
	wantErr(t, 2, 40002, "upload", f, "--copies", "0", "--data", dir)
	wantErr(t, 2, 40002, "upload", f, "--privilege", "secret", "--data", dir)
	wantErr(t, 2, 40002, "upload", f, "--url", "dsp://bad name", "--data", dir)
	wantErr(t, 2, 40002, "upload", f, "--url", "HTTP://x", "--data", dir)
	wantErr(t, 1, 40010, "upload", f, "--whitelist", "nope", "--data", dir)
	wantErr(t, 2, 40002, "upload", f, "--password-file", filepath.Join(dir, "nofile"), "--data", dir)
	empty := smallFile(t, "\n")
	wantErr(t, 2, 40002, "upload", f, "--password-file", empty, "--data", dir)
	wantErr(t, 2, 40002, "download", "xyz", "--data", dir)
	wantErr(t, 2, 40002, "download", "dsp://", "--data", dir)
	wantErr(t, 2, 40002, "download", strings.Repeat("ab", 32), "-o", f, "--data", dir) // exists
	wantErr(t, 2, 40002, "download", strings.Repeat("ab", 32), "-o", filepath.Join(dir, "no", "dir", "x"), "--data", dir)
}

func TestTasksOnDevnet(t *testing.T) {
	up, _ := sharedUpload(t)
	var ts []client.Task
	cliJSON(t, &ts, "tasks")
	i := slices.IndexFunc(ts, func(x client.Task) bool { return x.ID == up.ID })
	if i < 0 || ts[i].State != taskDone || ts[i].StatusName == "" {
		t.Fatalf("tasks does not list upload %s as done: %+v", up.ID, ts)
	}
	out, _, code := runCLI(t, "tasks", "--data", devnetDir)
	if code != 0 || !strings.Contains(out, up.ID) || !strings.Contains(out, fmt.Sprintf("%d %s", ts[i].Status, ts[i].StatusName)) {
		t.Fatalf("text tasks: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, "tasks", up.ID, "--data", devnetDir)
	if code != 0 || !strings.Contains(out, "peers:") || !strings.Contains(out, up.Peers[0].Account.String()) {
		t.Fatalf("text task: exit %d\n%s", code, out)
	}
	wantErr(t, 1, 58000, "tasks", "pause", "no-such-task", "--data", devnetDir)
	// Pausing a finished task is refused with the node's code, and the task stays done.
	out, _, code = runCLI(t, "tasks", "pause", up.ID, "--data", devnetDir, "--json")
	var tk client.Task
	cliJSON(t, &tk, "tasks", up.ID)
	if code == 0 || tk.State != taskDone {
		t.Fatalf("pause of a done task: exit %d (%s), state %s", code, out, tk.State)
	}
	var followed client.Task
	cliJSON(t, &followed, "tasks", "follow", up.ID)
	if followed.ID != up.ID || followed.State != taskDone {
		t.Fatalf("follow: %+v", followed)
	}
}
