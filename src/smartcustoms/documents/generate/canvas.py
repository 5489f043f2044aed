"""A thin drawing surface over fpdf2: text at a position, boxes, wrapping; points, A4.

Core fonts only (Helvetica, Times, Courier), hence Latin-1 text. The output is
deterministic: a fixed creation date and no random file identifier.
"""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF

PAGE_WIDTH = 595.28
PAGE_HEIGHT = 841.89
LEFT = 40.0
RIGHT = 555.0
_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Canvas:
    """Pages of an A4 PDF in points; ``y`` is the top of a text line."""

    def __init__(self, font: str, *, title: str = "") -> None:
        self.font = font
        self.pdf = FPDF(unit="pt", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(0, 0, 0)
        self.pdf.set_creation_date(_EPOCH)
        self.pdf.set_creator("smartcustoms corpus generator")
        self.pdf.set_producer("fpdf2")
        if title:
            self.pdf.set_title(title)
        self.pdf.set_line_width(0.6)
        self.pages = 0

    def page(self) -> None:
        self.pdf.add_page()
        self.pages += 1

    def _font(self, size: float, bold: bool) -> None:
        self.pdf.set_font(self.font, style="B" if bold else "", size=size)

    def width(self, text: str, size: float = 9, bold: bool = False) -> float:
        self._font(size, bold)
        return float(self.pdf.get_string_width(text))

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 9,
        bold: bool = False,
        align: str = "L",
        width: float | None = None,
    ) -> float:
        """Draw one line; ``align`` R or C needs ``width`` (the box it aligns in).

        Returns the line height used.
        """
        self._font(size, bold)
        height = size * 1.25
        if align == "L" or width is None:
            self.pdf.set_xy(x, y)
            self.pdf.cell(self.pdf.get_string_width(text) + 0.01, height, text)
        else:
            self.pdf.set_xy(x, y)
            self.pdf.cell(width, height, text, align=align)
        return height

    def lines(self, x: float, y: float, lines: list[str], *, size: float = 9,
              bold_first: bool = False, leading: float = 1.3,
              max_width: float | None = None) -> float:
        """Draw lines downward, shrunk to ``max_width`` if given; returns the y below."""
        if max_width is not None and lines:
            widest = max(self.width(line, size, bold_first) for line in lines)
            if widest > max_width:
                size = max(6.0, size * max_width / widest)
        for index, line in enumerate(lines):
            self.text(x, y, line, size=size, bold=bold_first and index == 0)
            y += size * leading
        return y

    def wrap(self, text: str, width: float, size: float = 9, bold: bool = False) -> list[str]:
        """Greedy word wrap to ``width`` points."""
        out: list[str] = []
        current = ""
        for word in text.split():
            trial = f"{current} {word}".strip()
            if current and self.width(trial, size, bold) > width:
                out.append(current)
                current = word
            else:
                current = trial
        if current:
            out.append(current)
        return out or [""]

    def box(self, x: float, y: float, w: float, h: float, *, fill: int | None = None) -> None:
        if fill is not None:
            self.pdf.set_fill_color(fill)
            self.pdf.rect(x, y, w, h, style="DF")
        else:
            self.pdf.rect(x, y, w, h)

    def field_box(self, x: float, y: float, w: float, h: float, label: str,
                  lines: list[str], *, size: float = 9, bold_first: bool = False) -> None:
        """A form box: small label at the top left, value lines under it, shrunk to fit."""
        self.box(x, y, w, h)
        self.text(x + 4, y + 3, label, size=6.5)
        widest = max((self.width(line, size, bold_first) for line in lines), default=0.0)
        if widest > w - 10:
            size = max(6.0, size * (w - 10) / widest)
        ly = y + 15
        for index, line in enumerate(lines):
            self.text(x + 6, ly, line, size=size, bold=bold_first and index == 0)
            ly += size * 1.3

    def hline(self, x0: float, x1: float, y: float, *, width: float = 0.6) -> None:
        self.pdf.set_line_width(width)
        self.pdf.line(x0, y, x1, y)
        self.pdf.set_line_width(0.6)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
