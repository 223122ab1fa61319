// Package tui is dsp's terminal user interface: a bubbletea program that drives one node through
// the client interface only (Client), so the same screens run against the embedded devnet, a
// remote node over the control API, or an operator's SSH session (package tui/ssh).
//
// The program is Model (New, Run). Screens are components in this package, each with its own
// model, Update, View, key map (a help.KeyMap) and the shared Styles. All I/O runs in tea.Cmds
// that return typed messages carrying a request id; Update never blocks. Live task progress and
// node events arrive by a subscription command that re-arms itself after every event.
package tui

import (
	"encoding/json"
	"fmt"

	"dsp/node/client"
)

// Client is everything the TUI asks of a node: the eight sub-interfaces of node/client. It is the
// same set as client.Client, so a client.Client satisfies it.
type Client interface {
	client.NodeAPI
	client.AccountAPI
	client.LedgerAPI
	client.FileAPI
	client.TaskAPI
	client.ProxyAPI
	client.ProverAPI
	client.ChannelAPI
}

// Privilege values of an upload (the ledger's PrivilegePrivate, PrivilegePublic and
// PrivilegeWhitelist; repeated here so the TUI links none of the ledger).
const (
	PrivilegePrivate   uint64 = 0
	PrivilegePublic    uint64 = 1
	PrivilegeWhitelist uint64 = 2
)

// privilegeName is the word shown for a privilege value.
func privilegeName(p uint64) string {
	switch p {
	case PrivilegePrivate:
		return "private"
	case PrivilegePublic:
		return "public"
	case PrivilegeWhitelist:
		return "whitelist"
	}
	return fmt.Sprintf("privilege %d", p)
}

// decodeData converts an event's Data into T: an in-process client delivers T or *T, the HTTP
// client a JSON-decoded map, which is re-encoded and decoded into T.
func decodeData[T any](data any) (T, bool) {
	var zero T
	switch v := data.(type) {
	case T:
		return v, true
	case *T:
		if v == nil {
			return zero, false
		}
		return *v, true
	case nil:
		return zero, false
	}
	b, err := json.Marshal(data)
	if err != nil {
		return zero, false
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return zero, false
	}
	return out, true
}
