//go:build race

package node

// lossyBytes is what the lossy-link test moves. Under the race detector KCP runs ~10x slower, so
// the test moves 8 MiB there and the full 64 MiB otherwise (norace_test.go).
const lossyBytes = 8 << 20
