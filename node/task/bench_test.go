package task

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"dsp/ledger"
	"dsp/node"
	"dsp/node/fs"
	"dsp/node/nodetest"
	"dsp/store"

	bolt "go.etcd.io/bbolt"
)

// benchBytes is the file of BenchmarkTransfer: 1 GiB, or DSP_BENCH_MB MiB.
func benchBytes() int64 {
	if v, err := strconv.Atoi(os.Getenv("DSP_BENCH_MB")); err == nil && v > 0 {
		return int64(v) << 20
	}
	return 1 << 30
}

// pattern yields n pseudo-random bytes.
type pattern struct {
	rng  *rand.ChaCha8
	left int64
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.left)]
	p.rng.Read(b)
	p.left -= int64(len(b))
	return len(b), nil
}

// peakMem samples the process while a phase runs: resident set (VmRSS, which counts the bbolt
// files' mapped pages, reclaimable page cache), anonymous resident memory (RssAnon: heap, stacks,
// buffers) and Go-managed memory.
type peakMem struct {
	stop             chan struct{}
	wg               sync.WaitGroup
	rss, anon, gomem atomic.Uint64
}

func startPeak() *peakMem {
	p := &peakMem{stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > p.gomem.Load() {
				p.gomem.Store(v)
			}
			if v := procStatus("VmRSS:"); v > p.rss.Load() {
				p.rss.Store(v)
			}
			if v := procStatus("RssAnon:"); v > p.anon.Load() {
				p.anon.Store(v)
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakMem) done() (rssMB, anonMB, goMB float64) {
	close(p.stop)
	p.wg.Wait()
	return float64(p.rss.Load()) / (1 << 20), float64(p.anon.Load()) / (1 << 20), float64(p.gomem.Load()) / (1 << 20)
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// procIO returns a field of /proc/self/io in bytes, or 0.
func procIO(field string) uint64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+": "); ok {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}

// procStatus returns a kB field of /proc/self/status in bytes.
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// rawKCP measures raw kcp-go + smux throughput on loopback (nodetest.RawKCP).
func rawKCP(b *testing.B, n int64) time.Duration {
	d, err := nodetest.RawKCP(n)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// rawHash hashes n pseudo-random bytes in store blocks with SHA-256 on one core (the hash every
// block gets once on each side of a transfer) and returns the CPU time it took.
func rawHash(n int64) time.Duration {
	blk := make([]byte, store.BlockSize)
	rand.NewChaCha8([32]byte{2}).Read(blk)
	c := cpuTime()
	var sink byte
	for done := int64(0); done < n; done += int64(len(blk)) {
		h := sha256.Sum256(blk[:min(int64(len(blk)), n-done)])
		sink ^= h[0]
	}
	_ = sink
	return cpuTime() - c
}

// rawBolt writes n pseudo-random bytes as store-block values into a fresh bbolt file in dir, with
// the store's options and transaction size (what every byte a node receives costs to keep), and
// returns the CPU time and the wall time it took. The file is removed afterwards.
func rawBolt(b *testing.B, dir string, n int64) (cpu, wall time.Duration) {
	path := dir + "/rawbolt.db"
	defer os.Remove(path)
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	blk := make([]byte, store.BlockSize)
	rand.NewChaCha8([32]byte{3}).Read(blk)
	c, start := cpuTime(), time.Now()
	var key [8]byte
	for done, i := int64(0), uint64(0); done < n; {
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("blocks"))
			if err != nil {
				return err
			}
			for size := 0; size < store.DefaultBatchBytes && done < n; i++ {
				binary.BigEndian.PutUint64(key[:], i)
				blk[0] = byte(i) // distinct values, as blocks are
				if err := bk.Put(key[:], blk[:min(int64(len(blk)), n-done)]); err != nil {
					return err
				}
				size += len(blk)
				done += int64(len(blk))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return cpuTime() - c, time.Since(start)
}

// BenchmarkTransfer moves one file (1 GiB; DSP_BENCH_MB overrides) over loopback KCP, in one run:
// an upload to 1 FS node, an upload to 2 more at once, a download from 1 holder and one from all 3,
// with raw kcp-go + smux transfers of the same size (the baseline) right before and after the
// 1-node upload and the 1-holder download. It reports each throughput, its ratio to the mean of
// its two raw transfers (x-raw), its CPU time against a raw transfer's (cpu-x-raw), 3-holder vs
// 1-holder download (x-1holder), and the process's peak RSS and Go
// memory during each phase (client, FS nodes and ledger share the process, so each is bounded
// by the number reported). Run with -benchtime=1x.
//
// It also measures, in the same run, the CPU time per byte of the work no transfer can skip: a
// raw transfer's (KCP both ends), one SHA-256 pass (rawHash) and one bbolt write (rawBolt). Their
// sum spread over every core, and the rate of the bbolt write alone (its commits sync, so the
// disk sets it), give the floor: the fastest a transfer that moves, checks and keeps each byte
// once could run on this machine (never above raw). x-floor is a phase's rate against it.
func BenchmarkTransfer(b *testing.B) {
	n := benchBytes()
	for i := 0; i < b.N; i++ {
		benchTransferOnce(b, n)
	}
}

func benchTransferOnce(b *testing.B, n int64) {
	b.StopTimer()
	w := newWorld(b, kcpNet(node.NewKCP(node.DefaultKCPConfig())), 3)
	alice := w.newClient("alice", nil)
	ctx := ctxT(b, 30*time.Minute)
	sk, _, err := alice.m.pdpKey()
	if err != nil {
		b.Fatal(err)
	}
	tee := newTagTee(&pattern{rng: rand.NewChaCha8([32]byte{1}), left: n}, sk.NewTagger(nil, 0))
	fi, err := alice.store.AddFile(ctx, tee, store.AddOptions{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	tags, err := tee.finish(fi.FileHash)
	if err != nil {
		b.Fatal(err)
	}
	if err := fs.StoreTags(ctx, alice.store, fi.FileHash, tags); err != nil {
		b.Fatal(err)
	}
	pub, err := alice.m.pdpPublicKey()
	if err != nil {
		b.Fatal(err)
	}
	h, _ := w.led.Height(ctx)
	sf := &ledger.StoreFile{FileHash: fi.FileHash[:], BlocksRoot: fi.BlocksRoot[:], FileBlockNum: fi.Blocks, FileBlockSize: store.BlockSize,
		ProveBlockNum: 16, FileProveParam: pub, Option: ledger.UploadOption{FileSize: fi.Size, ProveInterval: benchProveInterval,
			ExpiredHeight: h + 100000, Privilege: ledger.PrivilegePublic, CopyNum: 2}}
	var peers []*node.Peer
	for _, f := range w.fs {
		sf.PrimaryNodes = append(sf.PrimaryNodes, f.key.Address())
		p, err := alice.host.Connect(ctx, f.key.Address().String()+"@"+f.url)
		if err != nil {
			b.Fatal(err)
		}
		peers = append(peers, p)
	}
	if _, err := alice.tx.Send(ctx, sf); err != nil {
		b.Fatal(err)
	}
	mb := float64(n) / 1e6
	report := func(name string, d time.Duration, pm *peakMem) {
		rss, anon, gomem := pm.done()
		b.ReportMetric(mb/d.Seconds(), name+"-MB/s")
		b.ReportMetric(rss, name+"-peakRSS-MB")
		b.ReportMetric(anon, name+"-peakAnon-MB")
		b.ReportMetric(gomem, name+"-peakGo-MB")
	}

	// The machine's load drifts, so each measured phase is bracketed by raw transfers of the same
	// size, one right before and one right after, and compared with their mean.
	var rawTotal time.Duration
	var raws int
	rawRun := func() (time.Duration, time.Duration) {
		c := cpuTime()
		d := rawKCP(b, n)
		rawTotal += d
		raws++
		return d, cpuTime() - c
	}
	mean := func(a, b time.Duration) time.Duration { return (a + b) / 2 }
	// cpu reports the process's CPU time of a phase against a raw transfer's (cpu-x-raw): above
	// 1 the phase costs more CPU per byte; a phase slower than its CPU ratio explains waits.
	cpu := func(name string, since, rawCPU time.Duration) {
		b.ReportMetric((cpuTime()-since).Seconds()/rawCPU.Seconds(), name+"-cpu-x-raw")
	}
	// written reports the bytes the process wrote to files and sockets (write syscalls) during a
	// phase per file byte.
	written := func(name string, since uint64) {
		b.ReportMetric(float64(procIO("wchar")-since)/float64(n), name+"-wchar-x-size")
	}
	// DSP_BENCH_PROFILE=PREFIX writes a CPU profile of each timed phase to PREFIX-<phase>.cpu.
	profile := func(name string) func() {
		prefix := os.Getenv("DSP_BENCH_PROFILE")
		if prefix == "" {
			return func() {}
		}
		f, err := os.Create(prefix + "-" + name + ".cpu")
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		return func() { pprof.StopCPUProfile(); f.Close() }
	}

	upload := func(ps []*node.Peer) time.Duration {
		start := time.Now()
		res, err := fs.Upload(ctx, alice.host, alice.store, fi.FileHash, ps, fs.UploadOptions{ProverKey: alice.m.proverKey, FlightBlocks: flightBlocks()})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil || !r.Done {
				b.Fatalf("upload to %s: %v", r.Node, r.Err)
			}
		}
		return time.Since(start)
	}
	b.StartTimer()
	rawA, cpuA := rawRun()
	pm, c0, w0 := startPeak(), cpuTime(), procIO("wchar")
	stop := profile("upload1")
	up1 := upload(peers[:1])
	stop()
	cpu("upload1", c0, cpuA)
	written("upload1", w0)
	report("upload1", up1, pm)
	rawB, _ := rawRun()
	b.ReportMetric(mean(rawA, rawB).Seconds()/up1.Seconds(), "upload1-x-raw")
	pm = startPeak()
	up2 := upload(peers[1:])
	report("upload2", up2, pm)

	download := func(name string, maxPeers int) time.Duration {
		c := w.newClient(name, nil)
		start := time.Now()
		id, err := c.m.Download(ctx, DownloadRequest{Hash: fi.FileHash.String(), MaxPeers: maxPeers})
		if err != nil {
			b.Fatal(err)
		}
		in, err := c.m.Wait(ctx, id)
		if err != nil || in.State != Done {
			b.Fatalf("download: %v %+v", err, in)
		}
		// block bytes the holders delivered per file byte: above 1, straggler re-requests
		b.ReportMetric(float64(in.Bytes)/float64(n), name+"-fetched-x-size")
		return time.Since(start)
	}
	rawC, cpuC := rawRun()
	pm, c0, w0 = startPeak(), cpuTime(), procIO("wchar")
	stop = profile("download1")
	d1 := download("d1", 1)
	stop()
	cpu("download1", c0, cpuC)
	written("download1", w0)
	report("download1", d1, pm)
	rawD, _ := rawRun()
	b.ReportMetric(mean(rawC, rawD).Seconds()/d1.Seconds(), "download1-x-raw")
	pm, c0 = startPeak(), cpuTime()
	stop = profile("download3")
	d3 := download("d3", 3)
	stop()
	cpu("download3", c0, cpuC)
	report("download3", d3, pm)
	b.ReportMetric(d1.Seconds()/d3.Seconds(), "download3-x-1holder")
	hashCPU := rawHash(n)
	boltCPU, boltWall := rawBolt(b, w.dir, n)
	rawRate := mb * float64(raws) / rawTotal.Seconds()
	floor := min(rawRate, mb/boltWall.Seconds(), float64(runtime.NumCPU())*mb/(((cpuA+cpuC)/2)+hashCPU+boltCPU).Seconds())
	b.ReportMetric(mb/boltWall.Seconds(), "bbolt-MB/s")
	b.ReportMetric(mb/hashCPU.Seconds(), "sha256-MB/cpu-s")
	b.ReportMetric(mb/boltCPU.Seconds(), "bbolt-MB/cpu-s")
	b.ReportMetric(floor/rawRate, "floor-x-raw")
	b.ReportMetric(mb/up1.Seconds()/floor, "upload1-x-floor")
	b.ReportMetric(mb/d1.Seconds()/floor, "download1-x-floor")
	b.ReportMetric(mb*float64(raws)/rawTotal.Seconds(), "raw-MB/s")
	b.StopTimer()
}

// flightBlocks is UploadOptions.FlightBlocks of the benchmark: the default unless
// DSP_BENCH_FLIGHT says otherwise (for comparing flight sizes).
func flightBlocks() int {
	v, _ := strconv.Atoi(os.Getenv("DSP_BENCH_FLIGHT"))
	return v
}

// benchProveInterval is the prove interval of the benchmark's file: the longest the test world
// accepts (1000 blocks of 50 ms), so that the FS nodes' proofs, which on real machines run on
// their own CPUs, land inside the measured phases as rarely as possible in this one process.
const benchProveInterval = 1000
