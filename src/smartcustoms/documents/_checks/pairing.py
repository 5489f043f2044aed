"""Pairing the lines of a document with the declared goods items.

The rule, in three passes over what is still unpaired:

1. **HS code.** A line that prints a commodity code is paired with the item whose code has
   the same six digits; among several such items, the one with the most similar
   description, then the nearest in position.
2. **Description.** Lines and items whose descriptions are at least
   ``Tolerance.description_similarity`` alike (rapidfuzz token-sort ratio over lower-case,
   accent-free text) are paired, most similar first, ties to the nearest in position.
3. **Order.** What is left is paired in document order: one to one when as many lines as
   items remain, else by an order-keeping alignment that prefers pairs whose quantities
   (and amounts, within 6 %, which leaves room for a spread discount) agree, leaving the
   surplus lines or items unpaired.

A line or item left unpaired is reported by the checks (``line-unmatched``,
``item-unmatched``); a pair is never guessed beyond these passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rapidfuzz import fuzz, process

from smartcustoms.declarations.models import DeclarationCreate, Quantity
from smartcustoms.documents.codes import normalise_text
from smartcustoms.documents.models import DocumentReading, DocumentType

from .findings import Tolerance

_CLOSE_AMOUNT = Decimal("0.06")


@dataclass(frozen=True, slots=True)
class LineKey:
    """What pairing reads of a line or an item."""

    description: str | None = None
    hs6: str | None = None
    quantity: Quantity | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class LinePair:
    """A document line and a declared item (indexes), or one of them alone. ``line`` and
    ``item`` index one list each: the lines of all documents of one type, in the order
    given (``reading``, ``line`` within it), and the declaration's items."""

    line: int | None
    item: int | None
    how: str  # "hs", "description", "order" or "unpaired"
    reading: int | None = None
    line_in_reading: int | None = None


def pair_readings(declaration: DeclarationCreate, readings: Sequence[DocumentReading],
                  tolerance: Tolerance) -> list[LinePair]:
    """The lines of ``readings`` (all invoices, or all packing lists: several documents
    may share the goods of one declaration) paired with the declared items."""
    items = [LineKey(i.description, i.hs_code[:6], i.quantity,
                     i.price.amount if i.price else None) for i in declaration.items]
    lines: list[LineKey] = []
    where: list[tuple[int, int]] = []
    for r, reading in enumerate(readings):
        document = reading.document
        if document.document_type == DocumentType.commercial_invoice:
            keys = [LineKey(line.description, line.hs_code[:6] if line.hs_code else None,
                            line.quantity, line.amount.amount if line.amount else None)
                    for line in document.lines]
        elif document.document_type == DocumentType.packing_list:
            keys = [LineKey(line.description, None, line.quantity) for line in document.lines]
        else:
            continue
        lines += keys
        where += [(r, li) for li in range(len(keys))]
    pairs = pair_lines(lines, items, description_similarity=tolerance.description_similarity)
    return [LinePair(p.line, p.item, p.how, *(where[p.line] if p.line is not None
                                               else (None, None))) for p in pairs]


def pair_lines(lines: Sequence[LineKey], items: Sequence[LineKey], *,
               description_similarity: float = 80.0) -> list[LinePair]:
    """Pairs in line order, then the items no line was paired with."""
    line_of: dict[int, tuple[int, str]] = {}  # item -> (line, how)
    free_items = set(range(len(items)))
    similarity = _similarities(lines, items)

    # 1. HS code
    for i, line in enumerate(lines):
        if line.hs6 is None:
            continue
        candidates = [j for j in sorted(free_items) if items[j].hs6 == line.hs6]
        if candidates:
            best = max(candidates, key=lambda j: (similarity[i][j], -abs(i - j)))
            line_of[best] = (i, "hs")
            free_items.discard(best)
    paired_lines = {i for i, _ in line_of.values()}

    # 2. description
    ranked = sorted(
        ((similarity[i][j], -abs(i - j), -i, i, j)
         for i in range(len(lines)) if i not in paired_lines
         for j in free_items if similarity[i][j] >= description_similarity),
        reverse=True)
    for _sim, _distance, _order, i, j in ranked:
        if i in paired_lines or j not in free_items:
            continue
        line_of[j] = (i, "description")
        free_items.discard(j)
        paired_lines.add(i)

    # 3. order
    rest_lines = [i for i in range(len(lines)) if i not in paired_lines]
    rest_items = sorted(free_items)
    for i, j in _align(rest_lines, rest_items, lines, items):
        line_of[j] = (i, "order")
        paired_lines.add(i)
        free_items.discard(j)

    item_of = {i: j for j, (i, _how) in line_of.items()}
    out = [LinePair(i, item_of.get(i), line_of[item_of[i]][1] if i in item_of else "unpaired")
           for i in range(len(lines))]
    out += [LinePair(None, j, "unpaired") for j in sorted(free_items)]
    return out


def _similarities(lines: Sequence[LineKey], items: Sequence[LineKey]) -> list[list[float]]:
    left = [normalise_text(line.description or "") for line in lines]
    right = [normalise_text(item.description or "") for item in items]
    if not left or not right:
        return [[0.0] * len(right) for _ in left]
    matrix = process.cdist(left, right, scorer=fuzz.token_sort_ratio)
    return [[float(matrix[i][j]) if left[i] and right[j] else 0.0 for j in range(len(right))]
            for i in range(len(left))]


def _agreement(line: LineKey, item: LineKey) -> int:
    score = 0
    if line.quantity is not None and item.quantity is not None and (
            line.quantity.unit == item.quantity.unit
            and line.quantity.value == item.quantity.value):
        score += 1
    if (line.amount and item.amount is not None
            and abs(line.amount - item.amount) <= _CLOSE_AMOUNT * abs(line.amount)):
        score += 1
    return score


def _align(rest_lines: list[int], rest_items: list[int], lines: Sequence[LineKey],
           items: Sequence[LineKey]) -> list[tuple[int, int]]:
    if len(rest_lines) == len(rest_items):
        return list(zip(rest_lines, rest_items, strict=True))
    n, m = len(rest_lines), len(rest_items)
    # Order-keeping alignment: each pair scores 1 plus the values that agree; skipping a
    # line or an item scores nothing.
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for a in range(1, n + 1):
        for b in range(1, m + 1):
            pair = best[a - 1][b - 1] + 1 + _agreement(lines[rest_lines[a - 1]],
                                                       items[rest_items[b - 1]])
            best[a][b] = max(pair, best[a - 1][b], best[a][b - 1])
    out: list[tuple[int, int]] = []
    a, b = n, m
    while a and b:
        line, item = rest_lines[a - 1], rest_items[b - 1]
        if best[a][b] == best[a - 1][b - 1] + 1 + _agreement(lines[line], items[item]):
            out.append((line, item))
            a, b = a - 1, b - 1
        elif best[a][b] == best[a - 1][b]:
            a -= 1
        else:
            b -= 1
    return out[::-1]
