package ledger

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"dsp/keys"
)

const crashEnv = "DSP_LEDGER_CRASH_DIR"

func seededKey(t testing.TB, name string) *keys.KeyPair {
	seed := sha256.Sum256([]byte(name))
	k, err := keys.FromPrivateBytes(keys.SHA512withEdDSA, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func crashGenesis(t testing.TB) (*Genesis, *keys.KeyPair, *keys.KeyPair) {
	prod, alice := seededKey(t, "producer"), seededKey(t, "alice")
	return DevnetGenesis(prod.Address(), map[keys.Address]uint64{alice.Address(): funds}), prod, alice
}

// TestCrashChild is the child process of TestCrash: it makes blocks with transactions as fast
// as it can and prints each committed height, until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	g, prod, alice := crashGenesis(t)
	l, err := Open(Config{Path: filepath.Join(dir, "ledger.db"), Genesis: g, Producer: prod, BlockInterval: -1})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	ctx := context.Background()
	for i := 0; ; i++ {
		for j := 0; j < 20; j++ {
			n, _ := l.NextNonce(ctx, alice.Address())
			to := seededKey(t, strconv.Itoa(i*20+j)).Address()
			tx, _ := NewTx(alice, g.ChainID, n, 1, &Transfer{To: to, Amount: 1})
			if _, err := l.Submit(ctx, tx); err != nil {
				fmt.Println("ERR", err)
				os.Exit(1)
			}
		}
		b, err := l.ProduceBlock()
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Printf("H %d\n", b.Header.Height)
	}
}

// TestCrash kills the child at random moments during block production and checks, after each
// kill, that the ledger reopens at the last reported height or one block later, that its chain
// is whole, and that replaying its blocks into a fresh ledger gives the same state root.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 3; round++ {
		last := crashOnce(t, dir, time.Duration(30+rng.IntN(300))*time.Millisecond)
		g, _, _ := crashGenesis(t)
		l, err := Open(Config{Path: filepath.Join(dir, "ledger.db"), Genesis: g, BlockInterval: -1})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		ctx := context.Background()
		_ = l.db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				t.Errorf("round %d: bbolt consistency: %v", round, err)
			}
			return nil
		})
		h, _ := l.Height(ctx)
		if h != last && h != last+1 {
			l.Close()
			t.Fatalf("round %d: height %d after the child reported %d", round, h, last)
		}
		fl := follower(t, g)
		for i := uint64(1); i <= h; i++ {
			b, err := l.Block(ctx, i)
			if err != nil {
				t.Fatalf("round %d: block %d: %v", round, i, err)
			}
			if err := fl.ApplyBlock(b); err != nil {
				t.Fatalf("round %d: replay %d: %v", round, i, err)
			}
		}
		r1, _ := l.StateRoot(ctx)
		r2, _ := fl.StateRoot(ctx)
		l.Close()
		if r1 != r2 {
			t.Fatalf("round %d: state root differs from the replayed chain at height %d", round, h)
		}
		t.Logf("round %d: killed after height %d, reopened at %d", round, last, h)
	}
}

func crashOnce(t *testing.T, dir string, after time.Duration) uint64 {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
	}()
	var last uint64
	var seen bool
	timer := time.NewTimer(time.Hour) // armed at the first block
	defer timer.Stop()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("child exited early (last height %d): %v", last, cmd.Wait())
			}
			if strings.HasPrefix(l, "ERR") {
				t.Fatalf("child: %s", l)
			}
			if v, ok := strings.CutPrefix(l, "H "); ok {
				last, _ = strconv.ParseUint(v, 10, 64)
				if !seen {
					seen = true
					timer.Reset(after)
				}
			}
		case <-timer.C:
			_ = cmd.Process.Signal(syscall.SIGKILL)
			for l := range lines { // heights printed before the kill landed
				if v, ok := strings.CutPrefix(l, "H "); ok {
					last, _ = strconv.ParseUint(v, 10, 64)
				}
			}
			_ = cmd.Wait()
			return last
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatal("child made no block in 30 s")
		}
	}
}
