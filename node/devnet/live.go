package devnet

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dsp/keys"
	"dsp/node/client"
	"dsp/node/roles"
	"dsp/status"
)

// ErrClientDown: the client node could not be reopened after an adoption (its error is in the
// devnet's log). It carries NO_DSP (40003).
var ErrClientDown = status.New(status.NoDsp, "devnet: the client node is not running")

// adoptTimeout bounds funding an adopted account from the faucet.
const adoptTimeout = time.Minute

// adopt is the client node's roles.Config.OnAdopt: an account was created or imported as the
// wallet's default while the client node ran as its key file. The client node is reopened as
// that account in the background (same directory, store, tasks and control API address) and the
// account funded from the faucet; Current and every Client call wait for it.
func (d *Devnet) adopt(kp *keys.KeyPair) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.ClientNode
	if d.closing || d.swap != nil || old == nil || old.Key().Address() == kp.Address() {
		return
	}
	done := make(chan struct{})
	d.swap = done
	d.adopting.Add(1)
	go func() {
		defer d.adopting.Done()
		n := d.reopenClient(old, kp)
		d.mu.Lock()
		d.ClientNode, d.swap = n, nil
		if n != nil {
			d.state.Client, d.state.API = n.Key().Address(), n.APIURL()
		}
		d.mu.Unlock()
		close(done)
		if n != nil {
			if err := d.saveState(); err != nil {
				d.log.Error("adopt account: save state", "err", err)
			}
		}
	}()
}

// reopenClient closes old and opens the client node as kp on old's control API address, then
// funds kp. If kp's node cannot start, the node is reopened as before; nil if that fails too.
func (d *Devnet) reopenClient(old *roles.Node, kp *keys.KeyPair) *roles.Node {
	apiAddr := strings.TrimSuffix(strings.TrimPrefix(old.APIURL(), "http://"), "/api/v1")
	prev := old.Key()
	if err := old.Close(); err != nil {
		d.log.Warn("adopt account: stop the client node", "err", err)
	}
	open := func(k *keys.KeyPair) (*roles.Node, error) {
		n, err := d.startClient(k, apiAddr)
		if err != nil && isAddrInUse(err) {
			n, err = d.startClient(k, "127.0.0.1:0")
		}
		return n, err
	}
	n, err := open(kp)
	if err != nil {
		d.log.Error("adopt account: start the client node as the new account; keeping the old one", "account", kp.Address(), "err", err)
		if n, err = open(prev); err != nil {
			d.log.Error("adopt account: restart the client node", "err", err)
			return nil
		}
		return n
	}
	ctx, cancel := context.WithTimeout(context.Background(), adoptTimeout)
	defer cancel()
	if err := d.fund(ctx, kp.Address()); err != nil {
		d.log.Error("adopt account: fund", "account", kp.Address(), "err", err)
	}
	d.log.Info("client node runs as the new default account", "account", kp.Address(), "api", n.APIURL())
	return n
}

// Current returns the client node of the moment, waiting while an adoption reopens it (up to
// ctx's end).
func (d *Devnet) Current(ctx context.Context) (*roles.Node, error) {
	for {
		d.mu.Lock()
		n, swap := d.ClientNode, d.swap
		d.mu.Unlock()
		if swap == nil {
			if n == nil {
				return nil, ErrClientDown
			}
			return n, nil
		}
		select {
		case <-swap:
		case <-ctx.Done():
			return nil, fmt.Errorf("devnet: wait for the client node: %w", ctx.Err())
		}
	}
}

// liveClient is Devnet.Client: every call goes to the client node of the moment.
type liveClient struct{ d *Devnet }

var _ client.Client = liveClient{}

func (c liveClient) cur(ctx context.Context) (client.Client, error) {
	n, err := c.d.Current(ctx)
	if err != nil {
		return nil, err
	}
	return n.Client(), nil
}

// fwd calls f on the current client node's client.
func fwd[T any](ctx context.Context, c liveClient, f func(client.Client) (T, error)) (T, error) {
	cc, err := c.cur(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	return f(cc)
}

// fwd0 is fwd for methods returning only an error.
func fwd0(ctx context.Context, c liveClient, f func(client.Client) error) error {
	cc, err := c.cur(ctx)
	if err != nil {
		return err
	}
	return f(cc)
}

// Events implements client.NodeAPI. The stream outlives adoptions: the client node's own stream
// ends when that node closes, and if a new client node replaced it the stream goes on with the
// new node's events. It ends when ctx does or the client node goes away otherwise (the devnet
// closes).
func (c liveClient) Events(ctx context.Context) (<-chan client.Event, error) {
	n, err := c.d.Current(ctx)
	if err != nil {
		return nil, err
	}
	in, err := n.Client().Events(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan client.Event, 64)
	go func() {
		defer close(out)
		for {
			for ev := range in {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			next, err := c.d.Current(ctx)
			if err != nil || next == n {
				return // ctx ended, the devnet closed or the node failed to come back
			}
			n = next
			if in, err = n.Client().Events(ctx); err != nil {
				return
			}
		}
	}()
	return out, nil
}

// accountAfter waits for an adoption a call may have started and returns the account as the
// client node of the moment sees it (Active once adopted, with its funded balance).
func (c liveClient) accountAfter(ctx context.Context, a *client.Account) (*client.Account, error) {
	cc, err := c.cur(ctx)
	if err != nil {
		return nil, err
	}
	list, err := cc.Accounts(ctx)
	if err != nil {
		return a, nil // the account exists; its fresh view is a nicety
	}
	for _, x := range list {
		if x.Address == a.Address {
			return &x, nil
		}
	}
	return a, nil
}

// NewAccount implements client.AccountAPI; with req.Default on a client node running as its key
// file it returns once the node runs as the new account.
func (c liveClient) NewAccount(ctx context.Context, req client.NewAccountRequest) (*client.Account, error) {
	a, err := fwd(ctx, c, func(cc client.Client) (*client.Account, error) { return cc.NewAccount(ctx, req) })
	if err != nil || !req.Default {
		return a, err
	}
	return c.accountAfter(ctx, a)
}

// ImportAccount implements client.AccountAPI like NewAccount.
func (c liveClient) ImportAccount(ctx context.Context, req client.ImportAccountRequest) (*client.Account, error) {
	a, err := fwd(ctx, c, func(cc client.Client) (*client.Account, error) { return cc.ImportAccount(ctx, req) })
	if err != nil || !req.Default {
		return a, err
	}
	return c.accountAfter(ctx, a)
}

// The rest forward as they are.

func (c liveClient) Status(ctx context.Context) (*client.Status, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.Status, error) { return cc.Status(ctx) })
}

func (c liveClient) Peers(ctx context.Context) ([]client.PeerInfo, error) {
	return fwd(ctx, c, func(cc client.Client) ([]client.PeerInfo, error) { return cc.Peers(ctx) })
}

func (c liveClient) Connect(ctx context.Context, url string) (*client.PeerInfo, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.PeerInfo, error) { return cc.Connect(ctx, url) })
}

func (c liveClient) Disconnect(ctx context.Context, account keys.Address) error {
	return fwd0(ctx, c, func(cc client.Client) error { return cc.Disconnect(ctx, account) })
}

func (c liveClient) Accounts(ctx context.Context) ([]client.Account, error) {
	return fwd(ctx, c, func(cc client.Client) ([]client.Account, error) { return cc.Accounts(ctx) })
}

func (c liveClient) ExportAccount(ctx context.Context, req client.ExportAccountRequest) ([]byte, error) {
	return fwd(ctx, c, func(cc client.Client) ([]byte, error) { return cc.ExportAccount(ctx, req) })
}

func (c liveClient) SetDefaultAccount(ctx context.Context, account string) error {
	return fwd0(ctx, c, func(cc client.Client) error { return cc.SetDefaultAccount(ctx, account) })
}

func (c liveClient) LedgerInfo(ctx context.Context) (*client.LedgerInfo, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.LedgerInfo, error) { return cc.LedgerInfo(ctx) })
}

func (c liveClient) Balance(ctx context.Context, account keys.Address) (*client.Balance, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.Balance, error) { return cc.Balance(ctx, account) })
}

func (c liveClient) Transfer(ctx context.Context, to keys.Address, amount uint64) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) { return cc.Transfer(ctx, to, amount) })
}

func (c liveClient) Pledge(ctx context.Context, amount uint64) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) { return cc.Pledge(ctx, amount) })
}

func (c liveClient) Unpledge(ctx context.Context, amount uint64) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) { return cc.Unpledge(ctx, amount) })
}

func (c liveClient) Tx(ctx context.Context, hash string) (map[string]any, error) {
	return fwd(ctx, c, func(cc client.Client) (map[string]any, error) { return cc.Tx(ctx, hash) })
}

func (c liveClient) Block(ctx context.Context, height uint64) (map[string]any, error) {
	return fwd(ctx, c, func(cc client.Client) (map[string]any, error) { return cc.Block(ctx, height) })
}

func (c liveClient) Nodes(ctx context.Context, role string) ([]client.NodeInfo, error) {
	return fwd(ctx, c, func(cc client.Client) ([]client.NodeInfo, error) { return cc.Nodes(ctx, role) })
}

func (c liveClient) Files(ctx context.Context) ([]client.File, error) {
	return fwd(ctx, c, func(cc client.Client) ([]client.File, error) { return cc.Files(ctx) })
}

func (c liveClient) File(ctx context.Context, hash string) (*client.File, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.File, error) { return cc.File(ctx, hash) })
}

func (c liveClient) UploadPrice(ctx context.Context, req client.UploadRequest) (*client.Price, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.Price, error) { return cc.UploadPrice(ctx, req) })
}

func (c liveClient) DeleteFile(ctx context.Context, hash string) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) { return cc.DeleteFile(ctx, hash) })
}

func (c liveClient) SetWhitelist(ctx context.Context, hash string, privilege uint64, accounts []keys.Address) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) {
		return cc.SetWhitelist(ctx, hash, privilege, accounts)
	})
}

func (c liveClient) Share(ctx context.Context, hash string) error {
	return fwd0(ctx, c, func(cc client.Client) error { return cc.Share(ctx, hash) })
}

func (c liveClient) Resolve(ctx context.Context, url string) (*client.URLRecord, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.URLRecord, error) { return cc.Resolve(ctx, url) })
}

func (c liveClient) RegisterURL(ctx context.Context, url, hash string) (*client.URLRecord, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.URLRecord, error) { return cc.RegisterURL(ctx, url, hash) })
}

func (c liveClient) TransferURL(ctx context.Context, url string, to keys.Address) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) { return cc.TransferURL(ctx, url, to) })
}

func (c liveClient) DeleteURL(ctx context.Context, url string) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) { return cc.DeleteURL(ctx, url) })
}

func (c liveClient) Upload(ctx context.Context, req client.UploadRequest) (*client.Task, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.Task, error) { return cc.Upload(ctx, req) })
}

func (c liveClient) Download(ctx context.Context, req client.DownloadRequest) (*client.Task, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.Task, error) { return cc.Download(ctx, req) })
}

func (c liveClient) Tasks(ctx context.Context) ([]client.Task, error) {
	return fwd(ctx, c, func(cc client.Client) ([]client.Task, error) { return cc.Tasks(ctx) })
}

func (c liveClient) Task(ctx context.Context, id string) (*client.Task, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.Task, error) { return cc.Task(ctx, id) })
}

func (c liveClient) PauseTask(ctx context.Context, id string) error {
	return fwd0(ctx, c, func(cc client.Client) error { return cc.PauseTask(ctx, id) })
}

func (c liveClient) ResumeTask(ctx context.Context, id string, password []byte) error {
	return fwd0(ctx, c, func(cc client.Client) error { return cc.ResumeTask(ctx, id, password) })
}

func (c liveClient) CancelTask(ctx context.Context, id string) error {
	return fwd0(ctx, c, func(cc client.Client) error { return cc.CancelTask(ctx, id) })
}

func (c liveClient) RetryTask(ctx context.Context, id string) error {
	return fwd0(ctx, c, func(cc client.Client) error { return cc.RetryTask(ctx, id) })
}

func (c liveClient) Proxies(ctx context.Context) (*client.ProxyOverview, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.ProxyOverview, error) { return cc.Proxies(ctx) })
}

func (c liveClient) RequestProxy(ctx context.Context, url string) (*client.ProxyStatus, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.ProxyStatus, error) { return cc.RequestProxy(ctx, url) })
}

func (c liveClient) ReleaseProxy(ctx context.Context) error {
	return fwd0(ctx, c, func(cc client.Client) error { return cc.ReleaseProxy(ctx) })
}

func (c liveClient) ProverStatus(ctx context.Context) ([]client.ProverFile, error) {
	return fwd(ctx, c, func(cc client.Client) ([]client.ProverFile, error) { return cc.ProverStatus(ctx) })
}
