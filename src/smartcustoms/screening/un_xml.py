"""The UN Security Council consolidated list (``consolidated.xml``).

Shape (scsanctions.un.org): root ``CONSOLIDATED_LIST`` with attribute ``dateGenerated``;
``INDIVIDUALS/INDIVIDUAL`` with ``FIRST_NAME`` .. ``FOURTH_NAME``, ``UN_LIST_TYPE``,
``REFERENCE_NUMBER``, ``NAME_ORIGINAL_SCRIPT``, ``TITLE/VALUE``, ``NATIONALITY/VALUE``,
``INDIVIDUAL_ALIAS`` (``QUALITY`` Good/Low, ``ALIAS_NAME``), ``INDIVIDUAL_ADDRESS``
(``STREET``, ``CITY``, ``STATE_PROVINCE``, ``ZIP_CODE``, ``COUNTRY``),
``INDIVIDUAL_DATE_OF_BIRTH`` (``DATE`` or ``YEAR`` or ``FROM_YEAR``/``TO_YEAR``),
``INDIVIDUAL_PLACE_OF_BIRTH/COUNTRY``, ``INDIVIDUAL_DOCUMENT`` (``TYPE_OF_DOCUMENT``,
``NUMBER``, ``ISSUING_COUNTRY``), ``COMMENTS1``; ``ENTITIES/ENTITY`` with ``FIRST_NAME``
as the whole name, ``ENTITY_ALIAS`` and ``ENTITY_ADDRESS``.

"Low" quality aliases are the UN's weak aliases. The name in original script becomes a
strong alias, so an Arabic- or Cyrillic-script party name is compared with it too. Empty
alias slots (``<ALIAS_NAME/>``) are placeholders the UN publishes, not errors.
IMO numbers of vessels and shipping companies appear only in ``COMMENTS1``
("IMO number 1234567") and are taken from there.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from smartcustoms.screening._countries import country_code
from smartcustoms.screening._files import source_file
from smartcustoms.screening._xml import read_entries
from smartcustoms.screening.models import (
    Address,
    Alias,
    AliasStrength,
    AliasType,
    Country,
    CountryRole,
    EntryKind,
    Identifier,
    ListEntry,
    Rejection,
    ScreeningList,
)

LIST_ID = "un-sc-consolidated"
LIST_NAME = "UN Security Council Consolidated List"
ROOT = "CONSOLIDATED_LIST"
_IMO = re.compile(r"\bIMO\b\D{0,30}?(\d{7})\b")


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _values(element: ET.Element, tag: str) -> list[str]:
    return [v.text.strip() for v in element.iterfind(f"{tag}/VALUE")
            if v.text and v.text.strip()]


def read_un_xml(path: Path) -> ScreeningList:
    """The UN consolidated list; the version is the date part of ``dateGenerated``."""
    path = Path(path)
    header, entries, rejections, records = read_entries(
        path, frozenset({"INDIVIDUAL", "ENTITY"}), root=ROOT,
        root_name="UN Security Council consolidated list", key_field="REFERENCE_NUMBER",
        to_entry=lambda element, where, rejected: _entry(element, where, path.name, rejected))
    generated = header.attributes.get("dateGenerated")
    return ScreeningList(LIST_ID, LIST_NAME, generated[:10] if generated else None,
                         (source_file(path, records),), tuple(entries), tuple(rejections))


def _entry(element: ET.Element, where: str, file: str,
           rejections: list[Rejection]) -> ListEntry | None:
    individual = element.tag == "INDIVIDUAL"
    prefix = "INDIVIDUAL" if individual else "ENTITY"
    reference = _text(element, "REFERENCE_NUMBER")
    if reference is None:
        rejections.append(Rejection(file, where, f"{prefix}.REFERENCE_NUMBER",
                                    _text(element, "DATAID") or "", "must not be empty"))
        return None
    where = f"{where} ({reference})"
    tags = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME") if individual \
        else ("FIRST_NAME",)
    name = " ".join(filter(None, (_text(element, t) for t in tags)))
    if not name:
        rejections.append(Rejection(file, where, f"{prefix}.FIRST_NAME", "",
                                    "must not be empty"))
        return None
    aliases: list[Alias] = []
    for item in element.iterfind(f"{prefix}_ALIAS"):
        alias = _text(item, "ALIAS_NAME")
        if alias is None:
            continue
        quality = (_text(item, "QUALITY") or "").casefold().replace(".", "")
        strength = AliasStrength.weak if quality == "low" else AliasStrength.strong
        alias_type = AliasType.fka if quality == "fka" else AliasType.aka
        aliases.append(Alias(alias, alias_type, strength))
    original = _text(element, "NAME_ORIGINAL_SCRIPT")
    if original:
        aliases.append(Alias(original))
    countries = [Country(country_code(v), v, CountryRole.nationality)
                 for v in _values(element, "NATIONALITY")]
    addresses: list[Address] = []
    for item in element.iterfind(f"{prefix}_ADDRESS"):
        street = _text(item, "STREET")
        city = " ".join(filter(None, (_text(item, t) for t in
                                      ("CITY", "STATE_PROVINCE", "ZIP_CODE")))) or None
        country = _text(item, "COUNTRY")
        code = country_code(country)
        if street or city or country:
            addresses.append(Address(street, city, code, country))
        if country:
            countries.append(Country(code, country, CountryRole.address))
    for item in element.iterfind("INDIVIDUAL_PLACE_OF_BIRTH"):
        country = _text(item, "COUNTRY")
        if country:
            countries.append(Country(country_code(country), country, CountryRole.birth))
    identifiers: list[Identifier] = []
    for item in element.iterfind("INDIVIDUAL_DOCUMENT"):
        number = _text(item, "NUMBER")
        if number:
            identifiers.append(Identifier(
                _text(item, "TYPE_OF_DOCUMENT") or "Document", number,
                country_code(_text(item, "ISSUING_COUNTRY") or _text(item, "COUNTRY_OF_ISSUE"))))
    comments = _text(element, "COMMENTS1")
    for number in _IMO.findall(comments or ""):
        identifiers.append(Identifier("IMO", number))
    births = []
    for item in element.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        date = _text(item, "DATE") or _text(item, "YEAR")
        if date is None and _text(item, "FROM_YEAR"):
            date = f"{_text(item, 'FROM_YEAR')}-{_text(item, 'TO_YEAR') or ''}".rstrip("-")
        if date:
            births.append(date)
    titles = _values(element, "TITLE")
    return ListEntry(
        list_id=LIST_ID, entry_id=reference,
        kind=EntryKind.individual if individual else EntryKind.entity, name=name,
        aliases=tuple(dict.fromkeys(aliases)),
        programs=tuple(filter(None, [_text(element, "UN_LIST_TYPE")])),
        addresses=tuple(addresses), countries=tuple(dict.fromkeys(countries)),
        identifiers=tuple(dict.fromkeys(identifiers)), birth_dates=tuple(births),
        title="; ".join(titles) or None, remarks=comments)
