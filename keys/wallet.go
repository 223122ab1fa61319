package keys

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"dsp/status"
)

// WalletFileMode is the permission of every wallet file this package writes.
const WalletFileMode os.FileMode = 0o600

// Account is what a wallet knows about an account without its password. It is a value; changing
// it changes nothing in the wallet.
type Account struct {
	Address   Address
	Label     string
	PublicKey PublicKey
	// Default reports whether this is the wallet's default account.
	Default bool
}

// Option configures OpenWallet, CreateWallet, OpenOrCreateWallet and SealAccount.
type Option func(*options)

type options struct {
	cost ScryptParams
}

// WithScrypt sets the scrypt cost for keys sealed from now on (new, imported and exported
// accounts). Keys already in the file keep the parameters recorded with them. The default is
// DefaultScrypt; tests may pass cheaper parameters.
func WithScrypt(p ScryptParams) Option { return func(o *options) { o.cost = p } }

func buildOptions(opts []Option) (options, error) {
	o := options{cost: DefaultScrypt}
	for _, f := range opts {
		f(&o)
	}
	if err := o.cost.Validate(); err != nil {
		return options{}, status.Wrap(status.InvalidParams, err, "wallet options")
	}
	return o, nil
}

// Wallet is a wallet file held in memory: accounts with labels, each private key sealed under its
// own password (scrypt + ChaCha20-Poly1305), and a default account. Methods that change the
// wallet (NewAccount, AddKey, ImportAccount, SetDefault) change only memory; Save writes the file
// atomically. A Wallet is safe for concurrent use; it does not guard against two processes
// saving the same file (the last Save wins).
//
// Errors carry the spec's RESTful codes: WALLET_FILE_NOT_EXIST (50013), ACCOUNTDATA_NOT_EXIST
// (50014, damaged data or unknown scheme), ACCOUNT_PASSWORD_WRONG (50015), CREATE_ACCOUNT_FAILED
// (50016), ACCOUNT_EXPORT_FAILED (50017), NO_ACCOUNT (40007), ACCOUNT_EXIST (40008) and
// INVALID_PARAMS (40002), and wrap this package's sentinel errors.
type Wallet struct {
	path string
	opt  options

	mu sync.Mutex
	f  walletFile
}

// OpenWallet reads and validates the wallet file at path. It fails with ErrWalletNotExist
// (50013) when there is no file and ErrWalletDamaged (50014) when it does not decode, holds an
// account under an unknown scheme (also ErrUnknownScheme), or is inconsistent. It never writes.
func OpenWallet(path string, opts ...Option) (*Wallet, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, status.Wrap(status.WalletFileNotExist, fmt.Errorf("%w: %s", ErrWalletNotExist, path), "open wallet")
	}
	if err != nil {
		return nil, status.Wrap(status.WalletFileNotExist, err, "open wallet")
	}
	f, err := decodeWallet(b)
	if err != nil {
		return nil, status.Wrap(status.AccountdataNotExist, err, "open wallet %s", path)
	}
	return &Wallet{path: path, opt: o, f: f}, nil
}

// CreateWallet writes a new, empty wallet file at path (mode 0600, parent directories 0700 as
// needed) and returns it. It fails with ErrWalletExists (CREATE_ACCOUNT_FAILED, 50016) if any
// file is already at path, and never replaces one.
func CreateWallet(path string, opts ...Option) (*Wallet, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	w := &Wallet{path: path, opt: o, f: walletFile{Format: WalletFormat, Version: WalletVersion, Accounts: []accountRecord{}}}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, status.Wrap(status.CreateAccountFailed, err, "create wallet")
	}
	b, err := w.encode()
	if err != nil {
		return nil, status.Wrap(status.CreateAccountFailed, err, "create wallet")
	}
	if err := writeFileAtomic(path, b, WalletFileMode, true); err != nil {
		if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%w: %s", ErrWalletExists, path)
		}
		return nil, status.Wrap(status.CreateAccountFailed, err, "create wallet")
	}
	return w, nil
}

// OpenOrCreateWallet opens the wallet at path, or creates an empty one if there is no file.
func OpenOrCreateWallet(path string, opts ...Option) (*Wallet, error) {
	w, err := OpenWallet(path, opts...)
	if errors.Is(err, ErrWalletNotExist) {
		w, err = CreateWallet(path, opts...)
		if errors.Is(err, ErrWalletExists) { // created meanwhile by someone else
			return OpenWallet(path, opts...)
		}
	}
	return w, err
}

// Path returns the wallet file's path.
func (w *Wallet) Path() string { return w.path }

// Save writes the wallet to its file atomically: a temporary file in the same directory, fsync,
// rename over the old file, fsync of the directory. If Save fails the old file is intact. The
// file's mode is 0600.
func (w *Wallet) Save() error {
	w.mu.Lock()
	b, err := w.encode()
	w.mu.Unlock()
	if err != nil {
		return status.Wrap(status.InternalError, err, "save wallet")
	}
	if err := writeFileAtomic(w.path, b, WalletFileMode, false); err != nil {
		return status.Wrap(status.InternalError, err, "save wallet")
	}
	return nil
}

// encode marshals the wallet; the caller holds w.mu or owns w alone.
func (w *Wallet) encode() ([]byte, error) {
	b, err := json.MarshalIndent(&w.f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Accounts returns every account in the order they were added.
func (w *Wallet) Accounts() []Account {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Account, 0, len(w.f.Accounts))
	for i := range w.f.Accounts {
		out = append(out, w.account(&w.f.Accounts[i]))
	}
	return out
}

// account converts a validated record; the caller holds w.mu.
func (w *Wallet) account(r *accountRecord) Account {
	pub := r.publicKey()
	return Account{Address: pub.Address(), Label: r.Label, PublicKey: pub, Default: r.Address == w.f.Default}
}

// find returns the index of the account named by addrOrLabel (its base58 address or its label),
// or an ErrNoAccount error. The caller holds w.mu.
func (w *Wallet) find(addrOrLabel string) (int, error) {
	for i := range w.f.Accounts {
		r := &w.f.Accounts[i]
		if r.Address == addrOrLabel || (addrOrLabel != "" && r.Label == addrOrLabel) {
			return i, nil
		}
	}
	return -1, status.Wrap(status.NoAccount, fmt.Errorf("%w: %q", ErrNoAccount, addrOrLabel), "wallet %s", w.path)
}

// Account returns the account named by addrOrLabel (its base58 address or its label), or an
// ErrNoAccount error (40007).
func (w *Wallet) Account(addrOrLabel string) (Account, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	i, err := w.find(addrOrLabel)
	if err != nil {
		return Account{}, err
	}
	return w.account(&w.f.Accounts[i]), nil
}

// Default returns the default account, or an ErrNoAccount error (40007) if the wallet is empty.
func (w *Wallet) Default() (Account, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f.Default == "" {
		return Account{}, status.Wrap(status.NoAccount, fmt.Errorf("%w: wallet %s has no default account", ErrNoAccount, w.path), "default account")
	}
	i, err := w.find(w.f.Default)
	if err != nil {
		return Account{}, err
	}
	return w.account(&w.f.Accounts[i]), nil
}

// SetDefault makes the account named by addrOrLabel the default (in memory; call Save).
func (w *Wallet) SetDefault(addrOrLabel string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	i, err := w.find(addrOrLabel)
	if err != nil {
		return err
	}
	w.f.Default = w.f.Accounts[i].Address
	return nil
}

// Unlock decrypts the private key of the account named by addrOrLabel with password. It fails
// with ErrNoAccount (40007), ErrWrongPassword (50015), or ErrWalletDamaged (50014) when the
// password is right but the sealed key does not decrypt to the recorded public key. It never
// changes the wallet. It costs one scrypt derivation at the account's recorded parameters.
func (w *Wallet) Unlock(addrOrLabel, password string) (*KeyPair, error) {
	w.mu.Lock()
	i, err := w.find(addrOrLabel)
	var r accountRecord
	if err == nil {
		r = w.f.Accounts[i]
	}
	w.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return unlockRecord(&r, password, "unlock "+r.Address)
}

func unlockRecord(r *accountRecord, password, what string) (*KeyPair, error) {
	kp, err := r.Crypto.open(r.publicKey(), password)
	switch {
	case errors.Is(err, ErrWrongPassword):
		return nil, status.Wrap(status.AccountPasswordWrong, err, "%s", what)
	case err != nil:
		return nil, status.Wrap(status.AccountdataNotExist, err, "%s", what)
	}
	return kp, nil
}

// NewAccount generates a key pair under scheme s, seals it under password and adds it with
// label (see AddKey for the rules). It returns the account and its unlocked key pair. The wallet
// changes in memory only; call Save.
func (w *Wallet) NewAccount(s Scheme, label, password string) (Account, *KeyPair, error) {
	if !s.Valid() {
		return Account{}, nil, status.Wrap(status.CreateAccountFailed, fmt.Errorf("%w: %d", ErrUnknownScheme, s), "new account")
	}
	if err := w.checkNew(Address{}, label, password); err != nil {
		return Account{}, nil, err
	}
	kp, err := Generate(s)
	if err != nil {
		return Account{}, nil, status.Wrap(status.CreateAccountFailed, err, "new account")
	}
	a, err := w.AddKey(kp, label, password)
	if err != nil {
		return Account{}, nil, err
	}
	return a, kp, nil
}

// AddKey seals kp under password and adds it to the wallet with label. The label may be empty;
// otherwise it must pass ValidateLabel (ErrBadLabel, 40002) and be unused. The password must not
// be empty (ErrEmptyPassword, 40002). An account with the same address or label fails with
// ErrAccountExists (40008). The first account added becomes the default. Memory only; call Save.
func (w *Wallet) AddKey(kp *KeyPair, label, password string) (Account, error) {
	if err := w.checkNew(kp.Address(), label, password); err != nil {
		return Account{}, err
	}
	w.mu.Lock()
	cost := w.opt.cost
	w.mu.Unlock()
	r, err := newRecord(kp, label, password, cost)
	if err != nil {
		return Account{}, status.Wrap(status.CreateAccountFailed, err, "add account")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.conflict(kp.Address(), label); err != nil { // added meanwhile
		return Account{}, err
	}
	w.f.Accounts = append(w.f.Accounts, r)
	if w.f.Default == "" {
		w.f.Default = r.Address
	}
	return w.account(&w.f.Accounts[len(w.f.Accounts)-1]), nil
}

// checkNew validates a new account's label and password and that neither address (unless zero)
// nor label is taken.
func (w *Wallet) checkNew(addr Address, label, password string) error {
	if err := ValidateLabel(label); err != nil {
		return status.Wrap(status.InvalidParams, err, "account label")
	}
	if password == "" {
		return status.Wrap(status.InvalidParams, ErrEmptyPassword, "account password")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conflict(addr, label)
}

// conflict reports an ErrAccountExists error if addr (unless zero) or label (unless empty) is
// taken. The caller holds w.mu.
func (w *Wallet) conflict(addr Address, label string) error {
	for i := range w.f.Accounts {
		r := &w.f.Accounts[i]
		switch {
		case !addr.IsZero() && r.Address == addr.String():
			return status.Wrap(status.AccountExist, fmt.Errorf("%w: %s", ErrAccountExists, r.Address), "wallet %s", w.path)
		case label != "" && r.Label == label:
			return status.Wrap(status.AccountExist, fmt.Errorf("%w: label %q is %s", ErrAccountExists, label, r.Address), "wallet %s", w.path)
		}
	}
	return nil
}

// ExportAccount unlocks the account named by addrOrLabel with password and returns it as an
// account blob (JSON, docs/keys.md) sealed under blobPassword with fresh salt and nonce. Errors:
// ErrNoAccount (40007), ErrWrongPassword (50015), ErrWalletDamaged (50014), others
// ACCOUNT_EXPORT_FAILED (50017). It never changes the wallet.
func (w *Wallet) ExportAccount(addrOrLabel, password, blobPassword string) ([]byte, error) {
	w.mu.Lock()
	i, err := w.find(addrOrLabel)
	var label string
	if err == nil {
		label = w.f.Accounts[i].Label
	}
	cost := w.opt.cost
	w.mu.Unlock()
	if err != nil {
		return nil, err
	}
	kp, err := w.Unlock(addrOrLabel, password)
	if err != nil {
		return nil, err
	}
	return SealAccount(kp, label, blobPassword, WithScrypt(cost))
}

// SealAccount returns kp as an account blob with label, sealed under password (DefaultScrypt
// unless WithScrypt is given). Errors carry ACCOUNT_EXPORT_FAILED (50017), or INVALID_PARAMS
// (40002) for an empty password or a bad label.
func SealAccount(kp *KeyPair, label, password string, opts ...Option) ([]byte, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := ValidateLabel(label); err != nil {
		return nil, status.Wrap(status.InvalidParams, err, "export account")
	}
	if password == "" {
		return nil, status.Wrap(status.InvalidParams, ErrEmptyPassword, "export password")
	}
	r, err := newRecord(kp, label, password, o.cost)
	if err != nil {
		return nil, status.Wrap(status.AccountExportFailed, err, "export account")
	}
	b, err := json.MarshalIndent(accountBlob{Format: BlobFormat, Version: BlobVersion, accountRecord: r}, "", "  ")
	if err != nil {
		return nil, status.Wrap(status.AccountExportFailed, err, "export account")
	}
	return append(b, '\n'), nil
}

// OpenAccount decodes an account blob and unlocks it with password, returning the key pair and
// the label stored in the blob. Errors: ErrWalletDamaged (50014) for a blob that does not decode
// (also ErrUnknownScheme for an unknown scheme), ErrWrongPassword (50015).
func OpenAccount(blob []byte, password string) (*KeyPair, string, error) {
	r, err := decodeBlob(blob)
	if err != nil {
		return nil, "", status.Wrap(status.AccountdataNotExist, err, "import account")
	}
	kp, err := unlockRecord(&r, password, "import account "+r.Address)
	if err != nil {
		return nil, "", err
	}
	return kp, r.Label, nil
}

// ImportAccount opens an account blob with blobPassword and adds its key to the wallet, sealed
// anew under password, with label (the blob's own label if label is empty). Errors are those of
// OpenAccount and AddKey. Memory only; call Save.
func (w *Wallet) ImportAccount(blob []byte, blobPassword, label, password string) (Account, error) {
	kp, blobLabel, err := OpenAccount(blob, blobPassword)
	if err != nil {
		return Account{}, err
	}
	if label == "" {
		label = blobLabel
	}
	return w.AddKey(kp, label, password)
}
