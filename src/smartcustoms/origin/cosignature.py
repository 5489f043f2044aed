"""C2SP tlog-cosignature v1: timestamped Ed25519 witness cosignatures (type 0x04).

The signed message is ``cosignature/v1\\n`` + ``time <POSIX seconds>\\n`` + the whole
checkpoint note text; the signature line carries key id || big-endian u64 timestamp ||
64-byte Ed25519 signature. The key id hashes type byte 0x04, so a witness key can never
pass for a log key (0x01) even under the same name.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
)

from smartcustoms.origin.errors import NoteInvalid
from smartcustoms.origin.note import (
    SIG_COSIGNATURE_V1,
    Ed25519Verifier,
    NoteSignature,
    check_key_name,
    check_note_text,
    compute_key_id,
    raw_public_key,
)

MAX_TIMESTAMP = (1 << 63) - 1
_SIGNATURE_SIZE = 8 + 64


def cosigned_message(text: str, timestamp: int) -> bytes:
    """The exact bytes a v1 cosignature signs."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"timestamp must be 0 to 2**63-1; got {timestamp}")
    return f"cosignature/v1\ntime {timestamp}\n{check_note_text(text)}".encode()


def cosignature_timestamp(signature: bytes) -> int:
    """The timestamp inside a cosignature (the bytes after the key id)."""
    if len(signature) != _SIGNATURE_SIZE:
        raise NoteInvalid(
            f"cosignature must be {_SIGNATURE_SIZE} bytes after the key id; got {len(signature)}",
            field="cosignature",
            value=len(signature),
        )
    return int.from_bytes(signature[:8], "big")


class CosignatureVerifier(Ed25519Verifier):
    """Checks cosignature/v1 signatures by one witness key (the same key handling as a
    note verifier; another signature type and signed message)."""

    sig_type = SIG_COSIGNATURE_V1

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != _SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        message = b"cosignature/v1\ntime %d\n" % timestamp + text
        try:
            self.public_key.verify(signature[8:], message)
        except InvalidSignature:
            return False
        return True


class CosignatureSigner:
    """A witness key that produces cosignature/v1 lines."""

    sig_type = SIG_COSIGNATURE_V1

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = check_key_name(name)
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = compute_key_id(name, self.sig_type, raw_public_key(self.public_key))

    @classmethod
    def generate(cls, name: str) -> CosignatureSigner:
        return cls(name, Ed25519PrivateKey.generate())

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)

    def cosign(self, text: str, timestamp: int) -> NoteSignature:
        signature = self._private_key.sign(cosigned_message(text, timestamp))
        return NoteSignature(self.name, self.key_id, timestamp.to_bytes(8, "big") + signature)

    def __repr__(self) -> str:
        return f"CosignatureSigner({self.name!r}, key_id={self.key_id:08x})"
