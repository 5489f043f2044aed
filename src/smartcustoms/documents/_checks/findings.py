"""What a cross-check reports (``Finding``), the tolerances it applies, and the context
every check reads: the declaration, the readings by type, evidence look-up and currency
conversion at the declared rate."""

from __future__ import annotations

import datetime as dt
import enum
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from smartcustoms.declarations.models import DeclarationCreate, Money, Quantity
from smartcustoms.documents.models import DocumentReading, DocumentType, Evidence

if TYPE_CHECKING:
    from smartcustoms.documents._checks.pairing import LinePair


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Severity(enum.StrEnum):
    """How much a finding matters to the officer (the rule is in ``checks``' docstring)."""

    info = "info"
    low = "low"
    medium = "medium"
    high = "high"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Severity | str) -> bool:
        return self.rank >= _RANK[Severity(other)]


_RANK = {Severity.info: 0, Severity.low: 1, Severity.medium: 2, Severity.high: 3}


class Tolerance(_Shape):
    """How far two values may differ and still agree. Defaults are the documented ones."""

    money_per_line: Decimal = Field(
        Decimal("0.01"), ge=0,
        description="Rounding allowed per invoice line, in the currency's units: a total "
                    "of n lines may differ by n times this (plus the relative part).")
    money_relative: Decimal = Field(
        Decimal("0.005"), ge=0, le=1,
        description="Relative part of the money tolerance, of the documented amount.")
    mass_relative: Decimal = Field(
        Decimal("0.02"), ge=0, le=1,
        description="Masses agree within this share of the documented mass ...")
    mass_kg: Decimal = Field(
        Decimal("0.5"), ge=0, description="... or within this many kilograms, whichever is "
                                          "larger.")
    measured_quantity_relative: Decimal = Field(
        Decimal("0.02"), ge=0, le=1,
        description="Quantities in measured units (kg, litres, metres ...) agree within "
                    "this share; counted units (pieces, pairs, sets) must be equal.")
    party_similarity: float = Field(
        90.0, ge=0, le=100,
        description="Party names agree at or above this rapidfuzz token-sort ratio, after "
                    "normalisation and with legal forms set aside.")
    description_similarity: float = Field(
        80.0, ge=0, le=100,
        description="Least similarity of an invoice line's and an item's description for "
                    "them to be paired by description.")
    hs_chapter_probability: float = Field(
        0.01, ge=0, le=1,
        description="A classifier misfit is a medium finding when the declared chapter gets "
                    "less than this probability; otherwise it is info.")

    def money_allowed(self, documented: Decimal, lines: int = 1) -> Decimal:
        return self.money_per_line * max(1, lines) + self.money_relative * abs(documented)

    def money_text(self, lines: int = 1) -> str:
        return (f"±({_num(self.money_per_line)} x {max(1, lines)} line(s) + "
                f"{_percent(self.money_relative)})")

    def mass_allowed(self, documented: Decimal) -> Decimal:
        return max(self.mass_kg, self.mass_relative * abs(documented))

    def mass_text(self) -> str:
        return f"±max({_num(self.mass_kg)} kg, {_percent(self.mass_relative)})"


DEFAULT_TOLERANCE = Tolerance()


class DeclaredValue(_Shape):
    """The declaration's side of a finding."""

    path: str = Field(description="Field path in the declaration, e.g. items[0].net_mass_kg")
    value: str | None = Field(description="The declared value as text; None when absent.")


class DocumentValue(_Shape):
    """A document's side of a finding, with the evidence of where it was read."""

    document_type: DocumentType
    document_number: str | None
    path: str = Field(description="Field path in the document, e.g. lines[2].quantity")
    value: str | None = Field(description="The documented value as text; None when absent.")
    evidence: Evidence | None = Field(
        None, description="Page, box and source text of the value (None for documents given "
                          "without a reading, or a value the reader did not find).")


class Finding(_Shape):
    """One disagreement between the declaration and its documents, or one observation."""

    code: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                      description="Stable kebab-case code, e.g. invoice-total-mismatch.")
    severity: Severity
    message: str = Field(description="What differs, in words an officer can act on.")
    declared: DeclaredValue | None = None
    document: DocumentValue | None = None
    tolerance: str | None = Field(None, description="The tolerance applied, as text.")
    details: dict[str, str | float | int | None] = Field(
        default_factory=dict, description="Check-specific figures (difference, similarity, "
                                          "probability, better code ...).")


class Verdict(Protocol):
    """What the checks read of a classifier's verification (``tariff.Verification``)."""

    @property
    def verdict(self) -> str: ...
    @property
    def probability(self) -> float: ...
    @property
    def chapter_probability(self) -> float: ...
    @property
    def reason(self) -> str: ...
    @property
    def better(self) -> Sequence[Any]: ...


class HSVerifier(Protocol):
    """Anything with ``verify_many`` like ``smartcustoms.tariff.Classifier``."""

    def verify_many(self, pairs: Sequence[tuple[str, str]]) -> Sequence[Verdict]: ...


# --- the context ---------------------------------------------------------------------------
@dataclass
class Context:
    """What every check reads. Built once per ``cross_check`` call."""

    declaration: DeclarationCreate
    readings: tuple[DocumentReading, ...]
    tolerance: Tolerance = DEFAULT_TOLERANCE
    classifier: HSVerifier | None = None
    _pairs: dict[DocumentType, list[LinePair]] = field(default_factory=dict, repr=False)

    def of_type(self, document_type: DocumentType) -> list[DocumentReading]:
        return [r for r in self.readings if r.document.document_type == document_type]

    @cached_property
    def invoices(self) -> list[DocumentReading]:
        return self.of_type(DocumentType.commercial_invoice)

    @cached_property
    def packing_lists(self) -> list[DocumentReading]:
        return self.of_type(DocumentType.packing_list)

    @cached_property
    def bills(self) -> list[DocumentReading]:
        return self.of_type(DocumentType.bill_of_lading)

    def pairs(self, document_type: DocumentType) -> list[LinePair]:
        """The lines of every document of ``document_type`` paired with the declared items
        (computed once); ``LinePair.reading`` indexes ``of_type(document_type)``."""
        from smartcustoms.documents._checks.pairing import pair_readings

        if document_type not in self._pairs:
            self._pairs[document_type] = pair_readings(
                self.declaration, self.of_type(document_type), self.tolerance)
        return self._pairs[document_type]

    # --- the two sides of a finding ----------------------------------------------------------
    @staticmethod
    def declared(path: str, value: Any) -> DeclaredValue:
        return DeclaredValue(path=path, value=text(value))

    @staticmethod
    def documented(reading: DocumentReading, path: str, value: Any) -> DocumentValue:
        return DocumentValue(document_type=reading.document_type,
                             document_number=reading.document.number, path=path,
                             value=text(value), evidence=evidence_at(reading, path))

    @staticmethod
    def reader_missed(reading: DocumentReading, path: str) -> bool:
        """The reader looked for ``path`` and could not read it (a column absent from the
        whole table, ``lines[*].x``, does not count: it is not printed)."""
        return path in reading.missing

    # --- money ----------------------------------------------------------------------------
    @cached_property
    def invoice_currency(self) -> str | None:
        for reading in self.invoices:
            currency = invoice_currency(reading)
            if currency is not None:
                return currency
        return None

    @cached_property
    def declared_currency(self) -> str | None:
        decl = self.declaration
        if decl.invoice_total is not None:
            return decl.invoice_total.currency
        return next((i.price.currency for i in decl.items if i.price is not None), None)

    @cached_property
    def converting(self) -> bool:
        """Documented amounts are converted at the declared exchange rate."""
        return (self.invoice_currency is not None and self.declared_currency is not None
                and self.invoice_currency != self.declared_currency
                and self.declaration.exchange_rate is not None)

    def in_declared_currency(self, declared: Money, documented: Money) -> Decimal | None:
        """``documented``'s amount in ``declared``'s currency; None when it cannot be
        converted (another currency and no declared exchange rate)."""
        if documented.currency == declared.currency:
            return documented.amount
        rate = self.declaration.exchange_rate
        if (rate is not None and documented.currency == self.invoice_currency
                and declared.currency == self.declared_currency):
            return documented.amount * rate
        return None

    def rate_text(self) -> str:
        if not self.converting:
            return ""
        return (f" (converted at the declared rate 1 {self.invoice_currency} = "
                f"{_num(self.declaration.exchange_rate or Decimal(0))} "
                f"{self.declared_currency})")


def invoice_currency(reading: DocumentReading) -> str | None:
    document = reading.document
    if document.document_type != DocumentType.commercial_invoice:
        return None
    if document.currency is not None:
        return document.currency
    if document.total is not None:
        return document.total.currency
    return next((line.amount.currency for line in document.lines if line.amount), None)


# --- evidence -------------------------------------------------------------------------------
def evidence_at(reading: DocumentReading, path: str) -> Evidence | None:
    """The evidence of ``path``; for a list or shape read leaf by leaf (``containers[0].seals``
    read as ``...seals[0]``, ``...seals[1]``), one box around its leaves on the first page."""
    found = reading.evidence.get(path)
    if found is not None:
        return found
    parts = [e for key, e in reading.evidence.items()
             if key.startswith(path) and key[len(path):len(path) + 1] in ("[", ".")]
    if not parts:
        return None
    first = parts[0]
    if first.bbox is None:  # read from XML: no box, the elements' common parent instead
        try:
            shared = posixpath.commonpath([e.xpath or "" for e in parts])
        except ValueError:  # no path in common
            shared = ""
        return Evidence(method=first.method, confidence=min(e.confidence for e in parts),
                        text=" ".join(e.text for e in parts)[:4000], label=first.label,
                        xpath=shared or first.xpath)
    same_page = [e for e in parts if e.page == first.page and e.bbox is not None]
    box = (min(e.bbox[0] for e in same_page), min(e.bbox[1] for e in same_page),
           max(e.bbox[2] for e in same_page), max(e.bbox[3] for e in same_page))
    return Evidence(page=first.page, bbox=box, method=first.method,
                    confidence=min(e.confidence for e in same_page),
                    text=" ".join(e.text for e in same_page)[:4000], label=first.label)


# --- values as text -------------------------------------------------------------------------
def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Money):
        return f"{_num(value.amount)} {value.currency}"
    if isinstance(value, Quantity):
        return f"{_num(value.value)} {value.unit}"
    if isinstance(value, Decimal):
        return _num(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return ", ".join(t for t in (text(v) for v in items) if t is not None)
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _num(value: Decimal) -> str:
    """A Decimal as plain text, no exponent: Decimal('1E+2') -> '100'."""
    return format(value, "f")


def _percent(share: Decimal) -> str:
    return f"{_num((share * 100).normalize())} %"


def kg(value: Decimal) -> str:
    return f"{_num(value)} kg"
