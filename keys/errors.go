package keys

import "errors"

// Sentinel errors of this package, all in one place. Callers match them with errors.Is. Errors
// from wallet operations also carry the spec's RESTful status code (status.Error), so
// errors.Is(err, status.Is(status.AccountPasswordWrong)) works as well.
var (
	// ErrUnknownScheme: a scheme id or name that this package does not implement.
	ErrUnknownScheme = errors.New("unknown signature scheme")
	// ErrBadPublicKey: public key bytes that do not decode under their scheme.
	ErrBadPublicKey = errors.New("bad public key")
	// ErrBadPrivateKey: private key bytes that do not decode under their scheme.
	ErrBadPrivateKey = errors.New("bad private key")
	// ErrBadSignature: a signature that does not verify, is malformed, or names another scheme
	// than the key that should verify it.
	ErrBadSignature = errors.New("bad signature")

	// ErrBadAddress: text that is not an account address. ParseAddress wraps it together with
	// exactly one of ErrAddressBase58, ErrAddressLength, ErrAddressPrefix, ErrAddressChecksum.
	ErrBadAddress = errors.New("bad address")
	// ErrAddressBase58: the text is empty or has a character outside the base58 alphabet.
	ErrAddressBase58 = errors.New("not base58")
	// ErrAddressLength: the decoded address is not AddressLen (25) bytes.
	ErrAddressLength = errors.New("wrong length")
	// ErrAddressPrefix: the decoded address does not start with AddressPrefix (0x17).
	ErrAddressPrefix = errors.New("wrong prefix")
	// ErrAddressChecksum: the last 4 bytes are not the double-SHA-256 checksum of the first 21.
	ErrAddressChecksum = errors.New("wrong checksum")

	// ErrWalletNotExist: the wallet file does not exist (code WALLET_FILE_NOT_EXIST, 50013).
	ErrWalletNotExist = errors.New("wallet file does not exist")
	// ErrWalletExists: CreateWallet found a file already at the path (code ACCOUNT_EXIST, 40008).
	ErrWalletExists = errors.New("wallet file already exists")
	// ErrWalletDamaged: the wallet file or an account blob does not decode: bad JSON, an unknown
	// format or version, a field out of range, a ciphertext that fails authentication under the
	// right password's key, or a decrypted key that does not match the recorded public key
	// (code ACCOUNTDATA_NOT_EXIST, 50014).
	ErrWalletDamaged = errors.New("wallet data damaged")
	// ErrWrongPassword: the password does not open the account (code ACCOUNT_PASSWORD_WRONG,
	// 50015).
	ErrWrongPassword = errors.New("wrong password")
	// ErrNoAccount: no account has that address or label, or the wallet is empty (code
	// NO_ACCOUNT, 40007).
	ErrNoAccount = errors.New("no such account")
	// ErrAccountExists: an account with that address or label is already in the wallet (code
	// ACCOUNT_EXIST, 40008).
	ErrAccountExists = errors.New("account already exists")
	// ErrBadLabel: a label that is too long, has control characters, or parses as an address
	// (code INVALID_PARAMS, 40002).
	ErrBadLabel = errors.New("bad label")
	// ErrEmptyPassword: a new account or export was asked for with an empty password (code
	// INVALID_PARAMS, 40002).
	ErrEmptyPassword = errors.New("empty password")
)
