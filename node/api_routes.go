package node

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// maxBody bounds a request body of the control API.
const maxBody = 1 << 20

// decodeBody decodes r's JSON body into v; an empty body leaves v as it is.
func decodeBody(r *http.Request, v any) error {
	err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(v)
	if err != nil && err != io.EOF {
		return status.Wrap(status.InvalidParams, err, "request body")
	}
	return nil
}

// body is a handler taking a JSON body of type T.
func body[T any](fn func(r *http.Request, in T) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in T
		if err := decodeBody(r, &in); err != nil {
			reply(w, nil, err)
			return
		}
		out, err := fn(r, in)
		reply(w, out, err)
	}
}

// noBody is a handler without a request body.
func noBody(fn func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out, err := fn(r)
		reply(w, out, err)
	}
}

// done adapts a call that returns only an error.
func done(err error) (any, error) { return nil, err }

func parseAccount(s, what string) (keys.Address, error) {
	if s == "" {
		return keys.Address{}, nil
	}
	a, err := keys.ParseAddress(s)
	if err != nil {
		return a, status.Wrap(status.InvalidWalletAddress, err, "%s", what)
	}
	return a, nil
}

// serviceRoutes registers the routes of AccountAPI, LedgerAPI, FileAPI, TaskAPI and ProxyAPI.
// docs/node.md lists them.
func serviceRoutes(mux *http.ServeMux, c client.Client) {
	// accounts
	mux.HandleFunc("GET /api/v1/accounts", noBody(func(r *http.Request) (any, error) { return c.Accounts(r.Context()) }))
	mux.HandleFunc("POST /api/v1/accounts", body(func(r *http.Request, in client.NewAccountRequest) (any, error) {
		return c.NewAccount(r.Context(), in)
	}))
	mux.HandleFunc("POST /api/v1/accounts/import", body(func(r *http.Request, in client.ImportAccountRequest) (any, error) {
		return c.ImportAccount(r.Context(), in)
	}))
	mux.HandleFunc("POST /api/v1/accounts/export", body(func(r *http.Request, in client.ExportAccountRequest) (any, error) {
		b, err := c.ExportAccount(r.Context(), in)
		if err != nil {
			return nil, err
		}
		return client.ExportAccountResponse{Blob: b}, nil
	}))
	mux.HandleFunc("PUT /api/v1/accounts/default", body(func(r *http.Request, in client.SetDefaultRequest) (any, error) {
		return done(c.SetDefaultAccount(r.Context(), in.Account))
	}))

	// ledger
	mux.HandleFunc("GET /api/v1/ledger", noBody(func(r *http.Request) (any, error) { return c.LedgerInfo(r.Context()) }))
	mux.HandleFunc("GET /api/v1/ledger/balance", noBody(func(r *http.Request) (any, error) {
		a, err := parseAccount(r.URL.Query().Get("account"), "account")
		if err != nil {
			return nil, err
		}
		return c.Balance(r.Context(), a)
	}))
	mux.HandleFunc("POST /api/v1/ledger/transfer", body(func(r *http.Request, in client.TransferRequest) (any, error) {
		return c.Transfer(r.Context(), in.To, in.Amount)
	}))
	mux.HandleFunc("POST /api/v1/ledger/pledge", body(func(r *http.Request, in client.AmountRequest) (any, error) {
		return c.Pledge(r.Context(), in.Amount)
	}))
	mux.HandleFunc("POST /api/v1/ledger/unpledge", body(func(r *http.Request, in client.AmountRequest) (any, error) {
		return c.Unpledge(r.Context(), in.Amount)
	}))
	mux.HandleFunc("GET /api/v1/ledger/tx/{hash}", noBody(func(r *http.Request) (any, error) {
		return c.Tx(r.Context(), r.PathValue("hash"))
	}))
	mux.HandleFunc("GET /api/v1/ledger/block/{height}", noBody(func(r *http.Request) (any, error) {
		h, err := strconv.ParseUint(r.PathValue("height"), 10, 64)
		if err != nil {
			return nil, status.Wrap(status.InvalidParams, err, "block height")
		}
		return c.Block(r.Context(), h)
	}))
	mux.HandleFunc("GET /api/v1/ledger/nodes", noBody(func(r *http.Request) (any, error) {
		return c.Nodes(r.Context(), r.URL.Query().Get("role"))
	}))

	// files and URLs
	mux.HandleFunc("GET /api/v1/files", noBody(func(r *http.Request) (any, error) { return c.Files(r.Context()) }))
	mux.HandleFunc("GET /api/v1/files/{hash}", noBody(func(r *http.Request) (any, error) {
		return c.File(r.Context(), r.PathValue("hash"))
	}))
	mux.HandleFunc("POST /api/v1/files/price", body(func(r *http.Request, in client.UploadRequest) (any, error) {
		return c.UploadPrice(r.Context(), in)
	}))
	mux.HandleFunc("DELETE /api/v1/files/{hash}", noBody(func(r *http.Request) (any, error) {
		return c.DeleteFile(r.Context(), r.PathValue("hash"))
	}))
	mux.HandleFunc("PUT /api/v1/files/{hash}/whitelist", body(func(r *http.Request, in client.WhitelistRequest) (any, error) {
		return c.SetWhitelist(r.Context(), r.PathValue("hash"), in.Privilege, in.Accounts)
	}))
	mux.HandleFunc("POST /api/v1/files/{hash}/share", noBody(func(r *http.Request) (any, error) {
		return done(c.Share(r.Context(), r.PathValue("hash")))
	}))
	mux.HandleFunc("GET /api/v1/urls", noBody(func(r *http.Request) (any, error) {
		u := r.URL.Query().Get("url")
		if u == "" {
			return nil, status.New(status.InvalidParams, "query parameter url is required")
		}
		return c.Resolve(r.Context(), u)
	}))
	mux.HandleFunc("POST /api/v1/urls", body(func(r *http.Request, in client.URLRequest) (any, error) {
		return c.RegisterURL(r.Context(), in.URL, in.Hash)
	}))
	mux.HandleFunc("POST /api/v1/urls/transfer", body(func(r *http.Request, in client.URLRequest) (any, error) {
		return c.TransferURL(r.Context(), in.URL, in.To)
	}))
	mux.HandleFunc("POST /api/v1/urls/delete", body(func(r *http.Request, in client.URLRequest) (any, error) {
		return c.DeleteURL(r.Context(), in.URL)
	}))

	// tasks
	mux.HandleFunc("POST /api/v1/tasks/upload", body(func(r *http.Request, in client.UploadRequest) (any, error) {
		return c.Upload(r.Context(), in)
	}))
	mux.HandleFunc("POST /api/v1/tasks/download", body(func(r *http.Request, in client.DownloadRequest) (any, error) {
		return c.Download(r.Context(), in)
	}))
	mux.HandleFunc("GET /api/v1/tasks", noBody(func(r *http.Request) (any, error) { return c.Tasks(r.Context()) }))
	mux.HandleFunc("GET /api/v1/tasks/{id}", noBody(func(r *http.Request) (any, error) {
		return c.Task(r.Context(), r.PathValue("id"))
	}))
	for verb, fn := range map[string]func(*http.Request, string) error{
		"pause":  func(r *http.Request, id string) error { return c.PauseTask(r.Context(), id) },
		"cancel": func(r *http.Request, id string) error { return c.CancelTask(r.Context(), id) },
		"retry":  func(r *http.Request, id string) error { return c.RetryTask(r.Context(), id) },
	} {
		mux.HandleFunc(fmt.Sprintf("POST /api/v1/tasks/{id}/%s", verb), noBody(func(r *http.Request) (any, error) {
			return done(fn(r, r.PathValue("id")))
		}))
	}
	mux.HandleFunc("POST /api/v1/tasks/{id}/resume", body(func(r *http.Request, in client.ResumeRequest) (any, error) {
		var pw []byte
		if in.Password != "" {
			pw = []byte(in.Password)
		}
		return done(c.ResumeTask(r.Context(), r.PathValue("id"), pw))
	}))

	// proxy
	mux.HandleFunc("GET /api/v1/proxy", noBody(func(r *http.Request) (any, error) { return c.Proxies(r.Context()) }))
	mux.HandleFunc("POST /api/v1/proxy", body(func(r *http.Request, in client.ProxyRequest) (any, error) {
		return c.RequestProxy(r.Context(), in.URL)
	}))
	mux.HandleFunc("DELETE /api/v1/proxy", noBody(func(r *http.Request) (any, error) {
		return done(c.ReleaseProxy(r.Context()))
	}))
}
