package channel

import (
	"context"
	"errors"
	"testing"

	"dsp/ledger"
	"dsp/status"
)

// TestOnTheLedger: a channel opened on a real ledger; the downloader pays five flights off the
// ledger; then, cheating, it closes with its first proof. The holder overrides it with the
// newest proof from its store (reopened as after a crash) within the challenge period; settling
// early is refused; settlement pays the holder by the newest proof and returns the rest.
func TestOnTheLedger(t *testing.T) {
	alice, bob := genKey(t), genKey(t)
	c := newChain(t, 4, alice, bob)
	tx, _ := ledger.NewTx(alice, c.g.ChainID, 0, 0, &ledger.OpenChannel{})
	id := ledger.ChannelIDOf(c.g.ChainID, alice.Address(), tx.Nonce)
	c.must(alice, &ledger.OpenChannel{PartnerKey: bob.Public().Bytes(), Deposit: 5000})
	ch := c.channel(id)

	ps, qs := openStore(t, ""), openStore(t, "")
	payer, err := ps.Payer(c.g.ChainID, ch, alice)
	if err != nil {
		t.Fatal(err)
	}
	payee, err := qs.Payee(c.g.ChainID, ch, bob.Address())
	if err != nil {
		t.Fatal(err)
	}
	var first BalanceProof
	for i := 0; i < 5; i++ {
		qs.Charge(alice.Address(), 300) // a flight of blocks served
		p, err := payer.Pay(300)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = p
		}
		if _, err := payee.AcceptFor([]byte("file"), p); err != nil {
			t.Fatal(err)
		}
	}
	bobDisk := crashCopy(t, qs)

	c.must(alice, &ledger.CloseChannel{ChannelID: id, Proofs: []BalanceProof{first}})
	if got := c.channel(id); got.State != ledger.ChannelClosing || got.TransferredA != 300 {
		t.Fatalf("closed %+v", got)
	}
	if _, err := payer.Pay(1); err != nil { // the payer has not learnt of the close yet
		t.Fatal(err)
	}
	if err := payer.Update(c.channel(id)); err != nil {
		t.Fatal(err)
	}
	if _, err := payer.Pay(1); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("pay after close: %v", err)
	}
	if _, err := c.do(bob, &ledger.SettleChannel{ChannelID: id}); !errors.Is(err, ledger.ErrChannelState) {
		t.Fatalf("settle in the challenge period: %v", err)
	}
	qs2 := openStore(t, bobDisk)
	newest, ok, err := qs2.Received(id)
	if err != nil || !ok || newest.Nonce != 5 {
		t.Fatalf("holder's stored proof %+v %v %v", newest, ok, err)
	}
	c.must(bob, &ledger.UpdateChannel{ChannelID: id, Proofs: []BalanceProof{newest}})
	if _, err := c.do(alice, &ledger.UpdateChannel{ChannelID: id, Proofs: []BalanceProof{first}}); status.CodeOf(err, 0) != status.TaskPayUnpaidBlockFailed.Num() {
		t.Fatalf("old proof after the newer: %v", err)
	}
	for c.channel(id).SettleHeight > c.height() {
		c.produce(1)
	}
	a0, b0 := c.balance(alice), c.balance(bob)
	c.must(bob, &ledger.SettleChannel{ChannelID: id})
	if c.balance(bob) != b0+1500 || c.balance(alice) != a0+3500 {
		t.Fatalf("settled: bob +%d, alice +%d", c.balance(bob)-b0, c.balance(alice)-a0)
	}
	if e, _ := qs2.EarnedFor([]byte("file")); e != 1500 {
		t.Fatalf("holder's earnings %d", e)
	}
}

// TestCoopCloseFromStores: both sides sign the balances their stores imply and the ledger
// settles at once.
func TestCoopCloseFromStores(t *testing.T) {
	alice, bob := genKey(t), genKey(t)
	c := newChain(t, 4, alice, bob)
	id := ledger.ChannelIDOf(c.g.ChainID, alice.Address(), 0)
	c.must(alice, &ledger.OpenChannel{PartnerKey: bob.Public().Bytes(), Deposit: 800})
	ch := c.channel(id)
	ps, qs := openStore(t, ""), openStore(t, "")
	payer, _ := ps.Payer(c.g.ChainID, ch, alice)
	payee, _ := qs.Payee(c.g.ChainID, ch, bob.Address())
	for i := 0; i < 3; i++ {
		p, _ := payer.Pay(50)
		if _, err := payee.Accept(p); err != nil {
			t.Fatal(err)
		}
	}
	ba, bb := ch.Payout(payee.Latest().Transferred, 0)
	msg := ledger.CoopCloseMessage(c.g.ChainID, id, ba, bb)
	sa, _ := alice.Sign(msg)
	sb, _ := bob.Sign(msg)
	b0 := c.balance(bob)
	c.must(bob, &ledger.CoopCloseChannel{ChannelID: id, BalanceA: ba, BalanceB: bb, SigA: sa, SigB: sb})
	if got := c.channel(id); got.State != ledger.ChannelSettled || c.balance(bob) != b0+150 {
		t.Fatalf("coop close: %+v, bob +%d", got, c.balance(bob)-b0)
	}
}

func (c *chain) height() uint64 {
	c.t.Helper()
	h, err := c.l.Height(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return h
}
