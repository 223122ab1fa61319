package pdp

import "golang.org/x/sys/cpu"

// vzeroupper clears the upper halves of the vector registers of the calling thread.
//
//go:noescape
func vzeroupper()

// hasAVX gates vzeroupper, an AVX instruction.
var hasAVX = cpu.X86.HasAVX

// cleanUpper must follow every call into gnark-crypto's vector code (fr.Vector's InnerProduct,
// ScalarMul, Add: AVX-512 assembly that returns without VZEROUPPER) on the same goroutine. A
// thread left with dirty upper register state runs every later legacy-SSE instruction with a
// penalty: measured here, SHA-NI hashing (the store's block check) fell from 1.7 GB/s to 16 MB/s
// on such a thread, which made chunking with the tagger 4-5x slower than without it.
func cleanUpper() {
	if hasAVX {
		vzeroupper()
	}
}

// xinuse returns XGETBV(1): the register state components in use on this thread.
func xinuse() uint64

// cpuid returns EAX of CPUID(leaf, sub).
func cpuid(leaf, sub uint32) uint32
