package tui

import (
	"testing"

	"dsp/node/client"
	"dsp/tui/faketest"
)

// A real node without a wallet account lists its key-file account (active, not default): the
// TUI still opens on the first-run screen. A wallet account (always one default) ends it.
func TestFirstRunOnNodeKeyOnly(t *testing.T) {
	nodeKey := client.Account{Address: faketest.Addr(0), Label: "node key", Active: true}
	if hasWalletAccount(nil) || hasWalletAccount([]client.Account{nodeKey}) {
		t.Fatal("a node key alone counted as a wallet account")
	}
	wallet := client.Account{Address: faketest.Addr(1), Label: "main", Default: true}
	if !hasWalletAccount([]client.Account{nodeKey, wallet}) {
		t.Fatal("a default wallet account not seen")
	}
}
