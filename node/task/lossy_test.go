package task

import (
	"math/rand/v2"
	"net"
	"sync"

	"dsp/node"
)

// lossyConn is a net.PacketConn that drops, duplicates and reorders outgoing packets, like a bad
// link (the node package's test helper, copied).
type lossyConn struct {
	net.PacketConn
	drop, dup, reorder float64

	mu       sync.Mutex
	rng      *rand.Rand
	held     []byte
	heldAddr net.Addr
}

func (c *lossyConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.rng.Float64()
	switch {
	case r < c.drop:
		return len(p), nil
	case r < c.drop+c.reorder && c.held == nil:
		c.held = append([]byte(nil), p...)
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

// lossyKCP returns a kcp transport whose every packet conn loses drop of its packets, and
// duplicates and reorders a few.
func lossyKCP(drop float64) *node.KCP {
	var mu sync.Mutex
	var seed uint64
	wrap := func(pc net.PacketConn) net.PacketConn {
		mu.Lock()
		seed++
		s := seed
		mu.Unlock()
		return &lossyConn{PacketConn: pc, drop: drop, dup: 0.01, reorder: 0.02, rng: rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))}
	}
	t := node.NewKCP(node.DefaultKCPConfig())
	t.ListenPacket = func(addr string) (net.PacketConn, error) {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, err
		}
		return wrap(pc), nil
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
		return wrap(pc), ua, nil
	}
	return t
}
