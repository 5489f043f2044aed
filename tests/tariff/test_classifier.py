"""Suggestions with evidence, and verification of declared codes."""

from __future__ import annotations

from typing import Any

import pytest

from smartcustoms.tariff.classifier import Classifier, declared_subheading


@pytest.fixture(scope="module")
def classifier(tariff_model: Any) -> Classifier:
    return Classifier(tariff_model)


def test_a_suggestion_shows_its_path_matched_words_and_precedents(classifier: Classifier) -> None:
    text = "New pneumatic tyres of rubber for passenger motor cars, 205/55 R16"
    top = classifier.suggest(text, k=3)[0]
    assert top.hs6 == "401110"
    assert [p.level for p in top.path] == ["section", "chapter", "heading", "subheading"]
    assert [p.code for p in top.path[1:]] == ["40", "4011", "401110"]
    assert "tyres" in top.matched_terms or "pneumatic tyres" in top.matched_terms
    assert all(term in text.lower() for t in top.matched_terms for term in t.split())
    assert 0 < top.probability <= 1
    assert set(top.signals) >= {"code_word", "precedent_best", "chapter_model"}


def test_the_nearest_precedents_are_rulings_of_the_suggested_code(classifier: Classifier) -> None:
    top = classifier.suggest("Milk chocolate bar with a crunchy filling, in a printed box")[0]
    assert top.hs6 == "180631"
    assert top.precedents[0].ref == "ATBTI2025000003-DEC"
    assert all(p.code.startswith(top.hs6) for p in top.precedents)
    assert top.precedents == sorted(top.precedents, key=lambda p: -p.similarity)


def test_national_lines_come_best_matching_first(classifier: Classifier) -> None:
    top = classifier.suggest("Milk chocolate in bars, filled with praline", k=1)[0]
    assert top.hs6.startswith("1806")
    if top.national:
        assert all(code.startswith(top.hs6) for code, _ in top.national)


def test_the_right_code_fits(classifier: Classifier) -> None:
    result = classifier.verify("New pneumatic tyres of rubber for passenger motor cars",
                               "4011.10")
    assert result.verdict == "fits"
    assert result.declared == "401110"
    assert result.rank == 1
    assert result.better == []


def test_a_code_of_another_chapter_is_a_misfit_with_better_candidates(
        classifier: Classifier) -> None:
    result = classifier.verify("New pneumatic tyres of rubber for passenger motor cars",
                               "1806.32")
    assert result.verdict == "misfit"
    assert result.probability < 0.01
    assert result.chapter_probability < 0.05
    assert result.better and result.better[0].hs6 == "401110"
    assert "4011" in result.reason or "401110" in result.reason


def test_national_codes_and_headings_are_verified_at_their_level(classifier: Classifier) -> None:
    national = classifier.verify("New pneumatic tyres of rubber for passenger motor cars",
                                 "4011100090")
    assert national.declared == "401110" and national.verdict == "fits"
    heading = classifier.verify("New pneumatic tyres of rubber for passenger motor cars", "4011")
    assert heading.declared == "4011" and heading.verdict == "fits"
    assert heading.probability >= national.probability


def test_a_code_that_does_not_exist_is_a_misfit(classifier: Classifier) -> None:
    result = classifier.verify("Milk chocolate bar", "847100")
    assert result.verdict == "misfit"
    assert "not an HS 2022 code" in result.reason


@pytest.mark.parametrize(("code", "expected"), [
    ("8536.50.19.00", "853650"), ("85365019", "853650"), ("853650", "853650"),
    ("8536", "8536"), ("85", "85"), (" 8536 50 ", "853650"),
])
def test_declared_subheading(code: str, expected: str) -> None:
    assert declared_subheading(code) == expected


@pytest.mark.parametrize("code", ["", "abc", "85365", "1234567", "12345678901", "８５３６"])
def test_declared_subheading_rejects_what_is_not_a_code(code: str) -> None:
    with pytest.raises(ValueError):
        declared_subheading(code)
