"""Evaluation arithmetic: top-k at each level, coverage split, calibration, corruptions."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from smartcustoms.tariff.corpus import code_texts
from smartcustoms.tariff.evaluate import (
    CORRUPTIONS,
    Scores,
    VerificationScores,
    corrupt,
    rollup,
)
from smartcustoms.tariff.model import Ranked

SUBHEADINGS = sorted(code_texts(cn_path=None))


def _ranked(*pairs: tuple[str, float]) -> list[Ranked]:
    return [Ranked(hs6=c, probability=p, score=0.0) for c, p in pairs]


def test_rollup_sums_the_probability_of_each_heading_and_chapter() -> None:
    ranked = _ranked(("850440", 0.30), ("851762", 0.28), ("851770", 0.27), ("180631", 0.15))
    assert rollup(ranked, 6) == ["850440", "851762", "851770", "180631"]
    assert rollup(ranked, 4) == ["8517", "8504", "1806"]  # 0.55 beats 0.30
    assert rollup(ranked, 2) == ["85", "18"]


def test_scores_count_hits_per_level_and_by_precedent_coverage() -> None:
    scores = Scores()
    scores.add("851770", _ranked(("851762", 0.5), ("851770", 0.4), ("850440", 0.1)), seen=True)
    scores.add("180631", _ranked(("180632", 0.6), ("180690", 0.4)), seen=False)
    assert scores.accuracy(6, 1) == 0.0
    assert scores.accuracy(6, 3) == 0.5
    assert scores.accuracy(4, 1) == 1.0
    assert scores.accuracy(6, 3, "seen") == 1.0
    assert scores.accuracy(6, 3, "unseen") == 0.0
    figures = scores.as_dict()
    assert figures["n"] == 2 and figures["with_precedent"] == 1
    assert figures["top1@4"] == 100.0 and figures["top3@6"] == 50.0


def test_calibration_error_is_zero_when_probabilities_match_outcomes() -> None:
    scores = Scores()
    scores.confidence = [(0.75, True)] * 3 + [(0.75, False)] + [(0.25, False)] * 3 + \
        [(0.25, True)]
    assert abs(scores.calibration_error()) < 1e-12
    scores.confidence = [(0.95, False)] * 10
    assert abs(scores.calibration_error() - 0.95) < 1e-12


def test_verification_auc_separates_true_from_wrong_codes() -> None:
    found = VerificationScores(true=[0.9, 0.8, 0.7])
    found.wrong["other_chapter"] = [0.1, 0.2]
    found.wrong["sibling_subheading"] = [0.75, 0.95]
    assert found.auc("other_chapter") == 1.0
    assert 0 < found.auc("sibling_subheading") < 1
    assert np.isnan(found.auc("same_chapter_heading"))


@given(st.sampled_from(SUBHEADINGS), st.integers(0, 2**32 - 1))
def test_each_corruption_is_of_its_kind(code: str, seed: int) -> None:
    wrong = corrupt(code, SUBHEADINGS, np.random.default_rng(seed))
    assert set(wrong) <= set(CORRUPTIONS)
    assert "other_chapter" in wrong
    for kind, other in wrong.items():
        assert other != code and other in SUBHEADINGS
        same_heading, same_chapter = other[:4] == code[:4], other[:2] == code[:2]
        assert (kind, same_heading, same_chapter) in {
            ("sibling_subheading", True, True),
            ("same_chapter_heading", False, True),
            ("other_chapter", False, False),
        }
