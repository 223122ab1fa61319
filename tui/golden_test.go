package tui

import (
	"fmt"
	"testing"

	"dsp/tui/faketest"
)

// goldenScreens renders each screen at 80x24 and 120x40 against the seeded fake.
var goldenScreens = []struct {
	name   string
	screen screenID
	keys   []string
}{
	{"accounts", ScreenAccounts, nil},
	{"accounts_channels", ScreenAccounts, []string{"c", "down", "down"}},
	{"accounts_close", ScreenAccounts, []string{"c", "x"}},
	{"accounts_open", ScreenAccounts, []string{"o"}},
	{"transfers", ScreenTransfers, []string{"down", "down", "enter"}},
	{"transfers_download", ScreenTransfers, []string{"down", "enter"}},
	{"upload", ScreenUpload, nil},
	{"upload_options", ScreenUpload, []string{"enter"}},
	{"upload_confirm", ScreenUpload, []string{"enter", "ctrl+s"}},
	{"files", ScreenFiles, []string{"down", "enter"}},
	{"download", ScreenDownload, []string{"enter"}},
	{"proxies", ScreenProxies, nil},
	{"network", ScreenNetwork, nil},
	{"help", ScreenTransfers, []string{"?"}},
}

func TestGoldenScreens(t *testing.T) {
	for _, g := range goldenScreens {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			name := fmt.Sprintf("%s_%dx%d", g.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				d := newDriver(t, faketest.New(), size[0], size[1], Options{StartScreen: g.screen})
				d.press(g.keys...)
				s := d.screen()
				checkSize(t, s, size[0], size[1])
				golden(t, name, s)
			})
		}
	}
}

func TestGoldenFirstRun(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		name := fmt.Sprintf("firstrun_%dx%d", size[0], size[1])
		t.Run(name, func(t *testing.T) {
			d := newDriver(t, faketest.NewEmpty(), size[0], size[1], Options{})
			d.press("c", "tab")
			d.typ("secret")
			s := d.screen()
			checkSize(t, s, size[0], size[1])
			golden(t, name, s)
		})
	}
}
