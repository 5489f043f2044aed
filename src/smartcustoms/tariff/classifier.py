"""Suggestions with their evidence, and verification of a declared code.

What a classification expert wants beside a code: the path through the nomenclature
with its texts, the words of the description that matched, and the nearest precedents
(ruling reference, text, code). A verification answers "does the declared code fit the
description?" as fits / doubtful / misfit with the model's probability that the
declared subheading is right, and the better candidates when it is not.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from smartcustoms.reference import HSNomenclature, load_hs2022, normalize_hs_code
from smartcustoms.tariff.model import Ranked, TariffModel

Verdict = Literal["fits", "doubtful", "misfit"]

# Verdict thresholds on the model's probabilities (see docs/tariff.md): a declared
# subheading the model gives at least FIT_PROBABILITY, or ranks first, fits; one whose
# whole heading gets less than MISFIT_HEADING_MASS and is outside the best five is a
# misfit; anything between is doubtful and worth an officer's look.
FIT_PROBABILITY = 0.25
MISFIT_HEADING_MASS = 0.02
SUGGESTIONS_CONSIDERED = 20


class PathStep(BaseModel):
    level: str = Field(description="section, chapter, heading or subheading")
    code: str
    text: str


class PrecedentRef(BaseModel):
    ref: str = Field(description="Ruling reference (BTI number, decision number) or id")
    text: str
    code: str = Field(description="The code decided, national digits as published")
    source: str
    similarity: float


class Suggestion(BaseModel):
    hs6: str
    probability: float = Field(description="Calibrated: how often a suggestion with this "
                                           "probability was right on unseen rulings")
    national: list[tuple[str, str]] = Field(
        default_factory=list, description="National lines under the subheading (CN 8-digit, "
                                          "HSK 10-digit), best matching first")
    path: list[PathStep]
    matched_terms: list[str]
    precedents: list[PrecedentRef]
    signals: dict[str, float] = Field(description="The reranker's inputs for this code")


class Verification(BaseModel):
    declared: str
    verdict: Verdict
    probability: float = Field(description="Model probability that the declared subheading "
                                           "is right")
    heading_probability: float
    chapter_probability: float
    rank: int | None = Field(description="1-based rank of the declared code, None if it "
                                         "is outside the candidates")
    better: list[Suggestion] = Field(description="Candidates ranked above the declared code")
    reason: str


class Classifier:
    """A fitted ``TariffModel`` with the nomenclature, answering in domain terms."""

    def __init__(self, model: TariffModel, hs: HSNomenclature | None = None) -> None:
        self.model = model
        self.hs = hs or load_hs2022()

    def suggest(self, text: str, k: int = 5) -> list[Suggestion]:
        return self.suggest_many([text], k)[0]

    def suggest_many(self, texts: Sequence[str], k: int = 5) -> list[list[Suggestion]]:
        ranked = self.model.rank(list(texts), k=k)
        return [[self._explain(t, r) for r in rs] for t, rs in zip(texts, ranked, strict=True)]

    def verify(self, text: str, declared_code: str) -> Verification:
        return self.verify_many([(text, declared_code)])[0]

    def verify_many(self, pairs: Sequence[tuple[str, str]]) -> list[Verification]:
        declared = [declared_subheading(code) for _, code in pairs]
        ranked = self.model.rank([t for t, _ in pairs], k=SUGGESTIONS_CONSIDERED,
                                 include=[d if len(d) == 6 else None for d in declared])
        return [self._verdict(text, code, rs)
                for (text, _), code, rs in zip(pairs, declared, ranked, strict=True)]

    # --- internals ------------------------------------------------------------------------
    def _verdict(self, text: str, declared: str, ranked: list[Ranked]) -> Verification:
        # A 2- or 4-digit declared code is checked at its own level: the probability of
        # every subheading under it.
        p = sum(r.probability for r in ranked if r.hs6.startswith(declared))
        p4 = sum(r.probability for r in ranked if r.hs6[:4] == declared[:4])
        p2 = sum(r.probability for r in ranked if r.hs6[:2] == declared[:2])
        rank = next((i + 1 for i, r in enumerate(ranked) if r.hs6.startswith(declared)), None)
        if not self._exists(declared):
            verdict, reason = "misfit", f"{declared} is not an HS 2022 code"
        elif rank == 1 or p >= FIT_PROBABILITY:
            verdict, reason = "fits", (f"the description supports {declared} "
                                       f"(probability {p:.2f}, rank {rank})")
        elif p4 < MISFIT_HEADING_MASS and (rank is None or rank > 5):
            top = ranked[0].hs6 if ranked else "?"
            verdict, reason = "misfit", (f"heading {declared[:4]} gets {p4:.1%} of the "
                                         f"probability; the description points to {top}")
        else:
            verdict, reason = "doubtful", (f"{declared} is possible (probability {p:.2f}) "
                                           f"but ranks {rank or 'outside the candidates'}")
        better = [] if verdict == "fits" else [
            self._explain(text, r) for r in ranked[: (rank or 4) - 1][:3]]
        return Verification(declared=declared, verdict=verdict, probability=round(p, 4),
                            heading_probability=round(p4, 4), chapter_probability=round(p2, 4),
                            rank=rank, better=better, reason=reason)

    def _exists(self, code: str) -> bool:
        """A code of the label space (HS 2022 within the WCO's sections) or its prefix."""
        codes = self.model.codes
        i = bisect_left(codes, code)
        return i < len(codes) and codes[i].startswith(code)

    def _explain(self, text: str, r: Ranked) -> Suggestion:
        model = self.model
        path = [PathStep(level=e.level, code=e.code, text=e.description)
                for e in self.hs.path(r.hs6)]
        entry = model.code_texts.get(r.hs6)
        document = entry.document() if entry else ""
        national = []
        if entry is not None and entry.lines():
            query = set(model.lexical.matched_terms(text, " ".join(t for _, t in entry.lines()),
                                                    limit=50))
            national = sorted(entry.lines(), key=lambda line: -sum(
                w in line[1].casefold() for w in query))[:5]
        precedents = [
            PrecedentRef(ref=p.ref, text=_clip(p.text), code=p.code, source=p.source,
                         similarity=round(sim, 3))
            for p, sim in ((model.precedents[j], sim) for j, sim in r.neighbours)
        ]
        return Suggestion(hs6=r.hs6, probability=round(r.probability, 4), national=national,
                          path=path, matched_terms=model.lexical.matched_terms(text, document),
                          precedents=precedents,
                          signals={k: round(v, 4) for k, v in r.features.items()})


def declared_subheading(code: str) -> str:
    """'8536.50.19.00' -> '853650': the HS6 of a national code; 2 or 4 digits stay as
    they are (a chapter or heading can be verified too). ValueError for anything else."""
    digits = "".join(code.replace(".", "").replace(" ", "").split())
    if len(digits) in (8, 10) and digits.isascii() and digits.isdigit():
        return digits[:6]
    return normalize_hs_code(digits)


def _clip(text: str, limit: int = 280) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
