package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// resetFlags restores every flag of c and its subcommands to its default, so in-process CLI
// runs in tests do not leak flag values into each other.
func resetFlags(c *cobra.Command) {
	reset := func(f *pflag.Flag) {
		if f.Changed {
			_ = f.Value.Set(f.DefValue)
			f.Changed = false
		}
	}
	c.Flags().VisitAll(reset)
	c.PersistentFlags().VisitAll(reset)
	for _, sub := range c.Commands() {
		resetFlags(sub)
	}
}
