package scan

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"dsp/keys"
	"dsp/wire"
)

// clock is a settable clock for the tracker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func genKey(t testing.TB) *keys.KeyPair {
	t.Helper()
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// openTracker opens a tracker in a fresh temp dir on clk, closed at cleanup.
func openTracker(t testing.TB, clk *clock) (*Tracker, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scan.db")
	tr, err := Open(Config{Path: path, HolderTTL: 10 * time.Minute, EndpointTTL: 20 * time.Minute, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, path
}

// wireRT is a RoundTripper that moves real encoded payloads: it encodes the request with
// wire.EncodePayload, hands the bytes to a Handler as coming from `from`, and decodes the reply
// with wire.DecodePayload, checking the reply opcode.
type wireRT struct {
	h     *Handler
	from  Sender
	mu    sync.Mutex
	calls int
}

func (rt *wireRT) RoundTrip(ctx context.Context, op wire.Opcode, req any) (any, error) {
	rt.mu.Lock()
	rt.calls++
	rt.mu.Unlock()
	if got, ok := wire.OpcodeOf(req); !ok || got != op {
		return nil, fmt.Errorf("request %T is registered as %d, sent as %d", req, got, op)
	}
	b, err := wire.EncodePayload(req)
	if err != nil {
		return nil, err
	}
	rop, rb, err := rt.h.HandleBytes(ctx, rt.from, op, b)
	if err != nil {
		return nil, err
	}
	if rop != op+1 && rop != OpError {
		return nil, fmt.Errorf("reply opcode %d to request %d", rop, op)
	}
	return wire.DecodePayload(rop, rb)
}

func clientAs(t testing.TB, tr *Tracker, k *keys.KeyPair, url string) *Client {
	return NewClient(&wireRT{h: NewHandler(tr), from: Sender{Account: k.Address(), URL: url}})
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
