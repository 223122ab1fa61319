// Command dsp is the terminal client and lightweight node of the DSP-1 distributed storage
// protocol. Flags and os.Exit live in this package and nowhere else.
package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// global flags shared by every subcommand.
var (
	flagJSON bool
	flagData string
)

// root is the dsp command; each cmd_*.go file adds its subcommands in init.
var root = &cobra.Command{
	Use:   "dsp",
	Short: "dsp: client and lightweight nodes of the DSP-1 distributed storage protocol",
	Long: `dsp keeps files on storage nodes that keep proving they hold them, shares and downloads
files from many peers at once, and reaches nodes behind NAT through proxies.

Run without arguments on a terminal to open the TUI on the embedded devnet.`,
	SilenceUsage:  true,
	SilenceErrors: true,
	Args:          cobra.NoArgs,
	RunE:          runDefault,
}

// runDefault is what a bare "dsp" does: on a terminal (stdin and stdout) it opens the TUI like
// "dsp tui" (cmd_tui.go); otherwise (a script, a pipe, CI) it prints the help and exits 0, so it
// never waits for input.
var runDefault = func(cmd *cobra.Command, _ []string) error {
	if !onTerminal(cmd) {
		return cmd.Help()
	}
	return runTUI(cmd)
}

func init() {
	root.PersistentFlags().BoolVar(&flagJSON, "json", false, "machine-readable JSON output")
	root.PersistentFlags().StringVar(&flagData, "data", defaultDataDir(), "data directory")
	// A flag that does not parse is a bad invocation like any other: INVALID_PARAMS, exit 2.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%v", err) })
}

// defaultDataDir is $DSP_DATA, else $XDG_DATA_HOME/dsp, else ~/.local/share/dsp.
func defaultDataDir() string {
	if d := os.Getenv("DSP_DATA"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "dsp")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "dsp")
	}
	return ".dsp"
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI with args and returns the process exit code.
func run(args []string) int {
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	printError(root.OutOrStdout(), root.ErrOrStderr(), err)
	return exitCode(err)
}
