package tui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"dsp/keys"
	"dsp/node/client"
)

// networkKeyMap is the Network screen's keys.
type networkKeyMap struct {
	Up, Down, Resolve, Connect, Refresh key.Binding
}

// ShortHelp implements help.KeyMap.
func (k networkKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Resolve, k.Connect, k.Refresh}
}

// FullHelp implements help.KeyMap.
func (k networkKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down}, {k.Resolve, k.Connect, k.Refresh}}
}

// netData is what the Network screen loads at once.
type netData struct {
	peers  []client.PeerInfo
	nodes  []client.NodeInfo
	ledger *client.LedgerInfo
}

// network is the Network screen: peers with their roles, RTT and traffic; the ledger; the nodes
// registered by role; resolve a dsp:// URL (SCAN/DNS) and connect to a peer.
type network struct {
	env      *env
	keys     networkKeyMap
	data     netData
	loaded   bool
	cursor   int
	top      int
	form     *form
	mode     string // resolve or connect
	loadID   uint64
	actionID uint64
	record   *client.URLRecord
	err      string
	info     string
}

func newNetwork(e *env) *network {
	return &network{env: e, keys: networkKeyMap{
		Up: bind("↑/k", "up", "up", "k"), Down: bind("↓/j", "down", "down", "j"),
		Resolve: bind("/", "resolve URL", "/"), Connect: bind("c", "connect peer", "c"), Refresh: bind("r", "refresh", "r"),
	}}
}

func (n *network) Capturing() bool { return n.form != nil }

func (n *network) KeyMap() help.KeyMap {
	if n.form != nil {
		return n.form.keys
	}
	return n.keys
}

func (n *network) Init() tea.Cmd {
	n.loadID = n.env.nextID()
	return call(n.env, n.loadID, func(ctx context.Context, c Client) (netData, error) {
		var d netData
		var err error
		if d.peers, err = c.Peers(ctx); err != nil {
			return d, err
		}
		if d.nodes, err = c.Nodes(ctx, ""); err != nil {
			return d, err
		}
		d.ledger, err = c.LedgerInfo(ctx)
		return d, err
	})
}

func (n *network) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case resultMsg[netData]:
		if msg.id != n.loadID {
			return nil
		}
		if msg.err != nil {
			n.err = errText(msg.err)
		}
		n.data, n.loaded = msg.val, true
		n.cursor = max(0, min(n.cursor, len(n.data.peers)-1))
	case peerMsg:
		if n.loaded {
			return n.Init()
		}
	case resultMsg[*client.URLRecord]:
		if msg.id != n.actionID {
			return nil
		}
		n.actionID = 0
		if msg.err != nil {
			n.form.err = errText(msg.err)
			return nil
		}
		n.form, n.record, n.err = nil, msg.val, ""
	case resultMsg[*client.PeerInfo]:
		if msg.id != n.actionID {
			return nil
		}
		n.actionID = 0
		if msg.err != nil {
			n.form.err = errText(msg.err)
			return nil
		}
		n.form, n.err, n.info = nil, "", "Connected to "+msg.val.Address.String()
		return tea.Batch(n.Init(), notice(n.info, false))
	case tea.KeyPressMsg:
		return n.key(msg)
	default:
		if n.form != nil {
			_, cmd := n.form.Update(msg)
			return cmd
		}
	}
	return nil
}

func (n *network) key(k tea.KeyPressMsg) tea.Cmd {
	if n.form != nil {
		if n.actionID != 0 {
			return nil
		}
		res, cmd := n.form.Update(k)
		switch res {
		case formCancel:
			n.form = nil
		case formSubmit:
			v := n.form.value(0)
			n.actionID = n.env.nextID()
			if n.mode == "resolve" {
				return call(n.env, n.actionID, func(ctx context.Context, c Client) (*client.URLRecord, error) { return c.Resolve(ctx, v) })
			}
			return call(n.env, n.actionID, func(ctx context.Context, c Client) (*client.PeerInfo, error) { return c.Connect(ctx, v) })
		}
		return cmd
	}
	switch {
	case key.Matches(k, n.keys.Up):
		n.cursor = max(0, n.cursor-1)
	case key.Matches(k, n.keys.Down):
		n.cursor = max(0, min(len(n.data.peers)-1, n.cursor+1))
	case key.Matches(k, n.keys.Refresh):
		return n.Init()
	case key.Matches(k, n.keys.Resolve):
		n.mode = "resolve"
		n.form = newForm(n.env.st, "Resolve a dsp:// URL", fieldSpec{label: "URL", placeholder: "dsp://..."})
	case key.Matches(k, n.keys.Connect):
		n.mode = "connect"
		n.form = newForm(n.env.st, "Connect to a peer", fieldSpec{label: "Peer URL", placeholder: "kcp://host:port or ACCOUNT@kcp://host:port"})
	}
	return nil
}

// rolesOf maps each registered address to its roles.
func rolesOf(nodes []client.NodeInfo) map[keys.Address][]string {
	out := map[keys.Address][]string{}
	for _, nd := range nodes {
		out[nd.Address] = append(out[nd.Address], nd.Role)
	}
	return out
}

func (n *network) View(w, h int) string {
	st := n.env.st
	if n.form != nil {
		return n.form.View(w)
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Network"))
	if l := n.data.ledger; l != nil {
		b.WriteString(st.Muted.Render(fmt.Sprintf("  ledger %s at height %d, producer %s", l.ChainID, l.Height, shortAddr(l.Producer, 13))))
	}
	b.WriteString("\n")
	if !n.loaded {
		return b.String() + st.Muted.Render("Loading…") + "\n"
	}
	roles := rolesOf(n.data.nodes)
	b.WriteString(st.Header.Render(fmt.Sprintf("Peers (%d)", len(n.data.peers))) + "\n")
	cols := visibleColumns([]column{{title: "Account", width: 0}, {title: "Roles", width: 10}, {title: "URL", width: 20, min: 100},
		{title: "Dir", width: 3, min: 110}, {title: "RTT", width: 8, right: true}, {title: "In", width: 9, right: true}, {title: "Out", width: 9, right: true, min: 76}}, w-2)
	b.WriteString("  " + header(st, cols) + "\n")
	rows := max(1, (h-10)/2)
	n.top = window(n.cursor, n.top, rows, len(n.data.peers))
	for i := n.top; i < len(n.data.peers) && i < n.top+rows; i++ {
		p := n.data.peers[i]
		dir := "in"
		if p.Dialed {
			dir = "out"
		}
		line := row(cols, map[string]string{"Account": p.Address.String(), "Roles": orDash(strings.Join(roles[p.Address], ",")),
			"URL": orDash(p.URL), "Dir": dir, "RTT": rtt(p.RTTMs), "In": humanBytes(p.BytesIn), "Out": humanBytes(p.BytesOut)})
		b.WriteString(cursorRow(st, line, i == n.cursor) + "\n")
	}
	b.WriteString("\n" + st.Header.Render("Registered nodes") + "  " + n.roleCounts() + "\n")
	ncols := visibleColumns([]column{{title: "Role", width: 6}, {title: "Address", width: 0}, {title: "Host", width: 22},
		{title: "Terms", width: 22, min: 100}, {title: "Up", width: 3}}, w-2)
	b.WriteString("  " + header(st, ncols) + "\n")
	for i, nd := range n.data.nodes {
		if i >= max(1, h-14-min(rows, len(n.data.peers))) {
			b.WriteString(st.Muted.Render(fmt.Sprintf("  … %d more", len(n.data.nodes)-i)) + "\n")
			break
		}
		terms := ""
		if nd.Role == "fs" {
			terms = fmt.Sprintf("%s free, price %d", humanBytes(nd.Capacity-min(nd.Capacity, nd.Used)), nd.Price)
		}
		b.WriteString("  " + row(ncols, map[string]string{"Role": nd.Role, "Address": nd.Address.String(), "Host": nd.HostAddr,
			"Terms": terms, "Up": yesNo(nd.Connected)}) + "\n")
	}
	if r := n.record; r != nil {
		b.WriteString("\n" + st.Success.Render(fmt.Sprintf("%s → %s (owner %s, height %d)", r.URL, r.FileHash, shortAddr(r.Owner, 13), r.Height)) + "\n")
	}
	if n.err != "" {
		b.WriteString(st.Error.Render(n.err) + "\n")
	} else if n.info != "" {
		b.WriteString(st.Success.Render(n.info) + "\n")
	}
	return b.String()
}

func (n *network) roleCounts() string {
	counts := map[string]int{}
	for _, nd := range n.data.nodes {
		counts[nd.Role]++
	}
	names := make([]string, 0, len(counts))
	for r := range counts {
		names = append(names, r)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, r := range names {
		parts[i] = fmt.Sprintf("%s %d", r, counts[r])
	}
	return n.env.st.Muted.Render(strings.Join(parts, " · "))
}
