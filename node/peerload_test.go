package node

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"

	"dsp/keys"
)

// peerLoadEnv carries the hub URL to the helper process of BenchmarkIdlePeers.
const peerLoadEnv = "DSP_PEERLOAD_HUB"

// TestPeerLoadHelper is not a test: BenchmarkIdlePeers runs the test binary again with
// DSP_PEERLOAD_HUB set, and this function then connects DSP_PEERLOAD_N hosts to the hub, prints
// "ready", and holds them until its stdin closes. Without the variable it does nothing.
func TestPeerLoadHelper(t *testing.T) {
	hub := os.Getenv(peerLoadEnv)
	if hub == "" {
		t.Skip("helper process of BenchmarkIdlePeers")
	}
	n, _ := strconv.Atoi(os.Getenv("DSP_PEERLOAD_N"))
	hosts := make([]*Host, 0, n)
	defer func() {
		for _, h := range hosts {
			h.Close()
		}
	}()
	for i := range n {
		k, _ := keys.Generate(keys.SHA512withEdDSA)
		h, err := New(Config{Key: k, Logger: slog.New(slog.DiscardHandler), Transports: Transports{"kcp": NewKCP(DefaultKCPConfig())}})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Start(); err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, h)
		if _, err := h.Connect(ctxT(t), hub); err != nil {
			t.Fatalf("peer %d: %v", i, err)
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}

// BenchmarkIdlePeers connects 200 peers (in a helper process) to one host on loopback KCP with
// the default keepalive (5 s / 20 s) and reports, for the hub process only: heap and stack
// bytes per idle peer, goroutines per peer, and CPU use at rest (fraction of one core) over a
// 10 s idle window.
func BenchmarkIdlePeers(b *testing.B) {
	const peers = 200
	for i := 0; i < b.N; i++ {
		k, _ := keys.Generate(keys.SHA512withEdDSA)
		hub, err := New(Config{Key: k, Listen: []string{"kcp://127.0.0.1:0"}, Logger: slog.New(slog.DiscardHandler),
			Transports: Transports{"kcp": NewKCP(DefaultKCPConfig())}})
		if err != nil {
			b.Fatal(err)
		}
		if err := hub.Start(); err != nil {
			b.Fatal(err)
		}
		before, g0 := memNow()
		cmd := exec.Command(os.Args[0], "-test.run=^TestPeerLoadHelper$", "-test.timeout=10m")
		cmd.Env = append(os.Environ(), peerLoadEnv+"="+hub.Addrs()[0], "DSP_PEERLOAD_N="+strconv.Itoa(peers))
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		for sc.Scan() && sc.Text() != "ready" {
		}
		for len(hub.Peers()) < peers {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Second) // let handshake garbage go
		after, g1 := memNow()
		if f := os.Getenv("DSP_PEERLOAD_HEAP"); f != "" { // go tool pprof -sample_index=inuse_space
			if w, err := os.Create(f); err == nil {
				pprof.WriteHeapProfile(w)
				w.Close()
			}
		}
		var r0, r1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		start := time.Now()
		time.Sleep(10 * time.Second)
		syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		idle := time.Since(start)
		cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		stdin.Close()
		cmd.Wait()
		hub.Close()
		b.ReportMetric(float64(after-before)/peers, "B/idle-peer")
		b.ReportMetric(float64(g1-g0)/peers, "goroutines/peer")
		b.ReportMetric(cpu.Seconds()/idle.Seconds(), "cpu-cores-at-rest")
	}
}

// memNow returns heap-in-use plus stack-in-use bytes after a GC, and the goroutine count.
func memNow() (uint64, int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse, runtime.NumGoroutine()
}
