"""Words with their positions, grouped into lines and segments, from a digital PDF.

A *line* is the words sharing a baseline on one page; a *segment* is a run of words on a
line with no wide gap, i.e. one cell, label or value as a person would see it. Nothing
here knows about document types: the same layout feeds every reader, whether the words
come from the PDF's text layer or from OCR (``ocr.py`` builds the same ``Word``s and
groups them with ``group_lines``).
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Literal

from smartcustoms.documents.errors import DocumentHasNoText, DocumentUnreadable

MAX_PAGES = 50
MAX_BYTES = 50 * 2**20

BBox = tuple[float, float, float, float]
WordSource = Literal["pdf-text", "ocr"]


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    mono: bool
    page: int  # 1-based
    source: WordSource = "pdf-text"
    confidence: float = 1.0  # how sure the source is of the text: 1.0 for a text layer
    read_as: str | None = None  # what OCR read when ``text`` is its correction ('1O5' -> '105')


def evidence_basis(words: Iterable[Word], method: str, confidence: float) -> tuple[str, float]:
    """The evidence method and confidence for a value read from ``words`` by a reader that
    is ``confidence`` sure of it: words from OCR make it an "ocr" reading, as sure as the
    reader times the OCR engine's mean certainty of the words (never above its least
    certain word by more than 0.25)."""
    scores = [w.confidence for w in words if w.source == "ocr"]
    if not scores:
        return method, confidence
    ocr = min(statistics.fmean(scores), min(scores) + 0.25)
    return "ocr", confidence * ocr


def source_text(text: str, words: Iterable[Word]) -> str:
    """Evidence text: ``text`` as read, with the OCR corrections made in it named."""
    fixed = [f"{w.read_as!r} as {w.text!r}" for w in words if w.read_as is not None]
    return f"{text} (OCR read {', '.join(fixed)})" if fixed else text


@dataclass(slots=True)
class Segment:
    words: tuple[Word, ...]
    line: int  # index of its line on the page
    page: int

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def size(self) -> float:
        return max(w.size for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(slots=True)
class Line:
    page: int
    index: int
    words: list[Word]
    segments: list[Segment] = field(default_factory=list)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def size(self) -> float:
        return statistics.median(w.size for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(slots=True)
class Page:
    number: int
    width: float
    height: float
    lines: list[Line]
    scanned: bool = False  # read by OCR from an image of the page


def bbox_of(words: Iterable[Word]) -> BBox:
    items = list(words)
    return (round(min(w.x0 for w in items), 2), round(min(w.top for w in items), 2),
            round(max(w.x1 for w in items), 2), round(max(w.bottom for w in items), 2))


def read_pages(source: bytes | str | Path | IO[bytes], *, max_pages: int = MAX_PAGES) -> list[Page]:
    """Pages of a digital PDF as lines and segments; raises DocumentUnreadable (not a PDF,
    encrypted, too many pages) or DocumentHasNoText (no text layer: a scan)."""
    import pdfplumber  # heavy; imported where it is needed

    data = read_bytes(source)
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise DocumentUnreadable("the file is not a PDF (it does not start with %PDF)")
    pages: list[Page] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > max_pages:
                raise DocumentUnreadable(
                    f"the PDF has {len(pdf.pages)} pages; at most {max_pages} are read"
                )
            for number, page in enumerate(pdf.pages, start=1):
                raw = page.extract_words(
                    x_tolerance=2, y_tolerance=2, keep_blank_chars=False,
                    use_text_flow=False, extra_attrs=["size", "fontname"],
                )
                words = [w for item in raw for w in split_glued_label(_word(item, number))]
                pages.append(Page(number, float(page.width), float(page.height),
                                  group_lines(words, number)))
    except DocumentUnreadable:
        raise
    except Exception as exc:
        raise DocumentUnreadable(f"the PDF cannot be parsed: {type(exc).__name__}") from exc
    if not any(page.lines for page in pages):
        raise DocumentHasNoText(
            "no page has a text layer; the document is an image (a scan) and needs OCR"
        )
    return pages


def read_bytes(source: bytes | str | Path | IO[bytes]) -> bytes:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | Path):
        path = Path(source)
        if path.stat().st_size > MAX_BYTES:
            raise DocumentUnreadable(f"the file is larger than {MAX_BYTES // 2**20} MiB")
        data = path.read_bytes()
    else:
        data = source.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DocumentUnreadable(f"the file is larger than {MAX_BYTES // 2**20} MiB")
    return data


def _word(item: dict[str, object], page: int) -> Word:
    text = str(item["text"])
    fontname = str(item.get("fontname", ""))
    lower = fontname.lower()
    return Word(
        text=text, x0=float(item["x0"]), x1=float(item["x1"]),  # type: ignore[arg-type]
        top=float(item["top"]), bottom=float(item["bottom"]),  # type: ignore[arg-type]
        size=round(float(item.get("size", 9.0)), 2),  # type: ignore[arg-type]
        bold="bold" in lower or "black" in lower or "heavy" in lower,
        mono="courier" in lower or "mono" in lower, page=page,
    )


def split_glued_label(word: Word) -> list[Word]:
    """'Date:12.03.2026' -> 'Date:' + '12.03.2026' (a label glued to its value)."""
    text = word.text
    colon = text.find(":")
    if 1 < colon < len(text) - 1 and text[:colon].replace(".", "").isalpha():
        width = (word.x1 - word.x0) / len(text)
        split = word.x0 + width * (colon + 1)
        return [replace(word, text=text[: colon + 1], x1=split),
                replace(word, text=text[colon + 1:], x0=split)]
    return [word]


def group_lines(words: Sequence[Word], page: int) -> list[Line]:
    """Words of one page as lines (sharing a bottom, within a third of their size), each
    cut into segments at gaps wider than about two spaces."""
    ordered = sorted(words, key=lambda w: (round(w.bottom, 1), w.x0))
    groups: list[list[Word]] = []
    for word in ordered:
        if groups:
            last = groups[-1]
            reference = max(w.bottom for w in last)
            tolerance = 0.3 * min(word.size, min(w.size for w in last))
            if abs(word.bottom - reference) <= max(tolerance, 1.0):
                last.append(word)
                continue
        groups.append([word])
    lines = []
    for index, group in enumerate(groups):
        group.sort(key=lambda w: w.x0)
        line = Line(page=page, index=index, words=group)
        line.segments = _segments(group, index, page)
        lines.append(line)
    return lines


def gap_limit(left: Word, right: Word) -> float:
    """Widest gap that still joins two words into one segment: about two spaces."""
    size = max(left.size, right.size)
    if left.mono and left.source == "ocr" and left.text[-1:] in _LOW_MARKS:
        # OCR's box ends at the ink: a comma's sits at the left of its Courier cell, so
        # 'Boulevard, District' looks more than two spaces apart.
        return size * _MONO_AFTER_MARK
    return size * (0.9 if left.mono or right.mono else 0.55)


_LOW_MARKS = frozenset(",.;:")
_MONO_AFTER_MARK = 1.3


def _segments(words: list[Word], line: int, page: int) -> list[Segment]:
    segments: list[list[Word]] = []
    for word in words:
        previous = segments[-1][-1] if segments else None
        if previous is not None and word.x0 - previous.x1 <= gap_limit(previous, word) and not (
                # a title beside a letterhead name: another size is another segment
                max(word.size, previous.size) > 1.25 * min(word.size, previous.size)
                and word.x0 - previous.x1 > 2):
            segments[-1].append(word)
        else:
            segments.append([word])
    return [Segment(tuple(group), line, page) for group in segments]
