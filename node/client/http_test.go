package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"dsp/status"
)

func TestReadAPIInfo(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadAPIInfo(dir); !errors.Is(err, status.Is(status.NoDsp)) {
		t.Fatalf("missing api.json: %v, want NO_DSP", err)
	}
	os.WriteFile(filepath.Join(dir, APIInfoFile), []byte("{not json"), 0o600)
	if _, err := ReadAPIInfo(dir); !errors.Is(err, status.Is(status.NoDsp)) {
		t.Fatalf("bad api.json: %v, want NO_DSP", err)
	}
	os.WriteFile(filepath.Join(dir, APIInfoFile), []byte(`{"url":"http://127.0.0.1:1/api/v1","token":"t"}`), 0o600)
	info, err := ReadAPIInfo(dir)
	if err != nil || info.Token != "t" {
		t.Fatalf("%+v %v", info, err)
	}
}

func TestHTTPErrorsCarryCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("authorization %q", r.Header.Get("Authorization"))
		}
		switch r.URL.Path {
		case "/api/v1/status":
			w.Write([]byte(`{"code":55001,"msg":"not started"}`))
		default:
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`<html>proxy error</html>`))
		}
	}))
	defer srv.Close()
	c := NewHTTP(srv.URL+"/api/v1/", "tok", nil)
	_, err := c.Status(context.Background())
	if !errors.Is(err, status.Is(status.DspStartFailed)) {
		t.Fatalf("status: %v, want DSP_START_FAILED", err)
	}
	if _, err := c.Peers(context.Background()); !errors.Is(err, status.Is(status.InternalError)) {
		t.Fatalf("non-envelope answer: %v, want INTERNAL_ERROR", err)
	}
	srv.Close()
	if _, err := c.Peers(context.Background()); !errors.Is(err, status.Is(status.NoDsp)) {
		t.Fatalf("node gone: %v, want NO_DSP", err)
	}
}

// TestOpenFollowsAPIInfo: a client made by Open uses the token api.json gives now: after the
// node rewrites the file (a restart or an adopted account), calls and event streams carry the
// new token, also when the file's size and time look unchanged (the 401 makes it read the file
// again). A NewHTTP client with a wrong token is refused.
func TestOpenFollowsAPIInfo(t *testing.T) {
	var mu sync.Mutex
	want := "old-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := r.Header.Get("Authorization") == "Bearer "+want
		mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"code":40002,"msg":"missing or wrong bearer token"}`))
			return
		}
		if r.URL.Path == "/api/v1/events" {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write([]byte(": subscribed\n\ndata: {\"type\":\"x\"}\n\n"))
			return
		}
		w.Write([]byte(`{"code":0,"msg":"","data":{"roles":["fs"]}}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, APIInfoFile)
	write := func(tok string) {
		b, _ := json.Marshal(APIInfo{URL: srv.URL + "/api/v1", Token: tok})
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	setToken := func(tok string) {
		mu.Lock()
		want = tok
		mu.Unlock()
		write(tok)
	}
	write("old-token")
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Status(ctx); err != nil {
		t.Fatal(err)
	}
	setToken("new-token")
	if _, err := c.Status(ctx); err != nil {
		t.Fatalf("after api.json changed: %v", err)
	}
	// Same size, same time: only the refusal tells.
	st, _ := os.Stat(path)
	setToken("nex-token")
	os.Chtimes(path, st.ModTime(), st.ModTime())
	if _, err := c.Status(ctx); err != nil {
		t.Fatalf("after a refused token: %v", err)
	}
	setToken("one-more1")
	os.Chtimes(path, st.ModTime(), st.ModTime())
	ch, err := c.Events(ctx)
	if err != nil {
		t.Fatalf("events after a refused token: %v", err)
	}
	if ev, ok := <-ch; !ok || ev.Type != "x" {
		t.Fatalf("event %+v %v", ev, ok)
	}
	if _, err := NewHTTP(srv.URL+"/api/v1", "old-token", nil).Status(ctx); err == nil {
		t.Fatal("a fixed wrong token was accepted")
	}
}
