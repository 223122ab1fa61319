// Package nettest holds test support for the node and its services: a lossy net.PacketConn that
// drops, duplicates and reorders datagrams like a bad link, and a goroutine leak check. It imports
// nothing of the project, so the node package's own tests can use it too.
package nettest

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
)

// LossyConn is a net.PacketConn whose outgoing packets are dropped with probability Drop,
// duplicated with probability Dup and held back behind the next packet with probability Reorder.
// After Blackhole it drops everything (a peer that vanished without a word). Safe for concurrent
// use.
type LossyConn struct {
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

// WriteTo sends p, or drops, duplicates or delays it.
func (c *LossyConn) WriteTo(p []byte, addr net.Addr) (int, error) {
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

// Lossy makes LossyConns with fixed rates and deterministic seeds, and remembers them.
type Lossy struct {
	Drop, Dup, Reorder float64

	mu    sync.Mutex
	conns []*LossyConn
}

// Wrap returns pc behind a LossyConn with l's rates; its signature fits node.KCP.WrapPacket.
func (l *Lossy) Wrap(pc net.PacketConn) net.PacketConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	seed := uint64(len(l.conns) + 1)
	c := &LossyConn{PacketConn: pc, drop: l.Drop, dup: l.Dup, reorder: l.Reorder,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	l.conns = append(l.conns, c)
	return c
}

// BlackholeAll makes every conn made so far drop all it sends.
func (l *Lossy) BlackholeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.blackhole.Store(true)
	}
}

// Counts returns the packets all conns were asked to send and the ones they dropped at random.
func (l *Lossy) Counts() (sent, dropped int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		sent += c.sent.Load()
		dropped += c.dropped.Load()
	}
	return sent, dropped
}
