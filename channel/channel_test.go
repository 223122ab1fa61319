package channel

import (
	"errors"
	"sync"
	"testing"

	"dsp/keys"
	"dsp/ledger"
	"dsp/status"
)

func TestPayAccept(t *testing.T) {
	alice, bob := genKey(t), genKey(t)
	ch := testChannel(alice, bob, 100)
	ps, qs := openStore(t, ""), openStore(t, "")
	payer, err := ps.Payer(chainID, ch, alice)
	if err != nil {
		t.Fatal(err)
	}
	payee, err := qs.Payee(chainID, ch, bob.Address())
	if err != nil {
		t.Fatal(err)
	}
	file1, file2 := []byte("file-1"), []byte("file-2")
	qs.Charge(alice.Address(), 10)
	if qs.Owed(alice.Address()) != 10 || !qs.OverLimit(alice.Address(), 9) || qs.OverLimit(alice.Address(), 10) {
		t.Fatalf("owed %d", qs.Owed(alice.Address()))
	}
	for i, c := range []struct {
		file   []byte
		amount uint64
	}{{file1, 10}, {file1, 25}, {file2, 5}} {
		p, err := payer.Pay(c.amount)
		if err != nil {
			t.Fatal(err)
		}
		if p.Nonce != uint64(i+1) {
			t.Fatalf("payment %d has nonce %d", i, p.Nonce)
		}
		got, err := payee.AcceptFor(c.file, p)
		if err != nil || got != c.amount {
			t.Fatalf("accept %d: paid %d, %v", i, got, err)
		}
	}
	if payer.Latest().Transferred != 40 || payer.Available() != 60 || payee.Latest().Nonce != 3 {
		t.Fatalf("latest: payer %+v (available %d), payee %+v", payer.Latest(), payer.Available(), payee.Latest())
	}
	if qs.Owed(alice.Address()) != 0 {
		t.Fatalf("owed %d after paying ahead", qs.Owed(alice.Address()))
	}
	qs.Charge(alice.Address(), 50) // charged 60, paid 40
	if qs.Owed(alice.Address()) != 20 || !qs.OverLimit(alice.Address(), 19) {
		t.Fatalf("owed %d", qs.Owed(alice.Address()))
	}
	from, _ := qs.EarnedFrom(alice.Address())
	f1, _ := qs.EarnedFor(file1)
	f2, _ := qs.EarnedFor(file2)
	if from != 40 || f1 != 35 || f2 != 5 {
		t.Fatalf("earned from alice %d, file1 %d, file2 %d", from, f1, f2)
	}
	es, err := qs.Earnings()
	if err != nil || len(es) != 2 || PeerTotals(es)[0].Amount != 40 {
		t.Fatalf("earnings %+v %v", es, err)
	}
	// The same Payer and Payee for the same channel.
	if p2, _ := ps.Payer(chainID, ch, alice); p2 != payer {
		t.Fatal("a second Payer for one channel")
	}
	if q2, _ := qs.Payee(chainID, ch, bob.Address()); q2 != payee {
		t.Fatal("a second Payee for one channel")
	}
	// Beyond the deposit, then after a top-up.
	if _, err := payer.Pay(61); !errors.Is(err, ErrOverDeposit) || status.CodeOf(err, 0) != status.InsufficientBalance.Num() {
		t.Fatalf("pay over deposit: %v", err)
	}
	if _, err := payer.Pay(0); !errors.Is(err, ErrOverDeposit) {
		t.Fatalf("pay 0: %v", err)
	}
	top := *ch
	top.DepositA = 200
	if err := payer.Update(&top); err != nil {
		t.Fatal(err)
	}
	p, err := payer.Pay(61)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := payee.Accept(p); !errors.Is(err, ErrOverDeposit) {
		t.Fatalf("accepted beyond the deposit the payee knows: %v", err)
	}
	if err := payee.Update(&top); err != nil {
		t.Fatal(err)
	}
	if got, err := payee.Accept(p); err != nil || got != 61 {
		t.Fatalf("after top-up: %d %v", got, err)
	}
	// Wrong keys and sides.
	if _, err := ps.Payer(chainID, ch, bob); !errors.Is(err, ErrNotParticipant) {
		t.Fatalf("payer as the other side's key on a held channel: %v", err)
	}
	if _, err := ps.Payer(chainID, ch, genKey(t)); !errors.Is(err, ErrNotParticipant) {
		t.Fatalf("a stranger's payer: %v", err)
	}
	if _, err := qs.Payee(chainID, ch, genKey(t).Address()); !errors.Is(err, ErrNotParticipant) {
		t.Fatalf("a stranger's payee: %v", err)
	}
	// A closing channel takes no more payments.
	closing := top
	closing.State = ledger.ChannelClosing
	if err := payer.Update(&closing); err != nil {
		t.Fatal(err)
	}
	if _, err := payer.Pay(1); !errors.Is(err, ErrNotOpen) || status.CodeOf(err, 0) != status.TaskPrepareChannelError.Num() {
		t.Fatalf("pay on a closing channel: %v", err)
	}
	recs, err := ps.Records()
	if err != nil || len(recs) != 1 || recs[0].Channel.State != ledger.ChannelClosing || recs[0].Me != alice.Address() {
		t.Fatalf("records %+v %v", recs, err)
	}
}

// TestAcceptRefusesCheats: forged, flipped, other-channel, other-chain, replayed, older and
// lowering proofs are refused and change nothing, in memory or on disk.
func TestAcceptRefusesCheats(t *testing.T) {
	alice, bob, mallory := genKey(t), genKey(t), genKey(t)
	ch := testChannel(alice, bob, 1000)
	ps, qs := openStore(t, ""), openStore(t, "")
	payer, _ := ps.Payer(chainID, ch, alice)
	payee, _ := qs.Payee(chainID, ch, bob.Address())
	var proofs []BalanceProof
	for i := 0; i < 3; i++ {
		p, err := payer.Pay(100)
		if err != nil {
			t.Fatal(err)
		}
		proofs = append(proofs, p)
	}
	if _, err := payee.Accept(proofs[1]); err != nil {
		t.Fatal(err)
	}
	held := payee.Latest()
	sign := func(k *keys.KeyPair, chain string, id ledger.Hash, nonce, amount uint64) BalanceProof {
		p, err := ledger.SignBalanceProof(k, chain, id, nonce, amount)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := proofs[2]
	flipped.Signature = append([]byte(nil), flipped.Signature...)
	flipped.Signature[len(flipped.Signature)-1] ^= 0x80
	raised := proofs[2]
	raised.Transferred = 900
	otherCh := ledger.ChannelIDOf(chainID, alice.Address(), 1)
	for _, c := range []struct {
		name     string
		p        BalanceProof
		code     int
		sentinel error
	}{
		{"wrong signer", sign(mallory, chainID, ch.ID, 3, 300), status.TaskPayUnpaidBlockFailed.Num(), ledger.ErrBadSignature},
		{"payee signs for itself", sign(bob, chainID, ch.ID, 3, 300), status.TaskPayUnpaidBlockFailed.Num(), ledger.ErrBadSignature},
		{"flipped signature byte", flipped, status.TaskPayUnpaidBlockFailed.Num(), ledger.ErrBadBalanceProof},
		{"raised amount", raised, status.TaskPayUnpaidBlockFailed.Num(), ledger.ErrBadSignature},
		{"other channel", sign(alice, chainID, otherCh, 3, 300), status.TaskPayUnpaidBlockFailed.Num(), ledger.ErrBadBalanceProof},
		{"other chain", sign(alice, "other-chain", ch.ID, 3, 300), status.TaskPayUnpaidBlockFailed.Num(), ledger.ErrBadSignature},
		{"replayed", proofs[1], status.TaskPayUnpaidBlockFailed.Num(), ErrStale},
		{"older", proofs[0], status.TaskPayUnpaidBlockFailed.Num(), ErrStale},
		{"newer nonce, lower amount", sign(alice, chainID, ch.ID, 9, 150), status.TaskPayUnpaidBlockFailed.Num(), ErrStale},
		{"beyond the deposit", sign(alice, chainID, ch.ID, 9, 1001), status.InsufficientBalance.Num(), ErrOverDeposit},
		{"nonce 0", sign(alice, chainID, ch.ID, 0, 300), status.TaskPayUnpaidBlockFailed.Num(), ledger.ErrBadBalanceProof},
	} {
		paid, err := payee.Accept(c.p)
		if err == nil || paid != 0 || status.CodeOf(err, 0) != c.code || !errors.Is(err, c.sentinel) {
			t.Errorf("%s: paid %d, %v; want code %d and %v", c.name, paid, err, c.code, c.sentinel)
		}
	}
	if payee.Latest().Nonce != held.Nonce {
		t.Fatalf("a refused proof moved the payee to %+v", payee.Latest())
	}
	if got, ok, _ := qs.Received(ch.ID); !ok || got.Nonce != 2 || got.Transferred != 200 {
		t.Fatalf("stored %+v %v", got, ok)
	}
	if from, _ := qs.EarnedFrom(alice.Address()); from != 200 {
		t.Fatalf("earned %d", from)
	}
	// The newest one is still good.
	if paid, err := payee.Accept(proofs[2]); err != nil || paid != 100 {
		t.Fatalf("newest: %d %v", paid, err)
	}
}

// TestPayerCrashResumes: the payer persisted and sent proof 3, then died. Restarted from the
// file as it was on disk, it continues at nonce 4 and never signs a second proof 3; the payee,
// restarted the same way after accepting, still holds proof 3 and refuses it again.
func TestPayerCrashResumes(t *testing.T) {
	alice, bob := genKey(t), genKey(t)
	ch := testChannel(alice, bob, 1000)
	ps, qs := openStore(t, ""), openStore(t, "")
	payer, _ := ps.Payer(chainID, ch, alice)
	payee, _ := qs.Payee(chainID, ch, bob.Address())
	var sent BalanceProof
	for i := 0; i < 3; i++ {
		p, err := payer.Pay(10)
		if err != nil {
			t.Fatal(err)
		}
		sent = p
	}
	payerDisk := crashCopy(t, ps) // died right after Pay returned proof 3 (and sent it)
	if _, err := payee.AcceptFor([]byte("f"), sent); err != nil {
		t.Fatal(err)
	}
	payeeDisk := crashCopy(t, qs) // died right after accepting, before acknowledging

	ps2, qs2 := openStore(t, payerDisk), openStore(t, payeeDisk)
	payer2, err := ps2.Payer(chainID, ch, alice)
	if err != nil {
		t.Fatal(err)
	}
	if l := payer2.Latest(); l.Nonce != 3 || l.Transferred != 30 {
		t.Fatalf("payer resumed at %+v", l)
	}
	payee2, err := qs2.Payee(chainID, ch, bob.Address())
	if err != nil {
		t.Fatal(err)
	}
	if l := payee2.Latest(); l.Nonce != 3 || l.Transferred != 30 {
		t.Fatalf("payee resumed at %+v", l)
	}
	if got, ok, _ := qs2.Received(ch.ID); !ok || got.Nonce != 3 {
		t.Fatalf("payee's file lost the proof: %+v %v", got, ok)
	}
	if e, _ := qs2.EarnedFor([]byte("f")); e != 30 {
		t.Fatalf("payee's file lost earnings: %d", e)
	}
	// The payer's next payment is above everything it handed out.
	next, err := payer2.Pay(5)
	if err != nil || next.Nonce != 4 || next.Transferred != 35 {
		t.Fatalf("after restart paid %+v %v", next, err)
	}
	if _, err := payee2.Accept(sent); !errors.Is(err, ErrStale) {
		t.Fatalf("replayed proof after restart: %v", err)
	}
	if paid, err := payee2.Accept(next); err != nil || paid != 5 {
		t.Fatalf("next proof after restart: %d %v", paid, err)
	}
	if s, ok, _ := ps2.Sent(ch.ID); !ok || s.Nonce != 4 {
		t.Fatalf("payer's stored proof %+v", s)
	}
}

// TestConcurrentPay: payments from many goroutines get distinct, gapless nonces and the payee
// accepts them in nonce order.
func TestConcurrentPay(t *testing.T) {
	alice, bob := genKey(t), genKey(t)
	ch := testChannel(alice, bob, 1<<20)
	ps, qs := openStore(t, ""), openStore(t, "")
	payer, _ := ps.Payer(chainID, ch, alice)
	const n = 40
	got := make([]BalanceProof, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := payer.Pay(3)
			if err != nil {
				t.Error(err)
			}
			got[p.Nonce-1] = p
		}(i)
	}
	wg.Wait()
	payee, _ := qs.Payee(chainID, ch, bob.Address())
	for i, p := range got {
		if p.Nonce != uint64(i+1) || p.Transferred != uint64(3*(i+1)) {
			t.Fatalf("proof %d: %+v", i, p)
		}
		if _, err := payee.Accept(p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStoreClosed: a closed store fails with ErrClosed and NO_DB.
func TestStoreClosed(t *testing.T) {
	alice, bob := genKey(t), genKey(t)
	ch := testChannel(alice, bob, 10)
	s := openStore(t, "")
	payer, _ := s.Payer(chainID, ch, alice)
	s.Close()
	if _, err := payer.Pay(1); !errors.Is(err, ErrClosed) || status.CodeOf(err, 0) != status.TaskPayUnpaidBlockFailed.Num() {
		t.Fatalf("pay on a closed store: %v", err)
	}
	if payer.Latest().Nonce != 0 {
		t.Fatal("a failed persist advanced the payer")
	}
	if _, _, err := s.Received(ch.ID); !errors.Is(err, ErrClosed) || status.CodeOf(err, 0) != status.NoDb.Num() {
		t.Fatalf("query on a closed store: %v", err)
	}
}
