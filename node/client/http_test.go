package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
