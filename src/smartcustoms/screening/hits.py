"""What a screening answers: hits, and the explanation an officer reads beside each.

The shapes are plain frozen dataclasses (``dataclasses.asdict`` gives JSON-ready data):
the party screened, the list name that matched, the token alignment, the evidence.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smartcustoms.screening.models import (
    Address,
    AliasStrength,
    AliasType,
    EntryKind,
    ListEntry,
    SourceFile,
)
from smartcustoms.screening.normalise import NormalisedName


class PartyKind(enum.StrEnum):
    """What the screened party is, when the caller knows."""

    person = "person"
    organisation = "organisation"
    vessel = "vessel"
    aircraft = "aircraft"


COMPATIBLE_KINDS: dict[PartyKind, set[EntryKind]] = {
    PartyKind.person: {EntryKind.individual},
    PartyKind.organisation: {EntryKind.entity, EntryKind.vessel, EntryKind.aircraft},
    PartyKind.vessel: {EntryKind.vessel, EntryKind.entity},
    PartyKind.aircraft: {EntryKind.aircraft, EntryKind.entity},
}


@dataclass(frozen=True, slots=True)
class Party:
    """A party to screen: a name, and what else the declaration says about it.
    ``country`` is an ISO code or a country name."""

    name: str
    kind: PartyKind | None = None
    country: str | None = None
    identifier: str | None = None
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class MatchedName:
    """The list name that matched: the primary name (``alias_type`` None) or an alias."""

    text: str
    alias_type: AliasType | None
    strength: AliasStrength

    @property
    def primary(self) -> bool:
        return self.alias_type is None


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """Query tokens aligned with list tokens: ``method`` is exact, transliteration,
    fuzzy (typo) or merged (one word against two)."""

    query: tuple[str, ...]
    listed: tuple[str, ...]
    similarity: float
    method: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """One secondary fact: ``kind`` country / identifier / kind / alias / address,
    ``outcome`` match, mismatch, weak, unknown ..., and the score change it made."""

    kind: str
    outcome: str
    detail: str
    adjustment: float = 0.0


@dataclass(frozen=True, slots=True)
class Explanation:
    query: NormalisedName
    listed: NormalisedName
    matches: tuple[TokenMatch, ...]
    unmatched_query: tuple[str, ...]
    unmatched_listed: tuple[str, ...]
    query_coverage: float
    list_coverage: float
    name_score: float
    evidence: tuple[Evidence, ...]

    @property
    def legal_forms_ignored(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.query.legal_forms + self.listed.legal_forms))

    def lines(self) -> list[str]:
        """The explanation as short lines for an officer's screen."""
        out = [f"compared {self.query.text!r} with {self.listed.text!r}"]
        for m in self.matches:
            out.append(f"  {' '.join(m.query)} ~ {' '.join(m.listed)}: "
                       f"{m.similarity:.2f} ({m.method})")
        if self.unmatched_query:
            out.append(f"  not on the list name: {', '.join(self.unmatched_query)}")
        if self.unmatched_listed:
            out.append(f"  not in the query: {', '.join(self.unmatched_listed)}")
        out.append(f"  coverage: query {self.query_coverage:.2f}, list name "
                   f"{self.list_coverage:.2f}; name score {self.name_score:.2f}")
        if self.legal_forms_ignored:
            out.append(f"  legal forms ignored: {', '.join(self.legal_forms_ignored)}")
        for e in self.evidence:
            change = f" ({e.adjustment:+.2f})" if e.adjustment else ""
            out.append(f"  {e.kind}: {e.outcome}, {e.detail}{change}")
        return out


@dataclass(frozen=True, slots=True)
class Hit:
    entry: ListEntry
    score: float
    matched_name: MatchedName
    explanation: Explanation

    @property
    def list_id(self) -> str:
        return self.entry.list_id

    @property
    def entry_id(self) -> str:
        return self.entry.entry_id


@dataclass(frozen=True, slots=True)
class ListVersion:
    """Which publication a screener holds, for the record of each screening."""

    list_id: str
    name: str
    version: str | None
    sources: tuple[SourceFile, ...]
    entries: int
