package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// Formats and versions written into wallet files and account blobs (docs/keys.md).
const (
	WalletFormat  = "dsp-wallet"
	BlobFormat    = "dsp-account"
	WalletVersion = 1
	BlobVersion   = 1

	// MaxLabelLen bounds an account label, in bytes.
	MaxLabelLen = 64
	// maxWalletFile bounds the size of a wallet file or blob that is decoded at all.
	maxWalletFile = 16 << 20
)

// accountRecord is one account as stored: in a wallet file's "accounts" and, with a format and
// version, as an exported account blob.
type accountRecord struct {
	Address   string    `json:"address"`
	Label     string    `json:"label"`
	Scheme    string    `json:"scheme"`
	SchemeID  uint8     `json:"schemeId"`
	PublicKey hexBytes  `json:"publicKey"`
	Crypto    sealedKey `json:"crypto"`
}

// walletFile is the JSON document of a wallet file.
type walletFile struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Default  string          `json:"default"`
	Accounts []accountRecord `json:"accounts"`
}

// accountBlob is the JSON document of an exported account.
type accountBlob struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	accountRecord
}

// publicKey returns the record's public key; valid only after validate.
func (r *accountRecord) publicKey() PublicKey {
	return PublicKey{Scheme: Scheme(r.SchemeID), Key: append([]byte(nil), r.PublicKey...)}
}

// validate checks everything about r that does not need the password: a known scheme whose name
// matches its id, a public key that decodes, the address derived from it, the label rules and
// the sealed key's parameters.
func (r *accountRecord) validate() error {
	s := Scheme(r.SchemeID)
	if !s.Valid() {
		return fmt.Errorf("%w: scheme id %d (%q)", ErrUnknownScheme, r.SchemeID, r.Scheme)
	}
	if r.Scheme != s.String() {
		return fmt.Errorf("scheme %q does not match scheme id %d (%s)", r.Scheme, r.SchemeID, s)
	}
	pub := r.publicKey()
	if err := pub.Validate(); err != nil {
		return err
	}
	if want := pub.Address().String(); r.Address != want {
		return fmt.Errorf("address %q is not the public key's address %s", r.Address, want)
	}
	if err := ValidateLabel(r.Label); err != nil {
		return err
	}
	if err := r.Crypto.validate(); err != nil {
		return fmt.Errorf("crypto: %w", err)
	}
	return nil
}

// ValidateLabel checks an account label: at most MaxLabelLen bytes of UTF-8 without control
// characters, and not itself an account address (so "address or label" is never ambiguous). The
// empty label is allowed.
func ValidateLabel(l string) error {
	switch {
	case len(l) > MaxLabelLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrBadLabel, len(l), MaxLabelLen)
	case !utf8.ValidString(l):
		return fmt.Errorf("%w: not UTF-8", ErrBadLabel)
	case l != "" && isAddressText(l):
		return fmt.Errorf("%w: %q is an account address", ErrBadLabel, l)
	}
	for _, c := range l {
		if unicode.IsControl(c) {
			return fmt.Errorf("%w: control character %U", ErrBadLabel, c)
		}
	}
	return nil
}

func isAddressText(s string) bool {
	_, err := ParseAddress(s)
	return err == nil
}

// decodeStrict unmarshals one JSON value from b into v, refusing unknown fields, trailing data
// and inputs larger than maxWalletFile.
func decodeStrict(b []byte, v any) error {
	if len(b) > maxWalletFile {
		return fmt.Errorf("%d bytes, at most %d", len(b), maxWalletFile)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// decodeWallet parses and validates a wallet file. Every error wraps ErrWalletDamaged (and
// ErrUnknownScheme for an account under a scheme this package does not implement).
func decodeWallet(b []byte) (walletFile, error) {
	var f walletFile
	if err := decodeStrict(b, &f); err != nil {
		return walletFile{}, fmt.Errorf("%w: %v", ErrWalletDamaged, err)
	}
	if f.Format != WalletFormat || f.Version != WalletVersion {
		return walletFile{}, fmt.Errorf("%w: format %q version %d, want %q version %d",
			ErrWalletDamaged, f.Format, f.Version, WalletFormat, WalletVersion)
	}
	addrs := make(map[string]bool, len(f.Accounts))
	labels := make(map[string]bool, len(f.Accounts))
	for i := range f.Accounts {
		r := &f.Accounts[i]
		if err := r.validate(); err != nil {
			return walletFile{}, fmt.Errorf("%w: account %d: %w", ErrWalletDamaged, i, err)
		}
		if addrs[r.Address] || (r.Label != "" && labels[r.Label]) {
			return walletFile{}, fmt.Errorf("%w: account %d (%s %q) appears twice", ErrWalletDamaged, i, r.Address, r.Label)
		}
		addrs[r.Address], labels[r.Label] = true, true
	}
	if f.Default != "" && !addrs[f.Default] {
		return walletFile{}, fmt.Errorf("%w: default %q is not an account of the wallet", ErrWalletDamaged, f.Default)
	}
	if f.Accounts == nil {
		f.Accounts = []accountRecord{}
	}
	return f, nil
}

// decodeBlob parses and validates an exported account blob. Every error wraps ErrWalletDamaged.
func decodeBlob(b []byte) (accountRecord, error) {
	var blob accountBlob
	if err := decodeStrict(b, &blob); err != nil {
		return accountRecord{}, fmt.Errorf("%w: account blob: %v", ErrWalletDamaged, err)
	}
	if blob.Format != BlobFormat || blob.Version != BlobVersion {
		return accountRecord{}, fmt.Errorf("%w: account blob format %q version %d, want %q version %d",
			ErrWalletDamaged, blob.Format, blob.Version, BlobFormat, BlobVersion)
	}
	if err := blob.validate(); err != nil {
		return accountRecord{}, fmt.Errorf("%w: account blob: %w", ErrWalletDamaged, err)
	}
	return blob.accountRecord, nil
}

// newRecord seals kp under password and returns its record.
func newRecord(kp *KeyPair, label, password string, cost ScryptParams) (accountRecord, error) {
	sealed, err := seal(kp, password, cost)
	if err != nil {
		return accountRecord{}, err
	}
	pub := kp.Public()
	return accountRecord{
		Address:   pub.Address().String(),
		Label:     label,
		Scheme:    pub.Scheme.String(),
		SchemeID:  uint8(pub.Scheme),
		PublicKey: pub.Key,
		Crypto:    sealed,
	}, nil
}
