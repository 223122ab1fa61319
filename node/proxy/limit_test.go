package proxy

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestCopyLimited: the relay copy delivers every byte and never faster than the limiter allows
// (a lower bound only: a slow machine cannot make it fail).
func TestCopyLimited(t *testing.T) {
	const n, r, burst = 1 << 20, 4 << 20, 128 << 10
	src := randBytes(n, 1)
	var dst bytes.Buffer
	var ctr atomic.Uint64
	start := time.Now()
	if err := copyLimited(context.Background(), &dst, bytes.NewReader(src), rate.NewLimiter(r, burst), &ctr); err != nil {
		t.Fatal(err)
	}
	if el, min := time.Since(start), time.Duration(float64(n-burst)/r*float64(time.Second)); el < min*9/10 {
		t.Fatalf("copied %d bytes in %v at a cap of %d B/s; the cap allows no less than %v", n, el, r, min)
	}
	if !bytes.Equal(dst.Bytes(), src) || ctr.Load() != n {
		t.Fatalf("copied %d bytes, counted %d", dst.Len(), ctr.Load())
	}
	// A cancelled relay stops waiting on the limiter.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := copyLimited(ctx, io.Discard, bytes.NewReader(src), rate.NewLimiter(1, burst), &ctr); err == nil {
		t.Fatal("copy went on after cancel")
	}
}

// TestRelayRateLimit: an allocation's relayed traffic is capped at Config.RateLimit, both
// directions together.
func TestRelayRateLimit(t *testing.T) {
	checkGoroutines(t)
	const size, r = 1 << 20, 2 << 20
	ph, svc := proxyNode(t, Config{RateLimit: r})
	priv, pc := privateNode(t, genKey(t), proxyURL(ph), size, ClientConfig{})
	waitFor(t, 10*time.Second, "active", func() bool { return pc.Status().State == StateActive })
	cl := clientNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	p, err := cl.Connect(ctx, priv.Account().String()+"@"+pc.Status().Address)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bulk(ctx, p, size); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	i, _ := svc.Allocation(priv.Account())
	total := i.BytesToNode + i.BytesFromNode
	burst := svc.Config().RateBurst
	if min := time.Duration(float64(total-uint64(burst)) / r * float64(time.Second)); el < min*9/10 {
		t.Fatalf("%d bytes relayed in %v at a cap of %d B/s (burst %d); the cap allows no less than %v", total, el, r, burst, min)
	}
	if total < 2*size {
		t.Fatalf("relayed %d bytes", total)
	}
}
