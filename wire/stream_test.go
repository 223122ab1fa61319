package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"
)

func randomBytes(seed uint64, n int) []byte {
	rnd := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// compressible returns n bytes of text-like data.
func compressible(n int) []byte {
	b := make([]byte, 0, n+64)
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, "block %d of a file stored on the network; ", i%97)
	}
	return b[:n]
}

var fragmentSizes = []int{0, 1, MaxPackageSize - 1, MaxPackageSize, MaxPackageSize + 1, 300 << 10}

func TestStreamRoundTrip(t *testing.T) {
	for _, a := range Algos() {
		for _, n := range fragmentSizes {
			for _, kind := range []string{"text", "random"} {
				if kind == "random" && n != 1 && n != MaxPackageSize+1 {
					continue // incompressible data takes the uncompressed path; two sizes show it
				}
				t.Run(fmt.Sprintf("%v/%d/%s", a, n, kind), func(t *testing.T) {
					p := compressible(n)
					if kind == "random" {
						p = randomBytes(uint64(n), n)
					}
					c := Config{NetworkID: 7, Algo: a, Threshold: 100}
					var buf bytes.Buffer
					w := NewWriter(&buf, c)
					for range 2 {
						if err := w.WritePayload(p); err != nil {
							t.Fatal(err)
						}
					}
					frames := countFrames(t, buf.Bytes())
					if want := 2 * max(1, (n+MaxPackageSize-1)/MaxPackageSize); frames != want {
						t.Fatalf("%d frames, want %d", frames, want)
					}
					r := NewReader(&buf, c)
					for range 2 {
						got, err := r.ReadPayload()
						if err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(got, p) {
							t.Fatalf("payload of %d bytes came back as %d bytes", len(p), len(got))
						}
					}
					if _, err := r.ReadPayload(); err != io.EOF {
						t.Fatalf("at end: err = %v, want io.EOF", err)
					}
				})
			}
		}
	}
}

// countFrames walks a stream of frames, checking each against the bounds.
func countFrames(t *testing.T, b []byte) int {
	t.Helper()
	r := bytes.NewReader(b)
	n := 0
	for {
		f, err := ReadFrame(r)
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Compressed && f.Algo == AlgoNone {
			t.Fatal("a Writer flagged an uncompressed body as compressed")
		}
		n++
	}
}

func TestWriterCompressesOnlyWhenWorthIt(t *testing.T) {
	for _, tc := range []struct {
		name       string
		payload    []byte
		threshold  int
		compressed bool
	}{
		{"below threshold", compressible(999), 1000, false},
		{"at threshold", compressible(1000), 1000, true},
		{"incompressible", randomBytes(1, 5000), 10, false},
	} {
		var buf bytes.Buffer
		if err := NewWriter(&buf, Config{Algo: AlgoGzip, Threshold: tc.threshold}).WritePayload(tc.payload); err != nil {
			t.Fatal(err)
		}
		f, err := ReadFrame(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if f.Compressed != tc.compressed {
			t.Errorf("%s: compressed = %v, want %v", tc.name, f.Compressed, tc.compressed)
		}
		if !f.Compressed && (f.Algo != AlgoNone || len(f.Body) != len(tc.payload)) {
			t.Errorf("%s: uncompressed frame has algo %v, length %d", tc.name, f.Algo, len(f.Body))
		}
	}
}

func TestReaderWrongNetwork(t *testing.T) {
	var buf bytes.Buffer
	NewWriter(&buf, Config{NetworkID: 2}).WritePayload(compressible(200 << 10))
	NewWriter(&buf, Config{NetworkID: 1}).WritePayload([]byte("next"))
	r := NewReader(&buf, Config{NetworkID: 1})
	_, err := r.ReadPayload()
	if !errors.Is(err, ErrWrongNetwork) || err.Error() != "wrong network id: frame for network 2, this stream is network 1" {
		t.Fatalf("err = %v", err)
	}
	// The rest of the foreign message is skipped and the stream stays in step.
	p, err := r.ReadPayload()
	if err != nil || string(p) != "next" {
		t.Fatalf("next message = %q, %v", p, err)
	}
	if r.Stats.Discarded != 1 || r.Stats.Messages != 1 || r.Stats.Frames != 5 {
		t.Fatalf("stats = %+v", r.Stats)
	}
}

func TestReaderMessageBound(t *testing.T) {
	c := Config{NetworkID: 1, MaxMessageSize: 100 << 10}
	var buf bytes.Buffer
	big := Config{NetworkID: 1, MaxMessageSize: 1 << 20}
	NewWriter(&buf, big).WritePayload(compressible(300 << 10))
	NewWriter(&buf, big).WritePayload(compressible(100 << 10))
	r := NewReader(&buf, c)
	if _, err := r.ReadPayload(); !errors.Is(err, ErrOversized) || !bytes.Contains([]byte(err.Error()), []byte("102400")) {
		t.Fatalf("err = %v, want ErrOversized naming the bound", err)
	}
	if p, err := r.ReadPayload(); err != nil || len(p) != 100<<10 {
		t.Fatalf("message at the bound: %d bytes, %v", len(p), err)
	}
	// The writer refuses what the reader would refuse.
	if err := NewWriter(io.Discard, c).WritePayload(make([]byte, 100<<10+1)); !errors.Is(err, ErrOversized) {
		t.Fatalf("writer: err = %v", err)
	}
}

func TestReaderTruncated(t *testing.T) {
	var buf bytes.Buffer
	NewWriter(&buf, DefaultConfig()).WritePayload(make([]byte, 100<<10))
	full := buf.Bytes()
	for _, cut := range []int{5, HeaderSize + 10, HeaderSize + MaxPackageSize, HeaderSize + MaxPackageSize + 3, len(full) - 1} {
		r := NewReader(bytes.NewReader(full[:cut]), DefaultConfig())
		_, err := r.ReadPayload()
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d: err = %v, want ErrTruncated", cut, err)
		}
		if _, err2 := r.ReadPayload(); !errors.Is(err2, ErrTruncated) {
			t.Fatalf("cut at %d: the error is not sticky: %v", cut, err2)
		}
	}
}

func TestReaderOversizedLengthIsSticky(t *testing.T) {
	in := append(header(1, 0, MaxPackageSize+1), make([]byte, 100)...)
	r := NewReader(bytes.NewReader(in), DefaultConfig())
	for range 2 {
		if _, err := r.ReadPayload(); !errors.Is(err, ErrOversized) {
			t.Fatalf("err = %v", err)
		}
	}
}

func TestReaderBombInStream(t *testing.T) {
	for _, a := range Algos()[1:] {
		var buf bytes.Buffer
		WriteFrame(&buf, Frame{NetworkID: 1, Compressed: true, Algo: a, Body: bomb(t, a, 1<<20)})
		NewWriter(&buf, DefaultConfig()).WritePayload([]byte("after"))
		r := NewReader(&buf, DefaultConfig())
		if _, err := r.ReadPayload(); !errors.Is(err, ErrOversized) {
			t.Fatalf("%v: err = %v", a, err)
		}
		if p, err := r.ReadPayload(); err != nil || string(p) != "after" {
			t.Fatalf("%v: next = %q, %v", a, p, err)
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("link down")
	}
	w.n--
	return len(p), nil
}

func TestWriterErrorIsSticky(t *testing.T) {
	w := NewWriter(&failWriter{n: 1}, DefaultConfig())
	if err := w.WritePayload(make([]byte, 200<<10)); err == nil {
		t.Fatal("no error")
	}
	if err := w.WritePayload([]byte("x")); err == nil || err.Error() != "write frame: link down" {
		t.Fatalf("second write: %v", err)
	}
}

func TestConfigVerify(t *testing.T) {
	if err := DefaultConfig().Verify(); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if c.NetworkID != 1 || c.Algo != AlgoNone || c.Threshold != 1024 || c.MaxMessageSize != DefaultMaxMessageSize {
		t.Fatalf("DefaultConfig = %+v", c)
	}
	for _, bad := range []Config{{Algo: 6}, {Threshold: -1}, {MaxMessageSize: -1}} {
		if bad.Verify() == nil {
			t.Errorf("%+v verified", bad)
		}
	}
	if err := NewWriter(io.Discard, Config{Algo: 6}).WritePayload(nil); !errors.Is(err, ErrUnknownCompression) {
		t.Fatal(err)
	}
}

// Writing and reading 64 KiB messages reuses the Writer's and Reader's buffers and the pooled
// compressors: per message only the returned payload is allocated, plus the small tables the
// standard library's decoders allocate on their own (flate's Huffman links, zlib's adler32, lzw's
// method values), a few KiB at most.
//
// The garbage collector is held off while measuring: it empties sync.Pools, which is the pools'
// design and not a leak of this package. Likewise the test runs on one P.
func TestStreamAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops sync.Pool items on purpose")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	// One P, so the pools' per-P caches always hand back what was put.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, a := range Algos() {
		p := compressible(MaxPackageSize)
		var buf bytes.Buffer
		buf.Grow(4 * MaxPackageSize)
		w := NewWriter(&buf, Config{NetworkID: 1, Algo: a})
		r := NewReader(&buf, Config{NetworkID: 1})
		const warm, n = 5, 30
		var before, after runtime.MemStats
		for i := range warm + n {
			if i == warm { // the first rounds fill the pools
				runtime.ReadMemStats(&before)
			}
			if err := w.WritePayload(p); err != nil {
				t.Fatal(err)
			}
			if _, err := r.ReadPayload(); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		perMessage := (after.TotalAlloc - before.TotalAlloc) / n
		limit := uint64(MaxPackageSize + 16<<10)
		if a == AlgoBzip2 {
			limit += 96 << 10 // dsnet's Burrows-Wheeler transform allocates its own work space
		}
		if perMessage > limit {
			t.Errorf("%v: %d bytes allocated per 64 KiB message, want at most %d", a, perMessage, limit)
		}
	}
}
