package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"dsp/node/client"

	"github.com/spf13/cobra"
)

// upload command flags.
var (
	upCopies, upCandidates int
	upDuration, upInterval uint64
	upPrivilege, upWhite   string
	upPasswordFile         string
	upURL, upName, upDesc  string
	upRegisterURL, upShare bool
	upPrice, upDetach      bool
)

var uploadCmd = &cobra.Command{
	Use:   "upload FILE",
	Short: "store FILE on FS nodes that keep proving they hold it",
	Long: `Upload FILE through the running node: it chunks the file, records it on the ledger (paying the
deposit from the node's account), sends the blocks to --copies FS nodes at once and waits until
each has confirmed. Prints the file hash (and the dsp:// URL with --url or --register-url).

Without --detach the command follows the task: a progress line on a terminal, plain lines
otherwise (on stderr; nothing extra with --json), and exits non-zero with the task's spec error
code if it fails. With --detach it returns once the file hash is known; follow the task with
"dsp tasks follow ID". --price shows what the upload costs and sends nothing.

FILE is read by the node, so it must be a path the node can read.`,
	Args: cobra.ExactArgs(1),
	RunE: runUpload,
}

func init() {
	f := uploadCmd.Flags()
	f.IntVar(&upCopies, "copies", 1, "FS nodes that each keep a copy")
	f.IntVar(&upCandidates, "candidates", 0, "further FS nodes named for recovery")
	f.Uint64Var(&upDuration, "duration", 0, "blocks from now the file is kept (default: the node's, 100 proof intervals)")
	f.Uint64Var(&upInterval, "interval", 0, "blocks between proofs (default: the node's, 100)")
	f.StringVar(&upPrivilege, "privilege", "", "who may download: private, public or whitelist (default private; whitelist with --whitelist)")
	f.StringVar(&upWhite, "whitelist", "", "accounts that may download, comma-separated addresses")
	f.StringVar(&upPasswordFile, "password-file", "", "encrypt the file with the password in FILE (first line)")
	f.StringVar(&upURL, "url", "", "register this dsp:// URL for the file")
	f.BoolVar(&upRegisterURL, "register-url", false, "register a random dsp:// URL for the file")
	f.BoolVar(&upShare, "share", false, "announce this node to SCAN as a holder once stored")
	f.BoolVar(&upPrice, "price", false, "show the price of the upload and stop")
	f.BoolVar(&upDetach, "detach", false, "return once the file hash is known; the task goes on in the node")
	f.StringVar(&upName, "name", "", "name kept with the file (default: FILE's base name)")
	f.StringVar(&upDesc, "desc", "", "description recorded on the ledger")
	root.AddCommand(uploadCmd)
}

// privileges are the --privilege names and their ledger values (spec: FileInfo.Privilege).
var privileges = map[string]uint64{"private": 0, "public": 1, "whitelist": 2}

// privilegeName is the --privilege name of a ledger privilege value.
func privilegeName(p uint64) string {
	for n, v := range privileges {
		if v == p {
			return n
		}
	}
	return fmt.Sprintf("privilege(%d)", p)
}

func parsePrivilege(s string) (uint64, error) {
	p, ok := privileges[s]
	if !ok {
		return 0, usageErr("--privilege %q: want private, public or whitelist", s)
	}
	return p, nil
}

// passwordFromFile returns the first line of file; an empty password is refused.
func passwordFromFile(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", usageErr("password file: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", usageErr("password file %s: the first line is empty", file)
	}
	return line, nil
}

// uploadRequest builds the request from the flags, checking what can be checked here.
func uploadRequest(path string) (client.UploadRequest, error) {
	var req client.UploadRequest
	abs, err := filepath.Abs(path)
	if err != nil {
		return req, usageErr("upload %s: %v", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return req, usageErr("upload %s: %v", path, err)
	}
	if !fi.Mode().IsRegular() {
		return req, usageErr("upload %s: not a regular file", path)
	}
	if upCopies < 1 {
		return req, usageErr("--copies %d: want at least 1", upCopies)
	}
	if upCandidates < 0 {
		return req, usageErr("--candidates %d: want 0 or more", upCandidates)
	}
	white, err := parseAddresses("--whitelist", upWhite)
	if err != nil {
		return req, err
	}
	priv := privileges["private"]
	switch {
	case upPrivilege != "":
		if priv, err = parsePrivilege(upPrivilege); err != nil {
			return req, err
		}
	case len(white) > 0:
		priv = privileges["whitelist"]
	}
	if len(white) > 0 && priv != privileges["whitelist"] {
		return req, usageErr("--whitelist needs --privilege whitelist")
	}
	if upURL != "" {
		if err := checkURL(upURL); err != nil {
			return req, err
		}
	}
	req = client.UploadRequest{
		Path: abs, Name: upName, Desc: upDesc, Copies: upCopies, Candidates: upCandidates,
		ProveInterval: upInterval, Duration: upDuration, Privilege: priv, WhiteList: white,
		Share: upShare, RegisterURL: upRegisterURL || upURL != "", URL: upURL,
	}
	if upPasswordFile != "" {
		if req.Password, err = passwordFromFile(upPasswordFile); err != nil {
			return req, err
		}
	}
	return req, nil
}

func runUpload(cmd *cobra.Command, args []string) error {
	req, err := uploadRequest(args[0])
	if err != nil {
		return err
	}
	if upPrice {
		return withNode(cmd, func(ctx context.Context, c client.Client) error {
			p, err := c.UploadPrice(ctx, req)
			if err != nil {
				return err
			}
			return emit(cmd, p, func(w io.Writer) { printPrice(w, p) })
		})
	}
	c, err := nodeClient(cmd)
	if err != nil {
		return err
	}
	hashKnown := func(t *client.Task) bool { return t.FileHash != "" }
	start := func(ctx context.Context) (*client.Task, error) { return c.Upload(ctx, req) }
	return followed(cmd, c, upDetach, hashKnown, start, taskLine)
}

func printPrice(w io.Writer, p *client.Price) {
	enough := "yes"
	if p.Deposit+p.Fee > p.Balance {
		enough = "no"
	}
	fmt.Fprintf(w, "size      %s (%d blocks)\ncopies    %d\nduration  %d blocks\ndeposit   %d\nfee       %d\ntotal     %d\nbalance   %d (enough: %s)\n",
		sizeText(p.Size), p.Blocks, p.Copies, p.Duration, p.Deposit, p.Fee, p.Deposit+p.Fee, p.Balance, enough)
}
