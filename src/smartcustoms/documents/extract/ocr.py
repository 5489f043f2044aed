"""Reading scanned trade documents: OCR of image-only PDF pages and page images.

Each page becomes a grey image (an image-only PDF is rendered with pypdfium2 at the
resolution of its scanned image, 150-300 dpi; a PNG, JPEG or TIFF is taken as it is), is
turned upright and has its table rules taken out (``scanimage.py``), and Tesseract reads it
once (``LANGUAGES``, page segmentation ``PSM`` 11: sparse text, which keeps side-by-side
blocks with offset baselines apart), in process with engines kept loaded
(``tesseract.py``). Its words become the same ``Word``s a text layer gives, in PDF points
from the top-left corner of the upright page
(the scan turned back by its skew, at most a few points from where a turned scan shows
them): the ink box is widened to the font's box, with a baseline and a size estimated from
which letters reach above the x-height or below the baseline, so that lines, segments,
labels and tables work unchanged (``layout.group_lines``). Each word carries Tesseract's
confidence, which the evidence of every value read from it carries on; letters read for
digits in a number or a container number are corrected (``corrected``) and the evidence
names what OCR read. A line that looks like a table header is read again on its own, up
to six ways (``_reread_headers``), since sparse text drops or garbles column names now and
then; a line with two or more numbers (a table row) is read a second time as a line of text,
whose numbers replace the first reading's where it saw more (``ocrtable.reread_rows``).
The rows are stacked into one image, read in one Tesseract run a page; a header is read
again only where a row follows it. Where most rows of a table still have nothing under one
of its column names, those cells are read a third time, enlarged, one by one
(``ocrslots.reread_empty_cells``). Words whose ink is too low to be letters (dust read
as '|' or 'ae') are left out, a word read twice over the same place (a bold title) is
kept once, a box that runs over the next word ends where it starts, and the words of a
line share its size.

Settings were chosen on the generator's scans (seeds 3000-3300, apart from the benchmark's
4242): 150 dpi as scanned beat 200-300 dpi renders and 2x upscaling, psm 11 beat 3, 4 and
6 once rules were removed, binarising and a dust filter did not help; all four languages
together cost about twice English alone but read accents and umlauts.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image

from smartcustoms.documents.errors import DocumentUnreadable
from smartcustoms.documents.extract import tesseract
from smartcustoms.documents.extract.layout import (
    MAX_PAGES,
    Line,
    Page,
    Word,
    group_lines,
    split_glued_label,
)
from smartcustoms.documents.extract.scanimage import deskew, ink_mask, remove_rules
from smartcustoms.documents.extract.tesseract import OcrUnavailable

__all__ = [
    "LANGUAGES",
    "OcrUnavailable",
    "is_image",
    "ocr_image_pages",
    "ocr_pdf_pages",
    "tesseract_version",
]

LANGUAGES = "eng+deu+fra+spa"
PSM = 11
RENDER_DPI = 150  # for a page whose image resolution is not known
MIN_DPI, MAX_DPI = 150, 300
PAGE_TIMEOUT_S = 30.0
MAX_PIXELS = 12_000 * 12_000
A4_WIDTH_PT = 595.28

_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page to read: a grey image and how many image pixels make a PDF point."""

    number: int
    image: Image.Image
    scale: float  # pixels per point


def is_image(data: bytes) -> bool:
    """True for a PNG, JPEG or TIFF file (by its first bytes)."""
    return data.startswith(_MAGIC)


def ocr_pdf_pages(data: bytes, *, max_pages: int = MAX_PAGES,
                  numbers: Sequence[int] | None = None, timeout: float | None = None
                  ) -> list[Page]:
    """OCR of a PDF's pages (all, or the 1-based ``numbers``), each rendered at its
    image's resolution; ``timeout`` per page defaults to PAGE_TIMEOUT_S."""
    return [_read(page, timeout or PAGE_TIMEOUT_S)
            for page in _pdf_images(data, max_pages, numbers)]


def ocr_image_pages(data: bytes, *, max_pages: int = MAX_PAGES,
                    timeout: float | None = None) -> list[Page]:
    """OCR of a PNG or JPEG page, or of every frame of a TIFF."""
    return [_read(page, timeout or PAGE_TIMEOUT_S) for page in _image_pages(data, max_pages)]


def tesseract_version() -> str:
    """The Tesseract library's version; raises OcrUnavailable when there is none."""
    return tesseract.version()


# --- pages as images ---------------------------------------------------------------------
def _pdf_images(data: bytes, max_pages: int, numbers: Sequence[int] | None
                ) -> Iterator[PageImage]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise DocumentUnreadable(f"the PDF cannot be rendered for OCR: {exc}") from exc
    try:
        if len(document) > max_pages:
            raise DocumentUnreadable(
                f"the PDF has {len(document)} pages; at most {max_pages} are read")
        for index in range(len(document)):
            if numbers is not None and index + 1 not in numbers:
                continue
            page = document[index]
            try:
                width, height = page.get_size()
                scale = _native_dpi(page, width) / 72
                if width * height * scale * scale > MAX_PIXELS:
                    raise DocumentUnreadable(
                        f"page {index + 1} is too large to read ({width:.0f} x {height:.0f} pt)")
                bitmap = page.render(scale=scale, grayscale=True)
                image = bitmap.to_pil().convert("L")
                bitmap.close()
            finally:
                page.close()
            yield PageImage(index + 1, image, scale)
    finally:
        document.close()


def _native_dpi(page: Any, width: float) -> float:
    """The resolution of the page's scanned image (the largest one on it), kept between
    MIN_DPI and MAX_DPI: rendering finer only interpolates, coarser loses strokes."""
    import pypdfium2.raw as pdfium_c

    best = 0.0
    for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, _bottom, right, _top = item.get_bounds()
        if right - left > width / 2:
            best = max(best, item.get_px_size()[0] / ((right - left) / 72))
    return min(MAX_DPI, max(MIN_DPI, best)) if best else RENDER_DPI


def _image_pages(data: bytes, max_pages: int) -> Iterator[PageImage]:
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
    except (OSError, Image.DecompressionBombError) as exc:
        raise DocumentUnreadable(f"the image cannot be opened: {exc}") from exc
    if frames > max_pages:
        raise DocumentUnreadable(f"the image has {frames} pages; at most {max_pages} are read")
    for index in range(frames):
        try:
            image.seek(index)
            if image.width * image.height > MAX_PIXELS:
                raise DocumentUnreadable(
                    f"page {index + 1} is too large to read ({image.width} x {image.height} px)")
            grey = image.convert("L")
        except (OSError, ValueError) as exc:
            raise DocumentUnreadable(f"the image cannot be decoded: {exc}") from exc
        yield PageImage(index + 1, grey, _pixels_per_point(image))


def _pixels_per_point(image: Image.Image) -> float:
    """From the resolution the file states, else as if the page were A4 wide (or A4 high
    in landscape)."""
    dpi = image.info.get("dpi")
    # A stated resolution is believed when it makes a page 3 to 17 inches wide (JPEG
    # writers often state 72 dpi for any picture).
    if dpi and float(dpi[0]) > 0 and 3 <= image.width / float(dpi[0]) <= 17:
        return float(dpi[0]) / 72
    return min(image.width, image.height) / A4_WIDTH_PT


# --- words -------------------------------------------------------------------------------
# Fractions of the font size (Helvetica-like): how far letters reach above and below the
# baseline. OCR boxes hold the ink; the layout wants the font's box, as a text layer has.
_CAP, _X_HEIGHT, _DESCENT, _BOX_DESCENT = 0.72, 0.53, 0.21, 0.22
_BLUR_PT = 0.6
# A mark whose ink is this low (in points of font size) is dust, not a letter: on a line of
# its own between two table rows it looked like the gap that ends a table.
MIN_WORD_PT = 3.0
_SAME_SIZE = 0.3  # sizes within this share of a line's median are the line's size
_BEARING = 0.03
# Courier: a fixed step of 0.6 of the size per letter, and shorter capitals than Helvetica,
# so its size is 1.12 times what the capitals' height gives.
_MONO_STEP, _MONO_SIZE = 0.6, 1.12
_TALL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜÉÈÊÀÂÁÍÓÚÑÇ0123456789bdfhklt/()[]{}|!?#$%&@'\""
            "ßäöüéèêàâáíóúñ°ºª")  # 'n°': the degree sign reaches the capitals' height
_LOW = set("gjpqy()[]{}|Q;,ç")


def _read(page: PageImage, timeout: float) -> Page:
    ruled, _angle = deskew(page.image)
    upright = remove_rules(ruled, page.scale)
    try:
        data = tesseract.read_data(upright, lang=LANGUAGES, psm=PSM, timeout=timeout)
    except tesseract.OcrFailed as exc:
        raise DocumentUnreadable(f"OCR of page {page.number} {exc}") from exc
    ink = ink_mask(upright)
    words = _words(data, page, ink)
    words = _reread_headers((upright, ruled), page, ink, words, timeout)
    from smartcustoms.documents.extract.ocrtable import reread_rows  # it imports this module

    words = reread_rows(upright, page, ink, words, timeout)
    from smartcustoms.documents.extract.ocrslots import reread_empty_cells

    words = reread_empty_cells(upright, page, ink, words, timeout)
    width, height = upright.width / page.scale, upright.height / page.scale
    return Page(page.number, round(width, 2), round(height, 2),
                group_lines(words, page.number), scanned=True)


def _words(data: dict[str, list], page: PageImage, ink: np.ndarray, *, snap: bool = True
           ) -> list[Word]:
    """Tesseract's words as layout Words in points, each on its line's baseline."""
    found: dict[tuple[int, int, int], list[tuple[str, float, float, float, float, float]]] = {}
    for index, text in enumerate(data["text"]):
        text = text.strip()
        conf = float(data["conf"][index])
        if not text or conf < 0:
            continue
        left, top = data["left"][index], data["top"][index]
        right, bottom = left + data["width"][index], top + data["height"][index]
        top, bottom = _ink_rows(ink[top:bottom, left:right], top, bottom)
        key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        found.setdefault(key, []).append((text, conf / 100, left, right, top, bottom))
    words: list[Word] = []
    for items in found.values():
        for text, conf, left, right, top, bottom in items:
            base, size = _baseline_size(text, top, bottom, page.scale)
            size_pt = size / page.scale
            if size_pt < MIN_WORD_PT and (conf < 0.5 or len(text) == 1 or not any(
                    ch.isalnum() for ch in text)):
                continue  # dust read as '|', ':' or 'ae': on a line of its own
            bottom_pt = (base + _BOX_DESCENT * size) / page.scale
            bearing = _BEARING * size_pt  # the font's box reaches past the ink
            fixed = corrected(text)
            word = Word(
                text=fixed, x0=round(left / page.scale - bearing, 2),
                x1=round(right / page.scale + bearing, 2),
                top=round(bottom_pt - size_pt, 2), bottom=round(bottom_pt, 2),
                size=round(size_pt, 2), bold=False, mono=False, page=page.number,
                source="ocr", confidence=round(conf * (_FIXED if fixed != text else 1.0), 3),
                read_as=text if fixed != text else None)
            words.extend(split_glued_label(word))
    if _monospaced(words):
        words = [replace(w, mono=True, size=round(w.size * _MONO_SIZE, 2)) for w in words]
    return _snap_baselines(words, page.number) if snap else words


# --- a second reading of table headers ----------------------------------------------------
# Sparse text (psm 11) now and then drops a word of a table's header row ('Qty', 'Unit'
# between wider columns) or misreads it, and a missing column name merges its column into
# the neighbour's for every row. A line that looks like a header (two or more column names,
# no number) is read again on its own, as one block of text (psm 6), enlarged twice, three
# times and as it is, from the page with and without its rules: each way loses a different
# name now and then ('Einzelpreis' read whole only with the rules at 1x, 'Qté' only without
# them at 3x). The reading that holds most different column names (of three letters or
# more) replaces the first reading when it holds more; the first in this order on a tie.
HEADER_PSM = 6
_HEADER_UPSCALES = (2, 3, 1)
_HEADER_ROW_GAP = 7.0  # a header has a row (two numbers) this many font sizes under it


def _column_words() -> frozenset[str]:
    from smartcustoms.documents.extract.lexicon import COLUMNS

    return frozenset(part for key in COLUMNS for part in key.split() if len(part) >= 2)


def _named(words: Sequence[Word], names: frozenset[str]) -> int:
    from smartcustoms.documents.extract.lexicon import label_key

    return sum(1 for w in words if len(w.text) >= 2 and label_key(w.text) in names)


def _distinct_names(words: Sequence[Word], names: frozenset[str]) -> int:
    """How many different column names of three letters or more the words hold: 'N° bultos'
    read 'N° N° bultos' names no more columns than 'N.? bultos', and OCR's debris of a
    wrapped header line ('Me', 'if' over blank paper) no column that a name of two
    letters ('ME', 'PU') would count."""
    from smartcustoms.documents.extract.lexicon import label_key

    return len({key for w in words if (key := label_key(w.text)) in names
                and sum(c.isalpha() for c in key) >= 3})


def _all_named(words: Sequence[Word], names: frozenset[str]) -> bool:
    from smartcustoms.documents.extract.lexicon import label_key

    keys = [label_key(w.text) for w in words]
    return all(key in names for key in keys if sum(c.isalpha() for c in key) >= 3)


def header_lines(lines: Sequence[Line], *, garbled: bool = False) -> list[int]:
    """Indexes of the lines that look like a table's header: two or more column names, no
    number, a row (two numbers) not far under it, and no row just above it. With
    ``garbled``, the line may hold one number of one or two digits, OCR's garbage for a
    name it lost ('Preis/Einheii 6' for 'Preis/Einheit Gesamtpreis'): worth reading
    again, though no header as it stands."""
    from smartcustoms.documents.extract.headers import is_number

    names = _column_words()
    found: list[int] = []
    for index, line in enumerate(lines):
        named = _named(line.words, names)
        numbers = [w.text for w in line.words if is_number(w.text)]
        if len(line.words) < 2 or named < 2 or (numbers and not (
                garbled and len(numbers) == 1 and len(numbers[0]) <= 2)):
            continue
        if not any(sum(is_number(w.text) for w in after.words) >= 2
                   and after.top - line.bottom <= _HEADER_ROW_GAP * line.size
                   for after in lines[index + 1:]):
            continue  # no row under it: labels ('Shipper  Invoice No.  Date'), no header
        if any(sum(is_number(w.text) for w in before.words) >= 2
               and 0 <= line.top - before.bottom <= _HEADER_ROW_GAP / 3 * line.size
               for before in lines[max(0, index - 3):index]):
            continue  # right under a row: a line of its item ('Country of origin: VN')
        found.append(index)
    return found


def _reread_headers(images: tuple[Image.Image, Image.Image], page: PageImage,
                    ink: np.ndarray, words: list[Word], timeout: float) -> list[Word]:
    """Header-like lines with a table row under them read again, from the page without its
    rules and (where taking the rules out cut through a shaded header's letters) with
    them, the table's bars dropped. Each line is read on its own: read stacked with the
    others, short column names ('Qté') were lost."""
    from smartcustoms.documents.extract.headers import is_number

    names = _column_words()
    out = list(words)
    lines = group_lines(words, page.number)
    for index in header_lines(lines, garbled=True):
        line = lines[index]
        pad = 0.35 * line.size
        top = max(0, int((line.top - pad) * page.scale))
        bottom = min(images[0].height, int((line.bottom + pad) * page.scale) + 1)
        if bottom - top < 4:
            continue
        best, score = None, _distinct_names(line.words, names)
        # Up to six readings (an engine kept loaded reads a band in a tenth of a second),
        # until one has every word of three letters or more a column name.
        for upscale, image in itertools.product(_HEADER_UPSCALES, images):
            again = [w for w in _band_words(image, top, bottom, page, ink, timeout, upscale)
                     if line.top - pad <= (w.top + w.bottom) / 2 <= line.bottom + pad]
            if any(w.mono for w in line.words):
                again = [replace(w, mono=True, size=round(w.size * _MONO_SIZE, 2))
                         for w in again]
            named = _distinct_names(again, names)
            if named > score and not any(is_number(w.text) for w in again):
                best, score = again, named
            if best is not None and _all_named(best, names):
                break
        if best is not None:
            kept = {id(w) for w in line.words}
            out = [w for w in out if id(w) not in kept] + best
    return _snap_baselines(out, page.number) if len(out) != len(words) or out != words \
        else words


def _band_words(image: Image.Image, top: int, bottom: int, page: PageImage,
                ink: np.ndarray, timeout: float, upscale: int) -> list[Word]:
    band = image.crop((0, top, image.width, bottom))
    if upscale != 1:
        band = band.resize((band.width * upscale, band.height * upscale),
                           Image.Resampling.LANCZOS)
    try:
        data = tesseract.read_data(band, lang=LANGUAGES, psm=HEADER_PSM, timeout=timeout)
    except tesseract.OcrFailed:
        return []
    for key in ("left", "top", "width", "height"):
        data[key] = [round(v / upscale) for v in data[key]]
    data["top"] = [v + top for v in data["top"]]
    data["text"] = [t.strip().strip("|[]") for t in data["text"]]
    return _words(data, page, ink, snap=False)


def _monospaced(words: list[Word]) -> bool:
    """True when the page is typed in one fixed-pitch font (Courier): from one word's start
    to the next one's, a word of n letters and its space take n + 1 equal steps of about
    0.6 of the size, where a proportional font's steps are about 0.5 and vary."""
    steps = []
    for line in group_lines(words, words[0].page if words else 1):
        for left, right in itertools.pairwise(line.words):
            if 0 < right.x0 - left.x1 < left.size and len(left.text) >= 2:
                steps.append((right.x0 - left.x0) / (len(left.text) + 1) / left.size)
    return len(steps) >= 8 and statistics.median(steps) > _MONO_STEP


def _ink_rows(box: np.ndarray, top: int, bottom: int) -> tuple[int, int]:
    """The rows of a word box that hold the word itself: the longest run of rows with ink,
    which leaves out a speck of dust above or below it (and dots and accents, which the
    size estimate does not count either)."""
    rows = box.any(axis=1) if box.size else np.zeros(0, dtype=bool)
    best = (0, 0)
    start = None
    for index, inked in enumerate([*rows.tolist(), False]):
        if inked and start is None:
            start = index
        elif not inked and start is not None:
            if index - start > best[1] - best[0]:
                best = (start, index)
            start = None
    if best[1] == best[0]:
        return top, bottom
    return top + best[0], top + best[1]


def _snap_baselines(words: list[Word], number: int) -> list[Word]:
    """Words of one line moved onto the line's median baseline, as a text layer has them
    (ink boxes differ by a pixel or two from word to word); a stray word OCR sized wrong
    joins the line it stands in (``_with_strays``) and takes its size."""
    out: list[Word] = []
    for line, strays in _with_strays(group_lines(words, number)):
        line.words = _deduplicated(line.words)
        base = statistics.median(w.bottom - _BOX_DESCENT * w.size for w in line.words)
        common = statistics.median(w.size for w in line.words)
        for index, word in enumerate(line.words):
            if abs(word.size / common - 1) <= _SAME_SIZE or id(word) in strays:
                # OCR's sizes vary by a third from word to word ('sigue' with its i-dot
                # merged in); a segment breaks where the size changes, so one size a line
                word = replace(word, size=round(common, 2))
            bottom = round(base + _BOX_DESCENT * word.size, 2)
            after = line.words[index + 1] if index + 1 < len(line.words) else None
            x1 = word.x1
            if after is not None and x1 > after.x0 + 1 and after.x0 > word.x0:
                # A box run over the words after it ('Suma' as wide as 'Suma y sigue'
                # now and then): it ends where the next word starts.
                x1 = round(max(word.x0 + 1, after.x0 - 0.5), 2)
            out.append(replace(word, x1=x1, top=round(bottom - word.size, 2), bottom=bottom))
    return out


def _with_strays(lines: list[Line]) -> list[tuple[Line, set[int]]]:
    """Lines with the strays they hold: one or two words that stand within another line's
    height, taken into that line (the ids of those words).

    A thin stroke lost in the scan ('2' in Times, its diagonal gone; the tail of a 'y')
    leaves a word's ink in two runs, of which ``_ink_rows`` keeps the longer: the word
    looks half its size, its baseline too high; a box that takes in the next word's
    descender ('418.5' over 'kg') looks too large. Either makes a line of its own, which
    a table reads as an empty row before the row it belongs to.
    """
    lines, strays = _interleaved(lines)
    spans = [(line.top, line.bottom) for line in lines]
    large = [index for index, line in enumerate(lines) if len(line.words) > _STRAY_WORDS]
    hosts: dict[int, list[int]] = {}
    for index, line in enumerate(lines):
        if len(line.words) > _STRAY_WORDS:
            continue
        host = max((other for other in large
                    if _shared_height(spans[index], spans[other]) >= _STRAY_SHARE),
                   key=lambda other: len(lines[other].words), default=None)
        if host is not None:
            hosts.setdefault(host, []).append(index)
            strays.update(id(word) for word in line.words)
    taken = {index for found in hosts.values() for index in found}
    out = []
    for index, line in enumerate(lines):
        if index in taken:
            continue
        for stray in hosts.get(index, ()):
            line.words = sorted([*line.words, *lines[stray].words], key=lambda w: w.x0)
        out.append((line, strays))
    return out


_STRAY_WORDS = 2  # at most this many words make a stray line; more make the host
_STRAY_SHARE = 0.7  # of the lower of the two lines' heights: on the same line
_INTERLEAVED_SHARE = 0.9


def _interleaved(lines: list[Line]) -> tuple[list[Line], set[int]]:
    """The lines with every line of more words that stands within a longer line's height
    (``_INTERLEAVED_SHARE`` of it) and has its words in that line's gaps, none over one of
    its words, taken into it; and the ids of the words so moved. A row's words OCR sized
    smaller ('shoes, men's,' without capitals, their baseline a point and a half too high)
    are the rest of the row, not a row of their own."""
    order = sorted(range(len(lines)), key=lambda i: len(lines[i].words))
    merged: dict[int, int] = {}  # line -> the line it went into
    moved: set[int] = set()
    for index in order:
        line = lines[index]
        if len(line.words) <= _STRAY_WORDS:
            continue
        host = max((other for other in range(len(lines))
                    if other not in merged and other != index
                    and len(lines[other].words) > len(line.words)
                    and _shared_height((line.top, line.bottom),
                                       (lines[other].top, lines[other].bottom))
                    >= _INTERLEAVED_SHARE
                    and not any(min(a.x1, b.x1) > max(a.x0, b.x0)
                                for a in line.words for b in lines[other].words)),
                   key=lambda other: len(lines[other].words), default=None)
        if host is None:
            continue
        merged[index] = host
        lines[host].words = sorted([*lines[host].words, *line.words], key=lambda w: w.x0)
        moved.update(id(word) for word in line.words)
    return [line for index, line in enumerate(lines) if index not in merged], moved


def _shared_height(a: tuple[float, float], b: tuple[float, float]) -> float:
    """How much of the lower height two (top, bottom) spans share."""
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return shared / max(0.1, min(a[1] - a[0], b[1] - b[0]))


def _deduplicated(words: list[Word]) -> list[Word]:
    """A line's words without a second copy of one (the same text over the same place:
    Tesseract reads a bold title, printed twice a hair apart, as two of each word)."""
    out: list[Word] = []
    for word in words:
        if any(w.text == word.text and min(w.x1, word.x1) - max(w.x0, word.x0)
               > 0.5 * (word.x1 - word.x0) for w in out):
            continue
        out.append(word)
    return out


def _baseline_size(text: str, top: float, bottom: float, scale: float) -> tuple[float, float]:
    """(baseline, font size) in pixels from a word's ink box and its letters (the scan's
    blur widens the ink by about half a point)."""
    tall = any(ch in _TALL for ch in text)
    low = any(ch in _LOW for ch in text)
    reach = (_CAP if tall else _X_HEIGHT) + (_DESCENT if low else 0.0)
    size = max(1.0, (bottom - top - _BLUR_PT * scale) / reach)
    base = bottom - (_DESCENT * size if low else 0.0)
    return base, size


# --- corrections --------------------------------------------------------------------------
# Letters OCR reads for digits (and back) in a number or the serial of a container number.
_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1",
                           "|": "1", "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2"})
_AS_LETTER = {"0": "OQD", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}
_NUMBER_SHAPE = re.compile(r"^[(\-]?\d[\d.,'’/\-]*\d[)]?[.,:;]?$")
_CONTAINER_SHAPE = re.compile(r"^([A-Z0-9]{3}[UJZ])([0-9OoDQlIiSsBZ|]{6,8})$")
_FIXED = 0.85  # a corrected word is less sure than one read as it stands


def corrected(text: str) -> str:
    """``text`` with OCR's confusions of letters and digits undone where the word can only
    be a number ('1O5,OO' -> '105,00', '2.5l' stays: it has a unit) or a container number
    (its ISO 6346 check digit picks the reading); otherwise ``text`` unchanged."""
    container = _container(text)
    if container is not None:
        return container
    digits = sum(ch.isdigit() for ch in text)
    suspects = sum(ch in "OoDQlIi|SsBZ" for ch in text)
    if digits < 2 or not suspects or suspects > digits or any(
            ch.isalpha() and ch not in "OoDQlIiSsBZ" for ch in text):
        return text
    if text[:2].isalpha():
        return text  # 'SO-1234': a reference that starts with letters
    if text[-1] in "lIiSsBZ|" and text[-2:-1].isdigit():
        return text  # '2.5l', '12s': a unit or a letter after the number, not a digit
    candidate = text.translate(_AS_DIGIT)
    return candidate if _NUMBER_SHAPE.match(candidate) else text


def _container(text: str) -> str | None:
    """'MSCU12345O7' -> 'MSCU1234507' when that reading, and only it, has a right check
    digit; None when the word does not look like a container number."""
    from smartcustoms.declarations.types import iso6346_check_digit

    match = _CONTAINER_SHAPE.match(text.upper().replace("|", "1"))
    if match is None or len(match.group(2)) < 7:
        return None
    serials = [match.group(2)]
    if len(serials[0]) == 8:
        # One letter too many among the digits ('SEGU5S834113': the 5 read twice, once
        # as 'S'): each reading without one of its letters.
        serials = [serials[0][:i] + serials[0][i + 1:] for i, char in enumerate(serials[0])
                   if not char.isdigit()]
    owners = [""]
    for char in match.group(1)[:3]:
        options = char + _AS_LETTER.get(char, "") if char.isdigit() else char
        owners = [o + letter for o in owners for letter in options if letter.isalpha()]
    readings = {o + match.group(1)[3] + serial for o in owners
                for serial in (s.translate(_AS_DIGIT) for s in serials)
                if iso6346_check_digit(o + match.group(1)[3] + serial[:6]) == int(serial[6])}
    if len(readings) != 1:
        return None
    return readings.pop()
