"""HS 2022 nomenclature: loading with validation, code normalisation and look-ups.

Data: ``data/reference/hs2022`` (see PROVENANCE.md there). Entries are immutable and a
loaded ``HSNomenclature`` is never mutated, so the cached default can be shared freely.
"""

from __future__ import annotations

import csv
import heapq
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from smartcustoms.reference.errors import ReferenceDataError

HSLevel = Literal["section", "chapter", "heading", "subheading"]
LEVELS: tuple[HSLevel, ...] = ("section", "chapter", "heading", "subheading")

# src/smartcustoms/reference/hs.py -> repo root; enough because the package is installed editable.
DEFAULT_HS2022_DIR = Path(__file__).resolve().parents[3] / "data" / "reference" / "hs2022"
HS_FILE = "harmonized-system.csv"
SECTIONS_FILE = "sections.csv"

_HS_COLUMNS = ["section", "hscode", "description", "parent", "level"]
_SECTION_COLUMNS = ["section", "name"]
_ROOT = "TOTAL"  # synthetic root row / "no section" marker used by the upstream file
_LEVEL_BY_COLUMN: dict[str, HSLevel] = {"2": "chapter", "4": "heading", "6": "subheading"}
_ROMAN = re.compile(r"[IVXLC]+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class HSEntry:
    """One node of the HS tree.

    ``code`` is the Roman numeral for a section, else 2/4/6 digits. ``parent`` is the code one
    level up (a chapter's parent is its section); ``section`` is None only for chapter 99, which
    UN Comtrade adds outside any WCO section.
    """

    code: str
    level: HSLevel
    description: str
    parent: str | None
    section: str | None


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _digits(text: str, what: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, not {type(text).__name__}")
    cleaned = "".join(text.split()).replace(".", "")
    # isascii(): str.isdigit() also accepts e.g. '²' or Arabic-Indic digits.
    if not cleaned or not (cleaned.isascii() and cleaned.isdigit()):
        raise ValueError(f"{what} must be digits (dots and spaces allowed), got {_show(text)}")
    return cleaned


def normalize_hs_code(text: str) -> str:
    """'8517.62' / '85 17 62' / '851762' -> '851762'. Raises ValueError unless 2, 4 or 6 digits."""
    code = _digits(text, "HS code")
    if len(code) not in (2, 4, 6):
        raise ValueError(f"HS code must have 2, 4 or 6 digits, got {len(code)}: {_show(text)}")
    return code


class HSNomenclature:
    """Immutable, indexed HS tree. Build it with ``load_hs2022()``."""

    __slots__ = (
        "_by_code",
        "_chapters",
        "_codes",
        "_headings",
        "_index",
        "_sections",
        "_sorted_codes",
        "_subheadings",
        "source",
    )

    def __init__(self, entries: Iterable[HSEntry], *, source: Path | None = None) -> None:
        self.source = source
        by_code: dict[str, HSEntry] = {}
        for entry in entries:
            if entry.code in by_code:
                raise ValueError(f"duplicate HS entry {entry.code!r}")
            by_code[entry.code] = entry
        sections = {c: e for c, e in by_code.items() if e.level == "section"}
        numeric = sorted(c for c, e in by_code.items() if e.level != "section")
        # Sections first, then codes in sorted (= depth-first tree) order.
        self._by_code = {**sections, **{c: by_code[c] for c in numeric}}
        self._sections: Mapping[str, HSEntry] = MappingProxyType(sections)
        self._sorted_codes = numeric
        self._codes = frozenset(numeric)  # exists() is a single set lookup on this
        self._chapters = frozenset(c for c in numeric if len(c) == 2)
        self._headings = frozenset(c for c in numeric if len(c) == 4)
        self._subheadings = frozenset(c for c in numeric if len(c) == 6)
        # Casefolded text + word set per entry, computed once for search().
        self._index = {
            code: (e.description.casefold(), frozenset(_WORD.findall(e.description.casefold())))
            for code, e in self._by_code.items()
        }

    # --- membership -------------------------------------------------------------------------
    def exists(self, code: str) -> bool:
        """True if ``code`` (2/4/6 digits, dots/spaces allowed) is in the nomenclature.

        Never raises for malformed text (returns False): it validates user input in bulk.
        """
        if code in self._codes:  # fast path: input already normalised
            return True
        if len(code) == 6 and code.isdigit():  # already normalised and absent
            return False
        try:
            return normalize_hs_code(code) in self._codes
        except ValueError:
            return False

    __contains__ = exists

    def chapter_exists(self, cc: str) -> bool:
        try:
            return normalize_hs_code(cc) in self._chapters
        except ValueError:
            return False

    @property
    def sections(self) -> Mapping[str, HSEntry]:
        """Roman numeral -> section entry, in order I..XXI."""
        return self._sections

    @property
    def chapters(self) -> frozenset[str]:
        return self._chapters

    @property
    def headings(self) -> frozenset[str]:
        return self._headings

    @property
    def subheadings(self) -> frozenset[str]:
        return self._subheadings

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[HSEntry]:
        return iter(self._by_code.values())

    # --- look-ups ---------------------------------------------------------------------------
    def get(self, code: str) -> HSEntry | None:
        """Entry for an HS code or section numeral; None if absent.

        Raises ValueError for text that is neither a section numeral nor 2/4/6 digits.
        """
        entry = self._by_code.get(code)
        if entry is not None:
            return entry
        section = self._sections.get(code.strip().upper())
        if section is not None:
            return section
        return self._by_code.get(normalize_hs_code(code))

    def path(self, code: str) -> list[HSEntry]:
        """[section, chapter, heading, subheading] down to ``code``; [] if the code is absent."""
        entry = self.get(code)
        chain: list[HSEntry] = []
        while entry is not None:
            chain.append(entry)
            entry = self._by_code.get(entry.parent) if entry.parent is not None else None
        chain.reverse()
        return chain

    def search(
        self,
        prefix: str | None = None,
        query: str | None = None,
        limit: int = 20,
        level: str | None = None,
    ) -> list[HSEntry]:
        """Entries whose code starts with ``prefix`` and whose description holds every word of
        ``query`` (case-insensitive substring match; a query without words is ignored).

        Ranked by: more query words matching a whole description word, then shorter
        description, then code. Without a query, results come in tree order.
        """
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        if level is not None and level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        if prefix is None:
            candidates: Iterable[str] = self._by_code
        else:
            candidates = self._prefixed(_digits(prefix, "HS code prefix"))
        if level is not None:
            candidates = (c for c in candidates if self._by_code[c].level == level)
        words = _WORD.findall(query.casefold()) if query is not None else []
        if not words:
            return [self._by_code[c] for c, _ in zip(candidates, range(limit), strict=False)]

        ranked: list[tuple[int, int, str]] = []
        for code in candidates:
            text, tokens = self._index[code]
            if all(w in text for w in words):
                exact = sum(w in tokens for w in words)
                ranked.append((-exact, len(text), code))
        return [self._by_code[c] for _, _, c in heapq.nsmallest(limit, ranked)]

    def _prefixed(self, prefix: str) -> Iterator[str]:
        codes = self._sorted_codes
        for i in range(bisect_left(codes, prefix), len(codes)):
            if not codes[i].startswith(prefix):
                break
            yield codes[i]


# --- loading ----------------------------------------------------------------------------------
def _read_csv(path: Path, columns: list[str]) -> list[tuple[int, list[str]]]:
    """Rows with their 1-based starting line; header and column count checked."""
    rows: list[tuple[int, list[str]]] = []
    try:
        # utf-8-sig: upstream files carry a BOM (sections.csv does, harmonized-system.csv not).
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            header = next(reader, None)
            if header != columns:
                raise ReferenceDataError(
                    f"expected header {','.join(columns)!r}",
                    path=path,
                    line=1,
                    value=",".join(header or []),
                )
            start = reader.line_num + 1
            for row in reader:
                if row:  # tolerate blank lines
                    if len(row) != len(columns):
                        raise ReferenceDataError(
                            f"expected {len(columns)} columns, got {len(row)}: {','.join(row)!r}",
                            path=path,
                            line=start,
                            value=",".join(row),
                        )
                    rows.append((start, row))
                start = reader.line_num + 1
    except OSError as exc:
        raise ReferenceDataError(f"cannot read reference file ({exc.strerror})", path=path) from exc
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(f"not valid UTF-8 ({exc.reason})", path=path) from exc
    except csv.Error as exc:
        raise ReferenceDataError(f"malformed CSV ({exc})", path=path) from exc
    return rows


def _load_sections(path: Path) -> dict[str, HSEntry]:
    sections: dict[str, HSEntry] = {}
    for line, (raw_numeral, raw_name) in _read_csv(path, _SECTION_COLUMNS):
        numeral, name = raw_numeral.strip(), raw_name.strip()
        if not _ROMAN.fullmatch(numeral):
            raise ReferenceDataError(
                f"section must be a Roman numeral, got {numeral!r}",
                path=path,
                line=line,
                value=numeral,
            )
        if numeral in sections:
            raise ReferenceDataError(
                f"duplicate section {numeral!r}", path=path, line=line, value=numeral
            )
        if not name:
            raise ReferenceDataError(
                f"section {numeral!r} has an empty name", path=path, line=line, value=numeral
            )
        sections[numeral] = HSEntry(numeral, "section", name, None, numeral)
    return sections


def _load_dir(directory: Path) -> HSNomenclature:
    sections = _load_sections(directory / SECTIONS_FILE)
    path = directory / HS_FILE

    def fail(message: str, line: int, value: str) -> ReferenceDataError:
        return ReferenceDataError(f"{message}: {value!r}", path=path, line=line, value=value)

    # Pass 1: each row on its own. Pass 2: parents (which could in principle come later).
    rows: dict[str, tuple[int, HSEntry]] = {}
    for line, (section, code, description, parent, level_col) in _read_csv(path, _HS_COLUMNS):
        if level_col == "5" and code == _ROOT and parent == _ROOT:
            continue  # the synthetic "Total of all HS2022 commodities" root
        level = _LEVEL_BY_COLUMN.get(level_col)
        if level is None:
            raise fail("level must be 2, 4 or 6", line, level_col)
        if not (code.isascii() and code.isdigit() and len(code) == int(level_col)):
            raise fail(f"code must be {level_col} digits for level {level_col}", line, code)
        if code in rows:
            raise fail(f"duplicate code (first on line {rows[code][0]})", line, code)
        if section != _ROOT and section not in sections:
            raise fail(f"section not in {SECTIONS_FILE}", line, section)
        if not description.strip():
            raise fail("empty description for code", line, code)
        if level == "chapter" and parent != _ROOT:
            raise fail(f"parent of chapter {code!r} must be {_ROOT}", line, parent)
        sec = None if section == _ROOT else section
        # A chapter hangs under its section in our tree; the file says TOTAL.
        tree_parent = sec if level == "chapter" else parent
        rows[code] = (line, HSEntry(code, level, description.strip(), tree_parent, sec))

    for code, (line, entry) in rows.items():
        if entry.level == "chapter":  # parent column already checked in pass 1
            continue
        parent = rows.get(entry.parent or "")
        if parent is None:
            raise fail(f"parent of {code!r} not found", line, entry.parent or "")
        if len(parent[1].code) != len(code) - 2 or not code.startswith(parent[1].code):
            raise fail(f"parent of {code!r} is not the level above it", line, parent[1].code)
        if parent[1].section != entry.section:
            raise fail(
                f"section differs from parent {parent[1].code!r} ({parent[1].section})",
                line,
                entry.section or _ROOT,
            )
    return HSNomenclature([*sections.values(), *(e for _, e in rows.values())], source=directory)


@lru_cache(maxsize=1)
def _load_default() -> HSNomenclature:
    return _load_dir(DEFAULT_HS2022_DIR)


def load_hs2022(path: str | PathLike[str] | None = None) -> HSNomenclature:
    """Load and validate the HS 2022 tables from directory ``path`` (default: the shipped data,
    loaded once and cached). Raises ReferenceDataError naming file, line and value."""
    if path is None:
        return _load_default()
    return _load_dir(Path(path))
