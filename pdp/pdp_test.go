package pdp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"runtime"
	"testing"
	"time"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

const smallBlock = 4096 // most tests: 4 KiB blocks, 133 sectors

var smallSectors = sectorCount(smallBlock)

func TestLoadSectorsMatchesReference(t *testing.T) {
	data := testBlocks(1, 1, BlockSize, 0)[0]
	for _, n := range []int{0, 1, 30, 31, 32, 33, 61, 62, 63, 64, 93, 94, 95, 4096, BlockSize - 1, BlockSize} {
		got := loadSectors(make([]fr.Element, MaxSectors), data[:n])
		want := refPoly(data[:n])
		if len(got) != len(want) {
			t.Fatalf("len %d: %d sectors, want %d", n, len(got), len(want))
		}
		for j := range got {
			var v fr.Element
			v.Mul(&got[j], &montR) // raw limbs carry R^-1
			if !v.Equal(&want[j]) {
				t.Fatalf("len %d sector %d: %s, want %s", n, j, v.String(), want[j].String())
			}
		}
	}
	if sectorCount(BlockSize) != 8457 || MaxSectors != 8457 {
		t.Fatalf("MaxSectors = %d", MaxSectors)
	}
}

func TestEvalIsXTimesPolyAtAlpha(t *testing.T) {
	sk := testKey(t)
	for _, n := range []int{0, 1, 31, 100, smallBlock, BlockSize} {
		block := testBlocks(uint64(n), 1, n, 0)[0]
		want := horner(refPoly(block), &sk.alpha)
		want.Mul(&want, &sk.x)
		if got := sk.eval(block); !got.Equal(&want) {
			t.Fatalf("len %d: eval differs from x*f(alpha)", n)
		}
	}
}

func TestTagBlockMatchesDefinition(t *testing.T) {
	sk := testKey(t)
	name := []byte("file")
	block := testBlocks(2, 1, 1000, 0)[0]
	tag, err := sk.TagBlock(name, 7, block)
	if err != nil {
		t.Fatal(err)
	}
	// sigma = x * (H(name || 7) + f(alpha)*g1), computed the long way.
	h, err := bls.HashToG1(append([]byte("file"), 0, 0, 0, 0, 0, 0, 0, 7), []byte(hashDST))
	if err != nil {
		t.Fatal(err)
	}
	fa := horner(refPoly(block), &sk.alpha)
	fg := scalarMul(&g1Gen, &fa)
	var sum bls.G1Affine
	sum.Add(&h, &fg)
	want := scalarMul(&sum, &sk.x)
	if Tag(want.Bytes()) != tag {
		t.Fatal("tag differs from x*(H(name||i) + f(alpha)*g1)")
	}
	if _, err := sk.TagBlock(name, 0, make([]byte, BlockSize+1)); !errors.Is(err, ErrBlockTooLarge) {
		t.Fatalf("oversized block: %v", err)
	}
}

func TestTaggerMatchesTagBlock(t *testing.T) {
	sk := testKey(t)
	blocks := testBlocks(3, 9, smallBlock, 100)
	name := []byte("the file hash")
	want := make([]Tag, len(blocks))
	for i, b := range blocks {
		var err error
		if want[i], err = sk.TagBlock(name, uint64(i), b); err != nil {
			t.Fatal(err)
		}
	}
	for _, early := range []bool{true, false} {
		for _, workers := range []int{1, 3} {
			var tg *Tagger
			if early {
				tg = sk.NewTagger(name, workers)
			} else {
				tg = sk.NewTagger(nil, workers)
			}
			buf := make([]byte, smallBlock)
			for _, b := range blocks {
				buf = append(buf[:0], b...)
				if err := tg.Add(buf); err != nil {
					t.Fatal(err)
				}
				clear(buf) // the caller may reuse its buffer at once
			}
			got, err := tg.Finish(name)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d tags, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("early=%v workers=%d: tag %d differs", early, workers, i)
				}
			}
			tg.Close() // safe after Finish
			if err := tg.Add(blocks[0]); !errors.Is(err, ErrTaggerClosed) {
				t.Fatalf("Add after Finish: %v", err)
			}
		}
	}
}

func TestTaggerErrors(t *testing.T) {
	sk := testKey(t)
	tg := sk.NewTagger(nil, 2)
	if err := tg.Add(make([]byte, BlockSize+1)); !errors.Is(err, ErrBlockTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	if _, err := tg.Finish(nil); err == nil {
		t.Fatal("Finish without a name succeeded")
	}
	if _, err := tg.Finish([]byte("x")); !errors.Is(err, ErrTaggerClosed) {
		t.Fatalf("second Finish: %v", err)
	}
	tg = sk.NewTagger([]byte("a"), 2)
	if _, err := tg.Finish([]byte("b")); err == nil {
		t.Fatal("Finish with another name succeeded")
	}
	tg = sk.NewTagger([]byte("a"), 2)
	tg.Close()
	tg.Close()
	tags, err := sk.NewTagger([]byte("empty"), 0).Finish(nil)
	if err != nil || len(tags) != 0 {
		t.Fatalf("empty file: %d tags, %v", len(tags), err)
	}
}

func TestEvalDivide(t *testing.T) {
	var z, a fr.Element
	z.SetUint64(12345)
	a.SetRandom()
	for _, n := range []int{0, 1, 2, 3, 50} {
		F := make(fr.Vector, n)
		F.MustSetRandom()
		y, q := evalDivide(F, &z)
		if want := horner(F, &z); !y.Equal(&want) {
			t.Fatalf("n=%d: y != F(z)", n)
		}
		// F(a) = y + Q(a)(a - z)
		var rhs, d fr.Element
		qa := horner(q, &a)
		d.Sub(&a, &z)
		rhs.Mul(&qa, &d).Add(&rhs, &y)
		if fa := horner(F, &a); n > 0 && !fa.Equal(&rhs) {
			t.Fatalf("n=%d: F(a) != y + Q(a)(a-z)", n)
		}
	}
}

func TestCombineMatchesReference(t *testing.T) {
	for _, sizes := range [][]int{{1000, 1000, 77}, {BlockSize, 100, BlockSize - 5}, {0, 31}, {0}} {
		var blocks [][]byte
		for k, n := range sizes {
			blocks = append(blocks, testBlocks(uint64(40+k), 1, n, 0)[0])
		}
		nus := make([]fr.Element, len(blocks))
		var want fr.Vector
		for k, b := range blocks {
			nus[k].SetUint64(uint64(1000 + k*k*7919))
			for j, m := range refPoly(b) {
				if j >= len(want) {
					want = append(want, fr.Element{})
				}
				var t fr.Element
				t.Mul(&m, &nus[k])
				want[j].Add(&want[j], &t)
			}
		}
		if got := combine(blocks, nus); !got.Equal(want) {
			t.Fatalf("sizes %v: combine differs from sum nu_i f_i", sizes)
		}
	}
}

func TestChallenge(t *testing.T) {
	bh, fh, addr := []byte("block hash 1"), []byte("file hash"), []byte("prover address")
	a, err := NewChallenge(bh, fh, addr, 100, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewChallenge(bh, fh, addr, 100, 10)
	if len(a.Indices) != 10 || len(a.Coeffs) != 10 {
		t.Fatalf("%d indices", len(a.Indices))
	}
	for k := range a.Indices {
		if a.Indices[k] != b.Indices[k] || !a.Coeffs[k].Equal(&b.Coeffs[k]) {
			t.Fatal("challenge not deterministic")
		}
	}
	if !a.Z.Equal(&b.Z) || !bytes.Equal(a.Name, fh) || a.N != 100 {
		t.Fatal("challenge not deterministic")
	}
	if err := a.check(); err != nil {
		t.Fatal(err)
	}
	for _, other := range [][3][]byte{{[]byte("block hash 2"), fh, addr}, {bh, []byte("other"), addr}, {bh, fh, []byte("other")}} {
		o, _ := NewChallenge(other[0], other[1], other[2], 100, 10)
		if o.Z.Equal(&a.Z) {
			t.Fatalf("challenge ignores an input: %q", other)
		}
	}
	// c is capped at n, and c = n names every block once.
	full, err := NewChallenge(bh, fh, addr, 37, 64)
	if err != nil || len(full.Indices) != 37 {
		t.Fatalf("capped challenge: %v", err)
	}
	seen := make(map[uint64]bool)
	for _, i := range full.Indices {
		seen[i] = true
	}
	if len(seen) != 37 || full.check() != nil {
		t.Fatal("c = n does not name every block once")
	}
	for _, bad := range [][2]uint64{{0, 1}, {5, 0}, {0, 0}} {
		if _, err := NewChallenge(bh, fh, addr, bad[0], bad[1]); !errors.Is(err, ErrBadChallenge) {
			t.Fatalf("n=%d c=%d: %v", bad[0], bad[1], err)
		}
	}
	if _, err := NewChallenge(bh, fh, addr, 1<<40, MaxChallenged+1); !errors.Is(err, ErrBadChallenge) {
		t.Fatalf("c above MaxChallenged: %v", err)
	}
	if ch, err := NewChallenge(bh, fh, addr, 5, 1<<63); err != nil || len(ch.Indices) != 5 {
		t.Fatalf("huge c over 5 blocks: %v", err)
	}
	if _, err := NewChallenge(bh, fh, addr, 1<<62+3, MaxChallenged); err != nil {
		t.Fatalf("huge n: %v", err)
	}
}

func TestChallengeSpreadsIndices(t *testing.T) {
	// 2000 single-block challenges over 10 blocks: each block about 200 times.
	counts := make([]int, 10)
	for r := range 2000 {
		h := sha256.Sum256([]byte{byte(r), byte(r >> 8)})
		ch, err := NewChallenge(h[:], []byte("f"), []byte("p"), 10, 1)
		if err != nil {
			t.Fatal(err)
		}
		counts[ch.Indices[0]]++
	}
	for i, c := range counts {
		if c < 130 || c > 270 {
			t.Fatalf("block %d chosen %d times of 2000: %v", i, c, counts)
		}
	}
}

// proveSetup is a tagged small-block file with its keys and a challenge.
type proveSetup struct {
	sk  *SecretKey
	pub *PublicKey
	pk  *ProverKey
	f   *testFile
	ch  *Challenge
}

func newProveSetup(t testing.TB, n, c int) *proveSetup {
	t.Helper()
	sk := testKey(t)
	pk, err := sk.ProverKey(smallSectors)
	if err != nil {
		t.Fatal(err)
	}
	s := &proveSetup{sk: sk, pub: sk.PublicKey(), pk: pk, f: newTestFile(t, sk, 10, n, smallBlock, 1000)}
	s.ch, err = NewChallenge([]byte("round 1 block hash"), s.f.name, []byte("fs node"), uint64(n), uint64(c))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProveVerify(t *testing.T) {
	s := newProveSetup(t, 8, 5)
	p, err := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(s.pub, s.ch, p); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	b := p.Bytes()
	if len(b) != ProofSize {
		t.Fatalf("proof of %d bytes", len(b))
	}
	if err := VerifyBytes(s.pub, s.ch, b); err != nil {
		t.Fatalf("valid proof bytes rejected: %v", err)
	}
	// Every block challenged, including the short last one.
	all, _ := NewChallenge([]byte("round 2"), s.f.name, []byte("fs node"), 8, 8)
	if p, err = Prove(s.pk, all, s.f.readBlock, s.f.readTag); err != nil {
		t.Fatal(err)
	}
	if err := Verify(s.pub, all, p); err != nil {
		t.Fatalf("proof over all blocks rejected: %v", err)
	}
	// Another owner's public key does not accept it.
	other, _ := DeriveSecretKey([]byte("another owner's seed bytes"))
	if err := Verify(other.PublicKey(), all, p); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("proof accepted under another key: %v", err)
	}
}

func TestProveVerifyFullBlocks(t *testing.T) {
	sk := testKey(t)
	pk, err := sk.ProverKey(MaxSectors)
	if err != nil {
		t.Fatal(err)
	}
	f := newTestFile(t, sk, 11, 2, BlockSize, 0)
	ch, _ := NewChallenge([]byte("bh"), f.name, []byte("fs"), 2, 2)
	p, err := Prove(pk, ch, f.readBlock, f.readTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(sk.PublicKey(), ch, p); err != nil {
		t.Fatalf("full blocks: %v", err)
	}
	f.blocks[ch.Indices[0]][BlockSize-1] ^= 1 // the very last byte counts
	if p, err = Prove(pk, ch, f.readBlock, f.readTag); err != nil {
		t.Fatal(err)
	}
	if err := Verify(sk.PublicKey(), ch, p); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("changed last byte accepted: %v", err)
	}
}

func TestProofFailsOnChangedBlock(t *testing.T) {
	s := newProveSetup(t, 8, 4)
	i := s.ch.Indices[2]
	for _, pos := range []int{0, 30, 31, len(s.f.blocks[i]) / 2, len(s.f.blocks[i]) - 1} {
		orig := s.f.blocks[i]
		s.f.blocks[i] = bytes.Clone(orig)
		s.f.blocks[i][pos] ^= 0x40
		p, err := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(s.pub, s.ch, p); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("block %d byte %d changed: %v", i, pos, err)
		}
		s.f.blocks[i] = orig
	}
}

func TestProofFailsOnMissingBlock(t *testing.T) {
	s := newProveSetup(t, 8, 4)
	missing := s.ch.Indices[1]
	read := func(i uint64) ([]byte, error) {
		if i == missing {
			return nil, errNoBlock
		}
		return s.f.readBlock(i)
	}
	if _, err := Prove(s.pk, s.ch, read, s.f.readTag); !errors.Is(err, errNoBlock) {
		t.Fatalf("missing block: %v", err)
	}
	readTag := func(i uint64) ([]byte, error) {
		if i == missing {
			return nil, errNoBlock
		}
		return s.f.readTag(i)
	}
	if _, err := Prove(s.pk, s.ch, s.f.readBlock, readTag); !errors.Is(err, errNoBlock) {
		t.Fatalf("missing tag: %v", err)
	}
	zeros := func(i uint64) ([]byte, error) {
		if i == missing {
			return make([]byte, smallBlock), nil
		}
		return s.f.readBlock(i)
	}
	p, err := Prove(s.pk, s.ch, zeros, s.f.readTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(s.pub, s.ch, p); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("zeros for a lost block accepted: %v", err)
	}
	badTag := func(i uint64) ([]byte, error) { return []byte{1, 2, 3}, nil }
	if _, err := Prove(s.pk, s.ch, s.f.readBlock, badTag); !errors.Is(err, ErrMalformed) {
		t.Fatalf("malformed tag: %v", err)
	}
	big := func(i uint64) ([]byte, error) { return make([]byte, smallBlock+31), nil }
	if _, err := Prove(s.pk, s.ch, big, s.f.readTag); !errors.Is(err, ErrBlockTooLarge) {
		t.Fatalf("block longer than the prover key: %v", err)
	}
}

func TestProofFailsOnOtherFilesBlock(t *testing.T) {
	s := newProveSetup(t, 8, 4)
	other := newTestFile(t, s.sk, 99, 8, smallBlock, 1000) // same owner key, another file
	swapped := s.ch.Indices[0]
	read := func(i uint64) ([]byte, error) {
		if i == swapped {
			return other.readBlock(i)
		}
		return s.f.readBlock(i)
	}
	readTag := func(i uint64) ([]byte, error) {
		if i == swapped {
			return other.readTag(i)
		}
		return s.f.readTag(i)
	}
	p, err := Prove(s.pk, s.ch, read, readTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(s.pub, s.ch, p); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("other file's block and tag accepted: %v", err)
	}
	// Another block of the same file in its place fails too.
	read = func(i uint64) ([]byte, error) {
		if i == swapped {
			return s.f.readBlock((i + 1) % 8)
		}
		return s.f.readBlock(i)
	}
	readTag = func(i uint64) ([]byte, error) {
		if i == swapped {
			return s.f.readTag((i + 1) % 8)
		}
		return s.f.readTag(i)
	}
	if p, err = Prove(s.pk, s.ch, read, readTag); err != nil {
		t.Fatal(err)
	}
	if err := Verify(s.pub, s.ch, p); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("another block of the same file accepted: %v", err)
	}
}

func TestProofFailsOnReplay(t *testing.T) {
	s := newProveSetup(t, 8, 4)
	p, err := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
	if err != nil {
		t.Fatal(err)
	}
	next, _ := NewChallenge([]byte("round 2 block hash"), s.f.name, []byte("fs node"), 8, 4)
	if err := Verify(s.pub, next, p); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("proof replayed for the next round: %v", err)
	}
	// Nor for another prover in the same round.
	peer, _ := NewChallenge([]byte("round 1 block hash"), s.f.name, []byte("other node"), 8, 4)
	if err := Verify(s.pub, peer, p); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("proof replayed by another node: %v", err)
	}
}

func TestProofFailsOnAnyFlippedByte(t *testing.T) {
	s := newProveSetup(t, 8, 4)
	p, err := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
	if err != nil {
		t.Fatal(err)
	}
	good := p.Bytes()
	for pos := range ProofSize {
		for _, mask := range []byte{0x01, 0x80} {
			b := bytes.Clone(good)
			b[pos] ^= mask
			err := VerifyBytes(s.pub, s.ch, b)
			if err == nil {
				t.Fatalf("byte %d ^ %#x: accepted", pos, mask)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("byte %d ^ %#x: unexpected error %v", pos, mask, err)
			}
		}
	}
}

func TestVerifyRejectsBadChallenge(t *testing.T) {
	s := newProveSetup(t, 8, 4)
	p, _ := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
	bad := *s.ch
	bad.Indices = append([]uint64{8}, s.ch.Indices[1:]...)
	if err := Verify(s.pub, &bad, p); !errors.Is(err, ErrBadChallenge) {
		t.Fatalf("index out of range: %v", err)
	}
	bad.Indices = append([]uint64{s.ch.Indices[1]}, s.ch.Indices[1:]...)
	if err := Verify(s.pub, &bad, p); !errors.Is(err, ErrBadChallenge) {
		t.Fatalf("duplicate index: %v", err)
	}
	bad.Indices = s.ch.Indices[:2]
	if _, err := Prove(s.pk, &bad, s.f.readBlock, s.f.readTag); !errors.Is(err, ErrBadChallenge) {
		t.Fatalf("lengths differ: %v", err)
	}
}

func TestCheckTags(t *testing.T) {
	s := newProveSetup(t, 8, 4)
	if err := CheckTags(s.pub, s.pk, s.f.name, 0, s.f.blocks, s.f.tags); err != nil {
		t.Fatalf("honest tags: %v", err)
	}
	if err := CheckTags(s.pub, s.pk, s.f.name, 3, s.f.blocks[3:5], s.f.tags[3:5]); err != nil {
		t.Fatalf("honest tags from block 3: %v", err)
	}
	if err := CheckTags(s.pub, s.pk, s.f.name, 2, s.f.blocks[3:5], s.f.tags[3:5]); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("tags at the wrong offset: %v", err)
	}
	if err := CheckTags(s.pub, s.pk, []byte("other name"), 0, s.f.blocks, s.f.tags); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("tags under another name: %v", err)
	}
	tags := append([]Tag(nil), s.f.tags...)
	tags[5], tags[6] = tags[6], tags[5]
	if err := CheckTags(s.pub, s.pk, s.f.name, 0, s.f.blocks, tags); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("swapped tags: %v", err)
	}
	blocks := append([][]byte(nil), s.f.blocks...)
	blocks[7] = append(bytes.Clone(blocks[7]), 0, 1)
	if err := CheckTags(s.pub, s.pk, s.f.name, 0, blocks, s.f.tags); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("block with bytes appended: %v", err)
	}
	if err := CheckTags(s.pub, s.pk, s.f.name, 0, s.f.blocks[:2], s.f.tags[:3]); !errors.Is(err, ErrBadChallenge) {
		t.Fatalf("lengths differ: %v", err)
	}
}

func TestTagCheckerStreams(t *testing.T) {
	sk := testKey(t)
	pk, err := sk.ProverKey(4)
	if err != nil {
		t.Fatal(err)
	}
	f := newTestFile(t, sk, 12, 300, 100, 7) // more blocks than one flush
	check := func(tamper int) error {
		tc := NewTagChecker(sk.PublicKey(), pk, f.name)
		for k := range f.blocks { // out of order: odd indices first
			i := (2*k + 1) % len(f.blocks)
			if k >= len(f.blocks)/2 {
				i = 2 * (k - len(f.blocks)/2)
			}
			tag := f.tags[i]
			if i == tamper {
				tag = f.tags[(i+1)%len(f.tags)]
			}
			if err := tc.Add(uint64(i), f.blocks[i], tag[:]); err != nil {
				return err
			}
		}
		return tc.Finish()
	}
	if err := check(-1); err != nil {
		t.Fatalf("honest stream: %v", err)
	}
	if err := check(257); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("one wrong tag in 300: %v", err)
	}
	tc := NewTagChecker(sk.PublicKey(), pk, f.name)
	if err := tc.Finish(); !errors.Is(err, ErrBadChallenge) {
		t.Fatalf("empty check: %v", err)
	}
	if err := tc.Add(0, f.blocks[0], f.tags[0][:]); !errors.Is(err, ErrTaggerClosed) {
		t.Fatalf("Add after Finish: %v", err)
	}
	tc = NewTagChecker(sk.PublicKey(), pk, f.name)
	if err := tc.Add(0, make([]byte, 200), f.tags[0][:]); !errors.Is(err, ErrBlockTooLarge) {
		t.Fatalf("block beyond the prover key: %v", err)
	}
	if err := tc.Add(0, f.blocks[0], []byte{1}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("malformed tag: %v", err)
	}
}

func TestVerifyRound(t *testing.T) {
	s := newProveSetup(t, 8, 4)
	p, err := Prove(s.pk, s.ch, s.f.readBlock, s.f.readTag)
	if err != nil {
		t.Fatal(err)
	}
	pub := s.pub.Bytes()
	if err := VerifyRound(pub, []byte("round 1 block hash"), s.f.name, []byte("fs node"), 8, 4, p.Bytes()); err != nil {
		t.Fatalf("valid round: %v", err)
	}
	if err := VerifyRound(pub, []byte("round 1 block hash"), s.f.name, []byte("fs node"), 8, 5, p.Bytes()); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("other c: %v", err)
	}
	if err := VerifyRound(pub[:100], []byte("round 1 block hash"), s.f.name, []byte("fs node"), 8, 4, p.Bytes()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("bad public key: %v", err)
	}
	if err := VerifyRound(pub, []byte("round 1 block hash"), s.f.name, []byte("fs node"), 0, 4, p.Bytes()); !errors.Is(err, ErrBadChallenge) {
		t.Fatalf("no blocks: %v", err)
	}
	if err := VerifyRound(pub, []byte("round 1 block hash"), s.f.name, []byte("fs node"), 8, 4, p.Bytes()[:100]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short proof: %v", err)
	}
}

func TestTaggerStopsItsGoroutines(t *testing.T) {
	sk := testKey(t)
	before := runtime.NumGoroutine()
	for _, finish := range []bool{true, false} {
		tg := sk.NewTagger([]byte("f"), 4)
		for _, b := range testBlocks(5, 6, smallBlock, 0) {
			if err := tg.Add(b); err != nil {
				t.Fatal(err)
			}
		}
		if finish {
			if _, err := tg.Finish(nil); err != nil {
				t.Fatal(err)
			}
		} else {
			tg.Close()
		}
	}
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d goroutines after Finish/Close, %d before", runtime.NumGoroutine(), before)
}
