package node

import (
	"time"

	"github.com/xtaci/smux"
)

// DefaultMuxConfig is the smux tuning of every connection: protocol version 2 (per-stream flow
// control, so one bulk stream cannot starve the message stream), smux keepalive off (the host's
// own keepalive watches the connection and measures RTT), 32 KiB smux frames, a 16 MiB session
// receive buffer and 4 MiB per stream. docs/node.md has the measurements behind these numbers.
func DefaultMuxConfig() *smux.Config {
	c := smux.DefaultConfig()
	c.Version = 2
	c.KeepAliveDisabled = true
	c.KeepAliveInterval = 10 * time.Second // unused while disabled; kept valid for VerifyConfig
	c.KeepAliveTimeout = 30 * time.Second
	c.MaxFrameSize = 32 << 10
	c.MaxReceiveBuffer = 16 << 20
	c.MaxStreamBuffer = 4 << 20
	return c
}
