package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"

	bolt "go.etcd.io/bbolt"

	"dsp/keys"
)

// The due index (sDue) holds one key per contract that owes something by a height: u64
// deadline | fileKey | node. At the end of every block the ledger visits the keys of that height
// only, so the per-block work is proportional to what is due, not to all contracts. The duty
// index (sDuty: node | fileKey) lists each node's pending, active and recovering contracts for
// Duties.

func dueKey(h uint64, fh []byte, n keys.Address) []byte {
	return append(append(u64(h), fileKey(fh)...), n[:]...)
}

func dutyKey(n keys.Address, fh []byte) []byte {
	return append(append([]byte{}, n[:]...), fileKey(fh)...)
}

// setDeadline moves c's entry in the due index to d (0 = none). The caller writes c.
func (e *env) setDeadline(c *Contract, d uint64) {
	if c.Deadline != 0 {
		e.kv.del(sDue, dueKey(c.Deadline, c.FileHash, c.Node))
	}
	c.Deadline = d
	if d != 0 {
		e.kv.put(sDue, dueKey(d, c.FileHash, c.Node), []byte{1})
	}
}

// holderDeadline is the deadline of an active contract whose next round is c.NextProveHeight:
// the close of the last round the node may leave unproven (Params.ProofGraceRounds) plus one,
// or 0 when that round falls after the file's expiry (nothing owed can fail it).
func (e *env) holderDeadline(f *FileInfo, next uint64) uint64 {
	iv := f.ProveInterval
	hi, last := bits.Mul64(e.params.ProofGraceRounds, iv)
	if hi != 0 || next+last < next || next+last > f.ExpiredHeight {
		return 0
	}
	return next + last + iv
}

func isOpen(state uint8) bool {
	return state == ContractPending || state == ContractActive || state == ContractRecovering
}

// slashAmount is Params.SlashPercent of pledge, rounded up, at most pledge.
func slashAmount(pledge, percent uint64) uint64 {
	hi, lo := bits.Mul64(pledge, min(percent, 100))
	q, r := bits.Div64(hi, lo, 100)
	if r != 0 {
		q++
	}
	return min(q, pledge)
}

// sweep runs at the end of block e.height, after its transactions: every contract whose
// deadline is this height and that still owes its proof fails (a holder: slashed, replaced by a
// recovering node) or times out (a recovering node: replaced by another). Each contract is
// visited once: its index entry is removed or moved past this height.
func (e *env) sweep(tx *bolt.Tx) {
	prefix := u64(e.height)
	var due [][]byte
	c := tx.Bucket(sDue).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		due = append(due, bytes.Clone(k))
	}
	for _, k := range due {
		fk, node := k[8:len(k)-len(keys.Address{})], keys.Address(k[len(k)-len(keys.Address{}):])
		if len(fk) < 1 || int(fk[0]) != len(fk)-1 {
			panic("ledger: corrupt due index key")
		}
		ct, ok := e.contract(fk[1:], node)
		f, fok := e.file(fk[1:])
		if !ok || !fok || ct.Deadline != e.height {
			e.kv.del(sDue, k) // stale: cannot happen while every writer keeps the index
			continue
		}
		switch ct.State {
		case ContractActive:
			e.failHolder(tx, f, ct)
		case ContractRecovering:
			e.recoveryTimeout(tx, f, ct)
		default:
			e.setDeadline(ct, 0)
			e.putContract(ct)
		}
	}
}

// failHolder slashes an active holder that let its deadline pass, marks its contract failed and
// starts recovery with the contract's unspent balance and the slashed amount.
func (e *env) failHolder(tx *bolt.Tx, f *FileInfo, c *Contract) {
	var slash uint64
	if n, ok := e.node(RoleFS, c.Node); ok {
		slash = slashAmount(n.Pledge, e.params.SlashPercent)
		n.Pledge -= slash
		n.Used -= min(n.Used, c.Size)
		n.Failures++
		n.Slashed += slash
		e.putNode(n)
	}
	funds := c.Balance
	e.setDeadline(c, 0)
	c.State, c.EndHeight, c.Slashed, c.Balance = ContractFailed, e.height, slash, 0
	e.putContract(c)
	f.FailedNodes = append(f.FailedNodes, c.Node)
	e.startRecovery(tx, f, c.Node, c.Rate, funds, slash)
	e.putFile(f)
}

// recoveryTimeout ends a recovering contract whose node did not deliver in time and hands the
// recovery to another node. The node is not slashed: it never held the file under contract.
func (e *env) recoveryTimeout(tx *bolt.Tx, f *FileInfo, c *Contract) {
	if n, ok := e.node(RoleFS, c.Node); ok {
		n.Used -= min(n.Used, c.Size)
		e.putNode(n)
	}
	funds, bounty := c.Balance, c.Bounty
	e.setDeadline(c, 0)
	c.State, c.EndReason, c.EndHeight, c.Balance, c.Bounty = ContractEnded, EndRecoveryTimeout, e.height, 0, 0
	e.putContract(c)
	f.RecoveringNodes = without(f.RecoveringNodes, c.Node)
	f.FailedNodes = append(f.FailedNodes, c.Node)
	e.startRecovery(tx, f, c.Replaces, c.Rate, funds, bounty)
	e.putFile(f)
}

// startRecovery assigns a node to replace the holder replaces: the first eligible of the file's
// CandidateNodes, else an eligible registered FS node chosen from the parent block's hash. Its
// ContractRecovering contract keeps the failed contract's rate, takes funds as its balance and
// bounty as its first-proof reward, and must deliver within Params.RecoveryRounds intervals.
// With no eligible node, or no proof round left before the file's expiry, funds and bounty go
// to the owner. The caller writes f.
func (e *env) startRecovery(tx *bolt.Tx, f *FileInfo, replaces keys.Address, rate, funds, bounty uint64) {
	iv := f.ProveInterval
	var n *NodeInfo
	if e.height+iv <= f.ExpiredHeight {
		n = e.pickRecoverer(tx, f, replaces)
	}
	if n == nil {
		e.credit(f.FileOwner, funds)
		e.credit(f.FileOwner, bounty)
		return
	}
	n.Used += f.RealFileSize
	e.putNode(n)
	c := &Contract{FileHash: f.FileHash, Node: n.Address, Owner: f.FileOwner, Size: f.RealFileSize, Rate: rate,
		Deposit: funds, Balance: funds, State: ContractRecovering, Replaces: replaces, Bounty: bounty}
	e.setDeadline(c, e.height+iv*e.params.recoveryRounds())
	e.putContract(c)
	f.RecoveringNodes = append(f.RecoveringNodes, n.Address)
}

// eligible reports whether n may recover f: a registered FS node whose terms take the file and
// that never had a contract for it (so no holder, failed node or earlier recoverer).
func (e *env) eligible(n *NodeInfo, f *FileInfo) bool {
	if err := nodeAccepts(n, &UploadOption{FileSize: f.RealFileSize, ProveInterval: f.ProveInterval}); err != nil {
		return false
	}
	_, had := e.contract(f.FileHash, n.Address)
	return !had
}

func (e *env) pickRecoverer(tx *bolt.Tx, f *FileInfo, replaces keys.Address) *NodeInfo {
	for _, a := range f.CandidateNodes {
		if n, ok := e.node(RoleFS, a); ok && e.eligible(n, f) {
			return n
		}
	}
	// No candidate: every eligible FS node, in registry order, one picked by the parent's hash.
	var pool []*NodeInfo
	prefix := []byte{byte(RoleFS)}
	cur := tx.Bucket(sNodes).Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		var n NodeInfo
		mustDecode(v, &n)
		if e.eligible(&n, f) {
			pool = append(pool, &n)
		}
	}
	if len(pool) == 0 {
		return nil
	}
	h := sha256.New()
	h.Write([]byte("dsp-recovery"))
	h.Write(e.kv.get(bBlockHash, u64(e.height-1)))
	h.Write(fileKey(f.FileHash))
	h.Write(replaces[:])
	pick := binary.BigEndian.Uint64(h.Sum(nil)[:8]) % uint64(len(pool))
	return pool[pick]
}

// completeRecovery makes a recovering node a holder after its first valid proof: it takes the
// failed holder's place in PrimaryNodes (so the file keeps its copy count) and is paid the
// bounty. The caller writes c.
func (e *env) completeRecovery(f *FileInfo, c *Contract) {
	replaced := false
	for i, a := range f.PrimaryNodes {
		if a == c.Replaces {
			f.PrimaryNodes[i], replaced = c.Node, true
			break
		}
	}
	if !replaced {
		f.PrimaryNodes = append(f.PrimaryNodes, c.Node)
	}
	f.RecoveringNodes = without(f.RecoveringNodes, c.Node)
	e.putFile(f)
	e.credit(c.Node, c.Bounty) // on top of the round's pay; Paid counts only the client balance
	c.Bounty = 0
	c.State = ContractActive
}

func without(as []keys.Address, a keys.Address) []keys.Address {
	out := make([]keys.Address, 0, len(as))
	for _, x := range as {
		if x != a {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (e *env) putFile(f *FileInfo) { e.kv.put(sFiles, fileKey(f.FileHash), encode(f)) }
