package node

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
)

// lossyConn is a net.PacketConn that drops, duplicates and reorders outgoing packets, the way a
// bad link would. blackhole drops everything (a peer that vanished without a word).
type lossyConn struct {
	net.PacketConn
	drop, dup, reorder float64

	mu        sync.Mutex
	rng       *rand.Rand
	held      []byte
	heldAddr  net.Addr
	blackhole atomic.Bool
	sent      atomic.Int64
	dropped   atomic.Int64
}

func newLossy(pc net.PacketConn, seed uint64, drop, dup, reorder float64) *lossyConn {
	return &lossyConn{PacketConn: pc, drop: drop, dup: dup, reorder: reorder, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (c *lossyConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.blackhole.Load() {
		return len(p), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent.Add(1)
	r := c.rng.Float64()
	switch {
	case r < c.drop:
		c.dropped.Add(1)
		return len(p), nil
	case r < c.drop+c.reorder && c.held == nil:
		c.held = append([]byte(nil), p...) // send it after the next packet
		c.heldAddr = addr
		return len(p), nil
	}
	n, err := c.PacketConn.WriteTo(p, addr)
	if err != nil {
		return n, err
	}
	if r > 1-c.dup {
		_, _ = c.PacketConn.WriteTo(p, addr)
	}
	if c.held != nil {
		_, _ = c.PacketConn.WriteTo(c.held, c.heldAddr)
		c.held = nil
	}
	return n, nil
}

// lossyKCP returns a kcp transport whose every packet conn is wrapped by newLossy, and the list of
// wrappers it made (for blackholing).
func lossyKCP(cfg KCPConfig, drop, dup, reorder float64) (*KCP, *lossyRegistry) {
	reg := &lossyRegistry{}
	t := NewKCP(cfg)
	t.ListenPacket = func(addr string) (net.PacketConn, error) {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, err
		}
		return reg.add(newLossy(pc, reg.seed(), drop, dup, reorder)), nil
	}
	t.DialPacket = func(raddr string) (net.PacketConn, net.Addr, error) {
		ua, err := net.ResolveUDPAddr("udp", raddr)
		if err != nil {
			return nil, nil, err
		}
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		return reg.add(newLossy(pc, reg.seed(), drop, dup, reorder)), ua, nil
	}
	return t, reg
}

type lossyRegistry struct {
	mu    sync.Mutex
	conns []*lossyConn
	n     uint64
}

func (r *lossyRegistry) seed() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	return r.n
}

func (r *lossyRegistry) add(c *lossyConn) *lossyConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns = append(r.conns, c)
	return c
}

// blackholeAll makes every wrapped conn drop all it sends.
func (r *lossyRegistry) blackholeAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.blackhole.Store(true)
	}
}
