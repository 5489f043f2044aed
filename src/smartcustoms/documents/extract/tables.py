"""Line-item tables: found from their header, read row by row, across pages.

A body line with a number in a numeric column (or a position number) starts a row; other
lines continue the row above (wrapped descriptions, a second container). The body ends at
a totals label, a footer or a wide gap; carried-forward lines are skipped. A page whose
header repeats continues the same table. Columns: ``headers.py``; cells: ``cells.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from smartcustoms.documents.codes import normalise_text
from smartcustoms.documents.extract.cells import (
    assign_by_borders,
    assign_by_headers,
    column_borders,
)
from smartcustoms.documents.extract.headers import (
    NOT_COUNTED,
    Column,
    column_kinds,
    find_header,
    is_number,
)
from smartcustoms.documents.extract.labels import PageText
from smartcustoms.documents.extract.layout import MAX_PAGES, Line, Page, Word
from smartcustoms.documents.extract.lexicon import (
    CARRY_LINES,
    FOOTERS,
    NUMERIC_COLUMNS,
    TABLE_STOPS,
    TOTAL_ROW,
    label_key,
)
from smartcustoms.reference import CURRENCY_CODES

_PAGE_FOOTER = re.compile(r"^(?:page|seite|pagina|pag|p|blatt|feuille|hoja)\s*\d+"
                          r"(?:\s*(?:of|von|de|sur|di|van)\s*\d+)?$")
# OCR garbles the page word of a footer now and then ('Rees 2 sur 3', 'ne 2 sur 3'): on a
# scan, a line of at most one word before 'N of M' (N <= M) is the footer all the same.
_PAGE_COUNT = re.compile(r"^(?:\S{1,8}\s+)?(\d{1,2})\s*(?:of|von|de|sur|di|van)\s*(\d{1,2})$")


@dataclass(slots=True)
class Row:
    page: int
    cells: dict[str, list[Word]] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)

    def text(self, key: str, *, joiner: str = " ") -> str:
        words = self.cells.get(key, [])
        if not words:
            return ""
        out: list[str] = []
        current_bottom = None
        for word in words:
            if current_bottom is not None and abs(word.bottom - current_bottom) > 2:
                out.append((joiner.strip() and joiner) or " ")
            elif out:
                out.append(" ")
            out.append(word.text)
            current_bottom = word.bottom
        return "".join(out).strip()

    def line_texts(self, key: str) -> list[str]:
        """The cell's text line by line."""
        lines: list[list[Word]] = []
        for word in self.cells.get(key, []):
            if lines and abs(lines[-1][-1].bottom - word.bottom) <= 2:
                lines[-1].append(word)
            else:
                lines.append([word])
        return [" ".join(w.text for w in line) for line in lines]


@dataclass(slots=True)
class Table:
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    total_row: Row | None = None
    currency_word: Word | None = None  # '(EUR)' in a column header
    pages: list[int] = field(default_factory=list)
    # the digits of the amounts on carry-over lines so far: brought forward on the next page
    carried: set[str] = field(default_factory=set)

    @property
    def currency(self) -> str | None:
        if self.currency_word is None:
            return None
        return self.currency_word.text.strip("()[]:").upper()

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.columns)

    def note(self, key: str) -> str:
        """What the header of column ``key`` says besides its name ('pcs' of 'Qty (pcs)')
        or, for a packages column named by its kind ('CTNS'), that name."""
        column = next((c for c in self.columns if c.key == key), None)
        if column is None:
            return ""
        return column.note or (column.name if key == "packages" else "")


def _is_anchor(cells: dict[str, list[Word]]) -> bool:
    for key in NUMERIC_COLUMNS:
        if any(is_number(w.text) for w in cells.get(key, [])):
            return True
    pos = cells.get("pos", [])
    return len(pos) == 1 and pos[0].text.rstrip(".").isdigit()


_CARRY_PHRASES = sorted(CARRY_LINES)  # in a fixed order: the same answer in every run


def _misread_carry_line(line: Line) -> str | None:
    """A scanned carry-over line whose label OCR misread ('thertrag' for 'Übertrag'): the
    line holds a label close to one of ``CARRY_LINES`` and nothing else but one amount
    (and a currency), so no goods line is taken for it. Read as a row, it would shift
    every row after it."""
    words = [w.text for segment in line.segments for w in segment.words]
    amounts = _spaced_amounts([t for t in words if is_number(t)])
    label = [t for t in words if not is_number(t)
             and t.strip("():").upper() not in CURRENCY_CODES and t not in (":", "-")]
    if len(amounts) > 1 or not 1 <= len(label) <= 3:
        return None
    key = label_key(" ".join(label))
    # A label broken over two lines ('y sigue 639.461,14' above 'Suma'): each part is
    # a whole-word end of a phrase of several words.
    for phrase in _CARRY_PHRASES:
        if " " in phrase and key != phrase and (
                (" " in key and (phrase.endswith(" " + key) or phrase.startswith(key + " ")))
                or (not amounts and len(key) >= 4 and phrase.startswith(key + " "))):
            return phrase
    if len(key) < 6:  # a short word is one misread letter away from too many others
        return None
    best = process.extractOne(key, _CARRY_PHRASES, scorer=Levenshtein.normalized_similarity,
                              score_cutoff=0.74)
    return None if best is None else str(best[0])


_GROUP = re.compile(r"^\d{3}(?:[.,]\d{1,2})?$")


def _spaced_amounts(numbers: list[str]) -> list[str]:
    """Numbers with an amount printed with spaces between its thousands ('940 141,39', as
    French documents print it; '1474 723,92' where OCR lost one of them) joined into
    one."""
    out: list[str] = []
    for text in numbers:
        if out and _GROUP.match(text) and out[-1].replace(" ", "").isdigit():
            out[-1] += " " + text
        else:
            out.append(text)
    return out


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _brought_forward(line: Line, carried: set[str]) -> str | None:
    """A scanned line bringing forward the amount an earlier page carried ('Moog forward
    308'941.31' under 'Carried forward 308'941.31'): one amount, the same digits, and
    a few words at most (its misread label)."""
    words = [w.text for segment in line.segments for w in segment.words]
    amounts = [_digits(t) for t in words if is_number(t)]
    if len(amounts) != 1 or amounts[0] not in carried or len(amounts[0]) < 3:
        return None
    return "amount brought forward" if len(words) - 1 <= 3 else None


def _lone_amount(line: Line) -> bool:
    words = [w.text for segment in line.segments for w in segment.words]
    return len(words) == 1 and is_number(words[0]) and any(c in words[0] for c in ".,")


def _page_footer(line: Line, scanned: bool) -> bool:
    """'Page 2 of 3', 'Seite 2', and on a scan '<garbled> 2 sur 3'."""
    text = normalise_text(line.text)
    if _PAGE_FOOTER.match(text):
        return True
    count = _PAGE_COUNT.match(text) if scanned else None
    return count is not None and 1 <= int(count[1]) <= int(count[2]) <= MAX_PAGES


def _body_ends_after(line: Line, after: Sequence[Line]) -> bool:
    """Whether nothing of the table follows ``line`` on its scanned page: the page ends,
    or a wide gap, a page footer or page furniture (bank details) comes next. Lines in
    the same band (OCR's debris of the lost label) do not count."""
    following = next((other for other in after if other.top >= line.bottom), None)
    if following is None:
        return True
    return (following.top - line.bottom > 3.5 * following.size + 12
            or _page_footer(following, scanned=True)
            or _first_key(following, FOOTERS) is not None)


def _first_key(line: Line, table: frozenset[str] | Mapping[str, object], *,
               strict: bool = False) -> str | None:
    """The phrase of ``table`` the line starts with. With ``strict``, a one-word phrase must
    stand alone in its segment (but for a colon, a currency, a number or a note in
    brackets): 'Freight' ends a table, 'Freight forwarding service' is a goods line."""
    words = line.segments[0].words if line.segments else []
    keys = [label_key(w.text) for w in words[:5]]
    for count in range(len(keys), 0, -1):
        joined = " ".join(k for k in keys[:count] if k)
        if not joined or joined not in table:
            continue
        rest = words[count:]
        alone = all(w.text in (":", "-") or w.text.startswith("(") or w.text.strip(
            "():").upper() in CURRENCY_CODES or is_number(w.text) for w in rest)
        if not strict or " " in joined or alone:
            return joined
    return None


def read_table(text: PageText, *, wanted: Sequence[frozenset[str]],
               consume_total: bool = True) -> Table | None:
    """The document's line-item table with rows from every page it runs over.

    The lines read become unavailable to label search; the total row too, unless
    ``consume_total`` is false (an invoice's 'TOTAL  EUR 1,234.00' is also a label)."""
    table: Table | None = None
    headers = {page.number: find_header(page, wanted=wanted) for page in text.pages}
    # OCR may lose column names of one copy of a header repeated on every page ('Qté' and
    # 'Colis' on page 2, not on page 3): every copy that names a subset of the richest
    # copy's columns stands for the richest. The columns of a table stand where they
    # stood on the other pages.
    richest = max((found[2] for page in text.pages if page.scanned
                   and (found := headers[page.number]) is not None), key=_named, default=None)
    for page in text.pages:
        found = headers[page.number]
        if found is None:
            start = _continued_without_header(page, table)
            if start is not None and table is not None:
                table.pages.append(page.number)
                if _read_body(text, page, start, table.columns, table):
                    break
            continue
        _index, band, columns, currency = found
        if richest is not None and page.scanned and _named(columns) < _named(richest) and {
                c.key for c in columns} - NOT_COUNTED <= {c.key for c in richest}:
            # OCR lost column names of a repeated header. An unnamed column of the richest
            # copy may be OCR's garbage ('BAR' in a description's gutter): kept only where
            # this copy has one too.
            columns = [c for c in richest if c.key != "other"
                       or any(own.key == "other" for own in columns)]
        if table is None:
            table = Table(columns=columns, currency_word=currency)
        elif currency and not table.currency_word:
            table.currency_word = currency
        table.pages.append(page.number)
        for line in band:
            text.consumed.add((page.number, line.index))
        ended = _read_body(text, page, band[-1].index + 1, columns, table)
        if table.total_row is not None and consume_total:
            for line in table.total_row.lines:
                text.consumed.add((line.page, line.index))
        if ended:
            break
    if table is not None and any(page.scanned for page in text.pages):
        _read_pages_before(text, table)
        _merge_stray_numbers(table)
        _repair_ocr_cells(table)
    return table


def _named(columns: list[Column]) -> int:
    """How many columns a header names that make it a goods table's header."""
    return sum(c.key not in NOT_COUNTED for c in columns)


def _read_pages_before(text: PageText, table: Table) -> None:
    """The rows of scanned pages before the first whose header was read. OCR can garble
    the first page's header past recognition ('Pos. Description … Qué Unité Cots ne PL
    rut kg') while the next page repeats it legibly: the table's columns stand on the
    first page where they stand on the next, under a line that still names at least two
    of them."""
    early = Table(columns=table.columns, currency_word=table.currency_word)
    for page in text.pages:
        if page.number >= table.pages[0]:
            break
        found = _garbled_header(page, table) if page.scanned else None
        if found is None:
            continue
        header, start = found
        for line in page.lines[header:start]:  # the header and its wrapped lines
            text.consumed.add((page.number, line.index))
        early.pages.append(page.number)
        _read_body(text, page, start, table.columns, early)
    if early.rows:
        table.rows[:0] = early.rows
        table.pages[:0] = early.pages


# How many lines below a garbled header (its wrapped second and third lines) the first row
# may start.
_HEADER_LINES = 3


def _garbled_header(page: Page, table: Table) -> tuple[int, int] | None:
    """A header line that names two or more of the table's columns but was not taken for
    a header, and the first row line under it (their indexes); None when there is none."""
    for index, line in enumerate(page.lines):
        if column_kinds(line) < 2 or any(is_number(w.text) for w in line.words):
            continue
        for below in page.lines[index + 1:index + 1 + _HEADER_LINES]:
            cells = assign_by_headers(below, table.columns)
            numeric = [key for key in NUMERIC_COLUMNS
                       if any(is_number(w.text) for w in cells.get(key, []))]
            if len(numeric) >= 2:
                return line.index, below.index
    return None


def _merge_stray_numbers(table: Table) -> None:
    """A 'row' that is one OCR number alone ('1.045' whose baseline OCR put a little off
    its row's) joins the row just above or below it on the page that has no number in
    that column ('kg' alone)."""
    rows = table.rows
    index = 0
    while index < len(rows):
        row = rows[index]
        keys = [k for k, ws in row.cells.items() if ws]
        words = [w for k in keys for w in row.cells[k]]
        if not (len(keys) == 1 and keys[0] in NUMERIC_COLUMNS and len(words) == 1
                and words[0].source == "ocr" and is_number(words[0].text)):
            index += 1
            continue
        word = words[0]
        near = [other for other in (rows[index - 1] if index else None,
                                    rows[index + 1] if index + 1 < len(rows) else None)
                if other is not None and other.page == row.page
                and not any(is_number(w.text) for w in other.cells.get(keys[0], []))]
        near = [other for other in near if _distance(other, word) < 0.8 * word.size]
        if not near:
            index += 1
            continue
        target = min(near, key=lambda other: _distance(other, word))
        target.cells[keys[0]] = sorted([word, *target.cells.get(keys[0], [])],
                                       key=lambda w: w.x0)
        target.lines.extend(row.lines)
        del rows[index]


def _distance(row: Row, word: Word) -> float:
    return min(max(0.0, line.top - word.bottom, word.top - line.bottom) for line in row.lines)


def _repair_ocr_cells(table: Table) -> None:
    """OCR's misreadings in the cells undone, each named in its word (``ocrcells``)."""
    from smartcustoms.documents.extract.ocrcells import decimal_mark, repair_cells

    rows = [*table.rows, *([table.total_row] if table.total_row else [])]
    mark = decimal_mark(w.text for row in rows for key in NUMERIC_COLUMNS
                        for w in row.cells.get(key, []))
    for row in rows:
        repair_cells(row.cells, mark)


def _continued_without_header(page: Page, table: Table | None) -> int | None:
    """On a scanned page after the table's first page whose repeated header OCR could not
    read ('Pos, Raerkraitno int'), the first line that is a row under the columns already
    known (a number in two numeric columns); None otherwise. The columns of a table stand
    where they stood on the page before."""
    if table is None or not page.scanned or table.total_row is not None:
        return None
    for line in page.lines:
        if _first_key(line, CARRY_LINES) is not None:
            continue
        cells = assign_by_headers(line, table.columns)
        numeric = [key for key in NUMERIC_COLUMNS
                   if any(is_number(w.text) for w in cells.get(key, []))]
        if len(numeric) >= 2 and _first_key(line, TABLE_STOPS, strict=True) is None:
            return line.index
    return None


def _read_body(text: PageText, page: Page, start: int, columns: list[Column],
               table: Table) -> bool:
    """Rows from line ``start``; True when the table ended on this page (totals).

    First the body's extent (up to a totals label, a footer, a wide gap), then the column
    boundaries from the gutters between the body's words, then the rows."""
    previous_bottom = page.lines[start - 1].bottom if start else 0.0
    body: list[Line] = []
    total_line: Line | None = None
    total_extra: list[Line] = []
    ended = False
    lines = page.lines[start:]
    for n, line in enumerate(lines):
        if line.top - previous_bottom > 3.5 * line.size + 12:
            break
        carry = _first_key(line, CARRY_LINES)
        if carry is None and line.segments:
            first = normalise_text(line.segments[0].text)
            carry = next((c for c in CARRY_LINES if first.startswith(c)), None)
        if carry is None and page.scanned:
            carry = _misread_carry_line(line) or _brought_forward(line, table.carried)
            # A lone amount where the body ends is a carry-over whose label OCR lost.
            if carry is None and _lone_amount(line) and _body_ends_after(line, lines[n + 1:]):
                carry = "amount carried over"
        if carry is not None:
            table.carried.update(_digits(w.text) for w in line.words if is_number(w.text))
            text.consumed.add((page.number, line.index))
            previous_bottom = line.bottom
            continue
        if _page_footer(line, page.scanned):
            break
        stop = _first_key(line, TABLE_STOPS, strict=True)
        cells = assign_by_headers(line, columns)
        if stop is not None:
            if stop in TOTAL_ROW and _is_anchor(cells):
                total_line = line
                total_extra = _wrapped_after(page, line)
            ended = True
            break
        if _first_key(line, FOOTERS) is not None and not _is_anchor(cells):
            break  # page furniture: bank details, signature
        hit = text.hit_of(line.segments[0]) if line.segments else None
        if (hit is not None and hit.strong and hit.key not in ("ignore", "party.id")
                and not _is_anchor(cells)):
            break  # 'Place and Date of Issue: …' under the table is a field, no row
        body.append(line)
        text.consumed.add((page.number, line.index))
        previous_bottom = line.bottom
    if page.scanned:
        _find_lost_quantity(columns, body)
    bounds = column_borders(columns, body)
    if page.scanned:
        _type_unnamed_columns(columns, body, bounds)
    pending: list[Line] = []  # continuation lines seen before the first row
    for line in body:
        cells = assign_by_borders(line, columns, bounds)
        if _is_anchor(cells):
            row = Row(page.number, cells, [line])
            for early in pending:
                for key, words in assign_by_borders(early, columns, bounds).items():
                    row.cells[key] = words + row.cells.get(key, [])
                row.lines.insert(0, early)
            pending = []
            table.rows.append(row)
        elif table.rows and table.rows[-1].page == page.number:
            row = table.rows[-1]
            for key, words in cells.items():
                row.cells.setdefault(key, []).extend(words)
            row.lines.append(line)
        else:
            pending.append(line)
    if total_line is not None:
        row = Row(page.number, assign_by_borders(total_line, columns, bounds), [total_line])
        for extra in total_extra:
            for key, words in assign_by_borders(extra, columns, bounds).items():
                row.cells.setdefault(key, []).extend(words)
            row.lines.append(extra)
        table.total_row = row
    return ended


# An unnamed column (its header unreadable: 'Wweprungsiand') is the origin column when it
# holds a country in at least this share of the rows that have anything in it (the unit
# column when it holds units).
ORIGIN_SHARE = 0.7
_MIN_TYPED = 3


def _type_unnamed_columns(columns: list[Column], body: list[Line],
                          bounds: list[float]) -> None:
    """Name an unnamed ('other') column by its content where OCR lost its header: the
    country of origin, when most of its cells are countries ('VN', 'Türkei'); the unit,
    right after the quantity column, when most of its cells are units ('sets', 'uds'
    under 'Unidad' read as 'UniAaA ida'). Typed per table page, on the page's own
    columns; a table that has such a column keeps it."""
    from smartcustoms.documents.errors import DocumentValueInvalid
    from smartcustoms.documents.parsing import parse_country, parse_unit

    readers = {"origin": parse_country, "unit": parse_unit}
    for index, column in enumerate(columns):
        if column.key != "other":
            continue
        wanted = [key for key in readers if all(c.key != key for c in columns)]
        if index == 0 or columns[index - 1].key != "qty":
            wanted = [key for key in wanted if key != "unit"]
        if not wanted:
            continue
        lo = bounds[index - 1] if index else float("-inf")
        hi = bounds[index] if index < len(bounds) else float("inf")
        cells = [" ".join(w.text for w in line.words if lo <= (w.x0 + w.x1) / 2 < hi)
                 for line in body]
        cells = [c for c in cells if c]
        for key in wanted:
            typed = 0
            for cell in cells:
                try:
                    readers[key](cell)
                except DocumentValueInvalid:
                    continue
                typed += 1
            if typed >= _MIN_TYPED and typed >= ORIGIN_SHARE * len(cells):
                column.key = key
                break


# The quantity column whose name OCR lost: numbers in at least this share of the rows.
QUANTITY_SHARE = 0.7


def _find_lost_quantity(columns: list[Column], body: list[Line]) -> None:
    """Add the quantity column (in place) where OCR lost its name ('Menge' gone from the
    header between 'Beschreibung' and 'Einheit'): in most rows a number stands between
    the description's name and the unit column, the row's last before the unit, and
    those numbers end at one x (right-aligned, as quantities are printed). Without the
    column the quantities fall into the description or the unit cell and are lost."""
    keys = [c.key for c in columns]
    if "qty" in keys or "unit" not in keys or keys.index("unit") == 0:
        return
    index = keys.index("unit")
    unit, left = columns[index], columns[index - 1]
    if left.key != "description":
        return
    rows = [line for line in body if sum(is_number(w.text) for w in line.words) >= 2]
    last: list[Word] = []
    for line in rows:
        numbers = [w for w in line.words if is_number(w.text) and w.x1 <= unit.x0 + 1
                   and (w.x0 + w.x1) / 2 > left.x1]
        if numbers:
            last.append(max(numbers, key=lambda w: w.x1))
    if len(last) < max(_MIN_TYPED, QUANTITY_SHARE * len(rows)):
        return
    end = sorted(w.x1 for w in last)[len(last) // 2]
    aligned = [w for w in last if abs(w.x1 - end) <= 0.6 * w.size]
    if len(aligned) < QUANTITY_SHARE * len(rows):
        return
    columns.insert(index, Column("qty", min(w.x0 for w in aligned),
                                 max(w.x1 for w in aligned), []))


def _wrapped_after(page: Page, line: Line) -> list[Line]:
    """Lines right under a total row that continue its cells ('cajas de' / 'cartón')."""
    out: list[Line] = []
    last = line
    for other in page.lines[line.index + 1:line.index + 3]:
        if other.top - last.bottom > 0.6 * line.size or any(
                is_number(w.text) for w in other.words):
            break
        out.append(other)
        last = other
    return out
