package main

import (
	"encoding/json"
	"fmt"
	"io"

	"dsp/status"

	"github.com/spf13/cobra"
)

// usageErr marks a bad invocation: the spec's INVALID_PARAMS (40002), exit code 2.
func usageErr(format string, a ...any) error {
	return status.New(status.InvalidParams, format, a...)
}

// withCode wraps err with a spec status code unless it already carries one.
func withCode(code status.Code, err error) error {
	if err == nil || status.CodeOf(err, 0) != 0 {
		return err
	}
	return &status.Error{Code: code.Num(), Name: code.Name(), Err: err}
}

// errorCode returns the spec status code carried by err, or INTERNAL_ERROR (40001).
func errorCode(err error) int { return status.CodeOf(err, status.InternalError.Num()) }

// exitCode maps an error to the process exit code: 2 for bad invocations, else 1.
func exitCode(err error) int {
	if status.NameOf(err) == status.InvalidParams.Name() {
		return 2
	}
	return 1
}

// printError reports err: as {"code","msg"} JSON on stdout with --json, else as text on stderr.
func printError(stdout, stderr io.Writer, err error) {
	code := errorCode(err)
	if flagJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"code": code, "msg": err.Error()})
		return
	}
	if name := status.NameOf(err); name != "" && code != status.InternalError.Num() {
		fmt.Fprintf(stderr, "dsp: %v (%d %s)\n", err, code, name)
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
