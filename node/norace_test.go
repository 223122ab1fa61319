//go:build !race

package node

// lossyBytes is what the lossy-link test moves (see race_test.go).
const lossyBytes = 64 << 20
