"""Table headers: a line of column names (with wrapped lines above or below it), read into
columns with their x-ranges.

A header is a line whose words are mostly column names from the lexicon, naming at least
three kinds of column and holding no number; header words that overlap across the wrapped
lines join into one name ('Unit' over 'Price'), and each column spans its header words.
A column name the lexicon does not know still becomes a column ('other') so that the
words under it stay out of the neighbouring columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from smartcustoms.documents.codes import normalise_text
from smartcustoms.documents.extract.layout import Line, Page, Word, gap_limit
from smartcustoms.documents.extract.lexicon import COLUMNS, label_key
from smartcustoms.reference import CURRENCY_CODES

_MAX_PHRASE = 6
# Columns that do not make a line a goods table's header on their own.
NOT_COUNTED = frozenset({"measure", "article", "other"})
_NUMBER = re.compile(r"^[(\-+−]?\d[\d.,'\u00a0\u202f]*\)?%?-?$")


def is_number(text: str) -> bool:
    """'1,234.50', '(12)', '7-', '15%': a number as printed in a table cell."""
    return bool(_NUMBER.match(text))


@dataclass(slots=True)
class Column:
    key: str
    x0: float
    x1: float
    words: list[Word]
    notes: list[Word] = field(default_factory=list)  # '(pcs)', '(kg)', '(EUR)'

    @property
    def name(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def note(self) -> str:
        """The unit or currency printed in the header: 'Qty (pcs)' -> 'pcs'."""
        notes = self.notes or [w for w in self.words if w.text.startswith("(")]
        return " ".join(w.text.strip("()[]:") for w in notes)


def _phrases(words: Sequence[Word]) -> list[tuple[str, list[Word]]]:
    """Greedy longest column names over ``words``; unmatched words come back keyed ''."""
    out: list[tuple[str, list[Word]]] = []
    words = [piece for word in words for piece in _unglued_names(word)]
    keys = [_ocr_key(w) for w in words]
    index = 0
    while index < len(words):
        found = None
        for count in range(min(_MAX_PHRASE, len(words) - index), 0, -1):
            parts = [k for k in keys[index:index + count] if k]
            if not parts or not keys[index + count - 1]:
                continue
            joined = " ".join(parts)
            entry = COLUMNS.get(joined) or COLUMNS.get(joined.replace(" ", ""))
            if entry is not None:
                found = (entry.key, count)
                break
        if found is None:
            out.append(("", [words[index]]))
            index += 1
        else:
            out.append((found[0], list(words[index:index + found[1]])))
            index += found[1]
    return out


# OCR misreads a letter or two of a column name ('@inhait' for 'Einheit', 'Rultne' for
# 'Bultos'); a word read by OCR that is no column word is taken as the column word it is
# closest to, when at least this similar (rapidfuzz ratio, 0-100) and 4 letters long.
FUZZY_COLUMN_SCORE = 75
_COLUMN_WORDS = frozenset(part for key in COLUMNS for part in key.split())
_LONG_COLUMN_WORDS = sorted(w for w in _COLUMN_WORDS if len(w) >= 4)


def _ocr_key(word: Word) -> str:
    key = label_key(word.text)
    if word.source != "ocr" or len(key) < 4 or key in _COLUMN_WORDS or " " in key:
        return key
    return fuzzy_column_word(key) or key


def fuzzy_column_word(key: str) -> str | None:
    """The column word (of the lexicon) that an OCR misreading ``key`` stands for."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(key, _LONG_COLUMN_WORDS, scorer=fuzz.ratio,
                               score_cutoff=FUZZY_COLUMN_SCORE)
    return None if found is None else str(found[0])


def _unglued_names(word: Word) -> list[Word]:
    """Two column names OCR ran together ('EinheitPacksticke' for 'Einheit' and
    'Packstücke') as two words, each with its share of the box; any other word as it is.
    Without the cut, the second column is lost and its values join the next column's (a
    count of 3 before '540.00')."""
    text = word.text
    if word.source != "ocr" or len(text) < 8 or text.isupper():
        return [word]
    cut = _glued_cut(text)
    if cut is None:
        return [word]
    at = round(word.x0 + (word.x1 - word.x0) * cut / len(text), 2)
    return [replace(word, text=text[:cut], x1=at, read_as=text),
            replace(word, text=text[cut:], x0=round(at + 0.5, 2), read_as=text)]


@lru_cache(maxsize=1024)
def _glued_cut(text: str) -> int | None:
    """Where two column names meet in ``text``: at a capital, both halves column words
    (or OCR misreadings of them); elsewhere ('Einheitpreis/Einheit'), both halves column
    names as they are spelt; None when there is no such place."""
    if label_key(text) in _COLUMN_WORDS or COLUMNS.get(label_key(text)) is not None:
        return None
    for cut in range(3, len(text) - 3):
        left, right = label_key(text[:cut]), label_key(text[cut:])
        if text[cut].isupper() and not text[cut - 1].isupper():
            if all(part in _COLUMN_WORDS or (len(part) >= 4 and fuzzy_column_word(part))
                   for part in (left, right)):
                return cut
        elif text[cut].isalpha() and text[cut - 1].isalpha() and all(
                part in _COLUMN_WORDS or COLUMNS.get(part) is not None
                for part in (left, right)) and min(len(left), len(right)) >= 4:
            return cut
    return None


def _header_score(line: Line) -> tuple[int, float]:
    """(distinct column kinds, share of words that are column names) of one line."""
    matched = 0
    kinds = set()
    for segment in line.segments:
        for key, words in _phrases(segment.words):
            if key:
                kinds.add(key)
                matched += len(words)
            elif _is_unit_note(words[0].text):
                matched += 1
    total = len(line.words)
    return len(kinds - NOT_COUNTED), matched / total if total else 0.0


def column_kinds(line: Line) -> int:
    """How many kinds of column a line names ('Pos.', 'Description', 'Unité': 3)."""
    return _header_score(line)[0]


def _is_unit_note(text: str) -> bool:
    """'(kg)', '(EUR)', 'USD', 'kgs' under or beside a column name."""
    key = normalise_text(text)
    return (text.startswith("(") and text.endswith(")")) or key in (
        "kg", "kgs", "cbm", "m3", "pcs", "eur", "usd") or text.strip("()").upper() in (
        CURRENCY_CODES)


def _header_band(page: Page, index: int) -> list[Line]:
    """The header line with wrapped header lines just above or below it."""
    line = page.lines[index]
    band = [line]
    x0 = min(w.x0 for w in line.words) - 10
    x1 = max(w.x1 for w in line.words) + 10
    for step in (1, -1):
        position = index + step
        while 0 <= position < len(page.lines) and len(band) < 4:
            other = page.lines[position]
            gap = (other.top - band[-1].bottom) if step == 1 else (band[0].top - other.bottom)
            if gap > 0.9 * line.size + 1.5:
                break
            if any(is_number(w.text) for w in other.words):
                break
            if not all(x0 <= w.x0 and w.x1 <= x1 for w in other.words):
                break
            _kinds, share = _header_score(other)
            overlapping = all(
                any(min(w.x1, h.x1) - max(w.x0, h.x0) > 0 for h in line.words)
                for w in other.words
            )
            if not overlapping and share < 0.5:
                break
            if step == 1:
                band.append(other)
            else:
                band.insert(0, other)
            position += step
    return band


def _columns(band: list[Line]) -> tuple[list[Column], Word | None]:
    words = [w for line in band for w in line.words]
    order = {id(w): i for i, w in enumerate(words)}
    line_of = {id(w): n for n, line in enumerate(band) for w in line.words}
    parent = list(range(len(words)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(words):
        for j in range(i + 1, len(words)):
            b = words[j]
            same_line = line_of[id(a)] == line_of[id(b)]
            if same_line:
                left, right = (a, b) if a.x0 <= b.x0 else (b, a)
                gap = right.x0 - left.x1
                joined = 0 <= gap <= gap_limit(left, right) or (
                    0 <= gap <= _NAME_GAP * max(left.size, right.size)
                    and _one_name(left, right))
            else:
                joined = min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5
            if joined:
                parent[find(i)] = find(j)
    clusters: dict[int, list[Word]] = {}
    for i, word in enumerate(words):
        clusters.setdefault(find(i), []).append(word)
    currency = None
    columns: list[Column] = []
    for cluster in clusters.values():
        cluster.sort(key=lambda w: (line_of[id(w)], w.x0, order[id(w)]))
        phrases = _phrases(cluster)
        named = [(k, ws) for k, ws in phrases if k]
        for key, ws in phrases:
            if key:
                continue
            code = ws[0].text.strip("()[]:").upper()
            if code in CURRENCY_CODES:
                currency = ws[0]
        if not named:
            # An unknown column name still owns the words under it ('Remarks', 'Ref.').
            if any(w.text[:1].isalpha() and len(w.text) >= 3 and not _is_unit_note(w.text)
                   for w in cluster):
                columns.append(Column("other", min(w.x0 for w in cluster),
                                      max(w.x1 for w in cluster), list(cluster)))
            continue
        # A unit note in the same header cell ('Betrag (CHF)', 'Net weight' over '(kg)')
        # widens the column it belongs to: the nearest name in its cluster.
        notes = [ws[0] for key, ws in phrases if not key and _is_unit_note(ws[0].text)]
        for key, ws in named:
            mine = [n for n in notes if min(named, key=lambda item: _distance(n, item[1]))[1]
                    is ws]
            span = ws + mine
            columns.append(Column(key, min(w.x0 for w in span), max(w.x1 for w in span),
                                  list(ws), mine))
    columns.sort(key=lambda c: c.x0)
    # One column per kind: a second 'total' header is an amount, keep the widest match.
    seen: dict[str, Column] = {}
    others: list[Column] = []
    for column in columns:
        if column.key == "other":
            others.append(column)
            continue
        if column.key in seen:
            if column.key in ("amount", "unit_price") and "amount" not in seen:
                column.key = "amount"
            else:
                continue
        seen[column.key] = column
    return sorted([*seen.values(), *others], key=lambda c: c.x0), currency


# Two header words this far apart (of the font size), wider than a space, are still one
# column name when together they make one ('Net' + 'Weight': a scan's gap between them
# made 'Weight' a column of its own, taken for the gross mass).
_NAME_GAP = 1.2


def _one_name(left: Word, right: Word) -> bool:
    """Whether two OCR header words make one column name that the right one only
    qualifies ('Net' 'Weight' is the net mass, as 'Net' is); not 'Item' 'Description',
    two columns side by side though 'item description' names a column too."""
    if left.source != "ocr" or right.source != "ocr":
        return False
    both = COLUMNS.get(f"{_ocr_key(left)} {_ocr_key(right)}")
    alone = COLUMNS.get(_ocr_key(left))
    return both is not None and (alone is None or alone.key == both.key)


def _distance(word: Word, words: list[Word]) -> float:
    return min(max(0.0, w.x0 - word.x1, word.x0 - w.x1) for w in words)


def _misread_note(text: str) -> bool:
    """'(080)': three characters in parentheses, OCR's reading of a column's '(USD)'."""
    return len(text) == 5 and text[0] == "(" and text[-1] == ")"


def find_header(page: Page, *, wanted: Sequence[frozenset[str]], start: int = 0
                ) -> tuple[int, list[Line], list[Column], Word | None] | None:
    """The first line from ``start`` that heads a table with one of the ``wanted`` sets
    of columns (each set: all of its kinds present)."""
    for index in range(start, len(page.lines)):
        line = page.lines[index]
        kinds, share = _header_score(line)
        if kinds < 2 or share < 0.6:
            continue
        if any(is_number(w.text) and not (page.scanned and _misread_note(w.text))
               for w in line.words) or sum(w.text.endswith(":") for w in line.words) >= 2:
            continue  # 'No. of Pkgs: 3   G.W.: 1,853.10' is labels with values
        band = _header_band(page, index)
        columns, currency = _columns(band)
        present = {c.key for c in columns}
        if len(present - NOT_COUNTED) >= 3 and any(need <= present for need in wanted):
            return index, band, columns, currency
    return None
