package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"
)

// ScryptParams are scrypt's cost parameters: N (CPU/memory cost, a power of two), R (block size)
// and P (parallelism). Memory use is about 128*N*R bytes.
type ScryptParams struct {
	N, R, P int
}

// DefaultScrypt is the cost used for keys sealed by a wallet unless WithScrypt says otherwise:
// N=2^15, r=8, p=1, about 32 MiB of memory and on the order of 100 ms per derivation on one core.
// Cheaper parameters are for tests only.
var DefaultScrypt = ScryptParams{N: 1 << 15, R: 8, P: 1}

// Names and sizes of the sealed-key format; they are written into every sealed key so that a
// later version can change them.
const (
	kdfScrypt    = "scrypt"
	cipherChaCha = "chacha20-poly1305"
	derivedLen   = 64 // 32 bytes of AEAD key || 32 bytes hashed into the password check
	saltLen      = 32
	checkLen     = 16
	privateLen   = 32 // every implemented scheme's private key is 32 bytes
	sealAADTag   = "dsp-account-v1"

	maxScryptN      = 1 << 20
	maxScryptR      = 32
	maxScryptP      = 16
	maxScryptMemory = 1 << 30
	minSaltLen      = 16
	maxSaltLen      = 64
)

// Validate checks that p is usable and within the bounds a wallet file may ask for: N a power of
// two in [2, 2^20], R in [1, 32], P in [1, 16], 128*N*R at most 1 GiB. The bounds keep a hostile
// file from making Unlock allocate or compute without limit.
func (p ScryptParams) Validate() error {
	switch {
	case p.N < 2 || p.N > maxScryptN || p.N&(p.N-1) != 0:
		return fmt.Errorf("scrypt N=%d: want a power of two in [2, %d]", p.N, maxScryptN)
	case p.R < 1 || p.R > maxScryptR:
		return fmt.Errorf("scrypt r=%d: want [1, %d]", p.R, maxScryptR)
	case p.P < 1 || p.P > maxScryptP:
		return fmt.Errorf("scrypt p=%d: want [1, %d]", p.P, maxScryptP)
	case 128*p.N*p.R > maxScryptMemory:
		return fmt.Errorf("scrypt N=%d r=%d needs more than %d bytes", p.N, p.R, maxScryptMemory)
	}
	return nil
}

// hexBytes is a byte slice written as lowercase hex in JSON.
type hexBytes []byte

func (h hexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *hexBytes) UnmarshalText(b []byte) error {
	out := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(out, b); err != nil {
		return err
	}
	*h = out
	return nil
}

// kdfParams is the JSON form of the KDF's parameters.
type kdfParams struct {
	N     int      `json:"n"`
	R     int      `json:"r"`
	P     int      `json:"p"`
	DKLen int      `json:"dklen"`
	Salt  hexBytes `json:"salt"`
}

// sealedKey is a private key encrypted under a password: see docs/keys.md, "Sealed key".
type sealedKey struct {
	KDF           string    `json:"kdf"`
	KDFParams     kdfParams `json:"kdfparams"`
	Cipher        string    `json:"cipher"`
	Nonce         hexBytes  `json:"nonce"`
	Ciphertext    hexBytes  `json:"ciphertext"`
	PasswordCheck hexBytes  `json:"passwordCheck"`
}

func (s *sealedKey) validate() error {
	if s.KDF != kdfScrypt {
		return fmt.Errorf("kdf %q: want %q", s.KDF, kdfScrypt)
	}
	if s.Cipher != cipherChaCha {
		return fmt.Errorf("cipher %q: want %q", s.Cipher, cipherChaCha)
	}
	p := s.KDFParams
	if err := (ScryptParams{N: p.N, R: p.R, P: p.P}).Validate(); err != nil {
		return err
	}
	switch {
	case p.DKLen != derivedLen:
		return fmt.Errorf("dklen %d: want %d", p.DKLen, derivedLen)
	case len(p.Salt) < minSaltLen || len(p.Salt) > maxSaltLen:
		return fmt.Errorf("salt is %d bytes: want [%d, %d]", len(p.Salt), minSaltLen, maxSaltLen)
	case len(s.Nonce) != chacha20poly1305.NonceSize:
		return fmt.Errorf("nonce is %d bytes: want %d", len(s.Nonce), chacha20poly1305.NonceSize)
	case len(s.Ciphertext) != privateLen+chacha20poly1305.Overhead:
		return fmt.Errorf("ciphertext is %d bytes: want %d", len(s.Ciphertext), privateLen+chacha20poly1305.Overhead)
	case len(s.PasswordCheck) != checkLen:
		return fmt.Errorf("password check is %d bytes: want %d", len(s.PasswordCheck), checkLen)
	}
	return nil
}

// sealAAD binds a sealed key to its scheme and public key, so a ciphertext moved to another
// account record does not open.
func sealAAD(pub PublicKey) []byte {
	aad := append([]byte(sealAADTag), byte(pub.Scheme))
	return append(aad, pub.Key...)
}

// deriveKeys runs scrypt and splits its output into the AEAD key and the password check.
func deriveKeys(password string, p kdfParams) (key, check []byte, err error) {
	dk, err := scrypt.Key([]byte(password), p.Salt, p.N, p.R, p.P, derivedLen)
	if err != nil {
		return nil, nil, fmt.Errorf("scrypt: %w", err)
	}
	sum := sha256.Sum256(dk[32:])
	return dk[:32], sum[:checkLen], nil
}

// seal encrypts kp's private key under password with fresh salt and nonce.
func seal(kp *KeyPair, password string, cost ScryptParams) (sealedKey, error) {
	if password == "" {
		return sealedKey{}, ErrEmptyPassword
	}
	if err := cost.Validate(); err != nil {
		return sealedKey{}, err
	}
	s := sealedKey{
		KDF:       kdfScrypt,
		KDFParams: kdfParams{N: cost.N, R: cost.R, P: cost.P, DKLen: derivedLen, Salt: make([]byte, saltLen)},
		Cipher:    cipherChaCha,
		Nonce:     make([]byte, chacha20poly1305.NonceSize),
	}
	if _, err := rand.Read(s.KDFParams.Salt); err != nil {
		return sealedKey{}, fmt.Errorf("salt: %w", err)
	}
	if _, err := rand.Read(s.Nonce); err != nil {
		return sealedKey{}, fmt.Errorf("nonce: %w", err)
	}
	key, check, err := deriveKeys(password, s.KDFParams)
	if err != nil {
		return sealedKey{}, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return sealedKey{}, fmt.Errorf("aead: %w", err)
	}
	priv := kp.PrivateBytes()
	s.Ciphertext = aead.Seal(nil, s.Nonce, priv, sealAAD(kp.Public()))
	clear(priv)
	s.PasswordCheck = check
	return s, nil
}

// open decrypts s for the account whose public key is pub. It returns ErrWrongPassword when the
// password check differs, and ErrWalletDamaged when the check matches but the ciphertext does
// not authenticate or does not hold the key of pub. s must have passed validate.
func (s *sealedKey) open(pub PublicKey, password string) (*KeyPair, error) {
	key, check, err := deriveKeys(password, s.KDFParams)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWalletDamaged, err)
	}
	if subtle.ConstantTimeCompare(check, s.PasswordCheck) != 1 {
		return nil, ErrWrongPassword
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, fmt.Errorf("%w: aead: %v", ErrWalletDamaged, err)
	}
	priv, err := aead.Open(nil, s.Nonce, s.Ciphertext, sealAAD(pub))
	if err != nil {
		return nil, fmt.Errorf("%w: ciphertext does not authenticate", ErrWalletDamaged)
	}
	defer clear(priv)
	kp, err := FromPrivateBytes(pub.Scheme, priv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWalletDamaged, err)
	}
	if !kp.Public().Equal(pub) {
		return nil, fmt.Errorf("%w: private key does not match the public key", ErrWalletDamaged)
	}
	return kp, nil
}
