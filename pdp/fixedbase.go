package pdp

import (
	"sync"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// A fixed-base table for e*g1: g1Table[k][d-1] = d * 2^(8k) * g1 for d = 1..255, k < 32, so e*g1
// is the sum of one table point per byte of e, 32 mixed additions and no doublings. 8160 affine
// points (about 780 KB), built once on first use.
const (
	fbWindow  = 8
	fbWindows = 256 / fbWindow
	fbDigits  = 1<<fbWindow - 1
)

var (
	g1TableOnce sync.Once
	g1Table     [][]bls.G1Affine
)

func fixedBaseTable() [][]bls.G1Affine {
	g1TableOnce.Do(func() {
		jac := make([]bls.G1Jac, fbWindows*fbDigits)
		var base bls.G1Jac
		base.FromAffine(&g1Gen)
		for k := range fbWindows {
			row := jac[k*fbDigits : (k+1)*fbDigits]
			row[0] = base
			for d := 1; d < fbDigits; d++ {
				row[d] = row[d-1]
				row[d].AddAssign(&base)
			}
			for range fbWindow {
				base.DoubleAssign()
			}
		}
		aff := bls.BatchJacobianToAffineG1(jac)
		g1Table = make([][]bls.G1Affine, fbWindows)
		for k := range g1Table {
			g1Table[k] = aff[k*fbDigits : (k+1)*fbDigits]
		}
	})
	return g1Table
}

// mulG1 adds e*g1 to acc using the fixed-base table.
func mulG1(acc *bls.G1Jac, e *fr.Element) {
	t := fixedBaseTable()
	b := e.Bytes() // canonical big-endian
	for k := range fbWindows {
		if d := b[31-k]; d != 0 {
			acc.AddMixed(&t[k][d-1])
		}
	}
}
