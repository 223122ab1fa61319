package ledger

import (
	"fmt"

	"dsp/keys"
	"dsp/status"
)

// TxKind says which payload a transaction carries. Values are stable.
type TxKind uint8

// Transaction kinds.
const (
	KindTransfer         TxKind = 1
	KindPledge           TxKind = 2
	KindUnlock           TxKind = 3
	KindRegisterNode     TxKind = 10
	KindUpdateNode       TxKind = 11
	KindUnregisterNode   TxKind = 12
	KindStoreFile        TxKind = 20
	KindDeleteFile       TxKind = 21
	KindConfirmFile      TxKind = 22
	KindCloseContract    TxKind = 23
	KindSetWhiteList     TxKind = 24
	KindSubmitProof      TxKind = 25
	KindRegisterHeader   TxKind = 30
	KindRegisterURL      TxKind = 31
	KindTransferName     TxKind = 32
	KindUpdateURL        TxKind = 33
	KindDeleteName       TxKind = 34
	KindRenewHeader      TxKind = 35
	KindOpenChannel      TxKind = 40
	KindDepositChannel   TxKind = 41
	KindCloseChannel     TxKind = 42
	KindUpdateChannel    TxKind = 43
	KindCoopCloseChannel TxKind = 44
	KindSettleChannel    TxKind = 45
	maxPayloadBytes             = 48 << 10
	maxTxBytes                  = 56 << 10 // a tx fits in one wire frame with its envelope
)

// Payload is the body of a transaction. Each payload type names its kind.
type Payload interface {
	Kind() TxKind
}

// Transfer moves Amount from the sender to To.
type Transfer struct {
	To     keys.Address
	Amount uint64
}

// Pledge locks Amount of the sender's balance.
type Pledge struct{ Amount uint64 }

// Unlock returns Amount of the sender's pledge to its balance.
type Unlock struct{ Amount uint64 }

// RegisterNode registers the sender under Info.Role. Info.Address, Used and the heights are set
// by the ledger; Info.Pledge is taken from the sender's balance.
type RegisterNode struct{ Info NodeInfo }

// UpdateNode replaces the sender's registration under Info.Role. The pledge moves by the
// difference; Used and the heights are kept. Contracts already made keep their terms.
type UpdateNode struct{ Info NodeInfo }

// UnregisterNode removes the sender's registration under Role and returns its pledge. An FS node
// with bytes under contract cannot unregister.
type UnregisterNode struct{ Role Role }

// StoreFile records a file: the uploader's option and what the ledger needs for proofs. The
// deposit is computed by the ledger and taken from the sender, who becomes the owner.
type StoreFile struct {
	FileHash       []byte
	BlocksRoot     []byte
	FileBlockNum   uint64
	FileBlockSize  uint64
	ProveBlockNum  uint64
	FileProveParam []byte
	PrimaryNodes   []keys.Address
	CandidateNodes []keys.Address
	Option         UploadOption
}

// DeleteFile removes the sender's file and refunds every contract's unspent balance.
type DeleteFile struct{ FileHash []byte }

// ConfirmFile is sent by a primary node once it holds the whole file: its contract starts. A
// recovering node sends it once it has fetched the file; its first round is the confirm height.
type ConfirmFile struct{ FileHash []byte }

// CloseContract ends Node's contract for FileHash; the sender is the file's owner or Node. The
// unspent balance returns to the owner.
type CloseContract struct {
	FileHash []byte
	Node     keys.Address
}

// SetWhiteList replaces a file's privilege and whitelist; owner only.
type SetWhiteList struct {
	FileHash  []byte
	Privilege uint64
	WhiteList WhiteList
}

// SubmitProof proves that the sender (a primary node, or a recovering node that confirmed) holds
// FileHash for the round at RoundHeight; Proof is the 128-byte pdp proof of that round.
type SubmitProof struct {
	FileHash    []byte
	RoundHeight uint64
	Proof       []byte
}

// RegisterHeader registers a DNS header owned by the sender for TTL blocks.
type RegisterHeader struct {
	Name string
	Desc string
	TTL  uint64
}

// RegisterURL registers a URL in one of the spec's four modes: Header empty means the default
// header "dsp", URL empty means a random URL derived from the transaction hash.
type RegisterURL struct {
	Header string
	URL    string
	Link   string
	Name   string
	Desc   string
	TTL    uint64
}

// TransferName gives a header (IsHeader) or a URL ("header://url") to To; owner only.
type TransferName struct {
	Name     string
	IsHeader bool
	To       keys.Address
}

// UpdateURL changes a URL's link, name and description, and renews its TTL; owner only.
type UpdateURL struct {
	URL  string
	Link string
	Name string
	Desc string
	TTL  uint64
}

// DeleteName deletes a header (IsHeader) or a URL; owner only. A deleted header makes every URL
// under it unresolvable.
type DeleteName struct {
	Name     string
	IsHeader bool
}

// RenewHeader extends a header the sender owns to TTL blocks from now.
type RenewHeader struct {
	Name string
	TTL  uint64
}

// Kind implements Payload.
func (Transfer) Kind() TxKind { return KindTransfer }

// Kind implements Payload.
func (Pledge) Kind() TxKind { return KindPledge }

// Kind implements Payload.
func (Unlock) Kind() TxKind { return KindUnlock }

// Kind implements Payload.
func (RegisterNode) Kind() TxKind { return KindRegisterNode }

// Kind implements Payload.
func (UpdateNode) Kind() TxKind { return KindUpdateNode }

// Kind implements Payload.
func (UnregisterNode) Kind() TxKind { return KindUnregisterNode }

// Kind implements Payload.
func (StoreFile) Kind() TxKind { return KindStoreFile }

// Kind implements Payload.
func (DeleteFile) Kind() TxKind { return KindDeleteFile }

// Kind implements Payload.
func (ConfirmFile) Kind() TxKind { return KindConfirmFile }

// Kind implements Payload.
func (CloseContract) Kind() TxKind { return KindCloseContract }

// Kind implements Payload.
func (SetWhiteList) Kind() TxKind { return KindSetWhiteList }

// Kind implements Payload.
func (SubmitProof) Kind() TxKind { return KindSubmitProof }

// Kind implements Payload.
func (RegisterHeader) Kind() TxKind { return KindRegisterHeader }

// Kind implements Payload.
func (RegisterURL) Kind() TxKind { return KindRegisterURL }

// Kind implements Payload.
func (TransferName) Kind() TxKind { return KindTransferName }

// Kind implements Payload.
func (UpdateURL) Kind() TxKind { return KindUpdateURL }

// Kind implements Payload.
func (DeleteName) Kind() TxKind { return KindDeleteName }

// Kind implements Payload.
func (RenewHeader) Kind() TxKind { return KindRenewHeader }

var payloadTypes = map[TxKind]func() Payload{
	KindTransfer:         func() Payload { return &Transfer{} },
	KindPledge:           func() Payload { return &Pledge{} },
	KindUnlock:           func() Payload { return &Unlock{} },
	KindRegisterNode:     func() Payload { return &RegisterNode{} },
	KindUpdateNode:       func() Payload { return &UpdateNode{} },
	KindUnregisterNode:   func() Payload { return &UnregisterNode{} },
	KindStoreFile:        func() Payload { return &StoreFile{} },
	KindDeleteFile:       func() Payload { return &DeleteFile{} },
	KindConfirmFile:      func() Payload { return &ConfirmFile{} },
	KindCloseContract:    func() Payload { return &CloseContract{} },
	KindSetWhiteList:     func() Payload { return &SetWhiteList{} },
	KindSubmitProof:      func() Payload { return &SubmitProof{} },
	KindRegisterHeader:   func() Payload { return &RegisterHeader{} },
	KindRegisterURL:      func() Payload { return &RegisterURL{} },
	KindTransferName:     func() Payload { return &TransferName{} },
	KindUpdateURL:        func() Payload { return &UpdateURL{} },
	KindDeleteName:       func() Payload { return &DeleteName{} },
	KindRenewHeader:      func() Payload { return &RenewHeader{} },
	KindOpenChannel:      func() Payload { return &OpenChannel{} },
	KindDepositChannel:   func() Payload { return &DepositChannel{} },
	KindCloseChannel:     func() Payload { return &CloseChannel{} },
	KindUpdateChannel:    func() Payload { return &UpdateChannel{} },
	KindCoopCloseChannel: func() Payload { return &CoopCloseChannel{} },
	KindSettleChannel:    func() Payload { return &SettleChannel{} },
}

// Tx is a signed transaction. Its canonical encoding is the msgpack array of its fields in this
// order; the signature covers that encoding with Sig empty; its hash is sha256 of the full
// (signed) encoding. The sender's address is derived from PubKey.
type Tx struct {
	ChainID string
	Kind    TxKind
	Nonce   uint64 // the sender's next nonce: Account.Nonce at application
	Fee     uint64 // paid to the block producer
	PubKey  []byte // keys.PublicKey.Bytes() of the sender
	Body    []byte // canonical encoding of the payload of Kind
	Sig     []byte
}

// NewTx builds and signs a transaction of p from s.
func NewTx(s keys.Signer, chainID string, nonce, fee uint64, p Payload) (*Tx, error) {
	body := encode(p)
	if len(body) > maxPayloadBytes {
		return nil, status.Wrap(status.InvalidParams, ErrMalformed, "payload is %d bytes, limit %d", len(body), maxPayloadBytes)
	}
	tx := &Tx{ChainID: chainID, Kind: p.Kind(), Nonce: nonce, Fee: fee, PubKey: s.Public().Bytes(), Body: body}
	sig, err := s.Sign(tx.SigningBytes())
	if err != nil {
		return nil, fmt.Errorf("sign tx: %w", err)
	}
	tx.Sig = sig
	return tx, nil
}

// SigningBytes is the encoding the signature covers: tx with Sig empty.
func (tx *Tx) SigningBytes() []byte {
	c := *tx
	c.Sig = nil
	return encode(&c)
}

// Encode returns the canonical signed encoding.
func (tx *Tx) Encode() []byte { return encode(tx) }

// Hash is sha256 of the signed encoding.
func (tx *Tx) Hash() Hash { return sha(tx.Encode()) }

// DecodeTx parses a canonical signed encoding. It checks format only (see Verify).
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > maxTxBytes {
		return nil, status.Wrap(status.InvalidParams, ErrMalformed, "tx is %d bytes, limit %d", len(b), maxTxBytes)
	}
	var tx Tx
	if err := decode(b, &tx); err != nil {
		return nil, status.Wrap(status.InvalidParams, err, "decode tx")
	}
	return &tx, nil
}

// Sender returns the sender's public key and address.
func (tx *Tx) Sender() (keys.PublicKey, keys.Address, error) {
	pub, err := keys.ParsePublicKey(tx.PubKey)
	if err != nil {
		return keys.PublicKey{}, keys.Address{}, status.Wrap(status.InvalidWalletAddress, err, "tx sender key")
	}
	return pub, pub.Address(), nil
}

// Payload decodes the body under Kind.
func (tx *Tx) Payload() (Payload, error) {
	mk, ok := payloadTypes[tx.Kind]
	if !ok {
		return nil, status.Wrap(status.InvalidParams, ErrMalformed, "unknown tx kind %d", tx.Kind)
	}
	p := mk()
	if err := decode(tx.Body, p); err != nil {
		return nil, status.Wrap(status.InvalidParams, err, "tx kind %d body", tx.Kind)
	}
	return p, nil
}

// Verify checks everything that needs no state: size, chain id, sender key, signature and that
// the body decodes. It returns the sender's address and the payload.
func (tx *Tx) Verify(chainID string) (keys.Address, Payload, error) {
	if len(tx.Body) > maxPayloadBytes {
		return keys.Address{}, nil, status.Wrap(status.InvalidParams, ErrMalformed, "payload is %d bytes, limit %d", len(tx.Body), maxPayloadBytes)
	}
	if n := len(tx.Encode()); n > maxTxBytes {
		return keys.Address{}, nil, status.Wrap(status.InvalidParams, ErrMalformed, "tx is %d bytes, limit %d", n, maxTxBytes)
	}
	if tx.ChainID != chainID {
		return keys.Address{}, nil, status.Wrap(status.InvalidParams, ErrWrongChain, "tx for chain %q, this is %q", tx.ChainID, chainID)
	}
	pub, addr, err := tx.Sender()
	if err != nil {
		return keys.Address{}, nil, err
	}
	if err := pub.Verify(tx.SigningBytes(), tx.Sig); err != nil {
		return keys.Address{}, nil, status.Wrap(status.InvalidParams, fmt.Errorf("%w: %v", ErrBadSignature, err), "tx from %s", addr)
	}
	p, err := tx.Payload()
	if err != nil {
		return keys.Address{}, nil, err
	}
	return addr, p, nil
}

// Receipt is the outcome of an included transaction. Code 0 is success; otherwise Code and Name
// are the spec's status code and Msg says why, and the transaction changed only the sender's
// nonce and balance (the fee).
type Receipt struct {
	TxHash Hash
	Height uint64
	Index  uint32
	Code   int
	Name   string
	Msg    string
	Result string // kind-specific: the registered URL of a RegisterURL or StoreFile with RegisterDNS
}

// Err returns the receipt's failure as a *status.Error, or nil on success.
func (r *Receipt) Err() error {
	if r.Code == 0 {
		return nil
	}
	return &status.Error{Code: r.Code, Name: r.Name, Msg: r.Msg}
}

// TxRecord is an included transaction with its place and outcome.
type TxRecord struct {
	Tx      *Tx
	Receipt Receipt
}
