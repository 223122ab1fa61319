//go:build race

package task

// lossyFileSize is the file of TestLossyKCP: 64 MiB normally, 8 MiB under the race detector
// (which slows the transfer about tenfold).
const lossyFileSize = 8 << 20
