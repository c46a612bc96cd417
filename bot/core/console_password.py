"""The web console's optional password (CONSOLE_PASSWORD_HASH): an scrypt hash from the
standard library, written as `scrypt$<n>$<r>$<p>$<salt>$<hash>` (salt and hash in base64),
so the cost can be raised later without breaking hashes already in a .env.

Rules: the password itself is never stored or logged; checking compares in constant time; a
malformed or too costly hash checks as "wrong", never raises.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1  # the parameters RFC 7914 suggests for interactive logins (~16 MB)
SALT_BYTES, HASH_BYTES = 16, 32
MIN_LENGTH = 8
MAX_N = 2**20  # a hash asking for more is refused (it would tie up the server)
MAX_MEMORY = 2**30


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=MAX_MEMORY, dklen=size)  # fmt: skip


def make_hash(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, N, R, P, HASH_BYTES)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = encoded.strip().split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return None
    power_of_two = n > 1 and n & (n - 1) == 0
    if not (power_of_two and n <= MAX_N and 1 <= r <= 32 and 1 <= p <= 16):
        return None
    if not salt or not 16 <= len(digest) <= 64 or 128 * r * n * p > MAX_MEMORY // 2:
        return None
    return n, r, p, salt, digest


def is_valid_hash(encoded: str) -> bool:
    return _parse(encoded) is not None


def verify(password: str, encoded: str) -> bool:
    """Whether `password` matches the hash (slow on purpose: run it off the event loop)."""
    parsed = _parse(encoded)
    if parsed is None or not password or len(password) > 1024:
        return False
    n, r, p, salt, digest = parsed
    return hmac.compare_digest(_derive(password, salt, n, r, p, len(digest)), digest)
