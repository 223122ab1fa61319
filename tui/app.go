package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"dsp/node/client"
)

// screenID names a screen; its value is its position in the tab bar.
type screenID int

// The screens, in tab order.
const (
	ScreenAccounts screenID = iota
	ScreenUpload
	ScreenTransfers
	ScreenFiles
	ScreenDownload
	ScreenProxies
	ScreenNetwork
	numScreens
)

var screenNames = [numScreens]string{"Accounts", "Upload", "Transfers", "Files", "Download", "Proxies", "Network"}

// String is the screen's tab title.
func (s screenID) String() string {
	if s >= 0 && s < numScreens {
		return screenNames[s]
	}
	return fmt.Sprintf("screen %d", int(s))
}

// screen is one tab of the app. Update and View work on the screen in place (screens are
// pointers owned by the Model); View renders at most h lines of at most w cells.
type screen interface {
	// Init loads the screen's data; it runs on the first visit and on reload.
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	View(w, h int) string
	KeyMap() help.KeyMap
	// Capturing reports that a text field has the focus, so global single-key bindings go to
	// the screen instead.
	Capturing() bool
}

// receiver is a screen that accepts a value handed over by another screen (switchMsg.arg).
type receiver interface {
	Receive(arg any) tea.Cmd
}

// Background selects the color scheme.
type Background int

// Background choices: ask the terminal (default), or force one.
const (
	BackgroundAuto Background = iota
	BackgroundDark
	BackgroundLight
)

// Options configure the app. The zero value is usable.
type Options struct {
	// Context bounds every client call and the event subscription (e.g. an SSH session's
	// context); nil means context.Background().
	Context context.Context
	// Background picks the colors; BackgroundAuto queries the terminal and starts dark.
	Background Background
	// StatusInterval is how often the status bar is refreshed (default 2s).
	StatusInterval time.Duration
	// RequestTimeout bounds one client call (default 30s).
	RequestTimeout time.Duration
	// StartScreen is the screen shown after start-up (default Accounts).
	StartScreen screenID
	// FileDir is where the upload file picker starts (default: the working directory).
	FileDir string
	// DownloadDir is the default output directory of downloads (default: the working directory).
	DownloadDir string
	// Now returns the time (default time.Now); tests fix it for stable output.
	Now func() time.Time
}

// Model is the TUI program's model. Build it with New; it implements tea.Model.
type Model struct {
	env    *env
	cancel context.CancelFunc
	styles Styles
	keys   KeyMap
	help   help.Model

	width, height int
	screens       [numScreens]screen
	loaded        [numScreens]bool
	active        screenID

	checkID uint64    // the start-up Accounts call
	first   *firstRun // non-nil while no account exists
	ready   bool      // the start-up check has answered

	statusID uint64
	status   *client.Status
	ledger   *client.LedgerInfo
	events   <-chan client.Event
	live     bool
	eventN   uint64

	notice    string
	noticeErr bool
}

// New returns the app over c. It does nothing until the program runs its Init.
func New(c Client, opts Options) *Model {
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	if opts.StatusInterval <= 0 {
		opts.StatusInterval = 2 * time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(opts.Context)
	m := &Model{cancel: cancel, keys: DefaultKeyMap(), help: help.New(), width: 80, height: 24}
	m.styles = NewStyles(opts.Background != BackgroundLight)
	m.help.Styles = m.styles.Help
	m.env = &env{c: c, ctx: ctx, st: &m.styles, timeout: opts.RequestTimeout, opts: opts}
	m.screens = [numScreens]screen{
		ScreenAccounts:  newAccounts(m.env),
		ScreenUpload:    newUpload(m.env),
		ScreenTransfers: newTransfers(m.env),
		ScreenFiles:     newFiles(m.env),
		ScreenDownload:  newDownload(m.env),
		ScreenProxies:   newProxies(m.env),
		ScreenNetwork:   newNetwork(m.env),
	}
	if opts.StartScreen >= 0 && opts.StartScreen < numScreens {
		m.active = opts.StartScreen
	}
	return m
}

// Run runs the app over c on the program's terminal until the user quits or ctx ends. popts
// are passed to tea.NewProgram (input, output, window size...).
func Run(ctx context.Context, c Client, opts Options, popts ...tea.ProgramOption) error {
	opts.Context = ctx
	m := New(c, opts)
	defer m.Close()
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx)}, popts...)...)
	_, err := p.Run()
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

// Close ends the model's client calls and event subscription. It may be called more than once.
func (m *Model) Close() { m.cancel() }

// Active returns the screen shown.
func (m *Model) Active() screenID { return m.active }

// Init implements tea.Model: it asks for the terminal's background, checks for accounts,
// subscribes to events and starts the status refresh.
func (m *Model) Init() tea.Cmd {
	m.checkID = m.env.nextID()
	cmds := []tea.Cmd{
		call(m.env, m.checkID, func(ctx context.Context, c Client) ([]client.Account, error) { return c.Accounts(ctx) }),
		subscribe(m.env),
		m.refreshStatus(),
	}
	if m.env.opts.Background == BackgroundAuto {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// statusMsg is the status bar's data.
type nodeState struct {
	status *client.Status
	ledger *client.LedgerInfo
}

type statusTickMsg struct{}

func (m *Model) refreshStatus() tea.Cmd {
	m.statusID = m.env.nextID()
	return call(m.env, m.statusID, func(ctx context.Context, c Client) (nodeState, error) {
		st, err := c.Status(ctx)
		if err != nil {
			return nodeState{}, err
		}
		li, err := c.LedgerInfo(ctx)
		if err != nil {
			return nodeState{status: st}, nil
		}
		return nodeState{status: st, ledger: li}, nil
	})
}

func (m *Model) statusTick() tea.Cmd {
	return tea.Tick(m.env.opts.StatusInterval, func(time.Time) tea.Msg { return statusTickMsg{} })
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case tea.BackgroundColorMsg:
		m.styles = NewStyles(msg.IsDark())
		m.help.Styles = m.styles.Help
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case resultMsg[[]client.Account]:
		if msg.id == m.checkID {
			return m, m.started(msg.val, msg.err)
		}
	case firstRunDoneMsg:
		m.first = nil
		m.active = ScreenAccounts
		m.loaded[ScreenAccounts] = true
		// The node may now run as the new account (an embedded devnet adopts it): refresh the
		// status bar at once.
		return m, tea.Batch(m.screens[ScreenAccounts].Init(), m.refreshStatus(),
			notice("Account ready: "+msg.account.Address.String(), false))
	case resultMsg[nodeState]:
		if msg.id == m.statusID {
			if msg.err != nil {
				return m, m.statusTick()
			}
			m.status, m.ledger = msg.val.status, msg.val.ledger
			if m.ledger == nil {
				return m, m.statusTick()
			}
			return m, tea.Batch(m.statusTick(), m.broadcast(heightMsg{height: m.ledger.Height, peers: m.status.Peers}))
		}
	case statusTickMsg:
		return m, m.refreshStatus()
	case eventsOpenedMsg:
		m.events, m.live = msg.ch, true
		return m, waitEvent(msg.ch)
	case eventsClosedMsg:
		m.live = false
		if m.env.ctx.Err() != nil {
			return m, nil
		}
		return m, tea.Tick(2*time.Second, func(time.Time) tea.Msg { return resubscribeMsg{} })
	case resubscribeMsg:
		return m, subscribe(m.env)
	case eventMsg:
		m.eventN++
		return m, tea.Batch(waitEvent(m.events), m.event(msg.ev))
	case switchMsg:
		return m, m.show(msg.to, msg.arg)
	case noticeMsg:
		m.notice, m.noticeErr = msg.text, msg.err
		return m, nil
	}
	return m, m.broadcast(msg)
}

// broadcast hands a message to every screen (results carry ids, so only the asker acts).
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	if m.first != nil {
		cmds = append(cmds, m.first.Update(msg))
	}
	for _, s := range m.screens {
		if cmd := s.Update(msg); cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	return tea.Batch(cmds...)
}

func (m *Model) started(accounts []client.Account, err error) tea.Cmd {
	m.ready = true
	if err != nil {
		m.notice, m.noticeErr = errText(err), true
	}
	if err == nil && !hasWalletAccount(accounts) {
		m.first = newFirstRun(m.env)
		return m.first.Init()
	}
	return m.show(m.active, nil)
}

// hasWalletAccount reports whether the node's wallet has an account: a wallet with accounts has
// a default one. A node without one lists only its own key-file account (not Default).
func hasWalletAccount(accounts []client.Account) bool {
	for _, a := range accounts {
		if a.Default {
			return true
		}
	}
	return false
}

// show makes to the active screen, loading it on its first visit.
func (m *Model) show(to screenID, arg any) tea.Cmd {
	if to < 0 || to >= numScreens {
		return nil
	}
	m.active = to
	var cmds []tea.Cmd
	if !m.loaded[to] {
		m.loaded[to] = true
		cmds = append(cmds, m.screens[to].Init())
	}
	if r, ok := m.screens[to].(receiver); ok && arg != nil {
		cmds = append(cmds, r.Receive(arg))
	}
	return tea.Batch(cmds...)
}

func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	if k.String() == "ctrl+c" {
		return m.quit()
	}
	if m.first != nil {
		return m.first.Update(k)
	}
	if !m.ready {
		return nil
	}
	s := m.screens[m.active]
	if s.Capturing() {
		return s.Update(k)
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Help):
		m.help.ShowAll = !m.help.ShowAll
		return nil
	case key.Matches(k, m.keys.Next):
		return m.show((m.active+1)%numScreens, nil)
	case key.Matches(k, m.keys.Prev):
		return m.show((m.active+numScreens-1)%numScreens, nil)
	case key.Matches(k, m.keys.Jump):
		return m.show(screenID(k.String()[0]-'1'), nil)
	case key.Matches(k, m.keys.Reload):
		return tea.Batch(s.Init(), m.refreshStatus())
	}
	return s.Update(k)
}

func (m *Model) quit() tea.Cmd {
	m.cancel()
	return tea.Quit
}

// event turns a node event into the typed message screens understand.
func (m *Model) event(ev client.Event) tea.Cmd {
	switch ev.Type {
	case client.EventTask:
		t, ok := decodeData[client.Task](ev.Data)
		if !ok {
			return nil
		}
		return m.broadcast(taskMsg{task: t})
	case client.EventPeerConnected, client.EventPeerDisconnected:
		p, ok := decodeData[client.PeerInfo](ev.Data)
		if !ok {
			return nil
		}
		m.peerChanged(ev.Type, p)
		return m.broadcast(peerMsg{kind: ev.Type, peer: p})
	}
	return nil
}

func (m *Model) peerChanged(kind string, p client.PeerInfo) {
	if m.status == nil {
		return
	}
	st := *m.status
	peers := make([]client.PeerInfo, 0, len(st.Peers)+1)
	for _, q := range st.Peers {
		if q.Address != p.Address {
			peers = append(peers, q)
		}
	}
	if kind == client.EventPeerConnected {
		peers = append(peers, p)
	}
	st.Peers = peers
	m.status = &st
}

// View implements tea.Model.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "dsp"
	return v
}

// Render returns the screen's text (View's content).
func (m *Model) Render() string {
	w, h := max(20, m.width), max(6, m.height)
	var helpView string
	if m.first != nil {
		helpView = m.help.View(combinedKeys{m.first.KeyMap(), KeyMap{Quit: bind("ctrl+c", "quit", "ctrl+c")}})
	} else {
		helpView = m.help.View(combinedKeys{m.screens[m.active].KeyMap(), m.keys})
	}
	helpLines := strings.Count(helpView, "\n") + 1
	bodyH := max(1, h-2-helpLines)
	var body string
	switch {
	case m.first != nil:
		body = m.first.View(w, bodyH)
	case !m.ready:
		body = m.styles.Muted.Render("Connecting to the node…")
	default:
		body = m.screens[m.active].View(w, bodyH)
	}
	return m.tabBar(w) + "\n" + fit(body, w, bodyH) + "\n" + fit(helpView, w, helpLines) + "\n" + m.statusBar(w)
}

func (m *Model) tabBar(w int) string {
	st := &m.styles
	brand := st.Brand.Render("dsp") + "  "
	if m.first != nil {
		return brand + st.TabActive.Render("Welcome")
	}
	var full strings.Builder
	full.WriteString(brand)
	for i := screenID(0); i < numScreens; i++ {
		label := fmt.Sprintf("%d %s", i+1, i)
		if i == m.active {
			full.WriteString(st.TabActive.Render(label))
		} else {
			full.WriteString(st.TabInactive.Render(label))
		}
		full.WriteString(" ")
	}
	if ansi.StringWidth(full.String()) <= w {
		return full.String()
	}
	// Narrow: numbers only, the active screen named.
	var short strings.Builder
	short.WriteString(brand)
	for i := screenID(0); i < numScreens; i++ {
		if i == m.active {
			short.WriteString(st.TabActive.Render(fmt.Sprintf("%d %s", i+1, i)))
		} else {
			short.WriteString(st.TabInactive.Render(fmt.Sprint(int(i) + 1)))
		}
		short.WriteString(" ")
	}
	return short.String()
}

func (m *Model) statusBar(w int) string {
	st := &m.styles
	ind := st.Offline.Render(" ○ offline ")
	if m.live {
		ind = st.Live.Render(" ● live ")
	}
	var parts []string
	if m.status != nil {
		aw := 0
		if w < 100 {
			aw = 13
		}
		parts = append(parts, "node "+shortAddr(m.status.Address, aw), fmt.Sprintf("peers %d", len(m.status.Peers)))
	}
	if m.ledger != nil {
		parts = append(parts, fmt.Sprintf("height %d", m.ledger.Height))
	}
	left := ind + st.StatusBar.Render(" "+strings.Join(parts, " │ ")+" ")
	rest := w - ansi.StringWidth(left)
	right := ""
	if m.notice != "" && rest > 4 {
		style := st.StatusBar
		if m.noticeErr {
			style = st.Error.Background(st.StatusBar.GetBackground())
		}
		right = style.Render(padLeft(m.notice+" ", rest))
	} else if rest > 0 {
		right = st.StatusBar.Render(strings.Repeat(" ", rest))
	}
	return ansi.Truncate(left+right, w, "")
}
