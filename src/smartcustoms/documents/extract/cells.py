"""Which column each word of a table row belongs to.

The borders between columns are taken from the body itself: between two neighbouring
headers, the widest x-run that fewest segments (then fewest words) cross, a gutter; a
segment that runs over two columns (one space apart in Courier) is first cut where its
words line up with header edges. A word belongs to the column its centre falls in.
Repairs follow for what gutters cannot see: a word run into its neighbour that starts
exactly under a header, text run up to a number ('goma 1.200 pares'), and a French
thousands group cut from its number ('2 304,5'). A first, gutter-free assignment (by
header overlap) serves only to find the body's extent.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from smartcustoms.documents.codes import PACKAGE_WORDS, UNIT_WORDS, normalise_text
from smartcustoms.documents.extract.headers import Column, is_number
from smartcustoms.documents.extract.layout import Line, Word, gap_limit
from smartcustoms.documents.extract.lexicon import NUMERIC_COLUMNS
from smartcustoms.reference import CURRENCY_CODES


def assign_by_headers(line: Line, columns: list[Column]) -> dict[str, list[Word]]:
    """Cells by overlap with the header words alone (before the body's gutters are known)."""
    cells: dict[str, list[Word]] = {}
    for segment in line.segments:
        hits = [c for c in columns if _overlap(segment.x0, segment.x1, c) > 0]
        numeric = [c for c in hits if c.key in NUMERIC_COLUMNS]
        if len(hits) > 1 and numeric and is_number(segment.text.replace(" ", "")):
            # '1 439,5' reaching under two headers is still one number
            best = max(numeric, key=lambda c: _overlap(segment.x0, segment.x1, c))
            cells.setdefault(best.key, []).extend(segment.words)
            continue
        if len(hits) == 1 and not (hits[0].key in NUMERIC_COLUMNS and len(segment.words) > 1
                                   and not _all_one_cell(segment.words)):
            cells.setdefault(hits[0].key, []).extend(segment.words)
            continue
        for word in segment.words:
            column = _column_for(word, columns)
            if column is not None:
                cells.setdefault(column.key, []).append(word)
    return cells


def _all_one_cell(words: Sequence[Word]) -> bool:
    """'120 pcs', '12 cartons', 'EUR 1,234.00': a number with its unit stays together."""
    return len(words) == 2 and (is_number(words[0].text) != is_number(words[1].text))


def _overlap(x0: float, x1: float, column: Column) -> float:
    return min(x1, column.x1 + 2) - max(x0, column.x0 - 2)


def _column_for(word: Word, columns: list[Column]) -> Column | None:
    best = max(columns, key=lambda c: _overlap(word.x0, word.x1, c))
    if _overlap(word.x0, word.x1, best) > 0:
        return best
    if is_number(word.text):
        return min(columns, key=lambda c: min(abs(word.x0 - c.x1), abs(c.x0 - word.x1)))
    left = [c for c in columns if c.x0 <= word.x0]
    if left:
        return max(left, key=lambda c: c.x0)
    return min(columns, key=lambda c: c.x0 - word.x1)


_ALIGN = 1.0  # points: a cell edge on a header edge


def split_at_headers(words: list[Word], columns: list[Column]) -> list[list[Word]]:
    """A segment that runs over two columns (one space apart in Courier), cut where its
    words line up with the headers: before a word that starts where a header starts, and
    before the number (with its unit) that ends where a right-aligned header ends."""
    def column_starting(word: Word) -> Column | None:
        return next((c for c in columns if abs(word.x0 - c.x0) <= _ALIGN), None)

    def column_ending(word: Word) -> Column | None:
        return next((c for c in columns if abs(word.x1 - c.x1) <= _ALIGN), None)

    cuts: set[int] = set()
    for index, word in enumerate(words):
        if index and column_starting(word) is not None:
            cuts.add(index)
        ending = column_ending(word)
        if ending is not None and index + 1 < len(words):
            cuts.add(index + 1)  # a right-aligned cell ends here
        if not index or ending is None or not _value_word(word):
            continue
        first = index
        numbers = int(is_number(word.text))
        while first > 0 and column_starting(words[first]) is None:
            before = words[first - 1]
            elsewhere = [c for c in (column_starting(before), column_ending(before))
                         if c is not None and c is not ending]
            if not _value_word(before) or elsewhere:
                break  # text, or a value lined up with another column
            if is_number(before.text):
                grouped = _LEADING_GROUP.match(before.text) and _THREE_DIGITS.match(
                    words[first].text)
                if numbers and not grouped:
                    break  # one number per cell: '150 7,246.5' is '…150 cm' and a quantity
                numbers += 1
            first -= 1
        if first > 0:
            cuts.add(first)
    pieces, start = [], 0
    for cut in sorted(cuts):
        pieces.append(words[start:cut])
        start = cut
    pieces.append(words[start:])
    return [p for p in pieces if p]


def _value_word(word: Word) -> bool:
    """A number, or a unit or currency printed with one ('1.200 pares', 'EUR 12')."""
    if is_number(word.text):
        return True
    key = normalise_text(word.text)
    return key in UNIT_WORDS or key in PACKAGE_WORDS or word.text.strip("()").upper() in (
        CURRENCY_CODES)


def column_borders(columns: list[Column], lines: list[Line]) -> list[float]:
    """x of the border between each pair of neighbouring columns: the middle of the widest
    gutter between their header centres.

    A border placed at x separates a segment (a run of words without a wide gap) when the
    segment has word centres on both sides of x; that costs most. Crossing a word costs
    one (the word still goes wholly to the side of its centre). So a word that overflows
    its column ('Holzeisenbahn-Spielzeug,' reaching the next one) does not pull the border
    into the neighbour's '6.865,84 KGS', and in Courier a space inside 'Corée du' (as wide
    as some gaps between columns) is no gutter."""
    words = [w for line in lines for w in line.words]
    segments = []
    for line in lines:
        for segment in line.segments:
            for piece in split_at_headers(list(segment.words), columns):
                centres = [(w.x0 + w.x1) / 2 for w in piece]
                if len(centres) > 1:
                    segments.append((min(centres), max(centres)))
    spans = [(w.x0, w.x1, 1, w.source == "ocr") for w in words] + [
        (a, b, 1000, False) for a, b in segments]
    bounds: list[float] = []
    for left, right in itertools.pairwise(columns):
        lo = (left.x0 + left.x1) / 2
        hi = (right.x0 + right.x1) / 2
        if hi - lo < 2:
            bounds.append((left.x1 + right.x0) / 2)
            continue
        steps = max(1, int(2 * (hi - lo)))  # half-point resolution
        coverage = [0] * steps
        for x0, x1, weight, ocr in spans:
            if x1 <= lo or x0 >= hi:
                continue
            if ocr and x0 <= left.x1 and x1 >= right.x0:
                # An OCR word over the whole gap between the two names is two cells read
                # as one ('4201839390' for '4,20  18.393,90'): it would close the gutter.
                continue
            first = max(0, int(2 * (x0 - lo)))
            last = min(steps, int(2 * (x1 - lo)) + 1)
            for x in range(first, last):
                coverage[x] += weight
        least = min(coverage)
        # The widest run of least coverage; a run that touches the search edge (a header
        # centre) is no real gutter, so it counts half.
        best_start, best_length, best_score, run_start = 0, 0, -1.0, None
        for x, value in enumerate([*coverage, least + 1]):
            if value == least and run_start is None:
                run_start = x
            elif value != least and run_start is not None:
                length = x - run_start
                score = length * (0.5 if run_start == 0 or x >= steps else 1.0)
                if score > best_score:
                    best_start, best_length, best_score = run_start, length, score
                run_start = None
        bounds.append(lo + (best_start + best_length / 2) / 2)
    return bounds


def assign_by_borders(line: Line, columns: list[Column], bounds: list[float]
                    ) -> dict[str, list[Word]]:
    cells: dict[str, list[Word]] = {}
    for word in line.words:
        centre = (word.x0 + word.x1) / 2
        index = sum(1 for b in bounds if centre >= b)
        cells.setdefault(columns[index].key, []).append(word)
    _align_to_headers(cells, columns)
    _push_text_left(cells, columns)
    _join_split_groups(cells, columns)
    if "pos" not in cells and columns and columns[0].key == "description":
        first = cells.get("description", [])
        if len(first) > 1 and first[0].text.rstrip(".").isdigit() and (
                first[1].x0 - first[0].x1 > gap_limit(first[0], first[1])):
            cells["pos"] = [first[0]]  # 'Item Description' read as one header: '1  Laptop'
            cells["description"] = first[1:]
    return cells


def _align_to_headers(cells: dict[str, list[Word]], columns: list[Column]) -> None:
    """A word run into its left neighbour ('8205.51.00 VN' one space apart in Courier) that
    starts exactly where a column's header starts belongs to that column, with the words
    after it in the cell."""
    starts = {round(c.x0): c for c in columns}
    for key in list(cells):
        words = cells[key]
        for position in range(1, len(words)):
            word, before = words[position], words[position - 1]
            if abs(word.bottom - before.bottom) > 2 or word.x0 - before.x1 > gap_limit(
                    before, word):
                continue
            target = next((c for x, c in starts.items() if abs(word.x0 - x) <= 1.0), None)
            if target is None or target.key == key or target.x0 <= before.x1:
                continue
            moving = [w for w in words[position:] if abs(w.bottom - word.bottom) <= 2]
            cells[key] = [w for w in words if w not in moving]
            cells.setdefault(target.key, [])[:0] = moving
            break


_LEADING_GROUP = re.compile(r"^[(\-]?\d{1,3}$")
_THREE_DIGITS = re.compile(r"^\d{3}(?:[.,]\d+)?\)?$")


def _join_split_groups(cells: dict[str, list[Word]], columns: list[Column]) -> None:
    """'2 304,5' split by a column border: the '2' is the thousands of the number right of
    it, not the end of the cell on the left."""
    for index, column in enumerate(columns[1:], start=1):
        words = cells.get(column.key)
        left = cells.get(columns[index - 1].key)
        if column.key not in NUMERIC_COLUMNS or not words or not left:
            continue
        head, tail = left[-1], words[0]
        if (_LEADING_GROUP.match(head.text) and _THREE_DIGITS.match(tail.text)
                and abs(head.bottom - tail.bottom) < 2
                and 0 <= tail.x0 - head.x1 <= gap_limit(head, tail)):
            cells[columns[index - 1].key] = left[:-1]
            cells[column.key] = [head, *words]


_TEXT_COLUMNS = frozenset({"description", "other", "marks"})


def _push_text_left(cells: dict[str, list[Word]], columns: list[Column]) -> None:
    """Words before the number in a numeric cell ('goma 1.200 pares', a description run
    up to the quantity) belong to the text column on the left."""
    for index, column in enumerate(columns[1:], start=1):
        words = cells.get(column.key)
        left = columns[index - 1].key
        if column.key not in NUMERIC_COLUMNS or not words or left not in _TEXT_COLUMNS:
            continue
        if not any(is_number(w.text) for w in words):
            continue
        moved = 0
        while moved < len(words) and not is_number(words[moved].text) and any(
                c.isalpha() for c in words[moved].text) and not any(
                c.isdigit() for c in words[moved].text) and (
                words[moved].text.strip("()").upper() not in CURRENCY_CODES):
            moved += 1
        if moved and moved < len(words) and words[moved].bottom - words[0].bottom < 2:
            cells.setdefault(left, []).extend(words[:moved])
            cells[column.key] = words[moved:]
