package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
)

// proxiesKeyMap is the Proxies screen's keys.
type proxiesKeyMap struct {
	Up, Down, Request, Release, Refresh key.Binding
}

// ShortHelp implements help.KeyMap.
func (k proxiesKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Request, k.Release, k.Refresh}
}

// FullHelp implements help.KeyMap.
func (k proxiesKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down}, {k.Request, k.Release, k.Refresh}}
}

// proxies is the Proxies screen: the proxy nodes on the ledger, this node's allocation with its
// keepalive state and relayed connections, the allocations this node serves; request, release.
type proxies struct {
	env      *env
	keys     proxiesKeyMap
	ov       *client.ProxyOverview
	cursor   int
	form     *form
	loadID   uint64
	actionID uint64
	err      string
	info     string
}

func newProxies(e *env) *proxies {
	return &proxies{env: e, keys: proxiesKeyMap{
		Up: bind("↑/k", "up", "up", "k"), Down: bind("↓/j", "down", "down", "j"),
		Request: bind("n", "request proxy", "n"), Release: bind("x", "release", "x"), Refresh: bind("r", "refresh", "r"),
	}}
}

func (p *proxies) Capturing() bool { return p.form != nil }

func (p *proxies) KeyMap() help.KeyMap {
	if p.form != nil {
		return p.form.keys
	}
	return p.keys
}

func (p *proxies) Init() tea.Cmd {
	p.loadID = p.env.nextID()
	return call(p.env, p.loadID, func(ctx context.Context, c Client) (*client.ProxyOverview, error) { return c.Proxies(ctx) })
}

// proxyAction is the outcome of a request or release.
type proxyAction struct{ text string }

func (p *proxies) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case resultMsg[*client.ProxyOverview]:
		if msg.id != p.loadID {
			return nil
		}
		if msg.err != nil {
			p.err = errText(msg.err)
			return nil
		}
		p.ov = msg.val
		p.cursor = max(0, min(p.cursor, len(p.ov.Known)-1))
	case resultMsg[proxyAction]:
		if msg.id != p.actionID {
			return nil
		}
		p.actionID = 0
		if msg.err != nil {
			if p.form != nil {
				p.form.err = errText(msg.err)
			} else {
				p.err, p.info = errText(msg.err), ""
			}
			return nil
		}
		p.form, p.err, p.info = nil, "", msg.val.text
		return tea.Batch(p.Init(), notice(msg.val.text, false))
	case tea.KeyPressMsg:
		return p.key(msg)
	default:
		if p.form != nil {
			_, cmd := p.form.Update(msg)
			return cmd
		}
	}
	return nil
}

func (p *proxies) act(do func(ctx context.Context, c Client) (string, error)) tea.Cmd {
	p.actionID = p.env.nextID()
	return call(p.env, p.actionID, func(ctx context.Context, c Client) (proxyAction, error) {
		text, err := do(ctx, c)
		return proxyAction{text: text}, err
	})
}

func (p *proxies) key(k tea.KeyPressMsg) tea.Cmd {
	if p.form != nil {
		if p.actionID != 0 {
			return nil
		}
		res, cmd := p.form.Update(k)
		switch res {
		case formCancel:
			p.form = nil
		case formSubmit:
			url := p.form.value(0)
			return p.act(func(ctx context.Context, c Client) (string, error) {
				st, err := c.RequestProxy(ctx, url)
				if err != nil {
					return "", err
				}
				return "Proxy address " + st.Address + " via " + st.Proxy, nil
			})
		}
		return cmd
	}
	n := 0
	if p.ov != nil {
		n = len(p.ov.Known)
	}
	switch {
	case key.Matches(k, p.keys.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(k, p.keys.Down):
		p.cursor = max(0, min(n-1, p.cursor+1))
	case key.Matches(k, p.keys.Refresh):
		return p.Init()
	case key.Matches(k, p.keys.Request):
		url := ""
		if p.cursor < n {
			url = p.ov.Known[p.cursor].HostAddr
		}
		p.form = newForm(p.env.st, "Request a proxy address", fieldSpec{label: "Proxy URL", value: url, placeholder: "kcp://host:port"})
	case key.Matches(k, p.keys.Release):
		return p.act(func(ctx context.Context, c Client) (string, error) { return "Proxy released", c.ReleaseProxy(ctx) })
	}
	return nil
}

func (p *proxies) View(w, h int) string {
	st := p.env.st
	if p.form != nil {
		return p.form.View(w)
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Proxies") + "\n")
	if p.ov == nil {
		b.WriteString(st.Muted.Render("Loading…") + "\n")
		return b.String() + p.messages()
	}
	b.WriteString(st.Header.Render("My allocation") + "\n")
	if m := p.ov.Mine; m != nil {
		keep := "never"
		if !m.LastKeepalive.IsZero() {
			keep = m.LastKeepalive.UTC().Format("15:04:05")
		}
		b.WriteString(kv(st, "Proxy", m.Proxy, "Address", m.Address, "State", m.State,
			"Keepalive", "last "+keep, "Relayed", fmt.Sprintf("%d connections, %s in, %s out", m.Relayed, humanBytes(m.BytesIn), humanBytes(m.BytesOut))) + "\n")
	} else {
		b.WriteString(st.Muted.Render("None: this node is reached directly. n requests one from the selected proxy.") + "\n")
	}
	b.WriteString("\n" + st.Header.Render(fmt.Sprintf("Proxy nodes on the ledger (%d)", len(p.ov.Known))) + "\n")
	cols := visibleColumns([]column{{title: "Address", width: 0}, {title: "URL", width: 24}, {title: "Connected", width: 9},
		{title: "RTT", width: 8, right: true, min: 90}}, w-2)
	b.WriteString("  " + header(st, cols) + "\n")
	for i, n := range p.ov.Known {
		line := row(cols, map[string]string{"Address": n.Address.String(), "URL": n.HostAddr, "Connected": yesNo(n.Connected), "RTT": rtt(n.RTTMs)})
		b.WriteString(cursorRow(st, line, i == p.cursor) + "\n")
	}
	if len(p.ov.Serving) > 0 {
		b.WriteString("\n" + st.Header.Render(fmt.Sprintf("Serving (%d)", len(p.ov.Serving))) + "\n")
		for _, a := range p.ov.Serving {
			online := "offline"
			if a.Online {
				online = "online"
			}
			b.WriteString(fmt.Sprintf("  %s  %s  %s  %d relayed\n", shortAddr(a.Account, 16), a.Address, online, a.Relayed))
		}
	}
	return b.String() + p.messages()
}

func (p *proxies) messages() string {
	switch {
	case p.err != "":
		return p.env.st.Error.Render(p.err) + "\n"
	case p.info != "":
		return p.env.st.Success.Render(p.info) + "\n"
	}
	return ""
}

func rtt(ms float64) string {
	if ms <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fms", ms)
}
