//go:build race

package wire

// raceEnabled: the race detector makes sync.Pool drop items on purpose.
const raceEnabled = true
