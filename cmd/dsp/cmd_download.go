package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"dsp/node/client"

	"github.com/spf13/cobra"
)

// download command flags.
var (
	downOut, downPasswordFile string
	downMaxPeers              int
	downDetach, downForce     bool
)

var downloadCmd = &cobra.Command{
	Use:   "download HASH|dsp://URL -o OUT",
	Short: "fetch a file by hash or dsp:// URL from all its holders at once",
	Long: `Download a file through the running node, by file hash or by a dsp:// URL resolved on the
ledger, from every holder at once. Every block is verified; OUT appears only when the whole file
is complete and verified (and decrypted with --password-file). Without -o the file is kept in the
node's store only. OUT is written by the node, so it must be a path the node can write.

Without --detach the command follows the task (progress on stderr, as for upload) and exits
non-zero with the task's spec error code if it fails, e.g. DOWNLOAD_REFUSED (50022) for a file
this account may not download or DECRYPT_WRONG_PASSWORD (50046).`,
	Args: cobra.ExactArgs(1),
	RunE: runDownload,
}

func init() {
	f := downloadCmd.Flags()
	f.StringVarP(&downOut, "out", "o", "", "output file (must not exist unless --force)")
	f.StringVar(&downPasswordFile, "password-file", "", "decrypt with the password in FILE (first line)")
	f.IntVar(&downMaxPeers, "max-peers", 0, "holders to download from at once (default: the node's, 8)")
	f.BoolVar(&downDetach, "detach", false, "start the download and return; the task goes on in the node")
	f.BoolVar(&downForce, "force", false, "replace OUT if it exists")
	root.AddCommand(downloadCmd)
}

// downloadRequest builds the request from the argument and flags.
func downloadRequest(arg string) (client.DownloadRequest, error) {
	var req client.DownloadRequest
	if strings.Contains(arg, "://") {
		if err := checkURL(arg); err != nil {
			return req, err
		}
		req.URL = arg
	} else {
		h, err := parseFileHash(arg)
		if err != nil {
			return req, err
		}
		req.Hash = h.String()
	}
	if downOut != "" {
		out, err := filepath.Abs(downOut)
		if err != nil {
			return req, usageErr("-o %s: %v", downOut, err)
		}
		if _, err := os.Stat(out); err == nil && !downForce {
			return req, usageErr("-o %s exists: give --force to replace it", downOut)
		}
		if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
			return req, usageErr("-o %s: no directory %s", downOut, filepath.Dir(out))
		}
		req.Output = out
	}
	if downMaxPeers < 0 {
		return req, usageErr("--max-peers %d: want 0 or more", downMaxPeers)
	}
	req.MaxPeers = downMaxPeers
	if downPasswordFile != "" {
		pw, err := passwordFromFile(downPasswordFile)
		if err != nil {
			return req, err
		}
		req.Password = pw
	}
	return req, nil
}

func runDownload(cmd *cobra.Command, args []string) error {
	req, err := downloadRequest(args[0])
	if err != nil {
		return err
	}
	c, err := nodeClient(cmd)
	if err != nil {
		return err
	}
	started := func(*client.Task) bool { return true }
	start := func(ctx context.Context) (*client.Task, error) { return c.Download(ctx, req) }
	return followed(cmd, c, downDetach, started, start, taskLine)
}
