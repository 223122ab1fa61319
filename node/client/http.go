package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"dsp/keys"
	"dsp/status"
)

// HTTP is a Client over a node's control API.
type HTTP struct {
	base  string
	token string
	hc    *http.Client
}

var _ Client = (*HTTP)(nil)

// NewHTTP returns a client for the API at base (".../api/v1") with bearer token. hc nil means
// http.DefaultClient.
func NewHTTP(base, token string, hc *http.Client) *HTTP {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &HTTP{base: strings.TrimRight(base, "/"), token: token, hc: hc}
}

// ReadAPIInfo reads dir's APIInfoFile. A missing file means no node runs on dir: the error then
// carries NO_DSP (40003).
func ReadAPIInfo(dir string) (APIInfo, error) {
	var info APIInfo
	b, err := os.ReadFile(filepath.Join(dir, APIInfoFile))
	if errors.Is(err, os.ErrNotExist) {
		return info, status.Wrap(status.NoDsp, err, "no node running on %s (no %s)", dir, APIInfoFile)
	}
	if err != nil {
		return info, fmt.Errorf("read api info: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil || info.URL == "" {
		return info, status.New(status.NoDsp, "bad %s in %s", APIInfoFile, dir)
	}
	return info, nil
}

// Open returns an HTTP client for the node running on data directory dir.
func Open(dir string) (*HTTP, error) {
	info, err := ReadAPIInfo(dir)
	if err != nil {
		return nil, err
	}
	return NewHTTP(info.URL, info.Token, nil), nil
}

// call does one request and decodes the envelope's data into out (if non-nil).
func (c *HTTP) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return status.Wrap(status.NoDsp, err, "%s %s", method, path)
	}
	defer resp.Body.Close()
	var env struct {
		Code int             `json:"code"`
		Msg  string          `json:"msg"`
		Name string          `json:"name"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&env); err != nil {
		return status.Wrap(status.InternalError, err, "%s %s: HTTP %d with a body that is not the API's envelope", method, path, resp.StatusCode)
	}
	if env.Code != status.Success {
		return errorOf(env.Code, env.Name, env.Msg)
	}
	if out != nil && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return fmt.Errorf("%s %s: decode data: %w", method, path, err)
		}
	}
	return nil
}

// Status implements NodeAPI.
func (c *HTTP) Status(ctx context.Context) (*Status, error) {
	var s Status
	if err := c.call(ctx, http.MethodGet, "/status", nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Peers implements NodeAPI.
func (c *HTTP) Peers(ctx context.Context) ([]PeerInfo, error) {
	var ps []PeerInfo
	err := c.call(ctx, http.MethodGet, "/peers", nil, &ps)
	return ps, err
}

// ConnectRequest is the body of POST /peers.
type ConnectRequest struct {
	URL string `json:"url"`
}

// Connect implements NodeAPI.
func (c *HTTP) Connect(ctx context.Context, u string) (*PeerInfo, error) {
	var p PeerInfo
	if err := c.call(ctx, http.MethodPost, "/peers", ConnectRequest{URL: u}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Disconnect implements NodeAPI.
func (c *HTTP) Disconnect(ctx context.Context, a keys.Address) error {
	return c.call(ctx, http.MethodDelete, "/peers/"+url.PathEscape(a.String()), nil, nil)
}

// Events implements NodeAPI over server-sent events (GET /events).
func (c *HTTP) Events(ctx context.Context) (<-chan Event, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/events", nil)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, status.Wrap(status.NoDsp, err, "events")
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var env Response
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&env)
		return nil, errorOf(env.Code, env.Name, "events: "+env.Msg)
	}
	ch := make(chan Event, 64)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev Event
			if json.Unmarshal([]byte(line), &ev) != nil {
				continue
			}
			select {
			case ch <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// errorOf is the error of a failed envelope: its code under the name the node gave (else the
// RESTful table's name).
func errorOf(code int, name, msg string) error {
	if name == "" {
		name = status.RestCode(code).Name()
	}
	return &status.Error{Code: code, Name: name, Msg: msg}
}
