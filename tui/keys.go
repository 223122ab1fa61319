package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
)

// KeyMap is the app's global keys; they apply when the active screen is not editing text.
// ctrl+c always quits.
type KeyMap struct {
	Next   key.Binding
	Prev   key.Binding
	Jump   key.Binding // 1–7: a screen by number
	Help   key.Binding
	Quit   key.Binding
	Reload key.Binding
}

// DefaultKeyMap returns the app's global keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next screen")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "prev screen")),
		Jump:   key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7"), key.WithHelp("1-7", "go to screen")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Quit:   key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Reload: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "reload")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Next, k.Help, k.Quit} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Prev, k.Jump}, {k.Reload, k.Help, k.Quit}}
}

// combinedKeys shows a screen's keys followed by the global ones.
type combinedKeys struct {
	screen help.KeyMap
	global help.KeyMap
}

func (c combinedKeys) ShortHelp() []key.Binding {
	return append(append([]key.Binding{}, c.screen.ShortHelp()...), c.global.ShortHelp()...)
}

func (c combinedKeys) FullHelp() [][]key.Binding {
	return append(append([][]key.Binding{}, c.screen.FullHelp()...), c.global.FullHelp()...)
}

// bind is a shorthand for a key binding with help.
func bind(help string, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}
