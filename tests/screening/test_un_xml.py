"""The UN Security Council consolidated list: individuals and entities, alias quality,
names in original script, documents, and IMO numbers from the comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcustoms.screening import (
    AliasStrength,
    CountryRole,
    EntryKind,
    Identifier,
    ScreeningListInvalid,
)
from smartcustoms.screening.un_xml import read_un_xml


def test_individuals_and_entities(fixtures: Path) -> None:
    loaded = read_un_xml(fixtures / "un_small.xml")
    assert (loaded.list_id, loaded.version) == ("un-sc-consolidated", "2024-05-02")
    person, company = loaded.entries
    assert (person.entry_id, person.kind, person.name) == (
        "QDi.006", EntryKind.individual, "AYMAN MUHAMMED RABI AL-ZAWAHIRI")
    assert person.programs == ("Al-Qaida",)
    assert person.title == "Doctor"
    assert [(a.name, a.strength) for a in person.aliases] == [
        ("Ayman al-Zawahry", AliasStrength.strong), ("Abu Mohammed", AliasStrength.weak),
        ("أيمن محمد ربيع الظواهري", AliasStrength.strong)]
    assert person.identifiers == (Identifier("Passport", "1084010", "EG"),)
    assert person.birth_dates == ("1951-06-19",)
    assert (CountryRole.nationality, "EG") in {(c.role, c.code) for c in person.countries}
    # An address country no database knows keeps its text and no code.
    assert person.addresses[0].country is None
    assert person.addresses[0].country_name == "Afghanistan/Pakistan border"
    assert (company.kind, company.entry_id) == (EntryKind.entity, "KPe.029")
    assert Identifier("IMO", "1790183") in company.identifiers
    assert company.addresses[0].city == "Pyongyang" and company.addresses[0].country == "KP"


def test_a_nameless_individual_is_rejected(fixtures: Path) -> None:
    (rejection,) = read_un_xml(fixtures / "un_small.xml").rejections
    assert rejection.field == "INDIVIDUAL.FIRST_NAME"
    assert "(KPi.999)" in rejection.where


def test_another_root_is_refused(fixtures: Path) -> None:
    with pytest.raises(ScreeningListInvalid, match="root element must be CONSOLIDATED_LIST"):
        read_un_xml(fixtures / "sdn_small.xml")
