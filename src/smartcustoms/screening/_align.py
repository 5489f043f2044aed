"""Token alignment between a query and one list name, and the name score.

Each query token is paired with at most one list token (best similarity first, rarer
tokens first on ties, then by text, so the result never depends on token order: "Kim
Jong Un" and "Un Kim Jong" align the same). Tokens left over on both sides get a second
look: long tokens with two typos (which the deletion index cannot reach), and merged or
split words ("Abdulrahman" / "Abdul Rahman", "Sberbank" / "Sber Bank").

The name score asks for coverage of both sides, weighted by rarity:

    query_coverage = sum(weight * similarity over aligned query tokens) / sum(weights)
    list_coverage  = the same over the list name's tokens

and blends them, the weaker side first: ``MIN_SIDE_SHARE * min + (1 - MIN_SIDE_SHARE) *
max`` (``name_score``). A shared generic word covers little weight on either side, so
"Nordlicht Trading" against "GALAX TRADING" stays low; a dropped middle name costs
only its own, halved, weight on the list side.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import OSA

from smartcustoms.screening._index import KEY_EQUAL_SIMILARITY, IndexedName, token_similarity
from smartcustoms.screening.normalise import spelling_key, token_key

# How the two coverages combine: the weaker side dominates (a name is only as matched as
# its least-covered side), the stronger one still counts. 0.5 to 0.9 gave the same
# validation recall at the 1 % false-hit budget (99.9 to 99.98 %); 0.8 is the stricter
# of the equals and prunes more candidates. Never looked at on the test split.
MIN_SIDE_SHARE = 0.8
LONG_TOKEN = 7
# The merge look is skipped for names with many leftover tokens (long entity names):
# the pairs grow quadratically and such names are not one merged word away anyway.
MAX_MERGE_TOKENS = 6
MERGE_MIN_SIMILARITY = 0.85


def name_score(query_coverage: float, list_coverage: float) -> float:
    low, high = sorted((query_coverage, list_coverage))
    return MIN_SIDE_SHARE * low + (1.0 - MIN_SIDE_SHARE) * high


@dataclass(frozen=True, slots=True)
class Pair:
    """Aligned tokens: query positions, list positions, similarity and how."""

    query: tuple[int, ...]
    listed: tuple[int, ...]
    similarity: float
    method: str


@dataclass(frozen=True, slots=True)
class Alignment:
    pairs: tuple[Pair, ...]
    query_coverage: float
    list_coverage: float

    @property
    def score(self) -> float:
        return name_score(self.query_coverage, self.list_coverage)


def merge_similarity(a: str, b: str) -> float:
    """Similarity of a word with two words run together. Merges add freedom (any two
    words may be joined, in either order), so only equal spellings up to
    transliteration ("abdulrahman" / "abdul rahman") or one typo in seven count."""
    if a == b:
        return 1.0
    if spelling_key(a) == spelling_key(b):
        return KEY_EQUAL_SIMILARITY
    raw = OSA.normalized_similarity(a, b)
    return raw if raw >= MERGE_MIN_SIMILARITY else 0.0


def _method(a: str, b: str, similarity: float) -> str:
    if a == b:
        return "exact"
    if token_key(a) == token_key(b):
        return "transliteration"
    return "fuzzy"


def align(tokens: tuple[str, ...], weights: tuple[float, ...],
          similarities: list[dict[int, float]], name: IndexedName,
          floor: float = 0.0) -> Alignment:
    """Align query ``tokens`` (with ``weights`` and, per token, its similarities to
    vocabulary ids) with the list ``name``. The second look at leftover tokens is
    skipped when even a perfect one could not lift the score to ``floor``."""
    candidates = []
    name_ids, name_tokens, name_weights = name.token_ids, name.tokens, name.weights
    for i, sims in enumerate(similarities):
        if not sims:
            continue
        for j, token_id in enumerate(name_ids):
            s = sims.get(token_id)
            if s:
                candidates.append((-s, -(weights[i] + name_weights[j]), tokens[i],
                                   name_tokens[j], i, j))
    candidates.sort()
    used_q: set[int] = set()
    used_n: set[int] = set()
    pairs: list[Pair] = []
    for negative, _, qt, nt, i, j in candidates:
        if i in used_q or j in used_n:
            continue
        used_q.add(i)
        used_n.add(j)
        pairs.append(Pair((i,), (j,), -negative, _method(qt, nt, -negative)))
    total_q = sum(weights)
    if len(used_q) < len(tokens) and len(used_n) < len(name_tokens) and total_q:
        best_q = sum(w for i, w in enumerate(weights) if i not in used_q)
        best_n = sum(w for j, w in enumerate(name_weights) if j not in used_n)
        for pair in pairs:
            best_q += weights[pair.query[0]] * pair.similarity
            best_n += name_weights[pair.listed[0]] * pair.similarity
        if name_score(best_q / total_q, best_n / name.total) >= floor:
            pairs.extend(_residue(tokens, weights, name, used_q, used_n))
    covered_q = [0.0] * len(tokens)
    covered_n = [0.0] * len(name_tokens)
    for pair in pairs:
        for i in pair.query:
            covered_q[i] = pair.similarity
        for j in pair.listed:
            covered_n[j] = pair.similarity
    query_coverage = (sum(w * c for w, c in zip(weights, covered_q, strict=True)) / total_q
                      if total_q else 0.0)
    list_coverage = (sum(w * c for w, c in zip(name_weights, covered_n, strict=True))
                     / name.total if name.total else 0.0)
    return Alignment(tuple(pairs), query_coverage, list_coverage)


def _residue(tokens: tuple[str, ...], weights: tuple[float, ...], name: IndexedName,
             used_q: set[int], used_n: set[int]) -> list[Pair]:
    """Second look at what is left: long tokens two typos apart, merged and split
    words. Both orders of a merged pair are tried, so token order never matters."""
    free_q = [i for i in range(len(tokens)) if i not in used_q]
    free_n = [j for j in range(len(name.tokens)) if j not in used_n]
    candidates = []
    for i in free_q:
        for j in free_n:
            a, b = tokens[i], name.tokens[j]
            if len(a) >= LONG_TOKEN and len(b) >= LONG_TOKEN:
                s = token_similarity(a, token_key(a), b, token_key(b))
                if s:
                    candidates.append((-s, a, b, (i,), (j,), "fuzzy"))
    if len(free_q) > MAX_MERGE_TOKENS or len(free_n) > MAX_MERGE_TOKENS:
        free_q = free_n = []
    if len(free_q) >= 2:
        for j in free_n:
            b = name.tokens[j]
            initial = token_key(b)[:1]
            for x in free_q:
                if token_key(tokens[x])[:1] != initial:
                    continue
                for y in free_q:
                    if x != y and abs(len(tokens[x]) + len(tokens[y]) - len(b)) <= 2:
                        merged = tokens[x] + tokens[y]
                        s = merge_similarity(merged, b)
                        if s:
                            candidates.append((-s, merged, b, tuple(sorted((x, y))), (j,),
                                               "merged"))
    if len(free_n) >= 2:
        for i in free_q:
            a = tokens[i]
            initial = token_key(a)[:1]
            for x in free_n:
                if token_key(name.tokens[x])[:1] != initial:
                    continue
                for y in free_n:
                    if x != y and abs(len(name.tokens[x]) + len(name.tokens[y]) - len(a)) <= 2:
                        merged = name.tokens[x] + name.tokens[y]
                        s = merge_similarity(a, merged)
                        if s:
                            candidates.append((-s, a, merged, (i,), tuple(sorted((x, y))),
                                               "merged"))
    candidates.sort(key=lambda c: (c[0], -len(c[3]) - len(c[4]), c[1], c[2]))
    pairs = []
    taken_q: set[int] = set()
    taken_n: set[int] = set()
    for negative, _, _, qs, ns, method in candidates:
        if taken_q.intersection(qs) or taken_n.intersection(ns):
            continue
        taken_q.update(qs)
        taken_n.update(ns)
        pairs.append(Pair(qs, ns, -negative, method))
    return pairs
