package keys

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"dsp/status"
)

// cheap keeps scrypt fast in tests; DefaultScrypt is the real cost.
var cheap = WithScrypt(ScryptParams{N: 16, R: 1, P: 1})

func isCode(err error, c status.Code) bool { return errors.Is(err, status.Is(c)) }

// newTestWallet creates a wallet in a temp dir with one account per scheme, labelled by scheme,
// each sealed under "pw-<label>", and saves it.
func newTestWallet(t *testing.T) (*Wallet, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "wallet.json")
	w, err := CreateWallet(path, cheap)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Schemes() {
		label := strings.ToLower(s.String())
		if _, _, err := w.NewAccount(s, label, "pw-"+label); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Save(); err != nil {
		t.Fatal(err)
	}
	return w, path
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDefaultScryptIsReal(t *testing.T) {
	if DefaultScrypt.N < 1<<15 || DefaultScrypt.R < 8 || DefaultScrypt.Validate() != nil {
		t.Fatalf("DefaultScrypt %+v is below the documented cost", DefaultScrypt)
	}
	w, err := CreateWallet(filepath.Join(t.TempDir(), "w.json"))
	if err != nil {
		t.Fatal(err)
	}
	if w.opt.cost != DefaultScrypt {
		t.Fatalf("wallet without options uses %+v", w.opt.cost)
	}
}

func TestWalletAccountsAndDefault(t *testing.T) {
	w, path := newTestWallet(t)
	w2, err := OpenWallet(path, cheap)
	if err != nil {
		t.Fatal(err)
	}
	accts := w2.Accounts()
	if len(accts) != len(Schemes()) {
		t.Fatalf("%d accounts", len(accts))
	}
	for i, a := range accts {
		s := Schemes()[i]
		if a.PublicKey.Scheme != s || a.Label != strings.ToLower(s.String()) || a.Address != a.PublicKey.Address() {
			t.Errorf("account %d: %+v", i, a)
		}
		if a.Default != (i == 0) {
			t.Errorf("account %d default=%v", i, a.Default)
		}
		kp, err := w2.Unlock(a.Label, "pw-"+a.Label)
		if err != nil {
			t.Fatalf("unlock %s: %v", a.Label, err)
		}
		if !kp.Public().Equal(a.PublicKey) {
			t.Errorf("unlocked key differs")
		}
		kp2, err := w2.Unlock(a.Address.String(), "pw-"+a.Label)
		if err != nil || !kp2.Public().Equal(a.PublicKey) {
			t.Errorf("unlock by address: %v", err)
		}
		sig, _ := kp.Sign([]byte("m"))
		if err := a.PublicKey.Verify([]byte("m"), sig); err != nil {
			t.Error(err)
		}
	}
	d, err := w2.Default()
	if err != nil || d.Address != accts[0].Address {
		t.Fatalf("default %v %v", d, err)
	}
	if err := w2.SetDefault(accts[2].Label); err != nil {
		t.Fatal(err)
	}
	if err := w2.SetDefault("nobody"); !isCode(err, status.NoAccount) || !errors.Is(err, ErrNoAccount) {
		t.Fatalf("SetDefault(nobody): %v", err)
	}
	if err := w2.Save(); err != nil {
		t.Fatal(err)
	}
	w3, err := OpenWallet(path)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := w3.Default(); d.Address != accts[2].Address || !d.Default {
		t.Fatalf("default after reopen: %+v", d)
	}
	if _, err := w3.Account("nobody"); !isCode(err, status.NoAccount) {
		t.Fatalf("Account(nobody): %v", err)
	}
	if a, err := w3.Account(accts[1].Address.String()); err != nil || a.Label != accts[1].Label {
		t.Fatalf("Account(addr): %+v %v", a, err)
	}
	_ = w
}

func TestWalletEmptyDefault(t *testing.T) {
	w, err := CreateWallet(filepath.Join(t.TempDir(), "w.json"), cheap)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Default(); !isCode(err, status.NoAccount) {
		t.Fatalf("empty wallet default: %v", err)
	}
	if len(w.Accounts()) != 0 {
		t.Fatal("accounts in a new wallet")
	}
	if _, err := w.Unlock("", "x"); !isCode(err, status.NoAccount) {
		t.Fatalf("unlock empty label: %v", err)
	}
}

func TestWalletFileMode(t *testing.T) {
	_, path := newTestWallet(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	w, _ := OpenWallet(path, cheap)
	if err := w.Save(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after save %v", fi.Mode())
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Fatalf("created directory mode %v", fi.Mode())
	}
}

func TestWalletWrongPassword(t *testing.T) {
	w, path := newTestWallet(t)
	before := readFile(t, path)
	for _, a := range w.Accounts() {
		for _, pw := range []string{"", "wrong", "pw-" + a.Label + " "} {
			_, err := w.Unlock(a.Label, pw)
			if !errors.Is(err, ErrWrongPassword) || status.CodeOf(err, 0) != 50015 {
				t.Errorf("%s with %q: %v", a.Label, pw, err)
			}
		}
		if _, err := w.ExportAccount(a.Label, "wrong", "x"); status.CodeOf(err, 0) != 50015 {
			t.Errorf("export with wrong password: %v", err)
		}
	}
	if err := w.Save(); err != nil { // a save after failures writes the same content
		t.Fatal(err)
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("wallet file changed")
	}
}

func TestWalletMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.json")
	_, err := OpenWallet(path)
	if !errors.Is(err, ErrWalletNotExist) || status.CodeOf(err, 0) != 50013 {
		t.Fatalf("missing wallet: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("OpenWallet created a file")
	}
	w, err := OpenOrCreateWallet(path, cheap)
	if err != nil || len(w.Accounts()) != 0 {
		t.Fatalf("OpenOrCreateWallet: %v", err)
	}
	if _, err := OpenWallet(path); err != nil {
		t.Fatalf("after create: %v", err)
	}
}

func TestCreateWalletNeverClobbers(t *testing.T) {
	_, path := newTestWallet(t)
	before := readFile(t, path)
	_, err := CreateWallet(path, cheap)
	if !errors.Is(err, ErrWalletExists) || status.CodeOf(err, 0) != 50016 {
		t.Fatalf("CreateWallet over a file: %v", err)
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("CreateWallet changed the file")
	}
	w, err := OpenOrCreateWallet(path, cheap)
	if err != nil || len(w.Accounts()) != 4 {
		t.Fatalf("OpenOrCreateWallet on existing: %v", err)
	}
}

// editWallet decodes the wallet file at path into generic JSON, applies edit and writes it back.
func editWallet(t *testing.T, path string, edit func(m map[string]any)) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFile(t, path), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.Marshal(m)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func account(m map[string]any, i int) map[string]any {
	return m["accounts"].([]any)[i].(map[string]any)
}

func flipHex(s string, i int) string {
	b, _ := hex.DecodeString(s)
	b[i] ^= 0x01
	return hex.EncodeToString(b)
}

func TestWalletDamagedOnOpen(t *testing.T) {
	_, orig := newTestWallet(t)
	good := readFile(t, orig)
	cases := map[string]func(m map[string]any){
		"unknown scheme id": func(m map[string]any) { account(m, 1)["schemeId"] = 9 },
		"scheme name mismatch": func(m map[string]any) {
			account(m, 0)["scheme"] = "SHA3-256withECDSA"
		},
		"address mismatch": func(m map[string]any) { account(m, 0)["address"] = account(m, 1)["address"] },
		"public key off curve": func(m map[string]any) {
			account(m, 0)["publicKey"] = "02" + strings.Repeat("00", 31) + "05"
		},
		"wrong format":     func(m map[string]any) { m["format"] = "other" },
		"future version":   func(m map[string]any) { m["version"] = 2 },
		"unknown field":    func(m map[string]any) { m["extra"] = true },
		"default unknown":  func(m map[string]any) { m["default"] = addressVectors[0].address },
		"duplicate label":  func(m map[string]any) { account(m, 1)["label"] = account(m, 0)["label"] },
		"unknown kdf":      func(m map[string]any) { account(m, 0)["crypto"].(map[string]any)["kdf"] = "pbkdf2" },
		"unknown cipher":   func(m map[string]any) { account(m, 0)["crypto"].(map[string]any)["cipher"] = "aes-gcm" },
		"hostile scrypt N": func(m map[string]any) { kdf(m, 0)["n"] = 1 << 30 },
		"scrypt N not 2^k": func(m map[string]any) { kdf(m, 0)["n"] = 1000 },
		"short nonce":      func(m map[string]any) { account(m, 0)["crypto"].(map[string]any)["nonce"] = "00" },
		"short ciphertext": func(m map[string]any) { account(m, 0)["crypto"].(map[string]any)["ciphertext"] = "00" },
		"not hex":          func(m map[string]any) { account(m, 0)["publicKey"] = "zz" },
		"duplicate account": func(m map[string]any) {
			m["accounts"] = append(m["accounts"].([]any), account(m, 0))
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "w.json")
			if err := os.WriteFile(path, good, 0o600); err != nil {
				t.Fatal(err)
			}
			editWallet(t, path, edit)
			before := readFile(t, path)
			_, err := OpenWallet(path, cheap)
			if !errors.Is(err, ErrWalletDamaged) || status.CodeOf(err, 0) != 50014 {
				t.Fatalf("%v", err)
			}
			if name == "unknown scheme id" && !errors.Is(err, ErrUnknownScheme) {
				t.Fatalf("unknown scheme not named: %v", err)
			}
			if _, err := OpenOrCreateWallet(path, cheap); !errors.Is(err, ErrWalletDamaged) {
				t.Fatalf("OpenOrCreateWallet: %v", err)
			}
			if !bytes.Equal(before, readFile(t, path)) {
				t.Fatal("file changed")
			}
		})
	}
	for name, b := range map[string][]byte{
		"truncated": good[:len(good)/2],
		"empty":     {},
		"trailing":  append(append([]byte(nil), good...), []byte("{}")...),
		"array":     []byte("[]"),
		"null":      []byte("null"),
	} {
		path := filepath.Join(t.TempDir(), "w.json")
		_ = os.WriteFile(path, b, 0o600)
		if _, err := OpenWallet(path); !errors.Is(err, ErrWalletDamaged) || status.CodeOf(err, 0) != 50014 {
			t.Errorf("%s: %v", name, err)
		}
		if !bytes.Equal(b, readFile(t, path)) {
			t.Errorf("%s: file changed", name)
		}
	}
}

func kdf(m map[string]any, i int) map[string]any {
	return account(m, i)["crypto"].(map[string]any)["kdfparams"].(map[string]any)
}

func TestWalletDamagedOnUnlock(t *testing.T) {
	_, orig := newTestWallet(t)
	good := readFile(t, orig)
	crypto := func(m map[string]any, i int) map[string]any { return account(m, i)["crypto"].(map[string]any) }
	cases := map[string]struct {
		edit func(m map[string]any)
		want error
		code int
	}{
		"flipped ciphertext byte": {func(m map[string]any) {
			c := crypto(m, 0)
			c["ciphertext"] = flipHex(c["ciphertext"].(string), 3)
		}, ErrWalletDamaged, 50014},
		"flipped tag byte": {func(m map[string]any) {
			c := crypto(m, 0)
			c["ciphertext"] = flipHex(c["ciphertext"].(string), 40)
		}, ErrWalletDamaged, 50014},
		"flipped nonce byte": {func(m map[string]any) {
			c := crypto(m, 0)
			c["nonce"] = flipHex(c["nonce"].(string), 0)
		}, ErrWalletDamaged, 50014},
		"ciphertext of another account": {func(m map[string]any) {
			// Accounts 0 and 2 are both P-256; move 2's sealed key (and its password) into 0.
			account(m, 0)["crypto"] = crypto(m, 2)
		}, ErrWalletDamaged, 50014},
		"flipped salt": {func(m map[string]any) {
			k := kdf(m, 0)
			k["salt"] = flipHex(k["salt"].(string), 0)
		}, ErrWrongPassword, 50015},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "w.json")
			_ = os.WriteFile(path, good, 0o600)
			editWallet(t, path, c.edit)
			before := readFile(t, path)
			w, err := OpenWallet(path, cheap)
			if err != nil {
				t.Fatal(err)
			}
			a := w.Accounts()[0]
			pw := "pw-" + a.Label
			if name == "ciphertext of another account" {
				pw = "pw-" + w.Accounts()[2].Label
			}
			_, err = w.Unlock(a.Label, pw)
			if !errors.Is(err, c.want) || status.CodeOf(err, 0) != c.code {
				t.Fatalf("%v, want %v (%d)", err, c.want, c.code)
			}
			if !bytes.Equal(before, readFile(t, path)) {
				t.Fatal("file changed")
			}
		})
	}
}

func TestAccountExistsAndLabels(t *testing.T) {
	w, path := newTestWallet(t)
	before := readFile(t, path)
	kp, _ := w.Unlock("sha256withecdsa", "pw-sha256withecdsa")
	if _, err := w.AddKey(kp, "again", "x"); !errors.Is(err, ErrAccountExists) || status.CodeOf(err, 0) != 40008 {
		t.Fatalf("same key: %v", err)
	}
	if _, _, err := w.NewAccount(SHA512withEdDSA, "sha256withecdsa", "x"); !errors.Is(err, ErrAccountExists) || status.CodeOf(err, 0) != 40008 {
		t.Fatalf("same label: %v", err)
	}
	for _, l := range []string{addressVectors[0].address, "a\nb", strings.Repeat("x", MaxLabelLen+1), "\xff"} {
		if _, _, err := w.NewAccount(SHA512withEdDSA, l, "x"); !errors.Is(err, ErrBadLabel) || status.CodeOf(err, 0) != 40002 {
			t.Errorf("label %q: %v", l, err)
		}
	}
	if _, _, err := w.NewAccount(SHA512withEdDSA, "ok", ""); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("empty password: %v", err)
	}
	if _, _, err := w.NewAccount(Scheme(9), "ok", "x"); !errors.Is(err, ErrUnknownScheme) || status.CodeOf(err, 0) != 50016 {
		t.Errorf("unknown scheme: %v", err)
	}
	if len(w.Accounts()) != 4 || !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("failed additions changed the wallet")
	}
	// Two unlabelled accounts are fine.
	for i := 0; i < 2; i++ {
		if _, _, err := w.NewAccount(SHA512withEdDSA, "", "x"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Save(); err != nil {
		t.Fatal(err)
	}
	if w2, err := OpenWallet(path); err != nil || len(w2.Accounts()) != 6 {
		t.Fatalf("reopen: %v", err)
	}
}

func TestExportImportBlob(t *testing.T) {
	w, path := newTestWallet(t)
	before := readFile(t, path)
	dst, err := CreateWallet(filepath.Join(t.TempDir(), "dst.json"), cheap)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range w.Accounts() {
		blob, err := w.ExportAccount(a.Label, "pw-"+a.Label, "blob-pw")
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(blob, []byte(`"pw-`)) || !bytes.Contains(blob, []byte(`"format": "dsp-account"`)) {
			t.Fatalf("blob: %s", blob)
		}
		if _, err := dst.ImportAccount(blob, "wrong", "", "new-pw"); !errors.Is(err, ErrWrongPassword) || status.CodeOf(err, 0) != 50015 {
			t.Fatalf("import with wrong blob password: %v", err)
		}
		var m map[string]any
		_ = json.Unmarshal(blob, &m)
		c := m["crypto"].(map[string]any)
		c["ciphertext"] = flipHex(c["ciphertext"].(string), 0)
		bad, _ := json.Marshal(m)
		if _, err := dst.ImportAccount(bad, "blob-pw", "", "new-pw"); !errors.Is(err, ErrWalletDamaged) || status.CodeOf(err, 0) != 50014 {
			t.Fatalf("import of a damaged blob: %v", err)
		}
		if _, err := dst.ImportAccount(blob[:len(blob)/2], "blob-pw", "", "new-pw"); !errors.Is(err, ErrWalletDamaged) {
			t.Fatalf("import of a truncated blob: %v", err)
		}
		got, err := dst.ImportAccount(blob, "blob-pw", "", "new-pw")
		if err != nil {
			t.Fatal(err)
		}
		if got.Address != a.Address || got.Label != a.Label {
			t.Fatalf("imported %+v, want %+v", got, a)
		}
		if _, err := dst.ImportAccount(blob, "blob-pw", "other", "new-pw"); !errors.Is(err, ErrAccountExists) {
			t.Fatalf("second import: %v", err)
		}
		kp, err := dst.Unlock(a.Address.String(), "new-pw")
		if err != nil || !kp.Public().Equal(a.PublicKey) {
			t.Fatalf("unlock imported: %v", err)
		}
		kp2, label, err := OpenAccount(blob, "blob-pw")
		if err != nil || label != a.Label || !bytes.Equal(kp2.PrivateBytes(), kp.PrivateBytes()) {
			t.Fatalf("OpenAccount: %v", err)
		}
	}
	if _, err := w.ExportAccount("nobody", "x", "y"); !isCode(err, status.NoAccount) {
		t.Fatalf("export unknown: %v", err)
	}
	if _, err := w.ExportAccount("ed25519", "pw-sha512witheddsa", ""); status.CodeOf(err, 0) == 0 {
		t.Fatalf("export with empty blob password: %v", err)
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("export changed the source wallet")
	}
}

func TestSaveFailureKeepsOldFile(t *testing.T) {
	w, path := newTestWallet(t)
	before := readFile(t, path)
	if _, _, err := w.NewAccount(SHA512withEdDSA, "extra", "x"); err != nil {
		t.Fatal(err)
	}
	writeHook = func(f *os.File, data []byte) error {
		_, _ = f.Write(data[:len(data)/2])
		return errors.New("no space left on device")
	}
	defer func() { writeHook = nil }()
	if err := w.Save(); err == nil || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("Save with a failing write: %v", err)
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("failed save changed the wallet file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	writeHook = nil
	if err := w.Save(); err != nil {
		t.Fatal(err)
	}
	if w2, err := OpenWallet(path); err != nil || len(w2.Accounts()) != 5 {
		t.Fatalf("after a good save: %v", err)
	}
}

// TestSaveCrashKeepsOldFile kills a process halfway through writing the new wallet and checks
// that the old file is still whole and opens.
func TestSaveCrashKeepsOldFile(t *testing.T) {
	if path := os.Getenv("DSP_KEYS_CRASH_WALLET"); path != "" {
		w, err := OpenWallet(path, cheap)
		if err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		_, _, _ = w.NewAccount(SHA512withEdDSA, "crash", "x")
		writeHook = func(f *os.File, data []byte) error {
			_, _ = f.Write(data[:len(data)/2])
			os.Exit(3)
			return nil
		}
		_ = w.Save()
		os.Exit(4)
	}
	_, path := newTestWallet(t)
	before := readFile(t, path)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSaveCrashKeepsOldFile$")
	cmd.Env = append(os.Environ(), "DSP_KEYS_CRASH_WALLET="+path)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("crash during save changed the wallet file")
	}
	if w, err := OpenWallet(path); err != nil || len(w.Accounts()) != 4 {
		t.Fatalf("open after crash: %v", err)
	}
}

func TestWalletConcurrentUse(t *testing.T) {
	w, _ := newTestWallet(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				_ = w.Accounts()
				_, _ = w.Default()
				if _, err := w.Unlock("sha512witheddsa", "pw-sha512witheddsa"); err != nil {
					t.Error(err)
				}
				if _, _, err := w.NewAccount(SHA512withEdDSA, fmt.Sprintf("g%d-%d", i, j), "x"); err != nil {
					t.Error(err)
				}
				_ = w.SetDefault(fmt.Sprintf("g%d-%d", i, j))
			}
			if err := w.Save(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(w.Accounts()) != 24 {
		t.Fatalf("%d accounts", len(w.Accounts()))
	}
}
