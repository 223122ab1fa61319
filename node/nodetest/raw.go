// Package nodetest holds what the benchmarks of several packages measure against: a raw kcp-go +
// smux transfer with the host's settings. It is for tests and benchmarks only.
package nodetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"dsp/node"

	"github.com/xtaci/smux"
)

// RawKCP moves n bytes over one smux stream on one kcp-go session on loopback, with the host's KCP
// and smux settings (node.DefaultKCPConfig, node.DefaultMuxConfig) and no framing or
// authentication, in this process, and returns how long the bytes took from the first write to
// the last read: the baseline the transfer benchmarks report their x-raw ratios against. The
// session is set up before the clock starts and closed before RawKCP returns.
func RawKCP(n int64) (time.Duration, error) {
	tr := node.NewKCP(node.DefaultKCPConfig())
	l, err := tr.Listen("127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	_, addr, _ := node.SplitURL(l.URL())
	accepted := make(chan io.ReadWriteCloser, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	cc, err := tr.Dial(context.Background(), addr)
	if err != nil {
		return 0, err
	}
	defer cc.Close()
	cs, err := smux.Client(cc, node.DefaultMuxConfig())
	if err != nil {
		return 0, err
	}
	defer cs.Close()
	st, err := cs.OpenStream()
	if err != nil {
		return 0, err
	}
	if _, err := st.Write([]byte{1}); err != nil {
		return 0, err
	}
	sc, ok := <-accepted
	if !ok {
		return 0, errors.New("raw kcp: accept failed")
	}
	defer sc.Close()
	ss, err := smux.Server(sc, node.DefaultMuxConfig())
	if err != nil {
		return 0, err
	}
	defer ss.Close()
	rs, err := ss.AcceptStream()
	if err != nil {
		return 0, err
	}
	if _, err := io.ReadFull(rs, make([]byte, 1)); err != nil {
		return 0, err
	}
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, 256<<10)
		for sent := int64(0); sent < n; {
			k, err := st.Write(buf[:min(int64(len(buf)), n-sent)])
			if err != nil {
				errc <- err
				return
			}
			sent += int64(k)
		}
		errc <- nil
	}()
	if _, err := io.CopyN(io.Discard, rs, n); err != nil {
		cs.Close() // ends the writer
		<-errc
		return 0, fmt.Errorf("raw kcp: read: %w", err)
	}
	if err := <-errc; err != nil {
		return 0, fmt.Errorf("raw kcp: write: %w", err)
	}
	return time.Since(start), nil
}
