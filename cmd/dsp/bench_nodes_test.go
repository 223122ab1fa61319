package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node/client"
	"dsp/node/nodetest"
	"dsp/status"
)

// BenchmarkNodeProcesses runs a network of real "dsp node" processes on loopback (a ledger node,
// one FS node, an uploading client node and a downloading client node, each its own OS process
// and data directory) and measures, per process, the memory of a file of DSP_BENCH_MB MiB (1 GiB
// by default) going up to the FS node and coming down again:
//
//   - ROLE-PHASE-peakRSS-MB, -peakAnon-MB, -peakFile-MB: the highest VmRSS, RssAnon (heap,
//     stacks, buffers) and RssFile (mapped file pages: the bbolt stores, reclaimable page cache)
//     of /proc/PID/status, sampled every 10 ms while the phase runs; -peakGoHeap-MB the highest
//     go_memstats_heap_inuse_bytes of the process's /metrics (sampled every 100 ms); -HWM-MB its
//     VmHWM at the phase's end (the peak since the process started, which catches a spike between
//     two samples; the FS node's download HWM includes its upload). ROLE is client (the uploader in the upload phase, the downloader in the
//     download phase), fs or ledger.
//   - PHASE-MB/s: the whole task (upload: chunk and tag into the client's store, record on the
//     ledger, transfer, wait for the FS node's confirmation; download: find holders, fetch,
//     verify), and PHASE-xfer-MB/s its transfer alone (upload: task status 12 to 13; download:
//     20 to 25), with PHASE-x-raw the transfer against raw kcp-go + smux moving the same bytes in
//     this process, measured right before and right after the phase. upload-chunk-MB/s is the
//     upload's chunking (statuses 3 to 4) and upload-ledger-s the seconds it waited for the
//     ledger (recording the file, statuses 4 to 12, and the confirmation, 13 to the end).
//   - ROLE-maxrss-MB: each process's ru_maxrss once it has stopped (its peak over its whole life).
//
// The downloaded file is written out afterwards (outside the measured phase) and its SHA-256
// compared with the uploaded one. Run with -benchtime=1x; each iteration starts a new network.
func BenchmarkNodeProcesses(b *testing.B) {
	b.StopTimer()
	size := benchNodesBytes()
	bin := buildBenchDSP(b)
	for i := 0; i < b.N; i++ {
		benchNodesOnce(b, bin, size)
	}
}

// benchNodesBytes is the file size: DSP_BENCH_MB MiB, else 1 GiB.
func benchNodesBytes() int64 {
	if v, err := strconv.Atoi(os.Getenv("DSP_BENCH_MB")); err == nil && v > 0 {
		return int64(v) << 20
	}
	return 1 << 30
}

// buildBenchDSP builds the dsp binary (never with -race: the benchmark measures the real thing).
func buildBenchDSP(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "dsp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func benchNodesOnce(b *testing.B, bin string, size int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	src := filepath.Join(b.TempDir(), "bench.bin")
	sum := writeBenchFile(b, src, size)

	led := startBenchNode(b, bin, "ledger", "--roles", "ledger")
	ledgerURL := led.ready.Address.String() + "@" + led.ready.Listen[0]
	fsNode := startBenchNode(b, bin, "fs", "--roles", "fs", "--ledger", ledgerURL,
		"--fs-capacity", strconv.FormatInt(max(2*size, 1<<30), 10))
	up := startBenchNode(b, bin, "uploader", "--ledger", ledgerURL)
	down := startBenchNode(b, bin, "downloader", "--ledger", ledgerURL)
	for _, p := range []*benchProc{fsNode, up, down} {
		if _, err := led.api.Transfer(ctx, p.ready.Address, 1_000_000_000); err != nil {
			b.Fatalf("fund %s: %v", p.name, err)
		}
	}
	waitBench(b, ctx, "the FS node's registration", func() bool {
		ns, err := led.api.Nodes(ctx, "fs")
		return err == nil && len(ns) == 1 && ns[0].Address == fsNode.ready.Address && ns[0].Accepting
	})

	mb := float64(size) / 1e6
	var rawTotal time.Duration
	raw := func() time.Duration {
		d := rawKCPBench(b, size)
		rawTotal += d
		return d
	}
	mean := func(x, y time.Duration) time.Duration { return (x + y) / 2 }
	report := func(phase string, procs map[string]*benchProc, m *memSampler, task, xfer time.Duration) {
		for role, p := range procs {
			pk := m.peaks[p]
			b.ReportMetric(mib(pk.rss), role+"-"+phase+"-peakRSS-MB")
			b.ReportMetric(mib(pk.anon), role+"-"+phase+"-peakAnon-MB")
			b.ReportMetric(mib(pk.file), role+"-"+phase+"-peakFile-MB")
			b.ReportMetric(mib(pk.hwm), role+"-"+phase+"-HWM-MB")
			b.ReportMetric(mib(pk.goHeap), role+"-"+phase+"-peakGoHeap-MB")
		}
		b.ReportMetric(mb/task.Seconds(), phase+"-MB/s")
		b.ReportMetric(mb/xfer.Seconds(), phase+"-xfer-MB/s")
	}

	b.StartTimer()
	rawA := raw()
	m := startMemSampler(led, fsNode, up)
	ut := runBenchTask(b, ctx, up.api, func() (*client.Task, error) {
		return up.api.Upload(ctx, client.UploadRequest{Path: src, Copies: 1, Privilege: ledger.PrivilegePublic, ProveInterval: 1000, Duration: 2000})
	})
	m.stop()
	rawB := raw()
	xfer := ut.between(status.TaskUploadFileTransferBlocks, status.TaskUploadFileTransferBlocksDone)
	report("upload", map[string]*benchProc{"client": up, "fs": fsNode, "ledger": led}, m, ut.total, xfer)
	b.ReportMetric(mean(rawA, rawB).Seconds()/xfer.Seconds(), "upload-x-raw")
	b.ReportMetric(mb/ut.reached[status.TaskUploadFileMakeSliceDone].Seconds(), "upload-chunk-MB/s")
	b.ReportMetric((ut.between(status.TaskUploadFileMakeSliceDone, status.TaskUploadFileTransferBlocks) +
		ut.total - ut.reached[status.TaskUploadFileTransferBlocksDone]).Seconds(), "upload-ledger-s")

	m = startMemSampler(led, fsNode, down)
	dt := runBenchTask(b, ctx, down.api, func() (*client.Task, error) {
		return down.api.Download(ctx, client.DownloadRequest{Hash: ut.task.FileHash, MaxPeers: 1})
	})
	m.stop()
	rawC := raw()
	b.StopTimer()
	xfer = dt.between(status.TaskDownloadFileDownloading, status.TaskDownloadFileMakeSeed)
	report("download", map[string]*benchProc{"client": down, "fs": fsNode, "ledger": led}, m, dt.total, xfer)
	b.ReportMetric(mean(rawB, rawC).Seconds()/xfer.Seconds(), "download-x-raw")
	b.ReportMetric(float64(dt.task.Bytes)/float64(size), "download-fetched-x-size")
	b.ReportMetric(mb*3/rawTotal.Seconds(), "raw-MB/s")

	// The bytes that came down are the bytes that went up.
	out := filepath.Join(b.TempDir(), "out.bin")
	runBenchTask(b, ctx, down.api, func() (*client.Task, error) {
		return down.api.Download(ctx, client.DownloadRequest{Hash: ut.task.FileHash, Output: out})
	})
	if got := fileSHA256(b, out); got != sum {
		b.Fatalf("downloaded file's SHA-256 %x, uploaded %x", got, sum)
	}
	os.Remove(out)

	for _, p := range []*benchProc{up, down, fsNode, led} {
		ru := p.stop(b)
		b.ReportMetric(float64(ru.Maxrss)/1024, p.name+"-maxrss-MB") // ru_maxrss is in KiB on Linux
	}
}

// writeBenchFile writes size pseudo-random bytes to path and returns their SHA-256.
func writeBenchFile(b *testing.B, path string, size int64) [32]byte {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rng := rand.NewChaCha8([32]byte{7})
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for left := size; left > 0; left -= int64(len(buf)) {
		chunk := buf[:min(int64(len(buf)), left)]
		rng.Read(chunk)
		h.Write(chunk)
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func fileSHA256(b *testing.B, path string) [32]byte {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		b.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// waitBench polls cond every 50 ms for up to two minutes.
func waitBench(b *testing.B, ctx context.Context, what string, cond func() bool) {
	end := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(end) || ctx.Err() != nil {
			b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// benchProc is one "dsp node" process of the benchmark, with its own data directory.
type benchProc struct {
	name    string
	dir     string
	cmd     *exec.Cmd
	out     bytes.Buffer // stdout: the ready line (read once the process wrote it, see waitReady)
	outMu   sync.Mutex
	logPath string // stderr
	metrics string // host:port of its /metrics
	done    chan struct{}
	api     *client.HTTP
	ready   struct {
		Address keys.Address `json:"address"`
		Listen  []string     `json:"listen"`
		API     string       `json:"api"`
	}
}

func (p *benchProc) Write(b []byte) (int, error) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	return p.out.Write(b)
}

// startBenchNode starts "dsp node" on loopback ports picked by the kernel, waits for its ready
// line and its control API, and stops it (SIGTERM) when the benchmark ends.
func startBenchNode(b *testing.B, bin, name string, args ...string) *benchProc {
	dir := b.TempDir()
	p := &benchProc{name: name, dir: dir, logPath: filepath.Join(dir, "node.log"), metrics: freeLoopback(b),
		done: make(chan struct{})}
	logf, err := os.Create(p.logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(bin, append([]string{"node", "--data", dir, "--listen", "kcp://127.0.0.1:0",
		"--api", "127.0.0.1:0", "--metrics", p.metrics, "--json", "--log-level", "warn"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p, logf
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	b.Cleanup(func() { p.stop(b) })
	waitBench(b, context.Background(), name+"'s ready line", func() bool {
		select {
		case <-p.done:
			b.Fatalf("%s exited: %s\n%s", name, p.cmd.ProcessState, p.logTail())
		default:
		}
		p.outMu.Lock()
		line, ok := bytes.CutSuffix(p.out.Bytes(), []byte("\n"))
		p.outMu.Unlock()
		return ok && json.Unmarshal(line, &p.ready) == nil
	})
	if p.api, err = client.Open(dir); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return p
}

// stop sends SIGTERM once and waits up to a minute (then kills); it returns the process's
// resource usage. It may be called more than once.
func (p *benchProc) stop(b *testing.B) *syscall.Rusage {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(time.Minute):
			p.cmd.Process.Kill()
			<-p.done
			b.Errorf("%s did not stop on SIGTERM; killed\n%s", p.name, p.logTail())
		}
		if !p.cmd.ProcessState.Success() {
			b.Errorf("%s: %s\n%s", p.name, p.cmd.ProcessState, p.logTail())
		}
	}
	ru, _ := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		ru = new(syscall.Rusage)
	}
	return ru
}

// logTail is the end of the process's log, for failure messages.
func (p *benchProc) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b[max(0, len(b)-4000):])
}

// freeLoopback returns a loopback TCP address whose port was free a moment ago.
func freeLoopback(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// benchTask is a finished task with its timings.
type benchTask struct {
	task  *client.Task
	total time.Duration
	// reached[s] is when (since the start) a poll first saw the task at status s or later; the
	// total for statuses it never reached.
	reached [32]time.Duration
}

// between is the time from the task first reaching status from to first reaching status to.
func (t benchTask) between(from, to status.TxStatus) time.Duration {
	return t.reached[to] - t.reached[from]
}

// runBenchTask starts a task and polls it every 20 ms until it ends, noting when it reached each
// transmission status; it fails the benchmark unless the task ends done.
func runBenchTask(b *testing.B, ctx context.Context, c *client.HTTP, start func() (*client.Task, error)) benchTask {
	t0 := time.Now()
	t, err := start()
	if err != nil {
		b.Fatal(err)
	}
	var bt benchTask
	seen := 0 // statuses below seen have been reached
	for t.State == "running" {
		time.Sleep(20 * time.Millisecond)
		if t, err = c.Task(ctx, t.ID); err != nil {
			b.Fatal(err)
		}
		for ; seen <= min(t.Status, len(bt.reached)-1); seen++ {
			bt.reached[seen] = time.Since(t0)
		}
	}
	if t.State != "done" {
		b.Fatalf("%s task %s: %s, code %d: %s", t.Kind, t.ID, t.State, t.Code, t.Msg)
	}
	bt.task, bt.total = t, time.Since(t0)
	for ; seen < len(bt.reached); seen++ {
		bt.reached[seen] = bt.total
	}
	return bt
}

// memPeak is the highest of each memory figure a process showed while sampled, in bytes.
type memPeak struct{ rss, anon, file, hwm, goHeap uint64 }

// memSampler samples processes' /proc/PID/status every 10 ms and their Go heap (/metrics) every
// 100 ms, keeping each figure's peak, until stop.
type memSampler struct {
	quit  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	peaks map[*benchProc]*memPeak
}

func startMemSampler(procs ...*benchProc) *memSampler {
	m := &memSampler{quit: make(chan struct{}), peaks: map[*benchProc]*memPeak{}}
	for _, p := range procs {
		m.peaks[p] = &memPeak{}
	}
	m.wg.Add(2)
	go m.loop(10*time.Millisecond, func() {
		for _, p := range procs {
			st := procStatusKB(p.cmd.Process.Pid, "VmRSS", "RssAnon", "RssFile", "VmHWM")
			m.raise(p, func(pk *memPeak) {
				pk.rss, pk.anon = max(pk.rss, st["VmRSS"]), max(pk.anon, st["RssAnon"])
				pk.file, pk.hwm = max(pk.file, st["RssFile"]), max(pk.hwm, st["VmHWM"])
			})
		}
	})
	hc := &http.Client{Timeout: time.Second}
	go m.loop(100*time.Millisecond, func() {
		for _, p := range procs {
			v := scrapeMetric(hc, p.metrics, "go_memstats_heap_inuse_bytes")
			m.raise(p, func(pk *memPeak) { pk.goHeap = max(pk.goHeap, v) })
		}
	})
	return m
}

func (m *memSampler) loop(every time.Duration, sample func()) {
	defer m.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		sample()
		select {
		case <-m.quit:
			return
		case <-t.C:
		}
	}
}

func (m *memSampler) raise(p *benchProc, f func(*memPeak)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m.peaks[p])
}

// stop takes one last sample and ends the sampling; the peaks are final after it.
func (m *memSampler) stop() {
	close(m.quit)
	m.wg.Wait()
}

// procStatusKB reads kB fields of /proc/PID/status, in bytes (absent fields are 0).
func procStatusKB(pid int, fields ...string) map[string]uint64 {
	out := map[string]uint64{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		for _, want := range fields {
			if k == want {
				kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				out[k] = kb << 10
			}
		}
	}
	return out
}

// scrapeMetric returns an unlabelled metric of the Prometheus text at http://addr/metrics, or 0.
func scrapeMetric(hc *http.Client, addr, name string) uint64 {
	resp, err := hc.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return uint64(f)
		}
	}
	return 0
}

// rawKCPBench moves n bytes over raw kcp-go + smux in this process (nodetest.RawKCP, the baseline
// of node/task's BenchmarkTransfer too).
func rawKCPBench(b *testing.B, n int64) time.Duration {
	d, err := nodetest.RawKCP(n)
	if err != nil {
		b.Fatal(err)
	}
	return d
}
