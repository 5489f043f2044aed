"""Ed25519 signatures over digests, key ids, key files and printable public keys.

Every signature covers ``purpose tag || 0x00 || 32-byte digest``. The purpose tags
keep the uses apart: a certificate digest signed by an issuer can never be replayed
as a log statement signed by the same key, nor the reverse (the checkpoint notes of
the log use their own format and key names).

Keys are generated at setup into the data directory (``Settings.data_dir / "keys"``),
never into the repository: the directory is created 0700 with a ``.gitignore`` that
ignores everything, private key files are written 0600 and refused when readable by
others, as OpenSSH does.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import hashlib
import os
import re
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from smartcustoms.origin.models import KeyFileInvalid, SignatureInvalid

DIGEST_BYTES = 32
SIGNATURE_BYTES = 64
_PUBLIC_PREFIX = "ed25519:"
_KEY_ID_TAG = b"smartcustoms/origin/key-id/v1\x00"
_KEY_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_KEY_ID = re.compile(r"[0-9a-f]{32}")


class Purpose(enum.Enum):
    """What a signature is for; part of every signed message."""

    certificate = b"smartcustoms/origin/certificate-digest/v1"
    statement = b"smartcustoms/origin/statement/v1"


def _message(purpose: Purpose, digest: bytes) -> bytes:
    if not isinstance(digest, bytes) or len(digest) != DIGEST_BYTES:
        raise ValueError(f"a digest is {DIGEST_BYTES} bytes")
    return purpose.value + b"\x00" + digest


def key_id(public_key: Ed25519PublicKey) -> str:
    """32 hex digits: the first 16 bytes of a tagged SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(_KEY_ID_TAG + raw).digest()[:16].hex()


def is_key_id(text: object) -> bool:
    return isinstance(text, str) and bool(_KEY_ID.fullmatch(text))


def format_public_key(public_key: Ed25519PublicKey) -> str:
    """``ed25519:<base64 of the 32 raw bytes>``, short enough to read over the phone."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _PUBLIC_PREFIX + base64.b64encode(raw).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The inverse of ``format_public_key``; one spelling per key is accepted."""
    if not isinstance(text, str) or not text.startswith(_PUBLIC_PREFIX):
        raise KeyFileInvalid(
            f"a public key starts with {_PUBLIC_PREFIX!r}", field="public_key", value=text
        )
    body = text[len(_PUBLIC_PREFIX) :]
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFileInvalid(
            "the public key is not base64", field="public_key", value=text
        ) from exc
    if len(raw) != 32 or base64.b64encode(raw).decode() != body:
        raise KeyFileInvalid(
            "an Ed25519 public key is 32 bytes in canonical base64", field="public_key", value=text
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def sign_digest(
    private_key: Ed25519PrivateKey, digest: bytes, purpose: Purpose = Purpose.certificate
) -> bytes:
    return private_key.sign(_message(purpose, digest))


def verify_digest(
    public_key: Ed25519PublicKey,
    digest: bytes,
    signature: bytes,
    purpose: Purpose = Purpose.certificate,
) -> None:
    """Return if the signature verifies; raise ``SignatureInvalid`` otherwise."""
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        raise SignatureInvalid(
            "signature-malformed", f"an Ed25519 signature is {SIGNATURE_BYTES} bytes"
        )
    try:
        public_key.verify(signature, _message(purpose, digest))
    except InvalidSignature as exc:
        raise SignatureInvalid(
            "signature-mismatch",
            f"the {purpose.name} signature does not verify under key {key_id(public_key)}",
        ) from exc


# -------------------------------------------------------------------- key files


@dataclasses.dataclass(frozen=True, slots=True)
class KeyInfo:
    name: str
    key_id: str
    public_key: str  # printable form
    private_path: Path


def _prepare_directory(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = directory.stat().st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise KeyFileInvalid(
            f"{directory} is writable by others; keys cannot live there",
            field="directory",
            value=str(directory),
        )
    ignore = directory / ".gitignore"
    if not ignore.exists():
        # Even if the data directory sits inside a checkout, git never sees the keys.
        ignore.write_text("*\n")


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # the umask can only remove bits; make the mode exact
        view = memoryview(data)
        while view:  # os.write may write less than asked
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def generate_key(directory: Path, name: str) -> KeyInfo:
    """A new Ed25519 key: ``<name>.key`` (PKCS #8 PEM, 0600) and ``<name>.pub``.

    Refuses to overwrite an existing key: a lost private key is a revocation, not a
    file operation.
    """
    if not _KEY_NAME.fullmatch(name):
        raise KeyFileInvalid(
            "a key name is 1 to 64 of a-z, 0-9, '-' and '_'", field="name", value=name
        )
    directory = Path(directory)
    _prepare_directory(directory)
    private_path, public_path = directory / f"{name}.key", directory / f"{name}.pub"
    if private_path.exists() or public_path.exists():
        raise KeyFileInvalid(
            f"a key named {name!r} already exists in {directory}", field="name", value=name
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_new(private_path, pem, 0o600)
    printable = format_public_key(key.public_key())
    _write_new(public_path, (printable + "\n").encode(), 0o644)
    return KeyInfo(name, key_id(key.public_key()), printable, private_path)


def generate_key_file(path: Path) -> KeyInfo:
    """A new Ed25519 key in one file of the caller's choosing (PKCS #8 PEM, 0600): an
    issuer's own key, kept on its machine. Refuses to overwrite, like ``generate_key``."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise KeyFileInvalid(f"{path} exists; a key is never overwritten", field="out",
                             value=str(path))
    if not path.parent.is_dir():
        raise KeyFileInvalid(f"{path.parent} is not a directory", field="out",
                             value=str(path))
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        _write_new(path, pem, 0o600)  # O_EXCL: a file appearing meanwhile is not replaced
    except OSError as exc:
        raise KeyFileInvalid(
            f"{path} cannot be written: {exc.strerror}", field="out", value=str(path)
        ) from exc
    return KeyInfo(path.stem, key_id(key.public_key()), format_public_key(key.public_key()), path)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a private key written by ``generate_key``; refuse one others can read."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileInvalid(
                f"{path} is accessible by group or others "
                f"(mode {stat.S_IMODE(mode):04o}); chmod 600 it",
                field="path",
                value=str(path),
            )
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise KeyFileInvalid(
            f"{path} cannot be read: {exc.strerror}", field="path", value=str(path)
        ) from exc
    except (ValueError, TypeError) as exc:
        raise KeyFileInvalid(
            f"{path} is not an unencrypted PKCS #8 key", field="path", value=str(path)
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileInvalid(f"{path} is not an Ed25519 key", field="path", value=str(path))
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        return parse_public_key(Path(path).read_text().strip())
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileInvalid(f"{path} cannot be read", field="path", value=str(path)) from exc
