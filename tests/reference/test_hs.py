"""HS 2022 nomenclature: shipped data, look-ups, normalisation and loader validation."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcustoms.reference import (
    HSNomenclature,
    ReferenceDataError,
    load_hs2022,
    normalize_hs_code,
)
from smartcustoms.reference.hs import DEFAULT_HS2022_DIR

SHA256 = {
    "harmonized-system.csv": "e77ee9e1cfd15a42d1fadeb2c0618d10f6b9ed9aec0e5d66826dc7ef9d3126a5",
    "sections.csv": "96313884a3c7ef5182d20f25ce73a34c2763c1d26ac5992d66460a3c32bae782",
    "datapackage.json": "ebefd099148d5e543ef3d7e217fe15c8103ae47867686423a156dff9c075dcfd",
}


@pytest.fixture(scope="module")
def hs() -> HSNomenclature:
    return load_hs2022()


def test_shipped_files_match_provenance() -> None:
    for name, digest in SHA256.items():
        assert hashlib.sha256((DEFAULT_HS2022_DIR / name).read_bytes()).hexdigest() == digest
        assert digest in (DEFAULT_HS2022_DIR / "PROVENANCE.md").read_text(encoding="utf-8")


def test_real_file_counts(hs: HSNomenclature) -> None:
    assert len(hs.subheadings) == 5613
    assert len(hs.headings) == 1229
    assert len(hs.chapters) == 97
    assert len(hs.sections) == 21
    numerals = list(hs.sections)
    assert (numerals[0], numerals[3], numerals[-1]) == ("I", "IV", "XXI")
    assert hs.sections["XVI"].description.startswith("Machinery and mechanical appliances")


def test_default_is_cached(hs: HSNomenclature) -> None:
    assert load_hs2022() is hs


def test_path_of_851762(hs: HSNomenclature) -> None:
    path = hs.path("8517.62")
    assert [(e.level, e.code) for e in path] == [
        ("section", "XVI"),
        ("chapter", "85"),
        ("heading", "8517"),
        ("subheading", "851762"),
    ]
    assert all(e.section == "XVI" for e in path)
    assert [e.parent for e in path] == [None, "XVI", "85", "8517"]
    assert hs.path("851799") == []


def test_exists_and_get(hs: HSNomenclature) -> None:
    for code in ("851762", "8517.62", " 85 17 62 ", "8517", "85", "01", "010121"):
        assert hs.exists(code), code
    for code in ("851700", "7700", "77", "", "abc", "85176", "8517620000", "８５"):
        assert not hs.exists(code), code
    assert "851762" in hs
    assert hs.get("851762").level == "subheading"
    assert hs.get("xvi").level == "section"
    assert hs.get("851700") is None
    with pytest.raises(ValueError):
        hs.get("85x")


def test_chapters(hs: HSNomenclature) -> None:
    assert hs.chapter_exists("85") and hs.chapter_exists("01")
    assert not hs.chapter_exists("77")  # reserved by the WCO
    assert not hs.chapter_exists("8517") and not hs.chapter_exists("x")
    ch99 = hs.get("99")
    assert ch99 is not None and ch99.section is None  # UN Comtrade addition, kept


def test_search_prefix(hs: HSNomenclature) -> None:
    codes = [e.code for e in hs.search(prefix="8517.6", limit=100)]
    assert codes == ["851761", "851762", "851769"]
    assert [e.code for e in hs.search(prefix="85", level="chapter")] == ["85"]
    assert len(hs.search(prefix="85", limit=5)) == 5
    assert hs.search(prefix="77") == []
    with pytest.raises(ValueError):
        hs.search(prefix="8a")


def test_search_keywords(hs: HSNomenclature) -> None:
    hits = hs.search(query="Lithium-Ion accumulators")
    assert hits[0].code == "850760"
    assert all("lithium" in e.description.lower() for e in hits)
    coffee = hs.search(query="coffee", level="heading")
    assert [e.code for e in coffee][:1] == ["0901"]
    assert all(e.level == "heading" for e in coffee)
    # Every word must match; ranking prefers exact word matches.
    assert hs.search(query="coffee zeppelin") == []
    phones = hs.search(query="telephone", prefix="8517", level="subheading")
    assert phones and all(e.code.startswith("8517") for e in phones)
    with pytest.raises(ValueError):
        hs.search(level="item")


def test_normalize() -> None:
    assert normalize_hs_code("8517.62") == "851762"
    assert normalize_hs_code(" 85 17.62 ") == "851762"
    assert normalize_hs_code("01") == "01"
    for bad in ("", "  ", "85x", "851", "8517620", "８５１７", "85²1", "-851762"):
        with pytest.raises(ValueError):
            normalize_hs_code(bad)


@given(st.text())
def test_normalize_only_raises_value_error(text: str) -> None:
    try:
        code = normalize_hs_code(text)
    except ValueError:
        return
    assert code.isascii() and code.isdigit() and len(code) in (2, 4, 6)


def _copy_data(tmp_path: Path) -> Path:
    for name in ("harmonized-system.csv", "sections.csv"):
        shutil.copyfile(DEFAULT_HS2022_DIR / name, tmp_path / name)
    return tmp_path


def test_dangling_parent_names_file_and_line(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    hs_file = data / "harmonized-system.csv"
    with hs_file.open("a", encoding="utf-8") as fh:
        fh.write("XVI,851799,Orphan subheading,8598,6\n")
    line = len(hs_file.read_text(encoding="utf-8").splitlines())
    with pytest.raises(ReferenceDataError) as info:
        load_hs2022(data)
    err = info.value
    assert isinstance(err, ValueError)
    assert f"harmonized-system.csv:{line}:" in str(err) and "'8598'" in str(err)
    assert (err.line, err.value) == (line, "8598")


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("XVI,8517,Duplicate heading,85,4", "duplicate"),
        ("XVI,85176,Five digits,8517,6", "6 digits"),
        ("XXX,851799,Unknown section,8517,6", "section"),
        ("XV,851799,Wrong section,8517,6", "section differs"),
        ("XVI,851799,Skips a level,85,6", "level above"),
        ("XVI,851799,Bad level,8517,8", "level must be"),
        ("XVI,851799,Too few columns,8517", "columns"),
    ],
)
def test_malformed_rows(tmp_path: Path, row: str, fragment: str) -> None:
    data = _copy_data(tmp_path)
    with (data / "harmonized-system.csv").open("a", encoding="utf-8") as fh:
        fh.write(row + "\n")
    with pytest.raises(ReferenceDataError, match=fragment) as info:
        load_hs2022(data)
    assert info.value.line == 6942


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match=r"sections\.csv"):
        load_hs2022(tmp_path / "nowhere")


def test_bad_header(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    (data / "sections.csv").write_text("numeral,title\nI,Live animals\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"sections\.csv:1:"):
        load_hs2022(data)
