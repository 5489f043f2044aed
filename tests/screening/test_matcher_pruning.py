"""The matcher's shortcuts change its speed, never its answers.

Candidate search stops admitting names once the query words left could not lift a new
one to what it needs, and drops names too far below (``_PROBE_MARGIN``); an infinite
margin turns that off and gives the full search, against which the pruned one is
checked on random names made of listed words, typos and noise. The object form of a
name is the organisation form when no vessel prefix is found (``normalise_name``
shares the reading); that too is checked against reading it on its own.
"""

from __future__ import annotations

import math
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.screening import (
    Address,
    NameKind,
    Party,
    Screener,
    ScreeningList,
    matcher,
    normalise_name,
)
from smartcustoms.screening.normalise import _organisation_reading, fold


@pytest.fixture(scope="module")
def screener(default_list: ScreeningList) -> Screener:
    return Screener(default_list)


@pytest.fixture(scope="module")
def words(default_list: ScreeningList) -> list[str]:
    """Words of every 7th listed name and alias, common and rare alike."""
    found = {w for entry in default_list.entries[::7]
             for name in (entry.name, *(a.name for a in entry.aliases))
             for w in name.replace(",", " ").split()}
    return sorted(found)


def _typo(word: str, at: int, kind: int) -> str:
    if len(word) < 4:
        return word
    at %= len(word) - 1
    if kind == 0:
        return word[:at] + word[at + 1:]
    if kind == 1:
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return word[:at] + "a" + word[at:]


@st.composite
def names(draw: st.DrawFn, words: list[str]) -> str:
    picked = draw(st.lists(st.sampled_from(words), min_size=1, max_size=6))
    out = []
    for word in picked:
        if draw(st.booleans()):
            word = _typo(word, draw(st.integers(0, 30)), draw(st.integers(0, 2)))
        out.append(word)
    extra = draw(st.sampled_from(["", "Trading", "LLC", "Bank", "Mohammed", "M/V",
                                  "International", "Co Ltd", "Al"]))
    return " ".join([*out, extra] if draw(st.booleans()) else [extra, *out]).strip()


def _answers(screener: Screener, party: Party, threshold: float) -> list[tuple]:
    return [(h.entry_id, h.score, h.matched_name, h.explanation)
            for h in screener.screen(party, threshold=threshold, limit=50)]


def _unpruned(screener: Screener, party: Party, threshold: float) -> list[tuple]:
    with mock.patch.object(matcher, "_PROBE_MARGIN", math.inf):
        return _answers(screener, party, threshold)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), threshold=st.sampled_from([0.4, 0.5, 0.63, 0.65, 0.8, 0.95]))
def test_pruned_search_finds_what_the_full_search_finds(
        screener: Screener, words: list[str], data: st.DataObject, threshold: float) -> None:
    name = data.draw(names(words))
    country = data.draw(st.sampled_from([None, "IR", "RU", "CU"]))
    address = data.draw(st.sampled_from([None, Address(city="Tehran", country="IR")]))
    party = Party(name, country=country, address=address)
    assert _answers(screener, party, threshold) == _unpruned(screener, party, threshold)


@pytest.mark.parametrize("name", [
    "Mohammed Ali Hassan", "Bank Melli Iran", "Trading International Company",
    "Abdulrahman Al Hakim", "Aero Caribbean Airlines", "Kim Jong Un", "Sberbank Rossii",
    "Islamic Revolutionary Guard Corps Qods Force", "Mohamad Hasan Al Ali Al Hussein",
])
def test_pruned_search_on_common_words(screener: Screener, name: str) -> None:
    for threshold in (0.5, matcher.DEFAULT_THRESHOLD):
        party = Party(name)
        assert _answers(screener, party, threshold) == _unpruned(screener, party, threshold)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), min_coverage=st.sampled_from([0.0, 0.3, 0.5375, 0.5625, 0.75, 0.95]))
def test_pruned_candidates_are_the_full_candidates(
        screener: Screener, words: list[str], data: st.DataObject, min_coverage: float) -> None:
    """Stronger than the answers: the names aligned are the same, hits or not."""
    name = data.draw(names(words))
    for kind in NameKind:
        normalised = normalise_name(name, kind)
        if not normalised.tokens:
            continue
        form = screener._form(normalised)
        kinds = frozenset({kind})
        pruned = screener._candidates(form, kinds, min_coverage)
        with mock.patch.object(matcher, "_PROBE_MARGIN", math.inf):
            full = screener._candidates(form, kinds, min_coverage)
        assert sorted(pruned) == sorted(full)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(["M/V", "MV", "SS", "The", "S A", "de", "C V", "Ltd", "OOO",
                              "joint", "stock", "company", "Ocean", "Star", "B", "AB",
                              "Co", "Limited", "Abd", "al", "Rahman", "M", "V"]),
             max_size=7).map(" ".join)))
def test_object_form_shares_the_organisation_reading_only_when_equal(text: str) -> None:
    shared = normalise_name(text, NameKind.object)
    alone, _ = _organisation_reading(text, fold(text), NameKind.object)
    assert shared == alone
