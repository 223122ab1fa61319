package task

import (
	"dsp/node"
	"dsp/node/nettest"
)

// lossyKCP returns a kcp transport whose every packet conn loses drop of its packets, and
// duplicates and reorders a few.
func lossyKCP(drop float64) *node.KCP {
	t := node.NewKCP(node.DefaultKCPConfig())
	t.WrapPacket = (&nettest.Lossy{Drop: drop, Dup: 0.01, Reorder: 0.02}).Wrap
	return t
}
