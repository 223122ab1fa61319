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
	"sync"
	"time"

	"dsp/keys"
	"dsp/status"
)

// HTTP is a Client over a node's control API. One made by Open follows the node's api.json: it
// reads the file again before a call when the file changed, and once more when a call is refused
// as unauthorized (HTTP 401) or cannot reach the API, retrying the call if the URL or token
// changed (a node restarted, or a devnet whose client node adopted an account, writes a new
// token).
type HTTP struct {
	hc  *http.Client
	dir string // Open's data directory; "" for NewHTTP

	mu    sync.Mutex
	base  string
	token string
	stamp apiStamp // api.json's size and time when base and token were read
}

// apiStamp tells whether api.json changed.
type apiStamp struct {
	size int64
	mod  time.Time
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

// endpoint returns the base URL and token to call with, reading api.json again first if it
// changed since it was read.
func (c *HTTP) endpoint() (string, string) {
	if c.dir != "" {
		if st, err := os.Stat(filepath.Join(c.dir, APIInfoFile)); err == nil {
			c.mu.Lock()
			changed := st.Size() != c.stamp.size || !st.ModTime().Equal(c.stamp.mod)
			c.mu.Unlock()
			if changed {
				c.reload()
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base, c.token
}

// reload reads api.json again (Open's clients only) and reports whether the URL or token changed.
func (c *HTTP) reload() bool {
	if c.dir == "" {
		return false
	}
	st, err := os.Stat(filepath.Join(c.dir, APIInfoFile))
	if err != nil {
		return false
	}
	info, err := ReadAPIInfo(c.dir)
	if err != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stamp = apiStamp{size: st.Size(), mod: st.ModTime()}
	base := strings.TrimRight(info.URL, "/")
	if base == c.base && info.Token == c.token {
		return false
	}
	c.base, c.token = base, info.Token
	return true
}

// do sends a request built by mk for base (retried once with api.json's new URL and token when
// the node refuses the token or cannot be reached and the file says something new).
func (c *HTTP) do(ctx context.Context, mk func(base string) (*http.Request, error)) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		base, tok := c.endpoint()
		req, err := mk(base)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.hc.Do(req)
		refused := err == nil && resp.StatusCode == http.StatusUnauthorized
		if attempt > 0 || (err == nil && !refused) || ctx.Err() != nil || !c.reload() {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
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

// Open returns an HTTP client for the node running on data directory dir; it follows dir's
// api.json as the node rewrites it (see HTTP).
func Open(dir string) (*HTTP, error) {
	info, err := ReadAPIInfo(dir)
	if err != nil {
		return nil, err
	}
	c := NewHTTP(info.URL, info.Token, nil)
	c.dir = dir
	c.reload()
	return c, nil
}

// call does one request and decodes the envelope's data into out (if non-nil).
func (c *HTTP) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = b
	}
	resp, err := c.do(ctx, func(base string) (*http.Request, error) {
		var r io.Reader
		if in != nil {
			r = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, r)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	})
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
	resp, err := c.do(ctx, func(base string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events", nil)
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		req.Header.Set("Accept", "text/event-stream")
		return req, nil
	})
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
