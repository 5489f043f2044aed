"""The plain rapidfuzz baseline the benchmark compares with."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcustoms.screening import load_list
from smartcustoms.screening.baseline import TokenSetBaseline


@pytest.fixture(scope="module")
def baseline(fixtures: Path) -> TokenSetBaseline:
    return TokenSetBaseline(load_list(fixtures / "sdn_small.xml").entries)


def test_best_name_over_primary_names_and_aliases(baseline: TokenSetBaseline) -> None:
    assert baseline.best("national bank of cuba") == (1.0, "306")
    assert baseline.best("Sand Swan")[1] == "4243"
    assert baseline.scores("Sand Swan") == {"4243": 1.0}


def test_token_sets_ignore_order_but_not_spelling(baseline: TokenSetBaseline) -> None:
    assert baseline.score_for("Mousa Mohammed ABU MARZOOK", "3754") == 1.0
    assert baseline.score_for("Musa Muhammad Abu Marzuk", "3754") < 0.9
    assert baseline.score_for("anything", "no-such-entry") == 0.0
