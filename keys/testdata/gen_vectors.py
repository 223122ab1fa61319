#!/usr/bin/env python3
"""Independent computation of the address test vectors in vectors_test.go.

Uses only the standard library: P-256 and Ed25519 public keys by textbook
curve arithmetic, the address by the spec's 7 steps with hashlib, and a
hand-written base58. Run: python3 keys/testdata/gen_vectors.py
"""
import hashlib

# --- P-256 (SEC 2 / FIPS 186-4 parameters) ---
P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff
A = P - 3
GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296
GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5


def ec_add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        m = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        m = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (m * m - x1 - x2) % P
    return (x3, (m * (x1 - x3) - y1) % P)


def p256_pub(d):
    q, r = None, (GX, GY)
    while d:
        if d & 1:
            q = ec_add(q, r)
        r = ec_add(r, r)
        d >>= 1
    x, y = q
    return bytes([2 | (y & 1)]) + x.to_bytes(32, "big")


# --- Ed25519 (RFC 8032 section 5.1.5) ---
EP = 2**255 - 19
ED = -121665 * pow(121666, -1, EP) % EP
EQ = 2**252 + 27742317777372353535851937790883648493


def ed_add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % EP
    b = (y1 + x1) * (y2 + x2) % EP
    c = 2 * t1 * t2 * ED % EP
    d = 2 * z1 * z2 % EP
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % EP, g * h % EP, f * g % EP, e * h % EP)


def ed_pub(seed):
    h = hashlib.sha512(seed).digest()
    s = int.from_bytes(h[:32], "little")
    s &= (1 << 254) - 8
    s |= 1 << 254
    gy = 4 * pow(5, -1, EP) % EP
    gx2 = (gy * gy - 1) * pow(ED * gy * gy + 1, -1, EP) % EP
    gx = pow(gx2, (EP + 3) // 8, EP)
    if (gx * gx - gx2) % EP != 0:
        gx = gx * pow(2, (EP - 1) // 4, EP) % EP
    if gx & 1:
        gx = EP - gx
    q, r = (0, 1, 1, 0), (gx, gy, 1, gx * gy % EP)
    while s:
        if s & 1:
            q = ed_add(q, r)
        r = ed_add(r, r)
        s >>= 1
    zi = pow(q[2], -1, EP)
    x, y = q[0] * zi % EP, q[1] * zi % EP
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


# --- The spec's address, 7 steps ---
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(b):
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = ALPHABET[r] + out
    for c in b:
        if c:
            break
        out = "1" + out
    return out


def address(pub):
    code = pub + b"\xac"                                      # 1
    h = hashlib.sha256(code).digest()                         # 2
    rip = hashlib.new("ripemd160", h).digest()                # 3
    s = b"\x17" + rip                                         # 4
    suffix = hashlib.sha256(hashlib.sha256(s).digest()).digest()  # 5
    s = s + suffix[:4]                                        # 6
    return b58(s)                                             # 7


VECTORS = [
    ("SHA256withECDSA", "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"),
    ("SHA3_256withECDSA", "0000000000000000000000000000000000000000000000000000000000000001"),
    ("RIPEMD160withECDSA", "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550"),
    ("SHA256withECDSA", "519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464"),
    ("SHA512withEdDSA", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
    ("SHA512withEdDSA", "0000000000000000000000000000000000000000000000000000000000000000"),
]

for scheme, priv in VECTORS:
    k = bytes.fromhex(priv)
    pub = ed_pub(k) if scheme == "SHA512withEdDSA" else p256_pub(int.from_bytes(k, "big"))
    print('{%s, "%s", "%s", "%s"},' % (scheme, priv, pub.hex(), address(pub)))
