package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"dsp/node/client"
	"dsp/status"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
)

// Task states as the node reports them (client.Task.State).
const (
	taskRunning   = "running"
	taskPaused    = "paused"
	taskDone      = "done"
	taskFailed    = "failed"
	taskCancelled = "cancelled"
)

// taskPoll is how often a followed task is also polled, in case events were lost or the event
// stream is unavailable.
var taskPoll = time.Second

// tasks command flags.
var tasksPasswordFile string

var tasksCmd = &cobra.Command{
	Use:   "tasks [ID]",
	Short: "list upload and download tasks, show one with its peers, or control one",
	Long: `Without ID, list the node's tasks: id, kind, state, the spec's transmission status (code and
name), progress in blocks, file hash and, for a failed task, its task error code. With ID, show
that task in detail with each peer's part. A download from holders that charge shows what it paid
them (PAID in the list; in detail its total and each holder's price per byte and amount). Control a task with the subcommands:

  dsp tasks pause ID
  dsp tasks resume ID [--password-file F]   (an encrypted task needs its password after a restart)
  dsp tasks cancel ID
  dsp tasks retry ID                        (a failed or cancelled task)
  dsp tasks follow ID                       (show progress until the task ends, like upload/download)`,
	Args: cobra.MaximumNArgs(1),
	RunE: runTasks,
}

func init() {
	control := func(use, short string, f func(ctx context.Context, c client.Client, id string) error) *cobra.Command {
		return &cobra.Command{
			Use:   use + " ID",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withNode(cmd, func(ctx context.Context, c client.Client) error {
					if err := f(ctx, c, args[0]); err != nil {
						return err
					}
					t, err := c.Task(ctx, args[0])
					if err != nil {
						return err
					}
					return emitTask(cmd, t)
				})
			},
		}
	}
	pause := control("pause", "pause a running task", func(ctx context.Context, c client.Client, id string) error {
		return c.PauseTask(ctx, id)
	})
	resume := control("resume", "resume a paused task", func(ctx context.Context, c client.Client, id string) error {
		var pw []byte
		if tasksPasswordFile != "" {
			s, err := passwordFromFile(tasksPasswordFile)
			if err != nil {
				return err
			}
			pw = []byte(s)
		}
		return c.ResumeTask(ctx, id, pw)
	})
	resume.Flags().StringVar(&tasksPasswordFile, "password-file", "", "the task's encryption password (first line of FILE)")
	cancel := control("cancel", "cancel a task", func(ctx context.Context, c client.Client, id string) error {
		return c.CancelTask(ctx, id)
	})
	retry := control("retry", "restart a failed or cancelled task", func(ctx context.Context, c client.Client, id string) error {
		return c.RetryTask(ctx, id)
	})
	follow := &cobra.Command{
		Use:   "follow ID",
		Short: "show a task's progress until it ends; exit non-zero if it fails",
		Args:  cobra.ExactArgs(1),
		RunE:  runTasksFollow,
	}
	tasksCmd.AddCommand(pause, resume, cancel, retry, follow)
	root.AddCommand(tasksCmd)
}

func runTasks(cmd *cobra.Command, args []string) error {
	return withNode(cmd, func(ctx context.Context, c client.Client) error {
		if len(args) == 1 {
			t, err := c.Task(ctx, args[0])
			if err != nil {
				return err
			}
			return emitTask(cmd, t)
		}
		ts, err := c.Tasks(ctx)
		if err != nil {
			return err
		}
		if ts == nil {
			ts = []client.Task{}
		}
		return emit(cmd, ts, func(w io.Writer) { printTasks(w, ts) })
	})
}

func runTasksFollow(cmd *cobra.Command, args []string) error {
	c, err := nodeClient(cmd)
	if err != nil {
		return err
	}
	t, err := runTask(cmd, c, func(ctx context.Context) (*client.Task, error) { return c.Task(ctx, args[0]) }, taskFinal)
	if err != nil {
		return err
	}
	return emitTask(cmd, t)
}

// printTasks prints the task list as a table.
func printTasks(w io.Writer, ts []client.Task) {
	if len(ts) == 0 {
		fmt.Fprintln(w, "no tasks")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATE\tSTATUS\tPROGRESS\tPAID\tFILE\tERROR")
	for _, t := range ts {
		paid := "-"
		if paying(&t) {
			paid = strconv.FormatUint(t.Paid, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d %s\t%s\t%s\t%s\t%s\n", t.ID, t.Kind, t.State, t.Status, t.StatusName,
			progressText(&t), paid, orDash(t.FileHash), orDash(taskCodeText(&t)))
	}
	tw.Flush()
}

// emitTask prints one task in detail with each peer's part.
func emitTask(cmd *cobra.Command, t *client.Task) error {
	return emit(cmd, t, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "task\t%s\n", t.ID)
		fmt.Fprintf(tw, "kind\t%s\n", t.Kind)
		fmt.Fprintf(tw, "state\t%s\n", t.State)
		fmt.Fprintf(tw, "status\t%d %s (%s)\n", t.Status, t.StatusName, status.TxStatus(t.Status).Text())
		if e := taskCodeText(t); e != "" {
			fmt.Fprintf(tw, "error\t%s\n", e)
		}
		fmt.Fprintf(tw, "fileHash\t%s\n", orDash(t.FileHash))
		if t.URL != "" {
			fmt.Fprintf(tw, "url\t%s\n", t.URL)
		}
		if t.Upload != nil {
			fmt.Fprintf(tw, "path\t%s\n", t.Upload.Path)
		}
		if t.Download != nil && t.Download.Output != "" {
			fmt.Fprintf(tw, "output\t%s\n", t.Download.Output)
		}
		fmt.Fprintf(tw, "size\t%s\n", sizeText(t.Size))
		fmt.Fprintf(tw, "progress\t%s\n", progressText(t))
		if paying(t) {
			fmt.Fprintf(tw, "paid\t%d (to its holders over payment channels)\n", t.Paid)
		}
		if t.Encrypted {
			fmt.Fprintf(tw, "encrypted\tyes (needs password: %v)\n", t.NeedPassword)
		}
		fmt.Fprintf(tw, "created\t%s\n", t.Created.Format(time.RFC3339))
		fmt.Fprintf(tw, "updated\t%s\n", t.Updated.Format(time.RFC3339))
		tw.Flush()
		if len(t.Peers) == 0 {
			return
		}
		fmt.Fprintln(w, "peers:")
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		pay := paying(t)
		head := "  ACCOUNT\tHELD\tSENT\tBYTES\tRATE\tWRONG\tDONE\tERROR"
		if pay {
			head += "\tPRICE\tPAID"
		}
		fmt.Fprintln(tw, head)
		for _, p := range t.Peers {
			line := fmt.Sprintf("  %s\t%d\t%d\t%s\t%s/s\t%d\t%v\t%s", p.Account, p.Held, p.Sent, sizeText(p.Bytes),
				sizeText(uint64(p.Rate)), p.Wrong, p.Done, orDash(p.Err))
			if pay {
				line += fmt.Sprintf("\t%d\t%d", p.Price, p.Paid)
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
	})
}

// paying reports whether t is a download from holders that charge, or that paid them.
func paying(t *client.Task) bool {
	if t.Kind != "download" {
		return false
	}
	if t.Paid > 0 {
		return true
	}
	for _, p := range t.Peers {
		if p.Price > 0 {
			return true
		}
	}
	return false
}

func progressText(t *client.Task) string {
	if t.Blocks == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d (%d%%)", t.Held, t.Blocks, t.Held*100/t.Blocks)
}

// taskCodeText is "50022 DOWNLOAD_REFUSED: msg" for a task that carries an error code.
func taskCodeText(t *client.Task) string {
	if t.Code == 0 {
		return ""
	}
	s := fmt.Sprintf("%d %s", t.Code, taskCodeName(t.Code))
	if t.Msg != "" {
		s += ": " + t.Msg
	}
	return s
}

// taskCodeName is the spec name of a task's error code: the task table first, then the RESTful.
func taskCodeName(code int) string {
	if n := status.TaskCode(code).Name(); n != "" {
		return n
	}
	return status.RestCode(code).Name()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// taskFinal reports whether a task is done, failed or cancelled.
func taskFinal(t *client.Task) bool {
	return t.State == taskDone || t.State == taskFailed || t.State == taskCancelled
}

// taskError is the error a finished task ends the command with: nil when done, its spec task
// error code when failed.
func taskError(t *client.Task) error {
	switch t.State {
	case taskDone:
		return nil
	case taskFailed:
		code := t.Code
		if code == 0 {
			code = status.TaskTaskInternalError.Num()
		}
		return &status.Error{Code: code, Name: taskCodeName(code),
			Msg: fmt.Sprintf("%s task %s failed: %s", t.Kind, t.ID, orDash(t.Msg))}
	case taskCancelled:
		return fmt.Errorf("%s task %s was cancelled", t.Kind, t.ID)
	}
	return nil
}

// errInterrupted: the user stopped following a task; the task goes on in the node.
var errInterrupted = errors.New("interrupted")

// runTask subscribes to the node's events, starts (or looks up) a task with start, and follows it
// until until reports true or the task ends, showing progress on stderr. It returns the last
// snapshot, with taskError's error if the task failed or was cancelled.
func runTask(cmd *cobra.Command, c client.Client, start func(context.Context) (*client.Task, error), until func(*client.Task) bool) (*client.Task, error) {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	// Subscribe first so no event of the new task is missed; without events, polling alone follows.
	evCtx, cancelEv := context.WithCancel(ctx)
	defer cancelEv()
	evs, err := c.Events(evCtx)
	if err != nil {
		evs = nil
	}
	startCtx, cancel := context.WithTimeout(ctx, opTimeout)
	t, err := start(startCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	p := newProgress(cmd)
	defer p.end()
	tick := time.NewTicker(taskPoll)
	defer tick.Stop()
	for {
		p.show(t)
		if until(t) || taskFinal(t) {
			break
		}
		select {
		case ev, ok := <-evs:
			if !ok {
				evs = nil
				continue
			}
			if nt := eventTask(ev); nt != nil && nt.ID == t.ID {
				t = nt
			}
		case <-tick.C:
			nt, err := c.Task(ctx, t.ID)
			if err != nil {
				if ctx.Err() != nil {
					continue
				}
				return t, fmt.Errorf("follow task %s: %w", t.ID, err)
			}
			t = nt
		case <-ctx.Done():
			return t, fmt.Errorf("%w: task %s goes on in the node (dsp tasks %s)", errInterrupted, t.ID, t.ID)
		}
	}
	if taskFinal(t) {
		// The event may predate the last fields (url, peers); take the node's final snapshot.
		qctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
		if nt, err := c.Task(qctx, t.ID); err == nil && taskFinal(nt) {
			t = nt
		}
		cancel()
	}
	return t, taskError(t)
}

// eventTask returns the task an EventTask carries (in-process: a value; over HTTP: decoded JSON).
func eventTask(ev client.Event) *client.Task {
	if ev.Type != client.EventTask {
		return nil
	}
	switch d := ev.Data.(type) {
	case client.Task:
		return &d
	case *client.Task:
		return d
	}
	b, err := json.Marshal(ev.Data)
	if err != nil {
		return nil
	}
	var t client.Task
	if json.Unmarshal(b, &t) != nil || t.ID == "" {
		return nil
	}
	return &t
}

// progress shows a followed task on stderr: one rewritten line on a terminal, a plain line per
// change of status or tenth of the blocks otherwise, nothing with --json.
type progress struct {
	w    io.Writer
	tty  bool
	last string // key of the last plain line
	open bool   // a terminal line is drawn and not yet ended
}

func newProgress(cmd *cobra.Command) *progress {
	if flagJSON {
		return nil
	}
	w := cmd.ErrOrStderr()
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && term.IsTerminal(f.Fd())}
}

func (p *progress) show(t *client.Task) {
	if p == nil {
		return
	}
	line := fmt.Sprintf("%s %s  %s  %s", t.Kind, t.ID, t.State, t.StatusName)
	if t.Blocks > 0 {
		line += fmt.Sprintf("  %d/%d blocks (%d%%)", t.Held, t.Blocks, t.Held*100/t.Blocks)
	}
	if p.tty {
		line += fmt.Sprintf("  %s  %d peers", sizeText(t.Bytes), len(t.Peers))
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
		p.open = true
		return
	}
	key := fmt.Sprintf("%s %s", t.State, t.StatusName)
	if t.Blocks > 0 {
		key += fmt.Sprintf(" %d", t.Held*10/t.Blocks)
	}
	if key != p.last {
		p.last = key
		fmt.Fprintln(p.w, line)
	}
}

// end finishes a terminal progress line.
func (p *progress) end() {
	if p != nil && p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// followed runs a started task to its end (or, detached, until detachedAt reports true) and
// prints it with text.
func followed(cmd *cobra.Command, c client.Client, detach bool, detachedAt func(*client.Task) bool,
	start func(context.Context) (*client.Task, error), text func(io.Writer, *client.Task)) error {
	until := func(*client.Task) bool { return false }
	if detach {
		until = detachedAt
	}
	t, err := runTask(cmd, c, start, until)
	if err != nil {
		return err
	}
	return emit(cmd, t, func(w io.Writer) { text(w, t) })
}

// taskLine is a short text summary shared by upload and download.
func taskLine(w io.Writer, t *client.Task) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "fileHash\t%s\n", orDash(t.FileHash))
	if t.URL != "" {
		fmt.Fprintf(tw, "url\t%s\n", t.URL)
	}
	fmt.Fprintf(tw, "task\t%s (%s)\n", t.ID, t.State)
	if t.Size > 0 {
		fmt.Fprintf(tw, "size\t%s\n", sizeText(t.Size))
	}
	if t.Download != nil && t.Download.Output != "" {
		fmt.Fprintf(tw, "output\t%s\n", t.Download.Output)
	}
	var peers []string
	for _, p := range t.Peers {
		peers = append(peers, p.Account.String())
	}
	if len(peers) > 0 {
		fmt.Fprintf(tw, "peers\t%s\n", strings.Join(peers, ", "))
	}
	if paying(t) {
		fmt.Fprintf(tw, "paid\t%d\n", t.Paid)
	}
	tw.Flush()
}
