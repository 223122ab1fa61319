package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// fieldSpec describes one text field of a form.
type fieldSpec struct {
	label       string
	placeholder string
	value       string
	password    bool // masked (textinput.EchoPassword)
}

// formResult is what a key did to a form.
type formResult int

const (
	formEditing formResult = iota
	formSubmit             // enter on the last field (or ctrl+s anywhere)
	formCancel             // esc
)

// formKeyMap is the keys of a form.
type formKeyMap struct {
	Next   key.Binding
	Prev   key.Binding
	Submit key.Binding
	Cancel key.Binding
}

func newFormKeyMap() formKeyMap {
	return formKeyMap{
		Next:   key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous")),
		Submit: key.NewBinding(key.WithKeys("enter", "ctrl+s"), key.WithHelp("enter", "next/submit")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp implements help.KeyMap.
func (k formKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Next, k.Submit, k.Cancel} }

// FullHelp implements help.KeyMap.
func (k formKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Prev}, {k.Submit, k.Cancel}}
}

var _ help.KeyMap = formKeyMap{}

// form is a column of labelled text inputs with one focused; it reports submit and cancel.
type form struct {
	title  string
	fields []textinput.Model
	labels []string
	focus  int
	err    string
	keys   formKeyMap
	st     *Styles
}

func newForm(st *Styles, title string, specs ...fieldSpec) *form {
	f := &form{title: title, st: st, keys: newFormKeyMap()}
	for _, s := range specs {
		in := textinput.New()
		in.Prompt = ""
		in.Placeholder = s.placeholder
		in.SetValue(s.value)
		in.SetWidth(40)
		styles := textinput.DefaultStyles(st.Dark)
		styles.Cursor.Blink = false // a steady cursor: no redraw ticks (cheaper over SSH)
		in.SetStyles(styles)
		if s.password {
			in.EchoMode = textinput.EchoPassword
			in.EchoCharacter = '•'
		}
		f.fields = append(f.fields, in)
		f.labels = append(f.labels, s.label)
	}
	if len(f.fields) > 0 {
		f.fields[0].Focus()
	}
	return f
}

// value returns field i's text, trimmed of surrounding spaces (passwords are returned as typed).
func (f *form) value(i int) string {
	v := f.fields[i].Value()
	if f.fields[i].EchoMode == textinput.EchoPassword {
		return v
	}
	return strings.TrimSpace(v)
}

func (f *form) setFocus(i int) tea.Cmd {
	f.fields[f.focus].Blur()
	f.focus = (i + len(f.fields)) % len(f.fields)
	return f.fields[f.focus].Focus()
}

// Update feeds a message to the form.
func (f *form) Update(msg tea.Msg) (formResult, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, f.keys.Cancel):
			return formCancel, nil
		case k.String() == "ctrl+s":
			return formSubmit, nil
		case key.Matches(k, f.keys.Submit):
			if f.focus == len(f.fields)-1 {
				return formSubmit, nil
			}
			return formEditing, f.setFocus(f.focus + 1)
		case key.Matches(k, f.keys.Next):
			return formEditing, f.setFocus(f.focus + 1)
		case key.Matches(k, f.keys.Prev):
			return formEditing, f.setFocus(f.focus - 1)
		}
	}
	var cmd tea.Cmd
	f.fields[f.focus], cmd = f.fields[f.focus].Update(msg)
	return formEditing, cmd
}

// View renders the form within width w.
func (f *form) View(w int) string {
	lw := 0
	for _, l := range f.labels {
		lw = max(lw, len(l))
	}
	var b strings.Builder
	if f.title != "" {
		b.WriteString(f.st.Title.Render(f.title))
		b.WriteString("\n\n")
	}
	for i := range f.fields {
		f.fields[i].SetWidth(max(8, min(60, w-lw-6)))
		label, marker := f.st.Label.Render(pad(f.labels[i], lw)), "  "
		if i == f.focus {
			label, marker = f.st.Focused.Render(pad(f.labels[i], lw)), "> "
		}
		b.WriteString(marker + label + "  " + f.fields[i].View() + "\n")
	}
	if f.err != "" {
		b.WriteString("\n" + f.st.Error.Render(f.err) + "\n")
	}
	return b.String()
}
