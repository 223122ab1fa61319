package task

import (
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"testing"
	"time"

	"dsp/ledger"
	"dsp/node"
	"dsp/store"
)

// BenchmarkDownload measures downloads alone, without the uploads of BenchmarkTransfer: the file
// (DSP_BENCH_MB MiB, default 1 GiB) is added straight into the stores of 3 FS nodes and recorded on
// the ledger, then each iteration downloads it from 1 holder and from 3 with fresh clients over
// loopback KCP, bracketed by raw kcp-go + smux transfers of the same size. Reported: each rate,
// download1-x-raw (against the mean of the raw transfers around it), download3-x-1holder, and the
// CPU time of each download against a raw transfer's. DSP_BENCH_PROFILE=PREFIX writes a CPU
// profile per download, DSP_BENCH_TRACE=PREFIX a runtime trace.
//
//	DSP_BENCH_MB=256 go test -run '^$' -bench Download -benchtime 3x ./node/task
func BenchmarkDownload(b *testing.B) {
	n := benchBytes()
	w := newWorld(b, kcpNet(node.NewKCP(node.DefaultKCPConfig())), 3)
	alice := w.newClient("alice", nil)
	ctx := ctxT(b, 30*time.Minute)
	var fi store.FileInfo
	for _, f := range w.fs {
		var err error
		fi, err = f.store.AddFile(ctx, &pattern{rng: rand.NewChaCha8([32]byte{2}), left: n}, store.AddOptions{Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
	}
	pub, err := alice.m.pdpPublicKey()
	if err != nil {
		b.Fatal(err)
	}
	h, _ := w.led.Height(ctx)
	sf := &ledger.StoreFile{FileHash: fi.FileHash[:], BlocksRoot: fi.BlocksRoot[:], FileBlockNum: fi.Blocks, FileBlockSize: store.BlockSize,
		ProveBlockNum: 16, FileProveParam: pub, Option: ledger.UploadOption{FileSize: fi.Size, ProveInterval: benchProveInterval,
			ExpiredHeight: h + 100000, Privilege: ledger.PrivilegePublic, CopyNum: 2}}
	for _, f := range w.fs {
		sf.PrimaryNodes = append(sf.PrimaryNodes, f.key.Address())
	}
	if _, err := alice.tx.Send(ctx, sf); err != nil {
		b.Fatal(err)
	}
	// observe runs fn under the profile and trace DSP_BENCH_PROFILE and DSP_BENCH_TRACE ask for.
	observe := func(name string, fn func()) {
		if p := os.Getenv("DSP_BENCH_PROFILE"); p != "" {
			f, err := os.Create(p + "-" + name + ".cpu")
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		if p := os.Getenv("DSP_BENCH_TRACE"); p != "" {
			f, err := os.Create(p + "-" + name + ".trace")
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			trace.Start(f)
			defer trace.Stop()
		}
		fn()
	}
	mb := float64(n) / 1e6
	download := func(name string, maxPeers int) (time.Duration, time.Duration) {
		c := w.newClient(name, nil)
		c0, start := cpuTime(), time.Now()
		observe(name, func() {
			id, err := c.m.Download(ctx, DownloadRequest{Hash: fi.FileHash.String(), MaxPeers: maxPeers})
			if err != nil {
				b.Fatal(err)
			}
			if in, err := c.m.Wait(ctx, id); err != nil || in.State != Done {
				b.Fatalf("download: %v %+v", err, in)
			}
		})
		return time.Since(start), cpuTime() - c0
	}
	var raw, d1, d3, cpuRaw, cpu1, cpu3 time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0 := cpuTime()
		rawA := rawKCP(b, n)
		cpuRaw += cpuTime() - c0
		t1, c1 := download("d1-"+string(rune('a'+i)), 1)
		rawB := rawKCP(b, n)
		t3, c3 := download("d3-"+string(rune('a'+i)), 3)
		raw, d1, d3, cpu1, cpu3 = raw+rawA+rawB, d1+t1, d3+t3, cpu1+c1, cpu3+c3
		b.Logf("run %d: raw %.0f/%.0f MB/s, download1 %.0f MB/s (x-raw %.2f), download3 %.0f MB/s (x-1holder %.2f)", i,
			mb/rawA.Seconds(), mb/rawB.Seconds(), mb/t1.Seconds(), (rawA+rawB).Seconds()/2/t1.Seconds(), mb/t3.Seconds(), t1.Seconds()/t3.Seconds())
	}
	runs := float64(b.N)
	b.ReportMetric(mb*2*runs/raw.Seconds(), "raw-MB/s")
	b.ReportMetric(mb*runs/d1.Seconds(), "download1-MB/s")
	b.ReportMetric(mb*runs/d3.Seconds(), "download3-MB/s")
	b.ReportMetric(raw.Seconds()/2/d1.Seconds(), "download1-x-raw")
	b.ReportMetric(d1.Seconds()/d3.Seconds(), "download3-x-1holder")
	b.ReportMetric(cpu1.Seconds()/cpuRaw.Seconds(), "download1-cpu-x-raw")
	b.ReportMetric(cpu3.Seconds()/cpuRaw.Seconds(), "download3-cpu-x-raw")
}
