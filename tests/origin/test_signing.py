"""Ed25519 over digests with purpose tags; key ids; key files with safe permissions."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.origin.models import KeyFileInvalid, SignatureInvalid
from smartcustoms.origin.signing import (
    Purpose,
    format_public_key,
    generate_key,
    is_key_id,
    key_id,
    load_private_key,
    load_public_key,
    parse_public_key,
    sign_digest,
    verify_digest,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
DIGEST = hashlib.sha256(b"certificate").digest()


def test_signature_verifies() -> None:
    verify_digest(KEY.public_key(), DIGEST, sign_digest(KEY, DIGEST))


def test_signature_is_bound_to_its_purpose() -> None:
    signature = sign_digest(KEY, DIGEST, Purpose.certificate)
    with pytest.raises(SignatureInvalid, match="signature-mismatch"):
        verify_digest(KEY.public_key(), DIGEST, signature, Purpose.statement)


def test_signature_is_not_over_the_bare_digest() -> None:
    bare = KEY.sign(DIGEST)  # what a scheme without a context string would sign
    with pytest.raises(SignatureInvalid):
        verify_digest(KEY.public_key(), DIGEST, bare)


def test_other_key_or_digest_fails() -> None:
    signature = sign_digest(KEY, DIGEST)
    other = Ed25519PrivateKey.generate()
    with pytest.raises(SignatureInvalid) as info:
        verify_digest(other.public_key(), DIGEST, signature)
    assert info.value.reason == "signature-mismatch"
    with pytest.raises(SignatureInvalid):
        verify_digest(KEY.public_key(), hashlib.sha256(b"other").digest(), signature)


def test_malformed_signature_and_digest_are_refused() -> None:
    with pytest.raises(SignatureInvalid, match="signature-malformed"):
        verify_digest(KEY.public_key(), DIGEST, b"\x00" * 63)
    with pytest.raises(ValueError, match="32 bytes"):
        sign_digest(KEY, DIGEST[:31])


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(0, 63), st.integers(0, 7))
def test_one_flipped_bit_fails(digest: bytes, byte: int, bit: int) -> None:
    signature = bytearray(sign_digest(KEY, digest))
    verify_digest(KEY.public_key(), digest, bytes(signature))
    signature[byte] ^= 1 << bit
    with pytest.raises(SignatureInvalid):
        verify_digest(KEY.public_key(), digest, bytes(signature))


def test_key_id_is_stable_and_distinct() -> None:
    assert key_id(KEY.public_key()) == key_id(KEY.public_key())
    assert is_key_id(key_id(KEY.public_key()))
    assert key_id(Ed25519PrivateKey.generate().public_key()) != key_id(KEY.public_key())


def test_public_key_round_trips_in_printable_form() -> None:
    text = format_public_key(KEY.public_key())
    assert text.startswith("ed25519:") and len(text) == 8 + 44
    assert key_id(parse_public_key(text)) == key_id(KEY.public_key())


@pytest.mark.parametrize(
    "text",
    [
        "ed25519:",
        "ssh-ed25519:AAAA",
        "ed25519:" + base64.b64encode(b"\x01" * 31).decode(),
        "ed25519:" + base64.b64encode(b"\x01" * 32).decode().rstrip("="),
        "ed25519:" + base64.b64encode(b"\x01" * 32).decode() + "\n",
        "ed25519:" + base64.urlsafe_b64encode(b"\xff" * 32).decode(),
    ],
)
def test_non_canonical_public_key_is_refused(text: str) -> None:
    with pytest.raises(KeyFileInvalid):
        parse_public_key(text)


def test_generated_key_files_are_private(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    info = generate_key(directory, "issuer-ccpit")
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(info.private_path.stat().st_mode) == 0o600
    assert (directory / ".gitignore").read_text() == "*\n"
    key = load_private_key(info.private_path)
    assert key_id(key.public_key()) == info.key_id
    assert format_public_key(load_public_key(directory / "issuer-ccpit.pub")) == info.public_key


def test_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    first = generate_key(tmp_path, "root")
    with pytest.raises(KeyFileInvalid, match="already exists"):
        generate_key(tmp_path, "root")
    assert key_id(load_private_key(first.private_path).public_key()) == first.key_id


@pytest.mark.parametrize("name", ["../escape", "Root", "", "a/b", "x" * 65])
def test_key_name_is_a_plain_word(tmp_path: Path, name: str) -> None:
    with pytest.raises(KeyFileInvalid, match="key name"):
        generate_key(tmp_path, name)


def test_readable_private_key_is_refused(tmp_path: Path) -> None:
    info = generate_key(tmp_path, "root")
    os.chmod(info.private_path, 0o644)
    with pytest.raises(KeyFileInvalid, match="chmod 600"):
        load_private_key(info.private_path)


def test_shared_directory_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with pytest.raises(KeyFileInvalid, match="writable by others"):
        generate_key(shared, "root")


def test_missing_or_foreign_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileInvalid, match="cannot be read"):
        load_private_key(tmp_path / "absent.key")
    junk = tmp_path / "junk.key"
    junk.write_bytes(b"not a key")
    os.chmod(junk, 0o600)
    with pytest.raises(KeyFileInvalid, match="PKCS #8"):
        load_private_key(junk)
