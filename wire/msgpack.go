package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The envelope (Message and ID) is encoded and decoded by hand with the msgpack formats below
// rather than by reflection: decoding then aliases the payload instead of copying it, and records
// where the signature lies so Verify can check the bytes as received. Encoders write the shortest
// form of each type; decoders accept every msgpack form of the expected type.

func appendArrayLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
}

func appendBin(b, p []byte) []byte {
	switch n := len(p); {
	case n <= math.MaxUint8:
		b = append(b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xc5), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xc6), uint32(n))
	}
	return append(b, p...)
}

func appendStr(b []byte, s string) []byte {
	switch n := len(s); {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

func appendUint(b []byte, v uint64) []byte {
	switch {
	case v <= math.MaxInt8:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

// mpReader decodes msgpack values from b, starting at off. Every method checks bounds and
// returns ErrMalformed naming the field and offset on a type or length error.
type mpReader struct {
	b   []byte
	off int
}

func (r *mpReader) errf(field, format string, a ...any) error {
	return fmt.Errorf("%w: %s at byte %d: %s", ErrMalformed, field, r.off, fmt.Sprintf(format, a...))
}

func (r *mpReader) need(field string, n int) error {
	if n < 0 || len(r.b)-r.off < n {
		return r.errf(field, "needs %d bytes, %d left", n, len(r.b)-r.off)
	}
	return nil
}

// code reads one type byte.
func (r *mpReader) code(field string) (byte, error) {
	if err := r.need(field, 1); err != nil {
		return 0, err
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

// size reads a big-endian length of n bytes (1, 2 or 4).
func (r *mpReader) size(field string, n int) (int, error) {
	if err := r.need(field, n); err != nil {
		return 0, err
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	switch n {
	case 1:
		return int(p[0]), nil
	case 2:
		return int(binary.BigEndian.Uint16(p)), nil
	}
	return int(binary.BigEndian.Uint32(p)), nil
}

func (r *mpReader) arrayLen(field string) (int, error) {
	c, err := r.code(field)
	if err != nil {
		return 0, err
	}
	switch {
	case c&0xf0 == 0x90:
		return int(c & 0x0f), nil
	case c == 0xdc:
		return r.size(field, 2)
	case c == 0xdd:
		return r.size(field, 4)
	}
	r.off--
	return 0, r.errf(field, "type 0x%02x is not an array", c)
}

// raw reads a bin, str or nil value and returns its bytes (nil when empty), aliasing r.b with the
// capacity cut to the value so an append cannot overwrite what follows.
func (r *mpReader) raw(field string) ([]byte, error) {
	c, err := r.code(field)
	if err != nil {
		return nil, err
	}
	var n int
	switch {
	case c == 0xc0:
		return nil, nil
	case c&0xe0 == 0xa0:
		n = int(c & 0x1f)
	case c == 0xc4, c == 0xd9:
		n, err = r.size(field, 1)
	case c == 0xc5, c == 0xda:
		n, err = r.size(field, 2)
	case c == 0xc6, c == 0xdb:
		n, err = r.size(field, 4)
	default:
		r.off--
		return nil, r.errf(field, "type 0x%02x is not bin or str", c)
	}
	if err != nil {
		return nil, err
	}
	if err := r.need(field, n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	v := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return v, nil
}

// uint reads a non-negative integer of any msgpack integer format that is at most max.
func (r *mpReader) uint(field string, max uint64) (uint64, error) {
	start := r.off
	c, err := r.code(field)
	if err != nil {
		return 0, err
	}
	var v uint64
	neg := false
	switch {
	case c <= 0x7f:
		v = uint64(c)
	case c >= 0xe0:
		neg = true
	case c == 0xcc || c == 0xd0:
		var n int
		n, err = r.size(field, 1)
		v, neg = uint64(n), c == 0xd0 && n >= 0x80
	case c == 0xcd || c == 0xd1:
		var n int
		n, err = r.size(field, 2)
		v, neg = uint64(n), c == 0xd1 && n >= 0x8000
	case c == 0xce || c == 0xd2:
		var n int
		n, err = r.size(field, 4)
		v, neg = uint64(uint32(n)), c == 0xd2 && uint32(n) >= 0x80000000
	case c == 0xcf || c == 0xd3:
		if err = r.need(field, 8); err == nil {
			v = binary.BigEndian.Uint64(r.b[r.off:])
			r.off += 8
			neg = c == 0xd3 && v >= 1<<63
		}
	default:
		r.off = start
		return 0, r.errf(field, "type 0x%02x is not an integer", c)
	}
	if err != nil {
		return 0, err
	}
	if neg || v > max {
		r.off = start
		return 0, r.errf(field, "integer out of range 0..%d", max)
	}
	return v, nil
}

func (r *mpReader) bool(field string) (bool, error) {
	c, err := r.code(field)
	if err != nil {
		return false, err
	}
	switch c {
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	}
	r.off--
	return false, r.errf(field, "type 0x%02x is not a bool", c)
}
