"""OFAC legacy CSV: the shipped snapshots read completely, malformed rows rejected with
their line and reason, never dropped."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcustoms.screening import (
    AliasStrength,
    AliasType,
    CountryRole,
    EntryKind,
    Identifier,
    ScreeningList,
    ScreeningListInvalid,
)
from smartcustoms.screening._remarks import parse_remarks
from smartcustoms.screening.lists import SANCTIONS_DIR
from smartcustoms.screening.ofac_csv import read_ofac_csv

SET_2021 = SANCTIONS_DIR / "ofac_sdn_2021-07"


@pytest.fixture(scope="module")
def list_2021() -> ScreeningList:
    return read_ofac_csv(SET_2021 / "sdn.csv", SET_2021 / "alt.csv", SET_2021 / "add.csv")


def _write(path: Path, rows: list[list[str]], eof: bool = True) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode() + (b"\x1a" if eof else b""))
    return path


def _sdn_row(ent: str, name: str, kind: str = "-0- ", remarks: str = "-0- ") -> list[str]:
    return [ent, name, kind, "SDGT", "-0- ", "-0- ", "-0- ", "-0- ", "-0- ", "-0- ", "-0- ",
            remarks]


class TestShippedSnapshots:
    def test_2024_snapshot_has_every_row_of_the_provenance(
            self, default_list: ScreeningList) -> None:
        assert len(default_list.entries) == 14965
        assert default_list.rejections == ()
        kinds = Counter(e.kind for e in default_list.entries)
        assert kinds == {EntryKind.individual: 6854, EntryKind.entity: 6884,
                         EntryKind.vessel: 851, EntryKind.aircraft: 376}
        (source,) = default_list.sources
        assert (source.name, source.size, source.records) == ("sdn.csv", 3909739, 14965)
        assert source.sha256 == \
            "210ca6b4a8187a34e0850be69ecc6e918f23ad7778b8b5b2f9c9d5fbbaf4e0cb"
        assert default_list.version == "2024-05-03"
        assert max(int(e.entry_id) for e in default_list.entries) == 48907

    def test_2024_aliases_come_from_remarks(self, default_list: ScreeningList) -> None:
        # 3,666 a.k.a./f.k.a./n.k.a. phrases; three are cut off by OFAC's 1,000-character
        # Remarks limit and have no closing quote.
        assert sum(len(e.aliases) for e in default_list.entries) == 3663
        assert [a.name for a in default_list.entry("306").aliases] == ["BNC"]
        vessel = default_list.entry("4243")
        assert [(a.name, a.type) for a in vessel.aliases] == [
            ("ANA I", AliasType.fka), ("SAND SWAN", AliasType.fka)]
        assert Identifier("IMO", "7406784") in vessel.identifiers
        assert {c.role for c in vessel.countries} == {CountryRole.flag}

    def test_2024_identifiers_and_countries_come_from_remarks(
            self, default_list: ScreeningList) -> None:
        person = default_list.entry("3754")
        assert person.name == "ABU MARZOOK, Mousa Mohammed"
        assert Identifier("Passport", "92/664", "EG") in person.identifiers
        assert Identifier("SSN", "523-33-8386", "US") in person.identifiers
        assert person.birth_dates == ("09 Feb 1951",)
        assert "ABU-'UMAR" in [a.name for a in person.aliases]
        mexican = default_list.entry("9339")
        assert {(c.code, c.role) for c in mexican.countries} >= {
            ("MX", CountryRole.nationality), ("MX", CountryRole.citizenship),
            ("MX", CountryRole.birth)}
        assert any(i.type == "C.U.R.P." and i.country == "MX" for i in mexican.identifiers)

    def test_2021_set_joins_aliases_and_addresses(self, list_2021: ScreeningList) -> None:
        assert len(list_2021.entries) == 8976
        assert list_2021.rejections == ()
        assert [s.records for s in list_2021.sources] == [8976, 11910, 13837]
        assert [s.sha256[:12] for s in list_2021.sources] == [
            "2a08fac873a3", "82403d348e22", "c98720815c45"]
        bank = list_2021.entry("306")
        assert "NATIONAL BANK OF CUBA" in [a.name for a in bank.aliases]
        assert [a.country for a in bank.addresses] == ["CH", "ES", "JP", "PA"]
        assert bank.addresses[0].street == "Zweierstrasse 35"
        types = Counter(a.type for e in list_2021.entries for a in e.aliases)
        assert types[AliasType.fka] >= 369 and types[AliasType.nka] >= 18


class TestMalformedRows:
    def test_bad_rows_are_rejected_with_line_field_and_reason(self, tmp_path: Path) -> None:
        sdn = _write(tmp_path / "sdn.csv", [
            _sdn_row("1", "GOOD TRADING LLC"),
            ["2", "TOO FEW COLUMNS"],
            _sdn_row("x3", "BAD NUMBER"),
            _sdn_row("4", "-0- "),
            _sdn_row("5", "SPACESHIP ONE", "spaceship"),
            _sdn_row("1", "DUPLICATE"),
            _sdn_row("6", "SMITH, John", "individual"),
        ])
        loaded = read_ofac_csv(sdn)
        assert [e.entry_id for e in loaded.entries] == ["1", "6"]
        reasons = {(r.where, r.field) for r in loaded.rejections}
        assert reasons == {("line 2", "row"), ("line 3", "ent_num"), ("line 4", "SDN_Name"),
                           ("line 5", "SDN_Type"), ("line 6", "ent_num")}
        assert "must have 12 columns" in str(loaded.rejections[0])
        assert len(loaded.entries) + len(loaded.rejections) == 7

    def test_alias_and_address_rows_for_unknown_entries_are_rejected(
            self, tmp_path: Path) -> None:
        sdn = _write(tmp_path / "sdn.csv", [_sdn_row("1", "GOOD TRADING LLC")])
        alt = _write(tmp_path / "alt.csv", [["1", "10", "aka", "GOOD TRADE", "-0- "],
                                            ["9", "11", "aka", "ORPHAN", "-0- "],
                                            ["1", "12", "zzz", "ODD TYPE", "-0- "],
                                            ["1", "13", "fka", "WEAKLING", "weak alias"]])
        add = _write(tmp_path / "add.csv", [["1", "20", "Main St 1", "Berlin", "Germany",
                                             "-0- "],
                                            ["7", "21", "-0- ", "Paris", "France", "-0- "]])
        loaded = read_ofac_csv(sdn, alt, add)
        entry = loaded.entry("1")
        assert [(a.name, a.type, a.strength) for a in entry.aliases] == [
            ("GOOD TRADE", AliasType.aka, AliasStrength.strong),
            ("WEAKLING", AliasType.fka, AliasStrength.weak)]
        assert entry.addresses[0].country == "DE"
        assert {(r.file, r.where, r.field) for r in loaded.rejections} == {
            ("alt.csv", "line 2", "ent_num"), ("alt.csv", "line 3", "alt_type"),
            ("add.csv", "line 2", "ent_num")}

    def test_an_empty_sdn_file_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "sdn.csv"
        path.write_bytes(b"\x1a")
        with pytest.raises(ScreeningListInvalid, match=r"sdn.csv line 1: rows must be"):
            read_ofac_csv(path)

    def test_html_instead_of_csv_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "sdn.csv"
        path.write_text("<html><body>Service unavailable</body></html>")
        with pytest.raises(ScreeningListInvalid, match="OFAC legacy CSV"):
            read_ofac_csv(path)

    def test_bytes_that_are_not_utf8_name_their_line(self, tmp_path: Path) -> None:
        path = tmp_path / "sdn.csv"
        path.write_bytes(b'1,"GOOD",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n'
                         b'2,"BAD \xff\xfe",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n')
        with pytest.raises(ScreeningListInvalid, match=r"line 2: encoding must be UTF-8"):
            read_ofac_csv(path)


class TestRemarks:
    def test_aliases_keep_inner_apostrophes_and_skip_cut_off_ones(self) -> None:
        facts = parse_remarks("DOB 1951; a.k.a. 'ABU-'UMAR'; f.k.a. 'O'NEIL TRADING'; "
                              "a.k.a. 'CUT OF")
        assert [(a.name, a.type) for a in facts.aliases] == [
            ("ABU-'UMAR", AliasType.aka), ("O'NEIL TRADING", AliasType.fka)]

    def test_identifiers_need_a_label_and_free_text_is_not_one(self) -> None:
        facts = parse_remarks("Gender Male; Target Type Government Entity; Passport A123456 "
                              "(Iran) issued 01 Jan 2000 expires 01 Jan 2010; alt. National "
                              "ID No. 99-88 (Yemen); Vessel Registration Identification IMO "
                              "1234567; Website www.example.com; nationality Korea, North")
        assert facts.identifiers == [Identifier("Passport", "A123456", "IR"),
                                     Identifier("National ID No.", "99-88", "YE"),
                                     Identifier("IMO", "1234567")]
        assert [(c.code, c.role) for c in facts.countries] == [("KP", CountryRole.nationality)]


_FIELD = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                        blacklist_characters="\x00\r\n\x1a"), max_size=20)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_FIELD, min_size=1, max_size=14), min_size=1, max_size=12))
def test_every_row_is_an_entry_or_a_rejection(tmp_path: Path, rows: list[list[str]]) -> None:
    rows = [r for r in rows if any(cell.strip() for cell in r)] or [_sdn_row("1", "X")]
    path = _write(tmp_path / "sdn.csv", rows)
    try:
        loaded = read_ofac_csv(path)
    except ScreeningListInvalid:
        return  # a file-level problem (no readable row), named in the message
    assert len(loaded.entries) + len(loaded.rejections) == len(rows)
