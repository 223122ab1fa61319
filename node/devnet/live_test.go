package devnet

import (
	"context"
	"testing"
	"time"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// TestAdoptAccount: a default account created through the client while the client node runs as
// its key file becomes the node's identity at once (funded, same control API address), the
// client and an open event stream keep working across the reopen, a later default does not
// reopen the node again, and a restart with the password runs as the adopted account.
func TestAdoptAccount(t *testing.T) {
	dir := t.TempDir()
	cheap := []keys.Option{keys.WithScrypt(keys.ScryptParams{N: 16, R: 1, P: 1})}
	d, err := Start(ctxT(t, 60*time.Second), Config{Dir: dir, FS: 1, BlockInterval: 100 * time.Millisecond, WalletOptions: cheap})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := ctxT(t, 60*time.Second)
	c := d.Client()
	before := d.ClientNode.Key().Address()
	api := d.APIURL()
	events, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := c.NewAccount(ctx, client.NewAccountRequest{Label: "main", Password: "pw", Default: true}); err != nil {
		t.Fatal(err)
	}
	// NewAccount returned after the reopen: the account is active and funded.
	accts, err := c.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var main client.Account
	for _, a := range accts {
		if a.Label == "main" {
			main = a
		}
	}
	if !main.Active || !main.Default || main.Balance != FaucetAmount || main.Address == before {
		t.Fatalf("accounts after adoption: %+v", accts)
	}
	st, err := c.Status(ctx)
	if err != nil || st.Address != main.Address {
		t.Fatalf("status %+v %v, want %s", st, err, main.Address)
	}
	if d.APIURL() != api || d.State().Client != main.Address {
		t.Fatalf("api %s (was %s), state client %s", d.APIURL(), api, d.State().Client)
	}
	// The control API answers for the new account at the same address.
	info, err := client.ReadAPIInfo(dir)
	if err != nil || info.URL != api {
		t.Fatalf("api.json %+v %v", info, err)
	}
	if hst, err := client.NewHTTP(info.URL, info.Token, nil).Status(ctx); err != nil || hst.Address != main.Address {
		t.Fatalf("status over HTTP %+v %v", hst, err)
	}
	// The stream opened before the reopen delivers the new node's events.
	fsAddr := d.FS[0].Key().Address()
	if _, err := c.Connect(ctx, d.FS[0].URL()); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, func(ev client.Event) bool {
		p, ok := ev.Data.(client.PeerInfo)
		if pp, isPtr := ev.Data.(*client.PeerInfo); isPtr {
			p, ok = *pp, true
		}
		return ev.Type == client.EventPeerConnected && ok && p.Address == fsAddr
	})

	// A second default account: the node already runs as a wallet account, so nothing changes
	// until the next start.
	k, _ := keys.Generate(keys.DefaultScheme)
	imp, err := c.ImportAccount(ctx, client.ImportAccountRequest{Label: "second", PrivateKey: hexOf(k.PrivateBytes()), Password: "pw2", Default: true})
	if err != nil || imp.Active || !imp.Default {
		t.Fatalf("import %+v %v", imp, err)
	}
	if st, _ := c.Status(ctx); st.Address != main.Address {
		t.Fatalf("node switched to %s on a second default", st.Address)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// The stream ends with the devnet.
	for open := true; open; {
		select {
		case _, open = <-events:
		case <-ctx.Done():
			t.Fatal("event stream open after Close")
		}
	}

	// Restart with the default's password: the node runs as the default ("second").
	d2, err := Start(ctxT(t, 60*time.Second), Config{Dir: dir, Password: "pw2", WalletOptions: cheap})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if got := d2.ClientNode.Key().Address(); got != k.Address() {
		t.Fatalf("restarted as %s, want %s", got, k.Address())
	}
}

// TestAdoptBadImport: an import with Default that fails adopts nothing.
func TestAdoptBadImport(t *testing.T) {
	d, err := Start(ctxT(t, 60*time.Second), Config{Dir: t.TempDir(), FS: 1, BlockInterval: 100 * time.Millisecond,
		WalletOptions: []keys.Option{keys.WithScrypt(keys.ScryptParams{N: 16, R: 1, P: 1})}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := ctxT(t, 30*time.Second)
	c := d.Client()
	before := d.ClientNode.Key().Address()
	_, err = c.ImportAccount(ctx, client.ImportAccountRequest{Label: "x", PrivateKey: "zz", Password: "pw", Default: true})
	if !isCode(err, status.InvalidParams) {
		t.Fatalf("bad key: %v", err)
	}
	if st, err := c.Status(ctx); err != nil || st.Address != before {
		t.Fatalf("status %+v %v", st, err)
	}
}

func waitEvent(t *testing.T, ch <-chan client.Event, ok func(client.Event) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		select {
		case ev, open := <-ch:
			if !open {
				t.Fatal("event stream closed")
			}
			if ok(ev) {
				return
			}
		case <-ctx.Done():
			t.Fatal("no such event")
		}
	}
}
