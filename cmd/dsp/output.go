package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Coder is implemented by errors that carry a spec status code (RESTful or task error code).
// Packages below cmd define their own coded errors; the CLI only needs this method.
type Coder interface {
	Code() int
}

// codedError attaches a spec status code and an exit code to an error.
type codedError struct {
	code int
	exit int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }
func (e *codedError) Code() int     { return e.code }

// withCode wraps err with a spec status code unless it already carries one.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	var c Coder
	if errors.As(err, &c) {
		return err
	}
	return &codedError{code: code, exit: 1, err: err}
}

// errorCode returns the spec status code carried by err, or INTERNAL_ERROR (40001).
func errorCode(err error) int {
	var c Coder
	if errors.As(err, &c) {
		return c.Code()
	}
	return 40001
}

// printError reports err: as {"code","msg"} JSON on stdout with --json, else as text on stderr.
func printError(stdout, stderr io.Writer, err error) {
	if flagJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"code": errorCode(err), "msg": err.Error()})
		return
	}
	if c := errorCode(err); c != 40001 {
		fmt.Fprintf(stderr, "dsp: %v (code %d)\n", err, c)
		return
	}
	fmt.Fprintf(stderr, "dsp: %v\n", err)
}

// emit writes v as indented JSON with --json, else calls text to print it for people.
func emit(cmd *cobra.Command, v any, text func(w io.Writer)) error {
	w := cmd.OutOrStdout()
	if flagJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}
