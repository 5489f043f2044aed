"""The classifier's corpus: nomenclature texts per subheading, the shipped rulings, and
the product series that grouped evaluation keeps on one side of a split."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.reference import load_hs2022
from smartcustoms.tariff.corpus import (
    Precedent,
    code_texts,
    hsk_lines,
    load_benchmark_set,
    load_precedent_set,
    series_labels,
    with_series_groups,
)


def test_every_hs2022_subheading_has_its_path_texts_and_national_lines() -> None:
    codes = code_texts()
    hs = load_hs2022()
    assert set(codes) == {c for c in hs.subheadings if not c.startswith("99")}
    chocolate = codes["180632"]
    assert chocolate.heading.startswith("Chocolate and other food preparations")
    assert chocolate.chapter.startswith("Cocoa")
    # CN 2023 splits 1806.32 into 1806.32.10 and 1806.32.90: their words join the document.
    assert [c for c, _ in chocolate.national] == ["18063210", "18063290"]
    assert "cereal, fruit or nuts" in chocolate.document()
    # The HSK names one line: terminology, matched on its own, not in the document.
    assert chocolate.terminology == [("1806321000", "Chocolate and chocolate confectionery")]
    assert "confectionery" not in chocolate.document()
    assert chocolate.lines() == chocolate.national + chocolate.terminology
    # An HSK name is read with its parents': "Mouse" is an input unit of 8471.60.
    assert ("8471601030", "Input units : Mouse") in codes["847160"].terminology


def test_hsk_lines_name_goods_with_their_parents_and_skip_what_says_nothing(tmp_path) -> None:
    table = tmp_path / "hsk.csv"
    table.write_text(
        "code,digits,name_en,name_ko,hs6,hs6_in_hs2022\n"
        "847160,6,Input or output units,x,847160,True\n"
        "84716010,8,Input  units :,x,847160,True\n"
        "8471601030,10,Mouse,x,847160,True\n"
        "8471601090,10,Other,x,847160,True\n"          # says only "Input units"
        "8471601099,10,Other goods,x,847160,True\n"    # the same text again: once
        "8471609000,10,Other,x,847160,True\n"          # "Other" at every level
        "8525801000,10,Television cameras,x,852580,False\n"  # HS 2012 only
        "0101211000,10,For farm breeding,x,010121,True\n",
        encoding="utf-8")
    assert list(hsk_lines(table)) == [
        ("847160", "8471601030", "Input units : Mouse"),
        ("847160", "8471601090", "Input units"),
        ("010121", "0101211000", "For farm breeding"),
    ]
    codes = code_texts(cn_path=None, hsk_path=table)
    assert codes["847160"].terminology[0] == ("8471601030", "Input units : Mouse")
    assert "852580" not in codes
    assert codes["010121"].terminology == [("0101211000", "For farm breeding")]
    assert codes["010121"].national == []


def test_shipped_rulings_load_with_their_national_codes() -> None:
    eu = load_precedent_set("eu_bti")
    kcs = load_precedent_set("kcs_decisions")
    assert len(eu) == 800
    # One KCS row has no description and one a code HS 2022 lacks (8411.90): both left out.
    assert len(kcs) == 788
    sample = next(p for p in eu if p.ref == "ATBTI2025000003-DEC")
    assert (sample.hs6, sample.code, sample.source) == ("180631", "1806310000", "eu_bti")
    assert all(p.code.startswith(p.hs6) for p in eu + kcs)


def test_benchmark_sets_are_separate_and_listings_keep_their_attributes() -> None:
    atlas = load_benchmark_set("atlas")
    listings = load_benchmark_set("hscodecomp")
    assert len(atlas) == 320 and len(listings) == 506
    # The listing's category path and material are part of what a seller declares.
    assert all(" ; " in p.text for p in listings)
    assert any("material" in p.text for p in listings)


def test_series_join_identical_texts_and_near_duplicates_but_not_strangers() -> None:
    texts = ["LED module 10 W for street lights, aluminium housing",
             "LED module 20 W for street lights, aluminium housing",
             "Milk chocolate bar with hazelnuts",
             "Frozen boneless beef cuts",
             "Frozen boneless beef"]
    labels = series_labels(texts, seeds=["", "", "", "s", "s"], threshold=0.7)
    assert labels[0] == labels[1]
    assert labels[3] == labels[4]  # same seed: one series whatever the texts
    assert len({labels[0], labels[2], labels[3]}) == 3


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=12))
def test_series_labels_are_a_partition_of_the_rows(texts: list[str]) -> None:
    labels = series_labels(texts, threshold=0.7)
    assert len(labels) == len(texts)
    assert all(labels[label] == label for label in labels)  # each label names a member
    # Identical texts with a word the vectoriser sees always land in the same series.
    for i, a in enumerate(texts):
        for j, b in enumerate(texts):
            if a == b and re.search(r"(?u)\b\w\w+\b", a):
                assert labels[i] == labels[j]


def test_with_series_groups_stays_within_one_source() -> None:
    rows = [Precedent(ref=f"r{i}", text="Microwave sensor for automatic doors", code="853650",
                      hs6="853650", source=source, group=f"{source}:r{i}")
            for i, source in enumerate(["a", "a", "b"])]
    grouped = with_series_groups(rows)
    assert grouped[0].group == grouped[1].group
    assert grouped[2].group != grouped[0].group
