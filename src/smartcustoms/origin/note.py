"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys.

A note is UTF-8 text ending in a newline, a blank line, then one or more lines
``— <key name> <base64(4-byte key id || signature)>``. A key is named by (name, key
id); the key id is the first four bytes of SHA-256(name || 0x0A || type byte || public
key). Verifier keys travel as ``<name>+<8 hex key id>+<base64(type byte || key)>``.

``open_note`` follows the spec's rules: signatures by unknown keys are ignored; one by a
known key that does not verify rejects the whole note; a note with no verified
signature is rejected. All parsing errors are ``NoteInvalid`` naming the field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from smartcustoms.origin.errors import NoteInvalid, VerificationFailed, shown

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04  # timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature)
EM_DASH = "\u2014"
MAX_SIGNATURES = 64  # the spec asks verifiers to accept at least 16
MAX_NOTE_BYTES = 1 << 20


def check_key_name(name: str, field: str = "key name") -> str:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteInvalid(
            f"{field} must be non-empty without spaces or '+'; got {shown(name)!r}",
            field=field,
            value=shown(name),
        )
    return name


def compute_key_id(name: str, sig_type: int, public_key: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def b64decode_strict(text: str, field: str) -> bytes:
    """Standard base64 with padding, rejecting anything that does not re-encode the same."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise NoteInvalid(
            f"{field} must be standard base64; got {shown(text)!r}", field=field, value=shown(text)
        ) from exc
    if base64.b64encode(raw).decode() != text:
        raise NoteInvalid(
            f"{field} must be canonical base64; got {shown(text)!r}", field=field, value=shown(text)
        )
    return raw


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: the key's name and id, and the signature bytes after the id."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{EM_DASH} {self.name} {b64encode(blob)}\n"


def parse_signature_line(line: str) -> NoteSignature:
    """One ``— name base64`` line, without its newline."""
    prefix = f"{EM_DASH} "
    if not line.startswith(prefix):
        raise NoteInvalid(
            f"signature line must start with an em dash and a space; got {shown(line)!r}",
            field="signature",
            value=shown(line),
        )
    parts = line[len(prefix) :].split(" ")
    if len(parts) != 2:
        raise NoteInvalid(
            f"signature line must be '— <name> <base64>'; got {shown(line)!r}",
            field="signature",
            value=shown(line),
        )
    name = check_key_name(parts[0], "signature.name")
    blob = b64decode_strict(parts[1], "signature.value")
    if len(blob) < 5:
        raise NoteInvalid(
            f"signature must hold a 4-byte key id and a signature; got {len(blob)} bytes",
            field="signature.value",
            value=parts[1],
        )
    return NoteSignature(name, int.from_bytes(blob[:4], "big"), blob[4:])


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed (not yet verified) signed note."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def format(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def with_signatures(self, extra: Sequence[NoteSignature]) -> Note:
        """The note with more signatures; an exact duplicate line is kept once."""
        merged = list(self.signatures)
        for sig in extra:
            if sig not in merged:
                merged.append(sig)
        return Note(self.text, tuple(merged))


def check_note_text(text: str) -> str:
    if not text.endswith("\n"):
        raise NoteInvalid("note text must end with a newline", field="text", value=shown(text))
    bad = next((c for c in text if c < " " and c != "\n"), None)
    if bad is not None:
        raise NoteInvalid(
            f"note text must not hold control characters; got {bad!r}",
            field="text",
            value=shown(text),
        )
    return text


def parse_note(data: str | bytes) -> Note:
    """Split a signed note into text and signature lines, strictly."""
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_BYTES:
            raise NoteInvalid(f"note must be at most {MAX_NOTE_BYTES} bytes; got {len(data)}")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteInvalid(f"note must be UTF-8: {exc}", field="note") from exc
    elif len(data) > MAX_NOTE_BYTES:
        raise NoteInvalid(f"note must be at most {MAX_NOTE_BYTES} bytes; got {len(data)}")
    split = data.rfind("\n\n")
    if split < 0:
        raise NoteInvalid("note has no blank line before its signatures", field="note")
    text, block = data[: split + 1], data[split + 2 :]
    check_note_text(text)
    if not block or not block.endswith("\n"):
        raise NoteInvalid("note signatures must end with a newline", field="signatures")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteInvalid(
            f"note must carry at most {MAX_SIGNATURES} signatures; got {len(lines)}",
            field="signatures",
            value=len(lines),
        )
    return Note(text, tuple(parse_signature_line(line) for line in lines))


class Verifier(Protocol):
    """Checks signatures by one key named (name, key_id)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, text: bytes, signature: bytes) -> bool: ...


def decode_vkey(vkey: str, sig_type: int) -> tuple[str, int, bytes]:
    """``(name, key id, public key)`` of a verifier key of the expected type."""
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise NoteInvalid(
            f"verifier key must be '<name>+<hex id>+<base64 key>'; got {shown(vkey)!r}",
            field="vkey",
            value=shown(vkey),
        )
    name, hex_id, encoded = parts
    check_key_name(name, "vkey.name")
    if len(hex_id) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hex_id):
        raise NoteInvalid(
            f"vkey.id must be 8 hex digits; got {hex_id!r}", field="vkey.id", value=hex_id
        )
    raw = b64decode_strict(encoded, "vkey.key")
    if len(raw) != 33 or raw[0] != sig_type:
        raise NoteInvalid(
            f"vkey.key must be type byte 0x{sig_type:02x} and a 32-byte Ed25519 key; "
            f"got {len(raw)} bytes starting 0x{raw[:1].hex() or '--'}",
            field="vkey.key",
            value=encoded,
        )
    key_id = int(hex_id, 16)
    if compute_key_id(name, sig_type, raw[1:]) != key_id:
        raise NoteInvalid(
            f"vkey.id {hex_id} does not match the key and name", field="vkey.id", value=hex_id
        )
    return name, key_id, raw[1:]


def encode_vkey(name: str, sig_type: int, public_key: bytes) -> str:
    key_id = compute_key_id(name, sig_type, public_key)
    return f"{name}+{key_id:08x}+{b64encode(bytes([sig_type]) + public_key)}"


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def load_public_key(raw: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise NoteInvalid(f"not an Ed25519 public key: {exc}", field="vkey.key") from exc


class Ed25519Verifier:
    """A note verifier for plain Ed25519 signatures (type 0x01)."""

    sig_type = SIG_ED25519

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        self.name = check_key_name(name)
        self.public_key = public_key
        self.public_bytes = raw_public_key(public_key)
        self.key_id = compute_key_id(name, self.sig_type, self.public_bytes)

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        name, _, raw = decode_vkey(vkey, cls.sig_type)
        return cls(name, load_public_key(raw))

    @property
    def vkey(self) -> str:
        return encode_vkey(self.name, self.sig_type, self.public_bytes)

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


class Ed25519Signer:
    """Signs note text with an Ed25519 key under a name (type 0x01)."""

    sig_type = SIG_ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = check_key_name(name)
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = compute_key_id(name, self.sig_type, raw_public_key(self.public_key))

    @classmethod
    def generate(cls, name: str) -> Ed25519Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Ed25519Signer:
        """The Go sumdb/note private key text: ``PRIVATE+KEY+<name>+<hex id>+<base64>``."""
        prefix = "PRIVATE+KEY+"
        if not skey.startswith(prefix):
            raise NoteInvalid("signer key must start with PRIVATE+KEY+", field="skey")
        name, key_id, seed = decode_vkey_unchecked(skey[len(prefix) :], cls.sig_type)
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        if signer.key_id != key_id:
            raise NoteInvalid("skey id does not match the key and name", field="skey.id")
        return signer

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.name, self.public_key)

    def sign(self, text: str) -> NoteSignature:
        check_note_text(text)
        return NoteSignature(self.name, self.key_id, self._private_key.sign(text.encode()))

    def __repr__(self) -> str:
        return f"Ed25519Signer({self.name!r}, key_id={self.key_id:08x})"


def decode_vkey_unchecked(text: str, sig_type: int) -> tuple[str, int, bytes]:
    """Like ``decode_vkey`` without the id check (the private form hashes the public key)."""
    parts = text.split("+", 2)
    if len(parts) != 3 or len(parts[1]) != 8:
        raise NoteInvalid("key must be '<name>+<hex id>+<base64 key>'", field="key")
    raw = b64decode_strict(parts[2], "key")
    if len(raw) != 33 or raw[0] != sig_type:
        raise NoteInvalid(f"key must be type 0x{sig_type:02x} and 32 bytes", field="key")
    try:
        key_id = int(parts[1], 16)
    except ValueError as exc:
        raise NoteInvalid("key id must be 8 hex digits", field="key.id") from exc
    return check_key_name(parts[0]), key_id, raw[1:]


def sign_note(text: str, signers: Sequence[Ed25519Signer]) -> str:
    """The signed note text, one signature per signer."""
    if not signers:
        raise ValueError("sign_note needs at least one signer")
    return Note(text, tuple(s.sign(text) for s in signers)).format()


@dataclass(frozen=True, slots=True)
class VerifiedNote:
    """A note with the signatures that verified, each beside its verifier."""

    note: Note
    verified: tuple[tuple[Verifier, NoteSignature], ...]

    @property
    def text(self) -> str:
        return self.note.text


def open_note(data: str | bytes | Note, verifiers: Sequence[Verifier]) -> VerifiedNote:
    """Parse and verify a note; return only if at least one known key signed it validly."""
    note = data if isinstance(data, Note) else parse_note(data)
    known: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        slot = (verifier.name, verifier.key_id)
        if slot in known and known[slot] is not verifier:
            raise NoteInvalid(
                f"two verifiers share name {verifier.name!r} and id {verifier.key_id:08x}",
                field="verifiers",
            )
        known[slot] = verifier
    text = note.text.encode()
    verified = []
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue  # unknown keys are ignored, even with a known name or id
        if not verifier.verify(text, sig.signature):
            raise VerificationFailed(
                f"signature by {sig.name} ({sig.key_id:08x}) does not verify; note rejected"
            )
        verified.append((verifier, sig))
    if not verified:
        names = ", ".join(sorted({v.name for v in verifiers})) or "none"
        raise VerificationFailed(f"no signature by a trusted key (trusted: {names})")
    return VerifiedNote(note, tuple(verified))
