// Package status holds the spec's status codes (task error codes, transmission status codes and
// RESTful API error codes) and Error, the error type that carries one across package, wire and
// API boundaries. It imports nothing of the project, so every package may use it.
//
// The spec's task and RESTful tables reuse numbers with different meanings (50013 is
// SEARCH_RECEIVERS_FAILED for a task and WALLET_FILE_NOT_EXIST for the API), so the constants are
// typed, TaskCode and RestCode, and an Error keeps the name of the code it was made with.
package status

import (
	"errors"
	"fmt"
)

// Code is a spec status code of either table.
type Code interface {
	// Num is the code's number.
	Num() int
	// Name is the spec's name, e.g. "DOWNLOAD_REFUSED".
	Name() string
}

// TaskCode is a task error code (spec: Task Error Code).
type TaskCode int

// RestCode is a RESTful API error code (spec: RESTful API Error Code).
type RestCode int

// Num returns the code's number.
func (c TaskCode) Num() int { return int(c) }

// Name returns the spec's name of the code.
func (c TaskCode) Name() string { return taskNames[c] }

// Num returns the code's number.
func (c RestCode) Num() int { return int(c) }

// Name returns the spec's name of the code.
func (c RestCode) Name() string { return restNames[c] }

// TxStatus is a transmission status code: the stage an upload or download task is in.
type TxStatus int

// String returns the spec's name, e.g. "TaskDoing".
func (s TxStatus) String() string {
	if n, ok := txStatusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("TxStatus(%d)", int(s))
}

// Text returns the spec's meaning, e.g. "Start sharding".
func (s TxStatus) Text() string { return txStatusText[s] }

// Error is an error with a spec status code. Err, if set, is the cause and is unwrapped by
// errors.Is/As. Code is the number and Name the spec's name of the code it was made from.
type Error struct {
	Code int
	Name string
	Msg  string
	Err  error
}

// New returns an *Error with code c and a formatted message.
func New(c Code, format string, a ...any) *Error {
	return &Error{Code: c.Num(), Name: c.Name(), Msg: fmt.Sprintf(format, a...)}
}

// Wrap returns an *Error with code c around err, with a formatted context message. Wrap of a nil
// err is nil.
func Wrap(c Code, err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Code: c.Num(), Name: c.Name(), Msg: fmt.Sprintf(format, a...), Err: err}
}

func (e *Error) Error() string {
	switch {
	case e.Msg != "" && e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Msg, e.Err)
	case e.Err != nil:
		return e.Err.Error()
	case e.Msg != "":
		return e.Msg
	}
	return e.Name
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches a target *Error that has only a Code (and optionally a Name) set, so
// errors.Is(err, status.Is(status.TaskDownloadRefused)) works along a chain.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Err == nil && t.Code == e.Code && (t.Name == "" || t.Name == e.Name)
}

// Is returns a target for errors.Is that matches any *Error made from c.
func Is(c Code) *Error { return &Error{Code: c.Num(), Name: c.Name()} }

// CodeOf returns the code of the first *Error in err's chain, or def if there is none.
func CodeOf(err error, def int) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return def
}

// NameOf returns the spec name of the first *Error in err's chain, or "".
func NameOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Name
	}
	return ""
}
