package node

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// NewAPIHandler serves c as the control API under /api/v1: GET status, GET peers, POST peers
// ({"url": ...}), DELETE peers/{account}, GET events (server-sent events), and the routes of the
// account, ledger, file, task and proxy methods, and GET prover (docs/node.md). Every request must carry
// "Authorization: Bearer token". Every answer is a client.Response: code 0 with data, or a spec
// RESTful code and a message.
func NewAPIHandler(c client.Client, token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		s, err := c.Status(r.Context())
		reply(w, s, err)
	})
	mux.HandleFunc("GET /api/v1/peers", func(w http.ResponseWriter, r *http.Request) {
		ps, err := c.Peers(r.Context())
		reply(w, ps, err)
	})
	mux.HandleFunc("POST /api/v1/peers", func(w http.ResponseWriter, r *http.Request) {
		var req client.ConnectRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.URL == "" {
			reply(w, nil, status.New(status.InvalidParams, "body must be {\"url\": \"kcp://host:port\"}"))
			return
		}
		p, err := c.Connect(r.Context(), req.URL)
		reply(w, p, err)
	})
	mux.HandleFunc("DELETE /api/v1/peers/{account}", func(w http.ResponseWriter, r *http.Request) {
		a, err := keys.ParseAddress(r.PathValue("account"))
		if err != nil {
			reply(w, nil, status.Wrap(status.InvalidWalletAddress, err, "peer account"))
			return
		}
		reply(w, nil, c.Disconnect(r.Context(), a))
	})
	mux.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		events(w, r, c)
	})
	serviceRoutes(mux, c)
	channelRoutes(mux, c)
	mux.HandleFunc("GET /api/v1/prover", func(w http.ResponseWriter, r *http.Request) {
		out, err := c.ProverStatus(r.Context())
		reply(w, out, err)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, client.Response{Code: status.InvalidParams.Num(), Msg: fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path)})
	})
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeJSON(w, http.StatusUnauthorized, client.Response{Code: status.InvalidParams.Num(), Msg: "missing or wrong bearer token (see api.json in the node's data directory)"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func events(w http.ResponseWriter, r *http.Request, c client.Client) {
	ch, err := c.Events(r.Context())
	if err != nil {
		reply(w, nil, err)
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		reply(w, nil, errors.New("streaming unsupported"))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": subscribed\n\n")
	fl.Flush()
	for ev := range ch {
		b, err := json.Marshal(ev)
		if err != nil {
			continue
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, b); err != nil {
			return
		}
		fl.Flush()
	}
}

func reply(w http.ResponseWriter, data any, err error) {
	if err == nil {
		writeJSON(w, http.StatusOK, client.Response{Code: status.Success, Msg: "SUCCESS", Data: data})
		return
	}
	code := status.CodeOf(err, status.InternalError.Num())
	httpStatus := http.StatusInternalServerError
	switch code {
	case status.InvalidParams.Num(), status.InvalidWalletAddress.Num():
		httpStatus = http.StatusBadRequest
	case status.NetReconnectPeerFailed.Num():
		httpStatus = http.StatusBadGateway
	case status.NoDsp.Num():
		httpStatus = http.StatusServiceUnavailable
	case status.DspTaskNotExist.Num(), status.DspFileInfoNotFound.Num(), status.NoAccount.Num(), status.ChainUnknownTx.Num(), status.ChainUnknownBlock.Num():
		httpStatus = http.StatusNotFound
	}
	writeJSON(w, httpStatus, client.Response{Code: code, Name: status.NameOf(err), Msg: err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
