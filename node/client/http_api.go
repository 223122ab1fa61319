package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"dsp/keys"
)

// Request bodies of the control API routes beyond NodeAPI (docs/node.md lists every route).
// Passwords travel only in these bodies, never in a URL.

// SetDefaultRequest is the body of PUT /accounts/default.
type SetDefaultRequest struct {
	Account string `json:"account"`
}

// ExportAccountResponse is the data of POST /accounts/export.
type ExportAccountResponse struct {
	Blob []byte `json:"blob"` // base64 in JSON
}

// TransferRequest is the body of POST /ledger/transfer.
type TransferRequest struct {
	To     keys.Address `json:"to"`
	Amount uint64       `json:"amount"`
}

// AmountRequest is the body of POST /ledger/pledge and /ledger/unpledge.
type AmountRequest struct {
	Amount uint64 `json:"amount"`
}

// WhitelistRequest is the body of PUT /files/{hash}/whitelist.
type WhitelistRequest struct {
	Privilege uint64         `json:"privilege"`
	Accounts  []keys.Address `json:"accounts"`
}

// URLRequest is the body of POST /urls (register), /urls/transfer and /urls/delete.
type URLRequest struct {
	URL  string       `json:"url"`
	Hash string       `json:"hash,omitempty"`
	To   keys.Address `json:"to,omitzero"`
}

// ResumeRequest is the body of POST /tasks/{id}/resume.
type ResumeRequest struct {
	Password string `json:"password,omitempty"`
}

// ProxyRequest is the body of POST /proxy.
type ProxyRequest struct {
	URL string `json:"url"`
}

// get decodes GET path's data into a new T.
func get[T any](c *HTTP, ctx context.Context, path string) (*T, error) {
	var v T
	if err := c.call(ctx, http.MethodGet, path, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// send sends in with method to path and decodes the data into a new T.
func send[T any](c *HTTP, ctx context.Context, method, path string, in any) (*T, error) {
	var v T
	if err := c.call(ctx, method, path, in, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Accounts implements AccountAPI (GET /accounts).
func (c *HTTP) Accounts(ctx context.Context) ([]Account, error) {
	var out []Account
	return out, c.call(ctx, http.MethodGet, "/accounts", nil, &out)
}

// NewAccount implements AccountAPI (POST /accounts).
func (c *HTTP) NewAccount(ctx context.Context, req NewAccountRequest) (*Account, error) {
	return send[Account](c, ctx, http.MethodPost, "/accounts", req)
}

// ImportAccount implements AccountAPI (POST /accounts/import).
func (c *HTTP) ImportAccount(ctx context.Context, req ImportAccountRequest) (*Account, error) {
	return send[Account](c, ctx, http.MethodPost, "/accounts/import", req)
}

// ExportAccount implements AccountAPI (POST /accounts/export).
func (c *HTTP) ExportAccount(ctx context.Context, req ExportAccountRequest) ([]byte, error) {
	r, err := send[ExportAccountResponse](c, ctx, http.MethodPost, "/accounts/export", req)
	if err != nil {
		return nil, err
	}
	return r.Blob, nil
}

// SetDefaultAccount implements AccountAPI (PUT /accounts/default).
func (c *HTTP) SetDefaultAccount(ctx context.Context, account string) error {
	return c.call(ctx, http.MethodPut, "/accounts/default", SetDefaultRequest{Account: account}, nil)
}

// LedgerInfo implements LedgerAPI (GET /ledger).
func (c *HTTP) LedgerInfo(ctx context.Context) (*LedgerInfo, error) {
	return get[LedgerInfo](c, ctx, "/ledger")
}

// Balance implements LedgerAPI (GET /ledger/balance[?account=ADDR]).
func (c *HTTP) Balance(ctx context.Context, account keys.Address) (*Balance, error) {
	p := "/ledger/balance"
	if !account.IsZero() {
		p += "?account=" + url.QueryEscape(account.String())
	}
	return get[Balance](c, ctx, p)
}

// Transfer implements LedgerAPI (POST /ledger/transfer).
func (c *HTTP) Transfer(ctx context.Context, to keys.Address, amount uint64) (*TxResult, error) {
	return send[TxResult](c, ctx, http.MethodPost, "/ledger/transfer", TransferRequest{To: to, Amount: amount})
}

// Pledge implements LedgerAPI (POST /ledger/pledge).
func (c *HTTP) Pledge(ctx context.Context, amount uint64) (*TxResult, error) {
	return send[TxResult](c, ctx, http.MethodPost, "/ledger/pledge", AmountRequest{Amount: amount})
}

// Unpledge implements LedgerAPI (POST /ledger/unpledge).
func (c *HTTP) Unpledge(ctx context.Context, amount uint64) (*TxResult, error) {
	return send[TxResult](c, ctx, http.MethodPost, "/ledger/unpledge", AmountRequest{Amount: amount})
}

// Tx implements LedgerAPI (GET /ledger/tx/{hash}).
func (c *HTTP) Tx(ctx context.Context, hash string) (map[string]any, error) {
	var m map[string]any
	return m, c.call(ctx, http.MethodGet, "/ledger/tx/"+url.PathEscape(hash), nil, &m)
}

// Block implements LedgerAPI (GET /ledger/block/{height}).
func (c *HTTP) Block(ctx context.Context, height uint64) (map[string]any, error) {
	var m map[string]any
	return m, c.call(ctx, http.MethodGet, "/ledger/block/"+strconv.FormatUint(height, 10), nil, &m)
}

// Nodes implements LedgerAPI (GET /ledger/nodes[?role=ROLE]).
func (c *HTTP) Nodes(ctx context.Context, role string) ([]NodeInfo, error) {
	p := "/ledger/nodes"
	if role != "" {
		p += "?role=" + url.QueryEscape(role)
	}
	var out []NodeInfo
	return out, c.call(ctx, http.MethodGet, p, nil, &out)
}

// Files implements FileAPI (GET /files).
func (c *HTTP) Files(ctx context.Context) ([]File, error) {
	var out []File
	return out, c.call(ctx, http.MethodGet, "/files", nil, &out)
}

// File implements FileAPI (GET /files/{hash}).
func (c *HTTP) File(ctx context.Context, hash string) (*File, error) {
	return get[File](c, ctx, "/files/"+url.PathEscape(hash))
}

// ProverStatus implements ProverAPI (GET /prover).
func (c *HTTP) ProverStatus(ctx context.Context) ([]ProverFile, error) {
	out := []ProverFile{}
	return out, c.call(ctx, http.MethodGet, "/prover", nil, &out)
}

// UploadPrice implements FileAPI (POST /files/price).
func (c *HTTP) UploadPrice(ctx context.Context, req UploadRequest) (*Price, error) {
	return send[Price](c, ctx, http.MethodPost, "/files/price", req)
}

// DeleteFile implements FileAPI (DELETE /files/{hash}).
func (c *HTTP) DeleteFile(ctx context.Context, hash string) (*TxResult, error) {
	return send[TxResult](c, ctx, http.MethodDelete, "/files/"+url.PathEscape(hash), nil)
}

// SetWhitelist implements FileAPI (PUT /files/{hash}/whitelist).
func (c *HTTP) SetWhitelist(ctx context.Context, hash string, privilege uint64, accounts []keys.Address) (*TxResult, error) {
	return send[TxResult](c, ctx, http.MethodPut, "/files/"+url.PathEscape(hash)+"/whitelist",
		WhitelistRequest{Privilege: privilege, Accounts: accounts})
}

// Share implements FileAPI (POST /files/{hash}/share).
func (c *HTTP) Share(ctx context.Context, hash string) error {
	return c.call(ctx, http.MethodPost, "/files/"+url.PathEscape(hash)+"/share", nil, nil)
}

// Resolve implements FileAPI (GET /urls?url=dsp://...).
func (c *HTTP) Resolve(ctx context.Context, u string) (*URLRecord, error) {
	return get[URLRecord](c, ctx, "/urls?url="+url.QueryEscape(u))
}

// RegisterURL implements FileAPI (POST /urls).
func (c *HTTP) RegisterURL(ctx context.Context, u, hash string) (*URLRecord, error) {
	return send[URLRecord](c, ctx, http.MethodPost, "/urls", URLRequest{URL: u, Hash: hash})
}

// TransferURL implements FileAPI (POST /urls/transfer).
func (c *HTTP) TransferURL(ctx context.Context, u string, to keys.Address) (*TxResult, error) {
	return send[TxResult](c, ctx, http.MethodPost, "/urls/transfer", URLRequest{URL: u, To: to})
}

// DeleteURL implements FileAPI (POST /urls/delete).
func (c *HTTP) DeleteURL(ctx context.Context, u string) (*TxResult, error) {
	return send[TxResult](c, ctx, http.MethodPost, "/urls/delete", URLRequest{URL: u})
}

// Upload implements TaskAPI (POST /tasks/upload).
func (c *HTTP) Upload(ctx context.Context, req UploadRequest) (*Task, error) {
	return send[Task](c, ctx, http.MethodPost, "/tasks/upload", req)
}

// Download implements TaskAPI (POST /tasks/download).
func (c *HTTP) Download(ctx context.Context, req DownloadRequest) (*Task, error) {
	return send[Task](c, ctx, http.MethodPost, "/tasks/download", req)
}

// Tasks implements TaskAPI (GET /tasks).
func (c *HTTP) Tasks(ctx context.Context) ([]Task, error) {
	var out []Task
	return out, c.call(ctx, http.MethodGet, "/tasks", nil, &out)
}

// Task implements TaskAPI (GET /tasks/{id}).
func (c *HTTP) Task(ctx context.Context, id string) (*Task, error) {
	return get[Task](c, ctx, "/tasks/"+url.PathEscape(id))
}

// PauseTask implements TaskAPI (POST /tasks/{id}/pause).
func (c *HTTP) PauseTask(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodPost, "/tasks/"+url.PathEscape(id)+"/pause", nil, nil)
}

// ResumeTask implements TaskAPI (POST /tasks/{id}/resume; the password goes in the body).
func (c *HTTP) ResumeTask(ctx context.Context, id string, password []byte) error {
	return c.call(ctx, http.MethodPost, "/tasks/"+url.PathEscape(id)+"/resume", ResumeRequest{Password: string(password)}, nil)
}

// CancelTask implements TaskAPI (POST /tasks/{id}/cancel).
func (c *HTTP) CancelTask(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodPost, "/tasks/"+url.PathEscape(id)+"/cancel", nil, nil)
}

// RetryTask implements TaskAPI (POST /tasks/{id}/retry).
func (c *HTTP) RetryTask(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodPost, "/tasks/"+url.PathEscape(id)+"/retry", nil, nil)
}

// Proxies implements ProxyAPI (GET /proxy).
func (c *HTTP) Proxies(ctx context.Context) (*ProxyOverview, error) {
	return get[ProxyOverview](c, ctx, "/proxy")
}

// RequestProxy implements ProxyAPI (POST /proxy).
func (c *HTTP) RequestProxy(ctx context.Context, u string) (*ProxyStatus, error) {
	return send[ProxyStatus](c, ctx, http.MethodPost, "/proxy", ProxyRequest{URL: u})
}

// ReleaseProxy implements ProxyAPI (DELETE /proxy).
func (c *HTTP) ReleaseProxy(ctx context.Context) error {
	return c.call(ctx, http.MethodDelete, "/proxy", nil, nil)
}
