"""Device secrets, hashed in Mosquitto 2's password-file format.

Each e-seal / tracker logs in to the MQTT broker with its device id as username and a
secret of its own. The platform keeps only the hash and writes it into the broker's
password file, so the hash must be exactly what Mosquitto 2 reads: ``$7$`` is
PBKDF2-HMAC-SHA512 (``$7$<iterations>$<base64 salt>$<base64 hash>``, 12-byte salt,
64-byte hash, 101 iterations by default as ``mosquitto_passwd`` writes), ``$6$`` the older
salted SHA-512 (``$6$<base64 salt>$<base64 sha512(secret + salt)>``), still accepted here
so that a password file written by older tools can be verified. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

DEFAULT_ITERATIONS = 101  # mosquitto_passwd's default for $7$
SALT_BYTES = 12  # mosquitto_passwd's salt length
_HASH_BYTES = 64  # SHA-512


def generate_secret() -> str:
    """A new device secret: 32 random bytes, URL-safe, so it survives any provisioning."""
    return secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _pbkdf2(secret: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", secret.encode("utf-8"), salt, iterations, _HASH_BYTES)


def hash_secret(secret: str, *, iterations: int = DEFAULT_ITERATIONS,
                salt: bytes | None = None) -> str:
    """``$7$`` hash of ``secret`` as Mosquitto 2 reads it; a fresh salt unless given."""
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    if not salt:
        raise ValueError("salt must not be empty")
    return f"$7${iterations}${_b64(salt)}${_b64(_pbkdf2(secret, salt, iterations))}"


def _expected_digest(secret: str, hashed: str) -> tuple[bytes, bytes] | None:
    """(computed, stored) digests for a ``$7$`` or ``$6$`` hash; None if malformed."""
    parts = hashed.split("$")
    try:
        if len(parts) == 5 and parts[:2] == ["", "7"]:
            iterations = int(parts[2])
            salt = base64.b64decode(parts[3], validate=True)
            stored = base64.b64decode(parts[4], validate=True)
            if iterations < 1 or not salt:
                return None
            return _pbkdf2(secret, salt, iterations), stored
        if len(parts) == 4 and parts[:2] == ["", "6"]:
            salt = base64.b64decode(parts[2], validate=True)
            stored = base64.b64decode(parts[3], validate=True)
            return hashlib.sha512(secret.encode("utf-8") + salt).digest(), stored
    except (ValueError, binascii.Error):
        return None
    return None


def verify_secret(secret: str, hashed: str) -> bool:
    """True if ``secret`` matches ``hashed``; compares in constant time."""
    digests = _expected_digest(secret, hashed)
    return digests is not None and hmac.compare_digest(*digests)


def password_file_line(username: str, hashed: str) -> str:
    """One ``username:hash`` line of Mosquitto's password file (no newline).

    A colon or line break in the username would corrupt the file (Mosquitto splits at
    the first colon), so they are refused rather than escaped.
    """
    if not username or any(c in username for c in ":\r\n"):
        raise ValueError(f"username not allowed in a password file: {username!r}")
    if not hashed.startswith(("$7$", "$6$")) or any(c in hashed for c in "\r\n"):
        raise ValueError("not a Mosquitto $7$ / $6$ hash")
    return f"{username}:{hashed}"
