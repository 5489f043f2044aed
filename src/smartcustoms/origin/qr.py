"""The short string printed as a QR code on a certificate: where its proof lives.

    SCO1:<base64url of 8-byte origin hash || 8-byte leaf index || 32-byte digest>

69 characters, well inside a version-4 QR code at level M. The origin hash (first 8
bytes of SHA-256 of the log origin) says which log, the leaf index where the issue
statement sits, the digest what the paper or PDF must hash to. It is an address and a
fingerprint, not a proof: a scanner fetches the bundle (or asks the log) and verifies
that, then checks the bundle's digest and position against the payload.
"""

from __future__ import annotations

import dataclasses
import hashlib

from smartcustoms.origin.bundle import BundleInvalid, b64url, b64url_decode

QR_PREFIX = "SCO1:"
_ORIGIN_HASH = 8
_PAYLOAD = _ORIGIN_HASH + 8 + 32


def origin_hash(origin: str) -> bytes:
    return hashlib.sha256(origin.encode("utf-8")).digest()[:_ORIGIN_HASH]


@dataclasses.dataclass(frozen=True, slots=True)
class QrPayload:
    origin_hash: bytes
    leaf_index: int
    digest: bytes

    @classmethod
    def create(cls, origin: str, leaf_index: int, digest: bytes) -> QrPayload:
        if not 0 <= leaf_index < 2**63:
            raise ValueError(f"leaf index must be 0 to 2**63-1; got {leaf_index}")
        if len(digest) != 32:
            raise ValueError(f"a digest is 32 bytes; got {len(digest)}")
        return cls(origin_hash(origin), leaf_index, digest)

    def format(self) -> str:
        raw = self.origin_hash + self.leaf_index.to_bytes(8, "big") + self.digest
        return QR_PREFIX + b64url(raw)

    def names_log(self, origin: str) -> bool:
        return self.origin_hash == origin_hash(origin)


def parse_qr(text: str) -> QrPayload:
    """The payload of a scanned string; ``BundleInvalid`` if it is not exactly one."""
    if not isinstance(text, str) or not text.startswith(QR_PREFIX):
        raise BundleInvalid("qr-malformed", f"a certificate QR starts with {QR_PREFIX}")
    raw = b64url_decode(text[len(QR_PREFIX) :], "qr")
    if len(raw) != _PAYLOAD:
        raise BundleInvalid("qr-malformed", f"a certificate QR holds {_PAYLOAD} bytes")
    index = int.from_bytes(raw[_ORIGIN_HASH : _ORIGIN_HASH + 8], "big")
    if index >= 2**63:
        raise BundleInvalid("qr-malformed", "the leaf index is out of range")
    return QrPayload(raw[:_ORIGIN_HASH], index, raw[_ORIGIN_HASH + 8 :])
