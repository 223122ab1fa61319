package keys

import (
	"encoding/hex"
	"errors"
	"testing"
)

// addressVectors were computed outside this package by testdata/gen_vectors.py (standard-library
// Python: textbook P-256 and Ed25519 arithmetic, hashlib, a hand-written base58). The P-256 key
// of the first row is RFC 6979 A.2.5's; the Ed25519 seed of the fifth is RFC 8032's test 1.
var addressVectors = []struct {
	scheme  Scheme
	priv    string
	pub     string
	address string
}{
	{SHA256withECDSA, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", "0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6", "AVRapa5MWRkAsn1okyUNp99xJYZnHt5yGM"},
	{SHA3_256withECDSA, "0000000000000000000000000000000000000000000000000000000000000001", "036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296", "AaJ3AvrpPW6PmZUZkgt2gkNGyC1fW6Y3Wk"},
	{RIPEMD160withECDSA, "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550", "026b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296", "AGppaXJw1Yt1fW3qJ8dtKLyqC5JyQzyaor"},
	{SHA256withECDSA, "519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464", "031ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83", "AQMDN19BHsyjfqhZCbn5qpWfjeYFzfojAZ"},
	{SHA512withEdDSA, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "Adj3YZN5ZnZmb4LeXemChXsejuuSKJ6BBN"},
	{SHA512withEdDSA, "0000000000000000000000000000000000000000000000000000000000000000", "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29", "AQpgf3jo2vJxwh5XEQywHvieNM2nGKBsY2"},
}

// sigVectors verify signatures made elsewhere over "sample" with RFC 6979 A.2.5's P-256 key (the
// ECDSA rows: the first is RFC 6979's own deterministic SHA-256 signature, the others come from
// testdata/gen_sigs.py, OpenSSL via Python's cryptography) and RFC 8032 test 1 (Ed25519, empty
// message).
var sigVectors = []struct {
	scheme Scheme
	priv   string
	msg    string
	sig    string
}{
	{SHA256withECDSA, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", "sample", "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"},
	{SHA256withECDSA, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", "sample", "fd42623a29f07a75f71773b5a2266060b779f4379ae13fdfc090405f7455340c70cd5bc465831614ef7f8333cd0d2640e0b24e2b80eab505a48a9253d59fe6f4"},
	{SHA3_256withECDSA, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", "sample", "ec9058e9fab64d99cbb54552985850c336b95606205382e78b4b521ca81a87a9c56d39565cb09d7392460e31d06557c8889a34f10100a04c4fbafea211611b87"},
	{RIPEMD160withECDSA, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", "sample", "6d23c1d71826fd400a876fb2a4c1880a3e058f80f68a9591bceb3f8e15553dc9fa0cbb1ebb62b8e97d6d80ad15406e749711fc4f313ace69450403756342a607"},
	{SHA512withEdDSA, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "", "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

func TestAddressVectors(t *testing.T) {
	for _, v := range addressVectors {
		t.Run(v.scheme.String()+"/"+v.priv[:8], func(t *testing.T) {
			kp, err := FromPrivateBytes(v.scheme, mustHex(t, v.priv))
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(kp.Public().Key); got != v.pub {
				t.Errorf("public key %s, want %s", got, v.pub)
			}
			if got := kp.Address().String(); got != v.address {
				t.Errorf("address %s, want %s", got, v.address)
			}
			if got := hex.EncodeToString(kp.PrivateBytes()); got != v.priv {
				t.Errorf("private bytes %s, want %s", got, v.priv)
			}
			a, err := ParseAddress(v.address)
			if err != nil || a != kp.Address() {
				t.Errorf("ParseAddress(%s) = %x, %v; want %x", v.address, a, err, kp.Address())
			}
			pk, err := ParsePublicKey(append([]byte{byte(v.scheme)}, mustHex(t, v.pub)...))
			if err != nil || !pk.Equal(kp.Public()) {
				t.Errorf("ParsePublicKey: %v, %v", pk, err)
			}
		})
	}
}

func TestSignatureVectors(t *testing.T) {
	for i, v := range sigVectors {
		kp, err := FromPrivateBytes(v.scheme, mustHex(t, v.priv))
		if err != nil {
			t.Fatal(err)
		}
		sig := mustHex(t, v.sig)
		if err := kp.Public().Verify([]byte(v.msg), sig); err != nil {
			t.Errorf("vector %d (%s): %v", i, v.scheme, err)
		}
		if err := kp.Public().Verify([]byte(v.msg+"x"), sig); err == nil {
			t.Errorf("vector %d (%s): verified another message", i, v.scheme)
		}
		if v.scheme == SHA512withEdDSA { // Ed25519 is deterministic: our signature is the vector.
			got, _ := kp.Sign([]byte(v.msg))
			if hex.EncodeToString(got) != v.sig {
				t.Errorf("ed25519 signature %x, want %s", got, v.sig)
			}
		}
	}
}

// sealedVector is an account blob whose ciphertext and password check were computed by
// testdata/gen_sealed.py from the format in docs/keys.md (Python's hashlib.scrypt and
// cryptography's ChaCha20Poly1305); it holds RFC 8032 test 1's seed under "vector password".
const sealedVector = `{
  "format": "dsp-account",
  "version": 1,
  "address": "Adj3YZN5ZnZmb4LeXemChXsejuuSKJ6BBN",
  "label": "rfc8032",
  "scheme": "SHA512withEdDSA",
  "schemeId": 2,
  "publicKey": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  "crypto": {
    "kdf": "scrypt",
    "kdfparams": {"n": 16, "r": 1, "p": 1, "dklen": 64,
      "salt": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"},
    "cipher": "chacha20-poly1305",
    "nonce": "6465666768696a6b6c6d6e6f",
    "ciphertext": "5f78dd39240c254f57598e99f26ef637142d6980103d904143ce0d4d25916074e7cac130bdc251c3d7533d933f3ec39d",
    "passwordCheck": "53a6c7a6dc727dbe11897d76eccdfc24"
  }
}`

func TestSealedKeyVector(t *testing.T) {
	kp, label, err := OpenAccount([]byte(sealedVector), "vector password")
	if err != nil {
		t.Fatal(err)
	}
	if label != "rfc8032" || hex.EncodeToString(kp.PrivateBytes()) != addressVectors[4].priv {
		t.Fatalf("opened %q %x", label, kp.PrivateBytes())
	}
	if _, _, err := OpenAccount([]byte(sealedVector), "vector password!"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
}
