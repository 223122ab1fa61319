package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/filepicker"
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"dsp/keys"
	"dsp/node/client"
)

// Upload steps.
const (
	upPick    = iota // choosing a file
	upPath           // typing a path
	upOptions        // copies, expiry, privilege...
	upPrice          // waiting for the price
	upConfirm        // price shown, enter uploads
	upRunning        // the task runs (or finished)
)

// uploadKeyMap is the Upload screen's keys outside its forms.
type uploadKeyMap struct {
	Up, Down, Open, Back, Path key.Binding
	Confirm, Cancel, Another   key.Binding
}

func newUploadKeyMap() uploadKeyMap {
	return uploadKeyMap{
		Up:      bind("↑/k", "up", "up", "k"),
		Down:    bind("↓/j", "down", "down", "j"),
		Open:    bind("enter", "open/select", "enter"),
		Back:    bind("h/←", "parent dir", "h", "left", "backspace"),
		Path:    bind("/", "type a path", "/"),
		Confirm: bind("enter", "upload", "enter"),
		Cancel:  bind("esc", "back", "esc"),
		Another: bind("n", "new upload", "n"),
	}
}

// upKeys shows the keys of one step.
type upKeys struct {
	short []key.Binding
}

func (k upKeys) ShortHelp() []key.Binding  { return k.short }
func (k upKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.short} }

// upload is the Upload screen: pick a file, set copies, expiry (blocks), privilege, whitelist,
// password and URL, see the price, confirm, then watch the task to "Upload complete".
type upload struct {
	env    *env
	keys   uploadKeyMap
	step   int
	picker filepicker.Model
	path   string
	form   *form
	req    client.UploadRequest
	price  *client.Price
	task   *client.Task
	callID uint64
	busy   bool // the Upload call is in flight
	err    string
	h      int
}

func newUpload(e *env) *upload {
	u := &upload{env: e, keys: newUploadKeyMap()}
	u.resetPicker()
	return u
}

func (u *upload) resetPicker() {
	fp := filepicker.New()
	dir := u.env.opts.FileDir
	if dir == "" {
		dir = "."
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	fp.CurrentDirectory = dir
	fp.AutoHeight = false
	fp.ShowPermissions = false
	fp.SetHeight(10)
	u.picker = fp
}

func (u *upload) Init() tea.Cmd { return u.picker.Init() }

func (u *upload) Capturing() bool {
	return u.step == upPath || u.step == upOptions || u.step == upConfirm
}

func (u *upload) KeyMap() help.KeyMap {
	switch u.step {
	case upPick:
		return upKeys{[]key.Binding{u.keys.Up, u.keys.Down, u.keys.Open, u.keys.Back, u.keys.Path}}
	case upPath, upOptions:
		return u.form.keys
	case upConfirm:
		return upKeys{[]key.Binding{u.keys.Confirm, u.keys.Cancel}}
	case upRunning:
		return upKeys{[]key.Binding{u.keys.Another}}
	}
	return upKeys{}
}

func (u *upload) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case resultMsg[*client.Price]:
		if msg.id != u.callID || u.step != upPrice {
			return nil
		}
		if msg.err != nil {
			u.step, u.err = upOptions, errText(msg.err)
			return nil
		}
		u.price, u.step, u.err = msg.val, upConfirm, ""
		return nil
	case resultMsg[*client.Task]:
		if msg.id != u.callID {
			return nil
		}
		u.busy = false
		if msg.err != nil {
			u.step, u.err = upConfirm, errText(msg.err)
			return nil
		}
		u.task, u.step, u.err = msg.val, upRunning, ""
		return notice("Upload started: task "+msg.val.ID, false)
	case taskMsg:
		if u.task != nil && msg.task.ID == u.task.ID {
			t := msg.task
			u.task = &t
		}
		return nil
	case tea.KeyPressMsg:
		return u.key(msg)
	}
	if u.step == upPick {
		return u.pickerUpdate(msg)
	}
	if u.form != nil && (u.step == upPath || u.step == upOptions) {
		_, cmd := u.form.Update(msg)
		return cmd
	}
	return nil
}

func (u *upload) pickerUpdate(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	u.picker, cmd = u.picker.Update(msg)
	if ok, path := u.picker.DidSelectFile(msg); ok {
		u.chose(path)
	}
	return cmd
}

func (u *upload) chose(path string) {
	u.path, u.step, u.err = path, upOptions, ""
	u.form = newForm(u.env.st, "Upload "+filepath.Base(path),
		fieldSpec{label: "Copies", value: "1"},
		fieldSpec{label: "Expiry (blocks)", value: "1000"},
		fieldSpec{label: "Privilege", value: "public", placeholder: "public, private or whitelist"},
		fieldSpec{label: "Whitelist", placeholder: "addresses, comma-separated"},
		fieldSpec{label: "Encryption password", password: true, placeholder: "empty: not encrypted"},
		fieldSpec{label: "URL", placeholder: "dsp://... , auto, or empty for none"})
}

func (u *upload) key(k tea.KeyPressMsg) tea.Cmd {
	switch u.step {
	case upPick:
		if key.Matches(k, u.keys.Path) {
			u.step = upPath
			u.form = newForm(u.env.st, "Upload a file by path", fieldSpec{label: "Path", value: u.picker.CurrentDirectory + string(filepath.Separator)})
			return nil
		}
		return u.pickerUpdate(k)
	case upPath:
		res, cmd := u.form.Update(k)
		switch res {
		case formCancel:
			u.step = upPick
		case formSubmit:
			u.chose(typedPath(u.form.value(0)))
		}
		return cmd
	case upOptions:
		res, cmd := u.form.Update(k)
		switch res {
		case formCancel:
			u.step, u.err = upPick, ""
		case formSubmit:
			return u.priceRequest()
		}
		return cmd
	case upConfirm:
		switch {
		case u.busy:
		case key.Matches(k, u.keys.Confirm):
			u.callID, u.busy = u.env.nextID(), true
			req := u.req
			return call(u.env, u.callID, func(ctx context.Context, c Client) (*client.Task, error) { return c.Upload(ctx, req) })
		case key.Matches(k, u.keys.Cancel):
			u.step = upOptions
		}
	case upRunning:
		if key.Matches(k, u.keys.Another) {
			u.step, u.task, u.price = upPick, nil, nil
		}
	}
	return nil
}

// typedPath is the path typed in the path field, which starts out holding the picker's directory
// and a separator: an absolute path typed after that prefix ("/home/me//tmp/f") is taken as it is
// ("/tmp/f"); anything else is the field's text.
func typedPath(v string) string {
	sep := string(filepath.Separator)
	if i := strings.LastIndex(v, sep+sep); i >= 0 {
		return v[i+1:]
	}
	return v
}

// parsePrivilege reads a privilege word or number.
func parsePrivilege(s string) (uint64, error) {
	switch strings.ToLower(s) {
	case "private", "0":
		return PrivilegePrivate, nil
	case "public", "1", "":
		return PrivilegePublic, nil
	case "whitelist", "2":
		return PrivilegeWhitelist, nil
	}
	return 0, fmt.Errorf("privilege %q: want public, private or whitelist", s)
}

// parseAddresses reads comma- or space-separated addresses.
func parseAddresses(s string) ([]keys.Address, error) {
	var out []keys.Address
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		a, err := keys.ParseAddress(f)
		if err != nil {
			return nil, fmt.Errorf("whitelist address %q: %w", f, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (u *upload) priceRequest() tea.Cmd {
	f := u.form
	copies, err := strconv.Atoi(f.value(0))
	if err != nil || copies < 1 {
		u.err = "copies must be a whole number of at least 1"
		return nil
	}
	dur, err := strconv.ParseUint(f.value(1), 10, 64)
	if err != nil || dur == 0 {
		u.err = "the expiry is a positive number of blocks"
		return nil
	}
	priv, err := parsePrivilege(f.value(2))
	if err != nil {
		u.err = err.Error()
		return nil
	}
	wl, err := parseAddresses(f.value(3))
	if err != nil {
		u.err = err.Error()
		return nil
	}
	req := client.UploadRequest{Path: u.path, Name: filepath.Base(u.path), Password: f.value(4), Copies: copies,
		Duration: dur, Privilege: priv, WhiteList: wl}
	switch url := f.value(5); url {
	case "":
	case "auto":
		req.RegisterURL = true
	default:
		req.URL, req.RegisterURL = url, true
	}
	u.req, u.err = req, ""
	u.callID, u.step = u.env.nextID(), upPrice
	return call(u.env, u.callID, func(ctx context.Context, c Client) (*client.Price, error) { return c.UploadPrice(ctx, req) })
}

func (u *upload) View(w, h int) string {
	st := u.env.st
	var b strings.Builder
	switch u.step {
	case upPick:
		u.picker.SetHeight(max(3, h-5))
		b.WriteString(st.Title.Render("Upload") + st.Muted.Render("  pick a file: "+u.picker.CurrentDirectory) + "\n\n")
		b.WriteString(u.picker.View())
	case upPath, upOptions:
		b.WriteString(u.form.View(w))
	case upPrice:
		b.WriteString(st.Title.Render("Upload "+filepath.Base(u.path)) + "\n\n" + st.Muted.Render("Asking the price…") + "\n")
	case upConfirm:
		b.WriteString(u.confirmView())
	case upRunning:
		b.WriteString(u.runningView(w))
	}
	if u.err != "" {
		b.WriteString("\n" + st.Error.Render(u.err) + "\n")
	}
	return b.String()
}

func (u *upload) confirmView() string {
	st, p, r := u.env.st, u.price, u.req
	url := "none"
	if r.URL != "" {
		url = r.URL
	} else if r.RegisterURL {
		url = "a new dsp:// URL"
	}
	s := st.Title.Render("Confirm upload of "+filepath.Base(u.path)) + "\n\n" + kv(st,
		"Size", fmt.Sprintf("%s (%d blocks)", humanBytes(p.Size), p.Blocks),
		"Copies", strconv.Itoa(p.Copies),
		"Expiry", fmt.Sprintf("%d blocks", p.Duration),
		"Privilege", privilegeName(r.Privilege)+whitelistNote(r.WhiteList),
		"Encrypted", yesNo(r.Password != ""),
		"URL", url,
		"Deposit", strconv.FormatUint(p.Deposit, 10),
		"Fee", strconv.FormatUint(p.Fee, 10),
		"Balance", strconv.FormatUint(p.Balance, 10),
	) + "\n\n"
	if p.Deposit+p.Fee > p.Balance {
		s += st.Error.Render("The balance does not cover the deposit and fee.") + "\n"
	}
	if u.busy {
		return s + st.Muted.Render("Starting the upload…") + "\n"
	}
	return s + "Press " + st.Focused.Render("enter") + " to upload, " + st.Focused.Render("esc") + " to change the terms.\n"
}

func whitelistNote(wl []keys.Address) string {
	if len(wl) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d accounts)", len(wl))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (u *upload) runningView(w int) string {
	return taskPanel(u.env.st, *u.task, w, "Upload")
}

// taskPanel shows one task's progress with the completion marker the Upload and Download screens
// share ("Upload complete", "Download complete", or the failure with its code).
func taskPanel(st *Styles, t client.Task, w int, what string) string {
	var b strings.Builder
	b.WriteString(st.Title.Render(what+" "+taskName(t)) + st.Muted.Render("  task "+t.ID) + "\n\n")
	frac := taskFraction(t)
	barW := max(10, min(50, w-10))
	full := int(frac * float64(barW))
	b.WriteString(st.Focused.Render(strings.Repeat("█", full)) + st.Muted.Render(strings.Repeat("░", barW-full)) +
		fmt.Sprintf(" %3d%%\n\n", int(frac*100)))
	statusLine := taskStatus(t)
	switch t.State {
	case stateDone:
		statusLine = st.Success.Render(statusLine)
	case stateFailed:
		statusLine = st.Error.Render(statusLine + " " + t.Msg)
	}
	pairs := []string{"Status", statusLine, "Progress", fmt.Sprintf("%s of %s", humanBytes(t.Bytes), humanBytes(t.Size))}
	if t.FileHash != "" {
		pairs = append(pairs, "File hash", t.FileHash)
	}
	if t.URL != "" {
		pairs = append(pairs, "URL", t.URL)
	}
	if t.Download != nil && t.Download.Output != "" {
		pairs = append(pairs, "Output", t.Download.Output)
	}
	b.WriteString(kv(st, pairs...) + "\n")
	if t.State == stateRunning {
		b.WriteString("\n" + st.Muted.Render("Live progress also on the Transfers screen (3).") + "\n")
	}
	return b.String()
}
