package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxPackageSize is the spec's MAX_PACKAGE_SIZE (1024 * 64): the bound on a frame's Length and on
// the size of a frame body after decompression.
const MaxPackageSize = 64 * 1024

// HeaderSize is the size of a frame header: NetworkID u32 | CompressInfo u16 | Length u32, all
// big-endian.
const HeaderSize = 10

// DefaultMaxMessageSize bounds one reassembled message unless a Config says otherwise: a 256 KiB
// block with its envelope fits many times over.
const DefaultMaxMessageSize = 4 << 20

// The bits of CompressInfo's high byte.
const (
	// FlagCompressed is the spec's CompressEnable: the body is compressed with the algorithm in
	// the low byte.
	FlagCompressed = 1 << 0
	// FlagMore is this implementation's extension: another fragment of the same message follows
	// this frame on the stream.
	FlagMore = 1 << 1
	// flagsKnown are the high-byte bits a reader accepts; any other bit is ErrUnknownCompression.
	flagsKnown = FlagCompressed | FlagMore
)

// Frame is one frame as carried on the stream. Body is the body as carried: compressed when
// Compressed is set, so len(Body) is the header's Length.
type Frame struct {
	NetworkID  uint32
	Compressed bool // CompressInfo bit 8: Body is compressed with Algo
	More       bool // CompressInfo bit 9: another fragment of the same message follows
	Algo       Algo // CompressInfo low byte
	Body       []byte
}

// CompressInfo returns the frame's 16-bit CompressInfo field: flags<<8 | algo.
func (f Frame) CompressInfo() uint16 {
	var hi uint16
	if f.Compressed {
		hi |= FlagCompressed
	}
	if f.More {
		hi |= FlagMore
	}
	return hi<<8 | uint16(f.Algo)
}

// Decompress appends the frame's decompressed body to dst (Body itself when not Compressed),
// writing at most MaxPackageSize bytes; see the package function Decompress.
func (f Frame) Decompress(dst []byte) ([]byte, error) {
	return f.decompress(dst, MaxPackageSize)
}

func (f Frame) decompress(dst []byte, limit int) ([]byte, error) {
	if !f.Compressed {
		return Decompress(AlgoNone, dst, f.Body, limit)
	}
	return Decompress(f.Algo, dst, f.Body, limit)
}

func (f Frame) check() error {
	if !f.Algo.Valid() {
		return fmt.Errorf("%w: algorithm code %d", ErrUnknownCompression, uint8(f.Algo))
	}
	if len(f.Body) > MaxPackageSize {
		return fmt.Errorf("%w: frame body of %d bytes exceeds MAX_PACKAGE_SIZE %d", ErrOversized, len(f.Body), MaxPackageSize)
	}
	return nil
}

// AppendFrame appends f's header and body to dst. It fails with ErrUnknownCompression for an
// algorithm outside the spec's list and ErrOversized for a body over MaxPackageSize.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	if err := f.check(); err != nil {
		return dst, err
	}
	dst = appendHeader(dst, f.NetworkID, f.CompressInfo(), len(f.Body))
	return append(dst, f.Body...), nil
}

func appendHeader(dst []byte, network uint32, info uint16, length int) []byte {
	dst = binary.BigEndian.AppendUint32(dst, network)
	dst = binary.BigEndian.AppendUint16(dst, info)
	return binary.BigEndian.AppendUint32(dst, uint32(length))
}

// WriteFrame writes f to w in one Write call. The body is written as given: WriteFrame does not
// compress (see Compress and Writer).
func WriteFrame(w io.Writer, f Frame) error {
	if err := f.check(); err != nil {
		return err
	}
	var hdr [HeaderSize]byte
	appendHeader(hdr[:0], f.NetworkID, f.CompressInfo(), len(f.Body))
	if len(f.Body) == 0 {
		_, err := w.Write(hdr[:])
		return err
	}
	buf := make([]byte, 0, HeaderSize+len(f.Body))
	buf = append(append(buf, hdr[:]...), f.Body...)
	_, err := w.Write(buf)
	return err
}

// ReadFrame reads one frame from r. It checks the header before it allocates: a Length over
// MaxPackageSize is ErrOversized and an unknown algorithm or reserved flag is
// ErrUnknownCompression, both without reading the body. A stream that ends before the first
// header byte returns io.EOF; one that ends inside the frame returns ErrTruncated. The body is
// returned as carried (see Frame.Decompress).
func ReadFrame(r io.Reader) (Frame, error) {
	return ReadFrameBuf(r, nil)
}

// ReadFrameBuf is ReadFrame reading the body into buf when cap(buf) suffices, so a caller that
// passes a MaxPackageSize buffer back in reads frames without allocating. The returned Body
// aliases buf in that case.
func ReadFrameBuf(r io.Reader, buf []byte) (Frame, error) {
	if cap(buf) < HeaderSize {
		buf = make([]byte, HeaderSize)
	}
	hdr := buf[:HeaderSize] // the header is read into buf too, so nothing escapes per call
	if n, err := io.ReadFull(r, hdr); err != nil {
		if err == io.EOF {
			return Frame{}, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Frame{}, fmt.Errorf("%w: frame header: stream ended after %d of %d bytes", ErrTruncated, n, HeaderSize)
		}
		return Frame{}, fmt.Errorf("read frame header: %w", err)
	}
	f, length, err := parseHeader([HeaderSize]byte(hdr))
	if err != nil {
		return Frame{}, err
	}
	if cap(buf) < length {
		buf = make([]byte, length)
	}
	f.Body = buf[:length]
	if n, err := io.ReadFull(r, f.Body); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Frame{}, fmt.Errorf("%w: frame body: stream ended after %d of %d bytes", ErrTruncated, n, length)
		}
		return Frame{}, fmt.Errorf("read frame body: %w", err)
	}
	return f, nil
}

// parseHeader decodes and checks a frame header, returning the frame without its body and the
// body's length.
func parseHeader(hdr [HeaderSize]byte) (Frame, int, error) {
	info := binary.BigEndian.Uint16(hdr[4:6])
	length := binary.BigEndian.Uint32(hdr[6:10])
	f := Frame{
		NetworkID:  binary.BigEndian.Uint32(hdr[0:4]),
		Compressed: info>>8&FlagCompressed != 0,
		More:       info>>8&FlagMore != 0,
		Algo:       Algo(info),
	}
	if flags := info >> 8; flags&^flagsKnown != 0 {
		return Frame{}, 0, fmt.Errorf("%w: CompressInfo 0x%04x sets reserved flag bits 0x%02x", ErrUnknownCompression, info, flags&^flagsKnown)
	}
	if !f.Algo.Valid() {
		return Frame{}, 0, fmt.Errorf("%w: CompressInfo 0x%04x names algorithm %d (known: 0-5)", ErrUnknownCompression, info, uint8(f.Algo))
	}
	if length > MaxPackageSize {
		return Frame{}, 0, fmt.Errorf("%w: frame Length %d exceeds MAX_PACKAGE_SIZE %d", ErrOversized, length, MaxPackageSize)
	}
	return f, int(length), nil
}
