package main

import (
	"os"

	"dsp/node/client"
	"dsp/status"

	"github.com/spf13/cobra"
)

// Where CLI commands find the node they drive (persistent flags of every command; "dsp node" and
// "dsp devnet" have a local --api flag of their own, the address they serve on).
var (
	flagAPI   string
	flagToken string
)

// EnvToken is the environment variable --token defaults to, so the token need not appear in a
// process listing.
const EnvToken = "DSP_API_TOKEN"

func init() {
	root.PersistentFlags().StringVar(&flagAPI, "api", "", "control API base URL of the node to drive (e.g. http://127.0.0.1:4100/api/v1); default: the node running on --data")
	root.PersistentFlags().StringVar(&flagToken, "token", "", "bearer token for --api (default $"+EnvToken+")")
}

// openClient returns the client of the node a CLI command drives: the control API at --api with
// --token (or $DSP_API_TOKEN) when --api is given, else the node running on --data (its
// api.json). With no node there it fails with NO_DSP (40003).
func openClient(_ *cobra.Command) (client.Client, error) {
	api, tok := flagAPI, flagToken
	if api == "" {
		return client.Open(flagData)
	}
	if tok == "" {
		tok = os.Getenv(EnvToken)
	}
	if tok == "" {
		return nil, status.New(status.InvalidParams, "--api needs --token or $%s", EnvToken)
	}
	return client.NewHTTP(api, tok, nil), nil
}
