"""Sanctions and denied-party screening: lists in, ranked and explained hits out.

The pure core (no database, HTTP or CLI): read a list, build a screener once, screen
party names. Everything else in this package is private or for benchmarks.

Lists
    ``load_list(path, version=None)``
        Load OFAC's legacy CSV (a folder with ``sdn.csv`` [+ ``alt.csv``, ``add.csv``] or
        one ``.csv``), OFAC's SDN XML or the UN Security Council consolidated XML; the
        format is told by content. Returns a ``ScreeningList``; rows that could not be read
        are on its ``rejections`` (file, line, field, value, reason), never dropped
        silently. A file that is not a list at all raises ``ScreeningListInvalid``.
    ``load_default_list()``
        The shipped OFAC SDN snapshot of 2024-05-03 (a fixture, not a current list).
    ``ScreeningList``
        list id ("us-ofac-sdn", "un-sc-consolidated"), name, version (publication date),
        ``sources`` (file name, sha256, size, records), ``entries``, ``rejections``.
    ``ListEntry``
        list id, entry id, ``EntryKind`` (individual / entity / vessel / aircraft), name,
        ``Alias`` es (``AliasType`` aka / fka / nka, ``AliasStrength`` strong / weak),
        programs, ``Address`` es, ``Country`` s (code, name, ``CountryRole``),
        ``Identifier`` s (type, value, country), birth dates, title, remarks.

Screening
    ``Screener(*lists)``
        Built once (about a second for the SDN list; picklable). ``build_seconds`` and
        ``lists`` (``ListVersion``: which publications, with hashes) say what it holds.
    ``Screener.screen(name | Party, *, kind, country, identifier, address, threshold,
    limit)`` -> ``list[Hit]``
        Hits at or above ``threshold`` (default ``DEFAULT_THRESHOLD``), best first, one
        per list entry. ``PartyKind`` hints person / organisation / vessel / aircraft.
        Never raises on odd text; a non-text name or unknown kind raises
        ``ScreeningQueryInvalid``.
    ``Screener.screen_many(parties)`` -> ``list[list[Hit]]``
        The batch path, in order.
    ``Hit``
        ``entry``, ``score`` in [0, 1], ``matched_name`` (``MatchedName``: the primary name
        or which alias, its type and strength) and ``explanation`` (``Explanation``: the
        normalised query and list name, ``TokenMatch`` es with similarity and method
        (exact / transliteration / fuzzy / merged), unmatched tokens on either side, query
        and list coverage, the name score, legal forms ignored, and ``Evidence``: country
        match or mismatch, identifier match, kind compatibility, weak alias, address
        city). ``Explanation.lines()`` renders it for an officer.

Normalisation
    ``normalise_name(text, NameKind)`` -> ``NormalisedName``
        The comparison form of a name: transliterated to ASCII, casefolded, punctuation
        gone, legal forms, honorifics and (organisations) stop-words set aside and kept.

Benchmarks and their tools live in ``variants`` (labelled set), ``evaluate`` (recall,
false hits, threshold choice) and ``baseline`` (plain rapidfuzz); see
``benchmarks/screening.py``.
"""

from smartcustoms.screening.errors import (
    ScreenerEmpty,
    ScreeningListInvalid,
    ScreeningQueryInvalid,
)
from smartcustoms.screening.hits import (
    Evidence,
    Explanation,
    Hit,
    ListVersion,
    MatchedName,
    Party,
    PartyKind,
    TokenMatch,
)
from smartcustoms.screening.lists import load_default_list, load_list
from smartcustoms.screening.matcher import DEFAULT_THRESHOLD, Screener
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
from smartcustoms.screening.normalise import NameKind, NormalisedName, normalise_name

__all__ = [
    "DEFAULT_THRESHOLD",
    "Address",
    "Alias",
    "AliasStrength",
    "AliasType",
    "Country",
    "CountryRole",
    "EntryKind",
    "Evidence",
    "Explanation",
    "Hit",
    "Identifier",
    "ListEntry",
    "ListVersion",
    "MatchedName",
    "NameKind",
    "NormalisedName",
    "Party",
    "PartyKind",
    "Rejection",
    "Screener",
    "ScreenerEmpty",
    "ScreeningList",
    "ScreeningListInvalid",
    "ScreeningQueryInvalid",
    "SourceFile",
    "TokenMatch",
    "load_default_list",
    "load_list",
    "normalise_name",
]
