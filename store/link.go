package store

import (
	"encoding/binary"
	"fmt"
)

// Block sizes and the tree's shape. See docs/store.md.
const (
	// BlockSize is the size of every data block but the last of a file.
	BlockSize = 256 << 10
	// FanOut is the most children a link block holds.
	FanOut = 1024
	// MaxLevel is the highest level a link block may have: FanOut^5 data blocks of BlockSize
	// exceed any 64-bit file size.
	MaxLevel = 5
	// MaxBlockSize bounds any block, data or link, that the store accepts.
	MaxBlockSize = BlockSize
	// linkHeaderSize is the fixed part of a link block before the child hashes.
	linkHeaderSize = 20
	// MaxLinkSize is the size of a link block with FanOut children.
	MaxLinkSize = linkHeaderSize + FanOut*HashSize
)

// linkMagic starts every link block.
var linkMagic = [4]byte{'D', 'S', 'P', 'L'}

// linkVersion is the link block format version.
const linkVersion = 1

// Link is a decoded link block.
//
// Byte format (big-endian), 20 + 32*len(Children) bytes:
//
//	0  4  magic "DSPL"
//	4  1  version, 1
//	5  1  level: 1 = children are data blocks; L > 1 = children are link blocks of level L-1
//	6  2  reserved, zero
//	8  8  size: bytes of file data under this block (the root: the file size)
//	16 4  count of children, 1..FanOut
//	20 .  count child hashes of 32 bytes, in file order
type Link struct {
	Level    int
	Size     uint64
	Children []Hash
}

// Encode returns the link block's bytes.
func (l *Link) Encode() []byte {
	b := make([]byte, linkHeaderSize+HashSize*len(l.Children))
	copy(b, linkMagic[:])
	b[4] = linkVersion
	b[5] = byte(l.Level)
	binary.BigEndian.PutUint64(b[8:], l.Size)
	binary.BigEndian.PutUint32(b[16:], uint32(len(l.Children)))
	for i, c := range l.Children {
		copy(b[linkHeaderSize+i*HashSize:], c[:])
	}
	return b
}

// DecodeLink parses a link block. Besides the byte format it checks that the block is
// self-consistent: the child count is the one its level and size prescribe (see dataBlocks and
// childCount). Whether the block sits where its parent expects it is checked by the tree walk.
func DecodeLink(b []byte) (*Link, error) {
	if len(b) < linkHeaderSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadLink, len(b))
	}
	if [4]byte(b[:4]) != linkMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrBadLink)
	}
	if b[4] != linkVersion {
		return nil, fmt.Errorf("%w: version %d", ErrBadLink, b[4])
	}
	l := &Link{Level: int(b[5]), Size: binary.BigEndian.Uint64(b[8:])}
	if l.Level < 1 || l.Level > MaxLevel || b[6] != 0 || b[7] != 0 {
		return nil, fmt.Errorf("%w: level %d, reserved %x", ErrBadLink, l.Level, b[6:8])
	}
	count := binary.BigEndian.Uint32(b[16:])
	if count < 1 || count > FanOut || len(b) != linkHeaderSize+int(count)*HashSize {
		return nil, fmt.Errorf("%w: %d children in %d bytes", ErrBadLink, count, len(b))
	}
	if want, ok := childCount(l.Level, l.Size); !ok || uint64(count) != want {
		return nil, fmt.Errorf("%w: %d children for level %d and size %d", ErrBadLink, count, l.Level, l.Size)
	}
	l.Children = make([]Hash, count)
	for i := range l.Children {
		copy(l.Children[i][:], b[linkHeaderSize+i*HashSize:])
	}
	return l, nil
}

// dataBlocks is the number of data blocks of a file of size bytes: an empty file has one
// empty data block.
func dataBlocks(size uint64) uint64 {
	if size == 0 {
		return 1
	}
	return (size + BlockSize - 1) / BlockSize
}

// span is the number of data blocks under a full node of level: FanOut^level (a data block
// counts as level 0).
func span(level int) uint64 {
	s := uint64(1)
	for range level {
		s *= FanOut
	}
	return s
}

// childCount is the number of children of a node of level over size bytes, and whether such a
// node can exist (it holds at most FanOut children).
func childCount(level int, size uint64) (uint64, bool) {
	n := dataBlocks(size)
	per := span(level - 1)
	c := (n + per - 1) / per
	return c, c >= 1 && c <= FanOut
}

// depth is the level of the root of a file of size bytes: the least level >= 1 whose single node
// covers all its data blocks.
func depth(size uint64) int {
	n := dataBlocks(size)
	l := 1
	for span(l) < n {
		l++
	}
	return l
}

// childSize is the number of file bytes under child i of a node of level over size bytes.
func childSize(level int, size uint64, i uint64) uint64 {
	per := span(level-1) * BlockSize
	start := i * per
	if start >= size {
		return 0
	}
	return min(per, size-start)
}
