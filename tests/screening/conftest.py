"""Fixtures for screening tests.

Strategy: parsers are tested on the real shipped files (row counts and hashes from
data/sanctions/PROVENANCE.md) and on small hand-written XML files in ``fixtures/``;
malformed input is written to ``tmp_path`` per test. The full default list is loaded once
per session (it is frozen data); a screener over it is built once per module that needs
one (``test_matcher.py``), everything else uses small lists. Property tests
(hypothesis) cover normalisation, the parsers and the matcher's invariants.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcustoms.screening import ScreeningList, load_default_list

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The folder of hand-written list files."""
    return FIXTURES


@pytest.fixture(scope="session")
def default_list() -> ScreeningList:
    """The shipped OFAC SDN snapshot of 2024-05-03, loaded once."""
    return load_default_list()
