package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
	"dsp/status"
)

// Task states as the node reports them.
const (
	stateRunning   = "running"
	statePaused    = "paused"
	stateDone      = "done"
	stateFailed    = "failed"
	stateCancelled = "cancelled"
)

// transfersKeyMap is the Transfers screen's keys.
type transfersKeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Detail                                  key.Binding
	Pause, Resume, Cancel, Retry            key.Binding
	Confirm, Abort                          key.Binding
}

func newTransfersKeyMap() transfersKeyMap {
	return transfersKeyMap{
		Up:       bind("↑/k", "up", "up", "k"),
		Down:     bind("↓/j", "down", "down", "j"),
		PageUp:   bind("pgup", "page up", "pgup"),
		PageDown: bind("pgdn", "page down", "pgdown"),
		Top:      bind("home/g", "first", "home", "g"),
		Bottom:   bind("end/G", "last", "end", "G"),
		Detail:   bind("enter", "peers & detail", "enter"),
		Pause:    bind("p", "pause", "p"),
		Resume:   bind("r", "resume", "r"),
		Cancel:   bind("x", "cancel", "x"),
		Retry:    bind("R", "retry", "R"),
		Confirm:  bind("y", "confirm", "y"),
		Abort:    bind("n/esc", "keep", "n", "esc"),
	}
}

// ShortHelp implements help.KeyMap.
func (k transfersKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Detail, k.Pause, k.Resume, k.Cancel, k.Retry}
}

// FullHelp implements help.KeyMap.
func (k transfersKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Top, k.Bottom, k.Detail}, {k.Pause, k.Resume, k.Cancel, k.Retry}}
}

// confirmKeyMap is the keys of a yes/no question.
type confirmKeyMap struct{ Yes, No key.Binding }

func (k confirmKeyMap) ShortHelp() []key.Binding  { return []key.Binding{k.Yes, k.No} }
func (k confirmKeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// taskRow is a task with what the screen derives from its updates.
type taskRow struct {
	t         client.Task
	speed     float64 // bytes/s
	lastBytes uint64
	lastAt    time.Time
}

// transfers is the Transfers screen: every upload and download with progress, speed, ETA, the
// spec's status text and error codes, per-peer detail; pause, resume, cancel, retry. Updates
// are O(1) per task and View renders only the visible rows, so thousands of tasks stay cheap.
type transfers struct {
	env    *env
	keys   transfersKeyMap
	rows   map[string]*taskRow
	order  []string // task ids, oldest first; shown newest first
	cursor int      // index in display order
	top    int
	detail bool

	loadID   uint64
	actionID uint64
	confirm  string // id of the task whose cancel awaits y/n
	resume   *form  // password for resuming an encrypted task
	resumeID string
	err      string
	info     string
	bar      progress.Model
	barDark  bool
}

func newTransfers(e *env) *transfers {
	return &transfers{env: e, keys: newTransfersKeyMap(), rows: map[string]*taskRow{}}
}

func (t *transfers) KeyMap() help.KeyMap {
	switch {
	case t.resume != nil:
		return t.resume.keys
	case t.confirm != "":
		return confirmKeyMap{Yes: t.keys.Confirm, No: t.keys.Abort}
	}
	return t.keys
}

func (t *transfers) Capturing() bool { return t.resume != nil || t.confirm != "" }

func (t *transfers) Init() tea.Cmd {
	t.loadID = t.env.nextID()
	return call(t.env, t.loadID, func(ctx context.Context, c Client) ([]client.Task, error) { return c.Tasks(ctx) })
}

// at returns the task shown at display index i (newest first).
func (t *transfers) at(i int) *taskRow {
	if i < 0 || i >= len(t.order) {
		return nil
	}
	return t.rows[t.order[len(t.order)-1-i]]
}

// put records a task snapshot, deriving its speed from the previous one.
func (t *transfers) put(task client.Task, now time.Time) {
	r, ok := t.rows[task.ID]
	if !ok {
		r = &taskRow{lastBytes: task.Bytes, lastAt: task.Updated}
		t.rows[task.ID] = r
		t.order = append(t.order, task.ID)
		if t.cursor > 0 {
			t.cursor++ // keep the same task under the cursor as a new one lands on top
		}
	}
	var rate float64
	for _, p := range task.Peers {
		rate += p.Rate
	}
	at := task.Updated
	if at.IsZero() {
		at = now
	}
	if rate == 0 && task.Bytes > r.lastBytes && at.After(r.lastAt) {
		rate = float64(task.Bytes-r.lastBytes) / at.Sub(r.lastAt).Seconds()
	}
	if task.State != stateRunning {
		rate = 0
	}
	if rate > 0 || task.State != stateRunning {
		r.speed = rate
	}
	if task.Bytes != r.lastBytes {
		r.lastBytes, r.lastAt = task.Bytes, at
	}
	r.t = task
}

func (t *transfers) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case taskMsg:
		t.put(msg.task, t.env.opts.Now())
	case resultMsg[[]client.Task]:
		if msg.id != t.loadID {
			return nil
		}
		if msg.err != nil {
			t.err = errText(msg.err)
			return nil
		}
		list := msg.val
		sort.SliceStable(list, func(i, j int) bool { return list[i].Created.Before(list[j].Created) })
		for _, task := range list {
			if _, ok := t.rows[task.ID]; !ok || task.Updated.After(t.rows[task.ID].t.Updated) {
				t.put(task, t.env.opts.Now())
			}
		}
	case resultMsg[*client.Task]:
		if msg.id == t.actionID && msg.err == nil && msg.val != nil {
			t.put(*msg.val, t.env.opts.Now())
		}
	case resultMsg[taskAction]:
		if msg.id != t.actionID {
			return nil
		}
		if msg.err != nil {
			t.err = errText(msg.err)
			return nil
		}
		t.err, t.info = "", msg.val.verb+" "+msg.val.id
		t.actionID = t.env.nextID()
		id := msg.val.id
		return call(t.env, t.actionID, func(ctx context.Context, c Client) (*client.Task, error) { return c.Task(ctx, id) })
	case tea.KeyPressMsg:
		return t.key(msg)
	default:
		if t.resume != nil {
			_, cmd := t.resume.Update(msg)
			return cmd
		}
	}
	return nil
}

// taskAction is the result of pause, resume, cancel or retry.
type taskAction struct{ id, verb string }

func (t *transfers) act(id, verb string, f func(ctx context.Context, c Client) error) tea.Cmd {
	t.actionID = t.env.nextID()
	return call(t.env, t.actionID, func(ctx context.Context, c Client) (taskAction, error) {
		return taskAction{id: id, verb: verb}, f(ctx, c)
	})
}

func (t *transfers) key(k tea.KeyPressMsg) tea.Cmd {
	if t.resume != nil {
		res, cmd := t.resume.Update(k)
		switch res {
		case formCancel:
			t.resume = nil
		case formSubmit:
			id, pw := t.resumeID, []byte(t.resume.value(0))
			t.resume = nil
			return t.act(id, "Resumed", func(ctx context.Context, c Client) error { return c.ResumeTask(ctx, id, pw) })
		}
		return cmd
	}
	if t.confirm != "" {
		id := t.confirm
		t.confirm = ""
		if key.Matches(k, t.keys.Confirm) {
			return t.act(id, "Cancelled", func(ctx context.Context, c Client) error { return c.CancelTask(ctx, id) })
		}
		return nil
	}
	page := max(1, t.visibleRows(24)-1)
	switch {
	case key.Matches(k, t.keys.Up):
		t.cursor--
	case key.Matches(k, t.keys.Down):
		t.cursor++
	case key.Matches(k, t.keys.PageUp):
		t.cursor -= page
	case key.Matches(k, t.keys.PageDown):
		t.cursor += page
	case key.Matches(k, t.keys.Top):
		t.cursor = 0
	case key.Matches(k, t.keys.Bottom):
		t.cursor = len(t.order) - 1
	case key.Matches(k, t.keys.Detail):
		t.detail = !t.detail
	default:
		return t.taskKey(k)
	}
	t.cursor = max(0, min(t.cursor, len(t.order)-1))
	return nil
}

func (t *transfers) taskKey(k tea.KeyPressMsg) tea.Cmd {
	r := t.at(t.cursor)
	if r == nil {
		return nil
	}
	id := r.t.ID
	switch {
	case key.Matches(k, t.keys.Pause):
		return t.act(id, "Paused", func(ctx context.Context, c Client) error { return c.PauseTask(ctx, id) })
	case key.Matches(k, t.keys.Resume):
		if r.t.NeedPassword {
			t.resumeID = id
			t.resume = newForm(t.env.st, "Password to resume "+id, fieldSpec{label: "Password", password: true})
			return nil
		}
		return t.act(id, "Resumed", func(ctx context.Context, c Client) error { return c.ResumeTask(ctx, id, nil) })
	case key.Matches(k, t.keys.Cancel):
		t.confirm = id
	case key.Matches(k, t.keys.Retry):
		return t.act(id, "Retried", func(ctx context.Context, c Client) error { return c.RetryTask(ctx, id) })
	}
	return nil
}

// taskName is what a task is called in the list.
func taskName(task client.Task) string {
	switch {
	case task.Upload != nil && task.Upload.Name != "":
		return task.Upload.Name
	case task.Upload != nil && task.Upload.Path != "":
		return filepath.Base(task.Upload.Path)
	case task.Download != nil && task.Download.Output != "":
		return filepath.Base(task.Download.Output)
	case task.URL != "":
		return task.URL
	case task.FileHash != "":
		return shortMiddle(task.FileHash, 16)
	}
	return task.ID
}

// taskBytes is a task's bytes done and its total in the same measure: an upload's bytes are
// counted over every copy it sends, so its total is size × copies; a download that moved no bytes
// itself (resumed, or found in the local store) counts the bytes of the blocks it holds.
func taskBytes(task client.Task) (done, total uint64) {
	done, total = task.Bytes, task.Size
	switch {
	case task.Kind == "upload" && task.Upload != nil && task.Upload.Copies > 1:
		total = task.Size * uint64(task.Upload.Copies)
	case task.Kind == "download" && done == 0 && task.Held > 0 && task.Blocks > 0:
		done = task.Size * min(task.Held, task.Blocks) / task.Blocks
	}
	return min(done, max(total, done)), total
}

// progressText is the detail's progress line: blocks, then bytes done of the total.
func progressText(task client.Task) string {
	done, total := taskBytes(task)
	s := fmt.Sprintf("%d/%d blocks, %s of %s", task.Held, task.Blocks, humanBytes(done), humanBytes(total))
	if task.Kind == "upload" && task.Upload != nil && task.Upload.Copies > 1 {
		s += fmt.Sprintf(" (%d copies of %s)", task.Upload.Copies, humanBytes(task.Size))
	}
	return s
}

// taskFraction is how far the task is, 0..1.
func taskFraction(task client.Task) float64 {
	switch {
	case task.State == stateDone:
		return 1
	case task.Blocks > 0:
		return min(1, float64(task.Held)/float64(task.Blocks))
	case task.Size > 0:
		done, total := taskBytes(task)
		return min(1, float64(done)/float64(total))
	}
	return 0
}

// taskStatus is the status column: the spec's status text while running, the outcome after.
func taskStatus(task client.Task) string {
	switch task.State {
	case stateDone:
		if task.Kind == "upload" {
			return "Upload complete"
		}
		return "Download complete"
	case stateFailed:
		if task.Code != 0 {
			return fmt.Sprintf("Failed %d %s", task.Code, status.TaskCode(task.Code).Name())
		}
		return "Failed"
	case statePaused:
		return "Paused"
	case stateCancelled:
		return "Cancelled"
	}
	if txt := status.TxStatus(task.Status).Text(); txt != "" {
		return txt
	}
	if task.StatusName != "" {
		return task.StatusName
	}
	return task.State
}

var transferColumns = []column{
	{title: " ", width: 1},
	{title: "Name", width: 22},
	{title: "Progress", width: 16},
	{title: "%", width: 4, right: true},
	{title: "Speed", width: 11, right: true, min: 76},
	{title: "ETA", width: 6, right: true, min: 90},
	{title: "Size", width: 9, right: true, min: 110},
	{title: "Status", width: 0},
}

// paying reports whether task is a download from holders that charge, or that paid them.
func paying(task client.Task) bool {
	if task.Kind != "download" {
		return false
	}
	for _, p := range task.Peers {
		if p.Price > 0 {
			return true
		}
	}
	return task.Paid > 0
}

// paidText is the detail's Paid line of a download: what the task paid its holders in all, as
// the node counts it (each payment once the holder acknowledged it).
func paidText(task client.Task) string {
	priced := 0
	for _, p := range task.Peers {
		if p.Price > 0 {
			priced++
		}
	}
	switch {
	case len(task.Peers) == 0:
		return "nothing yet"
	case !paying(task):
		return fmt.Sprintf("nothing: its %d holders serve for free", len(task.Peers))
	}
	return fmt.Sprintf("%d in all (%d of its %d holders charge)", task.Paid, priced, len(task.Peers))
}

func (t *transfers) visibleRows(h int) int {
	rows := h - 3
	if t.detail {
		rows -= 9
		if r := t.at(t.cursor); r != nil && r.t.Kind == "download" {
			rows-- // the Paid line
		}
	}
	if t.err != "" || t.info != "" {
		rows--
	}
	return max(1, rows)
}

func (t *transfers) progressBar(w int) progress.Model {
	if t.bar.Width() != w || t.barDark != t.env.st.Dark {
		st := t.env.st
		t.bar = progress.New(progress.WithColors(st.BarFull), progress.WithoutPercentage(),
			progress.WithFillCharacters('█', '░'), progress.WithWidth(w))
		t.barDark = st.Dark
	}
	return t.bar
}

func (t *transfers) View(w, h int) string {
	st := t.env.st
	if t.resume != nil {
		return t.resume.View(w)
	}
	var b strings.Builder
	running := 0
	for _, r := range t.rows {
		if r.t.State == stateRunning {
			running++
		}
	}
	b.WriteString(st.Title.Render("Transfers") + st.Muted.Render(fmt.Sprintf("  %d tasks, %d running", len(t.order), running)) + "\n")
	cols := visibleColumns(transferColumns, w-2)
	b.WriteString("  " + header(st, cols) + "\n")
	if len(t.order) == 0 {
		b.WriteString(st.Muted.Render("No uploads or downloads yet: 2 uploads a file, 5 downloads one.") + "\n")
	}
	rows := t.visibleRows(h)
	t.top = window(t.cursor, t.top, rows, len(t.order))
	bar := t.progressBar(16)
	for i := t.top; i < len(t.order) && i < t.top+rows; i++ {
		b.WriteString(t.row(cols, bar, i) + "\n")
	}
	if t.confirm != "" {
		b.WriteString(st.Warning.Render("Cancel task "+t.confirm+"? y/n") + "\n")
	} else if t.err != "" {
		b.WriteString(st.Error.Render(t.err) + "\n")
	} else if t.info != "" {
		b.WriteString(st.Success.Render(t.info) + "\n")
	}
	if t.detail {
		if r := t.at(t.cursor); r != nil {
			b.WriteString(t.detailView(r, w))
		}
	}
	return b.String()
}

func (t *transfers) row(cols []column, bar progress.Model, i int) string {
	st := t.env.st
	r := t.at(i)
	task := r.t
	frac := taskFraction(task)
	kind := "↑"
	if task.Kind == "download" {
		kind = "↓"
	}
	eta := "-"
	if done, total := taskBytes(task); r.speed > 0 && total > done && task.State == stateRunning {
		eta = humanDuration(time.Duration(float64(total-done) / r.speed * float64(time.Second)))
	}
	statusText := taskStatus(task)
	switch task.State {
	case stateFailed:
		statusText = st.Error.Render(statusText)
	case stateDone:
		statusText = st.Success.Render(statusText)
	}
	line := row(cols, map[string]string{
		" ": kind, "Name": taskName(task), "Progress": bar.ViewAs(frac),
		"%": strconv.Itoa(int(frac*100)) + "%", "Speed": humanRate(r.speed), "ETA": eta,
		"Size": humanBytes(task.Size), "Status": statusText,
	})
	return cursorRow(st, line, i == t.cursor)
}

func (t *transfers) detailView(r *taskRow, w int) string {
	st := t.env.st
	task := r.t
	code := "-"
	if task.Code != 0 {
		code = fmt.Sprintf("%d %s", task.Code, status.TaskCode(task.Code).Name())
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Task "+task.ID) + "\n")
	pairs := []string{
		"File", orDash(task.FileHash),
		"URL", orDash(task.URL),
		"Status", fmt.Sprintf("%d %s", task.Status, status.TxStatus(task.Status).Text()),
		"Error", code + " " + task.Msg,
		"Progress", progressText(task),
	}
	download := task.Kind == "download"
	if download {
		pairs = append(pairs, "Paid", paidText(task))
	}
	b.WriteString(kv(st, pairs...) + "\n")
	if len(task.Peers) == 0 {
		b.WriteString(st.Muted.Render("No peers yet.") + "\n")
		return b.String()
	}
	peerCols := []column{{title: "Peer", width: 0}, {title: "Held", width: 7, right: true},
		{title: "Bytes", width: 10, right: true}, {title: "Rate", width: 11, right: true}, {title: "Wrong", width: 5, right: true, min: 70},
		{title: "State", width: 14}}
	if paying(task) {
		peerCols = slices.Insert(peerCols, 4, column{title: "Price", width: 6, right: true, min: 100},
			column{title: "Paid", width: 10, right: true})
	}
	cols := visibleColumns(peerCols, w)
	b.WriteString(header(st, cols) + "\n")
	for _, p := range task.Peers {
		state := "working"
		switch {
		case p.Err != "":
			state = st.Error.Render(p.Err)
		case p.Done:
			state = st.Success.Render("done")
		}
		price := "free"
		if p.Price > 0 {
			price = strconv.FormatUint(p.Price, 10)
		}
		b.WriteString(row(cols, map[string]string{"Peer": p.Account.String(), "Held": strconv.FormatUint(p.Held, 10),
			"Bytes": humanBytes(p.Bytes), "Rate": humanRate(p.Rate), "Price": price, "Paid": strconv.FormatUint(p.Paid, 10),
			"Wrong": strconv.Itoa(p.Wrong), "State": state}) + "\n")
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
