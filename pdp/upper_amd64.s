#include "textflag.h"

// func vzeroupper()
TEXT ·vzeroupper(SB), NOSPLIT|NOFRAME, $0-0
	VZEROUPPER
	RET

// func xinuse() uint64
// XGETBV with ECX=1: the state components in use (bit 2: upper halves of YMM0-15; bits 6, 7: ZMM
// state). The caller checks that the CPU has XGETBV1.
TEXT ·xinuse(SB), NOSPLIT|NOFRAME, $0-8
	MOVL $1, CX
	XGETBV
	SHLQ $32, DX
	ORQ  DX, AX
	MOVQ AX, ret+0(FP)
	RET

// func cpuid(leaf, sub uint32) uint32
TEXT ·cpuid(SB), NOSPLIT|NOFRAME, $0-12
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, ret+8(FP)
	RET
