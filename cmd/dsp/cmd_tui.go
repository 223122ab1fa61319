package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	charmlog "charm.land/log/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"dsp/keys"
	"dsp/node/client"
	"dsp/node/devnet"
	"dsp/node/roles"
	"dsp/status"
	"dsp/tui"
	tuissh "dsp/tui/ssh"
)

// tui command flags (a bare "dsp" uses their defaults).
var (
	tuiFS        int
	tuiBlock     time.Duration
	tuiStartWait time.Duration
)

// DevnetLogFile is the embedded devnet's log, in the data directory (the TUI has the screen).
const DevnetLogFile = "devnet.log"

// unlockTries is how many wrong passwords the launcher accepts before it gives up.
const unlockTries = 3

func init() {
	c := &cobra.Command{
		Use:   "tui",
		Short: "open the terminal UI on the embedded devnet, a node running on --data, or --api",
		Long: `Open the terminal UI (what a bare "dsp" does on a terminal).

Which node it drives:
  --api URL --token T   a remote node's control API (token also from $` + EnvToken + `)
  a node running on --data (its api.json answers): that node ("dsp devnet" or "dsp node")
  otherwise             an embedded devnet started in --data in this process (--fs FS nodes,
                        --block-interval for a new chain), its logs in <data dir>/` + DevnetLogFile + `;
                        quitting the TUI stops it

When the embedded devnet's wallet (<data dir>/wallet.json) has a default account, its password is
asked first (masked) and the client node runs as that account; an empty password runs it as
<data dir>/node.key. With no wallet account the TUI's first-run screen creates or imports one, and
the client node runs as it at once. docs/tui.md describes the screens and keys.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !onTerminal(cmd) {
				return usageErr("dsp tui needs a terminal on stdin and stdout (scripts: use the other commands)")
			}
			return runTUI(cmd)
		},
	}
	f := c.Flags()
	f.IntVar(&tuiFS, "fs", 3, "embedded devnet: number of FS nodes (a resumed devnet keeps at least the ones it has)")
	f.DurationVar(&tuiBlock, "block-interval", time.Second, "embedded devnet: block interval of a new chain")
	f.DurationVar(&tuiStartWait, "start-timeout", 2*time.Minute, "embedded devnet: give up starting after this long")
	root.AddCommand(c)
}

// onTerminal reports whether the command's stdin and stdout are both terminals.
func onTerminal(cmd *cobra.Command) bool {
	in, ok1 := cmd.InOrStdin().(*os.File)
	out, ok2 := cmd.OutOrStdout().(*os.File)
	return ok1 && ok2 && term.IsTerminal(in.Fd()) && term.IsTerminal(out.Fd())
}

// runTUI opens the TUI on the node the flags name (see the tui command's help) and returns when
// the user quits or a signal arrives.
func runTUI(cmd *cobra.Command) error {
	if flagAPI != "" {
		c, err := openClient(cmd)
		if err != nil {
			return err
		}
		return driveTUI(cmd, c)
	}
	if c := runningNode(cmd.Context(), flagData); c != nil {
		return driveTUI(cmd, c)
	}
	return runEmbedded(cmd)
}

// runningNode returns the client of a node running on dir (its api.json answers), else nil.
func runningNode(ctx context.Context, dir string) client.Client {
	c, err := client.Open(dir)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := c.Status(ctx); err != nil {
		return nil // a stale api.json: nothing runs there
	}
	return c
}

// tuiSignals end the TUI (and the embedded devnet) cleanly; Ctrl+C is a key inside the TUI.
var tuiSignals = append([]os.Signal{syscall.SIGHUP}, nodeSignals...)

// driveTUI runs the TUI over c until the user quits or a signal arrives.
func driveTUI(cmd *cobra.Command, c client.Client) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), tuiSignals...)
	defer stop()
	return tui.Run(ctx, c, tui.Options{}) // on the process's terminal, which onTerminal checked
}

// runEmbedded asks for the wallet's password if it has a default account, starts the devnet in
// the data directory, runs the TUI on its client node and stops the devnet when the TUI ends.
func runEmbedded(cmd *cobra.Command) error {
	out := cmd.OutOrStdout()
	key, err := unlockDefault(cmd)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(flagData, 0o700); err != nil {
		return withCode(status.DspInitFailed, fmt.Errorf("data directory: %w", err))
	}
	logf, err := os.OpenFile(filepath.Join(flagData, DevnetLogFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return withCode(status.DspInitFailed, fmt.Errorf("devnet log: %w", err))
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, stop := signal.NotifyContext(cmd.Context(), tuiSignals...)
	defer stop()
	fmt.Fprintf(out, "starting devnet in %s… (logs: %s)\n", flagData, filepath.Join(flagData, DevnetLogFile))
	sctx, cancel := context.WithTimeout(ctx, tuiStartWait)
	d, err := devnet.Start(sctx, devnet.Config{Dir: flagData, FS: tuiFS, BlockInterval: tuiBlock, Key: key, Logger: log})
	cancel()
	if err != nil {
		return withCode(status.DspStartFailed, fmt.Errorf("start devnet: %w (see %s)", err, logf.Name()))
	}
	runErr := tui.Run(ctx, d.Client(), tui.Options{})
	fmt.Fprintln(out, "stopping devnet…")
	if err := d.Close(); err != nil {
		return withCode(status.DspStopFailed, err)
	}
	return runErr
}

// unlockDefault asks on the terminal for the password of the wallet's default account in the
// data directory and returns it unlocked; nil when there is no wallet account or the password is
// left empty (the devnet then runs as node.key). Three wrong passwords fail with
// ACCOUNT_PASSWORD_WRONG.
func unlockDefault(cmd *cobra.Command) (*keys.KeyPair, error) {
	w, err := keys.OpenWallet(filepath.Join(flagData, roles.WalletFile))
	if errors.Is(err, keys.ErrWalletNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a, err := w.Default()
	if err != nil {
		return nil, nil // an empty wallet: the TUI's first-run screen makes an account
	}
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok {
		return nil, usageErr("unlocking the wallet needs a terminal")
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Unlock account %q (%s) in %s\n", a.Label, a.Address, flagData)
	for range unlockTries {
		fmt.Fprint(out, "Password (empty: run as the node key): ")
		pw, err := term.ReadPassword(in.Fd())
		fmt.Fprintln(out)
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		if len(pw) == 0 {
			return nil, nil
		}
		kp, err := w.Unlock(a.Address.String(), string(pw))
		if err == nil {
			return kp, nil
		}
		if !errors.Is(err, status.Is(status.AccountPasswordWrong)) {
			return nil, err
		}
		fmt.Fprintln(out, "Wrong password.")
	}
	return nil, status.New(status.AccountPasswordWrong, "unlock %s: %d wrong passwords", a.Address, unlockTries)
}

// console is an SSH console serving a node's TUI (dsp node --ssh, dsp devnet --ssh).
type console struct {
	srv  *tuissh.Server
	addr string
	wg   sync.WaitGroup
}

// checkConsoleFlags checks --ssh and --authorized-keys before a node starts.
func checkConsoleFlags(addr, authorizedKeys string) error {
	switch {
	case addr == "" && authorizedKeys != "":
		return usageErr("--authorized-keys needs --ssh ADDR")
	case addr == "":
		return nil
	case authorizedKeys == "":
		return usageErr("--ssh needs --authorized-keys FILE (public keys only)")
	}
	if _, err := os.Stat(authorizedKeys); err != nil {
		return usageErr("--authorized-keys: %v", err)
	}
	return nil
}

// startConsole serves the TUI over SSH on addr for the keys in authorizedKeys, with its host key
// in dataDir; every session drives newClient(). Logs go to logw. Close stops it.
func startConsole(addr, authorizedKeys, dataDir string, newClient func() tui.Client, logw io.Writer) (*console, error) {
	if err := checkConsoleFlags(addr, authorizedKeys); err != nil {
		return nil, err
	}
	srv, err := tuissh.NewServer(tuissh.Config{Addr: addr, HostKeyPath: filepath.Join(dataDir, tuissh.HostKeyFile),
		AuthorizedKeysPath: authorizedKeys, NewClient: newClient, Logger: charmlog.New(logw)})
	if errors.Is(err, tuissh.ErrNoAuthorizedKeys) {
		return nil, usageErr("%v", err)
	}
	if err != nil {
		return nil, withCode(status.DspStartFailed, err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageErr("--ssh %s: %v", addr, err)
	}
	c := &console{srv: srv, addr: l.Addr().String()}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		_ = srv.Serve(l)
	}()
	return c, nil
}

// Close closes the listener and every session, and waits for the server to stop.
func (c *console) Close() error {
	err := c.srv.Close()
	c.wg.Wait()
	return err
}
