package node

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	kcp "github.com/xtaci/kcp-go/v5"
)

// KCPConfig tunes every KCP session the host makes. docs/node.md explains each default and what
// it was measured against.
type KCPConfig struct {
	// NoDelay, Interval (ms), Resend and NoCongestion are kcp's nodelay knobs.
	NoDelay, Interval, Resend, NoCongestion int
	// SendWindow and RecvWindow are kcp windows in packets.
	SendWindow, RecvWindow int
	// MTU is the largest UDP payload kcp sends.
	MTU int
	// SocketBuffer is the UDP socket's read and write buffer in bytes (the kernel may cap it at
	// net.core.rmem_max / wmem_max).
	SocketBuffer int
	// AckNoDelay flushes acks at once instead of at the next interval.
	AckNoDelay bool
}

// DefaultKCPConfig is the tuning used unless a caller sets its own: nodelay (1, 10 ms, fast
// resend 2, no congestion control), windows 1024/1024, MTU 1400, 4 MiB socket buffers. No FEC and
// no packet encryption: message authentication happens above, per session (docs/protocol.md).
func DefaultKCPConfig() KCPConfig {
	return KCPConfig{
		NoDelay: 1, Interval: 10, Resend: 2, NoCongestion: 1,
		SendWindow: 1024, RecvWindow: 1024,
		MTU:          1400,
		SocketBuffer: 4 << 20,
	}
}

// Verify reports a configuration kcp would reject or misbehave with.
func (c KCPConfig) Verify() error {
	switch {
	case c.Interval < 1 || c.Interval > 5000:
		return fmt.Errorf("%w: kcp interval %d ms out of [1, 5000]", ErrBadConfig, c.Interval)
	case c.SendWindow < 32 || c.RecvWindow < 128:
		return fmt.Errorf("%w: kcp windows %d/%d too small (send >= 32, recv >= 128)", ErrBadConfig, c.SendWindow, c.RecvWindow)
	case c.MTU < 576 || c.MTU > 1500:
		return fmt.Errorf("%w: kcp mtu %d out of [576, 1500]", ErrBadConfig, c.MTU)
	case c.SocketBuffer < 0:
		return fmt.Errorf("%w: negative socket buffer", ErrBadConfig)
	}
	return nil
}

// Tune applies c to a session. It is used for sessions the KCP transport makes and for sessions
// built over a custom net.PacketConn (tests over lossy links).
func (c KCPConfig) Tune(s *kcp.UDPSession) {
	s.SetStreamMode(true)
	s.SetWriteDelay(false)
	s.SetNoDelay(c.NoDelay, c.Interval, c.Resend, c.NoCongestion)
	s.SetWindowSize(c.SendWindow, c.RecvWindow)
	s.SetMtu(c.MTU)
	s.SetACKNoDelay(c.AckNoDelay)
	if c.SocketBuffer > 0 {
		_ = s.SetReadBuffer(c.SocketBuffer) // best effort: a custom PacketConn may not support it
		_ = s.SetWriteBuffer(c.SocketBuffer)
	}
}

// KCP is the kcp:// transport: one KCP session (no FEC, no crypt, stream mode) per connection.
type KCP struct {
	cfg KCPConfig
	// WrapPacket, if set, wraps every UDP packet conn t opens, for listening and for dialing,
	// before KCP uses it (tests put a lossy link there: node/nettest).
	WrapPacket func(net.PacketConn) net.PacketConn
}

// NewKCP returns a kcp:// transport with cfg.
func NewKCP(cfg KCPConfig) *KCP { return &KCP{cfg: cfg} }

// Config returns the tuning of t.
func (t *KCP) Config() KCPConfig { return t.cfg }

// Dial opens a KCP session to addr ("host:port"). KCP has no connect step, so this returns at once;
// an absent peer shows as a handshake timeout.
func (t *KCP) Dial(ctx context.Context, addr string) (net.Conn, error) {
	if err := t.cfg.Verify(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var s *kcp.UDPSession
	var err error
	if t.WrapPacket != nil {
		raddr, rerr := net.ResolveUDPAddr("udp", addr)
		if rerr != nil {
			return nil, fmt.Errorf("kcp dial %s: %w", addr, rerr)
		}
		pc, perr := net.ListenUDP("udp", nil)
		if perr != nil {
			return nil, fmt.Errorf("kcp dial %s: %w", addr, perr)
		}
		var conv [4]byte
		_, _ = rand.Read(conv[:])
		s, err = kcp.NewConn4(binary.LittleEndian.Uint32(conv[:]), raddr, nil, 0, 0, true, t.WrapPacket(pc))
	} else {
		s, err = kcp.DialWithOptions(addr, nil, 0, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("kcp dial %s: %w", addr, err)
	}
	t.cfg.Tune(s)
	return s, nil
}

// Listen serves KCP on addr ("host:port"; port 0 picks a free port).
func (t *KCP) Listen(addr string) (Listener, error) {
	if err := t.cfg.Verify(); err != nil {
		return nil, err
	}
	var l *kcp.Listener
	var err error
	var pc net.PacketConn
	if t.WrapPacket != nil {
		if pc, err = net.ListenPacket("udp", addr); err != nil {
			return nil, fmt.Errorf("kcp listen %s: %w", addr, err)
		}
		pc = t.WrapPacket(pc)
		l, err = kcp.ServeConn(nil, 0, 0, pc)
	} else {
		l, err = kcp.ListenWithOptions(addr, nil, 0, 0)
	}
	if err != nil {
		if pc != nil {
			pc.Close()
		}
		return nil, fmt.Errorf("kcp listen %s: %w", addr, err)
	}
	if t.cfg.SocketBuffer > 0 {
		_ = l.SetReadBuffer(t.cfg.SocketBuffer)
		_ = l.SetWriteBuffer(t.cfg.SocketBuffer)
	}
	return &kcpListener{l: l, pc: pc, cfg: t.cfg}, nil
}

type kcpListener struct {
	l   *kcp.Listener
	pc  net.PacketConn // owned when WrapPacket was set
	cfg KCPConfig
}

func (l *kcpListener) Accept() (net.Conn, error) {
	s, err := l.l.AcceptKCP()
	if err != nil {
		return nil, err
	}
	l.cfg.Tune(s)
	return s, nil
}

// Close stops the listener and its socket. kcp-go makes a session for every new remote that
// sends a packet, even a stray late one, and queues it for Accept; Close drains that queue and
// closes what it finds, so no session (and its goroutine) outlives the listener. The listener's
// reader may still be handling a packet when the socket closes, so the drain goes on until
// AcceptKCP reports the socket's read error (kcp-go records it only after its reader's last
// packet) and then finds the queue empty 64 times in a row: AcceptKCP picks at random among what
// is ready (a queued session, the closed listener, the read error), so a queued session is missed
// with a chance of 2/3 per call, and 64 misses in a row with one of about 5e-12. It gives up after
// a second.
func (l *kcpListener) Close() error {
	err := l.l.Close()
	if l.pc != nil {
		l.pc.Close() // kcp-go owns the socket otherwise, and closed it above
	}
	stopped, misses := false, 0
	for end := time.Now().Add(time.Second); (!stopped || misses < 64) && time.Now().Before(end); {
		s, aerr := l.l.AcceptKCP()
		if aerr == nil {
			misses = 0
			s.Close()
			continue
		}
		if !errors.Is(aerr, io.ErrClosedPipe) {
			stopped = true // the reader has returned
		}
		misses++
	}
	return err
}

func (l *kcpListener) URL() string { return "kcp://" + l.l.Addr().String() }
