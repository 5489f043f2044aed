"""Comparing a read document with its ground truth, field by field.

Values match when equal after normalisation: text by ``normalise_text`` (case, accents,
punctuation), numbers as Decimals (``Money`` by amount and currency, ``Quantity`` by value
and unit), dates and codes as they are. A field counts once whether the truth has it, the
reading has it, or both; one only in the reading is *spurious*, one only in the truth is
*missed*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from smartcustoms.declarations.models import Money, Quantity
from smartcustoms.documents.codes import normalise_text
from smartcustoms.documents.models import document_fields

__all__ = ["FieldOutcome", "accuracy", "compare_documents", "field_name", "same_value"]

_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True, slots=True)
class FieldOutcome:
    path: str
    truth: Any
    read: Any

    @property
    def correct(self) -> bool:
        return same_value(self.truth, self.read)

    @property
    def missed(self) -> bool:
        return self.truth is not None and self.read is None

    @property
    def spurious(self) -> bool:
        return self.truth is None and self.read is not None

    @property
    def field(self) -> str:
        return field_name(self.path)


def field_name(path: str) -> str:
    """'lines[12].amount' -> 'lines[].amount'."""
    return _INDEX.sub("[]", path)


def same_value(truth: Any, read: Any) -> bool:
    if truth is None or read is None:
        return truth is None and read is None
    if isinstance(truth, Money) and isinstance(read, Money):
        return Decimal(truth.amount) == Decimal(read.amount) and truth.currency == read.currency
    if isinstance(truth, Quantity) and isinstance(read, Quantity):
        return Decimal(truth.value) == Decimal(read.value) and truth.unit == read.unit
    if isinstance(truth, Decimal | int) and isinstance(read, Decimal | int):
        return Decimal(truth) == Decimal(read)
    if isinstance(truth, str) and isinstance(read, str):
        return normalise_text(truth) == normalise_text(read)
    if isinstance(truth, list) and isinstance(read, list):
        return len(truth) == len(read) and all(
            same_value(a, b) for a, b in zip(truth, read, strict=True))
    return bool(truth == read)


def compare_documents(truth: BaseModel, read: BaseModel) -> list[FieldOutcome]:
    """One outcome per field path present in the truth or the reading."""
    expected, found = document_fields(truth), document_fields(read)
    return [FieldOutcome(path, expected.get(path), found.get(path))
            for path in sorted(set(expected) | set(found))]


def accuracy(outcomes: Iterable[FieldOutcome]) -> float:
    items = list(outcomes)
    return sum(o.correct for o in items) / len(items) if items else 1.0
