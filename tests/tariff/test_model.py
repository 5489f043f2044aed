"""The ranking model: candidates through the hierarchy, a learned reranker, calibrated
probabilities, precedents that join the index without a refit."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

from smartcustoms.tariff.corpus import Precedent
from smartcustoms.tariff.model import FEATURES, TariffModel


def test_rankings_are_ordered_distributions_over_hs2022_subheadings(tariff_model: Any) -> None:
    texts = ["Milk chocolate bar with hazelnuts, 100 g, in a printed wrapper",
             "New pneumatic tyres of rubber for passenger motor cars",
             "Wooden office chair with upholstered seat, swivelling"]
    for ranked in tariff_model.rank(texts, k=5):
        assert len(ranked) == 5
        probabilities = [r.probability for r in ranked]
        assert probabilities == sorted(probabilities, reverse=True)
        assert 0 < sum(probabilities) <= 1 + 1e-9
        assert all(r.hs6 in tariff_model.code_texts for r in ranked)
        assert all(set(r.features) == set(FEATURES) for r in ranked)


def test_clear_descriptions_land_in_their_chapter(tariff_model: Any) -> None:
    texts = {"Milk chocolate bar with hazelnuts, 100 g, in a printed wrapper": "18",
             "New pneumatic tyres of rubber for passenger motor cars": "40",
             "Swivel office chair with adjustable height, upholstered": "94"}
    ranked = tariff_model.rank(list(texts), k=3)
    assert [r[0].hs6[:2] for r in ranked] == list(texts.values())
    assert ranked[1][0].hs6 == "401110"  # the subheading for passenger-car tyres


def test_a_training_ruling_is_found_again_with_itself_as_evidence(tariff_model: Any) -> None:
    ruling = next(p for p in tariff_model.precedents if p.ref == "ATBTI2025000003-DEC")
    top = tariff_model.rank([ruling.text], k=1)[0][0]
    assert top.hs6 == ruling.hs6
    assert tariff_model.precedents[top.neighbours[0][0]].ref == ruling.ref


def test_excluding_a_series_hides_its_rulings(tariff_model: Any) -> None:
    ruling = next(p for p in tariff_model.precedents if p.ref == "ATBTI2025000003-DEC")
    ranked = tariff_model.rank([ruling.text], k=10, exclude_groups=[ruling.group])[0]
    used = {tariff_model.precedents[j].group for r in ranked for j, _ in r.neighbours}
    assert ruling.group not in used


def test_a_forced_code_is_always_scored(tariff_model: Any) -> None:
    ranked = tariff_model.rank(["Milk chocolate bar"], k=3, include=["870323"])[0]
    assert [r.hs6 for r in ranked][-1] == "870323"
    assert ranked[-1].probability < 0.01


def test_precedents_join_the_index_without_refit(tariff_model: Any) -> None:
    model = pickle.loads(pickle.dumps(tariff_model))  # the session's model stays as it was
    text = "Hand-knotted carpet of silk from the Kashan region, 2 x 3 m"
    before = model.rank([text], k=5)[0]
    assert model.add_precedents([Precedent(ref="TEST-1", text=text, code="57011000",
                                           hs6="570110", source="test")]) == 1
    after = model.rank([text], k=5)[0]
    assert after[0].hs6 == "570110"
    assert model.precedents[after[0].neighbours[0][0]].ref == "TEST-1"
    assert [r.hs6 for r in before] != [r.hs6 for r in after]
    # A code outside HS 2022 is not indexed.
    assert model.add_precedents([Precedent(ref="X", text="x", code="847100", hs6="847100",
                                           source="test")]) == 0


def test_fitting_is_deterministic(tariff_model: Any) -> None:
    """The same data gives the same model: retraining on unchanged data is a no-op."""
    precedents = [p for p in tariff_model.precedents if p.hs6[:2] == "18"]
    first = TariffModel().fit(precedents, tariff_model.code_texts)
    second = TariffModel().fit(precedents, tariff_model.code_texts)
    texts = ["cocoa powder, sweetened", "white chocolate"]
    a, b = first.rank(texts, k=5), second.rank(texts, k=5)
    assert [[(r.hs6, r.probability) for r in x] for x in a] == \
        [[(r.hs6, r.probability) for r in x] for x in b]
    assert first.temperature == second.temperature


def test_temperature_was_fitted_on_held_out_series(tariff_model: Any) -> None:
    assert 0.1 <= tariff_model.temperature <= 10
    assert 0.5 < tariff_model.recall_at_candidates <= 1


@pytest.mark.parametrize("text", ["", "   ", "1234", "€€€", "x" * 10_000])
def test_odd_texts_still_get_a_ranking(tariff_model: Any, text: str) -> None:
    ranked = tariff_model.rank([text], k=3)[0]
    assert len(ranked) == 3
    assert np.isfinite([r.probability for r in ranked]).all()


def test_with_precedents_leaves_the_model_in_use_untouched(tariff_model: Any) -> None:
    """The server swaps in a copy: requests ranking with the old model meanwhile see a
    consistent index."""
    before = len(tariff_model.precedents)
    text = "Hand-knotted carpet of silk from the Kashan region, 2 x 3 m"
    other = tariff_model.with_precedents([Precedent(ref="TEST-2", text=text, code="570110",
                                                    hs6="570110", source="test")])
    assert len(tariff_model.precedents) == before
    assert len(other.precedents) == before + 1
    assert other.rank([text], k=1)[0][0].hs6 == "570110"
    assert all(tariff_model.precedents[j].ref != "TEST-2"
               for r in tariff_model.rank([text], k=5)[0] for j, _ in r.neighbours)


def test_a_codes_national_score_is_its_best_lines_or_its_own_sentence() -> None:
    """With an encoder, each candidate's ``national_semantic`` is the best cosine of the
    description with the code's sentence or any national or terminology line under it."""
    from smartcustoms.tariff.corpus import code_texts
    from smartcustoms.tariff.embedding import SentenceEncoder

    codes = {c: t for c, t in code_texts().items() if c[:4] in ("8471", "8517")}
    rulings = [Precedent(ref="R-1", text="Laptop computer, 1.4 kg, with keyboard and screen",
                         code="847130", hs6="847130", source="t", group="t:1"),
               Precedent(ref="R-2", text="Smartphone for cellular networks",
                         code="851713", hs6="851713", source="t", group="t:2")]
    encoder = SentenceEncoder(threads=1)
    model = TariffModel().fit(rulings, codes, encoder=encoder)
    text = "Wireless optical computer mouse"
    query = encoder.encode([text])[0]
    ranked = model.rank([text], k=len(codes))[0]
    assert {r.hs6 for r in ranked} == set(codes)  # a small label space: every code ranked
    for r in ranked:
        lines = [codes[r.hs6].sentence()] + [line for _, line in codes[r.hs6].lines()]
        best = float((encoder.encode(lines) @ query).max())
        assert r.features["national_semantic"] == pytest.approx(best, abs=1e-5)
        assert r.features["national_semantic"] >= r.features["code_semantic"] - 1e-6
    mouse = next(r for r in ranked if r.hs6 == "847160")
    assert mouse.features["national_semantic"] > mouse.features["code_semantic"] + 0.1
