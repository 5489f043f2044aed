"""The labelled set: deterministic, split by list entry, true variants that are variants
and negatives that are verifiably not on the list."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from smartcustoms.screening import NameKind, ScreeningList, normalise_name
from smartcustoms.screening.variants import (
    NEGATIVE_KINDS,
    VARIANT_KINDS,
    LabelledName,
    generate_labelled_set,
    split_of,
)


@pytest.fixture(scope="module")
def small_list(default_list: ScreeningList) -> ScreeningList:
    """Every fifth entry of the shipped list: enough of each kind, quick to verify."""
    return dataclasses.replace(default_list, entries=default_list.entries[::5])


@pytest.fixture(scope="module")
def rows(small_list: ScreeningList) -> list[LabelledName]:
    return generate_labelled_set(small_list, entries=150, negatives=200)


def test_the_same_seed_gives_the_same_rows(small_list: ScreeningList,
                                           rows: list[LabelledName]) -> None:
    assert generate_labelled_set(small_list, entries=150, negatives=200) == rows
    other = generate_labelled_set(small_list, seed=7, entries=150, negatives=200)
    assert other != rows


def test_every_kind_of_variant_and_negative_is_made(rows: list[LabelledName]) -> None:
    made = Counter(r.variant for r in rows)
    assert set(VARIANT_KINDS) | set(NEGATIVE_KINDS) - {"sample_party"} <= set(made)
    assert made["sample_party"] >= 1  # the sample declarations' parties
    assert sum(not r.positive for r in rows) >= 200


def test_an_entry_never_straddles_the_splits(rows: list[LabelledName]) -> None:
    splits: dict[str, set[str]] = {}
    for row in rows:
        splits.setdefault(row.group, set()).add(row.split)
        assert row.split == split_of(row.group)
    assert all(len(s) == 1 for s in splits.values())
    assert {r.split for r in rows} == {"validation", "test"}


def test_positives_point_at_their_entry_and_differ_from_it(
        small_list: ScreeningList, rows: list[LabelledName]) -> None:
    for row in rows:
        if not row.positive:
            continue
        entry = small_list.entry(row.expected or "")
        assert row.group == f"us-ofac-sdn:{entry.entry_id}"
        if row.variant in ("transliteration", "typo", "middle_dropped"):
            kind = NameKind.person if row.kind.value == "person" else NameKind.organisation
            assert normalise_name(row.query, kind).tokens != normalise_name(
                entry.name, kind).tokens, row


def test_negatives_are_no_list_name(small_list: ScreeningList,
                                    rows: list[LabelledName]) -> None:
    listed = {normalise_name(n, kind).tokens for e in small_list.entries
              for n in (e.name, *(a.name for a in e.aliases))
              for kind in (NameKind.person, NameKind.organisation)}
    for row in rows:
        if not row.positive:
            assert normalise_name(row.query, NameKind.organisation).tokens not in listed
            assert normalise_name(row.query, NameKind.person).tokens not in listed


def test_typos_spare_first_letters_and_short_words(rows: list[LabelledName],
                                                   small_list: ScreeningList) -> None:
    for row in rows:
        if row.variant == "typo":
            original = small_list.entry(row.expected or "").name.split(" ")
            changed = row.query.split(" ")
            assert len(changed) == len(original)
            for before, after in zip(original, changed, strict=True):
                assert before[:1].lower() == after[:1].lower()
                if len(before) < 4:
                    assert before == after
