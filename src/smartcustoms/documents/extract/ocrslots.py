"""A third reading, of table cells the first two left empty under a column of their own.

Short, thin words alone in a cell ('VN', 'TR' in Courier under 'Ursprungsland') are lost
by both earlier readings: sparse text (psm 11) skips them as specks, and read as part of a
whole row (``ocrtable``) they come out as 'vw', 'In' or '™'. When most rows of a table
have nothing under one of its header's column names, or the rows that have something
there have a code ('VN') and a few have nothing, that column is read again cell by cell:
each empty cell is cut out (between the row's nearest words on either side), enlarged
``UPSCALE`` times, smoothed and its contrast stretched, and the cells of the page are
stacked into one image that Tesseract reads once (psm 6, every language, as the first
reading). A word it finds is placed on its row's baseline; nothing is put where a word
already stands, a word touching the cut is left out, and nothing that was not read on the
page is added.

Only such columns: every empty cell of a table read this way (tried) cost a Tesseract run
on nearly every page and read lone numbers in Times ('24', '60') as 'Py' or '@'.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from smartcustoms.documents.extract.layout import Line, Word, group_lines

if TYPE_CHECKING:  # ocr imports this module: its names are imported where used
    from smartcustoms.documents.extract.ocr import PageImage

__all__ = ["empty_slots", "reread_empty_cells"]

UPSCALE = 3
SLOT_PSM = 6
MIN_ROWS = 3  # a column needs this many rows under it to be judged
EMPTY_SHARE = 0.5  # of its rows with nothing under it: a column the readings missed
MIN_CONFIDENCE = 0.5
_GAP_PX = 16  # paper between two stacked cells, in the enlarged image
_MARGIN = 0.8  # of the font size, beyond the header's name on either side
_PAD = 0.35  # of the font size, above and below the row's line
_EDGE = 0.25  # of the font size: a word this near the cut's edge is a piece of a neighbour
# Smoothing the enlarged cell (a radius of two thirds of a scan pixel) takes the scan's
# grain out of thin strokes: on the cells of a Courier page it read 19 codes of 23 where
# the cells as they were gave 15.
_BLUR = UPSCALE * 2 / 3
_WORD = re.compile(r"[^\W_]{2,}")  # two letters or digits: a speck is no cell's value


@dataclass(frozen=True, slots=True)
class Slot:
    """An empty cell: the row's line and the span of page points to read."""

    line: Line
    x0: float
    x1: float


def _header_spans(header: Line) -> list[tuple[float, float]]:
    """The header's column names as spans: words closer than a space or so are one name
    ('Preis/  Einheit')."""
    spans: list[list[float]] = []
    for word in header.words:
        if spans and word.x0 - spans[-1][1] <= 0.6 * word.size:
            spans[-1][1] = max(spans[-1][1], word.x1)
        else:
            spans.append([word.x0, word.x1])
    return [(a, b) for a, b in spans]


def empty_slots(lines: Sequence[Line], headers: Sequence[int],
                rows: Sequence[Line]) -> list[Slot]:
    """The empty cells to read again: under each header (an index into ``lines``), the
    row lines (``rows``) down to the next header; of each column name whose span has no
    word in at least ``EMPTY_SHARE`` of those rows (and ``MIN_ROWS`` rows at least), the
    rows where it has none."""
    slots: list[Slot] = []
    ordered = sorted(headers)
    for n, index in enumerate(ordered):
        header = lines[index]
        end = lines[ordered[n + 1]].top if n + 1 < len(ordered) else float("inf")
        body = [r for r in rows if header.bottom < r.top < end]
        if len(body) < MIN_ROWS:
            continue
        size = statistics.median(w.size for w in header.words)
        for x0, x1 in _header_spans(header):
            under = [[w for w in r.words if min(w.x1, x1) - max(w.x0, x0) > 0]
                     for r in body]
            empty = [r for r, words in zip(body, under, strict=True) if not words]
            if len(empty) < EMPTY_SHARE * len(body) and not (
                    empty and _codes_column([words for words in under if words])):
                continue
            for row in empty:
                left = max([w.x1 for w in row.words if w.x1 <= x0], default=0.0)
                right = min([w.x0 for w in row.words if w.x0 >= x1], default=float("inf"))
                a = max(x0 - _MARGIN * size, left + 1)
                b = min(x1 + _MARGIN * size, right - 1)
                if b - a >= size:
                    slots.append(Slot(row, a, b))
    return slots


_CODE = re.compile(r"^[A-Z]{2,3}$")
CODES_SHARE = 0.8


def _codes_column(cells: list[list[Word]]) -> bool:
    """Whether the filled cells of a column are codes ('VN', 'TR'): one word of two or
    three capitals in at least ``CODES_SHARE`` of them (and ``MIN_ROWS`` at least). Such a
    column's empty cells are codes the readings lost, however few."""
    coded = sum(len(words) == 1 and bool(_CODE.match(words[0].text)) for words in cells)
    return len(cells) >= MIN_ROWS and coded >= CODES_SHARE * len(cells)


def reread_empty_cells(image: Image.Image, page: PageImage, ink: np.ndarray,
                       words: list[Word], timeout: float) -> list[Word]:
    """``words`` with what a cell-by-cell reading finds in the empty cells of columns the
    earlier readings missed (see the module's doc); ``words`` unchanged when there are
    none or the reading fails."""
    from smartcustoms.documents.extract.ocr import (
        LANGUAGES,
        _snap_baselines,
        _words,
        header_lines,
    )
    from smartcustoms.documents.extract.ocrtable import piece_of, read_stacked, row_lines

    lines = group_lines(words, page.number)
    slots = empty_slots(lines, header_lines(lines), row_lines(lines))
    if not slots:
        return words
    scale = page.scale
    crops: list[tuple[int, int, Image.Image]] = []  # page pixels: left, top; the crop
    for slot in slots:
        pad = _PAD * slot.line.size
        box = (max(0, int(slot.x0 * scale)), max(0, int((slot.line.top - pad) * scale)),
               min(image.width, int(slot.x1 * scale) + 1),
               min(image.height, int((slot.line.bottom + pad) * scale) + 1))
        crop = image.crop(box)
        crop = crop.resize((crop.width * UPSCALE, crop.height * UPSCALE),
                           Image.Resampling.LANCZOS)
        # Each cell's contrast stretched on its own: Tesseract thresholds the stack as a
        # whole, and a cell printed fainter than the others came out as 'MA' or 'EA'. From
        # its darkest to its lightest pixel: clipping a percent at either end lost cells.
        smooth = crop.filter(ImageFilter.GaussianBlur(_BLUR))
        crops.append((box[0], box[1], ImageOps.autocontrast(smooth)))
    paper = int(np.percentile(np.asarray(image), 90))
    read = read_stacked([crop for _x, _y, crop in crops], paper, timeout, lang=LANGUAGES,
                        psm=SLOT_PSM, gap=_GAP_PX, left=_GAP_PX)
    if read is None:
        return words
    data, offsets = read
    added: list[Word] = []
    for slot, (left, top, crop), offset in zip(slots, crops, offsets, strict=True):
        part = piece_of(data, offset, crop.height)
        # Back to page pixels: out of the stack, down by UPSCALE, to the cell's place.
        part["left"] = [left + round((v - _GAP_PX) / UPSCALE) for v in part["left"]]
        part["top"] = [top + round((v - offset) / UPSCALE) for v in part["top"]]
        part["width"] = [round(v / UPSCALE) for v in part["width"]]
        part["height"] = [round(v / UPSCALE) for v in part["height"]]
        # A word that touches the cut is a piece of a neighbour's ('de' of 'cajas de
        # cartón' read as 'Ei'), not the cell's value.
        inside = _EDGE * slot.line.size
        found = [w for w in _words(part, page, ink, snap=False)
                 if _WORD.search(w.text) and w.confidence >= MIN_CONFIDENCE
                 and w.x0 >= slot.x0 + inside and w.x1 <= slot.x1 - inside]
        if not found:
            continue
        base = statistics.median(w.bottom for w in slot.line.words)
        size = statistics.median(w.size for w in slot.line.words)
        mono = any(w.mono for w in slot.line.words)
        for word in found:
            placed = replace(word, top=round(base - size, 2), bottom=round(base, 2),
                             size=size, mono=mono)
            if not any(min(w.x1, placed.x1) - max(w.x0, placed.x0) > 0
                       for w in slot.line.words):
                added.append(placed)
    if not added:
        return words
    return _snap_baselines([*words, *added], page.number)
