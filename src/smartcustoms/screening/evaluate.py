"""Honest screening figures on a labelled set: recall of true variants, false-hit rate on
negatives, per variant kind, and the threshold choice that ties them.

A positive is found when its expected entry scores at or above the threshold (another
entry may score higher: lists hold near-duplicates, and an officer sees every hit). A
negative is a false hit when anything scores at or above the threshold. Thresholds are
chosen on the validation split only (``choose_threshold``) and then applied, unchanged,
to the test split.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from smartcustoms.screening.variants import LabelledName

# Scores (entry id -> score) a screener gives one query, at least down to some floor.
Scorer = Callable[[str], dict[str, float]]


@dataclass(frozen=True, slots=True)
class Outcome:
    row: LabelledName
    expected_score: float
    best_score: float
    best_entry: str | None


@dataclass(slots=True)
class Report:
    threshold: float
    positives: int = 0
    negatives: int = 0
    found: int = 0
    false_hits: int = 0
    by_variant: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else math.nan

    @property
    def false_hit_rate(self) -> float:
        return self.false_hits / self.negatives if self.negatives else math.nan

    def variant_rate(self, variant: str) -> float:
        n, k = self.by_variant.get(variant, (0, 0))
        return k / n if n else math.nan


def score_rows(rows: Iterable[LabelledName], scorer: Scorer) -> list[Outcome]:
    outcomes = []
    for row in rows:
        scores = scorer(row.query)
        best_entry = max(scores, key=lambda e: (scores[e], e)) if scores else None
        best = scores[best_entry] if best_entry is not None else 0.0
        expected = scores.get(row.expected, 0.0) if row.expected is not None else 0.0
        outcomes.append(Outcome(row, expected, best, best_entry))
    return outcomes


def choose_threshold(outcomes: Sequence[Outcome], max_false_hit_rate: float = 0.01,
                     step: float = 0.01) -> float:
    """The lowest threshold on a ``step`` grid at which at most ``max_false_hit_rate`` of
    the negatives score at or above it (so recall is as high as the budget allows)."""
    negatives = sorted((o.best_score for o in outcomes if not o.row.positive), reverse=True)
    if not negatives:
        raise ValueError("choose_threshold needs negatives; the outcomes hold none")
    allowed = math.floor(max_false_hit_rate * len(negatives))
    if allowed >= len(negatives):
        return 0.0
    # Strictly above the (allowed + 1)-th highest negative score, rounded up to the grid.
    boundary = negatives[allowed]
    threshold = math.floor(boundary / step + 1e-9) * step + step
    return round(min(threshold, 1.0 + step), 6)


def report(outcomes: Iterable[Outcome], threshold: float) -> Report:
    result = Report(threshold)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        count = counts[o.row.variant]
        count[0] += 1
        if o.row.positive:
            result.positives += 1
            hit = o.expected_score >= threshold
            result.found += hit
        else:
            result.negatives += 1
            hit = o.best_score >= threshold
            result.false_hits += hit
        count[1] += hit
    result.by_variant = {k: (v[0], v[1]) for k, v in sorted(counts.items())}
    return result
