"""The query path's own arithmetic gives exactly what scikit-learn's methods give."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.tariff.corpus import load_benchmark_set
from smartcustoms.tariff.lexical import normalise
from smartcustoms.tariff.model import _decision, _standardised

ODD = ["", "   ", "1234 5678", "the of and", "Ünïcödé café crème brûlée", "x" * 3000,
       "frozen boneless bovine meat, frozen boneless bovine meat", "a-b/c (d) [e] {f}"]


def _sklearn(lexical: Any, texts: list[str]) -> tuple[Any, Any]:
    """The lexical vectors through scikit-learn's own ``transform``: the reference."""
    normalised = [normalise(t) for t in texts]
    return (lexical.word.transform(normalised).tocsr(),
            lexical.char.transform(normalised).tocsr())


def _same(ours: Any, theirs: Any) -> None:
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)  # bit for bit, not approximately


def test_tfidf_matches_scikit_learn_on_every_benchmark_description(tariff_model: Any) -> None:
    lexical = tariff_model.lexical
    texts = [p.text for name in ("atlas", "hscodecomp") for p in load_benchmark_set(name)]
    for batch in [[t] for t in texts + ODD] + [texts, ODD]:
        for ours, theirs in zip(lexical.transform(batch), _sklearn(lexical, batch),
                                strict=True):
            _same(ours, theirs)
    # no texts: no rows (where scikit-learn refuses an empty batch)
    assert [m.shape[0] for m in lexical.transform([])] == [0, 0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=1, max_size=4))
def test_tfidf_matches_scikit_learn_on_any_text(tariff_model: Any, texts: list[str]) -> None:
    lexical = tariff_model.lexical
    for ours, theirs in zip(lexical.transform(texts), _sklearn(lexical, texts),
                            strict=True):
        _same(ours, theirs)


def test_linear_scores_match_scikit_learn(tariff_model: Any) -> None:
    texts = [p.text for p in load_benchmark_set("atlas")[:50]] + ODD
    words, _ = tariff_model.lexical.transform(texts)
    chapters = tariff_model._chapter_model
    assert np.array_equal(_decision(chapters, words), chapters.decision_function(words))
    x = np.random.default_rng(3).normal(size=(70, tariff_model._scaler.n_features_in_))
    scaler, reranker = tariff_model._scaler, tariff_model._reranker.model
    assert np.array_equal(_standardised(scaler, x), scaler.transform(x))
    xs = scaler.transform(x)
    assert np.array_equal(_decision(reranker, xs), reranker.decision_function(xs))
