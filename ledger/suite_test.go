package ledger

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"dsp/keys"
	"dsp/status"
)

// suite is every behavior test, run against the embedded ledger and against a Remote.
var suite = []struct {
	name string
	fn   func(t *testing.T, f *fixture)
}{
	{"Transfer", testTransfer},
	{"ForgedAndReplayed", testForgedAndReplayed},
	{"PledgeUnlock", testPledgeUnlock},
	{"NodeRegistry", testNodeRegistry},
	{"FileLifecycle", testFileLifecycle},
	{"FileRefusals", testFileRefusals},
	{"WhiteList", testWhiteList},
	{"DNSModes", testDNSModes},
	{"DNSManagement", testDNSManagement},
	{"Queries", testQueries},
	{"SendAndCanDownload", testSendAndCanDownload},
	{"MoreRefusals", testMoreRefusals},
	{"ChannelCheatOverridden", testChannelCheatOverridden},
	{"ChannelRefusals", testChannelRefusals},
	{"ChannelCoopClose", testChannelCoopClose},
}

func runSuite(t *testing.T, mk apiMaker) {
	for _, c := range suite {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newFixture(t, mk)) })
	}
}

func TestEmbedded(t *testing.T) { runSuite(t, embeddedAPI) }

func testTransfer(t *testing.T, f *fixture) {
	f.ok(f.alice, &Transfer{To: f.bob.Address(), Amount: 500})
	if got := f.balance(f.alice); got != funds-501 {
		t.Fatalf("alice %d, want %d", got, funds-501)
	}
	if got := f.balance(f.bob); got != funds+500 {
		t.Fatalf("bob %d", got)
	}
	acc, _ := f.api.Account(f.ctx(), f.producer.Address())
	if acc.Balance != 1 {
		t.Fatalf("producer earned %d, want the fee 1", acc.Balance)
	}
	f.refused(f.alice, &Transfer{To: f.bob.Address(), Amount: funds}, status.InsufficientBalance, ErrInsufficient)
	f.refused(f.alice, &Transfer{To: keys.Address{}, Amount: 1}, status.InvalidWalletAddress, nil)
	f.refused(f.alice, &Transfer{To: f.bob.Address(), Amount: 0}, status.InvalidParams, nil)
	// A fee the sender cannot pay.
	poor := genKey(t)
	tx, _ := NewTx(poor, f.g.ChainID, 0, 1, &Transfer{To: f.bob.Address(), Amount: 1})
	f.refusedTx(tx, status.InsufficientBalance, ErrInsufficient)
	// Fee below the minimum.
	tx = f.tx(f.alice, &Transfer{To: f.bob.Address(), Amount: 1})
	tx.Fee = 0
	tx.Sig, _ = f.alice.Sign(tx.SigningBytes())
	f.refusedTx(tx, status.InvalidParams, ErrFeeTooLow)
}

func testForgedAndReplayed(t *testing.T, f *fixture) {
	tx := f.tx(f.alice, &Transfer{To: f.bob.Address(), Amount: 7})
	if _, err := f.api.Submit(f.ctx(), tx); err != nil {
		t.Fatal(err)
	}
	// The same tx again while pending, then after inclusion: duplicate.
	if _, err := f.api.Submit(f.ctx(), tx); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("pending duplicate: %v", err)
	}
	f.produce(1)
	f.refusedTx(tx, status.InvalidParams, ErrDuplicate)
	// Reused nonce with another body.
	reuse, _ := NewTx(f.alice, f.g.ChainID, 0, 1, &Transfer{To: f.bob.Address(), Amount: 8})
	f.refusedTx(reuse, status.InvalidParams, ErrBadNonce)
	// Skipped nonce.
	skip, _ := NewTx(f.alice, f.g.ChainID, 5, 1, &Transfer{To: f.bob.Address(), Amount: 8})
	f.refusedTx(skip, status.InvalidParams, ErrBadNonce)
	// Tampered amount: the signature no longer covers the body.
	bad := f.tx(f.alice, &Transfer{To: f.bob.Address(), Amount: 9})
	bad.Body = encode(&Transfer{To: f.bob.Address(), Amount: 9000})
	f.refusedTx(bad, status.InvalidParams, ErrBadSignature)
	// Alice's signature presented under Bob's key (spending Bob's money).
	wrong := f.tx(f.alice, &Transfer{To: f.alice.Address(), Amount: 9})
	wrong.PubKey = f.bob.Public().Bytes()
	f.refusedTx(wrong, status.InvalidParams, ErrBadSignature)
	// Garbage key.
	garbage := f.tx(f.alice, &Transfer{To: f.bob.Address(), Amount: 9})
	garbage.PubKey = []byte{9, 1, 2}
	f.refusedTx(garbage, status.InvalidWalletAddress, nil)
	// Another chain.
	other, _ := NewTx(f.alice, "other-chain", 1, 1, &Transfer{To: f.bob.Address(), Amount: 9})
	f.refusedTx(other, status.InvalidParams, ErrWrongChain)
	// Unknown kind.
	unk := f.tx(f.alice, &Transfer{To: f.bob.Address(), Amount: 9})
	unk.Kind = 99
	unk.Sig, _ = f.alice.Sign(unk.SigningBytes())
	f.refusedTx(unk, status.InvalidParams, ErrMalformed)
	if got := f.balance(f.bob); got != funds+7 {
		t.Fatalf("bob %d, want %d", got, funds+7)
	}
}

func testPledgeUnlock(t *testing.T, f *fixture) {
	f.ok(f.alice, &Pledge{Amount: 100})
	acc, _ := f.api.Account(f.ctx(), f.alice.Address())
	if acc.Pledged != 100 || acc.Balance != funds-101 || acc.Nonce != 1 {
		t.Fatalf("after pledge %+v", acc)
	}
	f.refused(f.alice, &Unlock{Amount: 101}, status.InsufficientBalance, ErrInsufficient)
	f.refused(f.alice, &Pledge{Amount: funds}, status.InsufficientBalance, ErrInsufficient)
	f.ok(f.alice, &Unlock{Amount: 60})
	acc, _ = f.api.Account(f.ctx(), f.alice.Address())
	if acc.Pledged != 40 || acc.Balance != funds-42 {
		t.Fatalf("after unlock %+v", acc)
	}
}

func testNodeRegistry(t *testing.T, f *fixture) {
	f.registerFS()
	f.ok(f.alice, &RegisterNode{Info: NodeInfo{Role: RoleScan, HostAddr: "kcp://1.2.3.4:5"}})
	f.ok(f.alice, &RegisterNode{Info: NodeInfo{Role: RoleDNS, HostAddr: "kcp://1.2.3.4:6"}})
	f.ok(f.bob, &RegisterNode{Info: NodeInfo{Role: RoleProxy, HostAddr: "kcp://1.2.3.4:7"}})
	for role, want := range map[Role]int{RoleFS: 3, RoleScan: 1, RoleDNS: 1, RoleProxy: 1} {
		ns, err := f.api.Nodes(f.ctx(), role)
		if err != nil || len(ns) != want {
			t.Fatalf("%s nodes: %d %v, want %d", role, len(ns), err, want)
		}
		for _, n := range ns {
			if n.Role != role {
				t.Fatalf("listed %s under %s", n.Role, role)
			}
		}
	}
	n, err := f.api.Node(f.ctx(), RoleFS, f.fs[0].Address())
	if err != nil || n.PricePerMBBlock != 2 || n.Pledge != 5000 || n.Address != f.fs[0].Address() {
		t.Fatalf("node %+v %v", n, err)
	}
	if f.balance(f.fs[0]) != funds-5001 {
		t.Fatalf("pledge not taken: %d", f.balance(f.fs[0]))
	}
	f.refused(f.fs[0], &RegisterNode{Info: fsInfo(2)}, status.DspNodeRegisterFailed, ErrExists)
	low := fsInfo(2)
	low.Pledge = 1
	f.refused(f.bob, &RegisterNode{Info: low}, status.DspNodeRegisterFailed, ErrInsufficient)
	f.refused(f.bob, &RegisterNode{Info: NodeInfo{Role: 9, HostAddr: "kcp://x:1"}}, status.DspNodeRegisterFailed, nil)
	f.refused(f.bob, &RegisterNode{Info: NodeInfo{Role: RoleScan, HostAddr: "nohost"}}, status.DspNodeRegisterFailed, nil)
	rich := fsInfo(2)
	rich.Pledge = 2 * funds
	f.refused(f.bob, &RegisterNode{Info: rich}, status.InsufficientBalance, ErrInsufficient)
	// Update: raise the pledge and the price.
	up := fsInfo(9)
	up.Pledge = 6000
	f.ok(f.fs[0], &UpdateNode{Info: up})
	n, _ = f.api.Node(f.ctx(), RoleFS, f.fs[0].Address())
	if n.PricePerMBBlock != 9 || f.balance(f.fs[0]) != funds-6002 {
		t.Fatalf("after update %+v balance %d", n, f.balance(f.fs[0]))
	}
	f.refused(f.bob, &UpdateNode{Info: up}, status.DspNodeUpdateFailed, ErrNotFound)
	// A node with a file under contract cannot leave.
	f.ok(f.alice, f.storeFile(f.alice, "held", 1000, f.fs[1]))
	f.refused(f.fs[1], &UnregisterNode{Role: RoleFS}, status.DspNodeUnregisterFailed, ErrExists)
	f.ok(f.fs[0], &UnregisterNode{Role: RoleFS})
	if f.balance(f.fs[0]) != funds-3 {
		t.Fatalf("pledge not returned: %d", f.balance(f.fs[0]))
	}
	if _, err := f.api.Node(f.ctx(), RoleFS, f.fs[0].Address()); status.CodeOf(err, 0) != status.DspNodeQueryFailed.Num() {
		t.Fatalf("unregistered node: %v", err)
	}
}

func testFileLifecycle(t *testing.T, f *fixture) {
	f.registerFS()
	sf := f.storeFile(f.alice, "file-1", 3<<20+1, f.fs[0], f.fs[1]) // 4 started MiB on nodes priced 2 and 3
	sf.CandidateNodes = []keys.Address{f.fs[2].Address()}
	before := f.balance(f.alice)
	r := f.ok(f.alice, sf)
	h := r.Height
	blocks := sf.Option.ExpiredHeight - h
	want := 2*4*blocks + 3*4*blocks
	fi, err := f.api.FileInfo(f.ctx(), sf.FileHash)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Deposit != want || f.balance(f.alice) != before-want-1 {
		t.Fatalf("deposit %d, want %d; balance %d", fi.Deposit, want, f.balance(f.alice))
	}
	if fi.FileOwner != f.alice.Address() || fi.BlockHeight != h || !fi.ValidFlag || fi.CopyNum != 1 ||
		fi.ProveTimes != blocks/10 || len(fi.PrimaryNodes) != 2 || len(fi.CandidateNodes) != 1 ||
		!bytes.Equal(fi.BlocksRoot, sf.BlocksRoot) || !bytes.Equal(fi.FileProveParam, sf.FileProveParam) || fi.RealFileSize != 3<<20+1 {
		t.Fatalf("file info %+v", fi)
	}
	n1, _ := f.api.Node(f.ctx(), RoleFS, f.fs[1].Address())
	if n1.Used != 3<<20+1 {
		t.Fatalf("node used %d", n1.Used)
	}
	// Proofs before confirmation, and from a node that does not store the file.
	f.refused(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: h, Proof: []byte("p")}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
	f.refused(f.fs[2], &ConfirmFile{FileHash: sf.FileHash}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
	c0 := f.ok(f.fs[0], &ConfirmFile{FileHash: sf.FileHash}).Height
	f.refused(f.fs[0], &ConfirmFile{FileHash: sf.FileHash}, status.TaskFileUploadedCheckPdpFailed, ErrExists)
	f.refused(f.fs[2], &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 10, Proof: []byte("p")}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
	// Not due yet.
	if _, err := f.api.Challenge(f.ctx(), sf.FileHash, f.fs[0].Address()); status.CodeOf(err, 0) != status.TaskFileUploadedCheckPdpFailed.Num() {
		t.Fatalf("challenge before the round: %v", err)
	}
	for f.height() < c0+10 {
		f.produce(1)
	}
	ch, err := f.api.Challenge(f.ctx(), sf.FileHash, f.fs[0].Address())
	if err != nil || ch.RoundHeight != c0+10 || ch.ProveBlockNum != 4 {
		t.Fatalf("challenge %+v %v", ch, err)
	}
	seed, _ := f.api.BlockHash(f.ctx(), c0+10)
	if ch.Seed != seed {
		t.Fatal("challenge seed is not the round's block hash")
	}
	// A round that is not the contract's.
	f.refused(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 5, Proof: []byte("p")}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
	nodeBefore := f.balance(f.fs[0])
	f.ok(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: ch.RoundHeight, Proof: []byte("proof-1")})
	if got := f.balance(f.fs[0]); got != nodeBefore+2*4*10-1 {
		t.Fatalf("node paid %d, want %d", got-nodeBefore+1, 2*4*10)
	}
	// The same round twice.
	f.refused(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: ch.RoundHeight, Proof: []byte("p")}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
	ps, err := f.api.Proofs(f.ctx(), sf.FileHash)
	if err != nil || len(ps) != 1 || ps[0].Paid != 80 || !ps[0].Verified || ps[0].RoundHeight != c0+10 {
		t.Fatalf("proofs %+v %v", ps, err)
	}
	cs, _ := f.api.Contracts(f.ctx(), sf.FileHash)
	if len(cs) != 2 {
		t.Fatalf("%d contracts", len(cs))
	}
	var active, pending Contract
	for _, c := range cs {
		if c.Node == f.fs[0].Address() {
			active = c
		} else {
			pending = c
		}
	}
	if active.State != ContractActive || active.Paid != 80 || active.NextProveHeight != c0+20 || pending.State != ContractPending {
		t.Fatalf("contracts %+v / %+v", active, pending)
	}
	// The next round, proven in the last block of its window (its deadline).
	for f.height() < c0+29 {
		f.produce(1)
	}
	f.ok(f.fs[0], &SubmitProof{FileHash: sf.FileHash, RoundHeight: c0 + 20, Proof: []byte("proof-2")})
	cs, _ = f.api.Contracts(f.ctx(), sf.FileHash)
	for _, c := range cs {
		if c.Node == f.fs[0].Address() && (c.Missed != 0 || c.Proofs != 2 || c.Deadline != c0+40 || c.State != ContractActive) {
			t.Fatalf("second proof not counted: %+v", c)
		}
	}
	// Someone else deletes: refused. The owner deletes: refund of what is unspent.
	f.refused(f.bob, &DeleteFile{FileHash: sf.FileHash}, status.TaskDeleteFileAccessDenied, ErrNotOwner)
	before = f.balance(f.alice)
	f.ok(f.alice, &DeleteFile{FileHash: sf.FileHash})
	if got := f.balance(f.alice); got != before+want-160-1 {
		t.Fatalf("refund %d, want %d", got-before+1, want-160)
	}
	if _, err := f.api.FileInfo(f.ctx(), sf.FileHash); status.CodeOf(err, 0) != status.DspFileInfoNotFound.Num() {
		t.Fatalf("deleted file: %v", err)
	}
	n1, _ = f.api.Node(f.ctx(), RoleFS, f.fs[1].Address())
	if n1.Used != 0 {
		t.Fatalf("node space not freed: %d", n1.Used)
	}
	f.refused(f.alice, &DeleteFile{FileHash: sf.FileHash}, status.DspFileInfoNotFound, ErrNotFound)
}

func testFileRefusals(t *testing.T, f *fixture) {
	f.registerFS()
	sf := f.storeFile(f.alice, "f", 1000, f.fs[0])
	f.ok(f.alice, sf)
	dup := f.storeFile(f.bob, "f", 1000, f.fs[1])
	f.refused(f.bob, dup, status.DspUploadFileExist, ErrExists)
	big := f.storeFile(f.bob, "big", 1<<29, f.fs[1])
	f.refused(f.bob, big, status.TaskReceiversRejected, ErrRejected)
	iv := f.storeFile(f.bob, "iv", 1000, f.fs[1])
	iv.Option.ProveInterval = 1000
	iv.Option.ExpiredHeight = f.height() + 5000
	f.refused(f.bob, iv, status.TaskReceiversRejected, ErrRejected)
	pw := f.storeFile(f.bob, "pw", 1000, f.fs[1])
	pw.Option.EncryptPassword = []byte("secret")
	f.refused(f.bob, pw, status.InvalidParams, ErrMalformed)
	cn := f.storeFile(f.bob, "cn", 1000, f.fs[1])
	cn.Option.CopyNum = 2
	f.refused(f.bob, cn, status.InvalidParams, ErrMalformed)
	notFS := f.storeFile(f.bob, "nf", 1000, f.alice)
	f.refused(f.bob, notFS, status.TaskReceiversRejected, ErrNotFound)
	exp := f.storeFile(f.bob, "exp", 1000, f.fs[1])
	exp.Option.ExpiredHeight = f.height()
	f.refused(f.bob, exp, status.DspCustomExpiredNotEnough, ErrExpired)
	poor := genKey(t)
	f.ok(f.alice, &Transfer{To: poor.Address(), Amount: 10})
	f.refused(poor, f.storeFile(poor, "poor", 1000, f.fs[1]), status.InsufficientBalance, ErrInsufficient)
	// Closing: only the owner or the node.
	f.refused(f.bob, &CloseContract{FileHash: sf.FileHash, Node: f.fs[0].Address()}, status.TaskDeleteFileAccessDenied, ErrNotOwner)
	before := f.balance(f.alice)
	f.ok(f.fs[0], &CloseContract{FileHash: sf.FileHash, Node: f.fs[0].Address()})
	cs, _ := f.api.Contracts(f.ctx(), sf.FileHash)
	if len(cs) != 1 || cs[0].State != ContractEnded || cs[0].EndReason != EndClosedNode || f.balance(f.alice) != before+cs[0].Deposit {
		t.Fatalf("closed contract %+v, refund %d", cs, f.balance(f.alice)-before)
	}
	f.refused(f.alice, &CloseContract{FileHash: sf.FileHash, Node: f.fs[0].Address()}, status.InvalidParams, ErrExpired)
}

func testWhiteList(t *testing.T, f *fixture) {
	f.registerFS()
	sf := f.storeFile(f.alice, "wl", 1000, f.fs[0])
	sf.Option.Privilege = PrivilegeWhitelist
	sf.Option.WhiteList = WhiteList{Rules: []WhiteListRule{{Addr: f.bob.Address()}}}
	f.ok(f.alice, sf)
	wl, err := f.api.WhiteList(f.ctx(), sf.FileHash)
	if err != nil || !wl.Allows(f.bob.Address(), 5) || wl.Allows(f.alice.Address(), 5) {
		t.Fatalf("whitelist %+v %v", wl, err)
	}
	f.refused(f.bob, &SetWhiteList{FileHash: sf.FileHash, Privilege: PrivilegePublic}, status.DspWhitelistOpFailed, ErrNotOwner)
	f.refused(f.alice, &SetWhiteList{FileHash: sf.FileHash, Privilege: 3}, status.DspWhitelistOpFailed, ErrMalformed)
	f.refused(f.alice, &SetWhiteList{FileHash: []byte("nope"), Privilege: 1}, status.DspFileInfoNotFound, ErrNotFound)
	f.ok(f.alice, &SetWhiteList{FileHash: sf.FileHash, Privilege: PrivilegePrivate, WhiteList: WhiteList{Rules: []WhiteListRule{{Addr: f.alice.Address(), ExpireHeight: 3}}}})
	wl, _ = f.api.WhiteList(f.ctx(), sf.FileHash)
	fi, _ := f.api.FileInfo(f.ctx(), sf.FileHash)
	if wl.Allows(f.bob.Address(), 5) || !wl.Allows(f.alice.Address(), 3) || wl.Allows(f.alice.Address(), 4) || fi.Privilege != PrivilegePrivate {
		t.Fatalf("after set: %+v privilege %d", wl, fi.Privilege)
	}
	if _, err := f.api.WhiteList(f.ctx(), []byte("nope")); status.CodeOf(err, 0) != status.DspGetWhitelistFailed.Num() {
		t.Fatalf("whitelist of unknown file: %v", err)
	}
}

func testDNSModes(t *testing.T, f *fixture) {
	// 1: default header, random URL.
	r := f.ok(f.alice, &RegisterURL{Link: "file:01"})
	if !strings.HasPrefix(r.Result, "dsp://") || len(r.Result) < 10 {
		t.Fatalf("random url %q", r.Result)
	}
	u, err := f.api.Resolve(f.ctx(), r.Result)
	if err != nil || u.Link != "file:01" || u.Owner != f.alice.Address() || u.BlockHeight != r.Height {
		t.Fatalf("resolve %+v %v", u, err)
	}
	// 3: default header, custom URL; resolvable with and without the header.
	r = f.ok(f.alice, &RegisterURL{URL: "my/photos", Link: "file:02", Name: "/home/a/photos", Desc: "photos", TTL: 50})
	if r.Result != "dsp://my/photos" {
		t.Fatalf("custom url %q", r.Result)
	}
	for _, s := range []string{"dsp://my/photos", "my/photos"} {
		if u, err := f.api.Resolve(f.ctx(), s); err != nil || u.TTL != 50 || u.Name != "/home/a/photos" {
			t.Fatalf("resolve %s: %+v %v", s, u, err)
		}
	}
	// Taken.
	f.refused(f.bob, &RegisterURL{URL: "my/photos", Link: "file:03"}, status.DspUploadUrlExist, ErrExists)
	// Reserved headers.
	for _, h := range []string{"dsp", "http", "ledger"} {
		f.refused(f.bob, &RegisterHeader{Name: h, TTL: 10}, status.DspUrlRegisterFailed, ErrReserved)
	}
	f.refused(f.bob, &RegisterHeader{Name: "Bad!", TTL: 10}, status.DspUrlRegisterFailed, ErrMalformed)
	f.refused(f.bob, &RegisterURL{Header: "http", URL: "x", Link: "l"}, status.DspUrlRegisterFailed, ErrReserved)
	// 2 and 4: a custom header.
	f.ok(f.bob, &RegisterHeader{Name: "bobs", Desc: "bob's names", TTL: 30})
	f.refused(f.alice, &RegisterHeader{Name: "bobs", TTL: 30}, status.DspUrlRegisterFailed, ErrExists)
	f.refused(f.alice, &RegisterURL{Header: "bobs", URL: "steal", Link: "l"}, status.DspUrlRegisterFailed, ErrNotOwner)
	f.refused(f.bob, &RegisterURL{Header: "nobody", URL: "x", Link: "l"}, status.DspUrlRegisterFailed, ErrNotFound)
	r = f.ok(f.bob, &RegisterURL{Header: "bobs", Link: "file:04"})
	if !strings.HasPrefix(r.Result, "bobs://") {
		t.Fatalf("custom header random url %q", r.Result)
	}
	r4 := f.ok(f.bob, &RegisterURL{Header: "bobs", URL: "music", Link: "file:05"})
	if r4.Result != "bobs://music" {
		t.Fatalf("naming mode %q", r4.Result)
	}
	if _, err := f.api.Resolve(f.ctx(), "bobs://music"); err != nil {
		t.Fatal(err)
	}
	// Malformed URL and empty link.
	f.refused(f.bob, &RegisterURL{URL: "sp ace", Link: "l"}, status.DspUrlRegisterFailed, ErrMalformed)
	f.refused(f.bob, &RegisterURL{URL: "nolink"}, status.DspUrlRegisterFailed, ErrMalformed)
	// A file uploaded with RegisterDNS gets a URL linking it.
	f.registerFS()
	sf := f.storeFile(f.alice, "dnsfile", 1000, f.fs[0])
	sf.Option.RegisterDNS, sf.Option.DnsURL = true, []byte("dsp://dnsfile")
	r = f.ok(f.alice, sf)
	if u, err := f.api.Resolve(f.ctx(), "dnsfile"); err != nil || u.Link != FileLink(sf.FileHash) || r.Result != "dsp://dnsfile" {
		t.Fatalf("upload url %+v %v %q", u, err, r.Result)
	}
	// BindDNS rebinds the sender's URL; another's URL is refused.
	sf2 := f.storeFile(f.alice, "dnsfile2", 1000, f.fs[0])
	sf2.Option.BindDNS, sf2.Option.DnsURL = true, []byte("dsp://dnsfile")
	f.ok(f.alice, sf2)
	if u, _ := f.api.Resolve(f.ctx(), "dnsfile"); u.Link != FileLink(sf2.FileHash) {
		t.Fatalf("bind: link %q", u.Link)
	}
	sf3 := f.storeFile(f.bob, "dnsfile3", 1000, f.fs[0])
	sf3.Option.BindDNS, sf3.Option.DnsURL = true, []byte("dnsfile")
	f.refused(f.bob, sf3, status.DspUrlBindFailed, ErrNotOwner)
}

func testDNSManagement(t *testing.T, f *fixture) {
	f.ok(f.bob, &RegisterHeader{Name: "shop", TTL: 20})
	f.ok(f.bob, &RegisterURL{Header: "shop", URL: "a", Link: "l1"})
	hdr, err := f.api.Header(f.ctx(), "shop")
	if err != nil || hdr.Owner != f.bob.Address() {
		t.Fatalf("header %+v %v", hdr, err)
	}
	// Only the owner updates, transfers and deletes.
	f.refused(f.alice, &UpdateURL{URL: "shop://a", Link: "evil"}, status.DspUrlBindFailed, ErrNotOwner)
	f.refused(f.alice, &TransferName{Name: "shop://a", To: f.alice.Address()}, status.DspUrlBindFailed, ErrNotOwner)
	f.refused(f.alice, &DeleteName{Name: "shop://a"}, status.DspUrlBindFailed, ErrNotOwner)
	f.refused(f.alice, &TransferName{Name: "shop", IsHeader: true, To: f.alice.Address()}, status.DspUrlBindFailed, ErrNotOwner)
	f.refused(f.alice, &DeleteName{Name: "shop", IsHeader: true}, status.DspUrlBindFailed, ErrNotOwner)
	f.refused(f.alice, &RenewHeader{Name: "shop", TTL: 100}, status.DspUrlBindFailed, ErrNotOwner)
	f.ok(f.bob, &UpdateURL{URL: "shop://a", Link: "l2", Desc: "d"})
	if u, _ := f.api.Resolve(f.ctx(), "shop://a"); u.Link != "l2" {
		t.Fatalf("update: %+v", u)
	}
	f.ok(f.bob, &TransferName{Name: "shop://a", To: f.alice.Address()})
	f.ok(f.alice, &UpdateURL{URL: "shop://a", Link: "l3"})
	f.refused(f.bob, &UpdateURL{URL: "shop://a", Link: "l4"}, status.DspUrlBindFailed, ErrNotOwner)
	// Deleting the header makes its URLs unresolvable; a new registration does not revive them.
	f.ok(f.bob, &DeleteName{Name: "shop", IsHeader: true})
	if _, err := f.api.Resolve(f.ctx(), "shop://a"); status.CodeOf(err, 0) != status.DspGetFileLinkFailed.Num() {
		t.Fatalf("url under a deleted header: %v", err)
	}
	f.ok(f.alice, &RegisterHeader{Name: "shop", TTL: 5})
	if _, err := f.api.Resolve(f.ctx(), "shop://a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stale url under a re-registered header: %v", err)
	}
	// The new owner may reuse the name; the header expires with its TTL.
	f.ok(f.alice, &RegisterURL{Header: "shop", URL: "a", Link: "new"})
	if u, err := f.api.Resolve(f.ctx(), "shop://a"); err != nil || u.Link != "new" {
		t.Fatalf("reused url %+v %v", u, err)
	}
	hdr, _ = f.api.Header(f.ctx(), "shop")
	for f.height() <= hdr.ExpireHeight {
		f.produce(1)
	}
	if _, err := f.api.Resolve(f.ctx(), "shop://a"); !errors.Is(err, ErrExpired) {
		t.Fatalf("url under an expired header: %v", err)
	}
	if _, err := f.api.Header(f.ctx(), "shop"); status.CodeOf(err, 0) != status.DspGetFileLinkFailed.Num() {
		t.Fatalf("expired header: %v", err)
	}
	// URL TTL.
	r := f.ok(f.alice, &RegisterURL{URL: "short", Link: "l", TTL: 2})
	for f.height() <= r.Height+2 {
		f.produce(1)
	}
	if _, err := f.api.Resolve(f.ctx(), "short"); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired url: %v", err)
	}
	// Once expired, anyone may take the name.
	f.ok(f.bob, &RegisterURL{URL: "short", Link: "bob"})
	// Delete a URL.
	f.ok(f.bob, &DeleteName{Name: "dsp://short"})
	if _, err := f.api.Resolve(f.ctx(), "short"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted url: %v", err)
	}
}

func testQueries(t *testing.T, f *fixture) {
	ctx := f.ctx()
	info, err := f.api.ChainInfo(ctx)
	if err != nil || info.ChainID != f.g.ChainID || info.Producer != f.producer.Address() || info.GenesisHash != f.g.Hash() {
		t.Fatalf("chain info %+v %v", info, err)
	}
	r := f.ok(f.alice, &Transfer{To: f.bob.Address(), Amount: 3})
	rec, err := f.api.Tx(ctx, r.TxHash)
	if err != nil || rec.Receipt.Height != r.Height || rec.Tx.Hash() != r.TxHash {
		t.Fatalf("tx %+v %v", rec, err)
	}
	b, err := f.api.Block(ctx, r.Height)
	if err != nil || len(b.Txs) != 1 || b.Txs[0].Hash() != r.TxHash {
		t.Fatalf("block %+v %v", b, err)
	}
	bh, err := f.api.BlockHash(ctx, r.Height)
	if err != nil || bh != b.Hash() {
		t.Fatalf("block hash %v %v", bh, err)
	}
	parent, _ := f.api.BlockHash(ctx, r.Height-1)
	if b.Header.Parent != parent {
		t.Fatal("block does not name its parent")
	}
	if _, err := f.api.Block(ctx, 1000); status.CodeOf(err, 0) != status.ChainUnknownBlock.Num() {
		t.Fatalf("unknown block: %v", err)
	}
	if _, err := f.api.BlockHash(ctx, 1000); status.CodeOf(err, 0) != status.ChainUnknownBlock.Num() {
		t.Fatalf("unknown block hash: %v", err)
	}
	if _, err := f.api.Tx(ctx, Hash{1}); status.CodeOf(err, 0) != status.ChainUnknownTx.Num() {
		t.Fatalf("unknown tx: %v", err)
	}
	if _, err := f.api.WaitTx(ctx, Hash{1}); status.CodeOf(err, 0) != status.ChainUnknownTx.Num() {
		t.Fatalf("wait unknown tx: %v", err)
	}
	// WaitTx times out on a tx no block includes yet.
	h, err := f.api.Submit(ctx, f.tx(f.alice, &Transfer{To: f.bob.Address(), Amount: 1}))
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 30_000_000)
	_, err = f.api.WaitTx(short, h)
	cancel()
	if status.CodeOf(err, 0) != status.ChainWaitTxComfirmedTimeout.Num() {
		t.Fatalf("wait timeout: %v", err)
	}
	if n, _ := f.api.NextNonce(ctx, f.alice.Address()); n != 2 {
		t.Fatalf("next nonce %d, want 2", n)
	}
	f.produce(1)
	if _, err := f.api.WaitTx(ctx, h); err != nil {
		t.Fatal(err)
	}
	f.registerFS()
	f.ok(f.alice, f.storeFile(f.alice, "q1", 100, f.fs[0]))
	f.ok(f.alice, f.storeFile(f.alice, "q2", 100, f.fs[1]))
	f.ok(f.bob, f.storeFile(f.bob, "q3", 100, f.fs[1]))
	fs, err := f.api.FilesOf(ctx, f.alice.Address())
	if err != nil || len(fs) != 2 || string(fs[0].FileHash) != "q1" || string(fs[1].FileHash) != "q2" {
		t.Fatalf("files of alice: %d %v", len(fs), err)
	}
	if fs, _ := f.api.FilesOf(ctx, f.producer.Address()); len(fs) != 0 {
		t.Fatalf("files of producer: %d", len(fs))
	}
}

func testSendAndCanDownload(t *testing.T, f *fixture) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() { // Send blocks until a block includes the tx: make blocks until it returns
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
				_, _ = f.l.ProduceBlock()
			}
		}
	}()
	r, err := Send(f.ctx(), f.api, f.alice, 1, &Transfer{To: f.bob.Address(), Amount: 5})
	close(done)
	<-stopped
	if err != nil || r.Code != 0 {
		t.Fatalf("send %+v %v", r, err)
	}
	fi := &FileInfo{FileOwner: f.alice.Address(), Privilege: PrivilegePrivate}
	wl := &WhiteList{Rules: []WhiteListRule{{Addr: f.bob.Address(), BaseHeight: 2, ExpireHeight: 4}}}
	cases := []struct {
		priv uint64
		who  keys.Address
		h    uint64
		want bool
	}{
		{PrivilegePrivate, f.alice.Address(), 1, true},
		{PrivilegePrivate, f.bob.Address(), 3, false},
		{PrivilegePublic, f.bob.Address(), 1, true},
		{PrivilegeWhitelist, f.bob.Address(), 3, true},
		{PrivilegeWhitelist, f.bob.Address(), 5, false},
		{PrivilegeWhitelist, f.bob.Address(), 1, false},
		{PrivilegeWhitelist, f.producer.Address(), 3, false},
	}
	for i, c := range cases {
		fi.Privilege = c.priv
		if got := fi.CanDownload(c.who, wl, c.h); got != c.want {
			t.Fatalf("case %d: %v", i, got)
		}
	}
}

// testMoreRefusals tries the remaining rules: each refusal has its code and changes nothing.
func testMoreRefusals(t *testing.T, f *fixture) {
	f.registerFS()
	f.ok(f.alice, f.storeFile(f.alice, "m", 4000, f.fs[0]))
	small := fsInfo(2)
	small.Capacity = 100 // below the 4000 bytes under contract
	f.refused(f.fs[0], &UpdateNode{Info: small}, status.DspNodeUpdateFailed, ErrMalformed)
	rich := fsInfo(2)
	rich.Pledge = 2 * funds
	f.refused(f.fs[0], &UpdateNode{Info: rich}, status.InsufficientBalance, ErrInsufficient)
	f.refused(f.bob, &UnregisterNode{Role: RoleDNS}, status.DspNodeUnregisterFailed, ErrNotFound)
	f.refused(f.alice, &TransferName{Name: "dsp://x", To: keys.Address{}}, status.InvalidWalletAddress, nil)
	f.refused(f.alice, &RenewHeader{Name: "none", TTL: 5}, status.DspUrlBindFailed, ErrNotFound)
	f.ok(f.alice, &RegisterHeader{Name: "mine", TTL: 100})
	f.refused(f.alice, &RenewHeader{Name: "mine", TTL: 0}, status.DspUrlBindFailed, ErrMalformed)
	f.refused(f.alice, &RegisterHeader{Name: "long", TTL: f.g.Params.MaxHeaderTTL + 1}, status.DspUrlRegisterFailed, ErrMalformed)
	f.refused(f.alice, &UpdateURL{URL: "dsp://none", Link: "l"}, status.DspUrlBindFailed, ErrNotFound)
	f.refused(f.alice, &DeleteName{Name: "none", IsHeader: true}, status.DspUrlBindFailed, ErrNotFound)
	f.refused(f.bob, &CloseContract{FileHash: []byte("none"), Node: f.fs[0].Address()}, status.DspFileInfoNotFound, ErrNotFound)
	f.refused(f.fs[0], &ConfirmFile{FileHash: []byte("none")}, status.DspFileInfoNotFound, ErrNotFound)
	f.refused(f.fs[0], &SubmitProof{FileHash: []byte("none"), RoundHeight: 1, Proof: []byte("p")}, status.TaskFileUploadedCheckPdpFailed, ErrBadProof)
	// A renewed header lives longer; its owner may renew it.
	f.ok(f.alice, &RenewHeader{Name: "mine", TTL: 500})
	if h, err := f.api.Header(f.ctx(), "mine"); err != nil || h.ExpireHeight != f.height()+500 {
		t.Fatalf("renewed header %+v %v (height %d)", h, err, f.height())
	}
}
