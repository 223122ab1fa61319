package node

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// Transport makes byte-stream connections to peers. The host runs smux and the wire protocol on
// top, so a Transport only moves bytes: KCP over UDP in production, in-memory pipes in tests.
// Implementations must be safe for concurrent use.
type Transport interface {
	// Dial connects to addr, the part of a peer URL after "scheme://" (for kcp, "host:port").
	// A datagram transport may return before the remote answers; the host's handshake timeout
	// bounds that case.
	Dial(ctx context.Context, addr string) (net.Conn, error)
	// Listen starts accepting connections on addr (same form as Dial).
	Listen(addr string) (Listener, error)
}

// Listener accepts connections for a Transport. Close unblocks Accept; connections already
// accepted are not closed by it.
type Listener interface {
	Accept() (net.Conn, error)
	Close() error
	// URL is the address peers dial to reach this listener, with its scheme and the port actually
	// bound (kcp://127.0.0.1:40123 after listening on kcp://127.0.0.1:0).
	URL() string
}

// Transports maps a URL scheme ("kcp", "mem") to the Transport that serves it.
type Transports map[string]Transport

// DefaultTransports returns kcp (DefaultKCPConfig) and mem (the process-wide DefaultMemNetwork).
func DefaultTransports() Transports {
	return Transports{"kcp": NewKCP(DefaultKCPConfig()), "mem": DefaultMemNetwork}
}

// SplitURL splits "scheme://addr" into its two parts. It rejects a missing scheme or address.
func SplitURL(url string) (scheme, addr string, err error) {
	scheme, addr, ok := strings.Cut(url, "://")
	if !ok || scheme == "" || addr == "" {
		return "", "", fmt.Errorf("%w: %q (want scheme://address, e.g. kcp://127.0.0.1:4001)", ErrBadURL, url)
	}
	return strings.ToLower(scheme), addr, nil
}

func (ts Transports) lookup(url string) (Transport, string, error) {
	scheme, addr, err := SplitURL(url)
	if err != nil {
		return nil, "", err
	}
	t, ok := ts[scheme]
	if !ok {
		return nil, "", fmt.Errorf("%w: %q in %q", ErrUnknownScheme, scheme, url)
	}
	return t, addr, nil
}

// Dial connects to url with the transport registered for its scheme.
func (ts Transports) Dial(ctx context.Context, url string) (net.Conn, error) {
	t, addr, err := ts.lookup(url)
	if err != nil {
		return nil, err
	}
	c, err := t.Dial(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	return c, nil
}

// Listen listens on url with the transport registered for its scheme.
func (ts Transports) Listen(url string) (Listener, error) {
	t, addr, err := ts.lookup(url)
	if err != nil {
		return nil, err
	}
	l, err := t.Listen(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", url, err)
	}
	return l, nil
}
