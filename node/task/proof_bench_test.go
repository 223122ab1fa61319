package task

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"dsp/ledger"
	"dsp/store"
)

// BenchmarkTagVsUpload measures, in one run over mem:// with one FS node: the owner's tagging
// throughput (pdp.Tagger on all cores over the file's blocks in memory), a whole upload task
// (chunk while tagging, record, transfer with tags, the node's tag check and confirmation), and
// chunking into a store with and without the tagging tee. Reported: tag-MB/s, upload-MB/s,
// tag-x-upload (goal >= 1.0), chunk-tagged-x-plain (how much the tee slows chunking).
// DSP_BENCH_MB sets the file size (default 64).
//
//	go test -run '^$' -bench TagVsUpload -benchtime 2x ./node/task
func BenchmarkTagVsUpload(b *testing.B) {
	mb := 64
	if v, err := strconv.Atoi(os.Getenv("DSP_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	w := newWorld(b, memNet(), 1)
	alice := w.newClient("alice", nil)
	sk, _, err := alice.m.pdpKey()
	if err != nil {
		b.Fatal(err)
	}
	var tagT, upT, chunkT, chunkTagT time.Duration
	for i := 0; i < b.N; i++ {
		in, _ := randomFile(b, w.dir, mb<<20, uint64(100+i))
		data, err := os.ReadFile(in)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		tg := sk.NewTagger(nil, 0)
		for off := 0; off < len(data); off += store.BlockSize {
			tg.Add(data[off:min(len(data), off+store.BlockSize)])
		}
		if _, err := tg.Finish([]byte("name")); err != nil {
			b.Fatal(err)
		}
		tagT += time.Since(t0)

		t0 = time.Now()
		id, err := alice.m.Upload(ctxT(b, time.Minute), UploadRequest{Path: in, Copies: 1, ProveInterval: 1000, Privilege: ledger.PrivilegePublic})
		if err != nil {
			b.Fatal(err)
		}
		wait(b, alice.m, id, Done)
		upT += time.Since(t0)

		for _, tagged := range []bool{false, true} {
			st := openStore(b, filepath.Join(b.TempDir(), "c.db"))
			t0 = time.Now()
			if tagged {
				tee := newTagTee(bytes.NewReader(data), sk.NewTagger(nil, 0))
				fi, err := st.AddFile(ctxT(b, time.Minute), tee, store.AddOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tee.finish(fi.FileHash); err != nil {
					b.Fatal(err)
				}
				chunkTagT += time.Since(t0)
			} else {
				if _, err := st.AddFile(ctxT(b, time.Minute), bytes.NewReader(data), store.AddOptions{}); err != nil {
					b.Fatal(err)
				}
				chunkT += time.Since(t0)
			}
			st.Close()
		}
	}
	total := float64(b.N * mb << 20)
	tagRate, upRate := total/tagT.Seconds()/1e6, total/upT.Seconds()/1e6
	b.ReportMetric(tagRate, "tag-MB/s")
	b.ReportMetric(upRate, "upload-MB/s")
	b.ReportMetric(tagRate/upRate, "tag-x-upload")
	b.ReportMetric(chunkT.Seconds()/chunkTagT.Seconds(), "chunk-tagged-x-plain")
}
