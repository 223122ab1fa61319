package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"dsp/keys"
)

const benchTxs = 10000

// transferBlock makes a block of n signed transfers from 100 senders (n/100 each, nonces in
// order) and returns it with its genesis and producer.
func transferBlock(b *testing.B, n int) (*Block, *Genesis, *keys.KeyPair) {
	b.Helper()
	prod := seededKey(b, "bench-producer")
	senders := make([]*keys.KeyPair, 100)
	funded := map[keys.Address]uint64{}
	for i := range senders {
		senders[i] = seededKey(b, fmt.Sprint("bench-sender-", i))
		funded[senders[i].Address()] = funds
	}
	g := DevnetGenesis(prod.Address(), funded)
	l, err := Open(Config{Path: filepath.Join(b.TempDir(), "p.db"), Genesis: g, Producer: prod, BlockInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		s := senders[i%len(senders)]
		tx, err := NewTx(s, g.ChainID, uint64(i/len(senders)), 1, &Transfer{To: senders[(i+1)%len(senders)].Address(), Amount: 1})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Submit(ctx, tx); err != nil {
			b.Fatal(err)
		}
	}
	blk, err := l.ProduceBlock()
	if err != nil || len(blk.Txs) != n {
		b.Fatalf("block of %d txs: %v", len(blk.Txs), err)
	}
	return blk, g, prod
}

// BenchmarkApplyTransfers applies a block of 10,000 signed transfers to a fresh ledger (parallel
// signature checks, execution, one bbolt commit) and reports transactions per second; beside it
// the same run measures the signature checks alone, serially and in parallel, and reports their
// share of a serial apply.
func BenchmarkApplyTransfers(b *testing.B) {
	blk, g, _ := transferBlock(b, benchTxs)
	l := &Embedded{g: g}
	var sigSerial, sigPar, apply time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fl, err := Open(Config{Path: filepath.Join(b.TempDir(), fmt.Sprint(i, ".db")), Genesis: g, BlockInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		st := time.Now()
		for _, tx := range blk.Txs {
			if _, _, err := tx.Verify(g.ChainID); err != nil {
				b.Fatal(err)
			}
		}
		sigSerial += time.Since(st)
		st = time.Now()
		if _, err := l.verifyTxs(blk.Txs); err != nil {
			b.Fatal(err)
		}
		sigPar += time.Since(st)
		b.StartTimer()
		st = time.Now()
		if err := fl.ApplyBlock(blk); err != nil {
			b.Fatal(err)
		}
		apply += time.Since(st)
		b.StopTimer()
		fl.Close()
		b.StartTimer()
	}
	n := float64(b.N * benchTxs)
	exec := apply - sigPar // execution and commit, without the (parallel) signature checks
	b.ReportMetric(n/apply.Seconds(), "tx/s")
	b.ReportMetric(n/(exec+sigSerial).Seconds(), "tx/s-serial-sigs")
	b.ReportMetric(float64(sigSerial)/float64(exec+sigSerial), "sig-share-serial")
	b.ReportMetric(float64(sigPar)/float64(apply), "sig-share-parallel")
	b.ReportMetric(float64(sigSerial)/float64(sigPar), "x-sig-parallel-speedup")
}

// BenchmarkSubmitAndProduce is the producer's path: 10,000 transfers through Submit (signature
// check, pending-state check) and one ProduceBlock.
func BenchmarkSubmitAndProduce(b *testing.B) {
	blk, g, prod := transferBlock(b, benchTxs)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		l, err := Open(Config{Path: filepath.Join(b.TempDir(), fmt.Sprint(i, ".db")), Genesis: g, Producer: prod, BlockInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, tx := range blk.Txs {
			if _, err := l.Submit(ctx, tx); err != nil {
				b.Fatal(err)
			}
		}
		if nb, err := l.ProduceBlock(); err != nil || len(nb.Txs) != benchTxs {
			b.Fatal(err)
		}
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*benchTxs)/b.Elapsed().Seconds(), "tx/s")
}

const benchFiles = 100_000

// bigLedger writes benchFiles FileInfos, each with a URL linking it, straight into the state
// (as StoreFile and RegisterURL would leave it), and returns the ledger and the file hashes.
func bigLedger(b *testing.B) (*Embedded, [][]byte) {
	b.Helper()
	prod := seededKey(b, "big-producer")
	g := DevnetGenesis(prod.Address(), nil)
	l, err := Open(Config{Path: filepath.Join(b.TempDir(), "big.db"), Genesis: g, BlockInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	hashes := make([][]byte, benchFiles)
	owner := prod.Address()
	const batch = 10000
	for start := 0; start < benchFiles; start += batch {
		err := l.db.Update(func(tx *bolt.Tx) error {
			bk := &boltKV{tx: tx}
			for i := start; i < start+batch; i++ {
				var n [8]byte
				binary.BigEndian.PutUint64(n[:], uint64(i))
				h := sha256.Sum256(n[:])
				hashes[i] = h[:]
				f := &FileInfo{FileHash: h[:], FileOwner: owner, FileDesc: []byte("a file"), Privilege: 1, FileBlockNum: 40,
					FileBlockSize: 256 << 10, ProveInterval: 100, ProveTimes: 10, ExpiredHeight: 1000, Deposit: 1e6,
					FileProveParam: make([]byte, 192), ProveBlockNum: 16, BlockHeight: 1, ValidFlag: true, RealFileSize: 10 << 20,
					PrimaryNodes: []keys.Address{owner, owner}, BlocksRoot: h[:]}
				bk.put(sFiles, fileKey(h[:]), encode(f))
				bk.put(sOwner, append(owner[:], fileKey(h[:])...), []byte{1})
				u := &URLRecord{Header: "dsp", URL: fmt.Sprint("file-", i), Link: FileLink(h[:]), Owner: owner, BlockHeight: 1}
				bk.put(sURLs, []byte(u.Full()), encode(u))
			}
			return bk.err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return l, hashes
}

// BenchmarkLookup100k looks up FileInfos and resolves URLs in a ledger of 100,000 files; the raw
// bbolt Get of the same FileInfo key is the baseline of the same run.
func BenchmarkLookup100k(b *testing.B) {
	l, hashes := bigLedger(b)
	ctx := context.Background()
	var raw float64
	b.Run("RawBoltGet", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			k := fileKey(hashes[(i*7919)%benchFiles])
			_ = l.db.View(func(tx *bolt.Tx) error {
				if tx.Bucket(sFiles).Get(k) == nil {
					b.Fatal("missing")
				}
				return nil
			})
		}
		raw = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("FileInfo", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := l.FileInfo(ctx, hashes[(i*7919)%benchFiles]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/raw, "x-raw-bolt-get")
	})
	b.Run("Resolve", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := l.Resolve(ctx, fmt.Sprint("dsp://file-", (i*7919)%benchFiles)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/raw, "x-raw-bolt-get")
	})
}
