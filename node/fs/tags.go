package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"dsp/pdp"
	"dsp/status"
	"dsp/store"
)

// TagGroup is how many consecutive data blocks' tags one meta value holds. A file's tags are
// kept beside its root block, in groups (meta key TagMetaKey(g) holds the tags of data blocks
// g*TagGroup .. g*TagGroup+TagGroup-1, 48 bytes each, concatenated): one store transaction
// writes 256 tags (64 MiB of data), and a proof reads only the groups of its challenged blocks.
// Tags live on the root block, not on each data block, because a data block shared by two files
// (or twice in one) has a different tag at each place; they go with the root block.
const TagGroup = 256

// TagMetaKey is the store meta key, on a file's root block, of tag group g.
func TagMetaKey(g uint64) string { return "pdp/tags/" + strconv.FormatUint(g, 10) }

// StoreTags writes the tags of every data block of the file root (tags[i] of data block i) as
// root-block metas, one transaction per TagGroup tags. The root block must be stored.
func StoreTags(ctx context.Context, st store.FS, root store.Hash, tags []pdp.Tag) error {
	for g := 0; g*TagGroup < len(tags); g++ {
		end := min(len(tags), (g+1)*TagGroup)
		v := make([]byte, 0, (end-g*TagGroup)*pdp.TagSize)
		for _, t := range tags[g*TagGroup : end] {
			v = append(v, t[:]...)
		}
		if err := st.PutBlockMeta(ctx, root, TagMetaKey(uint64(g)), v); err != nil {
			return fmt.Errorf("store tags of %s: %w", root, err)
		}
	}
	return nil
}

// TagReader reads the stored tags of one file, keeping the last group read. It is not safe for
// concurrent use.
type TagReader struct {
	st    store.FS
	root  store.Hash
	group uint64
	buf   []byte
	ok    bool
}

// NewTagReader returns a reader of the tags of file root in st.
func NewTagReader(st store.FS, root store.Hash) *TagReader { return &TagReader{st: st, root: root} }

// Tag returns the 48-byte tag of data block i, an error wrapping store.ErrMetaNotFound if it was
// never stored.
func (r *TagReader) Tag(ctx context.Context, i uint64) ([]byte, error) {
	g := i / TagGroup
	if !r.ok || r.group != g {
		v, err := r.st.GetBlockMeta(ctx, r.root, TagMetaKey(g))
		if err != nil {
			return nil, fmt.Errorf("tag %d of %s: %w", i, r.root, err)
		}
		r.buf, r.group, r.ok = v, g, true
	}
	off := int(i%TagGroup) * pdp.TagSize
	if off+pdp.TagSize > len(r.buf) {
		return nil, fmt.Errorf("tag %d of %s: %w", i, r.root, store.ErrMetaNotFound)
	}
	return r.buf[off : off+pdp.TagSize], nil
}

// HasTags reports whether st holds the tags of all n data blocks of root.
func HasTags(ctx context.Context, st store.FS, root store.Hash, n uint64) bool {
	if n == 0 {
		return false
	}
	r := NewTagReader(st, root)
	_, err := r.Tag(ctx, n-1)
	if err != nil {
		return false
	}
	for g := uint64(0); g < (n-1)/TagGroup; g++ {
		if _, err := r.Tag(ctx, g*TagGroup+TagGroup-1); err != nil {
			return false
		}
	}
	return true
}

// proverKeys caches owners' prover keys by public key, each checked against its public key once,
// and keeps them as files in dir (if set) so that they survive a restart.
type proverKeys struct {
	dir string

	mu   sync.Mutex
	keys map[string]*pdp.ProverKey // by string(pub bytes)
	raw  map[string][]byte         // encoded keys, for serving
}

func newProverKeys(dir string) *proverKeys {
	return &proverKeys{dir: dir, keys: map[string]*pdp.ProverKey{}, raw: map[string][]byte{}}
}

func (k *proverKeys) path(pub []byte) string {
	s := sha256.Sum256(pub)
	return filepath.Join(k.dir, hex.EncodeToString(s[:])+".pk")
}

// get returns the checked prover key of pub: from memory, or from dir (checked again once per
// process). nil, nil when the node does not have it.
func (k *proverKeys) get(pub *pdp.PublicKey) (*pdp.ProverKey, error) {
	id := string(pub.Bytes())
	k.mu.Lock()
	pk := k.keys[id]
	k.mu.Unlock()
	if pk != nil || k.dir == "" {
		return pk, nil
	}
	b, err := os.ReadFile(k.path(pub.Bytes()))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read prover key: %w", err)
	}
	pk, err = k.check(pub, b)
	if err != nil {
		return nil, fmt.Errorf("prover key file %s: %w", k.path(pub.Bytes()), err)
	}
	return pk, nil
}

// check decodes b and checks it against pub, then remembers it.
func (k *proverKeys) check(pub *pdp.PublicKey, b []byte) (*pdp.ProverKey, error) {
	pk, err := pdp.DecodeProverKey(b)
	if err != nil {
		return nil, err
	}
	if pk.Sectors() < pdp.MaxSectors {
		return nil, fmt.Errorf("%w: prover key of %d sectors, %d needed", pdp.ErrKeyMismatch, pk.Sectors(), pdp.MaxSectors)
	}
	if err := pk.Check(pub); err != nil {
		return nil, err
	}
	id := string(pub.Bytes())
	k.mu.Lock()
	k.keys[id], k.raw[id] = pk, bytes.Clone(b)
	k.mu.Unlock()
	return pk, nil
}

// add checks a prover key received for pub, remembers it and writes it to dir.
func (k *proverKeys) add(pub *pdp.PublicKey, b []byte) (*pdp.ProverKey, error) {
	pk, err := k.check(pub, b)
	if err != nil {
		return nil, status.Wrap(status.TaskGetPdpParamsError, err, "prover key")
	}
	if k.dir == "" {
		return pk, nil
	}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return nil, status.Wrap(status.TaskFsPutBlockFailed, err, "prover key dir")
	}
	p := k.path(pub.Bytes())
	tmp := p + ".tmp"
	if err := writeSync(tmp, b); err != nil {
		return nil, status.Wrap(status.TaskFsPutBlockFailed, err, "write prover key")
	}
	if err := os.Rename(tmp, p); err != nil {
		return nil, status.Wrap(status.TaskFsPutBlockFailed, err, "write prover key")
	}
	return pk, nil
}

// encoded returns the encoded prover key of pub, reading dir if needed (nil if absent).
func (k *proverKeys) encoded(pub []byte) []byte {
	k.mu.Lock()
	b := k.raw[string(pub)]
	k.mu.Unlock()
	if b != nil || k.dir == "" {
		return b
	}
	b, err := os.ReadFile(k.path(pub))
	if err != nil {
		return nil
	}
	return b
}

func writeSync(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
