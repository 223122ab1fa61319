package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// benchSize is the file size of the AddFile benchmarks: 1 GiB unless DSP_BENCH_SIZE (bytes)
// says otherwise.
func benchSize() int64 {
	if v, err := strconv.ParseInt(os.Getenv("DSP_BENCH_SIZE"), 10, 64); err == nil && v > 0 {
		return v
	}
	return 1 << 30
}

// baselinePut hashes size bytes of the PRNG in BlockSize blocks with SHA-256 and puts them into
// a bbolt bucket in batches of the store's default batch size: the work AddFile cannot avoid.
// With seqKeys the blocks go under increasing sequence numbers (appends, the layout the store
// uses, and the fastest way to put them); without, under their hashes.
func baselinePut(b *testing.B, path string, size int64, seqKeys bool) time.Duration {
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	src := newPRNG(1, size)
	per := DefaultBatchBytes / BlockSize
	bufs := make([][]byte, per)
	for i := range bufs {
		bufs[i] = make([]byte, BlockSize)
	}
	seq := uint64(0)
	for done := false; !done; {
		var keys [][32]byte
		var vals [][]byte
		for i := 0; i < per; i++ {
			n, _ := io.ReadFull(src, bufs[i])
			if n == 0 {
				done = true
				break
			}
			keys = append(keys, sha256.Sum256(bufs[i][:n]))
			vals = append(vals, bufs[i][:n])
		}
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("blocks"))
			if err != nil {
				return err
			}
			bk.FillPercent = 1.0
			for i := range keys {
				k := keys[i][:]
				if seqKeys {
					seq++
					k = binary.BigEndian.AppendUint64(nil, seq)
				} else {
					bk.FillPercent = 0.5
				}
				if err := bk.Put(k, vals[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// baselineRead reads back what baselinePut stored under sequence keys: every value copied out
// of bbolt and hashed with SHA-256, one read transaction per block.
func baselineRead(b *testing.B, path string, size int64) time.Duration {
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	buf := make([]byte, 0, BlockSize)
	var n int64
	for seq := uint64(1); n < size; seq++ {
		err := db.View(func(tx *bolt.Tx) error {
			v := tx.Bucket([]byte("blocks")).Get(binary.BigEndian.AppendUint64(nil, seq))
			buf = append(buf[:0], v...)
			return nil
		})
		if err != nil || len(buf) == 0 {
			b.Fatalf("baseline read %d: %v", seq, err)
		}
		sha256.Sum256(buf)
		n += int64(len(buf))
	}
	return time.Since(start)
}

// BenchmarkAddFile adds a 1 GiB file generated on the fly and reads it back, and measures in the
// same run the baseline (SHA-256 and bbolt puts in batches of the same size, under sequence
// keys: the faster of the two baselines, also measured under hash keys). Metrics:
// add-x-baseline and read-x-baseline (goals: >= 0.6 and >= 0.8) and the throughputs; also
// read-x-readbase, reading back against a plain bbolt read and SHA-256 of the same blocks.
//
//	go test -run XXX -bench BenchmarkAddFile$ -benchtime 1x ./store
func BenchmarkAddFile(b *testing.B) {
	size := benchSize()
	var base, hashBase, readBase, add, read time.Duration
	for range b.N {
		dir := b.TempDir()
		base += baselinePut(b, filepath.Join(dir, "base.db"), size, true)
		readBase += baselineRead(b, filepath.Join(dir, "base.db"), size)
		os.Remove(filepath.Join(dir, "base.db"))
		hashBase += baselinePut(b, filepath.Join(dir, "base.db"), size, false)
		os.Remove(filepath.Join(dir, "base.db"))

		s, err := Open(filepath.Join(dir, "store.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		fi, err := s.AddFile(context.Background(), newPRNG(1, size), AddOptions{})
		if err != nil {
			b.Fatal(err)
		}
		add += time.Since(t0)
		t0 = time.Now()
		r, err := s.OpenFile(context.Background(), fi.FileHash)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil || n != size {
			b.Fatalf("read back %d bytes: %v", n, err)
		}
		read += time.Since(t0)
		s.Close()
		os.Remove(filepath.Join(dir, "store.db"))
	}
	mbps := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(base), "base-MB/s")
	b.ReportMetric(mbps(hashBase), "hashkey-base-MB/s")
	b.ReportMetric(mbps(add), "add-MB/s")
	b.ReportMetric(mbps(read), "read-MB/s")
	b.ReportMetric(base.Seconds()/add.Seconds(), "add-x-baseline")
	b.ReportMetric(base.Seconds()/read.Seconds(), "read-x-baseline")
	b.ReportMetric(mbps(readBase), "readbase-MB/s")
	b.ReportMetric(readBase.Seconds()/read.Seconds(), "read-x-readbase")
}

// BenchmarkAddFileRSS adds a 1 GiB file in a child process and reports the child's peak
// resident set size in MiB: the goal is under 128. The child reports VmHWM from
// /proc/self/status: getrusage's ru_maxrss of a child started with vfork (as os/exec does)
// carries the parent's high-water mark over the exec, which here is the parent's own 1 GiB work.
//
//	go test -run XXX -bench BenchmarkAddFileRSS -benchtime 1x ./store
func BenchmarkAddFileRSS(b *testing.B) {
	var peak int64
	for range b.N {
		dir := b.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRSS$")
		cmd.Env = append(os.Environ(), helperEnv+"=rss", "DSP_STORE_DIR="+dir,
			"DSP_BENCH_SIZE="+strconv.FormatInt(benchSize(), 10))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("child: %v: %s", err, out)
		}
		var kib int64
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" {
				kib, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
		if kib == 0 {
			b.Fatalf("child printed no VmHWM: %s", out)
		}
		peak = max(peak, kib)
	}
	b.ReportMetric(float64(peak)/1024, "peak-rss-MiB")
}

// TestHelperRSS is the child of BenchmarkAddFileRSS.
func TestHelperRSS(t *testing.T) {
	if os.Getenv(helperEnv) != "rss" {
		t.Skip("helper process for BenchmarkAddFileRSS")
	}
	s, err := Open(filepath.Join(os.Getenv("DSP_STORE_DIR"), "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddFile(context.Background(), newPRNG(2, benchSize()), AddOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Println(l)
		}
	}
}

// BenchmarkGC100k collects a store of 100,000 blocks, half of them garbage, while another
// goroutine keeps putting blocks. Metrics: gc-ms, the longest sweep transaction (max-batch-ms),
// the puts that completed during the collection and the slowest of them: puts keep going, so
// the collection never holds the write lock throughout.
//
//	go test -run XXX -bench BenchmarkGC100k -benchtime 3x ./store
func BenchmarkGC100k(b *testing.B) {
	const total, perFile = 100_000, 1000
	var gcTime, maxBatch, maxPut time.Duration
	var putsDuring int64
	for it := range b.N {
		b.StopTimer()
		s := openTest(b, nil)
		blocks := make([]Block, 0, perFile+1)
		for f := 0; f < total/perFile; f++ {
			blocks = blocks[:0]
			var children []Hash
			for i := 0; i < perFile-1; i++ {
				d := fmt.Appendf(make([]byte, 0, 1024), "it %d file %d block %d %01000d", it, f, i, 0)
				blocks = append(blocks, Block{Hash: Sum(d), Data: d})
				children = append(children, Sum(d))
			}
			l := Link{Level: 1, Size: uint64(len(children)) * BlockSize, Children: children}
			lb := l.Encode()
			blocks = append(blocks, Block{Hash: Sum(lb), Data: lb})
			if err := s.PutBlocks(context.Background(), blocks); err != nil {
				b.Fatal(err)
			}
			if f%2 == 0 { // every other tree is live
				if err := s.BeginReceive(context.Background(), Sum(lb)); err != nil {
					b.Fatal(err)
				}
			}
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var puts atomic.Int64
		var slowest atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				d := fmt.Appendf(nil, "concurrent %d %d", it, i)
				t0 := time.Now()
				if err := s.PutBlock(context.Background(), Sum(d), d); err != nil {
					b.Error(err)
					return
				}
				if e := int64(time.Since(t0)); e > slowest.Load() {
					slowest.Store(e)
				}
				puts.Add(1)
			}
		}()
		b.StartTimer()
		st, err := s.GarbageCollect(context.Background())
		b.StopTimer()
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if st.Scanned < total || st.Removed < total/2 { // puts before the start are garbage too
			b.Fatalf("gc %+v", st)
		}
		gcTime += st.Duration
		maxBatch = max(maxBatch, st.MaxBatch)
		maxPut = max(maxPut, time.Duration(slowest.Load()))
		putsDuring += puts.Load()
	}
	b.ReportMetric(float64(gcTime.Milliseconds())/float64(b.N), "gc-ms")
	b.ReportMetric(float64(maxBatch.Microseconds())/1000, "max-batch-ms")
	b.ReportMetric(float64(putsDuring)/float64(b.N), "puts-during-gc")
	b.ReportMetric(float64(maxPut.Microseconds())/1000, "max-put-ms")
}
