package ledger

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sort"

	bolt "go.etcd.io/bbolt"

	"dsp/keys"
	"dsp/status"
)

// view runs fn over a read-only env at the committed state; env.height is the committed height.
func (l *Embedded) view(fn func(e *env, tx *bolt.Tx) error) error {
	err := l.db.View(func(tx *bolt.Tx) error {
		h, err := tipHeight(tx)
		if err != nil {
			return err
		}
		return fn(&env{kv: readKV{tx}, params: &l.params, height: h}, tx)
	})
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return status.Wrap(status.ChainInternalError, ErrClosed, "ledger")
	}
	return err
}

// ChainInfo implements Ledger.
func (l *Embedded) ChainInfo(ctx context.Context) (*ChainInfo, error) {
	h, err := l.Height(ctx)
	if err != nil {
		return nil, err
	}
	return &ChainInfo{ChainID: l.g.ChainID, GenesisHash: l.gHash, Producer: l.g.Producer, Params: l.params, Height: h}, nil
}

// Height implements Ledger.
func (l *Embedded) Height(context.Context) (uint64, error) {
	var h uint64
	err := l.view(func(e *env, _ *bolt.Tx) error { h = e.height; return nil })
	return h, err
}

// BlockHash implements Ledger.
func (l *Embedded) BlockHash(_ context.Context, height uint64) (Hash, error) {
	var h Hash
	err := l.view(func(e *env, _ *bolt.Tx) error {
		v := e.kv.get(bBlockHash, u64(height))
		if v == nil {
			return status.Wrap(status.ChainUnknownBlock, ErrNotFound, "no block at height %d (tip %d)", height, e.height)
		}
		copy(h[:], v)
		return nil
	})
	return h, err
}

// Block implements Ledger.
func (l *Embedded) Block(_ context.Context, height uint64) (*Block, error) {
	var b Block
	err := l.view(func(e *env, _ *bolt.Tx) error {
		v := e.kv.get(bBlocks, u64(height))
		if v == nil {
			return status.Wrap(status.ChainUnknownBlock, ErrNotFound, "no block at height %d (tip %d)", height, e.height)
		}
		return decodeTrusted(v, &b)
	})
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// Tx implements Ledger.
func (l *Embedded) Tx(_ context.Context, hash Hash) (*TxRecord, error) {
	var rec *TxRecord
	err := l.view(func(e *env, _ *bolt.Tx) error {
		var err error
		rec, err = lookupTx(e.kv, hash)
		return err
	})
	return rec, err
}

func lookupTx(k kv, hash Hash) (*TxRecord, error) {
	v := k.get(bTxs, hash[:])
	if v == nil {
		return nil, status.Wrap(status.ChainUnknownTx, ErrNotFound, "tx %s", hash)
	}
	var ent txEntry
	if err := decodeTrusted(v, &ent); err != nil {
		return nil, err
	}
	var tx Tx
	if err := decodeTrusted(ent.Tx, &tx); err != nil {
		return nil, err
	}
	return &TxRecord{Tx: &tx, Receipt: ent.Receipt}, nil
}

// Account implements Ledger.
func (l *Embedded) Account(_ context.Context, addr keys.Address) (Account, error) {
	var acc Account
	err := l.view(func(e *env, _ *bolt.Tx) error { acc = e.account(addr); return nil })
	return acc, err
}

// NextNonce implements Ledger.
func (l *Embedded) NextNonce(_ context.Context, addr keys.Address) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n uint64
	err := l.view(func(e *env, tx *bolt.Tx) error {
		l.pending.rebase(readKV{tx})
		e.kv = l.pending
		n = e.account(addr).Nonce
		return nil
	})
	return n, err
}

// Nodes implements Ledger.
func (l *Embedded) Nodes(_ context.Context, role Role) ([]NodeInfo, error) {
	var out []NodeInfo
	err := l.view(func(_ *env, tx *bolt.Tx) error {
		return scan(tx, sNodes, []byte{byte(role)}, func(_, v []byte) error {
			var n NodeInfo
			if err := decodeTrusted(v, &n); err != nil {
				return err
			}
			out = append(out, n)
			return nil
		})
	})
	return out, err
}

func scan(tx *bolt.Tx, bucket, prefix []byte, fn func(k, v []byte) error) error {
	c := tx.Bucket(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// Node implements Ledger.
func (l *Embedded) Node(_ context.Context, role Role, addr keys.Address) (*NodeInfo, error) {
	var n *NodeInfo
	err := l.view(func(e *env, _ *bolt.Tx) error {
		var ok bool
		if n, ok = e.node(role, addr); !ok {
			return status.Wrap(status.DspNodeQueryFailed, ErrNotFound, "%s is not a %s node", addr, role)
		}
		return nil
	})
	return n, err
}

// FileInfo implements Ledger.
func (l *Embedded) FileInfo(_ context.Context, fileHash []byte) (*FileInfo, error) {
	var f *FileInfo
	err := l.view(func(e *env, _ *bolt.Tx) error {
		var ok bool
		if f, ok = e.file(fileHash); !ok {
			return status.Wrap(status.DspFileInfoNotFound, ErrNotFound, "file %x", fileHash)
		}
		return nil
	})
	return f, err
}

// FilesOf implements Ledger.
func (l *Embedded) FilesOf(_ context.Context, owner keys.Address) ([]FileInfo, error) {
	var out []FileInfo
	err := l.view(func(e *env, tx *bolt.Tx) error {
		return scan(tx, sOwner, owner[:], func(k, _ []byte) error {
			fk := k[len(owner):]
			if len(fk) < 1 || int(fk[0]) != len(fk)-1 {
				return status.Wrap(status.ChainInternalError, ErrMalformed, "owner index key %x", k)
			}
			f, ok := e.file(fk[1:])
			if ok {
				out = append(out, *f)
			}
			return nil
		})
	})
	return out, err
}

// WhiteList implements Ledger.
func (l *Embedded) WhiteList(_ context.Context, fileHash []byte) (*WhiteList, error) {
	var w WhiteList
	err := l.view(func(e *env, _ *bolt.Tx) error {
		v := e.kv.get(sWhiteList, fileKey(fileHash))
		if v == nil {
			return status.Wrap(status.DspGetWhitelistFailed, ErrNotFound, "file %x", fileHash)
		}
		return decodeTrusted(v, &w)
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// Contracts implements Ledger.
func (l *Embedded) Contracts(_ context.Context, fileHash []byte) ([]Contract, error) {
	var out []Contract
	err := l.view(func(e *env, tx *bolt.Tx) error {
		f, _ := e.file(fileHash)
		return scan(tx, sContracts, fileKey(fileHash), func(_, v []byte) error {
			var c Contract
			if err := decodeTrusted(v, &c); err != nil {
				return err
			}
			if f != nil && isOpen(c.State) && e.height > f.ExpiredHeight {
				// Expiry is lazy in state; the view shows it (see docs/ledger.md).
				c.State, c.EndReason, c.EndHeight = ContractEnded, EndExpired, f.ExpiredHeight
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// Proofs implements Ledger.
func (l *Embedded) Proofs(_ context.Context, fileHash []byte) ([]ProofRecord, error) {
	var out []ProofRecord
	err := l.view(func(_ *env, tx *bolt.Tx) error {
		return scan(tx, sProofs, fileKey(fileHash), func(_, v []byte) error {
			var p ProofRecord
			if err := decodeTrusted(v, &p); err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// Challenge implements Ledger.
func (l *Embedded) Challenge(_ context.Context, fileHash []byte, node keys.Address) (*ProofChallenge, error) {
	var ch *ProofChallenge
	err := l.view(func(e *env, _ *bolt.Tx) error {
		f, ok := e.file(fileHash)
		if !ok {
			return status.Wrap(status.DspFileInfoNotFound, ErrNotFound, "file %x", fileHash)
		}
		c, ok := e.contract(fileHash, node)
		if !ok || !(c.State == ContractActive || (c.State == ContractRecovering && c.StartHeight != 0)) {
			return badProof("%s has no active or confirmed recovering contract for file %x", node, fileHash)
		}
		r, err := openRound(c.NextProveHeight, f.ProveInterval, e.height+1)
		if err != nil {
			return err
		}
		if r > f.ExpiredHeight {
			return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrExpired, "file %x expired at %d", fileHash, f.ExpiredHeight)
		}
		ch = roundChallenge(e.kv, f, node, r)
		ch.Deadline = r + f.ProveInterval
		if c.Deadline != 0 {
			ch.Deadline = min(ch.Deadline, c.Deadline)
		}
		if ch.Deadline <= e.height {
			return badProof("round %d of %s for file %x closed at height %d", r, node, fileHash, ch.Deadline)
		}
		return nil
	})
	return ch, err
}

// Duties implements Ledger.
func (l *Embedded) Duties(_ context.Context, node keys.Address) ([]Duty, error) {
	var out []Duty
	err := l.view(func(e *env, tx *bolt.Tx) error {
		return scan(tx, sDuty, node[:], func(k, _ []byte) error {
			fk := k[len(node):]
			if len(fk) < 1 || int(fk[0]) != len(fk)-1 {
				return status.Wrap(status.ChainInternalError, ErrMalformed, "duty index key %x", k)
			}
			f, fok := e.file(fk[1:])
			c, cok := e.contract(fk[1:], node)
			if !fok || !cok || !isOpen(c.State) {
				return nil
			}
			confirmed := c.State == ContractActive || c.StartHeight != 0
			if (confirmed && c.NextProveHeight > f.ExpiredHeight) || (!confirmed && e.height+1+f.ProveInterval > f.ExpiredHeight) {
				return nil // nothing left to do before expiry
			}
			d := Duty{FileHash: f.FileHash, State: c.State, Confirmed: confirmed, Deadline: c.Deadline,
				ProveInterval: f.ProveInterval, ExpiredHeight: f.ExpiredHeight, FileBlockNum: f.FileBlockNum,
				ProveBlockNum: f.ProveBlockNum, Replaces: c.Replaces}
			if confirmed {
				d.NextProveHeight = c.NextProveHeight
			}
			for _, a := range f.PrimaryNodes {
				if a != node && !slices.Contains(f.FailedNodes, a) {
					d.Holders = append(d.Holders, a)
				}
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// openRound returns the round a proof included at height next may name: the latest round
// next-interval <= r < next among next0, next0+interval, ...
func openRound(next0, interval, next uint64) (uint64, error) {
	if next <= next0 {
		return 0, badProof("the next round is at height %d; the chain is at %d", next0, next-1)
	}
	k := (next - 1 - next0) / interval
	return next0 + k*interval, nil
}

// Channel implements Ledger.
func (l *Embedded) Channel(_ context.Context, id Hash) (*Channel, error) {
	var c *Channel
	err := l.view(func(e *env, _ *bolt.Tx) error {
		var ok bool
		if c, ok = e.channel(id); !ok {
			return chanErr(ErrNotFound, "channel %s does not exist", id)
		}
		return nil
	})
	return c, err
}

// Channels implements Ledger.
func (l *Embedded) Channels(_ context.Context, addr keys.Address) ([]Channel, error) {
	var out []Channel
	err := l.view(func(e *env, tx *bolt.Tx) error {
		return scan(tx, sChanAcct, addr[:], func(k, _ []byte) error {
			var id Hash
			if len(k) != len(addr)+len(id) {
				return status.Wrap(status.ChainInternalError, ErrMalformed, "channel index key %x", k)
			}
			copy(id[:], k[len(addr):])
			if c, ok := e.channel(id); ok {
				out = append(out, *c)
			}
			return nil
		})
	})
	return out, err
}

// Header implements Ledger.
func (l *Embedded) Header(_ context.Context, name string) (*Header, error) {
	var h *Header
	err := l.view(func(e *env, _ *bolt.Tx) error {
		var ok bool
		h, ok = e.header(name)
		if !ok || e.height > h.ExpireHeight {
			return status.Wrap(status.DspGetFileLinkFailed, ErrNotFound, "header %q is not registered", name)
		}
		return nil
	})
	return h, err
}

// Resolve implements Ledger.
func (l *Embedded) Resolve(_ context.Context, url string) (*URLRecord, error) {
	var u *URLRecord
	err := l.view(func(e *env, _ *bolt.Tx) error {
		var err error
		u, err = e.resolve(url)
		return err
	})
	return u, err
}

func (e *env) resolve(url string) (*URLRecord, error) {
	full := e.fullURL(url)
	u, ok := e.urlRecord(full)
	if !ok {
		return nil, status.Wrap(status.DspGetFileLinkFailed, ErrNotFound, "%s is not registered", full)
	}
	hdr, hasHdr := e.header(u.Header)
	if err := liveURL(u, hdr, hasHdr, e.params, e.height); err != nil {
		return nil, err
	}
	return u, nil
}

// StateRoot implements Ledger: sha256 over every state bucket in name order, and in each every
// key and value in key order, each length-prefixed.
func (l *Embedded) StateRoot(context.Context) (Hash, error) {
	var root Hash
	err := l.view(func(_ *env, tx *bolt.Tx) error {
		root = stateRoot(tx)
		return nil
	})
	return root, err
}

func stateRoot(tx *bolt.Tx) Hash {
	names := make([]string, len(stateBuckets))
	for i, b := range stateBuckets {
		names[i] = string(b)
	}
	sort.Strings(names)
	h := newHasher()
	for _, n := range names {
		h.field([]byte(n))
		_ = tx.Bucket([]byte(n)).ForEach(func(k, v []byte) error {
			h.field(k)
			h.field(v)
			return nil
		})
		h.field(nil)
	}
	return h.sum()
}
