#!/usr/bin/env python3
"""Signatures made outside this package for the fixed verify vectors in vectors_test.go.

Needs the 'cryptography' package. ECDSA signs the scheme's digest (SHA-256, SHA3-256 or
RIPEMD-160 from hashlib) as a prehashed value; the key is RFC 6979 A.2.5's P-256 key and the
message is b"sample". Output is r||s hex; ECDSA signatures are random, so each run differs and
any run's output is a valid vector. Run: python3 keys/testdata/gen_sigs.py
"""
import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils


KEY = ec.derive_private_key(0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721, ec.SECP256R1())
MSG = b"sample"
for name, digest, alg in [
    ("SHA256withECDSA", hashlib.sha256(MSG).digest(), hashes.SHA256()),
    ("SHA3_256withECDSA", hashlib.sha3_256(MSG).digest(), hashes.SHA3_256()),
    ("RIPEMD160withECDSA", hashlib.new("ripemd160", MSG).digest(), hashes.SHA1()),  # SHA1 only names the 20-byte length
]:
    der = KEY.sign(digest, ec.ECDSA(utils.Prehashed(alg)))
    r, s = utils.decode_dss_signature(der)
    print('{%s, "%s"},' % (name, r.to_bytes(32, "big").hex() + s.to_bytes(32, "big").hex()))
