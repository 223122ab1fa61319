package ledger

import (
	"fmt"

	"dsp/keys"
)

var kindNames = map[TxKind]string{
	KindTransfer: "transfer", KindPledge: "pledge", KindUnlock: "unlock",
	KindRegisterNode: "register_node", KindUpdateNode: "update_node", KindUnregisterNode: "unregister_node",
	KindStoreFile: "store_file", KindDeleteFile: "delete_file", KindConfirmFile: "confirm_file",
	KindCloseContract: "close_contract", KindSetWhiteList: "set_whitelist", KindSubmitProof: "submit_proof",
	KindRegisterHeader: "register_header", KindRegisterURL: "register_url", KindTransferName: "transfer_name",
	KindUpdateURL: "update_url", KindDeleteName: "delete_name", KindRenewHeader: "renew_header",
	KindOpenChannel: "open_channel", KindDepositChannel: "deposit_channel", KindCloseChannel: "close_channel",
	KindUpdateChannel: "update_channel", KindCoopCloseChannel: "coop_close_channel", KindSettleChannel: "settle_channel",
}

// String returns the kind's name, e.g. "transfer".
func (k TxKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// TxView is a transaction decoded for people and JSON: what the CLI and the control API show.
type TxView struct {
	Hash    Hash         `json:"hash"`
	ChainID string       `json:"chain_id"`
	Sender  keys.Address `json:"sender"`
	Kind    string       `json:"kind"`
	Nonce   uint64       `json:"nonce"`
	Fee     uint64       `json:"fee"`
	Payload Payload      `json:"payload"`
}

// View decodes tx's sender and payload (it does not check the signature).
func (tx *Tx) View() (*TxView, error) {
	_, addr, err := tx.Sender()
	if err != nil {
		return nil, err
	}
	p, err := tx.Payload()
	if err != nil {
		return nil, err
	}
	return &TxView{Hash: tx.Hash(), ChainID: tx.ChainID, Sender: addr, Kind: tx.Kind.String(), Nonce: tx.Nonce, Fee: tx.Fee, Payload: p}, nil
}
