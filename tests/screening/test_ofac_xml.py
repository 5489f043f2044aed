"""OFAC SDN XML: the classic sdnList shape in any of its namespaces, streamed, with no
DTD or entity ever honoured."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcustoms.screening import (
    AliasStrength,
    AliasType,
    CountryRole,
    EntryKind,
    Identifier,
    ScreeningListInvalid,
)
from smartcustoms.screening.ofac_xml import read_ofac_xml


def test_entries_aliases_ids_and_countries(fixtures: Path) -> None:
    loaded = read_ofac_xml(fixtures / "sdn_small.xml")
    assert loaded.list_id == "us-ofac-sdn"
    assert loaded.version == "2024-05-03"
    assert [e.entry_id for e in loaded.entries] == ["306", "3754", "4243"]
    bank, person, vessel = loaded.entries
    assert [(a.name, a.strength) for a in bank.aliases] == [
        ("NATIONAL BANK OF CUBA", AliasStrength.strong), ("BNC", AliasStrength.weak)]
    assert bank.addresses[0].country == "CH" and bank.addresses[0].city == "Zurich CH-8022"
    assert person.kind is EntryKind.individual
    assert person.name == "ABU MARZOOK, Mousa Mohammed"
    assert (person.aliases[1].name, person.aliases[1].type) == ("ABU MARZUQ, Musa",
                                                              AliasType.fka)
    # "Gender" sits in OFAC's idList but is not an identifier.
    assert person.identifiers == (Identifier("Passport", "92/664", "EG"),)
    assert {(c.code, c.role) for c in person.countries} == {
        ("JO", CountryRole.nationality), ("EG", CountryRole.citizenship),
        ("EG", CountryRole.birth)}
    assert person.birth_dates == ("09 Feb 1951",)
    assert vessel.identifiers == (Identifier("IMO", "7406784"),)
    assert vessel.countries[0].code == "PA"


def test_an_unknown_type_is_a_rejection_not_a_silent_drop(fixtures: Path) -> None:
    loaded = read_ofac_xml(fixtures / "sdn_small.xml")
    (rejection,) = loaded.rejections
    assert (rejection.field, rejection.value) == ("sdnEntry.sdnType", "Spaceship")
    assert rejection.where.startswith("line ") and "(uid 9999)" in rejection.where
    assert loaded.sources[0].records == 4


@pytest.mark.parametrize("namespace", ["https://tempuri.org/sdnList.xsd",
                                       "http://tempuri.org/sdnList.xsd", ""])
def test_any_namespace_reads_the_same(fixtures: Path, tmp_path: Path, namespace: str) -> None:
    text = (fixtures / "sdn_small.xml").read_text()
    text = text.replace('xmlns="http://tempuri.org/sdnList.xsd"',
                        f'xmlns="{namespace}"' if namespace else "")
    path = tmp_path / "sdn.xml"
    path.write_text(text)
    assert [e.name for e in read_ofac_xml(path).entries] == [
        "BANCO NACIONAL DE CUBA", "ABU MARZOOK, Mousa Mohammed", "EBANO"]


def test_a_record_count_that_disagrees_is_reported(fixtures: Path, tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"
    path.write_text((fixtures / "sdn_small.xml").read_text().replace(
        "<Record_Count>4</Record_Count>", "<Record_Count>9</Record_Count>"))
    rejections = read_ofac_xml(path).rejections
    assert any(r.field == "Record_Count" and "truncated" in r.reason for r in rejections)


def test_external_entities_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE sdnList [<!ENTITY x SYSTEM '
                    '"file:///etc/passwd">]>\n<sdnList><sdnEntry><uid>1</uid>'
                    '<lastName>&x;</lastName><sdnType>Entity</sdnType></sdnEntry></sdnList>')
    with pytest.raises(ScreeningListInvalid, match=r"sdn.xml line 2: DOCTYPE must be absent"):
        read_ofac_xml(path)


def test_entity_expansion_bombs_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><sdnList>&lol2;</sdnList>')
    with pytest.raises(ScreeningListInvalid, match="DOCTYPE must be absent"):
        read_ofac_xml(path)


def test_malformed_xml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"
    path.write_text("<sdnList>\n<sdnEntry><uid>1</uid>\n<lastName>X</lastNam>\n</sdnList>")
    with pytest.raises(ScreeningListInvalid, match=r"sdn.xml line 3, column \d+: document "
                                                   r"must be well-formed XML"):
        read_ofac_xml(path)


def test_another_root_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"
    path.write_text("<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>")
    with pytest.raises(ScreeningListInvalid, match="root element must be sdnList"):
        read_ofac_xml(path)


_NAME = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                max_size=30).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_NAME, min_size=1, max_size=5))
def test_names_round_trip_through_xml(tmp_path: Path, names: list[str]) -> None:
    entries = "".join(f"<sdnEntry><uid>{i}</uid><lastName>{escape(n)}</lastName>"
                      f"<sdnType>Entity</sdnType></sdnEntry>" for i, n in enumerate(names, 1))
    path = tmp_path / "sdn.xml"
    path.write_text(f'<sdnList xmlns="http://tempuri.org/sdnList.xsd">{entries}</sdnList>',
                    encoding="utf-8")
    loaded = read_ofac_xml(path)
    assert [e.name for e in loaded.entries] == [n.strip() for n in names]
