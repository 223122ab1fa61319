package tui

import (
	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
)

// eventsOpenedMsg carries a fresh event subscription.
type eventsOpenedMsg struct{ ch <-chan client.Event }

// eventsClosedMsg says the subscription ended (node gone or context over).
type eventsClosedMsg struct{ err error }

// resubscribeMsg asks for a new subscription after one ended.
type resubscribeMsg struct{}

// eventMsg is one event from the subscription.
type eventMsg struct{ ev client.Event }

// subscribe opens the node's event stream in a command. The stream lives as long as the app's
// context.
func subscribe(e *env) tea.Cmd {
	c, ctx := e.c, e.ctx
	return func() tea.Msg {
		ch, err := c.Events(ctx)
		if err != nil {
			return eventsClosedMsg{err: err}
		}
		return eventsOpenedMsg{ch: ch}
	}
}

// waitEvent waits for the next event; the app re-arms it after each one, so exactly one wait
// is outstanding per subscription.
func waitEvent(ch <-chan client.Event) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return eventsClosedMsg{}
		}
		return eventMsg{ev: ev}
	}
}

// heightMsg is the ledger height and the connected peers of the latest status refresh, handed to
// every screen.
type heightMsg struct {
	height uint64
	peers  []client.PeerInfo
}
