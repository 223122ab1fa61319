package wire

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/lzw"
	"compress/zlib"
	"fmt"
	"io"
	"sync"

	"github.com/dsnet/compress/bzip2"
)

// Algo is a compression algorithm of the spec's list: the low byte of CompressInfo.
type Algo uint8

// The spec's compression algorithms, with the spec's codes.
const (
	AlgoNone  Algo = 0 // NONE: the body is carried as is
	AlgoBzip2 Algo = 1 // BZIP2: a bzip2 stream ("BZh" magic), written with block size 100k
	AlgoGzip  Algo = 2 // GZIP: an RFC 1952 member
	AlgoZlib  Algo = 3 // ZLIB: an RFC 1950 stream
	AlgoLZW   Algo = 4 // LZW: LSB-first codes, 8-bit literals (as compress/lzw with lzw.LSB, 8)
	AlgoFlate Algo = 5 // FLAT: raw RFC 1951 DEFLATE, no header or checksum
	maxAlgo        = AlgoFlate
)

// LZWOrder and LZWLitWidth are the parameters of AlgoLZW: codes packed least significant bit
// first, 8-bit literals, code width growing from 9 to 12 bits, as GIF and compress/lzw do.
const (
	LZWOrder    = lzw.LSB
	LZWLitWidth = 8
)

// flateLevel is the DEFLATE level used for GZIP, ZLIB and FLAT. Frames are compressed to save
// bandwidth on a link that is itself fast, so the fastest level wins; any level decodes.
const flateLevel = flate.BestSpeed

// bzip2Level selects bzip2's 100k block size: a body never exceeds 64 KiB, so larger blocks only
// cost memory.
const bzip2Level = 1

var algoNames = [...]string{"none", "bzip2", "gzip", "zlib", "lzw", "flate"}

// String returns the algorithm's lower-case name ("gzip") or "algo(N)" for an unknown code.
func (a Algo) String() string {
	if a.Valid() {
		return algoNames[a]
	}
	return fmt.Sprintf("algo(%d)", uint8(a))
}

// Valid reports whether a is one of the six algorithms of the spec.
func (a Algo) Valid() bool { return a <= maxAlgo }

// Algos returns the six algorithms in code order.
func Algos() []Algo { return []Algo{AlgoNone, AlgoBzip2, AlgoGzip, AlgoZlib, AlgoLZW, AlgoFlate} }

// ParseAlgo maps a name of String ("gzip", "flate", ...) back to its Algo.
func ParseAlgo(name string) (Algo, error) {
	for i, n := range algoNames {
		if n == name {
			return Algo(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %q (want none, bzip2, gzip, zlib, lzw or flate)", ErrUnknownCompression, name)
}

// appendWriter is an io.Writer that appends to buf.
type appendWriter struct{ buf []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// compressor is a pooled encoder of one algorithm, writing into out.
type compressor struct {
	out appendWriter
	w   io.WriteCloser
	// reset points w at c.out again for a new stream.
	reset func()
}

// decompressor is a pooled decoder of one algorithm, reading from in.
type decompressor struct {
	in  bytes.Reader
	r   io.Reader
	one [1]byte // scratch for the read past the bound; a field so it does not escape per call
	// reset points r at d.in again for a new stream.
	reset func() error
}

var (
	compressors   [maxAlgo + 1]sync.Pool
	decompressors [maxAlgo + 1]sync.Pool
)

func newCompressor(a Algo) (*compressor, error) {
	c := &compressor{}
	switch a {
	case AlgoBzip2:
		zw, err := bzip2.NewWriter(&c.out, &bzip2.WriterConfig{Level: bzip2Level})
		if err != nil {
			return nil, err
		}
		c.w, c.reset = zw, func() { _ = zw.Reset(&c.out) }
	case AlgoGzip:
		zw, _ := gzip.NewWriterLevel(&c.out, flateLevel)
		c.w, c.reset = zw, func() { zw.Reset(&c.out) }
	case AlgoZlib:
		zw, _ := zlib.NewWriterLevel(&c.out, flateLevel)
		c.w, c.reset = zw, func() { zw.Reset(&c.out) }
	case AlgoLZW:
		zw := lzw.NewWriter(&c.out, LZWOrder, LZWLitWidth).(*lzw.Writer)
		c.w, c.reset = zw, func() { zw.Reset(&c.out, LZWOrder, LZWLitWidth) }
	case AlgoFlate:
		zw, _ := flate.NewWriter(&c.out, flateLevel)
		c.w, c.reset = zw, func() { zw.Reset(&c.out) }
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnknownCompression, a)
	}
	return c, nil
}

func newDecompressor(a Algo) (*decompressor, error) {
	d := &decompressor{}
	switch a {
	case AlgoBzip2:
		zr, err := bzip2.NewReader(&d.in, nil)
		if err != nil {
			return nil, err
		}
		d.r, d.reset = zr, func() error { return zr.Reset(&d.in) }
	case AlgoGzip:
		zr := new(gzip.Reader)
		d.r, d.reset = zr, func() error {
			if err := zr.Reset(&d.in); err != nil {
				return err
			}
			zr.Multistream(false)
			return nil
		}
	case AlgoZlib:
		var zr io.ReadCloser
		d.reset = func() error {
			if zr == nil {
				var err error
				if zr, err = zlib.NewReader(&d.in); err != nil {
					return err
				}
				d.r = zr
				return nil
			}
			return zr.(zlib.Resetter).Reset(&d.in, nil)
		}
	case AlgoLZW:
		zr := lzw.NewReader(&d.in, LZWOrder, LZWLitWidth).(*lzw.Reader)
		d.r, d.reset = zr, func() error { zr.Reset(&d.in, LZWOrder, LZWLitWidth); return nil }
	case AlgoFlate:
		zr := flate.NewReader(&d.in)
		d.r, d.reset = zr, func() error { return zr.(flate.Resetter).Reset(&d.in, nil) }
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnknownCompression, a)
	}
	return d, nil
}

// Compress appends the compressed form of src under algorithm a to dst and returns the extended
// slice. AlgoNone appends src unchanged. Encoders are pooled, so Compress allocates nothing in
// the steady state beyond growing dst. It is safe for concurrent use.
func Compress(a Algo, dst, src []byte) ([]byte, error) {
	if a == AlgoNone {
		return append(dst, src...), nil
	}
	if !a.Valid() {
		return dst, fmt.Errorf("compress: %w: %v", ErrUnknownCompression, a)
	}
	c, _ := compressors[a].Get().(*compressor)
	if c == nil {
		var err error
		if c, err = newCompressor(a); err != nil {
			return dst, fmt.Errorf("compress %v: %w", a, err)
		}
	} else {
		c.reset()
	}
	c.out.buf = dst
	_, err := c.w.Write(src)
	if err == nil {
		err = c.w.Close()
	}
	out := c.out.buf
	c.out.buf = nil
	compressors[a].Put(c)
	if err != nil {
		return dst, fmt.Errorf("compress %v: %w", a, err)
	}
	return out, nil
}

// Decompress appends the decompressed form of src under algorithm a to dst, writing at most
// limit bytes: if the stream holds more, it stops there and returns ErrOversized, so a small
// body cannot expand into a large allocation. dst grows by at most limit bytes. Bytes after the
// end of the compressed stream are ignored. A stream that does not decode is ErrMalformed.
// Decoders are pooled; Decompress is safe for concurrent use.
func Decompress(a Algo, dst, src []byte, limit int) ([]byte, error) {
	if a == AlgoNone {
		if len(src) > limit {
			return dst, fmt.Errorf("%w: body of %d bytes exceeds the bound of %d", ErrOversized, len(src), limit)
		}
		return append(dst, src...), nil
	}
	if !a.Valid() {
		return dst, fmt.Errorf("decompress: %w: %v", ErrUnknownCompression, a)
	}
	d, _ := decompressors[a].Get().(*decompressor)
	if d == nil {
		var err error
		if d, err = newDecompressor(a); err != nil {
			return dst, fmt.Errorf("decompress %v: %w", a, err)
		}
	}
	d.in.Reset(src)
	out, err := d.decode(dst, limit)
	d.in.Reset(nil)
	if err != nil {
		// A decoder stopped early may keep state its Reset does not clear (dsnet's bzip2 reader
		// keeps undelivered output), so only decoders that reached the end are reused.
		return dst, fmt.Errorf("decompress %v body of %d bytes: %w", a, len(src), err)
	}
	decompressors[a].Put(d)
	return out, nil
}

func (d *decompressor) decode(dst []byte, limit int) ([]byte, error) {
	if err := d.reset(); err != nil {
		return dst, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	start := len(dst)
	if cap(dst)-start < limit {
		grown := make([]byte, start, start+limit)
		copy(grown, dst)
		dst = grown
	}
	buf := dst[start : start+limit]
	n := 0
	for n < len(buf) {
		m, err := d.r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return dst[:start+n], nil
		}
		if err != nil {
			return dst[:start], fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	dst = dst[:start+n]
	// limit bytes read: the stream must end here.
	for {
		m, err := d.r.Read(d.one[:])
		if m > 0 {
			return dst, fmt.Errorf("%w: body decompresses past the bound of %d bytes", ErrOversized, limit)
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
}
