package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
	"dsp/status"
	"dsp/tui/faketest"
)

// clear empties the focused form field.
func (d *driver) clear() {
	for range 140 {
		d.press("backspace")
	}
}

func fakeChannels(t *testing.T, c *faketest.Client) []client.Channel {
	t.Helper()
	l, err := c.Channels(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return l.Channels
}

func activeBalance(t *testing.T, c *faketest.Client) uint64 {
	t.Helper()
	b, err := c.Balance(t.Context(), faketest.Addr(0))
	if err != nil {
		t.Fatal(err)
	}
	return b.Balance
}

// The open form refuses what the node would refuse, saying what to enter: the address of a peer
// (not of this wallet) instead of its key, a key that does not parse, the account's own key or
// own account, a deposit that is not a positive number; a deposit above the balance comes back
// from the node with its code. A good key opens; so does another wallet account by label.
func TestChannelOpenForm(t *testing.T) {
	c := faketest.New()
	l, err := c.Channels(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	own := l.Key
	d := newDriver(t, c, 160, 40, Options{})
	d.contains("Channels of main", "4 · key "+own, "price 2 per byte served", "c channels")
	d.press("o")
	d.contains("Open a payment channel from main", "Partner", "locked from the balance (1000000)")

	d.typ(faketest.Addr(40).String())
	d.press("tab")
	d.typ("1000")
	d.press("enter")
	d.contains("error 40010 INVALID_WALLET_ADDRESS", "is neither an account of this wallet nor a connected peer: a channel to it needs its public key (hex)")

	d.press("shift+tab")
	d.clear()
	d.typ("zz12")
	d.press("ctrl+s")
	d.contains("error 40010 INVALID_WALLET_ADDRESS: partner key is not hex")
	d.clear()
	d.typ("0011")
	d.press("ctrl+s")
	d.contains("error 40010 INVALID_WALLET_ADDRESS: partner key: ")
	d.clear()
	d.typ(own)
	d.press("ctrl+s")
	d.contains("error 50030", "own key")
	d.clear()
	d.typ("main")
	d.press("ctrl+s")
	d.contains("error 50030", "main is the account the node runs as")
	d.clear()
	d.press("ctrl+s")
	d.contains("error 40010", "enter the partner's public key (hex), or the address or label of a wallet account")

	d.clear()
	d.typ(faketest.PeerKey(15))
	d.press("tab")
	d.clear()
	d.typ("ten")
	d.press("enter")
	d.contains(`the deposit must be a positive whole number (the ledger's smallest unit), not "ten"`)
	d.clear()
	d.typ("0")
	d.press("enter")
	d.contains(`not "0"`)
	d.clear()
	d.typ("5000000")
	d.press("enter")
	d.contains("error 40006 INSUFFICIENT_BALANCE", "Open a payment channel") // the form stays
	if n := len(fakeChannels(t, c)); n != 4 {
		t.Fatalf("refused opens made channels: %d", n)
	}

	d.clear()
	d.typ("1000")
	d.press("enter")
	d.lacks("Open a payment channel")
	d.contains("to "+shortAddr(faketest.Addr(15), 13)+" open, 1000 deposited", "5 · key", "999000")
	chans := fakeChannels(t, c)
	if last := chans[len(chans)-1]; len(chans) != 5 || last.Partner != faketest.Addr(15) || last.Deposit != 1000 || last.State != "open" {
		t.Fatalf("channels after open: %+v", chans)
	}
	if b := activeBalance(t, c); b != 999_000 {
		t.Fatalf("balance after a 1000 deposit: %d", b)
	}
	// esc leaves the form without opening anything.
	d.press("o", "esc")
	d.contains("Channels of main", "5 · key")

	// Another account of the wallet, by label: the wallet knows its key.
	d.press("o")
	d.typ("savings")
	d.press("tab")
	d.typ("250")
	d.press("enter")
	d.contains("to "+shortAddr(faketest.Addr(1), 13)+" open, 250 deposited", "6 · key")

	// A connected peer, by address: its handshake proved its key.
	d.press("o")
	d.typ(faketest.Addr(12).String())
	d.press("tab")
	d.typ("300")
	d.press("enter")
	d.contains("to "+shortAddr(faketest.Addr(12), 13)+" open, 300 deposited", "7 · key")
	if last := fakeChannels(t, c)[6]; last.Partner != faketest.Addr(12) || last.Deposit != 300 {
		t.Fatalf("channel to a connected peer: %+v", last)
	}
}

// Deposit, close (after y), settle: refused while the challenge period runs, offered and done
// once the height reaches the settle height; the balance gets the payout.
func TestChannelDepositCloseSettle(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 160, 40, Options{})
	d.press("c")
	d.contains("› "+faketest.Addr(11).String(), "o open channel • + deposit • x close • y copy id • c accounts")
	id := fakeChannels(t, c)[0].ID

	d.press("+")
	d.contains("Deposit to channel", "added to your deposit of 200000")
	d.typ("1e3")
	d.press("enter")
	d.contains(`the amount must be a positive whole number (the ledger's smallest unit), not "1e3"`)
	d.clear()
	d.typ("500")
	d.press("enter")
	d.contains("Deposited 500 to channel", "200500", "999500")
	if ch := fakeChannels(t, c)[0]; ch.Deposit != 200_500 || ch.Available != 184_100 {
		t.Fatalf("after deposit: %+v", ch)
	}

	d.press("x")
	d.contains("Close channel", "unilaterally? y/n", "y close it • n/esc keep open")
	d.press("n")
	d.lacks("unilaterally?")
	if ch := fakeChannels(t, c)[0]; ch.State != "open" {
		t.Fatalf("n closed the channel: %+v", ch)
	}
	d.press("x", "y")
	d.contains("closing since block 1202", "closing until 1262")
	if ch := fakeChannels(t, c)[0]; ch.State != "closing" || ch.SettleHeight != 1262 {
		t.Fatalf("after close: %+v", ch)
	}
	d.lacks("s settle") // not yet allowed
	d.press("s")
	d.contains("settles from height 1262: 60 blocks to go")
	d.press("+")
	d.contains("is closing: deposits go to open channels only")
	d.lacks("Deposit to channel")
	if got := c.Calls(); strings.Count(strings.Join(got, " "), "SettleChannel") != 0 {
		t.Fatalf("settle sent before its height: %v", got)
	}

	c.SetHeight(1262)
	d.send(heightMsg{height: 1262}) // what the status refresh hands the screens
	d.contains("closing: settle now", "s settle")
	before := activeBalance(t, c)
	d.press("s")
	d.contains("settled in block 1263", "settled, paid out 184100")
	if ch := fakeChannels(t, c)[0]; ch.ID != id || ch.State != "settled" || ch.PaidOut != 184_100 {
		t.Fatalf("after settle: %+v", ch)
	}
	if after := activeBalance(t, c); after != before+184_100 {
		t.Fatalf("balance %d after settle, want %d", after, before+184_100)
	}
	d.press("x")
	d.contains("is already settled")
	d.lacks("unilaterally?")

	// The pane's focus goes back to the accounts.
	d.press("c")
	d.contains("n new • i import")
}

// A node refusing a channel action shows its code; a node without channels (NO_DSP) still shows
// its accounts, and the channel keys say why nothing happens.
func TestChannelErrors(t *testing.T) {
	c := faketest.New()
	c.Fail("CloseChannel", status.New(status.TaskPrepareChannelError, "close: channel state"))
	d := newDriver(t, c, 160, 40, Options{})
	d.press("c", "x", "y")
	d.contains("error 50030 PREPARE_CHANNEL_ERROR: close: channel state", "open")

	none := faketest.New()
	none.Fail("Channels", status.New(status.NoDsp, "payment channels need a data directory"))
	d = newDriver(t, none, 80, 24, Options{})
	d.contains("main", "savings", "error 40003 NO_DSP: payment channels need a data directory")
	d.lacks("Earnings as a holder")
	d.press("c", "x", "s", "+")
	d.lacks("Close channel", "Deposit to channel")
	checkSize(t, d.screen(), 80, 24)

	earn := faketest.New()
	earn.Fail("Earnings", status.New(status.NoDsp, "no earnings"))
	d = newDriver(t, earn, 120, 40, Options{})
	d.contains("Channels of main", "Earnings as a holder  error 40003 NO_DSP: no earnings")
}

// The Transfers detail of a download shows what the task paid: each holder's price and amount
// and the total, as the task reports them (no channel is read for it); an upload shows none.
func TestTransfersDownloadPaid(t *testing.T) {
	c := faketest.New()
	files, _ := c.Files(t.Context())
	task, err := c.Download(t.Context(), client.DownloadRequest{Hash: files[0].Hash, Output: t.TempDir() + "/h.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, c, 120, 40, Options{StartScreen: ScreenTransfers})
	d.press("enter")
	d.contains("Task "+task.ID, "Paid      0 in all (1 of its 1 holders charge)", "Price       Paid Wrong")
	if err := c.Progress(task.ID, 1); err != nil {
		t.Fatal(err)
	}
	d.pump()
	held := files[0].Size * 1 / max(1, files[0].Blocks) // the holder's price is 1 per byte
	d.contains(fmt.Sprintf("Paid      %d in all", held), fmt.Sprintf("%6d %10d", 1, held))
	if err := c.Finish(task.ID); err != nil {
		t.Fatal(err)
	}
	d.pump()
	d.contains("Download complete", fmt.Sprintf("Paid      %d in all (1 of its 1 holders charge)", files[0].Size))
	// An upload's detail has no payments.
	d.press("down")
	d.lacks("Paid ", "Price")
	// The seeded download: a holder at 1 per byte and a free one.
	d.press("down")
	d.contains("Paid      16400 in all (1 of its 2 holders charge)", fmt.Sprintf("%6s %10d", "free", 0), fmt.Sprintf("%6d %10d", 1, 16_400))
	// 80 columns: the price column gives way, the amounts stay.
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	d.contains("Paid      16400 in all", "Paid Wrong")
	d.lacks("Price")
	if calls := strings.Join(c.Calls(), " "); strings.Contains(calls, "Channels") {
		t.Fatalf("the Transfers screen read the channels: %s", calls)
	}
}

// slowClose is the fake with a CloseChannel that waits for release, as one waiting for a block.
type slowClose struct {
	*faketest.Client
	release chan struct{}
}

func (s slowClose) CloseChannel(ctx context.Context, id string) (*client.TxResult, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Client.CloseChannel(ctx, id)
}

// While an action waits for its block the pane shows a spinner saying so and starts no other
// action; its result then lands.
func TestChannelActionInProgress(t *testing.T) {
	c := faketest.New()
	slow := slowClose{Client: c, release: make(chan struct{})}
	d := newDriverOver(t, slow, c, 120, 40, Options{})
	d.press("c", "x", "y")
	d.contains("Closing the channel…")
	d.press("+", "o")
	d.lacks("Deposit to channel", "Open a payment channel")
	close(slow.release)
	d.pump()
	d.contains("closing since block 1201", "closing until 1261")
	d.lacks("Closing the channel…")
}

// The node settles a closing channel by itself once allowed: the pane, reloading as the height
// moves, shows it settled and the balance with the payout.
func TestChannelSettledByNode(t *testing.T) {
	c := faketest.New()
	d := newDriver(t, c, 120, 40, Options{})
	d.contains("closing until 1230", "1000000")
	c.SetHeight(1230)
	if _, err := c.SettleChannel(t.Context(), fakeChannels(t, c)[2].ID); err != nil {
		t.Fatal(err)
	}
	d.send(heightMsg{height: 1231})
	d.contains("settled, paid out 8700", "1008700")
	d.lacks("closing until 1230")
}
