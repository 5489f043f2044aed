"""A second reading of table rows: the numbers of every row read again, line by line.

Sparse text (psm 11, the first reading) finds words one by one: it drops a lone digit (a
package count '2', a position number) or puts it on a baseline of its own, and reads a
decimal point as a gap ('22 66' for '22.66'), so a row loses a value or a cell takes its
neighbour's. Read as lines of text, the same rows come out whole. Every line of the first
reading with two or more numbers (a table row, a total) is cut out of the page as a band,
the bands are stacked, with paper between them, into one image, and Tesseract reads that
image once as a block of text (``ROW_PSM`` 6, English alone: numbers and units need no
accents, and one language reads about twice as fast as four).

The second reading then decides the numbers of each band (``merge_band``), on the row's
baseline: a word of it with a digit replaces the first reading's words it covers, unless
only the first reading is a well-formed number, or both are and the first was surer and
holds all of it ('45' stays against a less sure '46', gives way to '6.45'); where the two
differ, the word kept names the other reading in ``read_as`` and is less sure
(``DISAGREE``); where they agree, it is surer than either (at most ``AGREED_MAX``). A word
without digits only fills a place the first reading left empty, and only as a unit or
package word ('pes' one letter off 'pces', named and less sure), or replaces, as such a
word, what the first reading garbled there ('pie:' or 'en' under 'piezas'). A count run
into its package word ('4Kartons') comes apart, in either reading, and a speck after a
number ('2.', '3.11:') comes off.
Text (descriptions, with their accents) stays as the first reading had it. Nothing is
invented: every word kept was read by Tesseract on the page.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from smartcustoms.documents.extract import tesseract
from smartcustoms.documents.extract.layout import Line, Word, group_lines

if TYPE_CHECKING:  # ocr imports this module: its names are imported where used
    from smartcustoms.documents.extract.ocr import PageImage

__all__ = ["ROW_LANGUAGES", "ROW_PSM", "merge_band", "reread_rows", "row_lines"]

ROW_PSM = 6
ROW_LANGUAGES = "eng"
_GAP_PX = 12  # paper between two stacked bands
_PAD = 0.3  # of the font size, above and below a row's line
DISAGREE = 0.9  # a number the two readings differ on is less sure
AGREED_MAX = 0.95  # two readings that agree: never surer than this
_MIN_OVERLAP = 0.3  # of the narrower word: two readings of the same place
_NOISE = re.compile(r"^[\W_]+$")  # ':', '|', '_', '‘' alone: specks, not words
_DIGIT = re.compile(r"\d")


def row_lines(lines: Sequence[Line]) -> list[Line]:
    """The lines that look like table rows (or their totals): two or more numbers."""
    from smartcustoms.documents.extract.headers import is_number

    return [line for line in lines if sum(is_number(w.text) for w in line.words) >= 2]


def reread_rows(image: Image.Image, page: PageImage, ink: np.ndarray, words: list[Word],
                timeout: float) -> list[Word]:
    """``words`` with the numbers of every row-like line taken from a second, line-wise
    reading (see the module's doc); ``words`` unchanged when there is no such line or
    the reading fails."""
    from smartcustoms.documents.extract.ocr import _snap_baselines

    scale, number = page.scale, page.number
    rows = row_lines(group_lines(words, number))
    if not rows:
        return words
    bands: list[tuple[int, int, Line]] = []
    for line in rows:
        pad = _PAD * line.size
        top = max(0, int((line.top - pad) * scale))
        bottom = min(image.height, int((line.bottom + pad) * scale) + 1)
        if bands and top < bands[-1][1]:
            top = bands[-1][1]  # bands never overlap: each word belongs to one
        if bottom - top >= 4:
            bands.append((top, bottom, line))
    if not bands:
        return words
    found = read_bands(image, [(top, bottom) for top, bottom, _line in bands], page, ink,
                       timeout, lang=ROW_LANGUAGES, psm=ROW_PSM)
    if found is None:
        return words
    if any(w.mono for w in words):
        from smartcustoms.documents.extract.ocr import _MONO_SIZE

        found = [[replace(w, mono=True, size=round(w.size * _MONO_SIZE, 2)) for w in band]
                 for band in found]
    out = list(words)
    for (top, bottom, line), second in zip(bands, found, strict=True):
        lo, hi = top / scale, bottom / scale
        inside = [w for w in out if lo <= (w.top + w.bottom) / 2 < hi]
        if not second:
            continue
        # On the row's own baseline: a lone digit read a pixel off stays in its row.
        base = statistics.median(w.bottom for w in line.words)
        size = statistics.median(w.size for w in line.words)
        second = [replace(w, top=round(base - size, 2), bottom=round(base, 2),
                          size=size) for w in second]
        merged = merge_band(inside, second)
        if merged is not inside:
            kept = {id(w) for w in inside}
            out = [w for w in out if id(w) not in kept] + merged
    return _snap_baselines(out, number) if out != words else words


def read_bands(image: Image.Image, bands: Sequence[tuple[int, int]], page: PageImage,
               ink: np.ndarray, timeout: float, *, lang: str, psm: int
               ) -> list[list[Word]] | None:
    """The words of each band of pixel rows (top, bottom) of ``image``, read by one
    Tesseract run over the bands stacked with paper between them, in page points; None
    when Tesseract fails. One run instead of one per band: most of a short run's time is
    Tesseract loading its models. (Table headers are read one by one: stacked, short
    column names such as 'Qté' were lost.)"""
    from smartcustoms.documents.extract.ocr import _words

    paper = int(np.percentile(np.asarray(image), 90))
    pieces = [image.crop((0, top, image.width, bottom)) for top, bottom in bands]
    read = read_stacked(pieces, paper, timeout, lang=lang, psm=psm, gap=_GAP_PX)
    if read is None:
        return None
    data, offsets = read
    found: list[list[Word]] = []
    for (top, bottom), offset in zip(bands, offsets, strict=True):
        part = piece_of(data, offset, bottom - top)
        part["top"] = [t - offset + top for t in part["top"]]
        found.append(_words(part, page, ink, snap=False))
    return found


def read_stacked(pieces: Sequence[Image.Image], paper: int, timeout: float, *, lang: str,
                 psm: int, gap: int, left: int = 0
                 ) -> tuple[dict[str, list], list[int]] | None:
    """Tesseract's data (texts stripped) for ``pieces`` stacked top to bottom with ``gap``
    pixels of ``paper`` between them and ``left`` before them, and the top of each piece
    in the stack; None when Tesseract fails."""
    width = max(p.width for p in pieces) + 2 * left
    height = sum(p.height for p in pieces) + gap * (len(pieces) + 1)
    stack = Image.new("L", (width, height), paper)
    offsets: list[int] = []
    y = gap
    for piece in pieces:
        stack.paste(piece, (left, y))
        offsets.append(y)
        y += piece.height + gap
    try:
        data = tesseract.read_data(stack, lang=lang, psm=psm, timeout=timeout)
    except tesseract.OcrFailed:
        return None
    data["text"] = [t.strip() for t in data["text"]]
    return data, offsets


def piece_of(data: dict[str, list], offset: int, height: int) -> dict[str, list]:
    """The entries of Tesseract's ``data`` whose middle lies in the piece at ``offset``."""
    keep = [i for i, t in enumerate(data["top"])
            if offset <= t + data["height"][i] / 2 < offset + height]
    return {key: [values[i] for i in keep] for key, values in data.items()}


def _overlap(a: Word, b: Word) -> float:
    shared = min(a.x1, b.x1) - max(a.x0, b.x0)
    return shared / max(0.1, min(a.x1 - a.x0, b.x1 - b.x0))


_GLUED = re.compile(r"^(\d+)([^\W\d_]{2,}\.?)$")  # '4Kartons'
_TRAILING = re.compile(r"^(\d(?:.*\d)?)[.,:;'\"‘’]$")  # '2.', '3.11:': a speck after it


def _split(word: Word) -> list[Word]:
    """A count run into its package word ('4Kartons') as two words; a speck read after a
    number ('2.', '3.11:') left off."""
    trailing = _TRAILING.match(word.text)
    if trailing:
        return [replace(word, text=trailing.group(1))]
    return _unglued(word)


def _unglued(word: Word) -> list[Word]:
    """'4Kartons' as '4' and 'Kartons'; any other word as it is."""
    glued = _GLUED.match(word.text)
    if glued is None or not _unit_word(glued.group(2)):
        return [word]
    count, unit = glued.groups()
    cut = word.x0 + (word.x1 - word.x0) * len(count) / len(word.text)
    return [replace(word, text=count, x1=round(cut, 2)),
            replace(word, text=unit, x0=round(cut + 0.5, 2))]


def _as_unit(word: Word) -> Word | None:
    """``word`` if it is a unit or package word, or one letter off one ('pes': 'pces', named
    in ``read_as`` and less sure); None for any other word."""
    from smartcustoms.documents.extract.ocrcells import unit_cell

    if _unit_word(word.text):
        return word
    if len(word.text) < 3 or not word.text.isalpha():
        return None
    fixed = unit_cell([word])[0]
    return fixed if fixed is not word else None


_LETTER_UNITS = frozenset({"m", "l"})  # metres, litres: a unit of one letter


def _letter_unit_after_number(word: Word, words: list[Word]) -> bool:
    """'m' or 'l' read alone a little right of a number ('5.848  m'): its unit. Other
    letters alone ('t', 'g') are as often specks, so only these two."""
    if word.text not in _LETTER_UNITS:
        return False
    return any(_well_formed(w.text) and 0 <= word.x0 - w.x1 <= _LETTER_UNIT_GAP * word.size
               for w in words)


_LETTER_UNIT_GAP = 4.0  # of the font size: a unit column beside the quantity's


def _garbled(first: Word, unit: Word) -> bool:
    """A word of the first reading that a unit word of the second reading read better: no
    number, no unit itself, and a short piece ('ca', 'en') or the unit's start ('pie:')."""
    if _DIGIT.search(first.text) or _unit_word(first.text) or _as_unit(first) is not None:
        return False
    key = first.text.strip(".,:;'\"‘’").lower()
    return len(key) <= 3 or unit.text.lower().startswith(key)


def _completes(longer: str, shorter: str) -> bool:
    """'6.45' over '45': the second reading saw digits the first one left out."""
    return _well_formed(longer) and len(longer) > len(shorter) and shorter in longer


def _unit_word(text: str) -> bool:
    from smartcustoms.documents.codes import PACKAGE_WORDS, UNIT_WORDS, normalise_text

    key = normalise_text(text)
    return len(key) >= 2 and (key in UNIT_WORDS or key in PACKAGE_WORDS)


def _well_formed(text: str) -> bool:
    from smartcustoms.documents.extract.headers import is_number

    return is_number(text)


def merge_band(first: list[Word], second: list[Word]) -> list[Word]:
    """One band's words from the two readings: numbers from the second (line-wise) reading
    where it has them, text from the first; ``first`` itself when nothing changes."""
    second = [piece for w in second if not _NOISE.match(w.text) for piece in _split(w)]
    # The first reading's '3cartons' comes apart too, so that its count meets the second
    # reading's on equal terms (two readings of '3' agree: surer than either).
    out = [piece for w in first for piece in _unglued(w)]
    changed = len(out) != len(first)
    for word in sorted(second, key=lambda w: w.x0):
        covered = [w for w in out if _overlap(w, word) >= _MIN_OVERLAP
                   or _overlap(word, w) >= _MIN_OVERLAP]
        if _DIGIT.search(word.text):
            if any(not _DIGIT.search(w.text) and not _NOISE.match(w.text)
                   and len(w.text) > 2 for w in covered):
                continue  # over a word of text ('Stück'): the first reading's cut stands
            if len(covered) == 1 and covered[0].text == word.text:
                # Two readings (other modes, other models) agree: surer than either.
                both = round(min(AGREED_MAX, 1 - (1 - word.confidence)
                                 * (1 - covered[0].confidence)), 3)
                if both > covered[0].confidence:
                    out = [replace(w, confidence=both) if w is covered[0] else w
                           for w in out]
                    changed = True
                continue
            if covered and not _well_formed(word.text) and any(
                    _well_formed(w.text) for w in covered):
                continue  # '$,225.12' over '5,225.12'
            if (len(covered) == 1 and _well_formed(covered[0].text)
                    and covered[0].confidence >= word.confidence
                    and not _completes(word.text, covered[0].text)):
                continue  # two numbers: the surer reading stands
            before = " ".join(w.text for w in covered)
            new = word
            if before and before != word.text:  # the readings disagree: less sure
                new = replace(word, read_as=word.read_as or before,
                              confidence=round(word.confidence * DISAGREE, 3))
            out = [w for w in out if all(w is not c for c in covered)] + [new]
            changed = True
        elif not covered and ((unit := _as_unit(word)) is not None
                              or _letter_unit_after_number(word, out)):
            out.append(unit or word)  # a unit the first reading left out
            changed = True
        elif covered and _unit_word(word.text) and all(_garbled(w, word) for w in covered):
            # 'piezas' over the first reading's 'pie:', 'ca' over 'cajas': the unit stands
            new = replace(word, read_as=" ".join(w.text for w in covered),
                          confidence=round(word.confidence * DISAGREE, 3))
            out = [w for w in out if all(w is not c for c in covered)] + [new]
            changed = True
    return sorted(out, key=lambda w: w.x0) if changed else first
