package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"dsp/status"
	"dsp/store"

	"github.com/spf13/cobra"
)

// store command flags.
var (
	storePasswordFile string
	storeAddName      string
	storeGetOut       string
)

var storeCmd = &cobra.Command{
	Use:   "store",
	Short: "operate the local block store (add, get, ls, rm, gc)",
	Long: `The block store keeps files as content-addressed blocks in <data dir>/store/blocks.db
(bbolt). A file is named by its file hash, the hash of its root link block; the same bytes
always give the same file hash. Blocks shared by files are stored once; "rm" drops a file's
record and "gc" removes the blocks no file references any more.

With --password-file FILE (first line) "add" encrypts the content before chunking and "get"
decrypts it; a wrong password fails before anything is written.`,
}

func init() {
	storeCmd.PersistentFlags().StringVar(&storePasswordFile, "password-file", "", "encrypt (add) or decrypt (get) with the password in FILE")
	addCmd := &cobra.Command{
		Use:   "add FILE",
		Short: "add a file (\"-\" for stdin) and print its file hash and blocks root",
		Args:  cobra.ExactArgs(1),
		RunE:  runStoreAdd,
	}
	addCmd.Flags().StringVar(&storeAddName, "name", "", "name kept with the file (default: FILE's base name)")
	getCmd := &cobra.Command{
		Use:   "get FILEHASH -o OUT",
		Short: "read a file back, verifying every block, into OUT (\"-\" for stdout)",
		Long: `Read a complete file back, verifying every block. OUT is written under a temporary name in
its directory and renamed to OUT only once the whole file is verified (and decrypted).`,
		Args: cobra.ExactArgs(1),
		RunE: runStoreGet,
	}
	getCmd.Flags().StringVarP(&storeGetOut, "out", "o", "", "output file (\"-\" for stdout)")
	lsCmd := &cobra.Command{
		Use:   "ls",
		Short: "list the files of the store, complete and partial",
		Args:  cobra.NoArgs,
		RunE:  runStoreLs,
	}
	rmCmd := &cobra.Command{
		Use:   "rm FILEHASH",
		Short: "remove a file's record; its blocks go at the next gc",
		Args:  cobra.ExactArgs(1),
		RunE:  runStoreRm,
	}
	gcCmd := &cobra.Command{
		Use:   "gc",
		Short: "remove every block that no file references",
		Args:  cobra.NoArgs,
		RunE:  runStoreGC,
	}
	storeCmd.AddCommand(addCmd, getCmd, lsCmd, rmCmd, gcCmd)
	root.AddCommand(storeCmd)
}

// storePath is where the block store lives in a data directory.
func storePath(dataDir string) string { return filepath.Join(dataDir, "store", "blocks.db") }

func openStore() (*store.Store, error) {
	s, err := store.Open(storePath(flagData), nil)
	if err != nil {
		return nil, withCode(status.InternalError, err)
	}
	return s, nil
}

// storePassword reads --password-file's first line, or returns nil without the flag.
func storePassword() ([]byte, error) {
	if storePasswordFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(storePasswordFile)
	if err != nil {
		return nil, usageErr("read password file: %v", err)
	}
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return nil, usageErr("password file %s is empty", storePasswordFile)
	}
	return b, nil
}

func parseFileHash(s string) (store.Hash, error) {
	h, err := store.ParseHash(s)
	if err != nil {
		return h, usageErr("%v", err)
	}
	return h, nil
}

// fileNotFound maps store.ErrFileNotFound to the spec's DSP_FILE_NOT_EXISTS.
func fileNotFound(err error) error {
	if errors.Is(err, store.ErrFileNotFound) {
		return withCode(status.DspFileNotExists, err)
	}
	return err
}

func runStoreAdd(cmd *cobra.Command, args []string) error {
	pw, err := storePassword()
	if err != nil {
		return err
	}
	var in io.Reader = cmd.InOrStdin()
	name := storeAddName
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return usageErr("%v", err)
		}
		defer f.Close()
		in = f
		if name == "" {
			name = filepath.Base(args[0])
		}
	}
	s, err := openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	fi, err := s.AddFile(cmd.Context(), in, store.AddOptions{Name: name, Password: pw})
	if err != nil {
		return err
	}
	return emit(cmd, fi, func(w io.Writer) {
		fmt.Fprintf(w, "added %s\nfile hash   %s\nblocks root %s\nsize        %d bytes, %d data blocks\n",
			fi.Name, fi.FileHash, fi.BlocksRoot, fi.Size, fi.Blocks)
	})
}

func runStoreGet(cmd *cobra.Command, args []string) error {
	h, err := parseFileHash(args[0])
	if err != nil {
		return err
	}
	if storeGetOut == "" {
		return usageErr("get needs -o OUT")
	}
	pw, err := storePassword()
	if err != nil {
		return err
	}
	s, err := openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := cmd.Context()
	fi, err := s.File(ctx, h)
	if err != nil {
		return fileNotFound(err)
	}
	if fi.Encrypted && pw == nil {
		return usageErr("file %s is encrypted: give --password-file", h)
	}
	rc, err := s.OpenFile(ctx, h)
	if err != nil {
		return fileNotFound(err)
	}
	defer rc.Close()
	var r io.Reader = rc
	if pw != nil {
		// The header's key check fails here, before OUT or a temporary file exists.
		if r, err = store.NewDecryptReader(rc, pw); err != nil {
			return err
		}
	}
	n, err := writeVerified(storeGetOut, cmd.OutOrStdout(), r)
	if err != nil {
		return err
	}
	if storeGetOut == "-" {
		return nil
	}
	v := map[string]any{"fileHash": h, "out": storeGetOut, "bytes": n}
	return emit(cmd, v, func(w io.Writer) { fmt.Fprintf(w, "wrote %s (%d bytes)\n", storeGetOut, n) })
}

// writeVerified copies r to out through a temporary file in out's directory, renamed to out only
// when r ended without error; "-" writes to stdout directly.
func writeVerified(out string, stdout io.Writer, r io.Reader) (int64, error) {
	if out == "-" {
		return io.Copy(stdout, r)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".part-*")
	if err != nil {
		return 0, usageErr("create output: %v", err)
	}
	n, err := io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, err
	}
	return n, nil
}

func runStoreLs(cmd *cobra.Command, _ []string) error {
	s, err := openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	fs, err := s.Files(cmd.Context())
	if err != nil {
		return err
	}
	if fs == nil {
		fs = []store.FileInfo{}
	}
	return emit(cmd, fs, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE HASH\tSTATE\tSIZE\tBLOCKS\tNAME")
		for _, f := range fs {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", f.FileHash, f.State, f.Size, f.Blocks, f.Name)
		}
		tw.Flush()
	})
}

func runStoreRm(cmd *cobra.Command, args []string) error {
	h, err := parseFileHash(args[0])
	if err != nil {
		return err
	}
	s, err := openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.DeleteFile(cmd.Context(), h); err != nil {
		return fileNotFound(err)
	}
	v := map[string]any{"fileHash": h, "removed": true}
	return emit(cmd, v, func(w io.Writer) { fmt.Fprintf(w, "removed %s (blocks go at the next gc)\n", h) })
}

func runStoreGC(cmd *cobra.Command, _ []string) error {
	s, err := openStore()
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.GarbageCollect(cmd.Context())
	if err != nil {
		return err
	}
	return emit(cmd, st, func(w io.Writer) {
		fmt.Fprintf(w, "removed %d of %d blocks (%d reachable from %d files) in %v, %d batches\n",
			st.Removed, st.Scanned, st.Marked, st.Files, st.Duration, st.Batches)
	})
}
