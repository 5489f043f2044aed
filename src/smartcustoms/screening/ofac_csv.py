"""OFAC's legacy CSV export: ``sdn.csv`` with optional ``alt.csv`` and ``add.csv``.

The format (OFAC's data specification, and data/sanctions/PROVENANCE.md): no header,
``"``-quoted, CRLF lines, ``-0-`` (sometimes ``-0- ``) for null, and a DOS end-of-file
byte 0x1A at the very end. ``sdn.csv`` has 12 columns (ent_num, SDN_Name, SDN_Type,
Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks);
``alt.csv`` 5 (ent_num, alt_num, alt_type, alt_name, alt_remarks); ``add.csv`` 6
(ent_num, add_num, address, city/state/postal code, country, add_remarks). Entities have
a null type. Aliases and identifiers also sit inside Remarks (see ``_remarks``).

A row that cannot be read becomes a ``Rejection`` (line, field, value, reason) and the
rest of the file is still loaded; a file that is not such a CSV at all raises.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from smartcustoms.screening._countries import country_code
from smartcustoms.screening._files import read_bytes, source_file
from smartcustoms.screening._remarks import parse_remarks
from smartcustoms.screening.errors import ScreeningListInvalid
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
    SourceFile,
)

LIST_ID = "us-ofac-sdn"
LIST_NAME = "OFAC Specially Designated Nationals and Blocked Persons (SDN) list"
_TYPES = {None: EntryKind.entity, "individual": EntryKind.individual,
          "vessel": EntryKind.vessel, "aircraft": EntryKind.aircraft}
_ALT_TYPES = {"aka": AliasType.aka, "fka": AliasType.fka, "nka": AliasType.nka}
_COLUMNS = {"sdn": 12, "alt": 5, "add": 6}


def _null(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", "-0-") else value


@dataclass(slots=True)
class _Draft:
    entry_id: str
    kind: EntryKind
    name: str
    programs: tuple[str, ...]
    title: str | None
    remarks: str | None
    aliases: list[Alias] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    countries: list[Country] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)

    def entry(self) -> ListEntry:
        return ListEntry(
            list_id=LIST_ID, entry_id=self.entry_id, kind=self.kind, name=self.name,
            aliases=tuple(dict.fromkeys(self.aliases)), programs=self.programs,
            addresses=tuple(self.addresses), countries=tuple(dict.fromkeys(self.countries)),
            identifiers=tuple(dict.fromkeys(self.identifiers)),
            birth_dates=tuple(self.birth_dates), title=self.title, remarks=self.remarks)


class _Reader:
    """Rows of one file with their line numbers; the rejections of all files."""

    def __init__(self, rejections: list[Rejection]) -> None:
        self.rejections = rejections

    def rows(self, path: Path, kind: str) -> tuple[list[tuple[int, list[str]]], SourceFile]:
        raw = read_bytes(path)
        data = raw[:-1] if raw.endswith(b"\x1a") else raw
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise ScreeningListInvalid(path, f"line {line}", "encoding",
                                       data[exc.start:exc.start + 8].hex(" "),
                                       "UTF-8 text") from exc
        if text.lstrip().startswith("<"):
            raise ScreeningListInvalid(path, "line 1", "format", text.lstrip()[:40],
                                       f"OFAC legacy CSV ({kind}.csv), not XML or HTML")
        rows: list[tuple[int, list[str]]] = []
        width = _COLUMNS[kind]
        reader = csv.reader(io.StringIO(text, newline=""))
        line = 1
        try:
            for row in reader:
                start, line = line, reader.line_num + 1
                if not row or row == [""] or all(not cell.strip() for cell in row):
                    continue
                if len(row) != width:
                    self.reject(path, start, "row", ",".join(row),
                                f"must have {width} columns ({kind}.csv); has {len(row)}")
                    continue
                rows.append((start, row))
        except csv.Error as exc:
            raise ScreeningListInvalid(path, f"line {reader.line_num}", "row", str(exc),
                                       "CSV with balanced quotes") from exc
        if not rows and kind == "sdn":
            raise ScreeningListInvalid(path, "line 1", "rows", "", "at least one sdn.csv row")
        return rows, source_file(path, len(rows), data=raw)

    def reject(self, path: Path, line: int, field: str, value: str, reason: str) -> None:
        self.rejections.append(Rejection(path.name, f"line {line}", field, value[:120], reason))


def read_ofac_csv(sdn: Path, alt: Path | None = None, add: Path | None = None, *,
                  version: str | None = None) -> ScreeningList:
    """The SDN list from its legacy CSV files. ``version`` is the publication date the
    caller knows (the CSV does not carry one)."""
    rejections: list[Rejection] = []
    reader = _Reader(rejections)
    drafts: dict[str, _Draft] = {}
    rows, sdn_source = reader.rows(Path(sdn), "sdn")
    sources = [sdn_source]
    for line, row in rows:
        draft = _sdn_row(Path(sdn), line, row, reader)
        if draft is None:
            continue
        if draft.entry_id in drafts:
            reader.reject(Path(sdn), line, "ent_num", draft.entry_id,
                          "must be unique; already on an earlier line")
            continue
        drafts[draft.entry_id] = draft
    if alt is not None:
        rows, source = reader.rows(Path(alt), "alt")
        sources.append(source)
        for line, row in rows:
            _alt_row(Path(alt), line, row, drafts, reader)
    if add is not None:
        rows, source = reader.rows(Path(add), "add")
        sources.append(source)
        for line, row in rows:
            _add_row(Path(add), line, row, drafts, reader)
    return ScreeningList(LIST_ID, LIST_NAME, version, tuple(sources),
                         tuple(d.entry() for d in drafts.values()), tuple(rejections))


def _entry_id(path: Path, line: int, value: str, reader: _Reader) -> str | None:
    value = value.strip()
    if not value.isdigit():
        reader.reject(path, line, "ent_num", value, "must be a whole number")
        return None
    return str(int(value))


def _sdn_row(path: Path, line: int, row: list[str], reader: _Reader) -> _Draft | None:
    entry_id = _entry_id(path, line, row[0], reader)
    if entry_id is None:
        return None
    name = _null(row[1])
    if name is None:
        reader.reject(path, line, "SDN_Name", row[1], "must not be empty")
        return None
    raw_type = _null(row[2])
    kind = _TYPES.get(raw_type.casefold() if raw_type else None)
    if kind is None:
        reader.reject(path, line, "SDN_Type", row[2],
                      "must be individual, vessel, aircraft or -0- (entity)")
        return None
    programs = _null(row[3])
    remarks = _null(row[11])
    draft = _Draft(entry_id, kind, name,
                   tuple(p.strip() for p in programs.strip("[] ").split("] [")) if programs
                   else (), _null(row[4]), remarks)
    facts = parse_remarks(remarks)
    draft.aliases.extend(facts.aliases)
    draft.countries.extend(facts.countries)
    draft.identifiers.extend(facts.identifiers)
    draft.birth_dates.extend(facts.birth_dates)
    call_sign = _null(row[5])
    if call_sign:
        draft.identifiers.append(Identifier("Call Sign", call_sign))
    flag = _null(row[9])
    if flag:
        draft.countries.append(Country(country_code(flag), flag, CountryRole.flag))
    return draft


def _known(path: Path, line: int, row: list[str], drafts: dict[str, _Draft],
           reader: _Reader) -> _Draft | None:
    entry_id = _entry_id(path, line, row[0], reader)
    if entry_id is None:
        return None
    draft = drafts.get(entry_id)
    if draft is None:
        reader.reject(path, line, "ent_num", entry_id, "must name an entry of sdn.csv")
    return draft


def _alt_row(path: Path, line: int, row: list[str], drafts: dict[str, _Draft],
             reader: _Reader) -> None:
    draft = _known(path, line, row, drafts, reader)
    if draft is None:
        return
    alias_type = _ALT_TYPES.get((_null(row[2]) or "").casefold().replace(".", ""))
    if alias_type is None:
        reader.reject(path, line, "alt_type", row[2], "must be aka, fka or nka")
        return
    name = _null(row[3])
    if name is None:
        reader.reject(path, line, "alt_name", row[3], "must not be empty")
        return
    remarks = (_null(row[4]) or "").casefold()
    strength = AliasStrength.weak if "weak" in remarks else AliasStrength.strong
    draft.aliases.append(Alias(name, alias_type, strength))


def _add_row(path: Path, line: int, row: list[str], drafts: dict[str, _Draft],
             reader: _Reader) -> None:
    draft = _known(path, line, row, drafts, reader)
    if draft is None:
        return
    street, city, country = _null(row[2]), _null(row[3]), _null(row[4])
    if street is None and city is None and country is None:
        return
    code = country_code(country)
    draft.addresses.append(Address(street, city, code, country))
    if country is not None:
        draft.countries.append(Country(code, country, CountryRole.address))

