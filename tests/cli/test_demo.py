"""The demo's scanned copy: an invoice scanned, written beside the demo's PDFs and read
through OCR, summed up in one line (or why it was not read)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smartcustoms.cli.demo import read_scanned_copy
from smartcustoms.documents.extract import OcrUnavailable, tesseract
from smartcustoms.documents.extract.ocr import LANGUAGES
from smartcustoms.documents.generate import generate_case


def _no_models() -> bool:
    try:
        tesseract.tessdata_dir(LANGUAGES)
    except OcrUnavailable:
        return True
    return False


INVOICE = generate_case(2026, inconsistencies=["total_changed"]).document("commercial_invoice")


@pytest.mark.skipif(_no_models(), reason="Tesseract's language models are not installed")
def test_the_scanned_copy_is_written_and_read(tmp_path: Path) -> None:
    line = read_scanned_copy(INVOICE, 2026, tmp_path)
    found = re.fullmatch(r"scanned copy \(commercial_invoice-scanned\.pdf, 1 page\(s\)\) read "
                         r"through OCR in [\d.]+ s: (\d+) of (\d+) fields as printed, (\d+) "
                         r"left out for review", line)
    assert found is not None, line
    right, fields, _unsure = (int(g) for g in found.groups())
    assert fields >= 20 and right >= 0.8 * fields  # the benchmark reads ~93 % of scans
    assert (tmp_path / "commercial_invoice-scanned.pdf").read_bytes().startswith(b"%PDF")


def test_without_the_models_the_line_says_why(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesseract, "MODEL_DIRS", ())
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    monkeypatch.setattr(tesseract, "_idle", {})
    line = read_scanned_copy(INVOICE, 2026, tmp_path)
    assert line.startswith("scanned copy (commercial_invoice-scanned.pdf) not read: ")
    assert "apt-get install tesseract-ocr-eng" in line
