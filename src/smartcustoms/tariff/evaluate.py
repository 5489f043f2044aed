"""Honest accuracy: grouped cross-validation on the precedent sets, zero-shot on held-out
benchmark sets, and top-k at 2, 4 and 6 digits, split by whether the true code had any
precedent in training (the case where only nomenclature knowledge can help)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sklearn.model_selection import GroupKFold

from smartcustoms.tariff.corpus import CodeTexts, Precedent, with_series_groups
from smartcustoms.tariff.model import Config, Ranked, SemanticEncoder, TariffModel

LEVELS = (2, 4, 6)
TOPS = (1, 3, 5)


@dataclass(slots=True)
class Scores:
    """Hits per (digits, k) over ``n`` descriptions, overall and by precedent coverage."""

    n: int = 0
    hits: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    seen_n: int = 0
    seen_hits: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    unseen_hits: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    confidence: list[tuple[float, bool]] = field(default_factory=list)

    def add(self, truth: str, ranked: Sequence[Ranked], seen: bool) -> None:
        self.n += 1
        self.seen_n += seen
        for digits in LEVELS:
            order = rollup(ranked, digits)
            for k in TOPS:
                hit = truth[:digits] in order[:k]
                self.hits[digits, k] += hit
                (self.seen_hits if seen else self.unseen_hits)[digits, k] += hit
        if ranked:
            self.confidence.append((ranked[0].probability, ranked[0].hs6 == truth))

    def accuracy(self, digits: int, k: int, subset: str = "all") -> float:
        if subset == "seen":
            return self.seen_hits[digits, k] / self.seen_n if self.seen_n else float("nan")
        if subset == "unseen":
            unseen = self.n - self.seen_n
            return self.unseen_hits[digits, k] / unseen if unseen else float("nan")
        return self.hits[digits, k] / self.n if self.n else float("nan")

    def calibration_error(self, bins: int = 10) -> float:
        """Expected calibration error of the top-1 probability (equal-width bins)."""
        if not self.confidence:
            return float("nan")
        p = np.array([c for c, _ in self.confidence])
        y = np.array([h for _, h in self.confidence], dtype=float)
        edges = np.linspace(0, 1, bins + 1)
        idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
        return float(sum(abs(p[idx == b].mean() - y[idx == b].mean()) * (idx == b).sum()
                         for b in range(bins) if (idx == b).any()) / len(p))

    def as_dict(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {"n": self.n, "with_precedent": self.seen_n}
        for digits in LEVELS:
            for k in TOPS:
                out[f"top{k}@{digits}"] = round(100 * self.accuracy(digits, k), 1)
        for subset in ("seen", "unseen"):
            for k in (1, 5):
                out[f"{subset}_top{k}@6"] = round(100 * self.accuracy(6, k, subset), 1)
        out["ece"] = round(self.calibration_error(), 3)
        return out


def rollup(ranked: Sequence[Ranked], digits: int) -> list[str]:
    """Codes at ``digits`` ordered by the summed probability of their subheadings."""
    if digits == 6:
        return [r.hs6 for r in ranked]
    mass: dict[str, float] = defaultdict(float)
    for r in ranked:
        mass[r.hs6[:digits]] += r.probability
    return sorted(mass, key=lambda c: -mass[c])


Progress = Callable[[str], None]
CORRUPTIONS = ("sibling_subheading", "same_chapter_heading", "other_chapter")


@dataclass(slots=True)
class VerificationScores:
    """The probability the verifier gives the true code and each kind of wrong code."""

    true: list[float] = field(default_factory=list)
    wrong: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def auc(self, kind: str) -> float:
        from sklearn.metrics import roc_auc_score

        neg = self.wrong.get(kind, [])
        if not self.true or not neg:
            return float("nan")
        y = [1] * len(self.true) + [0] * len(neg)
        return float(roc_auc_score(y, self.true + neg))

    def as_dict(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {"verified": len(self.true)}
        for kind in CORRUPTIONS:
            out[f"auc_{kind}"] = round(self.auc(kind), 3)
        return out


def corrupt(code: str, subheadings: Sequence[str], rng: np.random.Generator) -> dict[str, str]:
    """A wrong code of each kind for ``code``: a sibling subheading, a subheading of
    another heading in the same chapter, a subheading of another chapter."""
    siblings = [c for c in subheadings if c[:4] == code[:4] and c != code]
    cousins = [c for c in subheadings if c[:2] == code[:2] and c[:4] != code[:4]]
    strangers = [c for c in subheadings if c[:2] != code[:2]]
    out = {}
    for kind, pool in zip(CORRUPTIONS, (siblings, cousins, strangers), strict=True):
        if pool:
            out[kind] = pool[int(rng.integers(len(pool)))]
    return out


def verification(model: TariffModel, held: Sequence[Precedent], *, seed: int = 0
                 ) -> VerificationScores:
    """Verify each held-out description against its true code and three corrupted ones."""
    from smartcustoms.tariff.classifier import Classifier

    classifier = Classifier(model)
    rng = np.random.default_rng(seed)
    subheadings = model.codes
    known = set(subheadings)
    pairs, kinds = [], []
    for p in held:
        if p.hs6 not in known:
            continue
        pairs.append((p.text, p.hs6))
        kinds.append("true")
        for kind, code in corrupt(p.hs6, subheadings, rng).items():
            pairs.append((p.text, code))
            kinds.append(kind)
    out = VerificationScores()
    for kind, result in zip(kinds, classifier.verify_many(pairs), strict=True):
        (out.true if kind == "true" else out.wrong[kind]).append(result.probability)
    return out


class Ranker(Protocol):
    precedents: list[Precedent]

    def rank(self, texts: Sequence[str], k: int = ...) -> list[list[Ranked]]: ...


def grouped_cv(target: str, precedents: Sequence[Precedent], codes: Mapping[str, CodeTexts],
               *, folds: int = 5, config: Config | None = None,
               encoder: SemanticEncoder | None = None, progress: Progress | None = None,
               depth: int = 20, verify: VerificationScores | None = None,
               fit: Callable[[list[Precedent]], Ranker] | None = None) -> Scores:
    """Grouped k-fold on the ``target`` set; every fold trains on the other folds plus all
    other sets. A product series never straddles train and test. ``fit`` builds another
    ranker from a fold's training rulings (the baseline); verification needs the model."""
    fit = fit or (lambda training: TariffModel(config).fit(training, codes, encoder=encoder))
    grouped = with_series_groups(precedents)
    test_idx = np.array([i for i, p in enumerate(grouped) if p.source == target])
    others = [p for p in grouped if p.source != target]
    groups = np.array([grouped[i].group for i in test_idx])
    scores = Scores()
    for fold, (train, test) in enumerate(GroupKFold(n_splits=folds).split(test_idx,
                                                                         groups=groups)):
        if progress:
            progress(f"{target}: fold {fold + 1}/{folds}")
        training = others + [grouped[i] for i in test_idx[train]]
        model = fit(training)
        seen = {p.hs6 for p in training}
        held = [grouped[i] for i in test_idx[test]]
        for p, ranked in zip(held, model.rank([p.text for p in held], k=depth), strict=True):
            scores.add(p.hs6, ranked, p.hs6 in seen)
        if verify is not None and isinstance(model, TariffModel):
            found = verification(model, held, seed=fold)
            verify.true += found.true
            for kind, values in found.wrong.items():
                verify.wrong[kind] += values
    return scores


def zero_shot(model: Ranker, held: Sequence[Precedent], depth: int = 20) -> Scores:
    """Accuracy on a set the model never trained on."""
    seen = {p.hs6 for p in model.precedents}
    scores = Scores()
    for p, ranked in zip(held, model.rank([p.text for p in held], k=depth), strict=True):
        scores.add(p.hs6, ranked, p.hs6 in seen)
    return scores
