package main

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dsp/keys"

	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // the spec's address needs RIPEMD-160
)

func init() {
	// Account tests seal many keys; the real cost is keys.DefaultScrypt.
	walletOptions = []keys.Option{keys.WithScrypt(keys.ScryptParams{N: 16, R: 1, P: 1})}
}

// acctEnv is a data dir with a password file for account CLI tests.
type acctEnv struct {
	dir, wallet, pwFile string
}

func newAcctEnv(t *testing.T) acctEnv {
	t.Helper()
	dir := t.TempDir()
	e := acctEnv{dir: dir, wallet: filepath.Join(dir, "wallet.json"), pwFile: filepath.Join(dir, "pw")}
	if err := os.WriteFile(e.pwFile, []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// run runs "dsp account ARGS --data DIR --password-file PW" and returns stdout, stderr, code.
func (e acctEnv) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	full := append([]string{"account"}, args...)
	full = append(full, "--data", e.dir, "--password-file", e.pwFile)
	return runCLI(t, full...)
}

// ok runs with --json, requires exit 0 and decodes stdout into v.
func (e acctEnv) ok(t *testing.T, v any, args ...string) {
	t.Helper()
	out, errOut, code := e.run(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
}

// fail runs with --json and requires the given exit code and spec code.
func (e acctEnv) fail(t *testing.T, exit, code int, args ...string) string {
	t.Helper()
	out, errOut, got := e.run(t, append(args, "--json")...)
	var r struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	_ = json.Unmarshal([]byte(out), &r)
	if got != exit || r.Code != code {
		t.Fatalf("%v: exit %d code %d, want exit %d code %d\n%s%s", args, got, r.Code, exit, code, out, errOut)
	}
	return r.Msg
}

// specBase58 is the Bitcoin-alphabet base58 of b, written here independently of the keys package.
func specBase58(b []byte) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod, base := new(big.Int), big.NewInt(58)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append([]byte{alphabet[mod.Int64()]}, out...)
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append([]byte{'1'}, out...)
	}
	return string(out)
}

// specAddress follows the spec's seven steps over the public key bytes.
func specAddress(pub []byte) string {
	code := append(append([]byte(nil), pub...), 0xAC) // 1
	h := sha256.Sum256(code)                          // 2
	r := ripemd160.New()                              // 3
	r.Write(h[:])
	s := append([]byte{0x17}, r.Sum(nil)...) // 4
	s1 := sha256.Sum256(s)                   // 5
	s2 := sha256.Sum256(s1[:])
	s = append(s, s2[:4]...) // 6
	return specBase58(s)     // 7
}

func TestAccountImportP256AddressMatchesSpec(t *testing.T) {
	e := newAcctEnv(t)
	const privHex = "519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464"
	var got accountOut
	e.ok(t, &got, "import", "--scheme", "p256", "--private-key", privHex)

	// The compressed SEC1 public key, made with crypto/ecdh rather than the keys package.
	priv, err := ecdh.P256().NewPrivateKey(must(hex.DecodeString(privHex)))
	if err != nil {
		t.Fatal(err)
	}
	unc := priv.PublicKey().Bytes() // 0x04 || X || Y
	pub := append([]byte{0x02 | unc[64]&1}, unc[1:33]...)
	want := specAddress(pub)
	if got.Address != want || want != "AQMDN19BHsyjfqhZCbn5qpWfjeYFzfojAZ" {
		t.Fatalf("address %s, spec steps give %s", got.Address, want)
	}
	if got.PublicKey != hex.EncodeToString(pub) || got.Scheme != "SHA256withECDSA" || got.SchemeID != 1 || !got.Default {
		t.Fatalf("account %+v", got)
	}
	if fi, err := os.Stat(e.wallet); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("wallet file: %v %v", fi, err)
	}
	// The same key again is ACCOUNT_EXIST, and the file does not change.
	before, _ := os.ReadFile(e.wallet)
	e.fail(t, 1, 40008, "import", "--scheme", "p256", "--private-key", privHex)
	if after, _ := os.ReadFile(e.wallet); !bytes.Equal(before, after) {
		t.Fatal("wallet changed")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestAccountNewListShowDefault(t *testing.T) {
	e := newAcctEnv(t)
	var a, b, c accountOut
	e.ok(t, &a, "new", "--label", "main")
	e.ok(t, &b, "new", "--label", "p", "--scheme", "p256")
	e.ok(t, &c, "new", "--label", "r", "--scheme", "p256-ripemd160")
	if a.Scheme != "SHA512withEdDSA" || len(a.PublicKey) != 64 || !a.Default {
		t.Fatalf("first account %+v", a)
	}
	if b.Scheme != "SHA256withECDSA" || len(b.PublicKey) != 66 || b.Default || c.Scheme != "RIPEMD160withECDSA" {
		t.Fatalf("accounts %+v %+v", b, c)
	}
	var list []accountOut
	e.ok(t, &list, "list")
	if len(list) != 3 || list[0] != a || list[1] != b || list[2] != c {
		t.Fatalf("list %+v", list)
	}
	var shown accountOut
	e.ok(t, &shown, "show", "p")
	if shown != b {
		t.Fatalf("show p: %+v", shown)
	}
	e.ok(t, &shown, "show", c.Address)
	if shown != c {
		t.Fatalf("show addr: %+v", shown)
	}
	e.ok(t, &shown, "show")
	if shown != a {
		t.Fatalf("show default: %+v", shown)
	}
	e.ok(t, &shown, "default", "r")
	if shown.Address != c.Address || !shown.Default {
		t.Fatalf("default r: %+v", shown)
	}
	e.ok(t, &shown, "default")
	if shown.Address != c.Address {
		t.Fatalf("default: %+v", shown)
	}
	e.ok(t, &list, "list")
	if list[0].Default || !list[2].Default {
		t.Fatalf("list after default: %+v", list)
	}
	out, _, code := e.run(t, "list")
	if code != 0 || !strings.Contains(out, "* "+c.Address) || !strings.Contains(out, a.Address) {
		t.Fatalf("text list: %d %q", code, out)
	}
	out, _, code = e.run(t, "show", "main")
	if code != 0 || !strings.Contains(out, a.Address) || !strings.Contains(out, a.PublicKey) {
		t.Fatalf("text show: %d %q", code, out)
	}
	// --wallet picks another file.
	other := filepath.Join(e.dir, "other", "w.json")
	e.ok(t, nil, "new", "--wallet", other, "--default")
	e.ok(t, &list, "list", "--wallet", other)
	if len(list) != 1 || !list[0].Default {
		t.Fatalf("other wallet %+v", list)
	}
	e.fail(t, 1, 40007, "show", "nobody")
	e.fail(t, 1, 40008, "new", "--label", "main")
	e.fail(t, 2, 40002, "new", "--scheme", "rsa")
	e.fail(t, 2, 40002, "new", "--label", a.Address)
}

func TestAccountExportImport(t *testing.T) {
	e := newAcctEnv(t)
	var a accountOut
	e.ok(t, &a, "new", "--label", "src", "--scheme", "p256-sha3")
	var priv map[string]string
	e.ok(t, &priv, "export", "src", "--private-key")
	if priv["address"] != a.Address || len(priv["privateKey"]) != 64 || priv["scheme"] != "SHA3-256withECDSA" {
		t.Fatalf("export --private-key: %v", priv)
	}
	out, _, code := e.run(t, "export", "--private-key") // the default account, text
	if code != 0 || strings.TrimSpace(out) != priv["privateKey"] {
		t.Fatalf("text export: %q", out)
	}

	blobFile := filepath.Join(e.dir, "src.blob")
	blobPW := filepath.Join(e.dir, "blobpw")
	_ = os.WriteFile(blobPW, []byte("blob secret\n"), 0o600)
	e.ok(t, nil, "export", "src", "--out", blobFile, "--blob-password-file", blobPW)
	if fi, err := os.Stat(blobFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("blob file: %v", err)
	}
	e.fail(t, 2, 40002, "export", "src", "--out", blobFile, "--blob-password-file", blobPW) // exists
	blob, _ := os.ReadFile(blobFile)
	if bytes.Contains(blob, []byte(priv["privateKey"])) {
		t.Fatal("blob holds the raw key")
	}

	// Into a second wallet: the wrong blob password fails and writes nothing.
	dst := filepath.Join(e.dir, "dst.json")
	e.fail(t, 1, 50015, "import", "--file", blobFile, "--wallet", dst)
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Fatal("failed import created the wallet")
	}
	var got accountOut
	e.ok(t, &got, "import", "--file", blobFile, "--blob-password-file", blobPW, "--wallet", dst)
	if got.Address != a.Address || got.Label != "src" || got.PublicKey != a.PublicKey {
		t.Fatalf("imported %+v, want %+v", got, a)
	}
	var priv2 map[string]string
	e.ok(t, &priv2, "export", "--private-key", "--wallet", dst)
	if priv2["privateKey"] != priv["privateKey"] {
		t.Fatal("imported key differs")
	}
	// The raw key imports to the same address under its scheme.
	raw := filepath.Join(e.dir, "raw.json")
	e.ok(t, &got, "import", "--scheme", "p256-sha3", "--private-key", "0x"+priv["privateKey"], "--wallet", raw, "--label", "again")
	if got.Address != a.Address || got.Label != "again" {
		t.Fatalf("raw import %+v", got)
	}
	// Blob on stdin (no terminal needed when both passwords come from files).
	root.SetIn(bytes.NewReader(blob))
	defer root.SetIn(nil)
	e.ok(t, &got, "import", "--file", "-", "--blob-password-file", blobPW, "--wallet", filepath.Join(e.dir, "stdin.json"))
	if got.Address != a.Address {
		t.Fatalf("stdin import %+v", got)
	}
}

func TestAccountErrors(t *testing.T) {
	e := newAcctEnv(t)
	e.fail(t, 1, 50013, "list")
	e.fail(t, 1, 50013, "show", "x")
	e.fail(t, 1, 50013, "export", "--private-key")
	var a accountOut
	e.ok(t, &a, "new", "--label", "k")
	before, _ := os.ReadFile(e.wallet)

	wrong := filepath.Join(e.dir, "wrong")
	_ = os.WriteFile(wrong, []byte("nope\n"), 0o600)
	_, errOut, code := runCLI(t, "account", "export", "k", "--private-key", "--data", e.dir, "--password-file", wrong)
	if code != 1 || !strings.Contains(errOut, "50015") || !strings.Contains(errOut, "ACCOUNT_PASSWORD_WRONG") {
		t.Fatalf("wrong password: %d %q", code, errOut)
	}
	e.fail(t, 2, 40002, "import", "--private-key", "zz", "--scheme", "p256")
	e.fail(t, 2, 40002, "import", "--private-key", "00", "--scheme", "p256")
	e.fail(t, 2, 40002, "import", "--private-key", strings.Repeat("11", 32))
	e.fail(t, 2, 40002, "import", "--private-key", strings.Repeat("11", 32), "--scheme", "SHA224withECDSA")
	e.fail(t, 2, 40002, "import")
	_, errOut, code = runCLI(t, "account", "new", "--data", e.dir, "--password-file", filepath.Join(e.dir, "missing"))
	if code != 2 || !strings.Contains(errOut, "password file") {
		t.Fatalf("missing password file: %d %q", code, errOut)
	}
	if after, _ := os.ReadFile(e.wallet); !bytes.Equal(before, after) {
		t.Fatal("failed commands changed the wallet")
	}

	// No --password-file and no terminal: a clear error at once, not a hang.
	root.SetIn(strings.NewReader("typed password\n"))
	defer root.SetIn(nil)
	_, errOut, code = runCLI(t, "account", "new", "--data", e.dir)
	if code != 2 || !strings.Contains(errOut, "--password-file") {
		t.Fatalf("no terminal: %d %q", code, errOut)
	}

	// A damaged wallet is ACCOUNTDATA_NOT_EXIST and is never rewritten.
	damaged := before[:len(before)-10]
	_ = os.WriteFile(e.wallet, damaged, 0o600)
	e.fail(t, 1, 50014, "list")
	e.fail(t, 1, 50014, "new", "--label", "other")
	e.fail(t, 1, 50014, "import", "--scheme", "ed25519", "--private-key", strings.Repeat("22", 32))
	if after, _ := os.ReadFile(e.wallet); !bytes.Equal(damaged, after) {
		t.Fatal("a command rewrote a damaged wallet")
	}
	// An account under an unknown scheme id.
	unknown := bytes.Replace(before, []byte(`"schemeId": 2`), []byte(`"schemeId": 7`), 1)
	_ = os.WriteFile(e.wallet, unknown, 0o600)
	if msg := e.fail(t, 1, 50014, "list"); !strings.Contains(msg, "unknown signature scheme") {
		t.Fatalf("unknown scheme message %q", msg)
	}
}
