package tui

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
	"dsp/status"
)

// env is what every screen shares: the client, the program's context, the styles and the
// request id counter. Commands copy what they need out of it when they are built.
type env struct {
	c       Client
	ctx     context.Context
	st      *Styles
	ids     atomic.Uint64
	timeout time.Duration
	opts    Options
}

// nextID returns a fresh request id; ids are unique across screens, so a result reaches only
// the screen that asked for it.
func (e *env) nextID() uint64 { return e.ids.Add(1) }

// resultMsg is the answer to one client call made by call.
type resultMsg[T any] struct {
	id  uint64
	val T
	err error
}

// call runs f against the client in a command, bounded by the request timeout, and returns its
// result as a resultMsg[T] carrying id. The closure holds copies, not the model.
func call[T any](e *env, id uint64, f func(ctx context.Context, c Client) (T, error)) tea.Cmd {
	c, parent, timeout := e.c, e.ctx, e.timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		v, err := f(ctx, c)
		return resultMsg[T]{id: id, val: v, err: err}
	}
}

// errText renders an error with its spec status code and name when it carries one.
func errText(err error) string {
	if err == nil {
		return ""
	}
	var se *status.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("error %d %s: %s", se.Code, se.Name, err.Error())
	}
	if code := status.CodeOf(err, 0); code != 0 {
		return fmt.Sprintf("error %d: %s", code, err.Error())
	}
	return "error: " + err.Error()
}

// taskMsg is a task snapshot from the event stream or from a task call.
type taskMsg struct{ task client.Task }

// peerMsg is a peer event.
type peerMsg struct {
	kind string
	peer client.PeerInfo
}

// switchMsg asks the app to show another screen, optionally handing it a value (a hash for the
// Download screen, for instance).
type switchMsg struct {
	to  screenID
	arg any
}

func switchTo(to screenID, arg any) tea.Cmd {
	return func() tea.Msg { return switchMsg{to: to, arg: arg} }
}

// noticeMsg puts a line in the status bar.
type noticeMsg struct {
	text string
	err  bool
}

func notice(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return noticeMsg{text: text, err: isErr} }
}
