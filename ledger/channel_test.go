package ledger

import (
	"errors"
	"testing"

	"dsp/keys"
	"dsp/status"
)

// testChallenge is the fixtures' channel challenge period, in blocks.
const testChallenge = 12

// openChannel opens a channel from a to b with deposits da and db (b consents) and returns it.
func (f *fixture) openChannel(a, b *keys.KeyPair, da, db uint64) *Channel {
	f.t.Helper()
	tx := f.tx(a, &OpenChannel{})
	id := ChannelIDOf(f.g.ChainID, a.Address(), tx.Nonce)
	p := &OpenChannel{PartnerKey: b.Public().Bytes(), Deposit: da, PartnerDeposit: db}
	if db > 0 {
		p.PartnerSig, _ = b.Sign(OpenConsentMessage(f.g.ChainID, id, db))
	}
	r := f.ok(a, p)
	if r.Result != id.String() {
		f.t.Fatalf("open receipt names channel %q, want %s", r.Result, id)
	}
	c, err := f.api.Channel(f.ctx(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) proof(payer *keys.KeyPair, id Hash, nonce, amount uint64) BalanceProof {
	f.t.Helper()
	p, err := SignBalanceProof(payer, f.g.ChainID, id, nonce, amount)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) channel(id Hash) *Channel {
	f.t.Helper()
	c, err := f.api.Channel(f.ctx(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// testChannelCheatOverridden: Alice pays Bob off the ledger up to proof 10, then closes with her
// old proof 3; Bob overrides it in the challenge period and settlement pays by proof 10.
func testChannelCheatOverridden(t *testing.T, f *fixture) {
	a0, b0 := f.balance(f.alice), f.balance(f.bob)
	c := f.openChannel(f.alice, f.bob, 1000, 300)
	if c.A != f.alice.Address() || c.B != f.bob.Address() || c.DepositA != 1000 || c.DepositB != 300 || c.State != ChannelOpen {
		t.Fatalf("opened %+v", c)
	}
	if f.balance(f.alice) != a0-1000-1 || f.balance(f.bob) != b0-300 {
		t.Fatalf("deposits not locked: %d %d", f.balance(f.alice), f.balance(f.bob))
	}
	f.ok(f.bob, &DepositChannel{ChannelID: c.ID, Amount: 200}) // Bob tops up
	for _, k := range []*keys.KeyPair{f.alice, f.bob} {
		cs, err := f.api.Channels(f.ctx(), k.Address())
		if err != nil || len(cs) != 1 || cs[0].ID != c.ID || cs[0].DepositB != 500 {
			t.Fatalf("channels of %s: %+v %v", k.Address(), cs, err)
		}
	}
	old := f.proof(f.alice, c.ID, 3, 30)
	newest := f.proof(f.alice, c.ID, 10, 700)
	back := f.proof(f.bob, c.ID, 2, 50) // Bob paid Alice 50 too
	r := f.ok(f.alice, &CloseChannel{ChannelID: c.ID, Proofs: []BalanceProof{old, back}})
	c = f.channel(c.ID)
	if c.State != ChannelClosing || c.Closer != f.alice.Address() || c.SettleHeight != r.Height+testChallenge ||
		c.NonceA != 3 || c.TransferredA != 30 || c.NonceB != 2 || c.TransferredB != 50 {
		t.Fatalf("closing %+v", c)
	}
	// Settling inside the period is refused; so is a deposit, a second close, and replaying the
	// old proof or Bob's own.
	f.refused(f.alice, &SettleChannel{ChannelID: c.ID}, status.TaskPrepareChannelError, ErrChannelState)
	f.refused(f.alice, &DepositChannel{ChannelID: c.ID, Amount: 1}, status.TaskPrepareChannelError, ErrChannelState)
	f.refused(f.bob, &CloseChannel{ChannelID: c.ID}, status.TaskPrepareChannelError, ErrChannelState)
	f.refused(f.alice, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{old}}, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	f.refused(f.bob, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{back}}, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	// Bob overrides with the newest proof.
	f.ok(f.bob, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{newest}})
	c = f.channel(c.ID)
	if c.NonceA != 10 || c.TransferredA != 700 {
		t.Fatalf("after update %+v", c)
	}
	// Now the proof Alice closed with is older still: refused.
	f.refused(f.alice, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{old}}, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	for f.height()+1 < c.SettleHeight {
		f.produce(1)
	}
	// The block at SettleHeight no longer takes proofs, and settles.
	late := f.proof(f.alice, c.ID, 11, 800)
	f.refused(f.bob, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{late}}, status.TaskPrepareChannelError, ErrChannelState)
	a1, b1 := f.balance(f.alice), f.balance(f.bob)
	f.ok(f.bob, &SettleChannel{ChannelID: c.ID})
	c = f.channel(c.ID)
	// A: 1000 - 700 + 50 = 350; B: 500 + 700 - 50 = 1150.
	if c.State != ChannelSettled || c.PaidA != 350 || c.PaidB != 1150 {
		t.Fatalf("settled %+v", c)
	}
	if f.balance(f.alice) != a1+350 || f.balance(f.bob) != b1+1150-1 {
		t.Fatalf("payout: alice +%d bob +%d", f.balance(f.alice)-a1, f.balance(f.bob)-b1)
	}
	f.refused(f.bob, &SettleChannel{ChannelID: c.ID}, status.TaskPrepareChannelError, ErrChannelState)
	f.refused(f.alice, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{late}}, status.TaskPrepareChannelError, ErrChannelState)
}

func testChannelRefusals(t *testing.T, f *fixture) {
	c := f.openChannel(f.alice, f.bob, 1000, 0)
	good := f.proof(f.alice, c.ID, 1, 10)
	refuse := func(k *keys.KeyPair, p BalanceProof, code status.Code, sentinel error) {
		t.Helper()
		f.refused(k, &CloseChannel{ChannelID: c.ID, Proofs: []BalanceProof{p}}, code, sentinel)
	}
	// Forged: signed by a third party, a flipped signature byte, a changed amount.
	refuse(f.bob, f.proof(f.fs[0], c.ID, 1, 10), status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	flipped := good
	flipped.Signature = append([]byte(nil), good.Signature...)
	flipped.Signature[5] ^= 1
	refuse(f.bob, flipped, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	raised := good
	raised.Transferred = 999
	refuse(f.bob, raised, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	// Another chain's signature, another channel's proof, nonce 0.
	other, _ := SignBalanceProof(f.alice, "other-chain", c.ID, 1, 10)
	refuse(f.bob, other, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	c2 := f.openChannel(f.alice, f.bob, 10, 0)
	refuse(f.bob, f.proof(f.alice, c2.ID, 1, 10), status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	refuse(f.bob, f.proof(f.alice, c.ID, 0, 10), status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	// Two proofs of one direction in one close: the second is not newer.
	f.refused(f.bob, &CloseChannel{ChannelID: c.ID, Proofs: []BalanceProof{good, good}}, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	f.refused(f.bob, &CloseChannel{ChannelID: c.ID, Proofs: []BalanceProof{good, good, good}}, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	// Somebody else's channel; an unknown channel.
	f.refused(f.fs[0], &CloseChannel{ChannelID: c.ID, Proofs: []BalanceProof{good}}, status.TaskPrepareChannelError, ErrNotOwner)
	f.refused(f.fs[0], &DepositChannel{ChannelID: c.ID, Amount: 5}, status.TaskPrepareChannelError, ErrNotOwner)
	f.refused(f.fs[0], &SettleChannel{ChannelID: c.ID}, status.TaskPrepareChannelError, ErrNotOwner)
	f.refused(f.alice, &CloseChannel{ChannelID: Hash{1}}, status.TaskPrepareChannelError, ErrNotFound)
	if _, err := f.api.Channel(f.ctx(), Hash{1}); status.CodeOf(err, 0) != status.TaskPrepareChannelError.Num() || !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown channel query: %v", err)
	}
	// Opening: with oneself, no deposit, more than the balance, a partner deposit without (or
	// with a wrong) consent, a partner who cannot pay, a garbage key.
	f.refused(f.alice, &OpenChannel{PartnerKey: f.alice.Public().Bytes(), Deposit: 1}, status.TaskPrepareChannelError, ErrMalformed)
	f.refused(f.alice, &OpenChannel{PartnerKey: f.bob.Public().Bytes()}, status.TaskPrepareChannelError, ErrMalformed)
	f.refused(f.alice, &OpenChannel{PartnerKey: f.bob.Public().Bytes(), Deposit: 2 * funds}, status.InsufficientBalance, ErrInsufficient)
	f.refused(f.alice, &OpenChannel{PartnerKey: f.bob.Public().Bytes(), Deposit: 1, PartnerDeposit: 5}, status.TaskPrepareChannelError, ErrBadSignature)
	stale, _ := f.bob.Sign(OpenConsentMessage(f.g.ChainID, c.ID, 5)) // consent given for another channel
	f.refused(f.alice, &OpenChannel{PartnerKey: f.bob.Public().Bytes(), Deposit: 1, PartnerDeposit: 5, PartnerSig: stale}, status.TaskPrepareChannelError, ErrBadSignature)
	poor := genKey(t)
	tx := f.tx(f.alice, &OpenChannel{})
	sig, _ := poor.Sign(OpenConsentMessage(f.g.ChainID, ChannelIDOf(f.g.ChainID, f.alice.Address(), tx.Nonce), 5))
	f.refused(f.alice, &OpenChannel{PartnerKey: poor.Public().Bytes(), Deposit: 1, PartnerDeposit: 5, PartnerSig: sig}, status.InsufficientBalance, ErrInsufficient)
	f.refused(f.alice, &OpenChannel{PartnerKey: []byte{9, 9}, Deposit: 1}, status.InvalidWalletAddress, nil)
	// A settle of an open channel; a zero deposit.
	f.refused(f.alice, &SettleChannel{ChannelID: c.ID}, status.TaskPrepareChannelError, ErrChannelState)
	f.refused(f.alice, &DepositChannel{ChannelID: c.ID, Amount: 0}, status.TaskPrepareChannelError, ErrMalformed)
	// Nothing above changed the channel.
	if got := f.channel(c.ID); got.State != ChannelOpen || got.NonceA != 0 || got.DepositA != 1000 {
		t.Fatalf("channel changed by refused txs: %+v", got)
	}
	// Bob closes with the good proof; replaying it during the challenge is refused.
	f.ok(f.bob, &CloseChannel{ChannelID: c.ID, Proofs: []BalanceProof{good}})
	f.refused(f.bob, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{good}}, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	f.refused(f.bob, &UpdateChannel{ChannelID: c.ID}, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	// A newer nonce that lowers the amount is refused too.
	f.refused(f.bob, &UpdateChannel{ChannelID: c.ID, Proofs: []BalanceProof{f.proof(f.alice, c.ID, 2, 9)}}, status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
}

func testChannelCoopClose(t *testing.T, f *fixture) {
	c := f.openChannel(f.alice, f.bob, 600, 400)
	sign := func(k *keys.KeyPair, ba, bb uint64) []byte {
		s, _ := k.Sign(CoopCloseMessage(f.g.ChainID, c.ID, ba, bb))
		return s
	}
	// Sums that do not match the deposits; a signature missing or over other balances.
	f.refused(f.alice, &CoopCloseChannel{ChannelID: c.ID, BalanceA: 600, BalanceB: 500, SigA: sign(f.alice, 600, 500), SigB: sign(f.bob, 600, 500)},
		status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	f.refused(f.alice, &CoopCloseChannel{ChannelID: c.ID, BalanceA: 900, BalanceB: 100, SigA: sign(f.alice, 900, 100), SigB: sign(f.bob, 800, 200)},
		status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	f.refused(f.alice, &CoopCloseChannel{ChannelID: c.ID, BalanceA: 900, BalanceB: 100, SigA: sign(f.alice, 900, 100)},
		status.TaskPayUnpaidBlockFailed, ErrBadBalanceProof)
	f.refused(f.fs[0], &CoopCloseChannel{ChannelID: c.ID, BalanceA: 200, BalanceB: 800, SigA: sign(f.alice, 200, 800), SigB: sign(f.bob, 200, 800)},
		status.TaskPrepareChannelError, ErrNotOwner)
	a0, b0 := f.balance(f.alice), f.balance(f.bob)
	ok := &CoopCloseChannel{ChannelID: c.ID, BalanceA: 200, BalanceB: 800, SigA: sign(f.alice, 200, 800), SigB: sign(f.bob, 200, 800)}
	f.ok(f.bob, ok)
	got := f.channel(c.ID)
	if got.State != ChannelSettled || got.PaidA != 200 || got.PaidB != 800 {
		t.Fatalf("coop closed %+v", got)
	}
	if f.balance(f.alice) != a0+200 || f.balance(f.bob) != b0+800-1 {
		t.Fatalf("coop payout: alice +%d bob +%d", f.balance(f.alice)-a0, f.balance(f.bob)-b0)
	}
	// Replaying the settled close pays nothing twice.
	f.refused(f.alice, ok, status.TaskPrepareChannelError, ErrChannelState)
}

// TestChannelPayout checks the payout bounds: each side gets its deposit plus what it received
// minus what it paid, never below 0 nor above both deposits.
func TestChannelPayout(t *testing.T) {
	c := &Channel{DepositA: 100, DepositB: 40}
	for _, tc := range []struct{ ta, tb, a, b uint64 }{
		{0, 0, 100, 40}, {30, 0, 70, 70}, {100, 0, 0, 140}, {500, 0, 0, 140}, {0, 40, 140, 0},
		{0, 1 << 63, 140, 0}, {130, 50, 20, 120}, {^uint64(0), ^uint64(0) - 5, 95, 45},
	} {
		a, b := c.Payout(tc.ta, tc.tb)
		if a != tc.a || b != tc.b {
			t.Errorf("Payout(%d, %d) = %d, %d; want %d, %d", tc.ta, tc.tb, a, b, tc.a, tc.b)
		}
	}
}

// TestBalanceProofEncoding: a proof round-trips through its canonical encoding; other bytes
// are refused.
func TestBalanceProofEncoding(t *testing.T) {
	k := seededKey(t, "proof")
	p, err := SignBalanceProof(k, "dsp-devnet", Hash{7}, 3, 99)
	if err != nil {
		t.Fatal(err)
	}
	q, err := DecodeBalanceProof(p.Encode())
	if err != nil || q.Nonce != 3 || q.Transferred != 99 || q.ChannelID != (Hash{7}) {
		t.Fatalf("decoded %+v %v", q, err)
	}
	if err := VerifyBalanceProof("dsp-devnet", Hash{7}, k.Public().Bytes(), &q); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{nil, {0x94}, append(p.Encode(), 0), make([]byte, 600)} {
		if _, err := DecodeBalanceProof(b); status.CodeOf(err, 0) != status.TaskPayUnpaidBlockFailed.Num() || !errors.Is(err, ErrMalformed) {
			t.Fatalf("decoded %x: %v", b, err)
		}
	}
}
