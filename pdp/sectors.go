package pdp

import (
	"encoding/binary"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

const mask56 = 1<<56 - 1

// loadSectors writes the sectors of block into dst[:sectorCount(len(block))] as raw little-endian
// limbs: dst[j] then holds the value m_j * R^-1 (see montR). No big.Int, no reduction: a 31-byte
// integer is below 2^248 < r, so it is already a reduced Montgomery representative.
func loadSectors(dst []fr.Element, block []byte) []fr.Element {
	n := len(block)
	k := sectorCount(n)
	dst = dst[:k]
	j, off := 0, 0
	// Fast path: the fourth limb reads 8 bytes (one past the sector) and masks the extra byte.
	for ; off+32 <= n; j, off = j+1, off+SectorSize {
		p := block[off : off+32 : off+32]
		dst[j] = fr.Element{
			binary.LittleEndian.Uint64(p[0:8]),
			binary.LittleEndian.Uint64(p[8:16]),
			binary.LittleEndian.Uint64(p[16:24]),
			binary.LittleEndian.Uint64(p[24:32]) & mask56,
		}
	}
	for ; j < k; j, off = j+1, off+SectorSize {
		var buf [32]byte
		copy(buf[:SectorSize], block[off:min(n, off+SectorSize)])
		dst[j] = fr.Element{
			binary.LittleEndian.Uint64(buf[0:8]),
			binary.LittleEndian.Uint64(buf[8:16]),
			binary.LittleEndian.Uint64(buf[16:24]),
			binary.LittleEndian.Uint64(buf[24:32]),
		}
	}
	return dst
}
