"""What every document reader shares: the document's conventions, reading a labelled
field into a typed value with evidence, parties, containers, and the missing list."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from smartcustoms.declarations.models import Money
from smartcustoms.documents.errors import DocumentValueInvalid
from smartcustoms.documents.extract.containers import FoundContainer, find_containers
from smartcustoms.documents.extract.labels import (
    CONTACT,
    Candidate,
    PageText,
    base_confidence,
)
from smartcustoms.documents.extract.layout import (
    Line,
    Word,
    bbox_of,
    evidence_basis,
    source_text,
)
from smartcustoms.documents.extract.lexicon import PARTY_ID, label_key
from smartcustoms.documents.extract.tables import Row
from smartcustoms.documents.models import DocumentParty, Evidence, ReadProblem
from smartcustoms.documents.parsing import (
    DecimalMark,
    infer_decimal_mark,
    parse_amount,
    parse_country,
    parse_currency,
    parse_date,
    parse_mass_kg,
    parse_quantity,
    parse_unit,
)
from smartcustoms.reference import CURRENCY_CODES

T = TypeVar("T")
_COUNTED = frozenset({"H87", "C62", "NAR", "PR", "NPR", "SET", "DZN", "DPR"})
_GROUPED_COUNT = re.compile(r"^\d{1,3}([.,])\d{3}$")
_COMMA_LANGUAGES = frozenset({"de", "fr", "es", "it", "nl", "pt"})
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})\b")


@dataclass(slots=True)
class Context:
    """One document being read: its text, conventions, and what was found so far."""

    text: PageText
    decimal_mark: DecimalMark | None
    decimal_sure: bool
    day_first: bool
    evidence: dict[str, Evidence] = field(default_factory=dict)
    problems: list[ReadProblem] = field(default_factory=list)

    @classmethod
    def build(cls, text: PageText) -> Context:
        words = [w.text for page in text.pages for line in page.lines for w in line.words]
        mark = infer_decimal_mark(words)
        sure = mark is not None
        if mark is None:
            votes = Counter(hit.language for hit in text.hits if hit.language != "*")
            language = votes.most_common(1)[0][0] if votes else "en"
            mark = "," if language in _COMMA_LANGUAGES else "."
        return cls(text=text, decimal_mark=mark, decimal_sure=sure,
                   day_first=_day_first(words))

    # --- reading fields ------------------------------------------------------------------
    def read(
        self,
        key: str,
        path: str,
        parse: Callable[[Candidate], tuple[T, float]],
        *,
        last: bool = False,
        below: bool = True,
    ) -> T | None:
        """The first (or ``last``) labelled value of ``key`` that parses; its evidence
        goes under ``path``. A value that does not parse is a problem if none does."""
        hits = list(self.text.hits_for(key))
        failure: tuple[Candidate, DocumentValueInvalid] | None = None
        for hit in reversed(hits) if last else hits:
            for candidate in self.text.values(hit, below=below):
                try:
                    value, certainty = parse(candidate)
                except DocumentValueInvalid as exc:
                    failure = failure or (candidate, exc)
                    continue
                self.evidence[path] = candidate.evidence(base_confidence(candidate) * certainty)
                return value
        if failure is not None:
            candidate, exc = failure
            self.problem(path, exc.detail, candidate.text, candidate.evidence(0.3))
        return None

    def problem(self, path: str, message: str, text: str | None = None,
                evidence: Evidence | None = None) -> None:
        self.problems.append(ReadProblem(field=path, message=message, text=text,
                                         evidence=evidence))

    def note(self, path: str, words: Sequence[Word], confidence: float, *,
             method: str = "pdf-text", label: str | None = None) -> None:
        """Evidence for a value read from ``words`` outside ``read``."""
        ordered = list(words)
        method, confidence = evidence_basis(ordered, method, confidence)
        self.evidence[path] = Evidence(
            page=ordered[0].page, bbox=bbox_of(ordered), method=method,  # type: ignore[arg-type]
            confidence=round(min(max(confidence, 0.0), 1.0), 3),
            text=source_text(" ".join(w.text for w in ordered), ordered)[:4000], label=label,
        )

    # --- typed parsers for candidates ----------------------------------------------------
    def certainty(self) -> float:
        return 1.0 if self.decimal_sure else 0.85

    def amount(self, candidate: Candidate, field_path: str,
               currency: str | None) -> tuple[Money, float]:
        value, printed = parse_amount(candidate.text, decimal_mark=self.decimal_mark,
                                      field=field_path)
        code = printed or currency
        if code is None:
            raise DocumentValueInvalid(f"{field_path}: no currency printed or known",
                                       field=field_path, value=candidate.text)
        return Money(amount=abs(value), currency=code), self.certainty()

    def mass(self, text: str, field: str, *, packages: int | None = None,
             containers: int | None = None) -> tuple[Decimal, float]:
        """Kilograms as printed. When the document never shows its decimal mark, '886.050'
        is read both ways and a reading no package or container could hold is dropped."""
        if self.decimal_sure:
            return parse_mass_kg(text, decimal_mark=self.decimal_mark, field=field), 1.0
        other: DecimalMark = "." if self.decimal_mark == "," else ","
        readings: list[Decimal] = []
        error: DocumentValueInvalid | None = None
        for mark in (self.decimal_mark, other):
            try:
                readings.append(parse_mass_kg(text, decimal_mark=mark, field=field))
            except DocumentValueInvalid as exc:
                error = error or exc
        if not readings:
            assert error is not None
            raise error
        if len(set(readings)) == 1:
            return readings[0], 1.0
        plausible = [r for r in readings if _plausible_mass(r, packages, containers)]
        if plausible:
            return plausible[0], 0.8 if len(plausible) == 1 else 0.7
        return readings[0], 0.6

    def quantity(self, text: str, field: str, *, unit: str | None) -> tuple[Decimal, str, float]:
        """(value, Rec 20 unit, certainty). When the document never shows its decimal
        mark, a count of pieces, pairs or sets must be whole: '2,400 pcs' is 2400."""
        value, code = parse_quantity(text, decimal_mark=self.decimal_mark, unit=unit,
                                     field=field)
        if self.decimal_sure or code not in _COUNTED or value == value.to_integral_value():
            return value, code, 1.0 if self.decimal_sure else 0.85
        other: DecimalMark = "." if self.decimal_mark == "," else ","
        try:
            again, _code = parse_quantity(text, decimal_mark=other, unit=unit, field=field)
        except DocumentValueInvalid:
            return value, code, 0.6
        if again == again.to_integral_value():
            return again, code, 0.8
        return value, code, 0.6

    def learn_from_counts(self, rows: Iterable[Row]) -> None:
        """When no number on the page shows the decimal mark, counts decide it: '1,000
        pieces' has no fraction of a piece, so its ',' groups thousands."""
        if self.decimal_sure:
            return
        votes: Counter[str] = Counter()
        for row in rows:
            text = row.text("qty")
            unit_text = row.text("unit") or " ".join(text.split()[1:])
            match = _GROUPED_COUNT.match(text.split(" ")[0]) if text else None
            if match is None or not unit_text:
                continue
            try:
                unit = parse_unit(unit_text)
            except DocumentValueInvalid:
                continue
            if unit in _COUNTED:
                votes["." if match.group(1) == "," else ","] += 1
        if len(votes) == 1:
            self.decimal_mark = next(iter(votes))  # type: ignore[assignment]

    def learn_from_masses(self, samples: Iterable[tuple[str, int | None]]) -> None:
        """When no number shows the decimal mark, masses may: '86.400' kg on one pallet is
        86.4 kg, as 86,400 kg could not be. A document keeps one convention, so one mass
        that only one reading allows decides for all of them."""
        if self.decimal_sure:
            return
        votes: Counter[str] = Counter()
        for text, packages in samples:
            plausible = set()
            for mark in (".", ","):
                try:
                    value = parse_mass_kg(text, decimal_mark=mark)  # type: ignore[arg-type]
                except DocumentValueInvalid:
                    continue
                if _plausible_mass(value, packages, None):
                    plausible.add(mark)
            if len(plausible) == 1:
                votes[plausible.pop()] += 1
        if len(votes) == 1:
            self.decimal_mark = next(iter(votes))  # type: ignore[assignment]

    def party(self, key: str, path: str, *, fallback: Candidate | None = None
              ) -> DocumentParty | None:
        """A party block under its label (or ``fallback``, e.g. the letterhead)."""
        for hit in self.text.hits_for(key):
            block = self.text.block(hit)
            if block is not None and block.lines:
                party = self.party_from_block(block, path)
                if party is not None:
                    return party
        if fallback is not None:
            return self.party_from_block(self.text.block_from(fallback), path)
        return None

    def party_from_block(self, block: Candidate, path: str) -> DocumentParty | None:
        """Name (first line), tax number ('VAT No.: …' line), country (last line, or after
        the last comma), address (the lines between); contact lines are dropped."""
        confidence = base_confidence(block)
        lines = [list(line) for line in block.lines]
        identifier: tuple[str, list[Word]] | None = None
        kept: list[list[Word]] = []
        for line in lines:
            found = _party_id(line)
            if found is not None:
                identifier = identifier or found
                continue
            if label_key(line[0].text) in CONTACT or label_key(
                    " ".join(w.text for w in line[:2])) in CONTACT:
                continue
            kept.append(line)
        if not kept:
            return None
        name_words = kept[0]
        if _looks_like_label_only(name_words):
            return None
        values: dict[str, Any] = {"name": " ".join(w.text for w in name_words).strip(" ,")}
        self.note(f"{path}.name", name_words, confidence, label=block.hit.text if block.hit
                  else None)
        rest = kept[1:]
        if rest:
            country = _country_of(rest[-1])
            if country is not None:
                code, country_words, remainder = country
                values["country"] = code
                self.note(f"{path}.country", country_words, confidence)
                rest = rest[:-1] + ([remainder] if remainder else [])
        if rest:
            values["address"] = ", ".join(" ".join(w.text for w in line).strip(" ,")
                                          for line in rest)
            self.note(f"{path}.address", [w for line in rest for w in line], confidence)
        if identifier is not None:
            values["identifier"] = identifier[0]
            self.note(f"{path}.identifier", identifier[1], confidence)
        return DocumentParty(**values)


MAX_KG_PER_PACKAGE = Decimal(5000)
MAX_KG_PER_CONTAINER = Decimal(35000)


def _plausible_mass(kg: Decimal, packages: int | None, containers: int | None) -> bool:
    if packages and kg / packages > MAX_KG_PER_PACKAGE:
        return False
    return not (containers and kg / containers > MAX_KG_PER_CONTAINER)


def _party_id(line: Sequence[Word]) -> tuple[str, list[Word]] | None:
    keys = [label_key(w.text) for w in line[:5]]
    for count in range(len(keys), 0, -1):
        joined = " ".join(k for k in keys[:count] if k)
        if joined in PARTY_ID:
            rest = [w for w in line[count:] if w.text not in (":", "-")]
            if rest:
                value = " ".join(w.text for w in rest).strip(" :")
                return value, rest
    return None


def _looks_like_label_only(words: Sequence[Word]) -> bool:
    return all(not any(c.isalnum() for c in w.text) for w in words)


def _country_of(line: Sequence[Word]) -> tuple[str, list[Word], list[Word]] | None:
    """(code, its words, what is left of the line) when the line is or ends in a country."""
    text = " ".join(w.text for w in line)
    try:
        return parse_country(text), list(line), []
    except DocumentValueInvalid:
        pass
    for cut in range(len(line) - 1, 0, -1):
        head, tail = line[:cut], line[cut:]
        if not head[-1].text.endswith(",") and "-" not in head[-1].text:
            continue
        try:
            code = parse_country(" ".join(w.text for w in tail))
        except DocumentValueInvalid:
            continue
        return code, list(tail), list(head)
    return None


def _day_first(words: Sequence[str]) -> bool:
    for text in words:
        match = _NUMERIC_DATE.fullmatch(text)
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12 >= second:
                return True
            if second > 12 >= first:
                return False
    return True


def reference(candidate: Candidate, *, spaces: bool = True) -> tuple[str, float]:
    """A document number as printed: some digit in it, at most 60 characters (and no space
    where ``spaces`` is false: a B/L number is one token)."""
    value = candidate.text.strip(" :#")
    if (not any(ch.isdigit() for ch in value) or len(value) > 60
            or (not spaces and " " in value)):
        raise DocumentValueInvalid(f"{value!r} is no document number", value=value)
    if any(w.source == "ocr" for w in candidate.words):
        value = _case_unread(value)
    return value, 1.0


# Letters whose small form is their capital made smaller: OCR cannot tell their case.
_SAME_SHAPE = str.maketrans("cosuvwxz", "COSUVWXZ")


def _case_unread(value: str) -> str:
    """An OCR'd code of capitals and digits with such a letter in small ('311s'), in
    capitals ('311S'): no code mixes the cases of a letter OCR cannot tell apart."""
    letters = [ch for ch in value if ch.isalpha()]
    odd = [ch for ch in letters if ch.islower()]
    if not odd or any(ch not in "cosuvwxz" for ch in odd) or (
            len(odd) > 1 and len(odd) * 2 > len(letters)):
        return value  # none, or a word in small letters ('No5s')
    return value.translate(_SAME_SHAPE)


def date_reader(ctx: Context) -> Callable[[Candidate], tuple[dt.date, float]]:
    def read(candidate: Candidate) -> tuple[dt.date, float]:
        return parse_date(candidate.text, day_first=ctx.day_first, field="date"), 1.0

    return read


def document_currency(ctx: Context, table_currency: Word | None) -> tuple[str | None, float]:
    """The currency by its label, else a table header's, else the commonest code printed."""
    value = ctx.read("currency", "currency",
                     lambda c: (parse_currency(c.text, field="currency"), 1.0))
    if value is not None:
        return value, ctx.evidence["currency"].confidence
    if table_currency is not None:
        ctx.note("currency", [table_currency], 0.85, method="pdf-table")
        return table_currency.text.strip("()[]:").upper(), 0.85
    counts: Counter[str] = Counter()
    first_word: dict[str, Word] = {}
    for page in ctx.text.pages:
        for line in page.lines:
            for word in line.words:
                code = word.text.strip("():,.").upper()
                if code in CURRENCY_CODES and word.text.strip("():,.").isupper():
                    counts[code] += 1
                    first_word.setdefault(code, word)
    if counts:
        code = counts.most_common(1)[0][0]
        ctx.note("currency", [first_word[code]], 0.75)
        return code, 0.75
    return None, 0.0


def missing_paths(document: BaseModel, line_fields: dict[str, Sequence[str]],
                  absent_columns: dict[str, set[str]]) -> list[str]:
    """Every field path without a value; a column absent from a whole table is reported
    once as ``lines[*].<field>``."""
    out: list[str] = []
    for name, info in type(document).model_fields.items():
        if name == "document_type":
            continue
        value = getattr(document, name)
        if name in line_fields:
            if not value:
                out.append(name)
                continue
            absent = absent_columns.get(name, set())
            out += [f"{name}[*].{f}" for f in line_fields[name] if f in absent]
            for index, item in enumerate(value):
                out += [f"{name}[{index}].{f}" for f in line_fields[name]
                        if f not in absent and getattr(item, f) is None]
            continue
        annotation = info.annotation
        sub = _model_of(annotation)
        if sub is not None:
            if value is None:
                out += [f"{name}.{f}" for f in sub.model_fields]
            else:
                out += [f"{name}.{f}" for f in sub.model_fields if getattr(value, f) is None]
        elif value is None or value == []:
            out.append(name)
    return out


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in getattr(annotation, "__args__", (annotation,)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel) and (
                candidate.__name__ in ("DocumentParty", "TradeTerms")):
            return candidate
    return None


_RETURN_SEPARATORS = re.compile(r"\s+[·•|]\s+|\s+[-–]\s+")


def return_address(ctx: Context, path: str) -> tuple[DocumentParty, Line] | None:
    """The sender's one-line return address over the window of a letter ('Nordwerk GmbH ·
    Schlachte 12 · 28195 Bremen', DIN 5008 and the like): small print, three or more
    parts, near the top of page one."""
    if not ctx.text.pages or not ctx.text.pages[0].lines:
        return None
    page = ctx.text.pages[0]
    sizes = sorted(w.size for line in page.lines for w in line.words)
    median = sizes[len(sizes) // 2]
    for line in page.lines:
        if line.top > page.height * 0.4:
            break
        if len(line.segments) != 1 or line.segments[0].size > 0.9 * median:
            continue
        parts = [p.strip(" ,") for p in _RETURN_SEPARATORS.split(line.segments[0].text)]
        if len(parts) < 3 or not all(parts):
            continue
        values: dict[str, Any] = {"name": parts[0]}
        try:
            values["country"] = parse_country(parts[-1])
            parts = parts[:-1]
        except DocumentValueInvalid:
            pass
        values["address"] = ", ".join(parts[1:])
        for key in values:
            ctx.note(f"{path}.{key}", line.words, 0.8)
        return DocumentParty(**values), line
    return None


def window_party(ctx: Context, under: Line, path: str) -> DocumentParty | None:
    """The address block right under a return address: the addressee."""
    page = ctx.text.pages[under.page - 1]
    for line in page.lines[under.index + 1:under.index + 3]:
        if line.top - under.bottom > 40:
            break
        first = next((s for s in line.segments if abs(s.x0 - under.segments[0].x0) <= 8),
                     None)
        if first is not None and not ctx.text.is_label(first):
            block = ctx.text.block_from(Candidate(first.words, "fallback", None))
            return ctx.party_from_block(block, path)
    return None


def read_containers(ctx: Context, *, with_seals: bool) -> list[FoundContainer]:
    """The document's containers; numbers with a wrong check digit become problems."""
    found, wrong = find_containers(ctx.text, with_seals=with_seals)
    for number in wrong:
        ctx.problem("containers", f"container number {number} has a wrong ISO 6346 check "
                    "digit", number)
    return found
