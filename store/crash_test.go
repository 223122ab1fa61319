package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dsp/status"
)

// The crash tests re-execute the test binary as a child (TestHelperProcess) that writes to a
// store, kill it with SIGKILL at chosen points, and check the store in the parent.

const helperEnv = "DSP_STORE_HELPER"

// crashFileSize is the size of the file with seed i written by the "add" child.
func crashFileSize(seed int) int { return 2*BlockSize + seed*7919 }

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process for the crash tests")
	}
	dir := os.Getenv("DSP_STORE_DIR")
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...); out.Flush() }
	fail := func(err error) { say("error %d %v", status.CodeOf(err, 0), err); os.Exit(3) }
	opts := &Options{BatchBytes: BlockSize, GCBatch: 2}
	switch mode {
	case "add":
		s, err := Open(filepath.Join(dir, "store.db"), opts)
		if err != nil {
			fail(err)
		}
		testHookBatchCommitted = func() { say("batch") }
		first, _ := strconv.Atoi(os.Getenv("DSP_STORE_SEED"))
		for seed := first; ; seed++ {
			fi, err := s.AddFile(context.Background(), newPRNG(uint64(seed), int64(crashFileSize(seed))), AddOptions{Name: strconv.Itoa(seed)})
			if err != nil {
				fail(err)
			}
			say("file %d %s", seed, fi.FileHash)
		}
	case "receive":
		src, err := Open(filepath.Join(dir, "src.db"), nil)
		if err != nil {
			fail(err)
		}
		dst, err := Open(filepath.Join(dir, "store.db"), opts)
		if err != nil {
			fail(err)
		}
		root, _ := ParseHash(os.Getenv("DSP_STORE_ROOT"))
		hs, err := src.GetBlockHashesOfFile(ctx, root)
		if err != nil {
			fail(err)
		}
		if err := dst.BeginReceive(ctx, root); err != nil {
			fail(err)
		}
		testHookBatchCommitted = func() { say("batch") }
		for _, h := range hs {
			b, err := src.GetBlock(ctx, h)
			if err != nil {
				fail(err)
			}
			if err := dst.PutBlock(ctx, h, b); err != nil {
				fail(err)
			}
		}
		say("done")
		select {}
	case "gc":
		s, err := Open(filepath.Join(dir, "store.db"), opts)
		if err != nil {
			fail(err)
		}
		testHookSweepBatch = func() { say("sweep"); time.Sleep(time.Millisecond) }
		if _, err := s.GarbageCollect(context.Background()); err != nil {
			fail(err)
		}
		say("done")
		select {}
	case "full":
		path := filepath.Join(dir, "store.db")
		s, err := Open(path, opts)
		if err != nil {
			fail(err)
		}
		st, _ := os.Stat(path)
		signal.Ignore(syscall.SIGXFSZ)
		lim := uint64(st.Size()) + 2<<20
		var rl syscall.Rlimit
		_ = syscall.Getrlimit(syscall.RLIMIT_FSIZE, &rl)
		rl.Cur = lim
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &rl); err != nil {
			fail(err)
		}
		_, err = s.AddFile(context.Background(), newPRNG(99, 16<<20), AddOptions{Name: "big"})
		if err == nil {
			say("no error")
			os.Exit(0)
		}
		say("add error %d %v", status.CodeOf(err, 0), err)
		// The store is still usable for reading after the failed write.
		fs, err := s.Files(context.Background())
		if err != nil {
			fail(err)
		}
		for _, f := range fs {
			r, err := s.OpenFile(context.Background(), f.FileHash)
			if err != nil {
				fail(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				fail(err)
			}
		}
		say("read ok %d", len(fs))
		os.Exit(0)
	}
}

// child is a running helper process.
type child struct {
	cmd   *exec.Cmd
	lines chan string
}

func startChild(t *testing.T, mode, dir string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), append(env, helperEnv+"="+mode, "DSP_STORE_DIR="+dir)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return c
}

// waitFor returns after the child printed n lines starting with prefix; it fails on an
// "error" line or when the child exits first.
func (c *child) waitFor(t *testing.T, prefix string, n int) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for n > 0 {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("child exited waiting for %q", prefix)
			}
			if strings.HasPrefix(l, "error") {
				t.Fatalf("child: %s", l)
			}
			if strings.HasPrefix(l, prefix) {
				n--
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %q", prefix)
		}
	}
}

func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}

// verifyStore opens the store in dir and checks that every complete file reads back (every
// block verified) and, for files named by an "add" seed, has that seed's bytes. It returns the
// files.
func verifyStore(t *testing.T, dir string) []FileInfo {
	t.Helper()
	path := filepath.Join(dir, "store.db")
	checkBolt(t, path)
	s, err := Open(path, nil)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	fs, err := s.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.State != StateComplete {
			continue
		}
		got := readAll(t, s, f.FileHash)
		if seed, err := strconv.Atoi(f.Name); err == nil {
			if want := randBytes(uint64(seed), crashFileSize(seed)); !bytes.Equal(got, want) {
				t.Fatalf("file %s (seed %d) reads back wrong", f.FileHash, seed)
			}
		}
	}
	return fs
}

func TestCrashDuringAddFile(t *testing.T) {
	dir := t.TempDir()
	seed := 0
	for _, killAfter := range []int{1, 4, 9} {
		c := startChild(t, "add", dir, "DSP_STORE_SEED="+strconv.Itoa(seed))
		c.waitFor(t, "batch", killAfter)
		c.kill(t)
		fs := verifyStore(t, dir)
		seed += 10
		t.Logf("killed after %d commits: %d complete files", killAfter, len(fs))
	}
	// What the killed adds left behind is garbage: a collection removes it and keeps the rest.
	s, err := Open(filepath.Join(dir, "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GarbageCollect(ctx); err != nil {
		t.Fatal(err)
	}
	fs, _ := s.Files(ctx)
	want := 0
	for _, f := range fs {
		want += int(f.Blocks + f.LinkBlocks)
	}
	if n := countBlocks(t, s); n != want {
		t.Fatalf("%d blocks after gc, files need %d", n, want)
	}
	s.Close()
	verifyStore(t, dir)
}

func TestCrashDuringReceiveResumes(t *testing.T) {
	dir := t.TempDir()
	src, err := Open(filepath.Join(dir, "src.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	data := randBytes(42, 8*BlockSize+3)
	fi := addBytes(t, src, data, AddOptions{})
	src.Close()
	c := startChild(t, "receive", dir, "DSP_STORE_ROOT="+fi.FileHash.String())
	c.waitFor(t, "batch", 5) // the file record and four blocks
	c.kill(t)

	fs := verifyStore(t, dir)
	if len(fs) != 1 || fs[0].State != StatePartial {
		t.Fatalf("after the crash: %+v", fs)
	}
	src, _ = Open(filepath.Join(dir, "src.db"), nil)
	defer src.Close()
	dst, err := Open(filepath.Join(dir, "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	// Resume: fetch what is missing until nothing is.
	for round := 0; ; round++ {
		miss, err := dst.Missing(ctx, fi.FileHash)
		if err != nil {
			t.Fatal(err)
		}
		if len(miss) == 0 {
			break
		}
		if round > 3 || len(miss) == 9 && round == 0 {
			t.Fatalf("round %d: %d missing", round, len(miss))
		}
		for _, h := range miss {
			b, _ := src.GetBlock(ctx, h)
			if err := dst.PutBlock(ctx, h, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !bytes.Equal(readAll(t, dst, fi.FileHash), data) {
		t.Fatal("resumed file reads back wrong")
	}
	// Or remove it: delete and collect leaves nothing.
	if err := dst.DeleteFile(ctx, fi.FileHash); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.GarbageCollect(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countBlocks(t, dst); n != 0 {
		t.Fatalf("%d blocks left", n)
	}
}

func TestCrashDuringGC(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "store.db"), &Options{BatchBytes: 4 * BlockSize})
	if err != nil {
		t.Fatal(err)
	}
	var keep []FileInfo
	for seed := range 6 {
		fi, err := s.AddFile(ctx, newPRNG(uint64(seed), int64(crashFileSize(seed))), AddOptions{Name: strconv.Itoa(seed)})
		if err != nil {
			t.Fatal(err)
		}
		if seed%2 == 0 {
			if err := s.DeleteFile(ctx, fi.FileHash); err != nil {
				t.Fatal(err)
			}
		} else {
			keep = append(keep, fi)
		}
	}
	s.Close()
	c := startChild(t, "gc", dir)
	c.waitFor(t, "sweep", 3)
	c.kill(t)
	fs := verifyStore(t, dir)
	if len(fs) != len(keep) {
		t.Fatalf("%d files after a killed gc, want %d", len(fs), len(keep))
	}
	// A second collection finishes the job.
	s, _ = Open(filepath.Join(dir, "store.db"), nil)
	if _, err := s.GarbageCollect(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	verifyStore(t, dir)
}

func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "store.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for seed := range 2 {
		if _, err := s.AddFile(ctx, newPRNG(uint64(seed), int64(crashFileSize(seed))), AddOptions{Name: strconv.Itoa(seed)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	c := startChild(t, "full", dir)
	var lines []string
	for l := range c.lines {
		lines = append(lines, l)
	}
	_ = c.cmd.Wait()
	out := strings.Join(lines, "\n")
	if !strings.Contains(out, "add error 50038") || !strings.Contains(out, "read ok 2") {
		t.Fatalf("child with a full disk said:\n%s", out)
	}
	t.Logf("child: %s", out)
	fs := verifyStore(t, dir)
	if len(fs) != 2 {
		t.Fatalf("%d files after the full disk, want 2", len(fs))
	}
	// The store takes writes again once there is room.
	s, _ = Open(filepath.Join(dir, "store.db"), nil)
	defer s.Close()
	addBytes(t, s, randBytes(5, 3*BlockSize), AddOptions{})
}
