package ledger

import (
	"fmt"

	"dsp/keys"
	"dsp/status"
)

// ProofVerifier checks a PDP proof against the file's public parameters and the round's
// challenge seed. PDPVerifier (pdp.VerifyRound) is the default; tests may inject another. It must
// be deterministic and safe for concurrent use.
type ProofVerifier interface {
	// VerifyProof returns nil when the proof is valid for the challenge; any error refuses it.
	VerifyProof(c ProofChallenge, proof []byte) error
}

// ProofChallenge is everything a verifier needs, all of it from the ledger (pdp.md, Challenge).
type ProofChallenge struct {
	FileHash       []byte
	Prover         keys.Address
	FileProveParam []byte
	FileBlockNum   uint64
	ProveBlockNum  uint64
	RoundHeight    uint64
	Seed           Hash   // the hash of the block at RoundHeight
	Deadline       uint64 // the last height whose block may include the proof (RoundHeight + ProveInterval)
}

// env is what executing one transaction sees besides state.
type env struct {
	kv       kv
	params   *Params
	height   uint64 // the height of the block being applied
	txHash   Hash
	sender   keys.Address
	verifier ProofVerifier
	verdicts *verdicts // nil: no cache

	chainID   string // the chain's id: channel ids and channel signatures are bound to it
	nonce     uint64 // the transaction's nonce (a channel's id is derived from its opener's)
	senderKey []byte // the transaction's PubKey
}

// state accessors. Records are written by this package, so decodeTrusted suffices.

func (e *env) account(a keys.Address) Account {
	var acc Account
	if v := e.kv.get(sAccounts, a[:]); v != nil {
		if err := decodeTrusted(v, &acc); err != nil {
			panic(fmt.Sprintf("ledger: corrupt account %s: %v", a, err))
		}
	}
	return acc
}

func (e *env) putAccount(a keys.Address, acc Account) {
	if acc == (Account{}) {
		e.kv.del(sAccounts, a[:])
		return
	}
	e.kv.put(sAccounts, a[:], encode(&acc))
}

func nodeKey(r Role, a keys.Address) []byte { return append([]byte{byte(r)}, a[:]...) }

func (e *env) node(r Role, a keys.Address) (*NodeInfo, bool) {
	v := e.kv.get(sNodes, nodeKey(r, a))
	if v == nil {
		return nil, false
	}
	var n NodeInfo
	mustDecode(v, &n)
	return &n, true
}

func (e *env) putNode(n *NodeInfo) { e.kv.put(sNodes, nodeKey(n.Role, n.Address), encode(n)) }

func (e *env) file(h []byte) (*FileInfo, bool) {
	v := e.kv.get(sFiles, fileKey(h))
	if v == nil {
		return nil, false
	}
	var f FileInfo
	mustDecode(v, &f)
	return &f, true
}

func contractKey(h []byte, n keys.Address) []byte { return append(fileKey(h), n[:]...) }

func (e *env) contract(h []byte, n keys.Address) (*Contract, bool) {
	v := e.kv.get(sContracts, contractKey(h, n))
	if v == nil {
		return nil, false
	}
	var c Contract
	mustDecode(v, &c)
	return &c, true
}

// putContract writes c and keeps the duty index in step with its state.
func (e *env) putContract(c *Contract) {
	e.kv.put(sContracts, contractKey(c.FileHash, c.Node), encode(c))
	if isOpen(c.State) {
		e.kv.put(sDuty, dutyKey(c.Node, c.FileHash), []byte{1})
	} else {
		e.kv.del(sDuty, dutyKey(c.Node, c.FileHash))
	}
}

func mustDecode(v []byte, into any) {
	if err := decodeTrusted(v, into); err != nil {
		panic(fmt.Sprintf("ledger: corrupt state record %T: %v", into, err))
	}
}

// debit takes amount from a's balance or fails with INSUFFICIENT_BALANCE.
func (e *env) debit(a keys.Address, amount uint64, what string) error {
	acc := e.account(a)
	if acc.Balance < amount {
		return status.Wrap(status.InsufficientBalance, ErrInsufficient, "%s needs %d, %s has %d", what, amount, a, acc.Balance)
	}
	acc.Balance -= amount
	e.putAccount(a, acc)
	return nil
}

// credit adds amount to a's balance. Total supply is fixed by the genesis, so no balance can
// overflow; a failure here is a bug.
func (e *env) credit(a keys.Address, amount uint64) {
	if amount == 0 {
		return
	}
	acc := e.account(a)
	if acc.Balance+amount < acc.Balance {
		panic("ledger: balance overflow")
	}
	acc.Balance += amount
	e.putAccount(a, acc)
}

func invalid(f string, a ...any) error {
	return status.Wrap(status.InvalidParams, ErrMalformed, f, a...)
}

// execute applies p's effects (not the nonce and fee) through e. On error the caller discards
// every write e made.
func (e *env) execute(p Payload) (result string, err error) {
	switch p := p.(type) {
	case *Transfer:
		return "", e.transfer(p)
	case *Pledge:
		return "", e.pledge(p)
	case *Unlock:
		return "", e.unlock(p)
	case *RegisterNode:
		return "", e.registerNode(p)
	case *UpdateNode:
		return "", e.updateNode(p)
	case *UnregisterNode:
		return "", e.unregisterNode(p)
	case *StoreFile:
		return e.storeFile(p)
	case *DeleteFile:
		return "", e.deleteFile(p)
	case *ConfirmFile:
		return "", e.confirmFile(p)
	case *CloseContract:
		return "", e.closeContract(p)
	case *SetWhiteList:
		return "", e.setWhiteList(p)
	case *SubmitProof:
		return "", e.submitProof(p)
	case *RegisterHeader:
		return "", e.registerHeader(p)
	case *RegisterURL:
		return e.registerURL(p, e.sender)
	case *TransferName:
		return "", e.transferName(p)
	case *UpdateURL:
		return "", e.updateURL(p)
	case *DeleteName:
		return "", e.deleteName(p)
	case *RenewHeader:
		return "", e.renewHeader(p)
	case *OpenChannel:
		return e.openChannel(p)
	case *DepositChannel:
		return "", e.depositChannel(p)
	case *CloseChannel:
		return "", e.closeChannel(p)
	case *UpdateChannel:
		return "", e.updateChannel(p)
	case *CoopCloseChannel:
		return "", e.coopCloseChannel(p)
	case *SettleChannel:
		return "", e.settleChannel(p)
	}
	return "", invalid("unknown payload %T", p)
}

// chargeTx checks the nonce and takes the fee; it is the part of a transaction that applies even
// when its payload fails. The fee goes to producer.
func (e *env) chargeTx(tx *Tx, producer keys.Address) error {
	acc := e.account(e.sender)
	if tx.Nonce != acc.Nonce {
		return status.Wrap(status.InvalidParams, ErrBadNonce, "tx nonce %d, %s expects %d", tx.Nonce, e.sender, acc.Nonce)
	}
	if tx.Fee < e.params.MinFee {
		return status.Wrap(status.InvalidParams, ErrFeeTooLow, "fee %d below minimum %d", tx.Fee, e.params.MinFee)
	}
	if acc.Balance < tx.Fee {
		return status.Wrap(status.InsufficientBalance, ErrInsufficient, "fee %d, %s has %d", tx.Fee, e.sender, acc.Balance)
	}
	acc.Balance -= tx.Fee
	acc.Nonce++
	e.putAccount(e.sender, acc)
	e.credit(producer, tx.Fee)
	return nil
}
