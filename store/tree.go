package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// loadLink reads, verifies and decodes the link block h, which its parent expects at level with
// size bytes under it. level 0 means "the root": any level is accepted if it is depth(size).
func loadLink(tx *bolt.Tx, h Hash, level int, size uint64) (*Link, error) {
	v := getBlock(tx, h)
	if v == nil {
		return nil, fmt.Errorf("link block %s: %w", h, ErrBlockNotFound)
	}
	if Sum(v) != h {
		return nil, fmt.Errorf("link block %s: %w", h, ErrCorruptBlock)
	}
	l, err := DecodeLink(v)
	if err != nil {
		return nil, fmt.Errorf("link block %s: %w", h, err)
	}
	if level == 0 {
		if l.Level != depth(l.Size) {
			return nil, fmt.Errorf("root block %s: level %d for size %d: %w", h, l.Level, l.Size, ErrBadTree)
		}
		return l, nil
	}
	if l.Level != level || l.Size != size {
		return nil, fmt.Errorf("link block %s: level %d size %d, want level %d size %d: %w",
			h, l.Level, l.Size, level, size, ErrBadTree)
	}
	return l, nil
}

// treeNode is a block of a file tree as the walk sees it.
type treeNode struct {
	hash    Hash
	level   int    // 0 for a data block
	size    uint64 // bytes of file data under it
	present bool
}

// walkTree visits the tree of root in level order: the root, each level of link blocks, then the
// data blocks in file order. Children of a missing link block are not visited. Link blocks are
// verified and checked against the shape; a stored data block must have the expected length.
// visit may stop the walk by returning an error.
func walkTree(tx *bolt.Tx, root Hash, visit func(n treeNode) error) error {
	if !hasBlock(tx, root) {
		return visit(treeNode{hash: root, level: -1})
	}
	rl, err := loadLink(tx, root, 0, 0)
	if err != nil {
		return err
	}
	if err := visit(treeNode{hash: root, level: rl.Level, size: rl.Size, present: true}); err != nil {
		return err
	}
	cur := []*Link{rl}
	k := 0
	for len(cur) > 0 {
		var next []*Link
		for _, l := range cur {
			for i, c := range l.Children {
				n := treeNode{hash: c, level: l.Level - 1, size: childSize(l.Level, l.Size, uint64(i))}
				if n.level == 0 {
					if k++; k%dropEvery == 0 {
						dropMappedTx(tx)
					}
					v := getBlock(tx, c)
					n.present = v != nil
					if n.present && uint64(len(v)) != n.size {
						return fmt.Errorf("data block %s: %d bytes, want %d: %w", c, len(v), n.size, ErrBadTree)
					}
				} else if hasBlock(tx, c) {
					cl, err := loadLink(tx, c, n.level, n.size)
					if err != nil {
						return err
					}
					n.present = true
					next = append(next, cl)
				}
				if err := visit(n); err != nil {
					return err
				}
			}
		}
		cur = next
	}
	return nil
}

// dataIter yields a file's data block hashes in order, depth first, holding one decoded link
// block per level.
type dataIter struct {
	stack []iterFrame
}

type iterFrame struct {
	link *Link
	next int
}

// newDataIter starts at the root block of a file.
func newDataIter(tx *bolt.Tx, root Hash) (*dataIter, *Link, error) {
	rl, err := loadLink(tx, root, 0, 0)
	if err != nil {
		return nil, nil, err
	}
	return &dataIter{stack: []iterFrame{{link: rl}}}, rl, nil
}

// next returns the next data block's hash and expected size; ok is false at the end.
func (it *dataIter) next(tx *bolt.Tx) (h Hash, size uint64, ok bool, err error) {
	for len(it.stack) > 0 {
		top := &it.stack[len(it.stack)-1]
		if top.next == len(top.link.Children) {
			it.stack = it.stack[:len(it.stack)-1]
			continue
		}
		i := top.next
		top.next++
		c, l := top.link.Children[i], top.link
		cs := childSize(l.Level, l.Size, uint64(i))
		if l.Level == 1 {
			return c, cs, true, nil
		}
		cl, err := loadLink(tx, c, l.Level-1, cs)
		if err != nil {
			return Hash{}, 0, false, err
		}
		it.stack = append(it.stack, iterFrame{link: cl})
	}
	return Hash{}, 0, false, nil
}
