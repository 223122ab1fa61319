package roles

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dsp/channel"
	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/client"
	"dsp/node/nettest"
	"dsp/status"
)

// The channel tests run two whole nodes over the in-memory transport: L runs the ledger role
// (blocks every blockEvery, a challenge period of challengeBlocks) and R reaches it over the
// network. Both run their channel watch loops as in production (every channelWatchEvery); the
// tests only make payments (with the nodes' own channel stores) and read the ledger.

const (
	blockEvery      = 100 * time.Millisecond
	challengeBlocks = 40 // 4 s: two watch rounds at least
	funds           = 1_000_000
)

type pair struct {
	L, R *Node
}

func genKey(t *testing.T) *keys.KeyPair {
	t.Helper()
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newPair starts L and R, both funded, and stops them (and checks that every goroutine they
// started ended) when the test ends.
func newPair(t *testing.T) *pair {
	t.Helper()
	base := nettest.Goroutines()
	lk, rk := genKey(t), genKey(t)
	g := ledger.DevnetGenesis(lk.Address(), map[keys.Address]uint64{lk.Address(): funds, rk.Address(): funds})
	g.Params.BlockIntervalMs = uint64(blockEvery.Milliseconds())
	g.Params.ChannelChallengeBlocks = challengeBlocks
	gf := filepath.Join(t.TempDir(), "genesis.json")
	if err := g.Save(gf); err != nil {
		t.Fatal(err)
	}
	name := "roles-" + hex.EncodeToString(addr6(rk))
	log := slog.New(slog.DiscardHandler)
	l, err := Open(Config{Options: node.Options{DataDir: t.TempDir(), Key: lk, Listen: []string{"mem://" + name + "-l"},
		Roles: []string{"ledger"}, Logger: log}, Genesis: gf})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(Config{Options: node.Options{DataDir: t.TempDir(), Key: rk, Listen: []string{"mem://" + name + "-r"},
		Peers: []string{l.URL()}, Logger: log, ReconnectInterval: 200 * time.Millisecond}, Ledger: l.URL()})
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		l.Close()
		nettest.WaitGoroutines(t, base, 10*time.Second, "dsp/")
	})
	return &pair{L: l, R: r}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// open opens a channel from a to b with deposit and returns it as the ledger has it.
func open(t *testing.T, ctx context.Context, a, b *Node, deposit uint64) *ledger.Channel {
	t.Helper()
	ch, err := a.Client().OpenChannel(ctx, client.OpenChannelRequest{PartnerKey: hex.EncodeToString(b.Key().Public().Bytes()), Deposit: deposit})
	if err != nil {
		t.Fatal(err)
	}
	return channelOf(t, ctx, a, ch.ID)
}

func channelOf(t *testing.T, ctx context.Context, n *Node, id string) *ledger.Channel {
	t.Helper()
	h, err := ledger.ParseHash(id)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := n.Ledger().Channel(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func balance(t *testing.T, ctx context.Context, n *Node) uint64 {
	t.Helper()
	a, err := n.Ledger().Account(ctx, n.Key().Address())
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

// pay makes from pay to each amount over ch with the nodes' own stores, as downloads do; the
// last one is made and kept by the payer but never reaches the payee when inFlight.
func pay(t *testing.T, ctx context.Context, from, to *Node, ch *ledger.Channel, inFlight bool, amounts ...uint64) []ledger.BalanceProof {
	t.Helper()
	ci, err := from.Ledger().ChainInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	payer, err := from.Channels().Payer(ci.ChainID, ch, from.Key())
	if err != nil {
		t.Fatal(err)
	}
	payee, err := to.Channels().Payee(ci.ChainID, ch, to.Key().Address())
	if err != nil {
		t.Fatal(err)
	}
	var out []ledger.BalanceProof
	for i, amt := range amounts {
		p, err := payer.Pay(amt)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
		if inFlight && i == len(amounts)-1 {
			break
		}
		if _, err := payee.Accept(p); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// waitChannel polls the ledger until ch satisfies ok.
func waitChannel(t *testing.T, ctx context.Context, n *Node, id ledger.Hash, what string, ok func(*ledger.Channel) bool) *ledger.Channel {
	t.Helper()
	for {
		ch, err := n.Ledger().Channel(ctx, id)
		if err == nil && ok(ch) {
			return ch
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for channel %s to be %s: last %+v, %v", id, what, ch, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func send(t *testing.T, ctx context.Context, n *Node, p ledger.Payload) *ledger.Receipt {
	t.Helper()
	r, err := n.Sender().Send(ctx, p)
	if err != nil {
		t.Fatalf("%T: %v", p, err)
	}
	return r
}

// TestWatchAnswersOldClose: R pays L five times; then R, cheating, closes the channel with its
// first proof. L's watch loop answers within the challenge period with the newest proof it
// received, and once the period is over a watch loop settles: L is paid the newest amount, R
// gets back the rest of its deposit, to the unit.
func TestWatchAnswersOldClose(t *testing.T) {
	p := newPair(t)
	ctx := ctxT(t, 30*time.Second)
	ch := open(t, ctx, p.R, p.L, 10_000)
	proofs := pay(t, ctx, p.R, p.L, ch, false, 1000, 1000, 1000, 1000, 1000)

	send(t, ctx, p.R, &ledger.CloseChannel{ChannelID: ch.ID, Proofs: proofs[:1]})
	l0, r0 := balance(t, ctx, p.L), balance(t, ctx, p.R)
	closing := waitChannel(t, ctx, p.L, ch.ID, "closing", func(c *ledger.Channel) bool { return c.State == ledger.ChannelClosing })
	if closing.TransferredA != 1000 || closing.Closer != p.R.Key().Address() {
		t.Fatalf("closed with %+v", closing)
	}
	// The ledger takes updates only below SettleHeight: seeing the newest amount recorded means
	// L's loop answered within the challenge period.
	updated := waitChannel(t, ctx, p.L, ch.ID, "updated", func(c *ledger.Channel) bool { return c.TransferredA == 5000 || c.State == ledger.ChannelSettled })
	if updated.NonceA != 5 {
		t.Fatalf("after L's answer: %+v", updated)
	}
	settled := waitChannel(t, ctx, p.L, ch.ID, "settled", func(c *ledger.Channel) bool { return c.State == ledger.ChannelSettled })
	if settled.PaidB != 5000 || settled.PaidA != 5000 || settled.SettledHeight < settled.SettleHeight {
		t.Fatalf("settled %+v", settled)
	}
	if l, r := balance(t, ctx, p.L), balance(t, ctx, p.R); l != l0+5000 || r != r0+5000 {
		t.Fatalf("paid L +%d (want 5000), R +%d (want 5000)", l-l0, r-r0)
	}
}

// TestWatchSettles: L closes a channel R opened, with the newest proof it received, and nobody
// settles by hand: once the challenge period is over a watch loop settles it, paying L what R
// transferred and R the rest. The other direction of the channel (L paid R from its own deposit)
// counts too.
func TestWatchSettles(t *testing.T) {
	p := newPair(t)
	ctx := ctxT(t, 30*time.Second)
	ch := open(t, ctx, p.R, p.L, 8_000)
	send(t, ctx, p.L, &ledger.DepositChannel{ChannelID: ch.ID, Amount: 3_000})
	ch = channelOf(t, ctx, p.L, ch.ID.String())
	pay(t, ctx, p.R, p.L, ch, false, 700, 2000)
	pay(t, ctx, p.L, p.R, ch, false, 400)

	r, err := p.L.Client().CloseChannel(ctx, ch.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	l0, r0 := balance(t, ctx, p.L), balance(t, ctx, p.R)
	closing := channelOf(t, ctx, p.L, ch.ID.String())
	if closing.State != ledger.ChannelClosing || closing.SettleHeight != r.Height+challengeBlocks {
		t.Fatalf("closing %+v (close at %d)", closing, r.Height)
	}
	settled := waitChannel(t, ctx, p.L, ch.ID, "settled", func(c *ledger.Channel) bool { return c.State == ledger.ChannelSettled })
	// R paid 2700 and received 400 (R's answer with L's proof, or none: L's proof is what
	// R holds as payee and R's loop sends it within the period).
	if settled.TransferredA != 2700 || settled.TransferredB != 400 || settled.PaidA != 8000-2700+400 || settled.PaidB != 3000+2700-400 {
		t.Fatalf("settled %+v", settled)
	}
	if l, r := balance(t, ctx, p.L), balance(t, ctx, p.R); l != l0+5300 || r != r0+5700 {
		t.Fatalf("paid L +%d (want 5300), R +%d (want 5700)", l-l0, r-r0)
	}
}

// TestCoopClose: payments both ways, one of L's still in flight; R asks L to close
// cooperatively through its client API. L signs (R's terms pay L at least what its own proofs
// give it), R submits, the channel settles at once and each side is paid exactly; nothing more
// is paid or accepted on it. Refusals: terms that pay L less than its proofs (PAY_UNPAID_BLOCK_
// FAILED, L not frozen), a partner nobody can reach (NET_RECONNECT_PEER_FAILED), a settled
// channel (PREPARE_CHANNEL_ERROR), a bad id (INVALID_PARAMS).
func TestCoopClose(t *testing.T) {
	p := newPair(t)
	ctx := ctxT(t, 30*time.Second)
	ch := open(t, ctx, p.L, p.R, 10_000)
	send(t, ctx, p.R, &ledger.DepositChannel{ChannelID: ch.ID, Amount: 2_000})
	ch = channelOf(t, ctx, p.L, ch.ID.String())
	pay(t, ctx, p.L, p.R, ch, true, 1000, 2000, 400) // 400 in flight: R never sees it
	pay(t, ctx, p.R, p.L, ch, false, 500)

	// Terms that pay L less than its proofs give it (L paid 3400 and received 500: 7100).
	ci, err := p.R.Ledger().ChainInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cheap := &CoopClose{ChannelID: ch.ID[:], BalanceA: 7099, BalanceB: 4901}
	if cheap.Sig, err = p.R.Key().Sign(ledger.CoopCloseMessage(ci.ChainID, ch.ID, 7099, 4901)); err != nil {
		t.Fatal(err)
	}
	_, err = p.R.Host().Request(ctx, p.L.Key().Address(), OpCoopClose, cheap)
	if status.CodeOf(err, 0) != status.TaskPayUnpaidBlockFailed.Num() || p.L.Channels().Frozen(ch.ID) {
		t.Fatalf("cheap terms: %v (L frozen %v)", err, p.L.Channels().Frozen(ch.ID))
	}

	l0, r0 := balance(t, ctx, p.L), balance(t, ctx, p.R)
	res, err := p.R.Client().CoopCloseChannel(ctx, ch.ID.String(), client.CoopCloseRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// R's terms: L paid 3000, R paid 500: R gets 2000+3000-500, L the rest of 12000.
	if res.Paid != 4500 || res.PartnerPaid != 7500 {
		t.Fatalf("result %+v", res)
	}
	settled := channelOf(t, ctx, p.L, ch.ID.String())
	if settled.State != ledger.ChannelSettled || settled.PaidA != 7500 || settled.PaidB != 4500 || settled.SettledHeight != res.Height {
		t.Fatalf("settled %+v (tx at %d)", settled, res.Height)
	}
	if l, r := balance(t, ctx, p.L), balance(t, ctx, p.R); l != l0+7500 || r != r0+4500 {
		t.Fatalf("paid L +%d (want 7500), R +%d (want 4500)", l-l0, r-r0)
	}
	for _, n := range []*Node{p.L, p.R} {
		if _, err := n.Channels().Payer(ci.ChainID, ch, n.Key()); !errors.Is(err, channel.ErrClosing) {
			t.Fatalf("%s pays after the close: %v", n.Key().Address(), err)
		}
	}
	if _, err := p.R.Client().CoopCloseChannel(ctx, ch.ID.String(), client.CoopCloseRequest{}); status.CodeOf(err, 0) != status.TaskPrepareChannelError.Num() {
		t.Fatalf("close a settled channel: %v", err)
	}

	// A partner with no node anywhere.
	ghost := genKey(t)
	lone, err := p.R.Client().OpenChannel(ctx, client.OpenChannelRequest{PartnerKey: hex.EncodeToString(ghost.Public().Bytes()), Deposit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, peer := range []string{"", "mem://nowhere-" + lone.ID[:8]} {
		_, err = p.R.Client().CoopCloseChannel(ctx, lone.ID, client.CoopCloseRequest{Peer: peer})
		if status.CodeOf(err, 0) != status.NetReconnectPeerFailed.Num() || !containsAll(err.Error(), "unilaterally", "dsp channel close") {
			t.Fatalf("unreachable partner at %q: %v", peer, err)
		}
	}
	loneID, _ := ledger.ParseHash(lone.ID)
	if p.R.Channels().Frozen(loneID) {
		t.Fatal("frozen although the partner was never reached")
	}
	_, err = p.R.Client().CoopCloseChannel(ctx, lone.ID, client.CoopCloseRequest{Peer: p.L.URL()})
	if status.CodeOf(err, 0) != status.InvalidParams.Num() {
		t.Fatalf("peer URL of another account: %v", err)
	}
	if _, err := p.R.Client().CoopCloseChannel(ctx, "nope", client.CoopCloseRequest{}); status.CodeOf(err, 0) != status.InvalidParams.Num() {
		t.Fatalf("bad id: %v", err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func addr6(k *keys.KeyPair) []byte { a := k.Address(); return a[:6] }
