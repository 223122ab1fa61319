#!/usr/bin/env python3
"""The sealed-key known-answer vector of vectors_test.go (TestSealedKeyVector), computed from
docs/keys.md alone: scrypt from hashlib, ChaCha20-Poly1305 from the 'cryptography' package.
Run: python3 keys/testdata/gen_sealed.py
"""
import hashlib

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
pub = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
salt, nonce = bytes(range(32)), bytes(range(100, 112))
dk = hashlib.scrypt(b"vector password", salt=salt, n=16, r=1, p=1, dklen=64)
aad = b"dsp-account-v1" + bytes([2]) + pub
print("ciphertext   ", ChaCha20Poly1305(dk[:32]).encrypt(nonce, seed, aad).hex())
print("passwordCheck", hashlib.sha256(dk[32:]).digest()[:16].hex())
