"""The HS classifier: hierarchical candidate retrieval, then a learned reranker.

For a description it scores every HS 2022 subheading against the nomenclature's texts
(lexical, and semantic when an encoder is available), finds the nearest precedents, and
asks a chapter model which chapters are plausible. Candidates come from the best codes,
the precedents' codes and the best headings' subheadings; each candidate gets features
from every level of its path (subheading, heading, chapter) and a logistic reranker,
trained on out-of-group examples, orders them. Scores become probabilities by a softmax
whose temperature is fitted on held-out groups, so "0.62" means right about 62 % of the
time on rulings the model had not seen.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from smartcustoms.tariff.corpus import CodeTexts, Precedent
from smartcustoms.tariff.lexical import LexicalEncoder

FEATURES = (
    "code_word", "code_char", "code_semantic",
    "heading_word", "heading_char", "heading_semantic",
    "heading_best_code", "chapter_best_code", "code_gap_to_best", "code_rank",
    "precedent_best", "precedent_vote", "heading_vote", "chapter_vote",
    "precedent_best_semantic", "precedent_vote_semantic",
    "chapter_model", "code_precedents", "heading_precedents",
    "national_semantic",
)

Progress = Callable[[str], None]
_BLOCK = 256  # descriptions scored at a time
# (code index, features in FEATURES order, [(precedent index, similarity)] of that code)
_Candidate = tuple[int, np.ndarray, list[tuple[int, float]]]


@dataclass(frozen=True, slots=True)
class Config:
    neighbours: int = 20          # precedents consulted per description
    code_candidates: int = 40     # best codes by nomenclature text
    heading_candidates: int = 5   # best headings whose subheadings all compete
    word_weight: float = 0.5      # word vs character cosine in the combined lexical score
    semantic_weight: float = 0.5  # semantic vs lexical in the combined score (with an encoder)
    folds: int = 5                # out-of-group folds for the training features
    reranker: str = "logistic"    # or "lambdarank"
    seed: int = 0


@dataclass(slots=True)
class Ranked:
    """One candidate code for one description, with its probability and features."""

    hs6: str
    probability: float
    score: float
    features: dict[str, float] = field(default_factory=dict)
    neighbours: list[tuple[int, float]] = field(default_factory=list)


class SemanticEncoder(Protocol):
    """What the model needs of a sentence encoder (``embedding.SentenceEncoder``)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class TariffModel:
    """Fit on nomenclature texts and precedents; rank HS6 codes for descriptions."""

    # Bumped whenever the stored attributes change: a stored version of another format
    # is refused on load (retrain) rather than failing in the middle of a request.
    FORMAT = 3

    def __init__(self, config: Config | None = None) -> None:
        self.format = self.FORMAT
        self.config = config or Config()
        self.codes: list[str] = []
        self.precedents: list[Precedent] = []
        self.encoder: SemanticEncoder | None = None

    # --- fitting ------------------------------------------------------------------------
    def fit(self, precedents: Sequence[Precedent], codes: Mapping[str, CodeTexts], *,
            encoder: SemanticEncoder | None = None, progress: Progress | None = None
            ) -> TariffModel:
        say = progress or (lambda _: None)
        self.encoder = encoder
        self.code_texts = dict(codes)
        self.codes = sorted(codes)
        self._code_index = {c: i for i, c in enumerate(self.codes)}
        headings = sorted({c[:4] for c in self.codes})
        chapters = sorted({c[:2] for c in self.codes})
        self.headings, self.chapters = headings, chapters
        self._heading_of = np.array([headings.index(c[:4]) for c in self.codes])
        self._chapter_of = np.array([chapters.index(c[:2]) for c in self.codes])
        self._heading_chapter = np.array([chapters.index(h[:2]) for h in headings])
        # Codes are sorted, so a heading's (a chapter's) codes are one contiguous run.
        self._heading_starts = np.searchsorted(self._heading_of, np.arange(len(headings)))
        self._chapter_starts = np.searchsorted(self._chapter_of, np.arange(len(chapters)))

        code_docs = [codes[c].document() for c in self.codes]
        heading_docs = self._heading_documents(codes)
        known = [p for p in precedents if p.hs6 in self._code_index]
        say(f"lexical index over {len(code_docs):,} codes and {len(known):,} precedents")
        self.lexical = LexicalEncoder()
        word, char = self.lexical.fit_transform(code_docs + heading_docs
                                                + [p.text for p in known])
        n, m = len(code_docs), len(code_docs) + len(heading_docs)
        self._code_w, self._code_c = word[:n], char[:n]
        self._head_w, self._head_c = word[n:m], char[n:m]
        self._code_e = self._head_e = None
        if encoder is not None:
            say("semantic vectors of the nomenclature")
            self._code_e = encoder.encode([codes[c].sentence() for c in self.codes])
            self._head_e = encoder.encode(self._heading_sentences(codes))
            self._fit_national_vectors(codes, encoder)
        self.precedents = []
        self._prec_w = sparse.csr_matrix((0, self._code_w.shape[1]), dtype=np.float32)
        self._prec_c = sparse.csr_matrix((0, self._code_c.shape[1]), dtype=np.float32)
        self._prec_e = None if encoder is None else np.zeros((0, self._code_e.shape[1]),
                                                            dtype=np.float32)
        self._prec_code = np.zeros(0, dtype=np.int64)
        self._prec_group = np.zeros(0, dtype=object)
        self.add_precedents(known)

        say("chapter model (out-of-group predictions for the training descriptions)")
        groups = np.array([p.group for p in known])
        chapter_oof = self._fit_chapter_model(self._prec_w, groups, heading_docs, code_docs)
        # Term-major copies: a query touches only the rows of its own terms (an inverted
        # index), where the document-major matrices would be scanned whole per query.
        self._by_term = {name: getattr(self, name).T.tocsr()
                         for name in ("_code_w", "_code_c", "_head_w", "_head_c")}
        del self._code_w, self._code_c, self._head_w, self._head_c
        self._index_precedents()

        say("reranker features for the training descriptions")
        texts = [p.text for p in known]
        batches = self._score(texts, exclude_groups=groups, chapter_probs=chapter_oof,
                              semantic=self._prec_e)
        x, y, qid = [], [], []
        for q, (p, cands) in enumerate(zip(known, batches, strict=True)):
            truth = self._code_index[p.hs6]
            for code, feats, _ in cands:
                x.append(feats)
                y.append(code == truth)
                qid.append(q)
        x_arr, y_arr, q_arr = np.array(x), np.array(y), np.array(qid)
        say(f"reranker on {len(known):,} descriptions, {len(x_arr):,} candidates")
        self._fit_reranker(x_arr, y_arr, q_arr, groups)
        self.recall_at_candidates = float(np.mean([
            any(code == self._code_index[p.hs6] for code, _, _ in cands)
            for p, cands in zip(known, batches, strict=True)])) if known else 0.0
        return self

    def with_precedents(self, precedents: Sequence[Precedent]) -> TariffModel:
        """A copy with ``precedents`` added; this model is left as it is (it may be
        ranking in another thread). The large fitted parts are shared, not copied."""
        other = copy.copy(self)
        other.precedents = list(self.precedents)
        other._by_term = dict(self._by_term)
        other.add_precedents(precedents)
        return other

    def add_precedents(self, precedents: Sequence[Precedent]) -> int:
        """Add classified descriptions to the precedent index; no refit needed."""
        new = [p for p in precedents if p.hs6 in self._code_index]
        if not new:
            return 0
        w, c = self.lexical.transform([p.text for p in new])
        self._prec_w = sparse.vstack([self._prec_w, w]).tocsr()
        self._prec_c = sparse.vstack([self._prec_c, c]).tocsr()
        if self.encoder is not None:
            self._prec_e = np.vstack([self._prec_e, self.encoder.encode([p.text for p in new])])
        self._prec_code = np.concatenate([self._prec_code,
                                          [self._code_index[p.hs6] for p in new]])
        self._prec_group = np.concatenate([self._prec_group,
                                           np.array([p.group for p in new], dtype=object)])
        self.precedents.extend(new)
        if hasattr(self, "_by_term"):
            self._index_precedents()
        self._prec_count = np.bincount(self._prec_code, minlength=len(self.codes))
        self._prec_head_count = np.bincount(self._heading_of[self._prec_code],
                                            minlength=len(self.headings))
        return len(new)

    @property
    def temperature(self) -> float:
        return self._temperature

    # --- ranking --------------------------------------------------------------------------
    def rank(self, texts: Sequence[str], k: int = 5, *,
             exclude_groups: Sequence[str] | None = None,
             include: Sequence[str | None] | None = None) -> list[list[Ranked]]:
        """The ``k`` best HS6 codes per text, most probable first. A code in ``include``
        (one per text: a declared code to verify) is always scored and returned, after
        the ``k`` best if it is not among them."""
        semantic = self.encoder.encode(list(texts)) if self.encoder is not None else None
        forced = [self._code_index.get(c) if c else None for c in include] if include else None
        batches = self._score(texts, exclude_groups=exclude_groups, semantic=semantic,
                              include=forced)
        out = []
        for q, cands in enumerate(batches):
            x = np.array([f for _, f, _ in cands])
            scores = self._reranker.decision_function(_standardised(self._scaler, x))
            probs = _softmax(scores * self._temperature)
            order = list(np.argsort(-scores)[:k])
            if forced and forced[q] is not None:
                at = next(j for j, c in enumerate(cands) if c[0] == forced[q])
                if at not in order:
                    order.append(at)
            out.append([Ranked(hs6=self.codes[cands[i][0]], probability=float(probs[i]),
                               score=float(scores[i]),
                               features=dict(zip(FEATURES, map(float, cands[i][1]),
                                                 strict=True)),
                               neighbours=cands[i][2])
                        for i in order])
        return out

    # --- internals ------------------------------------------------------------------------
    def _heading_sentences(self, codes: Mapping[str, CodeTexts]) -> list[str]:
        first = {}
        for c in self.codes:
            first.setdefault(c[:4], codes[c].heading)
        return [first[h] for h in self.headings]

    def _heading_documents(self, codes: Mapping[str, CodeTexts]) -> list[str]:
        texts: dict[str, list[str]] = {}
        for c in self.codes:
            entry = codes[c]
            parts = texts.setdefault(c[:4], [entry.heading, entry.heading])
            parts.append(entry.subheading)
        return [" ; ".join(texts[h]) for h in self.headings]

    def _fit_national_vectors(self, codes: Mapping[str, CodeTexts],
                              encoder: SemanticEncoder) -> None:
        """Vectors of every national and terminology line. A description may be far from a
        subheading's own words and close to one line beneath it ("Mouse" under "Input
        or output units"), so a code's national score is its best line's (or its
        sentence's): more lines can raise a code's score, never dilute it."""
        owners = [(i, text) for i, c in enumerate(self.codes) for _, text in codes[c].lines()]
        self._nat_e = encoder.encode([text for _, text in owners])
        owner = np.array([i for i, _ in owners], dtype=np.int64)
        # Lines come in code order: code i owns rows _nat_offsets[i]:_nat_offsets[i + 1].
        self._nat_offsets = np.searchsorted(owner, np.arange(len(self.codes) + 1))

    def _national_scores(self, query: np.ndarray, idx: np.ndarray, own: np.ndarray
                         ) -> np.ndarray:
        """Each candidate's best cosine over its own sentence (``own``) and its lines.
        Only the candidates' lines are read (a few hundred of ~15,000 rows), which keeps
        a single query's cost down."""
        start, stop = self._nat_offsets[idx], self._nat_offsets[idx + 1]
        counts = stop - start
        best = own.astype(np.float64)
        lined = counts > 0
        if not lined.any():
            return best
        # The line rows of every lined candidate, one run after the other.
        runs = np.cumsum(counts[lined])
        rows = np.arange(runs[-1]) + np.repeat(start[lined] - (runs - counts[lined]),
                                                counts[lined])
        sims = self._nat_e[rows] @ query
        best[lined] = np.maximum(best[lined], np.maximum.reduceat(sims, runs - counts[lined]))
        return best

    def _index_precedents(self) -> None:
        self._by_term["_prec_w"] = self._prec_w.T.tocsr()
        self._by_term["_prec_c"] = self._prec_c.T.tocsr()

    def _fit_chapter_model(self, prec_w: sparse.csr_matrix, groups: np.ndarray,
                           heading_docs: list[str], code_docs: list[str]) -> np.ndarray:
        """A multinomial model over chapters from the words; trained on precedents and on
        the nomenclature's own texts, so chapters without any precedent are still known."""
        nom_x = sparse.vstack([self._code_w, self._head_w]).tocsr()
        nom_y = np.concatenate([self._chapter_of, self._heading_chapter])
        prec_y = self._chapter_of[self._prec_code]
        oof = np.zeros((prec_w.shape[0], len(self.chapters)), dtype=np.float32)
        folds = min(self.config.folds, len(set(groups)))
        if folds >= 2:
            for train, test in GroupKFold(n_splits=folds).split(prec_w, groups=groups):
                model = self._chapter_lr(sparse.vstack([nom_x, prec_w[train]]),
                                         np.concatenate([nom_y, prec_y[train]]))
                oof[test] = self._chapter_probs(model, prec_w[test])
        self._chapter_model = self._chapter_lr(sparse.vstack([nom_x, prec_w]),
                                               np.concatenate([nom_y, prec_y]))
        return oof

    def _chapter_lr(self, x: sparse.csr_matrix, y: np.ndarray) -> LinearSVC:
        # A linear SVM (one against the rest, liblinear) trains in seconds on the sparse
        # words where a multinomial logistic model takes minutes; its margins are turned
        # into a distribution by a softmax, and the reranker learns how far to trust it.
        model = LinearSVC(C=0.5, random_state=self.config.seed).fit(x, y)
        # Chapters × vocabulary weights are most of a stored version: single precision
        # halves them and changes no ranking.
        model.coef_ = model.coef_.astype(np.float32)
        model.intercept_ = model.intercept_.astype(np.float32)
        return model

    def _chapter_probs(self, model: LinearSVC, x: sparse.csr_matrix) -> np.ndarray:
        margins = np.full((x.shape[0], len(self.chapters)), -10.0, dtype=np.float32)
        decision = _decision(model, x)
        if decision.ndim == 1:  # two chapters only: one margin, for the second class
            decision = np.column_stack([-decision, decision])
        margins[:, model.classes_] = decision
        z = np.exp(3.0 * (margins - margins.max(axis=1, keepdims=True)))
        return z / z.sum(axis=1, keepdims=True)

    def _fit_reranker(self, x: np.ndarray, y: np.ndarray, qid: np.ndarray,
                      groups: np.ndarray) -> None:
        self._scaler = StandardScaler().fit(x)
        xs = self._scaler.transform(x)
        # Temperature on a fifth of the groups the reranker did not see, then the
        # reranker refitted on everything.
        rng = np.random.default_rng(self.config.seed)
        unique = np.unique(groups)
        held = set(rng.choice(unique, size=max(1, len(unique) // 5), replace=False))
        held_q = np.array([g in held for g in groups])
        mask = held_q[qid]
        self._temperature = 1.0
        if mask.any() and (~mask).any() and y[~mask].any():
            first = _Reranker(self.config).fit(xs[~mask], y[~mask], qid[~mask])
            self._temperature = _fit_temperature(first.decision_function(xs[mask]),
                                                 y[mask], qid[mask])
        self._reranker = _Reranker(self.config).fit(xs, y, qid)

    def _score(self, texts: Sequence[str], *, exclude_groups: Sequence[str] | np.ndarray | None,
               chapter_probs: np.ndarray | None = None, semantic: np.ndarray | None = None,
               include: Sequence[int | None] | None = None) -> list[list[_Candidate]]:
        """Candidates with features, in blocks: each block holds dense texts × codes
        similarity matrices, so a block's size bounds the memory a large batch takes."""
        out: list[list[_Candidate]] = []
        for start in range(0, len(texts), _BLOCK):
            part = slice(start, start + _BLOCK)
            out += self._score_block(
                texts[part],
                exclude_groups=None if exclude_groups is None else exclude_groups[part],
                chapter_probs=None if chapter_probs is None else chapter_probs[part],
                semantic=None if semantic is None else semantic[part],
                include=None if include is None else include[part])
        return out

    def _score_block(self, texts: Sequence[str], *,
                     exclude_groups: Sequence[str] | np.ndarray | None,
                     chapter_probs: np.ndarray | None, semantic: np.ndarray | None,
                     include: Sequence[int | None] | None) -> list[list[_Candidate]]:
        cfg = self.config
        qw, qc = self.lexical.transform(texts)
        if chapter_probs is None:
            chapter_probs = self._chapter_probs(self._chapter_model, qw)
        terms = self._by_term
        code_w = cosines(qw, terms["_code_w"])
        code_c = cosines(qc, terms["_code_c"])
        head_w = cosines(qw, terms["_head_w"])
        head_c = cosines(qc, terms["_head_c"])
        prec_lex = (cfg.word_weight * cosines(qw, terms["_prec_w"])
                    + (1 - cfg.word_weight) * cosines(qc, terms["_prec_c"]))
        use_sem = semantic is not None and self._code_e is not None
        if use_sem:
            code_e = semantic @ self._code_e.T
            head_e = semantic @ self._head_e.T
            prec_e = semantic @ self._prec_e.T
        out = []
        for q in range(len(texts)):
            lex = cfg.word_weight * code_w[q] + (1 - cfg.word_weight) * code_c[q]
            ce = code_e[q] if use_sem else np.zeros_like(lex)
            he = head_e[q] if use_sem else np.zeros(len(self.headings))
            combined = lex if not use_sem else (
                (1 - cfg.semantic_weight) * lex + cfg.semantic_weight * ce)
            excluded = (self._prec_group == exclude_groups[q]) if exclude_groups is not None \
                else None
            pl = prec_lex[q].copy()
            pe = prec_e[q].copy() if use_sem else None
            code_count, head_count = self._prec_count, self._prec_head_count
            if excluded is not None and excluded.any():
                # The description's own series is not there to count either: otherwise
                # every training description's code would look precedented.
                gone = self._prec_code[excluded]
                code_count = code_count - np.bincount(gone, minlength=len(self.codes))
                head_count = head_count - np.bincount(self._heading_of[gone],
                                                      minlength=len(self.headings))
                pl[excluded] = -1.0
                if pe is not None:
                    pe[excluded] = -1.0
            prec = pl if pe is None else (1 - cfg.semantic_weight) * pl + cfg.semantic_weight * pe
            nn = _top(prec, cfg.neighbours)
            nn = nn[prec[nn] > 0]
            weights = prec[nn] ** 2
            total = weights.sum() or 1.0
            nn_codes = self._prec_code[nn]
            vote = np.zeros(len(self.codes))
            np.add.at(vote, nn_codes, weights / total)
            best = np.zeros(len(self.codes))
            np.maximum.at(best, nn_codes, prec[nn])
            head_vote = np.bincount(self._heading_of[nn_codes], weights=weights / total,
                                    minlength=len(self.headings))
            chap_vote = np.bincount(self._chapter_of[nn_codes], weights=weights / total,
                                    minlength=len(self.chapters))
            sem_best = np.zeros(len(self.codes))
            sem_vote = np.zeros(len(self.codes))
            if pe is not None:
                snn = _top(pe, cfg.neighbours)
                sw = np.clip(pe[snn], 0, None) ** 2
                np.maximum.at(sem_best, self._prec_code[snn], pe[snn])
                np.add.at(sem_vote, self._prec_code[snn], sw / (sw.sum() or 1.0))
            head_best = np.maximum.reduceat(combined, self._heading_starts)
            chap_best = np.maximum.reduceat(combined, self._chapter_starts)
            head_lex = cfg.word_weight * head_w[q] + (1 - cfg.word_weight) * head_c[q]
            head_score = head_lex + head_vote + (he if use_sem else 0)
            top_code = float(combined.max())

            cands = set(_top(combined, cfg.code_candidates).tolist())
            cands.update(nn_codes.tolist())
            if include is not None and include[q] is not None:
                cands.add(include[q])
            if pe is not None:
                cands.update(self._prec_code[snn].tolist())
            for h in _top(head_score, cfg.heading_candidates):
                start = self._heading_starts[h]
                stop = (self._heading_starts[h + 1] if h + 1 < len(self.headings)
                        else len(self.codes))
                cands.update(range(start, stop))
            order = np.argsort(-combined)
            rank = np.empty(len(self.codes), dtype=np.int64)
            rank[order] = np.arange(len(self.codes))
            # Every candidate's features at once (one gather per feature, not a Python
            # loop over candidates): the same values, a few milliseconds less per query.
            idx = np.array(sorted(cands), dtype=np.int64)
            h, ch = self._heading_of[idx], self._chapter_of[idx]
            feats = np.column_stack([
                code_w[q, idx], code_c[q, idx], ce[idx],
                head_w[q, h], head_c[q, h], he[h],
                head_best[h], chap_best[ch], top_code - combined[idx],
                1.0 / (1.0 + rank[idx]),
                best[idx], vote[idx], head_vote[h], chap_vote[ch],
                sem_best[idx], sem_vote[idx],
                chapter_probs[q, ch].astype(np.float64),
                [math.log1p(c) for c in code_count[idx].tolist()],
                [math.log1p(c) for c in head_count[h].tolist()],
                self._national_scores(semantic[q], idx, ce[idx]) if use_sem else ce[idx],
            ]).astype(np.float64)
            near_by_code: dict[int, list[tuple[int, float]]] = {}
            for j, code, similarity in zip(nn.tolist(), nn_codes.tolist(),
                                           prec[nn].tolist(), strict=True):
                near_by_code.setdefault(code, []).append((j, similarity))
            out.append([(i, feats[r], near_by_code.get(i, [])[:3])
                        for r, i in enumerate(idx.tolist())])
        return out


class _Reranker:
    """Orders one description's candidates: LightGBM's LambdaRank (the features interact:
    a close precedent matters more for a code with many precedents), or a logistic model."""

    def __init__(self, config: Config) -> None:
        self.kind = config.reranker
        self.seed = config.seed

    def fit(self, x: np.ndarray, y: np.ndarray, qid: np.ndarray) -> _Reranker:
        if self.kind == "logistic":
            self.model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
            return self
        import lightgbm as lgb

        # Rows of one description are contiguous (they were built query by query).
        sizes = np.diff(np.flatnonzero(np.r_[True, qid[1:] != qid[:-1], True]))
        self.model = lgb.LGBMRanker(
            objective="lambdarank", n_estimators=300, learning_rate=0.05, num_leaves=15,
            min_child_samples=20, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
            lambdarank_truncation_level=10, random_state=self.seed, n_jobs=1, verbose=-1,
        ).fit(x, y.astype(int), group=sizes)
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "logistic":
            return _decision(self.model, x)
        return self.model.predict(x)


# A query is one short row: scikit-learn's input checks cost more than the arithmetic.
# These are the same operations on the fitted parameters (the tests hold them to
# scikit-learn's own methods, value for value).
def _decision(model: LinearSVC | LogisticRegression, x: np.ndarray | sparse.csr_matrix
              ) -> np.ndarray:
    """``model.decision_function(x)`` of a fitted linear model."""
    scores = np.asarray(x @ model.coef_.T) + model.intercept_
    return scores.ravel() if scores.shape[1] == 1 else scores


def _standardised(scaler: StandardScaler, x: np.ndarray) -> np.ndarray:
    """``scaler.transform(x)``."""
    out = np.array(x, dtype=np.float64)
    if scaler.with_mean:
        out -= scaler.mean_
    if scaler.with_std:
        out /= scaler.scale_
    return out


def _fit_temperature(scores: np.ndarray, y: np.ndarray, qid: np.ndarray) -> float:
    """The softmax temperature that maximises the held-out likelihood of the true code."""
    best_t, best_ll = 1.0, -math.inf
    for t in np.exp(np.linspace(math.log(0.1), math.log(10), 41)):
        ll = 0.0
        for q in np.unique(qid):
            m = qid == q
            if not y[m].any():
                continue
            p = _softmax(scores[m] * t)
            ll += math.log(max(float(p[y[m]].sum()), 1e-12))
        if ll > best_ll:
            best_t, best_ll = float(t), ll
    return best_t


def cosines(queries: sparse.csr_matrix, by_term: sparse.csr_matrix) -> np.ndarray:
    """queries × documents cosines (rows are L2-normalised), dense; ``by_term`` is the
    documents' matrix transposed (terms × documents), CSR."""
    return np.asarray((queries @ by_term).todense())


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max())
    return z / z.sum()


def _top(values: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(values))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.argpartition(-values, k - 1)[:k]
    return idx[np.argsort(-values[idx])]
