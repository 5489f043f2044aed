"""Recall, false hits and the threshold choice."""

from __future__ import annotations

import pytest

from smartcustoms.screening import PartyKind
from smartcustoms.screening.evaluate import Outcome, choose_threshold, report, score_rows
from smartcustoms.screening.variants import LabelledName


def _row(expected: str | None, variant: str) -> LabelledName:
    return LabelledName("q", PartyKind.person, expected, variant, "g", "validation")


def _outcomes(positives: list[float], negatives: list[float]) -> list[Outcome]:
    return ([Outcome(_row("1", "typo"), s, s, "1") for s in positives]
            + [Outcome(_row(None, "unlisted_person"), 0.0, s, "9") for s in negatives])


def test_threshold_is_the_lowest_within_the_false_hit_budget() -> None:
    negatives = [i / 200 for i in range(200)]  # 0.000 .. 0.995
    outcomes = _outcomes([0.9] * 10, negatives)
    threshold = choose_threshold(outcomes, max_false_hit_rate=0.01)
    # Two of 200 may score at or above it: 0.99 and 0.995.
    assert threshold == pytest.approx(0.99)
    assert report(outcomes, threshold).false_hits == 2
    assert report(outcomes, threshold - 0.01).false_hits == 4  # over the budget


def test_threshold_steps_above_a_tie_on_the_grid() -> None:
    outcomes = _outcomes([1.0], [0.8] * 10)
    assert choose_threshold(outcomes, 0.0) == pytest.approx(0.81)


def test_no_negatives_no_threshold() -> None:
    with pytest.raises(ValueError, match="needs negatives"):
        choose_threshold(_outcomes([0.9], []))


def test_report_counts_by_variant() -> None:
    result = report(_outcomes([0.95, 0.6], [0.1, 0.85]), 0.8)
    assert (result.recall, result.false_hit_rate) == (0.5, 0.5)
    assert result.by_variant == {"typo": (2, 1), "unlisted_person": (2, 1)}
    assert result.variant_rate("typo") == 0.5


def test_score_rows_reads_the_expected_and_the_best_entry() -> None:
    rows = [_row("1", "typo"), _row(None, "unlisted_person")]
    scores = {"q": {"1": 0.7, "2": 0.9}}
    (positive, negative) = score_rows(rows, lambda q: scores[q])
    assert (positive.expected_score, positive.best_score, positive.best_entry) == (0.7, 0.9, "2")
    assert (negative.expected_score, negative.best_score) == (0.0, 0.9)
