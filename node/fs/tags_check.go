package fs

import (
	"context"
	"errors"
	"fmt"

	"dsp/pdp"
	"dsp/status"
	"dsp/store"
)

// ErrBadTags: an upload's or a recovery's PDP tags do not match its blocks, or some are missing
// (wrapped with FILE_UPLOADED_CHECK_PDP_FAILED 50017). A node refuses such a file rather than be
// slashed for proofs it cannot make.
var ErrBadTags = errors.New("pdp tags do not match the file")

// tagState collects a file's tags as they stream in and checks them against the blocks with a
// pdp.TagChecker. The reading side records tags (record); the writing side folds
// blocks in (add); finish runs once both are done.
type tagState struct {
	root    store.Hash
	n       uint64
	tags    []pdp.Tag
	have    []bool
	added   []store.Hash // the hash of the block folded in at each index (zero: none yet)
	missing uint64       // indices without a tag yet
	tc      *pdp.TagChecker
}

func newTagState(pub *pdp.PublicKey, pk *pdp.ProverKey, root store.Hash, n uint64) *tagState {
	return &tagState{root: root, n: n, missing: n, tags: make([]pdp.Tag, n), have: make([]bool, n), added: make([]store.Hash, n),
		tc: pdp.NewTagChecker(pub, pk, root[:])}
}

// record keeps the tag of data block i (a later one replaces an earlier one).
func (t *tagState) record(i uint64, tag []byte) error {
	if i >= t.n {
		return fmt.Errorf("%w: data block index %d of a file of %d blocks", ErrBadTags, i, t.n)
	}
	if len(tag) != pdp.TagSize {
		return fmt.Errorf("%w: data block %d: tag of %d bytes", ErrBadTags, i, len(tag))
	}
	if !t.have[i] {
		t.missing--
	}
	t.tags[i], t.have[i] = pdp.Tag(tag), true
	return nil
}

// all reports whether every data block's tag was recorded.
func (t *tagState) all() bool { return t.missing == 0 }

// add folds data block i (hash h, checked by the store) and its tag into the check.
func (t *tagState) add(i uint64, h store.Hash, data, tag []byte) error {
	if i >= t.n {
		return fmt.Errorf("%w: data block index %d", ErrBadTags, i)
	}
	if t.added[i] != (store.Hash{}) {
		return nil // the same index twice: folded in once
	}
	if err := t.tc.Add(i, data, tag); err != nil {
		return fmt.Errorf("%w: block %d: %v", ErrBadTags, i, err)
	}
	t.added[i] = h
	return nil
}

// finish checks, once the file is complete in st, that every data block index has a tag, that the
// blocks folded in sit at the indices they were sent for, folds in the blocks that did not come
// with data (held before, or repeated in the file), runs the check, and stores the tags.
func (t *tagState) finish(ctx context.Context, st store.FS) error {
	hashes, err := st.DataBlockHashes(ctx, t.root)
	if err != nil {
		return status.Wrap(status.TaskFsPutBlockFailed, err, "data blocks of %s", t.root)
	}
	if uint64(len(hashes)) != t.n {
		return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrBadTags, "file %s has %d data blocks, the ledger says %d", t.root, len(hashes), t.n)
	}
	for i, h := range hashes {
		if !t.have[i] {
			return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrBadTags, "file %s: no tag for data block %d", t.root, i)
		}
		switch t.added[i] {
		case h:
			continue
		case store.Hash{}:
		default:
			return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrBadTags, "file %s: block sent as data block %d is not that block", t.root, i)
		}
		data, err := st.GetBlock(ctx, h)
		if err != nil {
			return status.Wrap(status.TaskFsPutBlockFailed, err, "read block %d of %s", i, t.root)
		}
		if err := t.add(uint64(i), h, data, t.tags[i][:]); err != nil {
			return status.Wrap(status.TaskFileUploadedCheckPdpFailed, err, "file %s", t.root)
		}
	}
	if err := t.tc.Finish(); err != nil {
		return status.Wrap(status.TaskFileUploadedCheckPdpFailed, fmt.Errorf("%w: %v", ErrBadTags, err), "file %s", t.root)
	}
	if err := StoreTags(ctx, st, t.root, t.tags); err != nil {
		return status.Wrap(status.TaskFsPutBlockFailed, err, "file %s", t.root)
	}
	return nil
}
