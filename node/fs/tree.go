package fs

import (
	"context"
	"errors"
	"fmt"

	"dsp/store"
)

// TreeNode is one block of a file's tree.
type TreeNode struct {
	Hash store.Hash
	// Level is 0 for a data block, L >= 1 for a link block of level L, and -1 for a root that is
	// not held (its level is unknown until it arrives).
	Level int
	// Index is a data block's index in the file (the i-th BlockSize bytes); 0 for link blocks.
	Index uint64
	// Parent is the position of the parent in the list, -1 for the root.
	Parent int
	// Held reports whether st holds the block.
	Held bool
}

// Tree lists the blocks of the file root in level order (the root, each level's link blocks,
// then the data blocks in file order), as far as the link blocks held in st tell: the children of
// a link block that is not held are unknown and not listed. A block that appears twice in the
// file is listed at each place. Every link block read is verified against its hash.
func Tree(ctx context.Context, st store.FS, root store.Hash) ([]TreeNode, error) {
	out := []TreeNode{{Hash: root, Level: -1, Parent: -1}}
	var index uint64
	for i := 0; i < len(out); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := &out[i]
		if n.Level == 0 {
			held, err := st.HasBlock(ctx, n.Hash)
			if err != nil {
				return nil, fmt.Errorf("tree of %s: %w", root, err)
			}
			n.Held = held
			continue
		}
		l, err := loadLink(ctx, st, n.Hash)
		if errors.Is(err, store.ErrBlockNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tree of %s: %w", root, err)
		}
		if n.Level > 0 && l.Level != n.Level {
			return nil, fmt.Errorf("tree of %s: link %s has level %d, want %d: %w", root, n.Hash, l.Level, n.Level, store.ErrBadTree)
		}
		n.Held, n.Level = true, l.Level
		for _, c := range l.Children {
			child := TreeNode{Hash: c, Level: l.Level - 1, Parent: i}
			if child.Level == 0 {
				child.Index = index
				index++
			}
			out = append(out, child)
		}
	}
	return out, nil
}

// loadLink reads and decodes a link block.
func loadLink(ctx context.Context, st store.FS, h store.Hash) (*store.Link, error) {
	b, err := st.GetBlock(ctx, h)
	if err != nil {
		return nil, err
	}
	l, err := store.DecodeLink(b)
	if err != nil {
		return nil, fmt.Errorf("link %s: %w", h, err)
	}
	return l, nil
}

// Needed returns the positions in tree (a sender's complete Tree) of the blocks to send to a
// receiver at breakpoint bp: those bp lists as missing and every descendant of one, each distinct
// block once, in level order.
func Needed(tree []TreeNode, bp *Breakpoint) []int {
	if bp == nil || bp.Complete {
		return nil
	}
	missing := make(map[store.Hash]bool, len(bp.Missing))
	for _, h := range bp.Missing {
		if len(h) == store.HashSize {
			missing[store.Hash(h)] = true
		}
	}
	send := make([]bool, len(tree))
	seen := map[store.Hash]bool{}
	var out []int
	for i, n := range tree {
		send[i] = missing[n.Hash] || (n.Parent >= 0 && send[n.Parent])
		if send[i] && !seen[n.Hash] {
			seen[n.Hash] = true
			out = append(out, i)
		}
	}
	return out
}

// receiveState tracks, for a receiver, which blocks of a file are expected and not held yet.
type receiveState struct {
	st       store.FS
	root     store.Hash
	expected map[store.Hash]int // not held: hash -> level (-1: the root, level unknown)
	held     map[store.Hash]bool
}

// newReceiveState reads what st holds of root.
func newReceiveState(ctx context.Context, st store.FS, root store.Hash) (*receiveState, error) {
	tree, err := Tree(ctx, st, root)
	if err != nil {
		return nil, err
	}
	r := &receiveState{st: st, root: root, expected: map[store.Hash]int{}, held: map[store.Hash]bool{}}
	for _, n := range tree {
		if n.Held {
			r.held[n.Hash] = true
		} else {
			r.expected[n.Hash] = n.Level
		}
	}
	return r, nil
}

// breakpoint reports the state as a Breakpoint.
func (r *receiveState) breakpoint() *Breakpoint {
	bp := &Breakpoint{Held: uint64(len(r.held)), Complete: len(r.expected) == 0}
	for h := range r.expected {
		bp.Missing = append(bp.Missing, append([]byte(nil), h[:]...))
	}
	return bp
}

// accept checks that b is an expected block of the file (for a link block also its hash and
// level; a data block's hash is checked when it is stored) and returns what PutBlocks needs. Children of a link block become expected once it is stored
// (see learn).
func (r *receiveState) accept(b *Block) (store.Block, int, error) {
	if len(b.Hash) != store.HashSize {
		return store.Block{}, 0, fmt.Errorf("%w: hash of %d bytes", ErrMalformed, len(b.Hash))
	}
	h := store.Hash(b.Hash)
	level, ok := r.expected[h]
	if !ok {
		if r.held[h] {
			return store.Block{}, 0, nil // sent twice: harmless
		}
		return store.Block{}, 0, fmt.Errorf("block %s: %w %s", h, ErrNotInFile, r.root)
	}
	if level != 0 {
		// A link block is decoded before it is stored, so it is checked here; the caller checks
		// a data block (store.Check) before it stores it.
		if store.Sum(b.Data) != h {
			return store.Block{}, 0, fmt.Errorf("block %s: %w", h, store.ErrHashMismatch)
		}
		l, err := store.DecodeLink(b.Data)
		if err != nil {
			return store.Block{}, 0, fmt.Errorf("block %s: %w", h, err)
		}
		if level > 0 && l.Level != level {
			return store.Block{}, 0, fmt.Errorf("link %s has level %d, want %d: %w", h, l.Level, level, store.ErrBadTree)
		}
		level = l.Level
	}
	return store.Block{Hash: h, Data: b.Data}, level, nil
}

// stored records that b (accepted, about to be written) is held, and learns the children of a
// link block.
func (r *receiveState) stored(ctx context.Context, b store.Block, level int) error {
	delete(r.expected, b.Hash)
	r.held[b.Hash] = true
	if level == 0 {
		return nil
	}
	return r.learn(ctx, b.Data)
}

// learn adds the children of a stored link block: those held already (shared with another file)
// are walked, the others expected.
func (r *receiveState) learn(ctx context.Context, data []byte) error {
	l, err := store.DecodeLink(data)
	if err != nil {
		return err
	}
	for _, c := range l.Children {
		if r.held[c] {
			continue
		}
		if _, ok := r.expected[c]; ok {
			continue
		}
		has, err := r.st.HasBlock(ctx, c)
		if err != nil {
			return err
		}
		if !has {
			r.expected[c] = l.Level - 1
			continue
		}
		r.held[c] = true
		if l.Level > 1 {
			b, err := r.st.GetBlock(ctx, c)
			if err != nil {
				return err
			}
			if err := r.learn(ctx, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// complete reports whether every block is held.
func (r *receiveState) complete() bool { return len(r.expected) == 0 }
