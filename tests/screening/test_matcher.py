"""The screener on the full shipped list: hits for true variants with their reasons, no
hits for look-alikes, secondary evidence, and the invariants (never raises, word order
of a person's name does not matter, pickles)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rigour.names import remove_person_prefixes

from smartcustoms.screening import (
    DEFAULT_THRESHOLD,
    Address,
    AliasStrength,
    AliasType,
    EntryKind,
    NameKind,
    Party,
    PartyKind,
    Screener,
    ScreenerEmpty,
    ScreeningList,
    ScreeningQueryInvalid,
    load_list,
    normalise_name,
)


@pytest.fixture(scope="module")
def screener(default_list: ScreeningList) -> Screener:
    """One screener over the full 2024 list for the module (about two seconds)."""
    return Screener(default_list)


def top(screener: Screener, name: str, **options: object) -> tuple[str, float]:
    hits = screener.screen(name, **options)  # type: ignore[arg-type]
    assert hits, f"no hit for {name!r}"
    return hits[0].entry_id, hits[0].score


class TestTrueVariantsHit:
    def test_exact_primary_name(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("BANCO NACIONAL DE CUBA")
        assert (hit.entry_id, hit.score) == ("306", 1.0)
        assert hit.matched_name.primary
        assert hit.list_id == "us-ofac-sdn"

    def test_alias_with_its_type(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("Sand Swan")
        assert (hit.entry_id, hit.entry.kind) == ("4243", EntryKind.vessel)
        assert (hit.matched_name.text, hit.matched_name.alias_type) == ("SAND SWAN",
                                                                        AliasType.fka)

    def test_person_in_natural_order(self, screener: Screener) -> None:
        assert top(screener, "Mousa Mohammed Abu Marzook") == ("3754", 1.0)

    def test_transliterated_person(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("Musa Muhammad Abu Marzuk")
        assert hit.entry_id == "3754"
        methods = {m.listed: m.method for m in hit.explanation.matches}
        assert methods[("mohammed",)] == "transliteration"
        assert methods[("abu",)] == "exact"

    def test_other_script(self, screener: Screener) -> None:
        assert top(screener, "Владимир Путин")[0] == "35096"

    def test_typo(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("Aerocaribbaen Airlnes")
        assert hit.entry_id == "36"
        assert any(m.method == "fuzzy" for m in hit.explanation.matches)

    def test_words_run_together(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("Aero Caribbean Airlines")
        assert hit.entry_id == "36"
        assert any(m.method == "merged" and m.query == ("aero", "caribbean")
                   for m in hit.explanation.matches)

    def test_changed_legal_form(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("Galax Trading Company Limited")
        assert (hit.entry_id, hit.score) == ("815", 1.0)
        assert set(hit.explanation.legal_forms_ignored) >= {"limited", "company", "co ltd"}

    def test_mistyped_legal_form(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("Galax Trading Compani Limitad")
        assert (hit.entry_id, hit.score) == ("815", 1.0)
        corrected = hit.explanation.query.corrected
        assert [c.split(" -> ")[0] for c in corrected] == ["compani", "limitad"]

    def test_dropped_middle_name(self, screener: Screener) -> None:
        entry_id, score = top(screener, "Vladimir Putin")
        assert entry_id == "35096" and score >= DEFAULT_THRESHOLD


class TestLookAlikesDoNotHit:
    @pytest.mark.parametrize("name", [
        "Nordlicht Trading Co., Ltd.", "Bank Nordlicht", "International Trading Company",
        "Hanse Customs Brokers GmbH", "Shenzhen Bright Trading Co., Ltd.",
        "Mohammed Schneider", "Maria Kim", "Kestrel Shipping Limited",
    ])
    def test_a_shared_generic_word_or_common_name_is_not_a_hit(
            self, screener: Screener, name: str) -> None:
        assert screener.screen(name) == []

    def test_a_generic_word_alone_weighs_little(self, screener: Screener) -> None:
        hits = screener.screen("Nordlicht Trading Co., Ltd.", threshold=0.0, limit=50)
        galax = [h for h in hits if h.entry_id == "815"]
        assert not galax or galax[0].score < 0.5


class TestExplanation:
    def test_says_what_was_compared_and_how(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("Musa Muhammad Abu Marzuk")
        explanation = hit.explanation
        assert explanation.query.tokens == ("musa", "muhammad", "abu", "marzuk")
        assert explanation.listed.tokens == ("abu", "marzook", "mousa", "mohammed")
        assert [m.query for m in explanation.matches] == [
            ("musa",), ("muhammad",), ("abu",), ("marzuk",)]
        assert all(0.9 <= m.similarity <= 1.0 for m in explanation.matches)
        assert explanation.unmatched_query == explanation.unmatched_listed == ()
        assert explanation.query_coverage > 0.9 and explanation.list_coverage > 0.9
        lines = explanation.lines()
        assert lines[0] == "compared 'musa muhammad abu marzuk' with 'abu marzook mousa mohammed'"
        assert "  muhammad ~ mohammed: 0.92 (transliteration)" in lines

    def test_unmatched_words_are_named_and_cost(self, screener: Screener) -> None:
        # The whole listed name inside a longer one is worth a look, at a lower score.
        (hit, *_) = screener.screen("Galax Trading Nordlicht")
        assert hit.entry_id == "815"
        assert hit.explanation.unmatched_query == ("nordlicht",)
        assert hit.explanation.list_coverage == 1.0
        assert hit.explanation.query_coverage < 0.6
        assert hit.score < 0.7


class TestEvidence:
    def test_country_match_and_mismatch_move_the_score(self, screener: Screener) -> None:
        plain = top(screener, "Musa Muhammad Abu Marzuk")[1]
        (matched, *_) = screener.screen("Musa Muhammad Abu Marzuk", country="Egypt")
        (other, *_) = screener.screen("Musa Muhammad Abu Marzuk", country="DE")
        assert matched.score > plain > other.score
        (evidence,) = [e for e in matched.explanation.evidence if e.kind == "country"]
        assert (evidence.outcome, evidence.detail) == ("match", "EG is the entry's birth")
        assert [e.outcome for e in other.explanation.evidence] == ["mismatch"]

    def test_an_identifier_hit_needs_no_name(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("Nobody In Particular", identifier="IMO 7406784")
        assert (hit.entry_id, hit.score) == ("4243", 1.0)
        assert hit.explanation.evidence[0].detail == "IMO 7406784 on the list"
        assert screener.screen("Nobody In Particular", identifier="IMO 1111111") == []

    def test_kind_mismatch_is_penalised(self, screener: Screener) -> None:
        (hit, *_) = screener.screen("Banco Nacional de Cuba", kind=PartyKind.person)
        assert hit.score == pytest.approx(0.9)
        assert ("kind", "incompatible") in {(e.kind, e.outcome)
                                             for e in hit.explanation.evidence}
        assert screener.screen("Banco Nacional de Cuba", kind="organisation")[0].score == 1.0

    def test_weak_alias_counts_for_less(self, fixtures: Path) -> None:
        small = Screener(load_list(fixtures / "sdn_small.xml"))
        (hit, *_) = small.screen("BNC")
        assert hit.matched_name.strength is AliasStrength.weak
        assert hit.score == pytest.approx(0.9)

    def test_address_city_and_country(self, fixtures: Path) -> None:
        small = Screener(load_list(fixtures / "sdn_small.xml"))
        party = Party("Banco Nacional de Cuba", address=Address(city="Zurich",
                                                                country="Switzerland"))
        (hit, *_) = small.screen(party)
        assert {(e.kind, e.outcome) for e in hit.explanation.evidence} == {
            ("country", "match"), ("address", "match")}


class TestScreenerContract:
    def test_hits_are_ranked_thresholded_and_limited(self, screener: Screener) -> None:
        hits = screener.screen("Mohammed Ali", threshold=0.5, limit=7)
        assert len(hits) == 7
        assert all(h.score >= 0.5 for h in hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert len({h.entry_id for h in hits}) == 7

    def test_screen_many_answers_in_order(self, screener: Screener) -> None:
        names = ["Sand Swan", "Nordlicht Trading", Party("Kim Jong Un", PartyKind.person)]
        answers = screener.screen_many([*names, "Sand Swan"])
        assert [[h.entry_id for h in a][:1] for a in answers] == [
            ["4243"], [], ["20157"], ["4243"]]
        assert answers[0] == answers[3] and answers[0] is not answers[3]

    def test_bad_requests_are_refused(self, screener: Screener) -> None:
        with pytest.raises(ScreeningQueryInvalid, match="name must be text"):
            screener.screen(42)  # type: ignore[arg-type]
        with pytest.raises(ScreeningQueryInvalid, match="kind must be one of"):
            screener.screen("x", kind="robot")

    def test_no_entries_no_screener(self) -> None:
        empty = ScreeningList("x", "empty", None, (), ())
        with pytest.raises(ScreenerEmpty):
            Screener(empty)

    def test_pickled_screener_answers_the_same(self, screener: Screener) -> None:
        copy = pickle.loads(pickle.dumps(screener))
        for name in ("Musa Muhammad Abu Marzuk", "Aero Caribbean Airlines", "Sand Swan"):
            assert [(h.entry_id, h.score) for h in copy.screen(name)] == \
                [(h.entry_id, h.score) for h in screener.screen(name)]

    def test_it_records_what_it_holds_and_builds_in_seconds(self, screener: Screener) -> None:
        (held,) = screener.lists
        assert (held.list_id, held.version, held.entries) == ("us-ofac-sdn", "2024-05-03",
                                                              14965)
        assert held.sources[0].sha256.startswith("210ca6b4")
        assert screener.build_seconds < 30


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=40))
def test_screening_never_raises(screener: Screener, text: str) -> None:
    for hit in screener.screen(text, threshold=0.0, limit=3):
        assert 0.0 <= hit.score <= 1.0


@pytest.fixture(scope="module")
def person_names(default_list: ScreeningList) -> list[tuple[str, ...]]:
    """Normalised names of every 40th listed individual, honorifics excluded (they are
    removed only at the head of a name, so their place matters by design)."""
    names = []
    for entry in default_list.entries[::40]:
        if entry.kind is EntryKind.individual:
            tokens = normalise_name(entry.name, NameKind.person).tokens
            if len(tokens) >= 2 and all(remove_person_prefixes(t + " x") == t + " x"
                                        for t in tokens):
                names.append(tokens)
    return names


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_word_order_of_a_person_name_does_not_matter(
        screener: Screener, person_names: list[tuple[str, ...]], data: st.DataObject) -> None:
    tokens = data.draw(st.sampled_from(person_names))
    shuffled = data.draw(st.permutations(tokens))
    # "Abd al-Hadi" is one name only in that order; such names change when shuffled.
    assume(sorted(normalise_name(" ".join(shuffled), NameKind.person).tokens) == sorted(tokens))
    assert screener.scores(" ".join(shuffled)) == pytest.approx(
        screener.scores(" ".join(tokens)), abs=1e-9)
