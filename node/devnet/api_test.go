package devnet

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// TestClientAPI runs one suite over both implementations of client.Client: in-process
// (node.Local) and over HTTP (the control API), against the client node of a devnet.
func TestClientAPI(t *testing.T) {
	d, err := Start(ctxT(t, 60*time.Second), Config{Dir: t.TempDir(), FS: 2, BlockInterval: 100 * time.Millisecond,
		ConfirmTimeout: 30 * time.Second, WalletOptions: []keys.Option{keys.WithScrypt(keys.ScryptParams{N: 16, R: 1, P: 1})}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	info, err := client.ReadAPIInfo(d.cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, impl := range []struct {
		name string
		c    client.Client
	}{{"local", d.Client()}, {"http", client.NewHTTP(info.URL, info.Token, nil)}} {
		t.Run(impl.name, func(t *testing.T) { apiSuite(t, d, impl.c, impl.name) })
	}
}

func isCode(err error, c status.Code) bool { return errors.Is(err, status.Is(c)) }

func apiSuite(t *testing.T, d *Devnet, c client.Client, name string) {
	ctx := ctxT(t, 120*time.Second)
	me := d.ClientNode.Key().Address()

	// node
	st, err := c.Status(ctx)
	if err != nil || st.Address != me {
		t.Fatalf("status %+v %v", st, err)
	}

	// events: subscribe before the upload to see its progress
	evctx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	events, err := c.Events(evctx)
	if err != nil {
		t.Fatal(err)
	}

	// ledger
	li, err := c.LedgerInfo(ctx)
	if err != nil || li.ChainID == "" || !li.Remote || li.Producer != d.Ledger.Key().Address() || li.BlockInterval != 100*time.Millisecond {
		t.Fatalf("ledger info %+v %v", li, err)
	}
	bal, err := c.Balance(ctx, keys.Address{})
	if err != nil || bal.Address != me || bal.Balance == 0 {
		t.Fatalf("balance %+v %v", bal, err)
	}
	other := genAddr(t)
	tr, err := c.Transfer(ctx, other, 7)
	if err != nil || tr.Height == 0 || tr.Hash == "" {
		t.Fatalf("transfer %+v %v", tr, err)
	}
	if b, err := c.Balance(ctx, other); err != nil || b.Balance != 7 {
		t.Fatalf("recipient balance %+v %v", b, err)
	}
	if _, err := c.Transfer(ctx, other, 1<<62); !isCode(err, status.InsufficientBalance) {
		t.Fatalf("overspend: %v, want INSUFFICIENT_BALANCE", err)
	}
	if _, err := c.Pledge(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if b, _ := c.Balance(ctx, keys.Address{}); b.Pledged < 100 {
		t.Fatalf("pledged %+v", b)
	}
	if _, err := c.Unpledge(ctx, 100); err != nil {
		t.Fatal(err)
	}
	tx, err := c.Tx(ctx, tr.Hash)
	if err != nil || tx["kind"] != "transfer" {
		t.Fatalf("tx %v %v", tx, err)
	}
	if _, err := c.Tx(ctx, strings.Repeat("00", 32)); !isCode(err, status.ChainUnknownTx) {
		t.Fatalf("unknown tx: %v", err)
	}
	blk, err := c.Block(ctx, tr.Height)
	if err != nil || blk["tx_count"] == nil {
		t.Fatalf("block %v %v", blk, err)
	}
	if _, err := c.Block(ctx, 1<<40); !isCode(err, status.ChainUnknownBlock) {
		t.Fatalf("block beyond the tip: %v", err)
	}
	fsNodes, err := c.Nodes(ctx, "fs")
	if err != nil || len(fsNodes) != len(d.FS) || fsNodes[0].Capacity == 0 || fsNodes[0].HostAddr == "" {
		t.Fatalf("fs nodes %+v %v", fsNodes, err)
	}
	all, err := c.Nodes(ctx, "")
	if err != nil || len(all) != len(d.FS)+4 { // ledger, scan, dns, proxy
		t.Fatalf("all nodes: %d %v", len(all), err)
	}
	if _, err := c.Nodes(ctx, "miner"); !isCode(err, status.InvalidParams) {
		t.Fatalf("unknown role: %v", err)
	}

	// accounts
	acct, err := c.NewAccount(ctx, client.NewAccountRequest{Label: "a-" + name, Password: "pw"})
	if err != nil || acct.Label != "a-"+name || acct.Active {
		t.Fatalf("new account %+v %v", acct, err)
	}
	blob, err := c.ExportAccount(ctx, client.ExportAccountRequest{Account: acct.Label, Password: "pw", BlobPassword: "bp"})
	if err != nil || len(blob) == 0 {
		t.Fatalf("export %v", err)
	}
	if _, err := c.ExportAccount(ctx, client.ExportAccountRequest{Account: acct.Label, Password: "wrong", BlobPassword: "bp"}); !isCode(err, status.AccountPasswordWrong) {
		t.Fatalf("export with a wrong password: %v", err)
	}
	if _, err := c.ImportAccount(ctx, client.ImportAccountRequest{Label: "dup-" + name, Blob: blob, BlobPassword: "bp", Password: "pw2"}); !isCode(err, status.AccountExist) {
		t.Fatalf("importing an account twice: %v", err)
	}
	k, _ := keys.Generate(keys.DefaultScheme)
	imp, err := c.ImportAccount(ctx, client.ImportAccountRequest{Label: "i-" + name, PrivateKey: hexOf(k.PrivateBytes()), Password: "pw"})
	if err != nil || imp.Address != k.Address() {
		t.Fatalf("import %+v %v", imp, err)
	}
	if err := c.SetDefaultAccount(ctx, imp.Label); err != nil {
		t.Fatal(err)
	}
	accts, err := c.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sawDefault, sawActive bool
	for _, a := range accts {
		sawDefault = sawDefault || (a.Default && a.Address == imp.Address)
		sawActive = sawActive || (a.Active && a.Address == me)
	}
	if !sawDefault || !sawActive {
		t.Fatalf("accounts %+v: want %s default and %s active", accts, imp.Address, me)
	}

	// upload through the task API, with progress events
	content := make([]byte, 300<<10)
	rand.Read(content)
	in := filepath.Join(t.TempDir(), "in.bin")
	os.WriteFile(in, content, 0o644)
	price, err := c.UploadPrice(ctx, client.UploadRequest{Path: in, Copies: 2})
	if err != nil || price.Deposit == 0 || price.Copies != 2 || price.Size != uint64(len(content)) || price.Balance == 0 {
		t.Fatalf("price %+v %v", price, err)
	}
	if _, err := c.UploadPrice(ctx, client.UploadRequest{Path: in, Copies: 5}); !isCode(err, status.TaskReceiversNotEnough) {
		t.Fatalf("price for more copies than FS nodes: %v", err)
	}
	if _, err := c.UploadPrice(ctx, client.UploadRequest{Path: filepath.Join(t.TempDir(), "none"), Copies: 1}); !isCode(err, status.FsUploadFilepathError) {
		t.Fatalf("price of a missing file: %v", err)
	}
	up, err := c.Upload(ctx, client.UploadRequest{Path: in, Copies: 2, Privilege: 2, WhiteList: []keys.Address{other}})
	if err != nil || up.Kind != "upload" {
		t.Fatalf("upload %+v %v", up, err)
	}
	done := waitTask(t, c, up.ID)
	sawEvent := false
	for !sawEvent {
		select {
		case ev := <-events:
			if ev.Type != client.EventTask {
				continue
			}
			m, ok := ev.Data.(map[string]any)
			if tk, isTask := ev.Data.(client.Task); isTask {
				sawEvent = tk.ID == up.ID
			} else if ok {
				sawEvent = m["id"] == up.ID
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no task event for the upload")
		}
	}
	stopEvents()
	tasks, err := c.Tasks(ctx)
	if err != nil || !hasTask(tasks, up.ID) {
		t.Fatalf("tasks %v", err)
	}
	if _, err := c.Task(ctx, "no-such-task"); !isCode(err, status.DspTaskNotExist) {
		t.Fatalf("unknown task: %v", err)
	}
	if err := c.PauseTask(ctx, up.ID); !isCode(err, status.TaskTaskPauseError) {
		t.Fatalf("pausing a finished task: %v", err)
	}
	if err := c.CancelTask(ctx, "no-such-task"); !isCode(err, status.DspTaskNotExist) {
		t.Fatalf("cancel unknown: %v", err)
	}

	// files
	f, err := c.File(ctx, done.FileHash)
	if err != nil || f.Owner != me || len(f.Holders) != 2 || f.Local != "complete" || len(f.WhiteList) != 1 || f.WhiteList[0] != other {
		t.Fatalf("file %+v %v", f, err)
	}
	files, err := c.Files(ctx)
	if err != nil || !hasFile(files, done.FileHash) {
		t.Fatalf("files %v", err)
	}
	if _, err := c.File(ctx, "zz"); !isCode(err, status.InvalidParams) {
		t.Fatalf("bad hash: %v", err)
	}
	if _, err := c.SetWhitelist(ctx, done.FileHash, 1, nil); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.File(ctx, done.FileHash); f.Privilege != 1 {
		t.Fatalf("privilege after SetWhitelist: %d", f.Privilege)
	}
	if err := c.Share(ctx, done.FileHash); err != nil {
		t.Fatalf("share: %v", err)
	}
	if err := c.Share(ctx, strings.Repeat("ab", 32)); !isCode(err, status.DspFileNotExists) {
		t.Fatalf("sharing a file not held: %v", err)
	}

	// names
	url := "dsp://api-" + name
	rec, err := c.RegisterURL(ctx, url, done.FileHash)
	if err != nil || rec.URL != url || rec.FileHash != done.FileHash || rec.Owner != me {
		t.Fatalf("register url %+v %v", rec, err)
	}
	if r, err := c.Resolve(ctx, url); err != nil || r.FileHash != done.FileHash {
		t.Fatalf("resolve %+v %v", r, err)
	}
	if _, err := c.RegisterURL(ctx, url, done.FileHash); err == nil {
		t.Fatal("registering a taken URL succeeded")
	}
	if _, err := c.TransferURL(ctx, url, other); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Resolve(ctx, url); r == nil || r.Owner != other {
		t.Fatalf("owner after transfer: %+v", r)
	}
	if _, err := c.DeleteURL(ctx, url); err == nil {
		t.Fatal("deleting another account's URL succeeded")
	}
	if _, err := c.Resolve(ctx, "dsp://never-registered-"+name); !isCode(err, status.DspGetFileLinkFailed) {
		t.Fatalf("resolve unknown: %v", err)
	}

	// delete the file: the owner's deposit comes back
	before, _ := c.Balance(ctx, keys.Address{})
	if _, err := c.DeleteFile(ctx, done.FileHash); err != nil {
		t.Fatal(err)
	}
	after, _ := c.Balance(ctx, keys.Address{})
	if after.Balance <= before.Balance {
		t.Fatalf("balance %d -> %d after delete: no refund", before.Balance, after.Balance)
	}
	if _, err := c.File(ctx, done.FileHash); !isCode(err, status.DspFileInfoNotFound) {
		t.Fatalf("deleted file: %v", err)
	}

	// proxy: the client node has a dormant proxy client; the devnet's proxy gives it an address
	po, err := c.Proxies(ctx)
	if err != nil || len(po.Known) != 1 {
		t.Fatalf("proxies %+v %v", po, err)
	}
	ps, err := c.RequestProxy(ctx, po.Known[0].Address.String()+"@"+po.Known[0].HostAddr)
	if err != nil || ps.State != "active" || ps.Address == "" {
		t.Fatalf("request proxy %+v %v", ps, err)
	}
	if po, _ := c.Proxies(ctx); po.Mine == nil || po.Mine.Address != ps.Address {
		t.Fatalf("proxies after request: %+v", po)
	}
	if err := c.ReleaseProxy(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.ReleaseProxy(ctx); !isCode(err, status.NoDsp) {
		t.Fatalf("second release: %v", err)
	}
}

func genAddr(t *testing.T) keys.Address {
	k, err := keys.Generate(keys.DefaultScheme)
	if err != nil {
		t.Fatal(err)
	}
	return k.Address()
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func hasTask(ts []client.Task, id string) bool {
	for _, t := range ts {
		if t.ID == id {
			return true
		}
	}
	return false
}

func hasFile(fs []client.File, h string) bool {
	for _, f := range fs {
		if f.Hash == h {
			return true
		}
	}
	return false
}
