"""OFAC's classic SDN XML (``sdn.xml``, root ``sdnList``).

Shape (OFAC's XSD, namespace ``http://tempuri.org/sdnList.xsd``, newer files
``https://tempuri.org/...`` or the Sanctions List Service URL): ``publshInformation``
(sic) with ``Publish_Date`` (MM/DD/YYYY) and ``Record_Count``, then one ``sdnEntry`` per
subject: ``uid``, ``firstName``, ``lastName``, ``title``, ``sdnType``, ``remarks``,
``programList/program``, ``akaList/aka`` (``type`` a.k.a./f.k.a./n.k.a., ``category``
strong/weak, ``firstName``, ``lastName``), ``addressList/address`` (``address1..3``,
``city``, ``stateOrProvince``, ``postalCode``, ``country``), ``idList/id`` (``idType``,
``idNumber``, ``idCountry``), ``nationalityList/nationality/country``,
``citizenshipList/citizenship/country``, ``dateOfBirthList/dateOfBirthItem/dateOfBirth``,
``placeOfBirthList/placeOfBirthItem/placeOfBirth`` and ``vesselInfo/vesselFlag``.

Individuals are named "LAST, First" as in the CSV, so both exports of one publication
give the same entries.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from smartcustoms.screening._countries import country_code
from smartcustoms.screening._files import source_file
from smartcustoms.screening._remarks import identifier_from_xml
from smartcustoms.screening._xml import read_entries
from smartcustoms.screening.models import (
    Address,
    Alias,
    AliasStrength,
    AliasType,
    Country,
    CountryRole,
    EntryKind,
    ListEntry,
    Rejection,
    ScreeningList,
)
from smartcustoms.screening.ofac_csv import LIST_ID, LIST_NAME

ROOT = "sdnList"
_TYPES = {"individual": EntryKind.individual, "entity": EntryKind.entity,
          "vessel": EntryKind.vessel, "aircraft": EntryKind.aircraft}
_ALIAS_TYPES = {"a.k.a.": AliasType.aka, "f.k.a.": AliasType.fka, "n.k.a.": AliasType.nka}


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    value = child.text.strip()
    return value or None


def _texts(element: ET.Element, path: str) -> list[str]:
    return [c.text.strip() for c in element.iterfind(path) if c.text and c.text.strip()]


def _name(element: ET.Element, kind: EntryKind | None) -> str | None:
    first, last = _text(element, "firstName"), _text(element, "lastName")
    if last and first:
        return f"{last}, {first}" if kind in (EntryKind.individual, None) else f"{first} {last}"
    return last or first


def read_ofac_xml(path: Path) -> ScreeningList:
    """The SDN list from OFAC's XML. ``Record_Count`` is checked against what was read."""
    path = Path(path)
    header, entries, rejections, records = read_entries(
        path, frozenset({"sdnEntry"}), root=ROOT, root_name="OFAC SDN XML", key_field="uid",
        to_entry=lambda element, where, rejected: _entry(element, where, path.name, rejected))
    declared = header.values.get("Record_Count")
    if declared is not None and declared.isdigit() and int(declared) != records:
        rejections.append(Rejection(
            path.name, "publshInformation", "Record_Count", declared,
            f"must equal the sdnEntry elements in the file ({records}); "
            "the file may be truncated or padded"))
    return ScreeningList(LIST_ID, LIST_NAME, _publish_date(header.values.get("Publish_Date")),
                         (source_file(path, records),), tuple(entries), tuple(rejections))


def _publish_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.datetime.strptime(value, "%m/%d/%Y").date().isoformat()
    except ValueError:
        return value


def _entry(element: ET.Element, where: str, file: str,
           rejections: list[Rejection]) -> ListEntry | None:
    def reject(field: str, value: str | None, reason: str) -> None:
        rejections.append(Rejection(file, where, field, value or "", reason))

    uid = _text(element, "uid")
    if uid is None or not uid.isdigit():
        reject("sdnEntry.uid", uid, "must be a whole number")
        return None
    where = f"{where} (uid {uid})"
    raw_type = _text(element, "sdnType") or ""
    kind = _TYPES.get(raw_type.casefold())
    if kind is None:
        reject("sdnEntry.sdnType", raw_type, "must be Individual, Entity, Vessel or Aircraft")
        return None
    name = _name(element, kind)
    if name is None:
        reject("sdnEntry.lastName", None, "must not be empty")
        return None
    aliases: list[Alias] = []
    for aka in element.iterfind("akaList/aka"):
        alias_name = _name(aka, kind)
        raw = (_text(aka, "type") or "a.k.a.").casefold()
        alias_type = _ALIAS_TYPES.get(raw if raw.endswith(".") else raw + ".")
        if alias_name is None or alias_type is None:
            reject("aka", f"{_text(aka, 'type')} {alias_name}",
                   "must have a name and type a.k.a., f.k.a. or n.k.a.")
            continue
        weak = (_text(aka, "category") or "").casefold() == "weak"
        aliases.append(Alias(alias_name, alias_type,
                             AliasStrength.weak if weak else AliasStrength.strong))
    countries: list[Country] = []
    addresses: list[Address] = []
    for item in element.iterfind("addressList/address"):
        street = ", ".join(filter(None, (_text(item, f"address{i}") for i in (1, 2, 3))))
        city = " ".join(filter(None, (_text(item, t) for t in
                                      ("city", "stateOrProvince", "postalCode"))))
        country = _text(item, "country")
        code = country_code(country)
        if street or city or country:
            addresses.append(Address(street or None, city or None, code, country))
        if country:
            countries.append(Country(code, country, CountryRole.address))
    for path, role in (("nationalityList/nationality", CountryRole.nationality),
                       ("citizenshipList/citizenship", CountryRole.citizenship)):
        for item in element.iterfind(path):
            country = _text(item, "country")
            if country:
                countries.append(Country(country_code(country), country, role))
    for place in _texts(element, "placeOfBirthList/placeOfBirthItem/placeOfBirth"):
        name_part = place.rsplit(",", 1)[-1].strip()
        if (code := country_code(name_part)) is not None:
            countries.append(Country(code, name_part, CountryRole.birth))
    flag = _text(element, "vesselInfo/vesselFlag") if element.find("vesselInfo") is not None \
        else None
    if flag:
        countries.append(Country(country_code(flag), flag, CountryRole.flag))
    identifiers = []
    for item in element.iterfind("idList/id"):
        identifier = identifier_from_xml(_text(item, "idType") or "",
                                         _text(item, "idNumber") or "", _text(item, "idCountry"))
        if identifier is not None:
            identifiers.append(identifier)
    return ListEntry(
        list_id=LIST_ID, entry_id=uid, kind=kind, name=name,
        aliases=tuple(dict.fromkeys(aliases)),
        programs=tuple(_texts(element, "programList/program")),
        addresses=tuple(addresses), countries=tuple(dict.fromkeys(countries)),
        identifiers=tuple(dict.fromkeys(identifiers)),
        birth_dates=tuple(_texts(element, "dateOfBirthList/dateOfBirthItem/dateOfBirth")),
        title=_text(element, "title"), remarks=_text(element, "remarks"))
