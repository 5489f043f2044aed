"""Fixtures for the origin log tests.

Strategy: everything runs on real files in ``tmp_path`` (the log's durability is the
point), with fresh Ed25519 keys per test and a fixed clock passed in, never patched.
Statements are small canonical JSON documents made with ``rfc8785.dumps``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import rfc8785

from smartcustoms.origin.note import Ed25519Signer

ORIGIN = "customs.example/origin-log"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_statements(count: int, start: int = 0) -> list[bytes]:
    """Issue statements with hashes only for commercial data, as the log carries them."""
    return [
        rfc8785.dumps(
            {
                "type": "issue",
                "certificate": f"CO-2025-{i:07d}",
                "issuer": "issuer.example/chamber",
                "fields_commitment": f"{i:064x}",
            }
        )
        for i in range(start, start + count)
    ]


@pytest.fixture
def log_signer() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW
