package pdp

import (
	"fmt"
	"github.com/consensys/gnark-crypto/ecc"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

func BenchmarkMicro(b *testing.B) {
	sk := testKey(b)
	sk.prepare()
	block := testBlocks(20, 1, BlockSize, 0)[0]
	scratch := make(fr.Vector, MaxSectors)
	F := make(fr.Vector, MaxSectors)
	var nu fr.Element
	nu.SetUint64(12345)
	b.Run("loadSectors", func(b *testing.B) {
		for b.Loop() {
			loadSectors(scratch, block)
		}
	})
	m := fr.Vector(loadSectors(scratch, block))
	b.Run("innerProduct", func(b *testing.B) {
		for b.Loop() {
			m.InnerProduct(sk.powers)
		}
	})
	b.Run("scalarMul", func(b *testing.B) {
		for b.Loop() {
			m.ScalarMul(m, &nu)
		}
	})
	b.Run("add", func(b *testing.B) {
		for b.Loop() {
			F.Add(F, m)
		}
	})
	b.Run("combine", func(b *testing.B) {
		for b.Loop() {
			combine([][]byte{block}, []fr.Element{nu})
		}
	})
	b.Run("hashIndex", func(b *testing.B) {
		for b.Loop() {
			hashIndex([]byte("name"), 5)
		}
	})
	h, _ := hashIndex([]byte("name"), 5)
	e := sk.eval(block)
	b.Run("sigma", func(b *testing.B) {
		for b.Loop() {
			sk.sigma(&h, &e)
		}
	})
	b.Run("mulG1", func(b *testing.B) {
		fixedBaseTable()
		for b.Loop() {
			var j bls.G1Jac
			mulG1(&j, &e)
		}
	})
	b.Run("glvXH", func(b *testing.B) {
		for b.Loop() {
			var j bls.G1Jac
			j.FromAffine(&h)
			j.ScalarMultiplication(&j, &sk.xBig)
		}
	})
	pk, _ := sk.ProverKey(MaxSectors)
	F.MustSetRandom()
	for _, tasks := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("msm8457/tasks=%d", tasks), func(b *testing.B) {
			cpu0 := cpuTime()
			defer reportCPU(b, cpu0)
			for b.Loop() {
				var p bls.G1Affine
				p.MultiExp(pk.P, F, ecc.MultiExpConfig{NbTasks: tasks})
			}
		})
	}
}
