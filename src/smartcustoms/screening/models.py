"""What a sanctions list holds, in one shape for every source.

OFAC's legacy CSV, OFAC's SDN XML and the UN Security Council's consolidated XML say the
same things in different ways; the parsers turn each into ``ListEntry`` values so the
matcher and an officer's screen never need to know where an entry came from. Values are
kept as published (names in the list's own spelling and case); normalisation for
matching happens in ``normalise`` and never overwrites what the list says.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class EntryKind(enum.StrEnum):
    """What a listed subject is. OFAC's CSV leaves the type of entities empty."""

    individual = "individual"
    entity = "entity"
    vessel = "vessel"
    aircraft = "aircraft"


class AliasType(enum.StrEnum):
    """Also known as, formerly known as, now known as."""

    aka = "aka"
    fka = "fka"
    nka = "nka"


class AliasStrength(enum.StrEnum):
    """Lists mark some aliases as weak (OFAC ``weak``, UN quality ``Low``): nicknames and
    fragments that on their own identify nobody, so a hit on one counts for less."""

    strong = "strong"
    weak = "weak"


class CountryRole(enum.StrEnum):
    nationality = "nationality"
    citizenship = "citizenship"
    address = "address"
    registration = "registration"
    flag = "flag"
    birth = "birth"


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    type: AliasType = AliasType.aka
    strength: AliasStrength = AliasStrength.strong


@dataclass(frozen=True, slots=True)
class Address:
    """An address as the list gives it. ``country`` is the ISO 3166 alpha-2 code when the
    list's country name is known, else None (``country_name`` keeps the published text)."""

    street: str | None = None
    city: str | None = None
    country: str | None = None
    country_name: str | None = None


@dataclass(frozen=True, slots=True)
class Country:
    """A country linked to an entry, with why (nationality, address, vessel flag ...)."""

    code: str | None
    name: str
    role: CountryRole


@dataclass(frozen=True, slots=True)
class Identifier:
    """A document or registry number: type as published ("Passport", "IMO"), value,
    issuing country code when given."""

    type: str
    value: str
    country: str | None = None


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One listed subject. ``entry_id`` is the list's own key (OFAC ``ent_num`` / uid,
    UN reference number), unique within ``list_id``."""

    list_id: str
    entry_id: str
    kind: EntryKind
    name: str
    aliases: tuple[Alias, ...] = ()
    programs: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    countries: tuple[Country, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    birth_dates: tuple[str, ...] = ()
    title: str | None = None
    remarks: str | None = None

    @property
    def country_codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.countries if c.code)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file a list was read from: its name, sha256 and how many records it held."""

    name: str
    sha256: str
    size: int
    records: int


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record the parser could not take, with where and why, so that a reviewer can
    see what is missing from the screening list rather than not knowing."""

    file: str
    where: str
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} {self.where}: {self.field} {self.reason}; got {self.value!r}"


@dataclass(frozen=True, slots=True)
class ScreeningList:
    """A snapshot of one list: which list, which publication, from which files (with
    hashes), its entries and the records it rejected."""

    list_id: str
    name: str
    version: str | None
    sources: tuple[SourceFile, ...]
    entries: tuple[ListEntry, ...]
    rejections: tuple[Rejection, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return (f"ScreeningList({self.list_id!r}, version={self.version!r}, "
                f"entries={len(self.entries)}, rejections={len(self.rejections)})")

    def entry(self, entry_id: str) -> ListEntry:
        """The entry with this id; ``KeyError`` naming it when absent."""
        for candidate in self.entries:
            if candidate.entry_id == entry_id:
                return candidate
        raise KeyError(f"{self.list_id} has no entry {entry_id!r}")
