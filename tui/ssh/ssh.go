// Package ssh serves the TUI over SSH with wish: one fresh program per session, sized from the
// session's PTY, public-key authentication against an authorized_keys file only (checked at
// authentication and again in middleware), sessions without a PTY refused with a message.
// Several operators may be connected at once; each gets its own client from Config.NewClient.
package ssh

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"
	"charm.land/log/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/activeterm"
	bm "charm.land/wish/v2/bubbletea"

	"dsp/tui"
)

// HostKeyFile is the host key's file name in a node's data directory (OpenSSH ed25519 format;
// created on first start).
const HostKeyFile = "ssh_host_ed25519"

// NoPTYMessage is what a session without a terminal is told before it is closed.
const NoPTYMessage = "dsp console: this is an interactive terminal program and needs a terminal.\r\n" +
	"Connect with a PTY, for example: ssh -t -p PORT HOST\r\n"

// Errors of NewServer.
var (
	// ErrNoAuthorizedKeys: Config.AuthorizedKeysPath is empty or names no readable file.
	ErrNoAuthorizedKeys = errors.New("ssh console: an authorized_keys file is required")
	// ErrNoClient: Config.NewClient is nil.
	ErrNoClient = errors.New("ssh console: no client constructor")
)

// Config configures the SSH console.
type Config struct {
	// Addr is the listen address for ListenAndServe (e.g. ":2222").
	Addr string
	// HostKeyPath is the host key file; it is generated (ed25519) if missing. Usually
	// filepath.Join(dataDir, HostKeyFile).
	HostKeyPath string
	// AuthorizedKeysPath is an OpenSSH authorized_keys file. It is read at every login, so
	// edits take effect for the next session. Required.
	AuthorizedKeysPath string
	// NewClient returns the client a new session drives (for a node: its in-process client).
	// It is called once per session.
	NewClient func() tui.Client
	// Options are the TUI options of every session; Context is replaced by the session's.
	Options tui.Options
	// Logger receives connection logs (nil: charm log's default logger).
	Logger *log.Logger
}

// Server is the SSH console.
type Server struct {
	cfg Config
	srv *ssh.Server
}

// NewServer checks cfg, creates the host key if needed and returns the server (not yet
// listening).
func NewServer(cfg Config) (*Server, error) {
	if cfg.NewClient == nil {
		return nil, ErrNoClient
	}
	if cfg.AuthorizedKeysPath == "" {
		return nil, ErrNoAuthorizedKeys
	}
	if _, err := os.Stat(cfg.AuthorizedKeysPath); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoAuthorizedKeys, err)
	}
	if cfg.Logger == nil {
		cfg.Logger = log.Default()
	}
	if err := os.MkdirAll(filepath.Dir(cfg.HostKeyPath), 0o700); err != nil {
		return nil, fmt.Errorf("ssh console host key dir: %w", err)
	}
	s := &Server{cfg: cfg}
	srv, err := wish.NewServer(
		wish.WithAddress(cfg.Addr),
		wish.WithHostKeyPath(cfg.HostKeyPath),
		wish.WithPublicKeyAuth(func(_ ssh.Context, key ssh.PublicKey) bool { return s.authorized(key) }),
		wish.WithMiddleware(
			bm.MiddlewareWithProgramHandler(s.program),
			activeterm.Middleware(),
			requirePTY(),
			s.checkKey(),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh console: %w", err)
	}
	s.srv = srv
	return s, nil
}

// ListenAndServe listens on Config.Addr and serves until Close.
func (s *Server) ListenAndServe() error {
	err := s.srv.ListenAndServe()
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Serve serves on l until Close.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for the sessions to end until ctx does.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Close closes the listener and every session at once.
func (s *Server) Close() error { return s.srv.Close() }

// authorized reports whether key is in the authorized_keys file; unreadable lines are skipped.
func (s *Server) authorized(key ssh.PublicKey) bool {
	if key == nil {
		return false
	}
	b, err := os.ReadFile(s.cfg.AuthorizedKeysPath)
	if err != nil {
		s.cfg.Logger.Warn("ssh console: read authorized keys", "path", s.cfg.AuthorizedKeysPath, "error", err)
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, _, _, _, err := ssh.ParseAuthorizedKey(line)
		if err != nil {
			continue
		}
		if ssh.KeysEqual(k, key) {
			return true
		}
	}
	return false
}

// checkKey refuses a session whose public key is not authorized (again: the handshake already
// checked it, but a session must never reach the TUI on another path).
func (s *Server) checkKey() wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			if !s.authorized(sess.PublicKey()) {
				s.cfg.Logger.Warn("ssh console: refused session", "user", sess.User(), "remote", sess.RemoteAddr())
				wish.Fatalln(sess, "dsp console: this key is not authorized")
				return
			}
			s.cfg.Logger.Info("ssh console: session", "user", sess.User(), "remote", sess.RemoteAddr())
			next(sess)
		}
	}
}

// requirePTY tells a session without a terminal how to connect, then closes it.
func requirePTY() wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			if _, _, ok := sess.Pty(); !ok {
				_, _ = sess.Write([]byte(NoPTYMessage))
				_ = sess.Exit(1)
				return
			}
			next(sess)
		}
	}
}

// program builds a session's program: a fresh model over a fresh client, sized from the PTY,
// living as long as the session.
func (s *Server) program(sess ssh.Session) *tea.Program {
	opts := s.cfg.Options
	opts.Context = sess.Context()
	m := tui.New(s.cfg.NewClient(), opts)
	return tea.NewProgram(m, append(bm.MakeOptions(sess), tea.WithContext(sess.Context()))...)
}
