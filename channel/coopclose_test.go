package channel

import (
	"errors"
	"testing"

	"dsp/ledger"
	"dsp/status"
)

// TestCoopClose: payments both ways on a real ledger, one of alice's still in flight (signed and
// persisted, never delivered); alice offers the close at her terms, which pay bob for the proof
// he has not seen; bob refuses offers that pay him less than his proofs give him or that alice
// did not sign, accepts hers; both stores are frozen (no payment made or accepted, persisted
// across a crash); the ledger pays each side exactly the agreed balances.
func TestCoopClose(t *testing.T) {
	alice, bob := genKey(t), genKey(t)
	c := newChain(t, 4, alice, bob)
	tx, _ := ledger.NewTx(alice, c.g.ChainID, 0, 0, &ledger.OpenChannel{})
	id := ledger.ChannelIDOf(c.g.ChainID, alice.Address(), tx.Nonce)
	c.must(alice, &ledger.OpenChannel{PartnerKey: bob.Public().Bytes(), Deposit: 5000})
	c.must(bob, &ledger.DepositChannel{ChannelID: id, Amount: 1000})
	ch := c.channel(id)

	as, bs := openStore(t, ""), openStore(t, "")
	aPays, _ := as.Payer(c.g.ChainID, ch, alice)
	bGets, _ := bs.Payee(c.g.ChainID, ch, bob.Address())
	bPays, _ := bs.Payer(c.g.ChainID, ch, bob)
	aGets, _ := as.Payee(c.g.ChainID, ch, alice.Address())
	for _, amt := range []uint64{500, 700} {
		p, err := aPays.Pay(amt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bGets.Accept(p); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := bPays.Pay(200)
	if _, err := aGets.Accept(p); err != nil {
		t.Fatal(err)
	}
	if _, err := aPays.Pay(300); err != nil { // in flight: bob never sees it
		t.Fatal(err)
	}

	// alice: paid 1500, received 200; bob: received 1200, paid 200.
	if a, b, err := as.CloseTerms(ch, alice.Address()); err != nil || a != 3700 || b != 2300 {
		t.Fatalf("alice's terms %d %d %v", a, b, err)
	}
	if a, b, err := bs.CloseTerms(ch, bob.Address()); err != nil || a != 4000 || b != 2000 {
		t.Fatalf("bob's terms %d %d %v", a, b, err)
	}

	// Offers bob refuses, each leaving his store as it was.
	cheap := CoopClose{ChainID: c.g.ChainID, ChannelID: id, BalanceA: 4001, BalanceB: 1999}
	cheap.SigA, _ = alice.Sign(cheap.message())
	unsigned := CoopClose{ChainID: c.g.ChainID, ChannelID: id, BalanceA: 3700, BalanceB: 2300}
	unsigned.SigA, _ = bob.Sign(unsigned.message())
	short := CoopClose{ChainID: c.g.ChainID, ChannelID: id, BalanceA: 3700, BalanceB: 2200}
	short.SigA, _ = alice.Sign(short.message())
	other := CoopClose{ChainID: "other", ChannelID: id, BalanceA: 3700, BalanceB: 2300}
	other.SigA, _ = alice.Sign(other.message())
	for name, o := range map[string]CoopClose{"cheap": cheap, "unsigned": unsigned, "short": short, "other chain": other} {
		_, err := bs.AcceptClose(c.g.ChainID, ch, bob, o)
		if !errors.Is(err, ErrCloseTerms) || status.CodeOf(err, 0) != status.TaskPayUnpaidBlockFailed.Num() {
			t.Fatalf("%s offer: %v", name, err)
		}
		if name == "unsigned" && !errors.Is(err, ledger.ErrBadSignature) {
			t.Fatalf("unsigned offer: %v", err)
		}
	}
	if bs.Frozen(id) {
		t.Fatal("bob frozen by a refused offer")
	}

	offer, err := as.OfferClose(c.g.ChainID, ch, alice)
	if err != nil || offer.Complete() || offer.BalanceA != 3700 || offer.BalanceB != 2300 {
		t.Fatalf("offer %+v %v", offer, err)
	}
	if _, err := aPays.Pay(1); !errors.Is(err, ErrClosing) || status.CodeOf(err, 0) != status.TaskPrepareChannelError.Num() {
		t.Fatalf("alice pays after offering: %v", err)
	}
	if aPays.Available() != 0 {
		t.Fatalf("available after offering: %d", aPays.Available())
	}
	done, err := bs.AcceptClose(c.g.ChainID, ch, bob, offer)
	if err != nil || !done.Complete() {
		t.Fatalf("accept %+v %v", done, err)
	}
	if _, err := bGets.Accept(p); !errors.Is(err, ErrClosing) {
		t.Fatalf("bob accepts after signing: %v", err)
	}
	if _, err := bs.Payer(c.g.ChainID, ch, bob); !errors.Is(err, ErrClosing) {
		t.Fatalf("bob's payer after signing: %v", err)
	}
	full, err := as.Countersigned(ch, alice.Address(), done.SigB)
	if err != nil || !full.Complete() {
		t.Fatalf("countersigned %+v %v", full, err)
	}
	if _, err := as.Countersigned(ch, alice.Address(), done.SigA); !errors.Is(err, ledger.ErrBadSignature) {
		t.Fatalf("countersigned with alice's own signature: %v", err)
	}

	aliceDisk := crashCopy(t, as)
	as2 := openStore(t, aliceDisk)
	if held, ok, err := as2.Offer(id); err != nil || !ok || !as2.Frozen(id) || held.BalanceB != 2300 {
		t.Fatalf("after a crash: %+v %v %v frozen %v", held, ok, err, as2.Frozen(id))
	}
	if again, err := as2.OfferClose(c.g.ChainID, ch, alice); err != nil || !again.Complete() {
		t.Fatalf("offer again after a crash: %+v %v", again, err)
	}

	a0, b0 := c.balance(alice), c.balance(bob)
	c.must(bob, full.Tx())
	if got := c.channel(id); got.State != ledger.ChannelSettled || got.PaidA != 3700 || got.PaidB != 2300 {
		t.Fatalf("settled %+v", got)
	}
	if c.balance(alice) != a0+3700 || c.balance(bob) != b0+2300 {
		t.Fatalf("paid alice +%d, bob +%d", c.balance(alice)-a0, c.balance(bob)-b0)
	}
	if _, err := bs.AcceptClose(c.g.ChainID, c.channel(id), bob, offer); !errors.Is(err, ledger.ErrChannelState) {
		t.Fatalf("close a settled channel: %v", err)
	}
}
