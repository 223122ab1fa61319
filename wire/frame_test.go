package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

const helloBody = "hello hello hello hello hello hello"

// Frames carrying helloBody on network 1, compressed by independent implementations (Python's
// bz2, gzip, zlib; Go's compress/lzw for LZW, which has no other common implementation).
var frameVectors = []struct {
	algo Algo
	hex  string
}{
	{AlgoNone, "00000001" + "0000" + "00000023" + hex.EncodeToString([]byte(helloBody))},
	{AlgoBzip2, "00000001" + "0101" + "0000002e" + "425a6831314159265359daee3ac4000005910040000244a00030cd008a31520f7a41a0e177245385090daee3ac40"},
	{AlgoGzip, "00000001" + "0102" + "0000001d" + "1f8b0800000000000203cb48cdc9c957c8c04702005737628523000000"},
	{AlgoZlib, "00000001" + "0103" + "00000011" + "789ccb48cdc9c957c8c0470200eb550d19"},
	{AlgoLZW, "00000001" + "0104" + "00000017" + lzwHello},
	{AlgoFlate, "00000001" + "0105" + "0000000b" + "cb48cdc9c957c8c0470200"},
}

// lzwHello is helloBody under compress/lzw with LSB order and 8-bit literals.
const lzwHello = "00d19461c3e60d0881040d222c787020c3850a1dbe0908"

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFrameVectorsDecode(t *testing.T) {
	for _, v := range frameVectors {
		t.Run(v.algo.String(), func(t *testing.T) {
			f, err := ReadFrame(bytes.NewReader(mustHex(t, v.hex)))
			if err != nil {
				t.Fatal(err)
			}
			if f.NetworkID != 1 || f.Algo != v.algo || f.Compressed != (v.algo != AlgoNone) || f.More {
				t.Fatalf("header = %+v", f)
			}
			body, err := f.Decompress(nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != helloBody {
				t.Fatalf("body = %q", body)
			}
		})
	}
}

// The deterministic encoders must reproduce the vectors byte for byte; the DEFLATE family and
// bzip2 may legally differ from Python's output, so they are checked by round trip instead.
func TestFrameVectorsEncode(t *testing.T) {
	for _, v := range frameVectors {
		if v.algo != AlgoNone && v.algo != AlgoLZW {
			continue
		}
		body, err := Compress(v.algo, nil, []byte(helloBody))
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendFrame(nil, Frame{NetworkID: 1, Compressed: v.algo != AlgoNone, Algo: v.algo, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != v.hex {
			t.Errorf("%v frame = %x, want %s", v.algo, got, v.hex)
		}
	}
}

func TestCompressInfo(t *testing.T) {
	for _, tc := range []struct {
		f    Frame
		want uint16
	}{
		{Frame{}, 0x0000},
		{Frame{Compressed: true, Algo: AlgoGzip}, 0x0102},
		{Frame{More: true}, 0x0200},
		{Frame{Compressed: true, More: true, Algo: AlgoFlate}, 0x0305},
	} {
		if got := tc.f.CompressInfo(); got != tc.want {
			t.Errorf("%+v: CompressInfo = %#04x, want %#04x", tc.f, got, tc.want)
		}
	}
}

func testBodies() map[string][]byte {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, MaxPackageSize)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	return map[string][]byte{
		"empty":  {},
		"byte":   {42},
		"text":   []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 1500))[:MaxPackageSize],
		"random": random,
	}
}

func TestCompressRoundTrip(t *testing.T) {
	for _, a := range Algos() {
		for name, body := range testBodies() {
			c, err := Compress(a, []byte("prefix"), body)
			if err != nil {
				t.Fatalf("%v %s: %v", a, name, err)
			}
			if string(c[:6]) != "prefix" {
				t.Fatalf("%v %s: Compress did not append", a, name)
			}
			d, err := Decompress(a, []byte("x"), c[6:], MaxPackageSize)
			if err != nil {
				t.Fatalf("%v %s: %v", a, name, err)
			}
			if !bytes.Equal(d[1:], body) || d[0] != 'x' {
				t.Fatalf("%v %s: round trip differs", a, name)
			}
		}
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, a := range Algos() {
		for name, body := range testBodies() {
			c, _ := Compress(a, nil, body)
			if len(c) > MaxPackageSize {
				continue // random data grows; a Writer would send it uncompressed
			}
			in := Frame{NetworkID: 0xdeadbeef, Compressed: a != AlgoNone, More: len(body)%2 == 1, Algo: a, Body: c}
			var buf bytes.Buffer
			if err := WriteFrame(&buf, in); err != nil {
				t.Fatal(err)
			}
			if buf.Len() != HeaderSize+len(c) {
				t.Fatalf("frame is %d bytes, want %d", buf.Len(), HeaderSize+len(c))
			}
			out, err := ReadFrame(&buf)
			if err != nil {
				t.Fatalf("%v %s: %v", a, name, err)
			}
			if out.NetworkID != in.NetworkID || out.Algo != a || out.More != in.More || !bytes.Equal(out.Body, c) {
				t.Fatalf("%v %s: frame differs", a, name)
			}
			d, err := out.Decompress(nil)
			if err != nil || !bytes.Equal(d, body) {
				t.Fatalf("%v %s: body differs (%v)", a, name, err)
			}
		}
	}
}

func header(network uint32, info uint16, length uint32) []byte {
	return appendHeader(nil, network, info, int(length))
}

func TestReadFrameErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want error
		text string
	}{
		{"empty stream", nil, io.EOF, ""},
		{"truncated header", header(1, 0, 5)[:7], ErrTruncated, "7 of 10"},
		{"truncated body", append(header(1, 0, 5), "hel"...), ErrTruncated, "3 of 5"},
		{"oversized length", header(1, 0, MaxPackageSize+1), ErrOversized, "65537"},
		{"huge length", header(1, 0, 0xffffffff), ErrOversized, "4294967295 exceeds MAX_PACKAGE_SIZE 65536"},
		{"unknown algo", header(1, 0x0106, 0), ErrUnknownCompression, "algorithm 6"},
		{"unknown algo uncompressed", header(1, 0x00ff, 0), ErrUnknownCompression, "algorithm 255"},
		{"reserved flag", header(1, 0x0400, 0), ErrUnknownCompression, "reserved flag bits 0x04"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFrame(bytes.NewReader(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.text)
			}
		})
	}
}

func TestFrameAtBound(t *testing.T) {
	body := make([]byte, MaxPackageSize)
	var buf bytes.Buffer
	if err := WriteFrame(&buf, Frame{NetworkID: 1, Body: body}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFrame(&buf); err != nil {
		t.Fatal(err)
	}
	err := WriteFrame(&buf, Frame{NetworkID: 1, Body: append(body, 0)})
	if !errors.Is(err, ErrOversized) {
		t.Fatalf("writing a %d-byte body: err = %v", MaxPackageSize+1, err)
	}
	if err := WriteFrame(&buf, Frame{Algo: 9}); !errors.Is(err, ErrUnknownCompression) {
		t.Fatalf("writing algo 9: err = %v", err)
	}
}

// bomb returns a body of algorithm a that decompresses to n zero bytes.
func bomb(t testing.TB, a Algo, n int) []byte {
	t.Helper()
	c, err := Compress(a, nil, make([]byte, n))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecompressBomb(t *testing.T) {
	for _, a := range Algos()[1:] {
		t.Run(a.String(), func(t *testing.T) {
			c := bomb(t, a, 1<<20) // 1 MiB of zeros: 16 times the bound
			if len(c) > MaxPackageSize {
				t.Fatalf("bomb is %d bytes", len(c))
			}
			f := Frame{NetworkID: 1, Compressed: true, Algo: a, Body: c}
			out, err := f.Decompress(make([]byte, 0, 8))
			if !errors.Is(err, ErrOversized) {
				t.Fatalf("err = %v, want ErrOversized", err)
			}
			if cap(out) > MaxPackageSize+8 {
				t.Fatalf("decompression grew its buffer to %d bytes", cap(out))
			}
			// Exactly at the bound is fine.
			d, err := Decompress(a, nil, bomb(t, a, MaxPackageSize), MaxPackageSize)
			if err != nil || len(d) != MaxPackageSize {
				t.Fatalf("body of exactly the bound: %d bytes, %v", len(d), err)
			}
			if _, err := Decompress(a, nil, bomb(t, a, MaxPackageSize+1), MaxPackageSize); !errors.Is(err, ErrOversized) {
				t.Fatalf("one byte past the bound: err = %v", err)
			}
		})
	}
}

func TestDecompressMalformed(t *testing.T) {
	for _, a := range Algos()[1:] {
		good := bomb(t, a, 1000)
		for name, body := range map[string][]byte{
			"garbage":   []byte("this is not a compressed stream at all, not one bit"),
			"truncated": good[:len(good)/2],
			"empty":     nil,
		} {
			_, err := Decompress(a, nil, body, MaxPackageSize)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%v %s: err = %v, want ErrMalformed", a, name, err)
			}
		}
	}
}

// A Length over the bound is rejected from the header alone: nothing the size of the claimed body
// is allocated.
func TestReadFrameOversizedDoesNotAllocate(t *testing.T) {
	in := header(1, 0, 0xffffffff)
	r := bytes.NewReader(in)
	per := bytesPerRun(100, func() {
		r.Reset(in)
		if _, err := ReadFrame(r); !errors.Is(err, ErrOversized) {
			t.Fatal(err)
		}
	})
	if per > 1024 { // the error value and its message only
		t.Fatalf("ReadFrame allocated %d bytes for a rejected header", per)
	}
}

// bytesPerRun returns the bytes f allocates per call, averaged over n calls, with the collector
// held off.
func bytesPerRun(n int, f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

func TestReadFrameBufReuses(t *testing.T) {
	frame, _ := AppendFrame(nil, Frame{NetworkID: 1, Body: make([]byte, MaxPackageSize)})
	buf := make([]byte, MaxPackageSize)
	r := bytes.NewReader(frame)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(frame)
		if _, err := ReadFrameBuf(r, buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ReadFrameBuf allocated %v times per frame", allocs)
	}
}

func TestAlgoNames(t *testing.T) {
	for _, a := range Algos() {
		b, err := ParseAlgo(a.String())
		if err != nil || b != a {
			t.Fatalf("ParseAlgo(%q) = %v, %v", a, b, err)
		}
	}
	if _, err := ParseAlgo("zstd"); !errors.Is(err, ErrUnknownCompression) {
		t.Fatal(err)
	}
	if Algo(7).Valid() || Algo(7).String() != "algo(7)" {
		t.Fatal("algo 7")
	}
}
