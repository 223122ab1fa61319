package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/pdp"
)

const (
	benchProofs    = 64 // proofs in the measured block
	benchChallenge = 64 // challenged blocks per proof (c)
)

// proofBlock builds a chain whose last block carries benchProofs real pdp proofs (8 FS nodes,
// 8 files each, 64 blocks of 100 bytes per file, c = 64: verification costs what it costs for
// 256 KiB blocks, it does not depend on the block size). It returns the genesis, the path of a
// follower's data file holding every block before it, and the block.
func proofBlock(b *testing.B) (*Genesis, string, *Block) {
	b.Helper()
	prod, alice := seededKey(b, "pdp-bench-producer"), seededKey(b, "pdp-bench-alice")
	nodes := make([]*keys.KeyPair, 8)
	funded := map[keys.Address]uint64{alice.Address(): funds}
	for i := range nodes {
		nodes[i] = seededKey(b, fmt.Sprint("pdp-bench-fs-", i))
		funded[nodes[i].Address()] = funds
	}
	g := DevnetGenesis(prod.Address(), funded)
	dir := b.TempDir()
	l, err := Open(Config{Path: filepath.Join(dir, "p.db"), Genesis: g, Producer: prod, BlockInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	send := func(k *keys.KeyPair, p Payload) {
		n, _ := l.NextNonce(ctx, k.Address())
		tx, err := NewTx(k, g.ChainID, n, 0, p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Submit(ctx, tx); err != nil {
			b.Fatalf("%T: %v", p, err)
		}
	}
	produce := func() {
		if _, err := l.ProduceBlock(); err != nil {
			b.Fatal(err)
		}
	}
	for _, k := range nodes {
		send(k, &RegisterNode{Info: fsInfo(1)})
	}
	produce()
	sk := testPDPKey()
	pk, err := sk.ProverKey(4)
	if err != nil {
		b.Fatal(err)
	}
	type file struct {
		hash   []byte
		node   *keys.KeyPair
		blocks [][]byte
		tags   []pdp.Tag
	}
	files := make([]*file, benchProofs)
	for i := range files {
		h := sha256.Sum256([]byte(fmt.Sprint("pdp-bench-file-", i)))
		fl := &file{hash: h[:], node: nodes[i%len(nodes)]}
		for j := 0; j < benchChallenge; j++ {
			blk := bytes.Repeat([]byte(fmt.Sprintf("file %d block %d;", i, j)), 10)[:100]
			fl.blocks = append(fl.blocks, blk)
			tag, err := sk.TagBlock(fl.hash, uint64(j), blk)
			if err != nil {
				b.Fatal(err)
			}
			fl.tags = append(fl.tags, tag)
		}
		files[i] = fl
		send(alice, &StoreFile{FileHash: fl.hash, BlocksRoot: fl.hash, FileBlockNum: benchChallenge, FileBlockSize: 256 << 10,
			ProveBlockNum: benchChallenge, FileProveParam: sk.PublicKey().Bytes(), PrimaryNodes: []keys.Address{fl.node.Address()},
			Option: UploadOption{FileSize: 1000, ProveInterval: 10, ExpiredHeight: 1000}})
	}
	produce()
	for _, fl := range files {
		send(fl.node, &ConfirmFile{FileHash: fl.hash})
	}
	produce()
	for i := 0; i < 10; i++ {
		produce()
	}
	for _, fl := range files {
		ch, err := l.Challenge(ctx, fl.hash, fl.node.Address())
		if err != nil {
			b.Fatal(err)
		}
		proof, err := pdp.ProveRound(pk, ch.Seed[:], ch.FileHash, ch.Prover[:], ch.FileBlockNum, ch.ProveBlockNum,
			func(i uint64) ([]byte, error) { return fl.blocks[i], nil },
			func(i uint64) ([]byte, error) { return fl.tags[i][:], nil })
		if err != nil {
			b.Fatal(err)
		}
		send(fl.node, &SubmitProof{FileHash: fl.hash, RoundHeight: ch.RoundHeight, Proof: proof})
	}
	last, err := l.ProduceBlock()
	if err != nil || len(last.Txs) != benchProofs {
		b.Fatalf("proof block of %d txs: %v", len(last.Txs), err)
	}
	// A follower holding every block before the proof block.
	fpath := filepath.Join(dir, "f.db")
	fol, err := Open(Config{Path: fpath, Genesis: g, BlockInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	for h := uint64(1); h < last.Header.Height; h++ {
		blk, _ := l.Block(ctx, h)
		if err := fol.ApplyBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
	fol.Close()
	return g, fpath, last
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkProofBlock applies a block of 64 real proofs (c = 64) to a follower that has not seen
// them (nothing cached: every proof is verified) and reports ms per block and per proof. The
// baseline of the same run is one pdp.VerifyRound of the same kind of proof on the calling
// goroutine (pdp hashes to G1 on all cores): x-verify = per-proof apply cost / that.
func BenchmarkProofBlock(b *testing.B) {
	g, fpath, blk := proofBlock(b)
	var one time.Duration
	b.Run("VerifyRound", func(b *testing.B) {
		sp, _ := blk.Txs[0].Payload()
		p := sp.(*SubmitProof)
		_, sender, _ := blk.Txs[0].Sender()
		seedL, err := Open(Config{Path: fpath, BlockInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		fi, _ := seedL.FileInfo(context.Background(), p.FileHash)
		seed, _ := seedL.BlockHash(context.Background(), p.RoundHeight)
		seedL.Close()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := pdp.VerifyRound(fi.FileProveParam, seed[:], p.FileHash, sender[:], fi.FileBlockNum, fi.ProveBlockNum, p.Proof); err != nil {
				b.Fatal(err)
			}
		}
		one = b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(one.Microseconds())/1000, "ms/proof")
	})
	b.Run("ApplyBlock", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			path := filepath.Join(b.TempDir(), "f.db")
			copyFile(b, fpath, path)
			l, err := Open(Config{Path: path, Genesis: g, BlockInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			err = l.ApplyBlock(blk)
			total += time.Since(t0)
			b.StopTimer()
			l.Close()
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		per := total / time.Duration(b.N)
		b.ReportMetric(float64(per.Microseconds())/1000, "ms/block")
		b.ReportMetric(float64(per.Microseconds())/1000/benchProofs, "ms/proof")
		if one > 0 {
			b.ReportMetric(float64(per)/benchProofs/float64(one), "x-verify")
		}
	})
}

// sweepLedger writes n active contracts (one file each, on 10 FS nodes) straight into the state,
// with deadlines spread so that due of them fall at height 2 and the rest over heights 3..102.
func sweepLedger(b *testing.B, n, due int) *Embedded {
	b.Helper()
	prod := seededKey(b, "sweep-producer")
	g := DevnetGenesis(prod.Address(), nil)
	l, err := Open(Config{Path: filepath.Join(b.TempDir(), "sweep.db"), Genesis: g, BlockInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	nodes := make([]keys.Address, 10)
	err = l.db.Update(func(tx *bolt.Tx) error {
		bk := &boltKV{tx: tx}
		e := &env{kv: bk, params: &l.params}
		for i := range nodes {
			nodes[i] = seededKey(b, fmt.Sprint("sweep-fs-", i)).Address()
			ni := fsInfo(1)
			ni.Address, ni.Capacity, ni.Used = nodes[i], 1<<50, uint64(n)*1000
			e.putNode(&ni)
		}
		return bk.err
	})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 10000
	for start := 0; start < n; start += batch {
		err := l.db.Update(func(tx *bolt.Tx) error {
			bk := &boltKV{tx: tx}
			e := &env{kv: bk, params: &l.params}
			for i := start; i < min(n, start+batch); i++ {
				var x [8]byte
				binary.BigEndian.PutUint64(x[:], uint64(i))
				h := sha256.Sum256(x[:])
				node := nodes[i%len(nodes)]
				f := &FileInfo{FileHash: h[:], FileOwner: prod.Address(), FileBlockNum: 40, FileBlockSize: 256 << 10,
					ProveInterval: 100, ExpiredHeight: 100000, FileProveParam: make([]byte, 192), ProveBlockNum: 16,
					BlockHeight: 1, ValidFlag: true, RealFileSize: 1000, PrimaryNodes: []keys.Address{node}, BlocksRoot: h[:]}
				e.putFile(f)
				d := uint64(3 + i%100)
				if i < due {
					d = 2
				}
				c := &Contract{FileHash: h[:], Node: node, Owner: prod.Address(), Size: 1000, Rate: 1, Deposit: 1e5,
					Balance: 1e5, State: ContractActive, StartHeight: 1, NextProveHeight: d - 100}
				e.setDeadline(c, d)
				e.putContract(c)
			}
			return bk.err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return l
}

var errRollback = errors.New("rollback")

// BenchmarkSweep100k runs the end-of-block sweep at a height where 1 % of 100,000 active
// contracts are due (each fails: slash, recovery on a node picked among 10), inside a bbolt
// transaction that is rolled back. Baselines of the same run: the sweep at a height where none
// is due, and a plain scan of all 100,000 contracts (what a sweep without the due index would
// at least cost): x-full-scan = sweep / scan.
func BenchmarkSweep100k(b *testing.B) {
	const n, due = 100_000, 1000
	l := sweepLedger(b, n, due)
	run := func(b *testing.B, height uint64, fn func(e *env, tx *bolt.Tx)) time.Duration {
		b.Helper()
		for i := 0; i < b.N; i++ {
			err := l.db.Update(func(tx *bolt.Tx) error {
				fn(&env{kv: &boltKV{tx: tx}, params: &l.params, height: height}, tx)
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				b.Fatal(err)
			}
		}
		return b.Elapsed() / time.Duration(b.N)
	}
	var scan time.Duration
	b.Run("FullScan", func(b *testing.B) {
		scan = run(b, 2, func(_ *env, tx *bolt.Tx) {
			active := 0
			_ = tx.Bucket(sContracts).ForEach(func(_, v []byte) error {
				var c Contract
				mustDecode(v, &c)
				if c.State == ContractActive {
					active++
				}
				return nil
			})
			if active != n {
				b.Fatalf("%d active", active)
			}
		})
	})
	b.Run("NoneDue", func(b *testing.B) {
		t := run(b, 1, func(e *env, tx *bolt.Tx) { e.sweep(tx) })
		b.ReportMetric(float64(t)/float64(scan), "x-full-scan")
	})
	b.Run("OnePercentDue", func(b *testing.B) {
		t := run(b, 2, func(e *env, tx *bolt.Tx) {
			e.sweep(tx)
			if k, _ := tx.Bucket(sDue).Cursor().Seek(u64(2)); k != nil && bytes.HasPrefix(k, u64(2)) {
				b.Fatal("a due contract was left")
			}
		})
		b.ReportMetric(float64(t.Microseconds())/due, "µs/due-contract")
		b.ReportMetric(float64(t)/float64(scan), "x-full-scan")
	})
}
