package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procIO returns a field of /proc/self/io (bytes), or 0.
func procIO(field string) uint64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+": "); ok {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkPutBlocks puts 256 MiB (DSP_BENCH_SIZE) of received blocks the way a receiver does:
// in calls of 1, 4 and 32 blocks, one after the other. It reports MB/s and write-amp, the bytes
// the process wrote (write syscalls) per block byte.
func BenchmarkPutBlocks(b *testing.B) {
	size := int64(256 << 20)
	if v, err := strconv.ParseInt(os.Getenv("DSP_BENCH_SIZE"), 10, 64); err == nil && v > 0 {
		size = v
	}
	n := int(size / BlockSize)
	blocks := make([]Block, 64)
	src := newPRNG(7, -1)
	for i := range blocks {
		d := make([]byte, BlockSize)
		src.Read(d)
		blocks[i].Data = d
	}
	for _, per := range []int{1, 4, 32} {
		b.Run(fmt.Sprintf("per=%d", per), func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				s, err := Open(filepath.Join(b.TempDir(), "s.db"), nil)
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				w0 := procIO("wchar")
				start := time.Now()
				batch := make([]Block, 0, per)
				for i := 0; i < n; i++ {
					blk := blocks[i%len(blocks)]
					// a distinct block each time: change a word, rehash
					blk.Data[0], blk.Data[1], blk.Data[2] = byte(i), byte(i>>8), byte(i>>16)
					d := append([]byte(nil), blk.Data...)
					batch = append(batch, Block{Hash: Sum(d), Data: d})
					if len(batch) == per || i == n-1 {
						if err := s.PutBlocks(ctx, batch); err != nil {
							b.Fatal(err)
						}
						batch = batch[:0]
					}
				}
				d := time.Since(start)
				w := procIO("wchar") - w0
				b.ReportMetric(float64(size)/1e6/d.Seconds(), "MB/s")
				b.ReportMetric(float64(w)/float64(size), "write-amp")
				s.Close()
			}
		})
	}
}
