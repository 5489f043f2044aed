"""Reading scanned documents with Tesseract: image-only PDFs and PNG pages from the
generator's scanner, coordinates back in PDF points, OCR evidence, corrections of OCR's
letter-for-digit confusions, values left out when OCR is unsure, and the errors (no
Tesseract, OCR turned off, a page that takes too long).

Real Tesseract runs here (two pages read whole, about 3-5 s each); the scanned documents
use seeds of their own, apart from the benchmark's."""

from __future__ import annotations

import io
import shutil

import pytest
from PIL import Image

from smartcustoms.documents.errors import DocumentHasNoText, DocumentUnreadable
from smartcustoms.documents.evaluate import accuracy, compare_documents
from smartcustoms.documents.extract import OcrUnavailable, read_document
from smartcustoms.documents.extract import ocr as engine
from smartcustoms.documents.extract.layout import read_pages
from smartcustoms.documents.extract.scanimage import skew_angle
from smartcustoms.documents.generate import GeneratedDocument, generate_case, scan_document
from smartcustoms.documents.models import DocumentReading, DocumentType

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None,
                                reason="Tesseract is not installed (apt-get install tesseract-ocr)")


@pytest.fixture(scope="module")
def invoice() -> GeneratedDocument:
    return generate_case(8101, layouts={"commercial_invoice": "columns"}, language="en",
                         font="Helvetica", line_count=4).document("commercial_invoice")


@pytest.fixture(scope="module")
def invoice_scan(invoice: GeneratedDocument) -> bytes:
    return scan_document(invoice.pdf, seed=8101).pdf


@pytest.fixture(scope="module")
def invoice_reading(invoice_scan: bytes) -> DocumentReading:
    return read_document(invoice_scan)


def test_scanned_pdf_is_read_through_ocr(invoice: GeneratedDocument,
                                         invoice_reading: DocumentReading) -> None:
    assert invoice_reading.document_type is DocumentType.commercial_invoice
    assert invoice_reading.page_count == 1
    outcomes = compare_documents(invoice.truth, invoice_reading.document)
    assert accuracy(outcomes) >= 0.8, [o for o in outcomes if not o.correct]
    assert invoice_reading.document.number == invoice.truth.number


def test_ocr_evidence_has_method_ocr_and_the_engines_confidence(
        invoice_reading: DocumentReading) -> None:
    assert invoice_reading.evidence
    assert {e.method for e in invoice_reading.evidence.values()} == {"ocr"}
    number = invoice_reading.evidence["number"]
    assert 0.3 < number.confidence < 0.99  # reader's 0.9x times Tesseract's certainty


def test_words_land_in_pdf_points_near_the_text_layer(invoice: GeneratedDocument,
                                                      invoice_scan: bytes) -> None:
    digital = [w for line in read_pages(invoice.pdf)[0].lines for w in line.words]
    scanned = engine.ocr_pdf_pages(invoice_scan)[0]
    assert scanned.scanned and abs(scanned.width - 595.3) < 2
    matched = 0
    for word in (w for line in scanned.lines for w in line.words):
        if word.text not in ("Commercial", "Seller:", "Currency:", "Description"):
            continue
        pdf = min((d for d in digital if d.text == word.text),
                  key=lambda d: abs(d.x0 - word.x0) + abs(d.top - word.top))
        assert abs(word.x0 - pdf.x0) < 3 and abs(word.x1 - pdf.x1) < 3, (word, pdf)
        assert abs(word.bottom - pdf.bottom) < 3 and abs(word.size - pdf.size) < 2.5
        assert word.source == "ocr" and 0 < word.confidence <= 1
        matched += 1
    assert matched >= 2


def test_png_page_is_read() -> None:
    document = generate_case(8102, layouts={"packing_list": "columns"}, language="de",
                             font="Helvetica", line_count=3).document("packing_list")
    png = scan_document(document.pdf, seed=8102).pages_png[0]
    reading = read_document(png)
    assert reading.document_type is DocumentType.packing_list
    assert reading.document.number == document.truth.number
    assert all(e.method == "ocr" for e in reading.evidence.values())
    assert accuracy(compare_documents(document.truth, reading.document)) >= 0.6


def test_ocr_off_keeps_the_no_text_error(invoice_scan: bytes) -> None:
    with pytest.raises(DocumentHasNoText):
        read_document(invoice_scan, ocr=False)
    png = io.BytesIO()
    Image.new("L", (200, 300), 255).save(png, format="PNG")
    with pytest.raises(DocumentHasNoText):
        read_document(png.getvalue(), ocr=False)


def test_missing_tesseract_names_the_package(invoice_scan: bytes,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(OcrUnavailable, match="apt-get install tesseract-ocr"):
        read_document(invoice_scan)
    assert issubclass(OcrUnavailable, DocumentUnreadable)


def test_page_limit_and_timeout_apply(invoice_scan: bytes) -> None:
    with pytest.raises(DocumentUnreadable, match="at most 0"):
        read_document(invoice_scan, max_pages=0)
    with pytest.raises(DocumentUnreadable, match="took longer"):
        engine.ocr_pdf_pages(invoice_scan, timeout=0.01)
    with pytest.raises(DocumentUnreadable, match="not a PDF"):
        read_document(b"GIF89a not a document")


@pytest.mark.parametrize("angle", [-2.0, -0.6, 0.35, 1.0])
def test_a_turned_page_is_found_turned_by_its_angle(invoice: GeneratedDocument,
                                                    angle: float) -> None:
    scan = scan_document(invoice.pdf, seed=8103, max_rotation=0.0)
    image = Image.open(io.BytesIO(scan.pages_png[0]))
    turned = image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=240)
    assert abs(skew_angle(turned) - angle) < 0.1


def test_scanner_rotation_is_undone() -> None:
    document = generate_case(8104).documents[2]
    scan = scan_document(document.pdf, seed=8104)
    image = Image.open(io.BytesIO(scan.pages_png[0]))
    assert abs(skew_angle(image) - scan.rotations[0]) < 0.1


@pytest.mark.parametrize(("read", "meant"), [
    ("1O5,5O", "105,50"),
    ("2,4OO", "2,400"),
    ("2O25-05-30", "2025-05-30"),
    ("MSCU12345O3", "MSCU1234503"),  # the digit part of a container number
    ("0OLU1346063", "OOLU1346063"),  # the owner code: the check digit decides
    ("2.5l", "2.5l"),  # a unit after the number stays
    ("S.r.l.", "S.r.l."),
    ("SO-1234", "SO-1234"),  # a reference starting with letters stays
    ("OOLU1346064", "OOLU1346064"),  # no reading has a right check digit: left as read
])
def test_letters_read_for_digits_are_corrected(read: str, meant: str) -> None:
    assert engine.corrected(read) == meant


def test_unsure_values_are_left_out_not_guessed(invoice_scan: bytes,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from smartcustoms.documents.extract import review

    monkeypatch.setattr(review, "OCR_MIN_CONFIDENCE", 0.995)
    reading = read_document(invoice_scan)
    assert reading.document.number is None and "number" in reading.missing
    assert "number" not in reading.evidence
    problem = next(p for p in reading.problems if p.field == "number")
    assert "confidence" in problem.message and problem.evidence is not None
    assert all(e.confidence >= 0.995 for e in reading.evidence.values()
               if not e.text.startswith(tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
