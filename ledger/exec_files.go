package ledger

import (
	"encoding/hex"
	"math/bits"
	"strings"

	"dsp/keys"
	"dsp/pdp"
	"dsp/status"
)

const (
	mib              = 1 << 20
	maxFileHashLen   = 64
	maxProveParamLen = 4096
	maxDescLen       = 1024
	maxWhiteListLen  = 1024
	maxCandidates    = 16
	maxCopies        = 16
)

// FileLink is the link a URL registered for a file maps to: "file:" and the file hash in hex.
func FileLink(fileHash []byte) string { return "file:" + hex.EncodeToString(fileHash) }

// SizeMB is the number of started MiB in size (at least 1): the unit FS prices apply to.
func SizeMB(size uint64) uint64 {
	if size == 0 {
		return 1
	}
	return (size + mib - 1) / mib
}

// ContractDeposit is what one node's contract costs: price per MiB per block, times the file's
// started MiB, times the blocks from height to expiredHeight. ok is false on overflow.
func ContractDeposit(price, size, height, expiredHeight uint64) (rate, deposit uint64, ok bool) {
	hi, rate := bits.Mul64(price, SizeMB(size))
	if hi != 0 || expiredHeight < height {
		return 0, 0, false
	}
	hi, deposit = bits.Mul64(rate, expiredHeight-height)
	return rate, deposit, hi == 0
}

func (e *env) checkStoreFile(p *StoreFile) error {
	o := &p.Option
	switch {
	case len(p.FileHash) == 0 || len(p.FileHash) > maxFileHashLen:
		return invalid("file hash is %d bytes, want 1-%d", len(p.FileHash), maxFileHashLen)
	case len(p.BlocksRoot) > maxFileHashLen:
		return invalid("blocks root is %d bytes, limit %d", len(p.BlocksRoot), maxFileHashLen)
	case p.FileBlockNum == 0 || p.FileBlockSize == 0:
		return invalid("file block num and size must be > 0")
	case p.ProveBlockNum == 0 || p.ProveBlockNum > p.FileBlockNum || p.ProveBlockNum > e.params.MaxProveBlockNum || p.ProveBlockNum > pdp.MaxChallenged:
		return invalid("prove block num %d, want 1-min(%d, %d, %d)", p.ProveBlockNum, p.FileBlockNum, e.params.MaxProveBlockNum, pdp.MaxChallenged)
	case len(p.FileProveParam) > maxProveParamLen:
		return invalid("prove params are %d bytes, limit %d", len(p.FileProveParam), maxProveParamLen)
	case o.FileSize == 0 || o.ProveInterval == 0:
		return invalid("file size and prove interval must be > 0")
	case o.ExpiredHeight < e.height+o.ProveInterval:
		return status.Wrap(status.DspCustomExpiredNotEnough, ErrExpired, "expired height %d leaves no proof round after height %d (interval %d)", o.ExpiredHeight, e.height, o.ProveInterval)
	case o.Privilege > PrivilegeWhitelist:
		return invalid("privilege %d, want 0, 1 or 2", o.Privilege)
	case len(o.EncryptPassword) != 0:
		return invalid("an encryption password never goes on the ledger")
	case len(o.FileDesc) > maxDescLen:
		return invalid("file description is %d bytes, limit %d", len(o.FileDesc), maxDescLen)
	case len(o.WhiteList.Rules) > maxWhiteListLen:
		return invalid("whitelist has %d rules, limit %d", len(o.WhiteList.Rules), maxWhiteListLen)
	case o.CopyNum >= maxCopies || uint64(len(p.PrimaryNodes)) != o.CopyNum+1:
		return invalid("%d primary nodes for copy num %d: want copy num + 1 (at most %d)", len(p.PrimaryNodes), o.CopyNum, maxCopies)
	case len(p.CandidateNodes) > maxCandidates:
		return invalid("%d candidate nodes, limit %d", len(p.CandidateNodes), maxCandidates)
	}
	if err := e.checkProveParam(p.FileProveParam); err != nil {
		return err
	}
	seen := map[keys.Address]bool{}
	for _, a := range append(append([]keys.Address{}, p.PrimaryNodes...), p.CandidateNodes...) {
		if seen[a] {
			return invalid("node %s named twice", a)
		}
		seen[a] = true
		if _, ok := e.node(RoleFS, a); !ok {
			return status.Wrap(status.TaskReceiversRejected, ErrNotFound, "%s is not a registered FS node", a)
		}
	}
	return nil
}

// nodeAccepts checks seed 004's provider parameters against the file.
func nodeAccepts(n *NodeInfo, o *UploadOption) error {
	switch {
	case !n.Accepting:
		return status.Wrap(status.TaskReceiversRejected, ErrRejected, "node %s accepts no new files", n.Address)
	case o.FileSize < n.MinFileSize || (n.MaxFileSize != 0 && o.FileSize > n.MaxFileSize):
		return status.Wrap(status.TaskReceiversRejected, ErrRejected, "node %s takes files of %d-%d bytes, not %d", n.Address, n.MinFileSize, n.MaxFileSize, o.FileSize)
	case n.Capacity-n.Used < o.FileSize:
		return status.Wrap(status.TaskReceiversRejected, ErrRejected, "node %s has %d bytes free, file is %d", n.Address, n.Capacity-n.Used, o.FileSize)
	case o.ProveInterval > n.MaxProveInterval:
		return status.Wrap(status.TaskReceiversRejected, ErrRejected, "node %s wants a proof at least every %d blocks, not %d", n.Address, n.MaxProveInterval, o.ProveInterval)
	}
	return nil
}

func (e *env) storeFile(p *StoreFile) (string, error) {
	if err := e.checkStoreFile(p); err != nil {
		return "", err
	}
	if _, ok := e.file(p.FileHash); ok {
		return "", status.Wrap(status.DspUploadFileExist, ErrExists, "file %x is on the ledger", p.FileHash)
	}
	o := &p.Option
	var total uint64
	contracts := make([]*Contract, 0, len(p.PrimaryNodes))
	for _, a := range p.PrimaryNodes {
		n, _ := e.node(RoleFS, a)
		if err := nodeAccepts(n, o); err != nil {
			return "", err
		}
		rate, dep, ok := ContractDeposit(n.PricePerMBBlock, o.FileSize, e.height, o.ExpiredHeight)
		if !ok || total+dep < total {
			return "", status.Wrap(status.DspCalcUploadFeeFailed, ErrInsufficient, "deposit overflows")
		}
		total += dep
		n.Used += o.FileSize
		e.putNode(n)
		contracts = append(contracts, &Contract{FileHash: p.FileHash, Node: a, Owner: e.sender, Size: o.FileSize,
			Rate: rate, Deposit: dep, Balance: dep, State: ContractPending})
	}
	if err := e.debit(e.sender, total, "file deposit"); err != nil {
		return "", err
	}
	for _, c := range contracts {
		e.putContract(c)
	}
	f := &FileInfo{
		FileHash: p.FileHash, FileOwner: e.sender, FileDesc: o.FileDesc, Privilege: o.Privilege,
		FileBlockNum: p.FileBlockNum, FileBlockSize: p.FileBlockSize, ProveInterval: o.ProveInterval,
		ProveTimes: (o.ExpiredHeight - e.height) / o.ProveInterval, ExpiredHeight: o.ExpiredHeight,
		CopyNum: o.CopyNum, Deposit: total, FileProveParam: p.FileProveParam, ProveBlockNum: p.ProveBlockNum,
		BlockHeight: e.height, ValidFlag: true, StorageType: o.StorageType, RealFileSize: o.FileSize,
		PrimaryNodes: p.PrimaryNodes, CandidateNodes: p.CandidateNodes, BlocksRoot: p.BlocksRoot,
	}
	e.kv.put(sFiles, fileKey(p.FileHash), encode(f))
	e.kv.put(sOwner, append(e.sender[:], fileKey(p.FileHash)...), []byte{1})
	e.kv.put(sWhiteList, fileKey(p.FileHash), encode(&o.WhiteList))
	return e.fileDNS(p)
}

// fileDNS registers or binds the option's URL to the file.
func (e *env) fileDNS(p *StoreFile) (string, error) {
	o := &p.Option
	url := string(o.DnsURL)
	switch {
	case o.RegisterDNS:
		hdr, path := "", url
		if i := strings.Index(url, "://"); i >= 0 {
			hdr, path = url[:i], url[i+3:]
		}
		return e.registerURL(&RegisterURL{Header: hdr, URL: path, Link: FileLink(p.FileHash), Desc: string(o.FileDesc)}, e.sender)
	case o.BindDNS:
		if !strings.Contains(url, "://") {
			url = e.params.DefaultHeader + "://" + url
		}
		u, err := e.ownedURL(url, status.DspUrlBindFailed)
		if err != nil {
			return "", err
		}
		u.Link = FileLink(p.FileHash)
		e.kv.put(sURLs, []byte(u.Full()), encode(u))
		return u.Full(), nil
	}
	return "", nil
}

func (e *env) ownedFile(h []byte, denied status.Code) (*FileInfo, error) {
	f, ok := e.file(h)
	if !ok {
		return nil, status.Wrap(status.DspFileInfoNotFound, ErrNotFound, "file %x", h)
	}
	if f.FileOwner != e.sender {
		return nil, status.Wrap(denied, ErrNotOwner, "file %x belongs to %s, not %s", h, f.FileOwner, e.sender)
	}
	return f, nil
}

func (e *env) deleteFile(p *DeleteFile) error {
	f, err := e.ownedFile(p.FileHash, status.TaskDeleteFileAccessDenied)
	if err != nil {
		return err
	}
	for _, a := range append(append(append([]keys.Address{}, f.PrimaryNodes...), f.RecoveringNodes...), f.FailedNodes...) {
		c, ok := e.contract(f.FileHash, a)
		if !ok {
			continue
		}
		e.endContract(c, EndClosedOwner)
		e.kv.del(sContracts, contractKey(f.FileHash, a))
		e.kv.del(sDuty, dutyKey(a, f.FileHash))
	}
	e.kv.del(sFiles, fileKey(f.FileHash))
	e.kv.del(sOwner, append(f.FileOwner[:], fileKey(f.FileHash)...))
	e.kv.del(sWhiteList, fileKey(f.FileHash))
	return nil
}

// endContract refunds the unspent balance (and a recovering contract's unpaid bounty) to the
// owner, frees the node's space and drops the contract's deadline. Ending an ended or failed
// contract does nothing.
func (e *env) endContract(c *Contract, reason uint8) {
	if c.State == ContractEnded || c.State == ContractFailed {
		return
	}
	e.credit(c.Owner, c.Balance)
	e.credit(c.Owner, c.Bounty)
	c.Balance, c.Bounty = 0, 0
	e.setDeadline(c, 0)
	if n, ok := e.node(RoleFS, c.Node); ok {
		n.Used -= min(n.Used, c.Size)
		e.putNode(n)
	}
	c.State, c.EndReason, c.EndHeight = ContractEnded, reason, e.height
	e.putContract(c)
}

func (e *env) confirmFile(p *ConfirmFile) error {
	f, ok := e.file(p.FileHash)
	if !ok {
		return status.Wrap(status.DspFileInfoNotFound, ErrNotFound, "file %x", p.FileHash)
	}
	c, ok := e.contract(p.FileHash, e.sender)
	if !ok {
		return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrBadProof, "%s is not a primary node of file %x", e.sender, p.FileHash)
	}
	recovering := c.State == ContractRecovering && c.StartHeight == 0
	if c.State != ContractPending && !recovering {
		return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrExists, "contract of %s for file %x is not pending", e.sender, p.FileHash)
	}
	if e.height+f.ProveInterval > f.ExpiredHeight {
		return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrExpired, "file %x expires at %d, no round is left", p.FileHash, f.ExpiredHeight)
	}
	c.StartHeight, c.LastProofHeight = e.height, e.height
	if recovering {
		// The first round is the confirm height itself; the recovery deadline stays.
		c.NextProveHeight = e.height
	} else {
		c.State, c.NextProveHeight = ContractActive, e.height+f.ProveInterval
		e.setDeadline(c, e.holderDeadline(f, c.NextProveHeight))
	}
	e.putContract(c)
	return nil
}

func (e *env) closeContract(p *CloseContract) error {
	c, ok := e.contract(p.FileHash, p.Node)
	if !ok {
		return status.Wrap(status.DspFileInfoNotFound, ErrNotFound, "no contract of %s for file %x", p.Node, p.FileHash)
	}
	var reason uint8
	switch e.sender {
	case c.Owner:
		reason = EndClosedOwner
	case c.Node:
		reason = EndClosedNode
	default:
		return status.Wrap(status.TaskDeleteFileAccessDenied, ErrNotOwner, "%s is neither the owner nor the node of the contract", e.sender)
	}
	if c.State == ContractEnded || c.State == ContractFailed {
		return status.Wrap(status.InvalidParams, ErrExpired, "contract already %s", ContractStateName(c.State))
	}
	if c.State == ContractRecovering {
		// A recovery closed by either side: the node is off the file's recovering list.
		if f, ok := e.file(c.FileHash); ok {
			f.RecoveringNodes = without(f.RecoveringNodes, c.Node)
			e.putFile(f)
		}
	}
	e.endContract(c, reason)
	return nil
}

func (e *env) setWhiteList(p *SetWhiteList) error {
	f, err := e.ownedFile(p.FileHash, status.DspWhitelistOpFailed)
	if err != nil {
		return err
	}
	if p.Privilege > PrivilegeWhitelist || len(p.WhiteList.Rules) > maxWhiteListLen {
		return status.Wrap(status.DspWhitelistOpFailed, ErrMalformed, "privilege %d with %d rules", p.Privilege, len(p.WhiteList.Rules))
	}
	f.Privilege = p.Privilege
	e.kv.put(sFiles, fileKey(f.FileHash), encode(f))
	e.kv.put(sWhiteList, fileKey(f.FileHash), encode(&p.WhiteList))
	return nil
}

func proofKey(h []byte, n keys.Address, round uint64) []byte {
	return append(contractKey(h, n), u64(round)...)
}

func badProof(f string, a ...any) error {
	return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrBadProof, f, a...)
}

func (e *env) submitProof(p *SubmitProof) error {
	f, ok := e.file(p.FileHash)
	if !ok {
		return badProof("file %x is not on the ledger", p.FileHash)
	}
	c, ok := e.contract(p.FileHash, e.sender)
	recovering := ok && c.State == ContractRecovering
	switch {
	case !ok || (c.State != ContractActive && !recovering):
		return badProof("%s has no active contract for file %x", e.sender, p.FileHash)
	case recovering && c.StartHeight == 0:
		return badProof("%s recovers file %x but has not confirmed it", e.sender, p.FileHash)
	}
	r, iv := p.RoundHeight, f.ProveInterval
	switch {
	case r < c.NextProveHeight || (r-c.NextProveHeight)%iv != 0:
		return badProof("round %d is not a round of this contract (next %d, interval %d)", r, c.NextProveHeight, iv)
	case r >= e.height:
		return badProof("round %d has not been reached at height %d", r, e.height)
	case e.height > r+iv:
		return badProof("round %d closed at height %d", r, r+iv)
	case r > f.ExpiredHeight:
		return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrExpired, "round %d is after the file's expiry %d", r, f.ExpiredHeight)
	case len(p.Proof) == 0 || len(p.Proof) > maxProveParamLen:
		return badProof("proof is %d bytes", len(p.Proof))
	}
	if err := e.verifyProof(roundChallenge(e.kv, f, e.sender, r), p.Proof); err != nil {
		return status.Wrap(status.TaskFileUploadedCheckPdpFailed, ErrBadProof, "verify proof of %s for file %x round %d: %v", e.sender, p.FileHash, r, err)
	}
	verified := true
	var pay uint64
	if hi, lo := bits.Mul64(c.Rate, iv); hi != 0 {
		pay = c.Balance
	} else {
		pay = min(c.Balance, lo)
	}
	c.Missed += (r - c.NextProveHeight) / iv
	c.Balance -= pay
	c.Paid += pay
	c.Proofs++
	c.LastProofHeight, c.NextProveHeight = r, r+iv
	e.credit(c.Node, pay)
	if recovering {
		e.completeRecovery(f, c)
	}
	e.setDeadline(c, e.holderDeadline(f, c.NextProveHeight))
	e.putContract(c)
	if c.Balance == 0 {
		e.endContract(c, EndExhausted)
	}
	rec := &ProofRecord{FileHash: f.FileHash, Node: e.sender, RoundHeight: r, Height: e.height, Paid: pay, Proof: p.Proof, Verified: verified}
	e.kv.put(sProofs, proofKey(f.FileHash, e.sender, r), encode(rec))
	return nil
}
