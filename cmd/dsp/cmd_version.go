package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func init() {
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "print the dsp version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]string{"version": version, "go": runtime.Version(), "protocol": "DSP-1"}
			return emit(cmd, v, func(w io.Writer) { fmt.Fprintf(w, "dsp %s (DSP-1, %s)\n", version, runtime.Version()) })
		},
	})
}
