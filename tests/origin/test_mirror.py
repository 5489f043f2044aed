"""Mirrors: a partner copies the log and verifies every hash up to the checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from smartcustoms.origin.errors import TileMissing, VerificationFailed
from smartcustoms.origin.log import Sequencer
from smartcustoms.origin.mirror import Mirror, fetch_from_directory
from smartcustoms.origin.note import Ed25519Signer
from smartcustoms.origin.tiles import DirectoryTiles, tile_path, verify_tree

from .conftest import make_statements


def grow(directory: Path, signer: Ed25519Signer, count: int, start: int) -> str:
    with Sequencer.open(directory, signer, batch_size=500) as log:
        log.append_statements(make_statements(count, start))
        note = log.commit_batch()
        log.publish(note)
        return note


def test_mirror_copies_and_verifies_incrementally(
    tmp_path: Path, log_signer: Ed25519Signer
) -> None:
    source, copy = tmp_path / "log", tmp_path / "mirror"
    grow(source, log_signer, 700, 0)
    fetched: list[str] = []
    fetch = fetch_from_directory(source)

    def counting_fetch(path: str) -> bytes:
        fetched.append(path)
        return fetch(path)

    mirror = Mirror(counting_fetch, copy, log_key=log_signer.verifier())
    assert mirror.sync().size == 700
    verify_tree(DirectoryTiles(copy), 700, mirror.mirrored().root_hash)  # type: ignore[union-attr]

    grow(source, log_signer, 1000, 700)
    fetched.clear()
    checkpoint = mirror.sync()
    assert checkpoint.size == 1700
    assert tile_path(0, 0) not in fetched  # old full tiles are not fetched again
    verify_tree(DirectoryTiles(copy), 1700, checkpoint.root_hash)


def test_tampered_tile_is_refused_and_nothing_written(
    tmp_path: Path, log_signer: Ed25519Signer
) -> None:
    source = tmp_path / "log"
    grow(source, log_signer, 300, 0)
    tile = source / tile_path(0, 0)
    data = bytearray(tile.read_bytes())
    data[100] ^= 1
    tile.write_bytes(bytes(data))
    mirror = Mirror(
        fetch_from_directory(source), tmp_path / "mirror", log_key=log_signer.verifier()
    )
    with pytest.raises(VerificationFailed):
        mirror.sync()
    assert mirror.mirrored() is None
    assert not (tmp_path / "mirror" / "tile").exists()


def test_rewritten_history_is_refused(tmp_path: Path, log_signer: Ed25519Signer) -> None:
    source, forked = tmp_path / "log", tmp_path / "forked"
    grow(source, log_signer, 300, 0)
    mirror_dir = tmp_path / "mirror"
    mirror = Mirror(fetch_from_directory(source), mirror_dir, log_key=log_signer.verifier())
    mirror.sync()
    # The same log key signs a different history (statement 10 changed) that is longer.
    statements = make_statements(400)
    statements[10] = b'{"type":"revoke"}'
    with Sequencer.open(forked, log_signer, batch_size=1000) as log:
        log.append_statements(statements)
        log.publish(log.commit_batch())
    forked_mirror = Mirror(fetch_from_directory(forked), mirror_dir, log_key=log_signer.verifier())
    with pytest.raises(VerificationFailed, match="rewrote history"):
        forked_mirror.sync()


def test_unpublished_log_cannot_be_mirrored(
    tmp_path: Path, log_signer: Ed25519Signer, clock: Callable[[], datetime]
) -> None:
    with Sequencer.open(tmp_path / "log", log_signer) as log:
        log.append_statements(make_statements(3))
        log.commit_batch()
    mirror = Mirror(
        fetch_from_directory(tmp_path / "log"), tmp_path / "m", log_key=log_signer.verifier()
    )
    with pytest.raises(TileMissing):
        mirror.sync()
