package tui

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// The Accounts screen's payment channels and earnings (docs/channels.md): the channels of the
// node's account with what was paid and received on each, what the node earned serving blocks,
// and the actions open, deposit, close (unilateral) and settle.

// Channel states as the node reports them.
const (
	channelOpen    = "open"
	channelClosing = "closing"
	channelSettled = "settled"
)

// channelsKeyMap is the keys of the Accounts screen's channel pane.
type channelsKeyMap struct {
	Focus   key.Binding // between the accounts and the channels
	Open    key.Binding
	Deposit key.Binding
	Close   key.Binding
	Settle  key.Binding
	Copy    key.Binding
	Confirm key.Binding
	Abort   key.Binding
}

func newChannelsKeyMap() channelsKeyMap {
	return channelsKeyMap{
		Focus:   bind("c", "channels", "c"),
		Open:    bind("o", "open channel", "o"),
		Deposit: bind("+", "deposit", "+", "="),
		Close:   bind("x", "close", "x"),
		Settle:  bind("s", "settle", "s"),
		Copy:    bind("y", "copy id", "y"),
		Confirm: bind("y", "close it", "y"),
		Abort:   bind("n/esc", "keep open", "n", "esc"),
	}
}

// channelsHelp is the channel pane's help: the keys that apply to the selected channel.
type channelsHelp struct {
	k          channelsKeyMap
	up, down   key.Binding
	ch         *client.Channel
	settleable bool
}

// ShortHelp implements help.KeyMap.
func (h channelsHelp) ShortHelp() []key.Binding {
	focus := h.k.Focus
	focus.SetHelp("c", "accounts")
	out := []key.Binding{h.k.Open}
	if h.ch != nil && h.ch.State == channelOpen {
		out = append(out, h.k.Deposit, h.k.Close)
	}
	if h.settleable {
		out = append(out, h.k.Settle)
	}
	if h.ch != nil {
		out = append(out, h.k.Copy)
	}
	return append(out, focus)
}

// FullHelp implements help.KeyMap.
func (h channelsHelp) FullHelp() [][]key.Binding {
	focus := h.k.Focus
	focus.SetHelp("c", "accounts")
	return [][]key.Binding{{h.up, h.down, focus}, {h.k.Open, h.k.Deposit, h.k.Close}, {h.k.Settle, h.k.Copy}}
}

// channelData is one load of the channel pane: the node's channels, its earnings and the ledger
// height (for the settle deadline). earnErr is set when only the earnings failed.
type channelData struct {
	list     *client.ChannelList
	earnings *client.Earnings
	earnErr  error
	height   uint64
}

// chanPane is the channel pane's state inside the Accounts screen.
type chanPane struct {
	data     channelData
	loaded   bool
	err      string // the channels could not be loaded (e.g. NO_DSP on a node without a store)
	loadID   uint64
	loading  bool
	loadedAt time.Time
	cursor   int
	top      int
	confirm  string // id of the channel whose close awaits y/n
}

// selected returns the channel under the cursor.
func (p *chanPane) selected() (client.Channel, bool) {
	if p.data.list == nil || p.cursor < 0 || p.cursor >= len(p.data.list.Channels) {
		return client.Channel{}, false
	}
	return p.data.list.Channels[p.cursor], true
}

// settleable reports whether ch may be settled at the known height (0: unknown, the node decides).
func (p *chanPane) settleable(ch client.Channel) bool {
	return ch.State == channelClosing && (p.data.height == 0 || p.data.height >= ch.SettleHeight)
}

// loadChannels asks for the channels, the earnings and the height in one command.
func (a *accounts) loadChannels() tea.Cmd {
	a.ch.loadID, a.ch.loading = a.env.nextID(), true
	return call(a.env, a.ch.loadID, func(ctx context.Context, c Client) (channelData, error) {
		list, err := c.Channels(ctx)
		if err != nil {
			return channelData{}, err
		}
		d := channelData{list: list}
		d.earnings, d.earnErr = c.Earnings(ctx)
		if li, err := c.LedgerInfo(ctx); err == nil {
			d.height = li.Height
		}
		return d, nil
	})
}

// channelsLoaded takes a load of the pane. A reload that finds a channel in another state (the
// node settles closing channels by itself) reloads the balances too and drops the last message,
// which spoke of the old state.
func (a *accounts) channelsLoaded(msg resultMsg[channelData]) tea.Cmd {
	p := &a.ch
	p.loading = false
	if msg.err != nil {
		p.err, p.loaded = errText(msg.err), false
		return nil
	}
	keep := ""
	if sel, ok := p.selected(); ok {
		keep = sel.ID
	}
	changed := p.loaded && !sameStates(p.data.list.Channels, msg.val.list.Channels)
	p.err, p.data, p.loaded, p.loadedAt = "", msg.val, true, a.env.opts.Now()
	chans := p.data.list.Channels
	if i := slices.IndexFunc(chans, func(c client.Channel) bool { return c.ID == keep }); i >= 0 {
		p.cursor = i
	}
	p.cursor = max(0, min(p.cursor, len(chans)-1))
	if !changed || a.actionID != 0 {
		return nil
	}
	a.err, a.info = "", ""
	a.loadID, a.loading = a.env.nextID(), true
	return call(a.env, a.loadID, func(ctx context.Context, c Client) ([]client.Account, error) { return c.Accounts(ctx) })
}

// sameStates reports whether x and y list the same channels in the same states.
func sameStates(x, y []client.Channel) bool {
	return slices.EqualFunc(x, y, func(a, b client.Channel) bool { return a.ID == b.ID && a.State == b.State })
}

// heightChanged keeps the settle deadlines current and reloads the channels while one is
// closing (the node settles it by itself once allowed) or when the last load is 10 s old.
func (a *accounts) heightChanged(h uint64) tea.Cmd {
	p := &a.ch
	if !p.loaded || p.loading || h == p.data.height {
		return nil
	}
	p.data.height = h
	closing := slices.ContainsFunc(p.data.list.Channels, func(c client.Channel) bool { return c.State == channelClosing })
	if closing || a.env.opts.Now().Sub(p.loadedAt) >= 10*time.Second {
		return a.loadChannels()
	}
	return nil
}

// channelKey handles a key while the channel pane has the focus.
func (a *accounts) channelKey(k tea.KeyPressMsg) tea.Cmd {
	p := &a.ch
	n := 0
	if p.data.list != nil {
		n = len(p.data.list.Channels)
	}
	switch {
	case key.Matches(k, a.keys.Up):
		p.cursor = max(0, p.cursor-1)
		return nil
	case key.Matches(k, a.keys.Down):
		p.cursor = max(0, min(n-1, p.cursor+1))
		return nil
	}
	sel, ok := p.selected()
	if !ok || a.actionID != 0 {
		return nil
	}
	short := shortMiddle(sel.ID, 13)
	switch {
	case key.Matches(k, a.ckeys.Deposit):
		if sel.State != channelOpen {
			a.info, a.err = "", fmt.Sprintf("Channel %s is %s: deposits go to open channels only", short, sel.State)
			return nil
		}
		a.mode = "deposit"
		a.form = newForm(a.env.st, fmt.Sprintf("Deposit to channel %s with %s", short, shortAddr(sel.Partner, 13)),
			fieldSpec{label: "Amount", placeholder: fmt.Sprintf("added to your deposit of %d", sel.Deposit)})
	case key.Matches(k, a.ckeys.Close):
		if sel.State != channelOpen {
			a.info, a.err = "", fmt.Sprintf("Channel %s is already %s", short, sel.State)
			return nil
		}
		p.confirm = sel.ID
	case key.Matches(k, a.ckeys.Settle):
		return a.settle(sel)
	case key.Matches(k, a.ckeys.Copy):
		a.err, a.info = "", "Copied channel id "+sel.ID
		return tea.Batch(tea.SetClipboard(sel.ID), notice("Copied channel id "+short, false))
	}
	return nil
}

// settle pays out sel when its challenge period is over, else says when it will be.
func (a *accounts) settle(sel client.Channel) tea.Cmd {
	short := shortMiddle(sel.ID, 13)
	switch {
	case sel.State == channelOpen:
		a.info, a.err = "", fmt.Sprintf("Channel %s is open: close it first (x), then settle after the challenge period", short)
		return nil
	case sel.State != channelClosing:
		a.info, a.err = "", fmt.Sprintf("Channel %s is already %s", short, sel.State)
		return nil
	case !a.ch.settleable(sel):
		a.info, a.err = "", fmt.Sprintf("Channel %s settles from height %d: %d blocks to go",
			short, sel.SettleHeight, sel.SettleHeight-a.ch.data.height)
		return nil
	}
	id := sel.ID
	return a.channelAction("Settling the channel…", func(ctx context.Context, c Client) (string, error) {
		r, err := c.SettleChannel(ctx, id)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Channel %s settled in block %d", short, r.Height), nil
	})
}

// confirmKey answers the close question.
func (a *accounts) confirmKey(k tea.KeyPressMsg) tea.Cmd {
	id := a.ch.confirm
	a.ch.confirm = ""
	if !key.Matches(k, a.ckeys.Confirm) {
		return nil
	}
	short := shortMiddle(id, 13)
	return a.channelAction("Closing the channel…", func(ctx context.Context, c Client) (string, error) {
		r, err := c.CloseChannel(ctx, id)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Channel %s closing since block %d", short, r.Height), nil
	})
}

// chanDone is a channel action's success text.
type chanDone struct{ text string }

// channelAction runs f as the screen's action, with the spinner saying what it waits for.
func (a *accounts) channelAction(working string, f func(ctx context.Context, c Client) (string, error)) tea.Cmd {
	a.actionID, a.working, a.err, a.info = a.env.nextID(), working, "", ""
	return tea.Batch(call(a.env, a.actionID, func(ctx context.Context, c Client) (chanDone, error) {
		text, err := f(ctx, c)
		return chanDone{text: text}, err
	}), a.spin.Tick)
}

// openForm starts the open-channel form.
func (a *accounts) openForm() {
	title, bal := "Open a payment channel", "locked from the active account's balance"
	if act, ok := a.activeAccount(); ok {
		title += " from " + act.Label
		bal = fmt.Sprintf("locked from the balance (%d)", act.Balance)
	}
	a.mode = "open"
	a.form = newForm(a.env.st, title,
		fieldSpec{label: "Partner", placeholder: "hex key (its Accounts screen shows it) or a wallet account"},
		fieldSpec{label: "Deposit", placeholder: bal})
}

// activeAccount is the account the node runs as.
func (a *accounts) activeAccount() (client.Account, bool) {
	i := slices.IndexFunc(a.list, func(x client.Account) bool { return x.Active })
	if i < 0 {
		return client.Account{}, false
	}
	return a.list[i], true
}

// partnerKey resolves the open form's partner: a hex public key (what a node's Accounts screen
// shows as its key), the address or label of another account of this wallet, whose key the
// wallet knows, or the address of a connected peer, whose key its handshake proved. It refuses what the node would (INVALID_WALLET_ADDRESS for a key that does not
// parse, PREPARE_CHANNEL_ERROR for a channel with oneself) and says what to enter instead of an
// address it cannot turn into a key.
func (a *accounts) partnerKey(in, own string) (string, error) {
	if in == "" {
		return "", status.New(status.InvalidWalletAddress, "enter the partner's public key (hex), or the address or label of a wallet account")
	}
	if i := slices.IndexFunc(a.list, func(x client.Account) bool { return x.Label == in || x.Address.String() == in }); i >= 0 {
		acct := a.list[i]
		if acct.Active {
			return "", status.New(status.TaskPrepareChannelError, "%s is the account the node runs as: a channel needs another account", acct.Label)
		}
		return walletKey(acct)
	}
	if addr, err := keys.ParseAddress(in); err == nil {
		if i := slices.IndexFunc(a.peers, func(p client.PeerInfo) bool { return p.Address == addr && p.Key != "" }); i >= 0 {
			return a.peers[i].Key, nil
		}
		return "", status.New(status.InvalidWalletAddress,
			"%s is neither an account of this wallet nor a connected peer: a channel to it needs its public key (hex), which its node's Accounts screen shows as \"key\"", shortMiddle(in, 15))
	}
	b, err := hex.DecodeString(in)
	if err != nil {
		return "", status.New(status.InvalidWalletAddress, "partner key is not hex: %v", err)
	}
	if _, err := keys.ParsePublicKey(b); err != nil {
		return "", status.Wrap(status.InvalidWalletAddress, err, "partner key")
	}
	key := hex.EncodeToString(b)
	if key == strings.ToLower(own) {
		return "", status.New(status.TaskPrepareChannelError, "that is this account's own key: a channel needs another account")
	}
	return key, nil
}

// walletKey is the partner key (hex keys.PublicKey.Bytes) of a wallet account: its scheme byte
// and its public key.
func walletKey(acct client.Account) (string, error) {
	scheme, err := keys.ParseScheme(acct.Scheme)
	if err != nil {
		return "", status.Wrap(status.InvalidWalletAddress, err, "account %s", acct.Label)
	}
	raw, err := hex.DecodeString(acct.PublicKey)
	if err != nil {
		return "", status.Wrap(status.InvalidWalletAddress, err, "public key of account %s", acct.Label)
	}
	pk := keys.PublicKey{Scheme: scheme, Key: raw}
	if err := pk.Validate(); err != nil {
		return "", status.Wrap(status.InvalidWalletAddress, err, "public key of account %s", acct.Label)
	}
	return hex.EncodeToString(pk.Bytes()), nil
}

// parseAmount reads a positive whole amount.
func parseAmount(s, what string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("the %s must be a positive whole number (the ledger's smallest unit), not %q", what, s)
	}
	return v, nil
}

// submitChannel submits the open or deposit form.
func (a *accounts) submitChannel() tea.Cmd {
	f := a.form
	switch a.mode {
	case "open":
		own := ""
		if a.ch.data.list != nil {
			own = a.ch.data.list.Key
		}
		partner, err := a.partnerKey(f.value(0), own)
		if err != nil {
			f.err = errText(err)
			return nil
		}
		deposit, err := parseAmount(f.value(1), "deposit")
		if err != nil {
			f.err = err.Error()
			return nil
		}
		req := client.OpenChannelRequest{PartnerKey: partner, Deposit: deposit}
		return a.channelAction("Opening the channel: waiting for its block…", func(ctx context.Context, c Client) (string, error) {
			ch, err := c.OpenChannel(ctx, req)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Channel %s to %s open, %d deposited", shortMiddle(ch.ID, 13), shortAddr(ch.Partner, 13), ch.Deposit), nil
		})
	case "deposit":
		sel, ok := a.ch.selected()
		if !ok {
			return nil
		}
		amount, err := parseAmount(f.value(0), "amount")
		if err != nil {
			f.err = err.Error()
			return nil
		}
		id, short := sel.ID, shortMiddle(sel.ID, 13)
		return a.channelAction("Depositing: waiting for the block…", func(ctx context.Context, c Client) (string, error) {
			r, err := c.DepositChannel(ctx, id, amount)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Deposited %d to channel %s in block %d", amount, short, r.Height), nil
		})
	}
	return nil
}

var channelColumns = []column{
	{title: "Partner", width: 0},
	{title: "State", width: 24},
	{title: "Deposit", width: 9, right: true},
	{title: "Paid", width: 9, right: true},
	{title: "Received", width: 9, right: true, min: 70},
	{title: "Available", width: 9, right: true, min: 100},
	{title: "Channel", width: 14, min: 110},
}

// channelState is the State cell: open, closing with its deadline, settled with the payout.
func (p *chanPane) channelState(st *Styles, ch client.Channel) string {
	switch ch.State {
	case channelOpen:
		return st.Success.Render("open")
	case channelClosing:
		if p.data.height > 0 && p.data.height >= ch.SettleHeight {
			return st.Warning.Render("closing: settle now")
		}
		return st.Warning.Render(fmt.Sprintf("closing until %d", ch.SettleHeight))
	case channelSettled:
		return st.Muted.Render(fmt.Sprintf("settled, paid out %d", ch.PaidOut))
	}
	return ch.State
}

// channelsTitle is the pane's first line: whose channels, the key partners open channels to, the
// price.
func (a *accounts) channelsTitle(w int) string {
	st := a.env.st
	p := &a.ch
	who := ""
	if act, ok := a.activeAccount(); ok {
		who = " of " + act.Label
	}
	title := st.Title.Render("Channels" + who)
	if p.data.list == nil {
		return title
	}
	l := p.data.list
	keyW := 13
	if w >= 110 {
		keyW = 0
	}
	return title + st.Muted.Render(fmt.Sprintf("  %d · key %s · price %d per byte served", len(l.Channels), shortMiddle(l.Key, keyW), l.Price))
}

// channelRows renders the channel table's rows (at most rows) and, with the focus, the selected
// channel's detail line.
func (a *accounts) channelRows(w, rows int, focused bool) string {
	st := a.env.st
	p := &a.ch
	var b strings.Builder
	if p.err != "" {
		b.WriteString(st.Error.Render(p.err) + "\n")
		return b.String()
	}
	if !p.loaded {
		b.WriteString(st.Muted.Render("Loading…") + "\n")
		return b.String()
	}
	chans := p.data.list.Channels
	cols := visibleColumns(channelColumns, w-2)
	b.WriteString("  " + header(st, cols) + "\n")
	if len(chans) == 0 {
		b.WriteString(st.Muted.Render("  No channels yet: downloads from priced holders open them, o opens one.") + "\n")
		return b.String()
	}
	pw := 0
	for _, c := range cols {
		if c.title == "Partner" {
			pw = c.width
		}
	}
	p.top = window(p.cursor, p.top, rows, len(chans))
	for i := p.top; i < len(chans) && i < p.top+rows; i++ {
		ch := chans[i]
		line := row(cols, map[string]string{
			"Partner": shortAddr(ch.Partner, pw), "State": p.channelState(st, ch),
			"Deposit": strconv.FormatUint(ch.Deposit, 10), "Paid": strconv.FormatUint(ch.Sent, 10),
			"Received": strconv.FormatUint(ch.Received, 10), "Available": strconv.FormatUint(ch.Available, 10),
			"Channel": shortMiddle(ch.ID, 14),
		})
		b.WriteString(cursorRow(st, line, focused && i == p.cursor) + "\n")
	}
	if sel, ok := p.selected(); ok && focused {
		b.WriteString(st.Muted.Render(channelDetail(sel, w)) + "\n")
	}
	return b.String()
}

// channelDetail is the selected channel's detail line: as many of its parts as fit in w.
func channelDetail(ch client.Channel, w int) string {
	idW := 13
	if w >= 120 {
		idW = 0
	}
	by := "the partner"
	if ch.Opener {
		by = "you"
	}
	parts := []string{
		fmt.Sprintf("  %s opened by %s at %d", shortMiddle(ch.ID, idW), by, ch.OpenHeight),
	}
	switch ch.State {
	case channelClosing:
		parts = append(parts, fmt.Sprintf("settles from %d", ch.SettleHeight))
	case channelSettled:
		parts = append(parts, fmt.Sprintf("paid out %d", ch.PaidOut))
	}
	parts = append(parts,
		fmt.Sprintf("available %d", ch.Available),
		fmt.Sprintf("partner deposit %d", ch.PartnerDeposit),
		fmt.Sprintf("proofs %d sent, %d received", ch.SentNonce, ch.ReceivedNonce))
	line := parts[0]
	for _, p := range parts[1:] {
		if len(line)+3+len(p) > w {
			break
		}
		line += " · " + p
	}
	return line
}

// earningsView renders the earnings: the total, then one row per paying peer (at most rows) with
// what it paid per file.
func (a *accounts) earningsView(w, rows int) string {
	st := a.env.st
	p := &a.ch
	if !p.loaded {
		return ""
	}
	var b strings.Builder
	title := st.Title.Render("Earnings as a holder")
	e := p.data.earnings
	switch {
	case p.data.earnErr != nil:
		return title + "  " + st.Error.Render(errText(p.data.earnErr)) + "\n"
	case e == nil || len(e.Peers) == 0:
		return title + st.Muted.Render("  none yet") + "\n"
	}
	b.WriteString(title + st.Muted.Render(fmt.Sprintf("  total %d from %d peers, %d files", e.Total, len(e.Peers), len(e.Files))) + "\n")
	peerW := min(34, max(14, (w-2)/3))
	cols := visibleColumns([]column{{title: "Peer", width: peerW}, {title: "Earned", width: 10, right: true}, {title: "Files", width: 0}}, w-2)
	b.WriteString("  " + header(st, cols) + "\n")
	peers := slices.Clone(e.Peers)
	slices.SortStableFunc(peers, func(x, y client.PeerEarning) int { return cmpDesc(x.Amount, y.Amount) })
	for i, pe := range peers {
		if i == rows {
			break
		}
		if i == rows-1 && len(peers) > rows && rows > 1 {
			b.WriteString(st.Muted.Render(fmt.Sprintf("  … %d more peers", len(peers)-i)) + "\n")
			break
		}
		var files []string
		for _, f := range e.Files {
			if f.Peer == pe.Peer {
				files = append(files, fmt.Sprintf("%s %d", shortMiddle(f.FileHash, 11), f.Amount))
			}
		}
		b.WriteString("  " + row(cols, map[string]string{"Peer": shortAddr(pe.Peer, peerW),
			"Earned": strconv.FormatUint(pe.Amount, 10), "Files": strings.Join(files, ", ")}) + "\n")
	}
	return b.String()
}

// cmpDesc orders larger amounts first.
func cmpDesc(x, y uint64) int {
	switch {
	case x > y:
		return -1
	case x < y:
		return 1
	}
	return 0
}
