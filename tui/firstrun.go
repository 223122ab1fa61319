package tui

import (
	"context"
	"errors"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
)

// firstRunDoneMsg says the wallet now has an account; the app moves to its main screen.
type firstRunDoneMsg struct{ account client.Account }

// firstRunKeyMap is the welcome screen's keys.
type firstRunKeyMap struct {
	Create key.Binding
	Import key.Binding
}

// ShortHelp implements help.KeyMap.
func (k firstRunKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Create, k.Import} }

// FullHelp implements help.KeyMap.
func (k firstRunKeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// firstRun is the welcome screen shown while the wallet has no account: create one or import a
// private key, with the password typed masked and confirmed.
type firstRun struct {
	env     *env
	keys    firstRunKeyMap
	form    *form
	mode    string // "", "create" or "import"
	pending uint64
}

func newFirstRun(e *env) *firstRun {
	return &firstRun{env: e, keys: firstRunKeyMap{
		Create: bind("c", "create an account", "c"),
		Import: bind("i", "import a private key", "i"),
	}}
}

func (f *firstRun) Init() tea.Cmd { return nil }

// KeyMap returns the keys of the current step.
func (f *firstRun) KeyMap() help.KeyMap {
	if f.form != nil {
		return f.form.keys
	}
	return f.keys
}

func (f *firstRun) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if f.form == nil {
			switch {
			case key.Matches(msg, f.keys.Create):
				f.mode = "create"
				f.form = newForm(f.env.st, "Create an account",
					fieldSpec{label: "Label", value: "default"},
					fieldSpec{label: "Password", password: true},
					fieldSpec{label: "Confirm password", password: true})
			case key.Matches(msg, f.keys.Import):
				f.mode = "import"
				f.form = newForm(f.env.st, "Import an account",
					fieldSpec{label: "Label", value: "imported"},
					fieldSpec{label: "Private key (hex)", placeholder: "64 hex digits", password: true},
					fieldSpec{label: "Password", password: true},
					fieldSpec{label: "Confirm password", password: true})
			}
			return nil
		}
		if f.pending != 0 {
			return nil
		}
		res, cmd := f.form.Update(msg)
		switch res {
		case formCancel:
			f.form, f.mode = nil, ""
		case formSubmit:
			return f.submit()
		}
		return cmd
	case resultMsg[*client.Account]:
		if msg.id != f.pending {
			return nil
		}
		f.pending = 0
		if msg.err != nil {
			f.form.err = errText(msg.err)
			return nil
		}
		acct := *msg.val
		return func() tea.Msg { return firstRunDoneMsg{account: acct} }
	default:
		if f.form != nil {
			_, cmd := f.form.Update(msg)
			return cmd
		}
	}
	return nil
}

func (f *firstRun) submit() tea.Cmd {
	n := len(f.form.fields)
	label, pw, confirm := f.form.value(0), f.form.value(n-2), f.form.value(n-1)
	if err := checkPassword(pw, confirm); err != nil {
		f.form.err = err.Error()
		return nil
	}
	f.form.err = ""
	f.pending = f.env.nextID()
	if f.mode == "import" {
		req := client.ImportAccountRequest{Label: label, PrivateKey: strings.TrimSpace(f.form.value(1)), Password: pw, Default: true}
		if req.PrivateKey == "" {
			f.pending = 0
			f.form.err = "the private key is empty"
			return nil
		}
		return call(f.env, f.pending, func(ctx context.Context, c Client) (*client.Account, error) { return c.ImportAccount(ctx, req) })
	}
	req := client.NewAccountRequest{Label: label, Password: pw, Default: true}
	return call(f.env, f.pending, func(ctx context.Context, c Client) (*client.Account, error) { return c.NewAccount(ctx, req) })
}

// checkPassword refuses an empty password and a confirmation that differs.
func checkPassword(pw, confirm string) error {
	switch {
	case pw == "":
		return errors.New("the password is empty")
	case pw != confirm:
		return errors.New("the passwords do not match")
	}
	return nil
}

func (f *firstRun) View(w, h int) string {
	st := f.env.st
	if f.form != nil {
		s := f.form.View(w)
		if f.pending != 0 {
			s += "\n" + st.Muted.Render("Working…")
		}
		return s
	}
	return st.Title.Render("Welcome to dsp") + "\n\n" +
		"This node's wallet has no account yet. An account pays for storage and\n" +
		"signs what this node does on the network.\n\n" +
		"  " + st.Focused.Render("c") + "  create a new account\n" +
		"  " + st.Focused.Render("i") + "  import a private key\n"
}
