"""List entries as plain JSON data (how the database stores them) and back, and the
digest that tells whether an entry changed between two versions of its list."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import orjson

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
)


def entry_to_dict(entry: ListEntry) -> dict[str, Any]:
    return dataclasses.asdict(entry)


def entry_from_dict(data: dict[str, Any]) -> ListEntry:
    return ListEntry(
        list_id=data["list_id"], entry_id=data["entry_id"], kind=EntryKind(data["kind"]),
        name=data["name"],
        aliases=tuple(Alias(a["name"], AliasType(a["type"]), AliasStrength(a["strength"]))
                      for a in data.get("aliases", ())),
        programs=tuple(data.get("programs", ())),
        addresses=tuple(Address(**a) for a in data.get("addresses", ())),
        countries=tuple(Country(c["code"], c["name"], CountryRole(c["role"]))
                        for c in data.get("countries", ())),
        identifiers=tuple(Identifier(**i) for i in data.get("identifiers", ())),
        birth_dates=tuple(data.get("birth_dates", ())),
        title=data.get("title"), remarks=data.get("remarks"))


def entry_digest(entry: ListEntry) -> str:
    """sha256 of the entry's canonical JSON: equal across versions of a list exactly when
    nothing about the entry changed (names, aliases, addresses, identifiers, programs)."""
    canonical = orjson.dumps(entry_to_dict(entry), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
