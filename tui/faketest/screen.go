package faketest

import (
	"bytes"
	"sync"

	"github.com/charmbracelet/x/ansi"
)

// Screen collects what a TUI program writes to its terminal, for tests that run the program (in
// process, over SSH, or as a process in tmux) and poll its output: one goroutine writes while
// another reads. The zero value is ready to use.
type Screen struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Text returns everything written so far with the ANSI escape sequences stripped.
func (s *Screen) Text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.Strip(s.b.String())
}
