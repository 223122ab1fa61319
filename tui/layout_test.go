package tui

import (
	"image/color"
	"testing"

	tea "charm.land/bubbletea/v2"

	"dsp/tui/faketest"
)

// Narrow and short terminals keep every screen inside the window: the tab bar collapses to
// numbers and table columns drop.
func TestNarrowTerminal(t *testing.T) {
	d := newDriver(t, faketest.New(), 60, 16, Options{})
	for _, k := range []string{"1", "2", "3", "4", "5", "6", "7", "?"} {
		d.press(k)
		checkSize(t, d.screen(), 60, 16)
	}
	d.contains("1 2 3 4 5 6 7 Network")
}

func TestBackgroundAdapts(t *testing.T) {
	d := newDriver(t, faketest.New(), 80, 24, Options{Background: BackgroundDark})
	d.send(tea.BackgroundColorMsg{Color: color.White})
	if d.m.styles.Dark {
		t.Fatal("a white background kept the dark styles")
	}
	d.send(tea.BackgroundColorMsg{Color: color.Black})
	if !d.m.styles.Dark {
		t.Fatal("a black background kept the light styles")
	}
}
