package pdp

import (
	"runtime"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	"golang.org/x/sys/cpu"
)

// upperState is the part of XINUSE that marks dirty upper halves of vector registers 0-15 (YMM
// upper halves, ZMM_Hi256): what legacy-SSE instructions pay for. ZMM16-31 (bit 7) stay in use
// after VZEROUPPER and cost SSE code nothing (measured).
const upperState = 1<<2 | 1<<6

// TestVectorCodeLeavesUpperStateClean: gnark-crypto's AVX-512 vector code leaves the upper
// register state dirty (which slows every later legacy-SSE instruction on the thread, SHA-NI
// included); the pdp code that calls it must leave it clean.
func TestVectorCodeLeavesUpperStateClean(t *testing.T) {
	if !cpu.X86.HasAVX512 || cpuid(0xd, 1)&(1<<2) == 0 {
		t.Skip("needs AVX-512 and XGETBV1")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a, b := make(fr.Vector, 1024), make(fr.Vector, 1024)
	for i := range a {
		a[i].SetUint64(uint64(i) + 3)
		b[i].SetUint64(uint64(i) * 5)
	}
	cleanUpper()
	if xinuse()&upperState != 0 {
		t.Fatal("upper state dirty after cleanUpper")
	}
	a.InnerProduct(b)
	if xinuse()&upperState == 0 {
		t.Skip("this gnark-crypto build does not use the upper registers here")
	}
	cleanUpper()

	// One proc: combineInto's workers then run on this goroutine, on this locked thread.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	sk, err := GenerateSecretKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, BlockSize)
	for i := range block {
		block[i] = byte(i * 7)
	}
	sk.eval(block)
	if x := xinuse(); x&upperState != 0 {
		t.Fatalf("upper state dirty after eval: XINUSE %#x", x)
	}
	F := make(fr.Vector, MaxSectors)
	combineInto(F, [][]byte{block, block}, []fr.Element{fr.One(), fr.One()})
	if x := xinuse(); x&upperState != 0 {
		t.Fatalf("upper state dirty after combineInto: XINUSE %#x", x)
	}
}
