package fs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWriteFuzzSeeds rewrites testdata/fuzz/FuzzDecodeFrame from frameSeeds when
// DSP_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("DSP_WRITE_SEEDS") != "1" {
		t.Skip("set DSP_WRITE_SEEDS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeFrame")
	for i, b := range frameSeeds(t) {
		s := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
