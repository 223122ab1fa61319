package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"dsp/keys"
	"dsp/status"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
)

// walletOptions are passed to every wallet the account commands open; tests make scrypt cheap.
var walletOptions []keys.Option

// account command flags.
var (
	acctWallet, acctPasswordFile, acctBlobPasswordFile string
	acctNewScheme, acctNewLabel                        string
	acctNewDefault                                     bool
	acctImpScheme, acctImpKey, acctImpFile, acctImpLbl string
	acctImpDefault                                     bool
	acctExpPrivate                                     bool
	acctExpOut                                         string
)

var accountCmd = &cobra.Command{
	Use:   "account",
	Short: "manage the accounts of a wallet file (keys, addresses, import/export)",
	Long: `An account is a key pair under one of the signature schemes (ed25519, p256, p256-sha3,
p256-ripemd160) and the address derived from its public key. The wallet file (default
<data dir>/wallet.json, mode 0600) keeps each private key encrypted under a password.

Passwords come from --password-file FILE (first line, no prompt) or are asked for on the
terminal without echo; without a terminal and without --password-file a command fails.`,
}

func init() {
	pf := accountCmd.PersistentFlags()
	pf.StringVar(&acctWallet, "wallet", "", "wallet file (default <data dir>/wallet.json)")
	pf.StringVar(&acctPasswordFile, "password-file", "", "read the account password from FILE instead of prompting")

	newCmd := &cobra.Command{
		Use:   "new",
		Short: "create an account with a new key pair",
		Args:  cobra.NoArgs,
		RunE:  runAccountNew,
	}
	newCmd.Flags().StringVar(&acctNewScheme, "scheme", "ed25519", "signature scheme: ed25519, p256, p256-sha3, p256-ripemd160")
	newCmd.Flags().StringVar(&acctNewLabel, "label", "", "label of the account (unique in the wallet)")
	newCmd.Flags().BoolVar(&acctNewDefault, "default", false, "make the new account the default")

	listCmd := &cobra.Command{
		Use:   "list",
		Short: "list the accounts of the wallet",
		Args:  cobra.NoArgs,
		RunE:  runAccountList,
	}
	showCmd := &cobra.Command{
		Use:   "show [ADDRESS|LABEL]",
		Short: "show one account (the default if none is named)",
		Args:  cobra.MaximumNArgs(1),
		RunE:  runAccountShow,
	}
	importCmd := &cobra.Command{
		Use:   "import (--private-key HEX --scheme S | --file BLOB)",
		Short: "import a raw private key or an exported account blob",
		Long: `Import a raw private key (hex; "-" reads it from stdin) under --scheme, or an account blob
made by "dsp account export" (--file FILE, "-" for stdin). The blob's password is read from
--blob-password-file, else the --password-file password is used, else it is prompted for.`,
		Args: cobra.NoArgs,
		RunE: runAccountImport,
	}
	importCmd.Flags().StringVar(&acctImpScheme, "scheme", "", "scheme of a raw private key: ed25519, p256, p256-sha3, p256-ripemd160")
	importCmd.Flags().StringVar(&acctImpKey, "private-key", "", "raw private key as hex: the 32-byte P-256 scalar or Ed25519 seed")
	importCmd.Flags().StringVar(&acctImpFile, "file", "", "account blob to import")
	importCmd.Flags().StringVar(&acctImpLbl, "label", "", "label of the account (default: the blob's label)")
	importCmd.Flags().BoolVar(&acctImpDefault, "default", false, "make the imported account the default")
	importCmd.Flags().StringVar(&acctBlobPasswordFile, "blob-password-file", "", "read the blob's password from FILE")

	exportCmd := &cobra.Command{
		Use:   "export [ADDRESS|LABEL]",
		Short: "export an account as an encrypted blob, or its raw private key with --private-key",
		Long: `Export an account (the default if none is named) as an account blob: JSON, the private key
sealed under the blob password (--blob-password-file, else the --password-file password, else a
prompt). With --private-key print the raw private key as hex instead.`,
		Args: cobra.MaximumNArgs(1),
		RunE: runAccountExport,
	}
	exportCmd.Flags().BoolVar(&acctExpPrivate, "private-key", false, "print the raw private key as hex")
	exportCmd.Flags().StringVar(&acctExpOut, "out", "", "write the blob to FILE (mode 0600, must not exist) instead of stdout")
	exportCmd.Flags().StringVar(&acctBlobPasswordFile, "blob-password-file", "", "read the blob's password from FILE")

	defaultCmd := &cobra.Command{
		Use:   "default [ADDRESS|LABEL]",
		Short: "show the default account, or make the named account the default",
		Args:  cobra.MaximumNArgs(1),
		RunE:  runAccountDefault,
	}
	accountCmd.AddCommand(newCmd, listCmd, showCmd, importCmd, exportCmd, defaultCmd)
	root.AddCommand(accountCmd)
}

// walletPath is --wallet, else <data dir>/wallet.json.
func walletPath() string {
	if acctWallet != "" {
		return acctWallet
	}
	return filepath.Join(flagData, "wallet.json")
}

// accountOut is how an account is printed.
type accountOut struct {
	Address   string `json:"address"`
	Label     string `json:"label"`
	Scheme    string `json:"scheme"`
	SchemeID  uint8  `json:"schemeId"`
	PublicKey string `json:"publicKey"`
	Default   bool   `json:"default"`
}

func toOut(a keys.Account) accountOut {
	return accountOut{
		Address:   a.Address.String(),
		Label:     a.Label,
		Scheme:    a.PublicKey.Scheme.String(),
		SchemeID:  uint8(a.PublicKey.Scheme),
		PublicKey: hex.EncodeToString(a.PublicKey.Key),
		Default:   a.Default,
	}
}

func emitAccount(cmd *cobra.Command, a keys.Account) error {
	o := toOut(a)
	return emit(cmd, o, func(w io.Writer) {
		fmt.Fprintf(w, "address    %s\nlabel      %s\nscheme     %s (%d)\npublicKey  %s\ndefault    %v\n",
			o.Address, o.Label, o.Scheme, o.SchemeID, o.PublicKey, o.Default)
	})
}

// selectAccount returns the named account, or the default when args is empty.
func selectAccount(w *keys.Wallet, args []string) (keys.Account, error) {
	if len(args) == 0 {
		return w.Default()
	}
	return w.Account(args[0])
}

func runAccountNew(cmd *cobra.Command, _ []string) error {
	s, err := keys.ParseScheme(acctNewScheme)
	if err != nil {
		return usageErr("--scheme: %v", err)
	}
	if err := keys.ValidateLabel(acctNewLabel); err != nil {
		return usageErr("--label: %v", err)
	}
	pw, err := readPassword(cmd, acctPasswordFile, "Password for the new account: ", true)
	if err != nil {
		return err
	}
	w, err := keys.OpenOrCreateWallet(walletPath(), walletOptions...)
	if err != nil {
		return err
	}
	a, _, err := w.NewAccount(s, acctNewLabel, pw)
	if err != nil {
		return err
	}
	return saveAndShow(cmd, w, a, acctNewDefault)
}

// saveAndShow optionally makes a the default, saves w and prints a as it now is.
func saveAndShow(cmd *cobra.Command, w *keys.Wallet, a keys.Account, makeDefault bool) error {
	if makeDefault {
		if err := w.SetDefault(a.Address.String()); err != nil {
			return err
		}
	}
	if err := w.Save(); err != nil {
		return err
	}
	a, err := w.Account(a.Address.String())
	if err != nil {
		return err
	}
	return emitAccount(cmd, a)
}

func runAccountList(cmd *cobra.Command, _ []string) error {
	w, err := keys.OpenWallet(walletPath(), walletOptions...)
	if err != nil {
		return err
	}
	out := []accountOut{}
	for _, a := range w.Accounts() {
		out = append(out, toOut(a))
	}
	return emit(cmd, out, func(wr io.Writer) {
		if len(out) == 0 {
			fmt.Fprintf(wr, "no accounts in %s\n", w.Path())
			return
		}
		for _, o := range out {
			mark := " "
			if o.Default {
				mark = "*"
			}
			fmt.Fprintf(wr, "%s %-34s  %-18s  %s\n", mark, o.Address, o.Scheme, o.Label)
		}
	})
}

func runAccountShow(cmd *cobra.Command, args []string) error {
	w, err := keys.OpenWallet(walletPath(), walletOptions...)
	if err != nil {
		return err
	}
	a, err := selectAccount(w, args)
	if err != nil {
		return err
	}
	return emitAccount(cmd, a)
}

func runAccountDefault(cmd *cobra.Command, args []string) error {
	w, err := keys.OpenWallet(walletPath(), walletOptions...)
	if err != nil {
		return err
	}
	a, err := selectAccount(w, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return emitAccount(cmd, a)
	}
	return saveAndShow(cmd, w, a, true)
}

func runAccountImport(cmd *cobra.Command, _ []string) error {
	if (acctImpKey == "") == (acctImpFile == "") {
		return usageErr("give exactly one of --private-key HEX and --file BLOB")
	}
	if err := keys.ValidateLabel(acctImpLbl); err != nil {
		return usageErr("--label: %v", err)
	}
	if acctImpKey != "" {
		return importPrivateKey(cmd)
	}
	if acctImpScheme != "" {
		return usageErr("--scheme applies to --private-key; a blob names its own scheme")
	}
	blob, err := readInput(cmd, acctImpFile)
	if err != nil {
		return usageErr("--file: %v", err)
	}
	blobPW, err := blobPassword(cmd, "Password of the account blob: ", false)
	if err != nil {
		return err
	}
	kp, blobLabel, err := keys.OpenAccount(blob, blobPW)
	if err != nil {
		return err
	}
	label := acctImpLbl
	if label == "" {
		label = blobLabel
	}
	return addImported(cmd, kp, label)
}

func importPrivateKey(cmd *cobra.Command) error {
	if acctImpScheme == "" {
		return usageErr("--private-key needs --scheme (ed25519, p256, p256-sha3, p256-ripemd160)")
	}
	s, err := keys.ParseScheme(acctImpScheme)
	if err != nil {
		return usageErr("--scheme: %v", err)
	}
	text := acctImpKey
	if text == "-" {
		b, err := readInput(cmd, "-")
		if err != nil {
			return usageErr("--private-key: %v", err)
		}
		text = string(b)
	}
	text = strings.TrimPrefix(strings.TrimSpace(text), "0x")
	raw, err := hex.DecodeString(text)
	if err != nil {
		return usageErr("--private-key: not hex: %v", err)
	}
	kp, err := keys.FromPrivateBytes(s, raw)
	clear(raw)
	if err != nil {
		return usageErr("--private-key: %v", err)
	}
	return addImported(cmd, kp, acctImpLbl)
}

// addImported seals kp under a new password, adds it to the wallet and saves.
func addImported(cmd *cobra.Command, kp *keys.KeyPair, label string) error {
	w, err := keys.OpenOrCreateWallet(walletPath(), walletOptions...)
	if err != nil {
		return err
	}
	if _, err := w.Account(kp.Address().String()); err == nil {
		return status.Wrap(status.AccountExist, keys.ErrAccountExists, "import %s", kp.Address())
	}
	pw, err := readPassword(cmd, acctPasswordFile, "Password for the imported account: ", true)
	if err != nil {
		return err
	}
	a, err := w.AddKey(kp, label, pw)
	if err != nil {
		return err
	}
	return saveAndShow(cmd, w, a, acctImpDefault)
}

func runAccountExport(cmd *cobra.Command, args []string) error {
	if acctExpPrivate && acctExpOut != "" {
		return usageErr("--out writes a blob; --private-key prints the raw key")
	}
	w, err := keys.OpenWallet(walletPath(), walletOptions...)
	if err != nil {
		return err
	}
	a, err := selectAccount(w, args)
	if err != nil {
		return err
	}
	pw, err := readPassword(cmd, acctPasswordFile, "Password of "+a.Address.String()+": ", false)
	if err != nil {
		return err
	}
	if acctExpPrivate {
		kp, err := w.Unlock(a.Address.String(), pw)
		if err != nil {
			return err
		}
		v := map[string]string{"address": a.Address.String(), "scheme": a.PublicKey.Scheme.String(),
			"publicKey": hex.EncodeToString(a.PublicKey.Key), "privateKey": hex.EncodeToString(kp.PrivateBytes())}
		return emit(cmd, v, func(wr io.Writer) { fmt.Fprintln(wr, v["privateKey"]) })
	}
	if acctExpOut != "" {
		if _, err := os.Lstat(acctExpOut); err == nil {
			return usageErr("--out %s: file exists", acctExpOut)
		}
	}
	if _, err := w.Unlock(a.Address.String(), pw); err != nil { // fail on a wrong password before asking for another
		return err
	}
	blobPW, err := blobPassword(cmd, "Password for the exported blob: ", true)
	if err != nil {
		return err
	}
	blob, err := w.ExportAccount(a.Address.String(), pw, blobPW)
	if err != nil {
		return err
	}
	if acctExpOut == "" {
		_, err := cmd.OutOrStdout().Write(blob)
		return err
	}
	f, err := os.OpenFile(acctExpOut, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return status.Wrap(status.AccountExportFailed, err, "export")
	}
	if _, err := f.Write(blob); err != nil {
		_ = f.Close()
		return status.Wrap(status.AccountExportFailed, err, "export to %s", acctExpOut)
	}
	if err := f.Close(); err != nil {
		return status.Wrap(status.AccountExportFailed, err, "export to %s", acctExpOut)
	}
	return emit(cmd, map[string]string{"address": a.Address.String(), "file": acctExpOut}, func(wr io.Writer) {
		fmt.Fprintf(wr, "exported %s to %s\n", a.Address, acctExpOut)
	})
}

// blobPassword is the password of an account blob: --blob-password-file, else the
// --password-file password, else a prompt.
func blobPassword(cmd *cobra.Command, prompt string, confirm bool) (string, error) {
	if acctBlobPasswordFile != "" {
		return readPassword(cmd, acctBlobPasswordFile, prompt, confirm)
	}
	return readPassword(cmd, acctPasswordFile, prompt, confirm)
}

// readPassword returns the first line of file when file is set; otherwise it prompts on the
// terminal without echo (twice when confirm is set). Without a terminal it fails at once rather
// than wait for input that cannot come.
func readPassword(cmd *cobra.Command, file, prompt string, confirm bool) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", usageErr("password file: %v", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimSuffix(line, "\r"), nil
	}
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return "", usageErr("no terminal to ask for a password on; pass --password-file FILE")
	}
	pw, err := promptOnce(cmd, f, prompt)
	if err != nil || !confirm {
		return pw, err
	}
	again, err := promptOnce(cmd, f, "Repeat: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", usageErr("the passwords differ")
	}
	return pw, nil
}

func promptOnce(cmd *cobra.Command, f *os.File, prompt string) (string, error) {
	fmt.Fprint(cmd.ErrOrStderr(), prompt)
	b, err := term.ReadPassword(f.Fd())
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(bytes.TrimRight(b, "\r\n")), nil
}

// readInput reads a whole file, or stdin for "-", up to 1 MiB.
func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = cmd.InOrStdin()
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(b) > 1<<20 {
		return nil, errors.New("larger than 1 MiB")
	}
	return b, nil
}
