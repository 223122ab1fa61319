package ledger

import (
	"encoding/binary"
	"fmt"
)

// checkMsgpack walks b, which must be exactly one msgpack value nested at most maxNesting deep,
// and fails if any string, binary or container declares more than the bytes left, so that
// decoding never allocates for data that is not there.
func checkMsgpack(b []byte) error {
	off, err := skipValue(b, 0, 0)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if off != len(b) {
		return fmt.Errorf("%w: %d bytes after the value", ErrMalformed, len(b)-off)
	}
	return nil
}

const maxNesting = 32

func skipValue(b []byte, off, depth int) (int, error) {
	if depth > maxNesting {
		return 0, fmt.Errorf("nested deeper than %d", maxNesting)
	}
	if off >= len(b) {
		return 0, fmt.Errorf("truncated at byte %d", off)
	}
	c := b[off]
	off++
	size := func(n int) (int, error) {
		if off+n > len(b) {
			return 0, fmt.Errorf("truncated length at byte %d", off)
		}
		var v uint64
		switch n {
		case 1:
			v = uint64(b[off])
		case 2:
			v = uint64(binary.BigEndian.Uint16(b[off:]))
		case 4:
			v = uint64(binary.BigEndian.Uint32(b[off:]))
		}
		off += n
		if v > uint64(len(b)-off) {
			return 0, fmt.Errorf("length %d at byte %d exceeds the %d bytes left", v, off, len(b)-off)
		}
		return int(v), nil
	}
	var n, elems int
	var err error
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
	case c&0xe0 == 0xa0:
		n = int(c & 0x1f)
	case c&0xf0 == 0x90:
		elems = int(c & 0x0f)
	case c&0xf0 == 0x80:
		elems = 2 * int(c&0x0f)
	case c == 0xc4 || c == 0xd9:
		n, err = size(1)
	case c == 0xc5 || c == 0xda:
		n, err = size(2)
	case c == 0xc6 || c == 0xdb:
		n, err = size(4)
	case c == 0xcc || c == 0xd0:
		n = 1
	case c == 0xcd || c == 0xd1:
		n = 2
	case c == 0xca || c == 0xce || c == 0xd2:
		n = 4
	case c == 0xcb || c == 0xcf || c == 0xd3:
		n = 8
	case c == 0xdc:
		elems, err = size(2)
	case c == 0xdd:
		elems, err = size(4)
	case c == 0xde:
		elems, err = size(2)
		elems *= 2
	case c == 0xdf:
		elems, err = size(4)
		elems *= 2
	default: // ext types and 0xc1 never occur in ledger records
		return 0, fmt.Errorf("type 0x%02x at byte %d", c, off-1)
	}
	if err != nil {
		return 0, err
	}
	if n > len(b)-off {
		return 0, fmt.Errorf("%d bytes at byte %d exceed the %d left", n, off, len(b)-off)
	}
	off += n
	if elems > len(b)-off {
		return 0, fmt.Errorf("%d elements at byte %d exceed the %d bytes left", elems, off, len(b)-off)
	}
	for i := 0; i < elems; i++ {
		if off, err = skipValue(b, off, depth+1); err != nil {
			return 0, err
		}
	}
	return off, nil
}
