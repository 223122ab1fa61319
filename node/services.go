package node

import (
	"context"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// Services is the part of the client API that a node's services implement: everything but
// NodeAPI, which the node answers itself. The package that mounts the roles (it imports the
// service packages, which import this one) builds it and hands it over with SetServices.
type Services interface {
	client.AccountAPI
	client.LedgerAPI
	client.FileAPI
	client.TaskAPI
	client.ProxyAPI
}

// SetServices makes s answer the account, ledger, file, task and proxy methods of Local and of
// the control API. Call it from Options.Setup, before the API serves; later calls are ignored.
func (n *Node) SetServices(s Services) {
	if n.apiURL == "" {
		n.services = s
	}
}

// NoServices answers every Services method with NO_DSP (40003): what a node without mounted
// services says. Embed it to implement a part of Services.
type NoServices struct{}

var _ Services = NoServices{}

func notAvailable(what string) error {
	return status.New(status.NoDsp, "%s is not available on this node", what)
}

// Accounts fails with NO_DSP.
func (NoServices) Accounts(context.Context) ([]client.Account, error) {
	return nil, notAvailable("the wallet")
}

// NewAccount fails with NO_DSP.
func (NoServices) NewAccount(context.Context, client.NewAccountRequest) (*client.Account, error) {
	return nil, notAvailable("the wallet")
}

// ImportAccount fails with NO_DSP.
func (NoServices) ImportAccount(context.Context, client.ImportAccountRequest) (*client.Account, error) {
	return nil, notAvailable("the wallet")
}

// ExportAccount fails with NO_DSP.
func (NoServices) ExportAccount(context.Context, client.ExportAccountRequest) ([]byte, error) {
	return nil, notAvailable("the wallet")
}

// SetDefaultAccount fails with NO_DSP.
func (NoServices) SetDefaultAccount(context.Context, string) error {
	return notAvailable("the wallet")
}

// LedgerInfo fails with NO_DSP.
func (NoServices) LedgerInfo(context.Context) (*client.LedgerInfo, error) {
	return nil, notAvailable("the ledger")
}

// Balance fails with NO_DSP.
func (NoServices) Balance(context.Context, keys.Address) (*client.Balance, error) {
	return nil, notAvailable("the ledger")
}

// Transfer fails with NO_DSP.
func (NoServices) Transfer(context.Context, keys.Address, uint64) (*client.TxResult, error) {
	return nil, notAvailable("the ledger")
}

// Pledge fails with NO_DSP.
func (NoServices) Pledge(context.Context, uint64) (*client.TxResult, error) {
	return nil, notAvailable("the ledger")
}

// Unpledge fails with NO_DSP.
func (NoServices) Unpledge(context.Context, uint64) (*client.TxResult, error) {
	return nil, notAvailable("the ledger")
}

// Tx fails with NO_DSP.
func (NoServices) Tx(context.Context, string) (map[string]any, error) {
	return nil, notAvailable("the ledger")
}

// Block fails with NO_DSP.
func (NoServices) Block(context.Context, uint64) (map[string]any, error) {
	return nil, notAvailable("the ledger")
}

// Nodes fails with NO_DSP.
func (NoServices) Nodes(context.Context, string) ([]client.NodeInfo, error) {
	return nil, notAvailable("the ledger")
}

// Files fails with NO_DSP.
func (NoServices) Files(context.Context) ([]client.File, error) {
	return nil, notAvailable("the ledger")
}

// File fails with NO_DSP.
func (NoServices) File(context.Context, string) (*client.File, error) {
	return nil, notAvailable("the ledger")
}

// UploadPrice fails with NO_DSP.
func (NoServices) UploadPrice(context.Context, client.UploadRequest) (*client.Price, error) {
	return nil, notAvailable("the ledger")
}

// DeleteFile fails with NO_DSP.
func (NoServices) DeleteFile(context.Context, string) (*client.TxResult, error) {
	return nil, notAvailable("the ledger")
}

// SetWhitelist fails with NO_DSP.
func (NoServices) SetWhitelist(context.Context, string, uint64, []keys.Address) (*client.TxResult, error) {
	return nil, notAvailable("the ledger")
}

// Share fails with NO_DSP.
func (NoServices) Share(context.Context, string) error { return notAvailable("SCAN") }

// Resolve fails with NO_DSP.
func (NoServices) Resolve(context.Context, string) (*client.URLRecord, error) {
	return nil, notAvailable("the ledger")
}

// RegisterURL fails with NO_DSP.
func (NoServices) RegisterURL(context.Context, string, string) (*client.URLRecord, error) {
	return nil, notAvailable("the ledger")
}

// TransferURL fails with NO_DSP.
func (NoServices) TransferURL(context.Context, string, keys.Address) (*client.TxResult, error) {
	return nil, notAvailable("the ledger")
}

// DeleteURL fails with NO_DSP.
func (NoServices) DeleteURL(context.Context, string) (*client.TxResult, error) {
	return nil, notAvailable("the ledger")
}

// Upload fails with NO_DSP.
func (NoServices) Upload(context.Context, client.UploadRequest) (*client.Task, error) {
	return nil, notAvailable("the task manager")
}

// Download fails with NO_DSP.
func (NoServices) Download(context.Context, client.DownloadRequest) (*client.Task, error) {
	return nil, notAvailable("the task manager")
}

// Tasks fails with NO_DSP.
func (NoServices) Tasks(context.Context) ([]client.Task, error) {
	return nil, notAvailable("the task manager")
}

// Task fails with NO_DSP.
func (NoServices) Task(context.Context, string) (*client.Task, error) {
	return nil, notAvailable("the task manager")
}

// PauseTask fails with NO_DSP.
func (NoServices) PauseTask(context.Context, string) error { return notAvailable("the task manager") }

// ResumeTask fails with NO_DSP.
func (NoServices) ResumeTask(context.Context, string, []byte) error {
	return notAvailable("the task manager")
}

// CancelTask fails with NO_DSP.
func (NoServices) CancelTask(context.Context, string) error { return notAvailable("the task manager") }

// RetryTask fails with NO_DSP.
func (NoServices) RetryTask(context.Context, string) error { return notAvailable("the task manager") }

// Proxies fails with NO_DSP.
func (NoServices) Proxies(context.Context) (*client.ProxyOverview, error) {
	return nil, notAvailable("the proxy client")
}

// RequestProxy fails with NO_DSP.
func (NoServices) RequestProxy(context.Context, string) (*client.ProxyStatus, error) {
	return nil, notAvailable("the proxy client")
}

// ReleaseProxy fails with NO_DSP.
func (NoServices) ReleaseProxy(context.Context) error { return notAvailable("the proxy client") }
