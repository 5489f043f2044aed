"""Tables that run over pages: column layout, row wrapping, pagination, drawing.

Rows are split across pages so the block under the table (totals) fits on the last one;
the caller draws page furniture (repeated headers, page numbers, carried-forward lines)
through callbacks, so each layout keeps its own look.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from smartcustoms.documents.generate.canvas import Canvas

# Draws a page's header and footer; called with (page number, page count), returns the y
# where the table starts on that page.
Furniture = Callable[[int, int], float]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    width: float
    align: str = "L"  # L, R or C


@dataclass(frozen=True, slots=True)
class TableLook:
    boxed: bool = False  # every cell ruled
    header_fill: int | None = None  # grey level of the header row
    rule_under_header: bool = True
    size: float = 8.5
    header_size: float = 8.0
    header_bold: bool = True
    padding: float = 3.0


def fit_widths(columns: list[Column], total: float) -> list[Column]:
    """Scale the first (widest, description) flexible column so the widths sum to total."""
    scale_key = max(columns, key=lambda c: c.width).key
    rest = sum(c.width for c in columns if c.key != scale_key)
    out = []
    for column in columns:
        width = total - rest if column.key == scale_key else column.width
        out.append(Column(column.key, column.header, width, column.align))
    return out


def _cell_lines(canvas: Canvas, text: str, width: float, size: float, bold: bool) -> list[str]:
    lines: list[str] = []
    for part in text.split("\n"):
        lines += canvas.wrap(part, width, size, bold)
    return lines


def _header_size(canvas: Canvas, column: Column, look: TableLook) -> float:
    """The header font size, shrunk until its longest word fits the column."""
    size = look.header_size
    room = column.width - 2 * look.padding
    widest = max((canvas.width(w, size, look.header_bold) for w in column.header.split()),
                 default=0.0)
    if widest > room:
        size = max(5.0, size * room / widest)
    return size


def header_height(canvas: Canvas, columns: list[Column], look: TableLook) -> float:
    most = max(
        len(_cell_lines(canvas, c.header, c.width - 2 * look.padding,
                        _header_size(canvas, c, look), look.header_bold)) * _header_size(
            canvas, c, look)
        for c in columns
    )
    return most * 1.2 + 2 * look.padding


def draw_header(canvas: Canvas, x: float, y: float, columns: list[Column],
                look: TableLook) -> float:
    height = header_height(canvas, columns, look)
    cx = x
    for column in columns:
        if look.boxed or look.header_fill is not None:
            canvas.box(cx, y, column.width, height, fill=look.header_fill)
        size = _header_size(canvas, column, look)
        lines = _cell_lines(canvas, column.header, column.width - 2 * look.padding, size,
                            look.header_bold)
        ly = y + look.padding
        for line in lines:
            canvas.text(cx + look.padding, ly, line, size=size, bold=look.header_bold,
                        align=column.align, width=column.width - 2 * look.padding)
            ly += size * 1.2
        cx += column.width
    if look.rule_under_header and not look.boxed:
        canvas.hline(x, cx, y + height)
    return y + height


def row_height(canvas: Canvas, columns: list[Column], row: dict[str, str],
               look: TableLook) -> float:
    most = max(
        len(_cell_lines(canvas, row.get(c.key, ""), c.width - 2 * look.padding, look.size,
                        False))
        for c in columns
    )
    return most * look.size * 1.25 + 2 * look.padding


def draw_row(canvas: Canvas, x: float, y: float, columns: list[Column], row: dict[str, str],
             look: TableLook, *, bold: bool = False) -> float:
    height = row_height(canvas, columns, row, look)
    cx = x
    for column in columns:
        if look.boxed:
            canvas.box(cx, y, column.width, height)
        text = row.get(column.key, "")
        room = column.width - 2 * look.padding
        # A word wider than its cell ('États-Unis' in Courier) is printed smaller rather
        # than over the next cell, as form software does.
        widest = max((canvas.width(w, look.size, bold) for w in text.split()), default=0.0)
        size = look.size if widest <= room else max(5.0, look.size * room / widest)
        lines = _cell_lines(canvas, text, room, size, bold)
        ly = y + look.padding
        for line in lines:
            canvas.text(cx + look.padding, ly, line, size=size, bold=bold,
                        align=column.align, width=room)
            ly += look.size * 1.25
        cx += column.width
    return y + height


def paginate(
    heights: list[float],
    *,
    first_space: float,
    next_space: float,
    last_reserve: float,
    carry_height: float = 0.0,
) -> list[list[int]]:
    """Row indices per page; every page but the last keeps room for a carry line, the
    last keeps ``last_reserve`` free for the block under the table."""
    pages: list[list[int]] = [[]]
    space = first_space - carry_height
    for index, height in enumerate(heights):
        if height > space and pages[-1]:
            pages.append([])
            space = next_space - 2 * carry_height
        pages[-1].append(index)
        space -= height
    # The last page must leave room for the totals: if not, its last rows open a new page.
    last = pages[-1]
    top_space = first_space if len(pages) == 1 else next_space - carry_height
    available = top_space - sum(heights[i] for i in last)
    if available < last_reserve and len(last) > 1:
        moved: list[int] = []
        while len(last) > 1 and available < last_reserve:
            moved.insert(0, last.pop())
            available += heights[moved[0]]
        pages.append(moved)
    return [page for page in pages if page] or [[]]

