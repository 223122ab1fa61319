package sched

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"
)

// BenchmarkNextDone schedules a 4,096-block file over 8 peers: each op is one whole file (Next in
// batches of 16 and a Done per block). It reports the scheduler's cost per block against sha256 of
// a 256 KiB block measured in the same run (the work a downloader does per block anyway):
// x-sha256 is scheduler time per block divided by hashing time per block.
func BenchmarkNextDone(b *testing.B) {
	const n, npeers = 4096, 8
	data := make([]byte, blockBytes)
	start := time.Now()
	for range 16 {
		sha256.Sum256(data)
	}
	hashPerBlock := time.Since(start) / 16
	ids := make([]string, npeers)
	for i := range ids {
		ids[i] = fmt.Sprintf("peer%d", i)
	}
	blocks := blocksN(n)
	clk := &simClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, _ := New(blocks, Config{Now: clk.Now})
		for _, id := range ids {
			s.AddPeer(id, nil)
		}
		for !s.Complete() {
			for _, id := range ids {
				for _, blk := range s.Next(id, 16) {
					clk.t = clk.t.Add(time.Millisecond)
					s.Done(id, blk, blockBytes, 5*time.Millisecond)
				}
			}
		}
	}
	b.StopTimer()
	perBlock := float64(b.Elapsed()) / float64(b.N*n)
	b.ReportMetric(perBlock, "ns/block")
	b.ReportMetric(perBlock/float64(hashPerBlock), "x-sha256")
}
