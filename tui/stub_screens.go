package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

type emptyKeys struct{}

func (emptyKeys) ShortHelp() []key.Binding  { return nil }
func (emptyKeys) FullHelp() [][]key.Binding { return nil }

type pending struct {
	env  *env
	name string
}

func (p *pending) Init() tea.Cmd            { return nil }
func (p *pending) Update(tea.Msg) tea.Cmd   { return nil }
func (p *pending) View(w, h int) string     { return p.env.st.Title.Render(p.name) }
func (p *pending) KeyMap() help.KeyMap      { return emptyKeys{} }
func (p *pending) Capturing() bool          { return false }
func newUpload(e *env) screen   { return &pending{e, "Upload"} }
func newFiles(e *env) screen    { return &pending{e, "Files"} }
func newDownload(e *env) screen { return &pending{e, "Download"} }
func newProxies(e *env) screen  { return &pending{e, "Proxies"} }
func newNetwork(e *env) screen  { return &pending{e, "Network"} }
