package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
)

// filesKeyMap is the Files screen's keys.
type filesKeyMap struct {
	Up, Down, Detail, Download, Share, Delete, Whitelist, Copy, Refresh key.Binding
	Confirm, Abort                                                      key.Binding
}

func newFilesKeyMap() filesKeyMap {
	return filesKeyMap{
		Up:        bind("↑/k", "up", "up", "k"),
		Down:      bind("↓/j", "down", "down", "j"),
		Detail:    bind("enter", "holders & proofs", "enter"),
		Download:  bind("d", "download", "d"),
		Share:     bind("s", "share", "s"),
		Delete:    bind("x", "delete", "x"),
		Whitelist: bind("w", "whitelist", "w"),
		Copy:      bind("y", "copy URL/hash", "y"),
		Refresh:   bind("r", "refresh", "r"),
		Confirm:   bind("y", "confirm", "y"),
		Abort:     bind("n/esc", "keep", "n", "esc"),
	}
}

// ShortHelp implements help.KeyMap.
func (k filesKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Detail, k.Download, k.Share, k.Delete, k.Whitelist, k.Copy}
}

// FullHelp implements help.KeyMap.
func (k filesKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Detail, k.Refresh}, {k.Download, k.Share, k.Copy}, {k.Delete, k.Whitelist}}
}

// files is the Files screen: the active account's files with holders and proof status;
// download, share, delete (confirmed), edit the whitelist, copy the URL.
type files struct {
	env      *env
	keys     filesKeyMap
	list     []client.File
	cursor   int
	top      int
	detail   bool
	loadID   uint64
	actionID uint64
	confirm  string // hash whose delete awaits y/n
	form     *form  // whitelist editor
	err      string
	info     string
	height   uint64 // ledger height for "due in"
	proverID uint64
	prover   map[string]client.ProverFile // this node's prover by file hash (an FS node; else empty)
}

func newFiles(e *env) *files { return &files{env: e, keys: newFilesKeyMap()} }

func (f *files) Capturing() bool { return f.form != nil || f.confirm != "" }

func (f *files) KeyMap() help.KeyMap {
	switch {
	case f.form != nil:
		return f.form.keys
	case f.confirm != "":
		return confirmKeyMap{Yes: f.keys.Confirm, No: f.keys.Abort}
	}
	return f.keys
}

func (f *files) Init() tea.Cmd {
	f.loadID, f.proverID = f.env.nextID(), f.env.nextID()
	return tea.Batch(call(f.env, f.loadID, func(ctx context.Context, c Client) ([]client.File, error) { return c.Files(ctx) }),
		call(f.env, f.proverID, func(ctx context.Context, c Client) ([]client.ProverFile, error) { return c.ProverStatus(ctx) }))
}

func (f *files) selected() (client.File, bool) {
	if f.cursor < 0 || f.cursor >= len(f.list) {
		return client.File{}, false
	}
	return f.list[f.cursor], true
}

func (f *files) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case resultMsg[[]client.File]:
		if msg.id != f.loadID {
			return nil
		}
		if msg.err != nil {
			f.err = errText(msg.err)
			return nil
		}
		f.list = msg.val
		f.cursor = max(0, min(f.cursor, len(f.list)-1))
	case resultMsg[[]client.ProverFile]:
		if msg.id != f.proverID {
			return nil
		}
		// A node without the fs role has no prover (NO_DSP): the detail then shows none.
		f.prover = map[string]client.ProverFile{}
		for _, p := range msg.val {
			f.prover[p.FileHash] = p
		}
	case resultMsg[fileAction]:
		if msg.id != f.actionID {
			return nil
		}
		f.actionID = 0
		if msg.err != nil {
			if f.form != nil {
				f.form.err = errText(msg.err)
			} else {
				f.err, f.info = errText(msg.err), ""
			}
			return nil
		}
		f.form, f.err, f.info = nil, "", msg.val.text
		return tea.Batch(f.Init(), notice(msg.val.text, false))
	case taskMsg:
		if msg.task.Kind == "upload" && msg.task.State == stateDone {
			return f.Init()
		}
	case tea.KeyPressMsg:
		return f.key(msg)
	default:
		if f.form != nil {
			_, cmd := f.form.Update(msg)
			return cmd
		}
	}
	return nil
}

// fileAction is the outcome of share, delete or whitelist.
type fileAction struct{ text string }

func (f *files) act(do func(ctx context.Context, c Client) (string, error)) tea.Cmd {
	f.actionID = f.env.nextID()
	return call(f.env, f.actionID, func(ctx context.Context, c Client) (fileAction, error) {
		text, err := do(ctx, c)
		return fileAction{text: text}, err
	})
}

func (f *files) key(k tea.KeyPressMsg) tea.Cmd {
	if f.form != nil {
		return f.formKey(k)
	}
	if f.confirm != "" {
		hash := f.confirm
		f.confirm = ""
		if key.Matches(k, f.keys.Confirm) {
			return f.act(func(ctx context.Context, c Client) (string, error) {
				tx, err := c.DeleteFile(ctx, hash)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("Deleted %s in block %d", shortMiddle(hash, 16), tx.Height), nil
			})
		}
		return nil
	}
	sel, ok := f.selected()
	switch {
	case key.Matches(k, f.keys.Up):
		f.cursor = max(0, f.cursor-1)
	case key.Matches(k, f.keys.Down):
		f.cursor = max(0, min(len(f.list)-1, f.cursor+1))
	case key.Matches(k, f.keys.Detail):
		f.detail = !f.detail
	case key.Matches(k, f.keys.Refresh):
		return f.Init()
	case !ok:
	case key.Matches(k, f.keys.Download):
		target := sel.Hash
		if sel.URL != "" {
			target = sel.URL
		}
		return switchTo(ScreenDownload, target)
	case key.Matches(k, f.keys.Share):
		hash := sel.Hash
		return f.act(func(ctx context.Context, c Client) (string, error) {
			return "Shared " + shortMiddle(hash, 16) + " with SCAN", c.Share(ctx, hash)
		})
	case key.Matches(k, f.keys.Delete):
		f.confirm = sel.Hash
	case key.Matches(k, f.keys.Copy):
		text := sel.Hash
		if sel.URL != "" {
			text = sel.URL
		}
		f.info = "Copied " + text
		return tea.Batch(tea.SetClipboard(text), notice(f.info, false))
	case key.Matches(k, f.keys.Whitelist):
		wl := make([]string, len(sel.WhiteList))
		for i, a := range sel.WhiteList {
			wl[i] = a.String()
		}
		f.form = newForm(f.env.st, "Access to "+fileName(sel),
			fieldSpec{label: "Privilege", value: privilegeName(sel.Privilege), placeholder: "public, private or whitelist"},
			fieldSpec{label: "Whitelist", value: strings.Join(wl, ", "), placeholder: "addresses, comma-separated"})
	}
	return nil
}

func (f *files) formKey(k tea.KeyPressMsg) tea.Cmd {
	if f.actionID != 0 {
		return nil
	}
	res, cmd := f.form.Update(k)
	switch res {
	case formCancel:
		f.form = nil
	case formSubmit:
		sel, ok := f.selected()
		if !ok {
			f.form = nil
			return nil
		}
		priv, err := parsePrivilege(f.form.value(0))
		if err != nil {
			f.form.err = err.Error()
			return nil
		}
		wl, err := parseAddresses(f.form.value(1))
		if err != nil {
			f.form.err = err.Error()
			return nil
		}
		hash := sel.Hash
		return f.act(func(ctx context.Context, c Client) (string, error) {
			if _, err := c.SetWhitelist(ctx, hash, priv, wl); err != nil {
				return "", err
			}
			return fmt.Sprintf("Access of %s: %s, %d accounts", shortMiddle(hash, 16), privilegeName(priv), len(wl)), nil
		})
	}
	return cmd
}

func fileName(f client.File) string {
	if f.Name != "" {
		return f.Name
	}
	return shortMiddle(f.Hash, 16)
}

// proofSummary is a file's proof status over its holders: proofs made, the next deadline, and
// the holders that failed.
func proofSummary(f client.File) string {
	var made, failed uint64
	var due uint64
	for _, h := range f.Holders {
		made += h.Proofs
		if h.State == "failed" || h.Failures > 0 {
			failed++
		}
		if h.State == "active" || h.State == "pending" || h.State == "recovering" {
			if h.NextDue > 0 && (due == 0 || h.NextDue < due) {
				due = h.NextDue
			}
		}
	}
	parts := []string{fmt.Sprintf("%d made", made)}
	if due > 0 {
		parts = append(parts, fmt.Sprintf("due %d", due))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", failed))
	}
	return strings.Join(parts, ", ")
}

func activeHolders(f client.File) int {
	n := 0
	for _, h := range f.Holders {
		if h.State == "active" {
			n++
		}
	}
	return n
}

var fileColumns = []column{
	{title: "Name", width: 14},
	{title: "Hash", width: 0},
	{title: "Size", width: 9, right: true},
	{title: "Copies", width: 6, right: true},
	{title: "Proofs", width: 28},
	{title: "Expires", width: 8, right: true, min: 96},
	{title: "URL", width: 20, min: 110},
}

func (f *files) View(w, h int) string {
	st := f.env.st
	if f.form != nil {
		return f.form.View(w)
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Files") + st.Muted.Render(fmt.Sprintf("  %d owned by the active account", len(f.list))) + "\n")
	cols := visibleColumns(fileColumns, w-2)
	b.WriteString("  " + header(st, cols) + "\n")
	if len(f.list) == 0 {
		b.WriteString(st.Muted.Render("  No files yet: upload one on screen 2.") + "\n")
	}
	rows := max(1, h-4)
	if f.detail {
		rows = max(1, rows-8)
	}
	f.top = window(f.cursor, f.top, rows, len(f.list))
	for i := f.top; i < len(f.list) && i < f.top+rows; i++ {
		file := f.list[i]
		proofs := proofSummary(file)
		line := row(cols, map[string]string{
			"Name": fileName(file), "Hash": file.Hash, "Size": humanBytes(file.Size),
			"Copies": fmt.Sprintf("%d/%d", activeHolders(file), file.Copies), "Proofs": proofs,
			"Expires": strconv.FormatUint(file.ExpiredHeight, 10), "URL": orDash(file.URL),
		})
		b.WriteString(cursorRow(st, line, i == f.cursor) + "\n")
	}
	switch {
	case f.confirm != "":
		b.WriteString(st.Warning.Render("Delete "+shortMiddle(f.confirm, 20)+" from the ledger? The unspent deposit is refunded. y/n") + "\n")
	case f.err != "":
		b.WriteString(st.Error.Render(f.err) + "\n")
	case f.info != "":
		b.WriteString(st.Success.Render(f.info) + "\n")
	}
	if sel, ok := f.selected(); ok && f.detail {
		b.WriteString(f.detailView(sel, w))
	}
	return b.String()
}

func (f *files) detailView(file client.File, w int) string {
	st := f.env.st
	var b strings.Builder
	b.WriteString(kv(st,
		"Hash", file.Hash,
		"Access", privilegeName(file.Privilege)+whitelistNote(file.WhiteList),
		"Terms", fmt.Sprintf("prove every %d blocks, expires at %d, deposit %d", file.ProveInterval, file.ExpiredHeight, file.Deposit),
		"URL", orDash(file.URL),
	) + "\n")
	cols := visibleColumns([]column{{title: "Holder", width: 0}, {title: "State", width: 10}, {title: "Proofs", width: 6, right: true},
		{title: "Last", width: 7, right: true}, {title: "Due", width: 7, right: true}, {title: "Failed", width: 6, right: true},
		{title: "Balance", width: 8, right: true, min: 90}}, w)
	b.WriteString(header(st, cols) + "\n")
	for _, h := range file.Holders {
		state := h.State
		if state == "failed" {
			state = st.Error.Render(state)
		}
		b.WriteString(row(cols, map[string]string{"Holder": h.Node.String(), "State": state,
			"Proofs": strconv.FormatUint(h.Proofs, 10), "Last": heightOrDash(h.LastProof), "Due": heightOrDash(h.NextDue),
			"Failed": strconv.FormatUint(h.Failures, 10), "Balance": strconv.FormatUint(h.Balance, 10)}) + "\n")
	}
	if p, ok := f.prover[file.Hash]; ok {
		line := fmt.Sprintf("this node's prover: %s, %d proofs accepted, next round %s, deadline %s", p.State, p.Proofs,
			heightOrDash(p.NextDue), heightOrDash(p.Deadline))
		if p.Failures > 0 {
			line += fmt.Sprintf(", %d failed attempts", p.Failures)
		}
		b.WriteString(st.Muted.Render(line) + "\n")
		if p.LastError != "" {
			b.WriteString(st.Error.Render("last error: "+p.LastError) + "\n")
		}
	}
	return b.String()
}

func heightOrDash(h uint64) string {
	if h == 0 {
		return "-"
	}
	return strconv.FormatUint(h, 10)
}
