package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles are the TUI's lipgloss styles, built once per terminal background (NewStyles) and shared
// by every screen; nothing builds a style while rendering.
type Styles struct {
	Dark bool // built for a dark background

	TabActive   lipgloss.Style
	TabInactive lipgloss.Style
	Brand       lipgloss.Style
	Title       lipgloss.Style
	Header      lipgloss.Style // table headers
	Selected    lipgloss.Style // the cursor row
	Muted       lipgloss.Style
	Error       lipgloss.Style
	Success     lipgloss.Style
	Warning     lipgloss.Style
	Label       lipgloss.Style // form labels
	Focused     lipgloss.Style // the focused form label
	Box         lipgloss.Style // dialogs and detail panes
	StatusBar   lipgloss.Style
	Live        lipgloss.Style
	Offline     lipgloss.Style

	BarFull  color.Color // progress bar fill
	BarEmpty color.Color
	BarError color.Color

	Help help.Styles
}

// NewStyles returns the styles for a dark (isDark) or light terminal background.
func NewStyles(isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	accent := ld(lipgloss.Color("#5A3FC0"), lipgloss.Color("#A78BFA"))
	fg := ld(lipgloss.Color("#1F1F1F"), lipgloss.Color("#E4E4E4"))
	muted := ld(lipgloss.Color("#6B6B6B"), lipgloss.Color("#8A8A8A"))
	red := ld(lipgloss.Color("#C0262D"), lipgloss.Color("#FF6B6B"))
	green := ld(lipgloss.Color("#1D7A3A"), lipgloss.Color("#5FD68A"))
	yellow := ld(lipgloss.Color("#8A6100"), lipgloss.Color("#F2C94C"))
	selBg := ld(lipgloss.Color("#E3DDFB"), lipgloss.Color("#3B3163"))
	barBg := ld(lipgloss.Color("#EDEDED"), lipgloss.Color("#2A2A2A"))
	return Styles{
		Dark:        isDark,
		TabActive:   lipgloss.NewStyle().Bold(true).Foreground(accent).Underline(true),
		TabInactive: lipgloss.NewStyle().Foreground(muted),
		Brand:       lipgloss.NewStyle().Bold(true).Foreground(accent),
		Title:       lipgloss.NewStyle().Bold(true).Foreground(fg),
		Header:      lipgloss.NewStyle().Bold(true).Foreground(muted),
		Selected:    lipgloss.NewStyle().Background(selBg).Foreground(fg),
		Muted:       lipgloss.NewStyle().Foreground(muted),
		Error:       lipgloss.NewStyle().Foreground(red),
		Success:     lipgloss.NewStyle().Foreground(green),
		Warning:     lipgloss.NewStyle().Foreground(yellow),
		Label:       lipgloss.NewStyle().Foreground(muted),
		Focused:     lipgloss.NewStyle().Bold(true).Foreground(accent),
		Box:         lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		StatusBar:   lipgloss.NewStyle().Foreground(fg).Background(barBg),
		Live:        lipgloss.NewStyle().Foreground(green).Background(barBg),
		Offline:     lipgloss.NewStyle().Foreground(red).Background(barBg),
		BarFull:     accent,
		BarEmpty:    barBg,
		BarError:    red,
		Help:        help.DefaultStyles(isDark),
	}
}
