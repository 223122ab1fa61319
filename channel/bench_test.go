package channel

import (
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkPayAccept measures one payment end to end: Payer.Pay (sign + synced bbolt commit)
// then Payee.Accept (verify + synced bbolt commit), each side with its own file. The baseline,
// measured in the same run, is one synced bbolt commit of one put of a value the size of an
// encoded proof: x-baseline is how many such raw commits one payment costs (two of them are
// the floor: each side persists before it goes on).
func BenchmarkPayAccept(b *testing.B) {
	alice, bob := genKey(b), genKey(b)
	ch := testChannel(alice, bob, 1<<62)
	ps, qs := openStore(b, ""), openStore(b, "")
	payer, _ := ps.Payer(chainID, ch, alice)
	payee, _ := qs.Payee(chainID, ch, bob.Address())
	probe, _ := payer.Pay(1)
	if _, err := payee.Accept(probe); err != nil {
		b.Fatal(err)
	}
	n := min(b.N, 500)
	raw := rawPut(b, len(probe.Encode()), n)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		p, err := payer.Pay(1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := payee.AcceptFor([]byte("file"), p); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.StopTimer()
	raw = (raw + rawPut(b, len(probe.Encode()), n)) / 2 // before and after, against drift in disk speed
	b.ReportMetric(float64(time.Second)/float64(per), "proofs/s")
	b.ReportMetric(float64(per)/float64(raw), "x-baseline")
	b.ReportMetric(float64(raw.Microseconds()), "raw-put-µs")
}

// rawPut returns the mean time of n synced bbolt commits, each one put of size bytes under the
// same key (as a channel's proof is overwritten).
func rawPut(b *testing.B, size, n int) time.Duration {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := make([]byte, size)
	key := make([]byte, 32)
	start := time.Now()
	for i := 0; i < n; i++ {
		val[0] = byte(i)
		if err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return bk.Put(key, val)
		}); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / time.Duration(n)
}
