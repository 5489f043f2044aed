"""Column-wise fast path for CSV imports: declarations proven valid without pydantic.

``ingest._validate_csv_chunk`` turns each group of item rows into a declaration through the
mapping, the pydantic model and the rules (about 50 µs a row). For a mapping it understands,
``FastPath`` checks the same constraints a column at a time — a whole column against one
regular expression, code lists once per distinct value — and writes the canonical document
by joining JSON fragments in the order pydantic dumps the model. The exact path stays the
oracle and the source of error messages: a group the fast path cannot prove valid goes back
to it, and what the fast path accepts is identical to what the exact path produces (id,
document, digest, rows, line).

Checked as the exact path checks them (mapping.py, models.py, types.py, rules.py):

- cells: stripped; empty ones left out; ``null_values`` (the field left out and named
  absent, the original kept in ``source_extra``); ``round``; ``decimal_separator``;
  ``date_format`` (the mapping's own converters); constants (a nested one only completing
  an object a column created); ``keep_unmapped`` (the first row's other cells kept);
- values: codes (1-35 of ``A-Za-z0-9._/-``); printable texts (1-512; reference 1-35,
  postcode up to 17, national values up to 256); ISO 3166 countries, ISO 4217 currencies,
  Rec 20 units and Incoterms, case-folded as the model folds them; HS codes (6, 8 or 10
  digits, dots and spaces dropped; an HS 2022 subheading, or a known chapter for HS 2017 and
  HS 2012); HS editions; the profile; decimals > 0 or >= 0 with at most 14 digits before
  and 6 after the point; duty rates 0-1000; integers >= 0; ISO dates from 1988-01-01 to
  today plus one day;
- objects: Money and Quantity need both fields, trade terms an Incoterm, a party an
  identifier or a name; reference, date, office and each item's HS code are required, and
  the profile's required fields and item fields unless absent (or emptied by a null value);
  a declarant with an identifier; an importer (``full``) or an importer or a consignee
  (``low_value``); gross mass at least the net mass; header totals against the items
  (invoice total: one currency, within 0.01 an item, the low-value threshold; gross mass
  within 0.001 kg an item; packages);
- groups: rows as wide as the header, header and party cells equal across the rows of a
  group (compared stripped), at most 999 items.

Declined, so that the exact path decides:

- a whole mapping (``FastPath.for_mapping`` gives None, ``decline_reason`` says why) that
  targets anything outside the fields above or a whole object (``items.price``,
  ``documents``, ``items.sequence``), maps the profile from a column, states a constant
  that is not a plain valid string or that a column also fills, gives a party a constant,
  spreads one party's columns apart, reads a header that repeats a name or has a column
  named like a kept original of a later item (``Net Mass#2``), or when the declaration
  models no longer have the fields this module was written for;
- a group with a ragged row, any value outside the accepted forms (each written back
  unchanged by pydantic, e.g. no exponent, no leading zero, no more than 6 decimal places),
  or any failed check.

The machinery lives in ``declarations._columnar``; this module is its public face.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Sequence
from itertools import repeat
from typing import Any

from smartcustoms.declarations._columnar.assemble import Assembly
from smartcustoms.declarations._columnar.evaluate import Memo
from smartcustoms.declarations._columnar.plan import Unsupported, build_plan
from smartcustoms.declarations.mapping import CompiledMapping, MappingSpec
from smartcustoms.declarations.prepare import PreparedDeclaration
from smartcustoms.errors import MappingInvalid

__all__ = ["CsvGroup", "FastPath", "decline_reason", "fast_prepare"]

# A group: (first line, [(line, row), ...]); a negative line marks a ragged row (ingest.py).
CsvGroup = tuple[int, list[tuple[int, list[str]]]]


class FastPath:
    """A mapping compiled for the column-wise path, for one file's header.

    Build it with ``for_mapping`` (None when the mapping uses something this path does not
    reproduce), once per import; it pickles as (spec, header) and compiles again where it
    lands, e.g. in a worker process.
    """

    def __init__(self, spec: MappingSpec, header: Sequence[str]) -> None:
        self.spec = spec
        self.header = list(header)
        self._plan = build_plan(spec, self.header)
        self._memo: Memo = {}  # checked code-list values, dates, HS codes, across chunks
        self._memo_today: dt.date | None = None

    @classmethod
    def for_mapping(cls, spec: MappingSpec, header: Sequence[str]) -> FastPath | None:
        try:
            return cls(spec, header)
        except (Unsupported, MappingInvalid):
            return None

    def __reduce__(self) -> tuple[Any, ...]:
        return FastPath, (self.spec, self.header)

    def prepare(
        self, groups: list[CsvGroup], *, today: dt.date, absent: frozenset[str]
    ) -> tuple[list[PreparedDeclaration], list[CsvGroup]]:
        """(prepared declarations of the groups proven valid, the groups left for the exact
        path), each in the order of ``groups``; ``PreparedDeclaration.line`` interleaves
        them back in file order. ``today`` and ``absent`` as the exact path gets them."""
        if not groups:
            return [], []
        if today != self._memo_today:  # dates were checked against another day
            self._memo.clear()
            self._memo_today = today
        firsts = [lines_rows[0] for _, lines_rows in groups]
        rows = [row for _, row in firsts]
        if (sum(len(lines_rows) for _, lines_rows in groups) == len(groups)
                and min(line for line, _ in firsts) > 0
                and set(map(len, rows)) == {self._plan.width}):
            # the usual chunk: one row a declaration, none ragged
            results = Assembly(self._plan, rows, today, absent, self._memo).single_rows(
                [line for line, _ in groups])
        else:
            results = self._mixed(groups, today, absent)
        prepared = [p for p in results if p is not None]
        declined = [g for g, p in zip(groups, results, strict=True) if p is None]
        return prepared, declined

    def _mixed(self, groups: list[CsvGroup], today: dt.date, absent: frozenset[str]
               ) -> list[PreparedDeclaration | None]:
        """The result of each group, in a chunk with larger groups or ragged rows."""
        rows: list[list[str]] = []
        lines: list[int] = []  # each row's group's first line
        spans: list[range | None] = []  # each group's rows in ``rows``; None: declined
        for first_line, lines_rows in groups:
            if len(lines_rows) <= 999 and all(n > 0 and len(r) == self._plan.width
                                              for n, r in lines_rows):
                spans.append(range(len(rows), len(rows) + len(lines_rows)))
                rows.extend(r for _, r in lines_rows)
                lines.extend(repeat(first_line, len(lines_rows)))
            else:  # ragged rows (quarantined with the reason), or more than 999 items
                spans.append(None)
        if not rows:
            return [None] * len(groups)
        assembly = Assembly(self._plan, rows, today, absent, self._memo)
        singles = assembly.single_rows(lines)
        return [None if span is None else singles[span[0]] if len(span) == 1
                else assembly.group(line, span)
                for (line, _), span in zip(groups, spans, strict=True)]


def decline_reason(spec: MappingSpec, header: Sequence[str]) -> str | None:
    """Why ``FastPath.for_mapping`` declines this mapping; None when it does not."""
    try:
        FastPath(spec, header)
    except (Unsupported, MappingInvalid) as exc:
        return str(exc)
    return None


_fast_paths: weakref.WeakKeyDictionary[CompiledMapping, FastPath | None] = (
    weakref.WeakKeyDictionary())


def fast_prepare(
    groups: list[CsvGroup], mapping: CompiledMapping, *, today: dt.date,
    absent: frozenset[str],
) -> tuple[list[PreparedDeclaration], list[CsvGroup]]:
    """(prepared declarations of the groups proven valid, the groups left for the exact
    row-by-row path), each in the order of ``groups``; every group is left when the
    mapping is not supported. The mapping is compiled once, on its first chunk."""
    if mapping not in _fast_paths:
        _fast_paths[mapping] = FastPath.for_mapping(mapping.spec, mapping.header)
    fast = _fast_paths[mapping]
    if fast is None:
        return [], list(groups)
    return fast.prepare(groups, today=today, absent=absent)
