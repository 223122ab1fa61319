package tui

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
)

// accountsKeyMap is the Accounts screen's keys.
type accountsKeyMap struct {
	Up, Down   key.Binding
	New        key.Binding
	Import     key.Binding
	Export     key.Binding
	SetDefault key.Binding
	Pledge     key.Binding
	Unpledge   key.Binding
	Copy       key.Binding
	Balance    key.Binding
	Channels   key.Binding // the focus to the channel pane
	Open       key.Binding // open a channel
}

func newAccountsKeyMap() accountsKeyMap {
	return accountsKeyMap{
		Up:         bind("↑/k", "up", "up", "k"),
		Down:       bind("↓/j", "down", "down", "j"),
		New:        bind("n", "new", "n"),
		Import:     bind("i", "import", "i"),
		Export:     bind("e", "export", "e"),
		SetDefault: bind("d", "set default", "d"),
		Pledge:     bind("p", "pledge", "p"),
		Unpledge:   bind("u", "unpledge", "u"),
		Copy:       bind("y", "copy address", "y"),
		Balance:    bind("b", "balance", "b"),
		Channels:   bind("c", "channels", "c"),
		Open:       bind("o", "open channel", "o"),
	}
}

// ShortHelp implements help.KeyMap.
func (k accountsKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.New, k.Import, k.Export, k.Channels, k.SetDefault, k.Pledge, k.Copy}
}

// FullHelp implements help.KeyMap.
func (k accountsKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Balance, k.Copy}, {k.New, k.Import, k.Export}, {k.SetDefault, k.Pledge, k.Unpledge},
		{k.Channels, k.Open}}
}

// accounts is the Accounts screen: the wallet's accounts with balances; create, import, export,
// set the default, pledge, copy an address; below them the payment channels of the node's account
// and its earnings (channels.go), with a focus of their own.
type accounts struct {
	env      *env
	keys     accountsKeyMap
	ckeys    channelsKeyMap
	list     []client.Account
	cursor   int
	top      int
	loadID   uint64
	loading  bool
	err      string
	info     string
	form     *form
	mode     string // the form's purpose: new, import, export, pledge, unpledge, open, deposit
	actionID uint64
	working  string        // what the running action waits for (shown by the spinner)
	spin     spinner.Model // turns while actionID is set
	balance  *client.Balance
	balID    uint64

	onChannels bool // the channel pane has the focus
	ch         chanPane
	peers      []client.PeerInfo // connected peers at the last status refresh (their keys open channels)
}

func newAccounts(e *env) *accounts {
	return &accounts{env: e, keys: newAccountsKeyMap(), ckeys: newChannelsKeyMap(),
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot))}
}

func (a *accounts) KeyMap() help.KeyMap {
	switch {
	case a.form != nil:
		return a.form.keys
	case a.ch.confirm != "":
		return confirmKeyMap{Yes: a.ckeys.Confirm, No: a.ckeys.Abort}
	case a.onChannels:
		sel, ok := a.ch.selected()
		h := channelsHelp{k: a.ckeys, up: a.keys.Up, down: a.keys.Down}
		if ok {
			h.ch, h.settleable = &sel, a.ch.settleable(sel)
		}
		return h
	}
	return a.keys
}

func (a *accounts) Capturing() bool { return a.form != nil || a.ch.confirm != "" }

// Init loads the accounts and the channel pane.
func (a *accounts) Init() tea.Cmd {
	a.loadID, a.loading = a.env.nextID(), true
	return tea.Batch(call(a.env, a.loadID, func(ctx context.Context, c Client) ([]client.Account, error) { return c.Accounts(ctx) }),
		a.loadChannels())
}

func (a *accounts) selected() (client.Account, bool) {
	if a.cursor < 0 || a.cursor >= len(a.list) {
		return client.Account{}, false
	}
	return a.list[a.cursor], true
}

func (a *accounts) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case a.form != nil:
			return a.formKey(msg)
		case a.ch.confirm != "":
			return a.confirmKey(msg)
		case a.onChannels:
			return a.channelsFocusKey(msg)
		}
		return a.listKey(msg)
	case resultMsg[channelData]:
		if msg.id == a.ch.loadID {
			return a.channelsLoaded(msg)
		}
		return nil
	case resultMsg[chanDone]:
		if msg.id != a.actionID {
			return nil
		}
		return a.done(msg.err, func() string { return msg.val.text })
	case heightMsg:
		a.peers = msg.peers
		return a.heightChanged(msg.height)
	case spinner.TickMsg:
		if a.actionID == 0 {
			return nil
		}
		var cmd tea.Cmd
		a.spin, cmd = a.spin.Update(msg)
		return cmd
	case resultMsg[[]client.Account]:
		if msg.id != a.loadID {
			return nil
		}
		a.loading = false
		if msg.err != nil {
			a.err = errText(msg.err)
			return nil
		}
		a.err, a.list = "", msg.val
		a.cursor = min(a.cursor, max(0, len(a.list)-1))
		return nil
	case resultMsg[*client.Account]:
		if msg.id != a.actionID {
			return nil
		}
		return a.done(msg.err, func() string { return "Account " + msg.val.Address.String() + " added" })
	case resultMsg[*client.TxResult]:
		if msg.id != a.actionID {
			return nil
		}
		return a.done(msg.err, func() string {
			return fmt.Sprintf("Transaction %s in block %d", shortMiddle(msg.val.Hash, 16), msg.val.Height)
		})
	case resultMsg[struct{}]:
		if msg.id != a.actionID {
			return nil
		}
		return a.done(msg.err, func() string { return "Default account set (takes effect on the node's next start)" })
	case resultMsg[exported]:
		if msg.id != a.actionID {
			return nil
		}
		return a.exported(msg.val, msg.err)
	case resultMsg[*client.Balance]:
		if msg.id == a.balID && msg.err == nil {
			a.balance = msg.val
		} else if msg.id == a.balID {
			a.err = errText(msg.err)
		}
		return nil
	default:
		if a.form != nil {
			_, cmd := a.form.Update(msg)
			return cmd
		}
	}
	return nil
}

// done finishes an action: an error stays in the form; success closes it and reloads.
func (a *accounts) done(err error, ok func() string) tea.Cmd {
	a.actionID, a.working = 0, ""
	if err != nil {
		if a.form != nil {
			a.form.err = errText(err)
		} else {
			a.err = errText(err)
		}
		return nil
	}
	a.form, a.mode, a.err = nil, "", ""
	a.info = ok()
	return tea.Batch(a.Init(), notice(a.info, false))
}

// channelsFocusKey handles a key while the channel pane has the focus.
func (a *accounts) channelsFocusKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, a.ckeys.Focus):
		a.onChannels = false
		return nil
	case key.Matches(k, a.ckeys.Open):
		if a.actionID == 0 {
			a.openForm()
		}
		return nil
	}
	return a.channelKey(k)
}

func (a *accounts) listKey(k tea.KeyPressMsg) tea.Cmd {
	sel, ok := a.selected()
	switch {
	case key.Matches(k, a.keys.Channels):
		a.onChannels = true
	case key.Matches(k, a.keys.Open):
		if a.actionID == 0 {
			a.openForm()
		}
	case key.Matches(k, a.keys.Up):
		a.cursor = max(0, a.cursor-1)
		a.balance = nil
	case key.Matches(k, a.keys.Down):
		a.cursor = min(len(a.list)-1, a.cursor+1)
		a.balance = nil
	case key.Matches(k, a.keys.New):
		a.mode = "new"
		a.form = newForm(a.env.st, "New account",
			fieldSpec{label: "Label"},
			fieldSpec{label: "Scheme", placeholder: "SHA512withEdDSA"},
			fieldSpec{label: "Password", password: true},
			fieldSpec{label: "Confirm password", password: true})
	case key.Matches(k, a.keys.Import):
		a.mode = "import"
		a.form = newForm(a.env.st, "Import account",
			fieldSpec{label: "Label"},
			fieldSpec{label: "Private key (hex)", password: true},
			fieldSpec{label: "Password", password: true},
			fieldSpec{label: "Confirm password", password: true})
	case key.Matches(k, a.keys.Export) && ok:
		a.mode = "export"
		a.form = newForm(a.env.st, "Export "+sel.Label,
			fieldSpec{label: "Wallet password", password: true},
			fieldSpec{label: "Export password", password: true},
			fieldSpec{label: "Confirm export password", password: true},
			fieldSpec{label: "Write to file", placeholder: "empty: copy to clipboard"})
	case key.Matches(k, a.keys.Pledge) && ok:
		a.mode = "pledge"
		a.form = newForm(a.env.st, "Pledge from the active account", fieldSpec{label: "Amount"})
	case key.Matches(k, a.keys.Unpledge) && ok:
		a.mode = "unpledge"
		a.form = newForm(a.env.st, "Unpledge to the active account", fieldSpec{label: "Amount"})
	case key.Matches(k, a.keys.SetDefault) && ok:
		a.actionID = a.env.nextID()
		ref := sel.Address.String()
		return call(a.env, a.actionID, func(ctx context.Context, c Client) (struct{}, error) {
			return struct{}{}, c.SetDefaultAccount(ctx, ref)
		})
	case key.Matches(k, a.keys.Copy) && ok:
		a.info = "Copied " + sel.Address.String()
		return tea.Batch(tea.SetClipboard(sel.Address.String()), notice(a.info, false))
	case key.Matches(k, a.keys.Balance) && ok:
		a.balID = a.env.nextID()
		addr := sel.Address
		return call(a.env, a.balID, func(ctx context.Context, c Client) (*client.Balance, error) { return c.Balance(ctx, addr) })
	}
	return nil
}

func (a *accounts) formKey(k tea.KeyPressMsg) tea.Cmd {
	if a.actionID != 0 {
		return nil
	}
	res, cmd := a.form.Update(k)
	switch res {
	case formCancel:
		a.form, a.mode = nil, ""
		return nil
	case formSubmit:
		if a.mode == "open" || a.mode == "deposit" {
			a.form.err = ""
			return a.submitChannel()
		}
		cmd := a.submit()
		if a.actionID != 0 {
			return tea.Batch(cmd, a.spin.Tick)
		}
		return cmd
	}
	return cmd
}

// exported is an export's result: the blob and where it went.
type exported struct {
	blob []byte
	path string
}

func (a *accounts) submit() tea.Cmd {
	f := a.form
	f.err = ""
	id := a.env.nextID()
	switch a.mode {
	case "new", "import":
		pw, confirm := f.value(2), f.value(3)
		if err := checkPassword(pw, confirm); err != nil {
			f.err = err.Error()
			return nil
		}
		a.actionID = id
		if a.mode == "new" {
			req := client.NewAccountRequest{Label: f.value(0), Scheme: f.value(1), Password: pw}
			return call(a.env, id, func(ctx context.Context, c Client) (*client.Account, error) { return c.NewAccount(ctx, req) })
		}
		req := client.ImportAccountRequest{Label: f.value(0), PrivateKey: f.value(1), Password: pw}
		return call(a.env, id, func(ctx context.Context, c Client) (*client.Account, error) { return c.ImportAccount(ctx, req) })
	case "export":
		sel, ok := a.selected()
		if !ok {
			return nil
		}
		if err := checkPassword(f.value(1), f.value(2)); err != nil {
			f.err = "export password: " + err.Error()
			return nil
		}
		a.actionID = id
		req := client.ExportAccountRequest{Account: sel.Address.String(), Password: f.value(0), BlobPassword: f.value(1)}
		path := f.value(3)
		return call(a.env, id, func(ctx context.Context, c Client) (exported, error) {
			blob, err := c.ExportAccount(ctx, req)
			if err != nil {
				return exported{}, err
			}
			if path != "" {
				if err := os.WriteFile(path, blob, 0o600); err != nil {
					return exported{}, fmt.Errorf("write %s: %w", path, err)
				}
			}
			return exported{blob: blob, path: path}, nil
		})
	case "pledge", "unpledge":
		amount, err := strconv.ParseUint(f.value(0), 10, 64)
		if err != nil || amount == 0 {
			f.err = "the amount must be a positive whole number"
			return nil
		}
		a.actionID = id
		pledge := a.mode == "pledge"
		return call(a.env, id, func(ctx context.Context, c Client) (*client.TxResult, error) {
			if pledge {
				return c.Pledge(ctx, amount)
			}
			return c.Unpledge(ctx, amount)
		})
	}
	return nil
}

func (a *accounts) exported(x exported, err error) tea.Cmd {
	a.actionID = 0
	if err != nil {
		a.form.err = errText(err)
		return nil
	}
	a.form, a.mode = nil, ""
	if x.path != "" {
		a.info = "Exported to " + x.path
		return notice(a.info, false)
	}
	a.info = fmt.Sprintf("Exported account copied to the clipboard (%d bytes, base64)", len(x.blob))
	return tea.Batch(tea.SetClipboard(base64.StdEncoding.EncodeToString(x.blob)), notice(a.info, false))
}

var accountColumns = []column{
	{title: " ", width: 1},
	{title: "Label", width: 12},
	{title: "Address", width: 0},
	{title: "Balance", width: 14, right: true},
	{title: "Pledged", width: 12, right: true, min: 70},
	{title: "Scheme", width: 17, min: 110},
}

func (a *accounts) View(w, h int) string {
	st := a.env.st
	if a.form != nil {
		s := a.form.View(w)
		if a.actionID != 0 {
			s += "\n" + a.workingLine()
		}
		return s
	}
	acctRows, chanRows, earnRows := a.rows(h)
	var b strings.Builder
	b.WriteString(st.Title.Render("Accounts") + st.Muted.Render(fmt.Sprintf("  %d in the wallet", len(a.list))) + "\n")
	cols := visibleColumns(accountColumns, w-2)
	b.WriteString("  " + header(st, cols) + "\n")
	if a.loading && len(a.list) == 0 {
		b.WriteString(st.Muted.Render("Loading…") + "\n")
	}
	a.top = window(a.cursor, a.top, acctRows, len(a.list))
	for i := a.top; i < len(a.list) && i < a.top+acctRows; i++ {
		acct := a.list[i]
		mark := " "
		switch {
		case acct.Active:
			mark = "●"
		case acct.Default:
			mark = "*"
		}
		line := row(cols, map[string]string{
			" ": mark, "Label": acct.Label, "Address": acct.Address.String(),
			"Balance": strconv.FormatUint(acct.Balance, 10), "Pledged": strconv.FormatUint(acct.Pledged, 10),
			"Scheme": acct.Scheme,
		})
		b.WriteString(cursorRow(st, line, !a.onChannels && i == a.cursor) + "\n")
	}
	b.WriteString(st.Muted.Render("● active (the node runs as it)  * default on next start") + "\n")
	if sel, ok := a.selected(); ok && a.balance != nil && a.balance.Address == sel.Address {
		b.WriteString(fmt.Sprintf("Balance %d  pledged %d  nonce %d\n", a.balance.Balance, a.balance.Pledged, a.balance.Nonce))
	}
	b.WriteString(a.channelsTitle(w) + "\n")
	b.WriteString(a.channelRows(w, chanRows, a.onChannels))
	b.WriteString(a.earningsView(w, earnRows))
	switch {
	case a.ch.confirm != "":
		b.WriteString(a.confirmView(w))
	case a.actionID != 0:
		b.WriteString(a.workingLine() + "\n")
	case a.err != "":
		b.WriteString(st.Error.Render(a.err) + "\n")
	case a.info != "":
		b.WriteString(st.Success.Render(a.info) + "\n")
	}
	return b.String()
}

// workingLine is the spinner with what the running action waits for.
func (a *accounts) workingLine() string {
	what := a.working
	if what == "" {
		what = "Working…"
	}
	return a.spin.View() + " " + a.env.st.Muted.Render(what)
}

// confirmView asks whether to close the channel a.ch.confirm.
func (a *accounts) confirmView(w int) string {
	st := a.env.st
	partner := ""
	if i := slices.IndexFunc(a.ch.data.list.Channels, func(c client.Channel) bool { return c.ID == a.ch.confirm }); i >= 0 {
		partner = " with " + shortAddr(a.ch.data.list.Channels[i].Partner, max(13, w-54))
	}
	return st.Warning.Render(fmt.Sprintf("Close channel %s%s unilaterally? y/n", shortMiddle(a.ch.confirm, 13), partner)) + "\n" +
		st.Muted.Render("The partner may answer with newer proofs until the settle height.") + "\n"
}

// rows shares the screen's height h between the accounts, the channels and the earnings: each
// list gets a row, then one more in turn while it has more to show.
func (a *accounts) rows(h int) (acct, chans, earn int) {
	fixed := 3 + 1 + 1 // accounts title, header, legend; channels title; the message line
	if a.balance != nil {
		fixed++
	}
	if a.ch.confirm != "" {
		fixed++
	}
	want := [3]int{max(1, len(a.list)), 1, 0}
	if a.ch.loaded {
		fixed++ // the channel header
		want[1] = max(1, len(a.ch.data.list.Channels))
		if a.onChannels && len(a.ch.data.list.Channels) > 0 {
			fixed++ // the detail line
		}
		fixed++ // the earnings title
		if e := a.ch.data.earnings; e != nil && a.ch.data.earnErr == nil && len(e.Peers) > 0 {
			fixed++ // the earnings header
			want[2] = len(e.Peers)
		}
	}
	var got [3]int
	left := h - fixed
	for i := range got {
		got[i] = min(want[i], 1)
		left -= got[i]
	}
	for more := true; more && left > 0; {
		more = false
		for i := range got {
			if got[i] < want[i] && left > 0 {
				got[i]++
				left--
				more = true
			}
		}
	}
	return max(1, got[0]), max(1, got[1]), got[2]
}
