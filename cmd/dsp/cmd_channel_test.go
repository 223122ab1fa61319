package main

import (
	"encoding/hex"
	"strings"
	"testing"

	"dsp/node/client"
)

func TestChannelBadInput(t *testing.T) {
	dir := t.TempDir() // checks happen before the node is asked
	wantErr(t, 1, 40010, "channel", "open", "zz", "100", "--data", dir)
	wantErr(t, 1, 40010, "channel", "open", "0102", "100", "--data", dir)
	wantErr(t, 2, 40002, "channel", "deposit", "abc", "5", "--data", dir)
	wantErr(t, 2, 40002, "channel", "deposit", strings.Repeat("ab", 32), "0", "--data", dir)
	wantErr(t, 2, 40002, "channel", "close", "nope", "--data", dir)
	wantErr(t, 2, 40002, "channel", "settle", "nope", "--data", dir)
	wantErr(t, 2, 40002, "channel", "close", "--cooperative", "nope", "--data", dir)
	wantErr(t, 2, 40002, "channel", "close", "--peer", "kcp://127.0.0.1:1", strings.Repeat("ab", 32), "--data", dir)
	wantErr(t, 1, 40003, "earnings", "--data", dir)
}

// TestChannelOnDevnet: open a channel to an FS node of the shared devnet, see it listed, top it up,
// close it (settling before the challenge period ends is refused) and read the earnings.
func TestChannelOnDevnet(t *testing.T) {
	d := sharedDevnet(t)
	fsKey := hex.EncodeToString(d.FS[0].Key().Public().Bytes())
	var l client.ChannelList
	cliJSON(t, &l, "channel", "list")
	if l.Address != d.ClientNode.Key().Address() || l.Key == "" {
		t.Fatalf("list %+v", l)
	}
	var ch client.Channel
	cliJSON(t, &ch, "channel", "open", fsKey, "5000")
	if ch.ID == "" || ch.Partner != d.FS[0].Key().Address() || ch.Deposit != 5000 || ch.State != "open" || !ch.Opener {
		t.Fatalf("opened %+v", ch)
	}
	var tx client.TxResult
	cliJSON(t, &tx, "channel", "deposit", ch.ID, "700")
	find := func() client.Channel {
		t.Helper()
		var l client.ChannelList
		cliJSON(t, &l, "channel", "list")
		for _, c := range l.Channels {
			if c.ID == ch.ID {
				return c
			}
		}
		t.Fatalf("channel %s not listed: %+v", ch.ID, l)
		return client.Channel{}
	}
	if got := find(); got.Deposit != 5700 || got.Available != 5700 {
		t.Fatalf("after deposit %+v", got)
	}
	cliJSON(t, &tx, "channel", "close", ch.ID)
	if got := find(); got.State != "closing" || got.SettleHeight <= tx.Height {
		t.Fatalf("after close %+v (close at %d)", got, tx.Height)
	}
	wantErr(t, 1, 50030, "channel", "settle", ch.ID, "--data", devnetDir)
	var e client.Earnings
	cliJSON(t, &e, "earnings")
	if e.Total != 0 || e.Peers == nil {
		t.Fatalf("earnings %+v", e)
	}
	out, _, code := runCLI(t, "channel", "list", "--data", devnetDir)
	if code != 0 || !strings.Contains(out, ch.ID) || !strings.Contains(out, "closing") {
		t.Fatalf("text list: exit %d\n%s", code, out)
	}
}

// TestChannelCoopCloseOnDevnet: open a channel to an FS node of the shared devnet, pay nothing on
// it and close it cooperatively: the FS node's node signs over the network, the channel is
// settled at once and the whole deposit comes back; a second close is refused.
func TestChannelCoopCloseOnDevnet(t *testing.T) {
	d := sharedDevnet(t)
	fsKey := hex.EncodeToString(d.FS[1].Key().Public().Bytes())
	var ch client.Channel
	cliJSON(t, &ch, "channel", "open", fsKey, "3000")
	var r client.CoopCloseResult
	cliJSON(t, &r, "channel", "close", "--cooperative", ch.ID)
	if r.Paid != 3000 || r.PartnerPaid != 0 || r.Hash == "" {
		t.Fatalf("cooperative close %+v", r)
	}
	var l client.ChannelList
	cliJSON(t, &l, "channel", "list")
	found := false
	for _, c := range l.Channels {
		if c.ID == ch.ID {
			found = true
			if c.State != "settled" || c.PaidOut != 3000 {
				t.Fatalf("after the close %+v", c)
			}
		}
	}
	if !found {
		t.Fatalf("channel %s not listed", ch.ID)
	}
	wantErr(t, 1, 50030, "channel", "close", "--cooperative", ch.ID, "--data", devnetDir)
	_, errOut, code := runCLI(t, "channel", "close", "--cooperative", ch.ID, "--data", devnetDir)
	if code != 1 || !strings.Contains(errOut, "settled") {
		t.Fatalf("text output of a refused close: exit %d\n%s", code, errOut)
	}
}
