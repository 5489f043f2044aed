"""Reading scanned documents with Tesseract: image-only PDFs and PNG pages from the
generator's scanner, coordinates back in PDF points, OCR evidence, corrections of OCR's
letter-for-digit confusions, values left out when OCR is unsure, and the errors (no
Tesseract models, OCR turned off, a page that takes too long).

Real Tesseract runs here (two pages read whole, about 3-5 s each); the scanned documents
use seeds of their own, apart from the benchmark's."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from smartcustoms.documents.errors import (
    DocumentHasNoText,
    DocumentTypeUnknown,
    DocumentUnreadable,
)
from smartcustoms.documents.evaluate import accuracy, compare_documents
from smartcustoms.documents.extract import OcrUnavailable, ocrcells, read_document, tesseract
from smartcustoms.documents.extract import ocr as engine
from smartcustoms.documents.extract.headers import _header_score, fuzzy_column_word
from smartcustoms.documents.extract.layout import (
    Line,
    Page,
    Word,
    group_lines,
    read_pages,
    source_text,
)
from smartcustoms.documents.extract.scanimage import skew_angle
from smartcustoms.documents.generate import GeneratedDocument, generate_case, scan_document
from smartcustoms.documents.models import DocumentReading, DocumentType


def _no_models() -> bool:
    try:
        tesseract.tessdata_dir(engine.LANGUAGES)
    except OcrUnavailable:
        return True
    return False


NO_MODELS = _no_models()
pytestmark = pytest.mark.skipif(NO_MODELS, reason="Tesseract's language models are not "
                                "installed (apt-get install tesseract-ocr-deu …)")


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


def test_missing_tesseract_names_the_package(invoice_scan: bytes, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # no models there, nor elsewhere
    monkeypatch.setattr(tesseract, "MODEL_DIRS", ())
    monkeypatch.setattr(tesseract, "_idle", {})  # no engine already loaded
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
    ("SEGU5S834113", "SEGU5834113"),  # a digit read twice, once as a letter
    ("SEGU58341133", "SEGU58341133"),  # a digit too many, but no letter to take out
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


# --- repairs of OCR misreadings in tables and titles ------------------------------------
def _ocr_word(text: str, x0: float, x1: float, *, top: float = 100.0, size: float = 9.0,
              confidence: float = 0.9) -> Word:
    return Word(text, x0, x1, top, top + size, size, False, False, 1, "ocr", confidence)


@pytest.mark.parametrize(("read", "meant"), [("|", "l"), ("1", "l"), ("I", "l"),
                                             ("pes", "pces"), ("kg", "kg")])
def test_a_unit_cell_misread_is_undone_and_named(read: str, meant: str) -> None:
    fixed = ocrcells.unit_cell([_ocr_word(read, 10, 14)])[0]
    assert fixed.text == meant
    if meant != read:
        assert fixed.read_as == read and fixed.confidence < 0.9
        assert "OCR read" in source_text(fixed.text, [fixed])


def test_a_speck_after_a_number_and_a_count_of_one_read_as_a_letter_are_undone() -> None:
    cells = {"gross": [_ocr_word("2,077.65.", 458, 490)],
             "net": [_ocr_word("47.96:", 400, 420)], "qty": [_ocr_word("5.", 300, 310)],
             "packages": [_ocr_word("I", 408, 410), _ocr_word("roll", 413, 430)]}
    ocrcells.repair_cells(cells, ".")
    assert [w.text for w in cells["gross"] + cells["net"]] == ["2,077.65", "47.96"]
    assert cells["gross"][0].read_as == "2,077.65." and cells["gross"][0].confidence < 0.9
    assert cells["qty"][0].text == "5."  # no decimal part: the point may be its own
    assert [w.text for w in cells["packages"]] == ["1", "roll"]
    # an 'I' that is no count (no package word after it) stays
    alone = {"packages": [_ocr_word("I", 408, 410), _ocr_word("Widget", 413, 440)]}
    ocrcells.repair_cells(alone, ".")
    assert alone["packages"][0].text == "I"


def test_a_speck_before_a_number_comes_off_a_sign_does_not() -> None:
    cells = {"net": [_ocr_word("(1158.62", 461, 490)], "gross": [_ocr_word("(12.50)", 520, 550)],
             "amount": [_ocr_word("-40.00", 500, 530)], "qty": [_ocr_word("(12", 300, 310)]}
    ocrcells.repair_cells(cells, ".")
    assert cells["net"][0].text == "1158.62" and cells["net"][0].read_as == "(1158.62"
    # balanced parentheses and a minus are signs; a count with no decimal part stays
    assert [cells[k][0].text for k in ("gross", "amount", "qty")] == ["(12.50)", "-40.00", "(12"]


def test_a_number_split_at_a_lost_decimal_mark_is_joined() -> None:
    words = [_ocr_word("1,750", 10, 30), _ocr_word("40", 33, 41)]
    joined = ocrcells.join_lost_decimal(words, ".")
    assert [w.text for w in joined] == ["1,750.40"]
    assert joined[0].read_as == "1,750 40" and joined[0].confidence < 0.9
    # far apart (two columns) or a thousands group: left as read
    assert len(ocrcells.join_lost_decimal([_ocr_word("12", 10, 20),
                                           _ocr_word("40", 60, 68)], ".")) == 2
    assert len(ocrcells.join_lost_decimal([_ocr_word("2", 10, 14),
                                           _ocr_word("304,5", 17, 40)], ",")) == 2
    assert ocrcells.decimal_mark(["1,234.50", "2.57", "1,000"]) == "."
    assert ocrcells.decimal_mark(["1.234,50", "2,57"]) == ","


def test_a_misread_column_name_is_matched_fuzzily_only_for_ocr() -> None:
    assert fuzzy_column_word("inhait") == "einheit"
    assert fuzzy_column_word("beschreibunq") == "beschreibung"
    assert fuzzy_column_word("orange") is None
    line = group_lines([_ocr_word("Pos.", 10, 30), _ocr_word("Beschreibunq", 40, 100),
                        _ocr_word("Menge", 200, 230), _ocr_word("@inhait", 240, 270),
                        _ocr_word("Einzelpreis", 290, 340)], 1)[0]
    kinds, share = _header_score(line)
    assert kinds >= 3 and share == 1.0
    digital = group_lines([replace(w, source="pdf-text") for w in line.words], 1)[0]
    assert _header_score(digital)[1] < 1.0


def test_a_misread_title_is_matched_fuzzily_with_less_confidence() -> None:
    from smartcustoms.documents.extract import _detect

    title = [_ocr_word("Co", 40, 60, top=20, size=16), _ocr_word("'ercial", 62, 110,
             top=20, size=16), _ocr_word("Invoice", 114, 170, top=20, size=16)]
    body = [_ocr_word(f"word{i}", 40 + 40 * (i % 5), 70 + 40 * (i % 5),
                      top=60 + 12 * (i // 5)) for i in range(20)]
    page = Page(1, 595.0, 842.0, group_lines(title + body, 1), scanned=True)
    guess, _segment = _detect([page])
    assert guess.document_type is DocumentType.commercial_invoice
    assert guess.confidence <= 0.85
    digital = [replace(w, source="pdf-text") for w in title + body]
    with pytest.raises(DocumentTypeUnknown):
        _detect([Page(1, 595.0, 842.0, group_lines(digital, 1))])


def _title_page(title: list[Word]) -> Page:
    body = [_ocr_word(f"word{i}", 40 + 40 * (i % 5), 70 + 40 * (i % 5),
                      top=60 + 12 * (i // 5)) for i in range(20)]
    return Page(1, 595.0, 842.0, group_lines(title + body, 1), scanned=True)


def test_a_title_word_ocr_was_unsure_of_is_matched_and_its_repair_named() -> None:
    from smartcustoms.documents.extract import _detect

    # 'PACKING LIST' read as 'PACS LIST', 'PACS' at 6 %: too far off for the whole line's
    # ratio, but 'LIST' is sure and 'PACS' is unsure and alike enough.
    page = _title_page([_ocr_word("PACS", 300, 340, top=20, size=16, confidence=0.06),
                        _ocr_word("LIST", 346, 390, top=20, size=16, confidence=0.96)])
    guess, segment = _detect([page])
    assert guess.document_type is DocumentType.packing_list
    assert guess.confidence <= 0.85
    assert guess.title == "PACKING LIST"
    fixed, kept = segment.words
    assert (fixed.text, fixed.read_as) == ("PACKING", "PACS") and fixed.confidence < 0.06
    assert (kept.text, kept.read_as, kept.confidence) == ("LIST", None, 0.96)
    assert page.lines[segment.line].words[:2] == list(segment.words)
    assert "'PACS' as 'PACKING'" in source_text(segment.text, segment.words)


def test_a_title_ocr_cut_into_pieces_is_matched_whole() -> None:
    from smartcustoms.documents.extract import _detect

    # 'Lista de embalaje' read as 'Lista de' and 'em ralaje' ('em' sized by its short
    # letters), 10 pt apart: neither piece is a title, the line is
    page = _title_page([_ocr_word("Lista", 216, 264, top=20, size=15),
                        _ocr_word("de", 273, 293, top=20, size=15),
                        _ocr_word("em", 303, 323, top=24, size=10),
                        _ocr_word("ralaje", 323, 379, top=20, size=15, confidence=0.79)])
    assert len(page.lines[0].segments) > 1
    guess, segment = _detect([page])
    assert guess.document_type is DocumentType.packing_list
    assert guess.confidence <= 0.85 and segment.text == "Lista de em ralaje"


def test_the_label_of_the_documents_number_names_its_type_when_no_title_is_read() -> None:
    from smartcustoms.documents.extract import NUMBER_LABEL_CONFIDENCE, _detect

    # the title 'LISTE DE COLISAGE' read as 'Liste de a'; the number's label stands
    garbled = [_ocr_word("Liste", 216, 264, top=20, size=15),
               _ocr_word("de", 273, 293, top=20, size=15),
               _ocr_word("a", 302, 379, top=20, size=15, confidence=0.34)]
    label = [_ocr_word("Liste", 305, 324, top=40), _ocr_word("de", 327, 336, top=40),
             _ocr_word("colisage", 340, 371, top=40), _ocr_word("n°", 375, 382, top=40)]
    guess, segment = _detect([_title_page(garbled + label)])
    assert guess.document_type is DocumentType.packing_list
    assert guess.confidence == NUMBER_LABEL_CONFIDENCE and segment.text == "Liste de colisage n°"
    # a title read wins over any number's label ('Invoice No.' on a packing list)
    title = [_ocr_word("PACKING", 216, 290, top=20, size=15),
             _ocr_word("LIST", 296, 340, top=20, size=15)]
    invoice_no = [_ocr_word("Invoice", 305, 330, top=40), _ocr_word("No.", 333, 345, top=40)]
    guess, _segment = _detect([_title_page(title + invoice_no)])
    assert guess.document_type is DocumentType.packing_list and guess.confidence > 0.9
    # no title, and the invoice's number beside the packing list's: a packing list prints
    # its invoice's number, so the packing list's own label names the type
    invoice_no = [_ocr_word("Invoice", 305, 330, top=60), _ocr_word("No.", 333, 345, top=60)]
    guess, segment = _detect([_title_page(garbled + label + invoice_no)])
    assert guess.document_type is DocumentType.packing_list
    assert segment.text == "Liste de colisage n°"
    # two number labels of types that do not print each other's: no guess
    bl_no = [_ocr_word("B/L", 305, 322, top=60), _ocr_word("No.", 325, 337, top=60)]
    with pytest.raises(DocumentTypeUnknown):
        _detect([_title_page(garbled + label + bl_no)])


def _labelled(*labels: tuple[str, ...], top: float = 60.0) -> list[Word]:
    """One label a line, its words from x = 40 on, each label followed by a value."""
    words = []
    for row, label in enumerate(labels):
        x = 40.0
        for text in (*label, "X1"):
            words.append(_ocr_word(text, x, x + 6 * len(text), top=top + 14 * row))
            x += 6 * len(text) + 4
    return words


def test_the_labels_only_one_type_has_name_it_when_no_title_is_read() -> None:
    from smartcustoms.documents.extract import LABELS_CONFIDENCE, _detect

    # 'Bill of Lading' read as 'Bill of aa'; the page's labels are a bill of lading's
    garbled = [_ocr_word("Bill", 42, 90, top=20, size=15), _ocr_word("of", 96, 120, top=20,
               size=15), _ocr_word("aa", 128, 150, top=20, size=15, confidence=0.3)]
    own = [("Vessel:",), ("Voy.", "No.:"), ("Port", "of", "Loading:"),
           ("Port", "of", "Discharge:")]
    shared = [("Consignee:",), ("Date:",)]
    page = Page(1, 595.0, 842.0, group_lines(garbled + _labelled(*own, *shared), 1),
                scanned=True)
    guess, segment = _detect([page])
    assert guess.document_type is DocumentType.bill_of_lading and segment is None
    assert guess.confidence == LABELS_CONFIDENCE
    assert "Vessel" in guess.title and "Consignee" not in guess.title
    # labels every type has, or too few of one type's own, name none
    for labels in (own[:2] + shared, shared):
        page = Page(1, 595.0, 842.0, group_lines(garbled + _labelled(*labels), 1),
                    scanned=True)
        with pytest.raises(DocumentTypeUnknown):
            _detect([page])


@pytest.mark.parametrize(("words", "key"), [
    (("Desnataire",), "consignee"),  # 'Destinataire' with 'ti' lost
    (("Warenemplinger",), "consignee"),  # 'Warenempfänger', two letters misread
    (("Warenempf", "ang"), "consignee"),
    (("Port", "of", "Loading:", "X1"), "port_of_loading"),  # exact, the value no part of it
    (("Destinatairexx",), None),  # two letters longer than the label: not it
])
def test_a_long_label_on_a_scan_may_be_two_letters_off(words: tuple[str, ...],
                                                        key: str | None) -> None:
    from smartcustoms.documents.extract import _LEXICONS
    from smartcustoms.documents.extract.labels import match_label

    placed, x = [], 40.0
    for text in words:
        placed.append(_ocr_word(text, x, x + 5 * len(text), top=100))
        x += 5 * len(text) + 4
    line = group_lines(placed, 1)[0]
    lexicon = _LEXICONS[DocumentType.packing_list if key == "consignee"
                        else DocumentType.bill_of_lading]
    hit = match_label(line.segments[0], lexicon)
    assert (hit.key if hit is not None else None) == key
    if key == "consignee":  # printed text is matched one edit off at most
        digital = group_lines([replace(w, source="pdf-text") for w in line.words], 1)[0]
        assert match_label(digital.segments[0], lexicon) is None


def test_a_label_on_the_titles_line_is_still_a_label() -> None:
    from smartcustoms.documents.extract import _LEXICONS, _detect
    from smartcustoms.documents.extract.labels import PageText

    # a scan set the title and the B/L number's label on one line, far apart
    line = [_ocr_word("Connaissement", 43, 170, top=40, size=15),
            _ocr_word("maritime", 182, 260, top=40, size=15),
            _ocr_word("N°", 438, 450, top=42), _ocr_word("B/L:", 452, 470, top=42),
            _ocr_word("OCLU538572969", 474, 553, top=42)]
    page = _title_page(line)
    guess, title = _detect([page])
    assert guess.document_type is DocumentType.bill_of_lading and title is not None
    text = PageText([page], _LEXICONS[DocumentType.bill_of_lading])
    text.consume(title)
    (hit,) = text.hits_for("number")
    assert next(c.text for c in text.values(hit)) == "OCLU538572969"
    assert title.text.startswith("Connaissement")  # consumed; the label beside it is not


@pytest.mark.parametrize(("label", "digits", "taken"), [
    (("Cédigo", "SA:"), "2204.21", True),  # 'Código SA' with its 'ó' misread
    (("Código", "Ba"), "4819.10", True),
    (("Código", "SA:"), "2204.21", True),  # exact, as before
    (("Partido",), "2204.21", True),  # one letter off 'Partida', before a whole HS code
    (("Partido",), "2", False),  # a description line: 'Partido 2 piezas'
    (("Cédigo", "SA:"), "22", False),
])
def test_an_hs_label_under_a_description_may_be_one_letter_off(
        label: tuple[str, ...], digits: str, taken: bool) -> None:
    from smartcustoms.documents.extract.invoice import _inline_codes

    words = [_ocr_word(t, 40 + 40 * i, 70 + 40 * i) for i, t in enumerate((*label, digits))]
    words.append(_ocr_word("piezas", 200, 240))
    found = _inline_codes(words)
    assert ("hs" in found) is taken
    digital = [replace(w, source="pdf-text") for w in words]
    assert ("hs" in _inline_codes(digital)) is (label == ("Código", "SA:"))  # exact only


def test_an_origin_label_one_letter_off_needs_a_country_after_it() -> None:
    from smartcustoms.documents.extract.invoice import _inline_codes

    def codes(*texts: str) -> dict[str, str]:
        found = _inline_codes([_ocr_word(t, 40 + 50 * i, 80 + 50 * i)
                               for i, t in enumerate(texts)])
        return {k: " ".join(w.text for w in v) for k, v in found.items()}

    assert codes("County", "of", "Origin:", "IN") == {"origin": "IN"}
    assert codes("HS", "Code:", "5407.52", "Orlgin:", "Vietnam") == {
        "hs": "5407.52", "origin": "Vietnam"}
    assert codes("Origami", "paper", "set") == {}  # a description line


def test_a_title_by_words_needs_a_sure_word_and_one_document_type() -> None:
    from smartcustoms.documents.extract import _detect

    # Both words unsure: no word to go by.
    with pytest.raises(DocumentTypeUnknown):
        _detect([_title_page([_ocr_word("PACS", 300, 340, top=20, size=16, confidence=0.06),
                              _ocr_word("LIZT", 346, 390, top=20, size=16, confidence=0.2)])])
    # Every word sure but misread: the whole line's ratio alone decides (here: too far).
    with pytest.raises(DocumentTypeUnknown):
        _detect([_title_page([_ocr_word("PACS", 300, 340, top=20, size=16),
                              _ocr_word("LIST", 346, 390, top=20, size=16)])])


def test_misread_title_words_never_name_another_document_type() -> None:
    """Every title of two words or more, one word garbled and unsure: the word-by-word match
    finds that title's document type or none, never another type."""
    import random

    from smartcustoms.documents.extract import _title_by_words
    from smartcustoms.documents.extract.layout import Segment
    from smartcustoms.documents.extract.lexicon import TITLES

    rng = random.Random(5)
    found = 0
    for title, phrase in TITLES.items():
        words = title.split(" ")
        for index in range(len(words) if len(words) > 1 else 0):
            for _ in range(25):
                garbled = list(words[index])
                for _ in range(rng.randint(1, 3)):
                    at = rng.randrange(max(len(garbled), 1))
                    garbled[at:at + 1] = rng.choice(["", rng.choice("acilmnorstu"), "rn"])
                segment = Segment(tuple(
                    _ocr_word("".join(garbled) or "x" if i == index else word, 0, 10,
                              confidence=0.1 if i == index else 0.9)
                    for i, word in enumerate(words)), 0, 1)
                matched = _title_by_words(segment)
                assert matched is None or TITLES[matched].key == phrase.key, (title, segment)
                found += matched is not None
    assert found > 1000


def test_a_continuation_page_whose_header_ocr_lost_keeps_the_columns() -> None:
    from smartcustoms.documents.extract.headers import Column
    from smartcustoms.documents.extract.tables import Table, _continued_without_header

    columns = [Column("description", 40, 200, []), Column("qty", 300, 330, []),
               Column("unit_price", 400, 440, []), Column("amount", 480, 530, [])]
    lines = group_lines([
        _ocr_word("Pos,", 40, 60, top=50), _ocr_word("Raerkraitno", 80, 140, top=50),
        _ocr_word("Widget", 40, 80, top=80), _ocr_word("12", 310, 325, top=80),
        _ocr_word("2,50", 405, 430, top=80), _ocr_word("30,00", 485, 520, top=80)], 2)
    page = Page(2, 595.0, 842.0, lines, scanned=True)
    table = Table(columns=columns)
    assert _continued_without_header(page, table) == 1
    assert _continued_without_header(Page(2, 595.0, 842.0, lines), table) is None
    assert _continued_without_header(page, None) is None


def test_line_arithmetic_restores_a_lost_decimal_mark_and_says_so() -> None:
    from types import SimpleNamespace

    from smartcustoms.declarations.models import Money, Quantity
    from smartcustoms.documents.extract.invoice import _check_line
    from smartcustoms.documents.models import Evidence, InvoiceLine

    def seen(text: str) -> Evidence:
        return Evidence(page=1, bbox=(0, 0, 1, 1), method="ocr", confidence=0.9, text=text)

    line = InvoiceLine(quantity=Quantity(value=Decimal("1871.5"), unit="LTR"),
                       unit_price=Money(amount=Decimal("257"), currency="USD"),
                       amount=Money(amount=Decimal("4809.76"), currency="USD"))
    ctx = SimpleNamespace(evidence={"lines[0].quantity": seen("1,871.5 l"),
                                    "lines[0].unit_price": seen("257"),
                                    "lines[0].amount": seen("4,809.76")}, problems=[])
    fixed = _check_line(ctx, line, "lines[0]")  # type: ignore[arg-type]
    assert fixed is not None and fixed.unit_price is not None
    assert fixed.unit_price.amount == Decimal("2.57")
    evidence = ctx.evidence["lines[0].unit_price"]
    assert "decimal mark" in evidence.text and evidence.confidence < 0.9
    # a digital reading (or one with its mark printed) is never changed
    ctx.evidence["lines[0].unit_price"] = seen("2,57")
    ctx.problem = lambda *args, **kwargs: ctx.problems.append(args)
    assert _check_line(ctx, line, "lines[0]") is None  # type: ignore[arg-type]
    assert ctx.problems
    # a round quantity: 100 x 617 is 1.00 x 617 or 100 x 6.17; the price has lost its cents
    round_line = InvoiceLine(quantity=Quantity(value=Decimal("100"), unit="H87"),
                             unit_price=Money(amount=Decimal("617"), currency="EUR"),
                             amount=Money(amount=Decimal("617.00"), currency="EUR"))
    ctx.evidence = {"lines[0].quantity": seen("100 Stk"), "lines[0].unit_price": seen("617"),
                    "lines[0].amount": seen("617,00")}
    fixed = _check_line(ctx, round_line, "lines[0]")  # type: ignore[arg-type]
    assert fixed is not None and fixed.unit_price is not None and fixed.quantity is not None
    assert (fixed.quantity.value, fixed.unit_price.amount) == (Decimal("100"), Decimal("6.17"))


def test_values_their_columns_total_confirms_are_sure() -> None:
    from types import SimpleNamespace

    from smartcustoms.documents.extract.packing import SUM_CONFIRMED, _check_sums
    from smartcustoms.documents.extract.review import OCR_MIN_CONFIDENCE
    from smartcustoms.documents.models import Evidence, PackingLine, PackingList

    def seen(text: str, confidence: float) -> Evidence:
        return Evidence(page=1, bbox=(0, 0, 1, 1), method="ocr", confidence=confidence,
                        text=text)

    def check(counts: list[int], total: int) -> tuple[dict[str, Evidence], list[object]]:
        lines = [PackingLine(description=f"goods {i}", packages=n)
                 for i, n in enumerate(counts)]
        document = PackingList(lines=lines, total_packages=total)
        evidence = {f"lines[{i}].packages": seen(str(n), 0.32 if i == 1 else 0.9)
                    for i, n in enumerate(counts)} | {"total_packages": seen(str(total), 0.8)}
        ctx = SimpleNamespace(evidence=evidence, problems=[],
                              problem=lambda *a: ctx.problems.append(a))
        _check_sums(ctx, document)  # type: ignore[arg-type]
        return ctx.evidence, ctx.problems

    evidence, problems = check([5, 3, 2], 10)  # the lone '3' read at 0.32 adds up
    assert not problems
    assert evidence["lines[1].packages"].confidence == SUM_CONFIRMED > OCR_MIN_CONFIDENCE
    assert evidence["lines[0].packages"].confidence == SUM_CONFIRMED
    assert evidence["total_packages"].confidence == SUM_CONFIRMED
    evidence, problems = check([5, 8, 2], 10)  # '3' read as '8': the sum disagrees
    assert problems and evidence["lines[1].packages"].confidence == 0.32


@pytest.mark.parametrize(("read", "meant"), [
    ("311s", "311S"), ("PO-2026-0s1", "PO-2026-0S1"), ("311S", "311S"),
    ("abc123", "abc123"),  # 'a' has a shape of its own: printed small
    ("No5s", "No5s"), ("os1", "os1"),  # mostly small letters: a word, as printed
])
def test_a_codes_letter_whose_case_ocr_cannot_see_is_a_capital(read: str, meant: str) -> None:
    from types import SimpleNamespace

    from smartcustoms.documents.extract.common import reference

    scanned = SimpleNamespace(text=read, words=[_ocr_word(read, 10, 40)])
    assert reference(scanned)[0] == meant  # type: ignore[arg-type]
    printed = SimpleNamespace(text=read, words=[replace(_ocr_word(read, 10, 40),
                                                        source="pdf-text")])
    assert reference(printed)[0] == read  # type: ignore[arg-type]


def test_a_bl_number_whose_label_ocr_garbled_is_known_by_its_form() -> None:
    from smartcustoms.documents.extract import _LEXICONS
    from smartcustoms.documents.extract.common import Context
    from smartcustoms.documents.extract.labels import PageText
    from smartcustoms.documents.extract.lading import BY_FORM_CONFIDENCE, _number_by_form

    def read(*numbers: str, top: float = 146.0) -> tuple[str | None, Context]:
        words = [_ocr_word("Consignee", 47, 90, top=134), _ocr_word("BA", 304, 314, top=134),
                 _ocr_word("No.", 316, 330, top=134)]  # 'B/L No.' as OCR read it
        words += [_ocr_word(n, 306, 386, top=top + 12 * i) for i, n in enumerate(numbers)]
        page = Page(1, 595.0, 842.0, group_lines(words, 1), scanned=True)
        text = PageText([page], _LEXICONS[DocumentType.bill_of_lading])
        ctx = Context.build(text)
        return _number_by_form(ctx, text, {"MSCU7857054"}), ctx

    number, ctx = read("NSLU204476204")
    assert number == "NSLU204476204"
    assert ctx.evidence["number"].confidence == round(BY_FORM_CONFIDENCE * 0.9, 3)
    assert ctx.evidence["number"].label is None
    assert read("MSCU7857054")[0] is None  # the container's number
    assert read("MSCU7857055")[0] is None  # shaped like one, its check digit wrong
    assert read("NSLU204476204", "BMSU110594190")[0] is None  # two: no guess
    assert read("NSLU204476204", top=600)[0] is None  # low on the page: not the B/L's
    assert read("INV-2026-97644")[0] is None


def test_a_container_number_with_a_speck_before_it_or_its_serial_cut_is_read() -> None:
    from smartcustoms.documents.extract import _LEXICONS
    from smartcustoms.documents.extract.containers import find_containers
    from smartcustoms.documents.extract.labels import PageText

    def found(number: str, *, source: str = "ocr") -> list[tuple[str, list[str]]]:
        pieces = number.split(" ")  # a number OCR cut in two is two words
        words = [_ocr_word("Container", 43, 90), _ocr_word("No.:", 97, 115),
                 *(_ocr_word(p, 124 + 40 * i, 160 + 40 * i) for i, p in enumerate(pieces)),
                 _ocr_word("Seal:", 253, 275), _ocr_word("SL-145185", 286, 330)]
        words = [replace(w, source=source) for w in words]
        page = Page(1, 595.0, 842.0, group_lines(words, 1), scanned=source == "ocr")
        containers, _wrong = find_containers(
            PageText([page], _LEXICONS[DocumentType.bill_of_lading]), with_seals=True)
        return [(c.number, c.seals) for c in containers]

    assert found("‘TGHU8447203") == [("TGHU8447203", ["SL-145185"])]
    assert found("TGHU8447203") == [("TGHU8447203", ["SL-145185"])]
    assert found("‘TGHU8447203", source="pdf-text") == []  # printed so: not a container
    assert found("CMAU4 897489") == [("CMAU4897489", ["SL-145185"])]  # the serial cut
    assert found("CMAU4 897488") == []  # the check digit decides


def test_masses_that_cannot_be_get_their_decimal_mark_back() -> None:
    from types import SimpleNamespace

    from smartcustoms.documents.extract.packing import _masses_apart
    from smartcustoms.documents.models import Evidence

    def check(net: str, gross: str, *, method: str = "ocr") -> tuple[object, str]:
        def seen(text: str) -> Evidence:
            return Evidence(page=1, bbox=(0, 0, 1, 1), method=method, confidence=0.9,
                            text=text)

        ctx = SimpleNamespace(evidence={"lines[0].net_mass_kg": seen(net),
                                        "lines[0].gross_mass_kg": seen(gross)})
        values = {"net_mass_kg": Decimal(net.replace(",", "")),
                  "gross_mass_kg": Decimal(gross.replace(",", ""))}
        _masses_apart(ctx, values, "lines[0]")  # type: ignore[arg-type]
        return values["net_mass_kg"], ctx.evidence["lines[0].net_mass_kg"].text

    def gross(net: str, gross: str) -> object:
        values = {"net_mass_kg": Decimal(net), "gross_mass_kg": Decimal(gross)}
        ctx = SimpleNamespace(evidence={
            f"lines[0].{key}": Evidence(page=1, bbox=(0, 0, 1, 1), method="ocr",
                                        confidence=0.9, text=text)
            for key, text in (("net_mass_kg", net), ("gross_mass_kg", gross))})
        _masses_apart(ctx, values, "lines[0]")  # type: ignore[arg-type]
        return values["gross_mass_kg"]

    # '11.000' read with the thousands mark, '14.400' with its point lost
    value, said = check("11,000", "16.100")
    assert value == Decimal("11") and "more than the gross mass" in said
    assert check("14400", "23.550")[0] == Decimal("14.4")
    # below the gross mass, from a text layer, or no mark that makes it fit: as read
    assert check("11,000", "16100")[0] == Decimal("11000")
    assert check("11,000", "16.100", method="pdf-table")[0] == Decimal("11000")
    assert check("150", "100.00")[0] == Decimal("150")  # 15 is too light for a 100 kg line
    assert check("12,50", "10")[0] == Decimal("1250")  # a mark, not before three digits
    # a gross mass more than five times the net mass: '178.40' read as '17840'
    assert gross("160.00", "17840") == Decimal("178.4")
    assert gross("160.00", "640.00") == Decimal("640.00")  # heavy packing, but possible
    assert gross("3", "40") == Decimal("40")  # masses printed without decimals: a crate


def test_a_number_ocr_put_on_its_own_line_joins_its_row() -> None:
    from smartcustoms.documents.extract.headers import Column
    from smartcustoms.documents.extract.tables import Row, Table, _merge_stray_numbers

    row_words = [_ocr_word("Nuts", 40, 70, top=100), _ocr_word("kg", 330, 340, top=100),
                 _ocr_word("4,52", 405, 430, top=100)]
    stray = _ocr_word("1.045", 300, 328, top=106)
    row_line, stray_line = group_lines(row_words, 1)[0], group_lines([stray], 1)[0]
    table = Table(columns=[Column("description", 40, 200, []), Column("qty", 300, 340, []),
                           Column("unit_price", 400, 440, [])])
    table.rows = [Row(1, {"description": row_words[:1], "qty": row_words[1:2],
                          "unit_price": row_words[2:]}, [row_line]),
                  Row(1, {"qty": [stray]}, [stray_line])]
    _merge_stray_numbers(table)
    assert len(table.rows) == 1
    assert table.rows[0].text("qty") == "1.045 kg"


def test_thousands_separators_read_as_the_decimal_mark_are_put_back() -> None:
    word = ocrcells.one_separator(_ocr_word("146,174,00", 10, 50), ",")
    assert word.text == "146.174,00" and word.read_as == "146,174,00"
    assert ocrcells.one_separator(_ocr_word("146,174.00", 10, 50), ".").text == "146,174.00"
    assert ocrcells.one_separator(_ocr_word("1,174,00", 10, 50), ".").text == "1,174,00"
    # a mass with three decimals, every separator read as the decimal mark
    mass = ocrcells.one_separator(_ocr_word("1,921,000", 10, 50), ",")
    assert mass.text == "1.921,000" and mass.read_as == "1,921,000" and mass.confidence < 0.9
    # the decimal mark lost after a thousands group: a group has three digits
    lost = ocrcells.mark_after_group(_ocr_word("1.7465", 10, 50), ",")
    assert lost.text == "1.746,5" and lost.read_as == "1.7465" and lost.confidence < 0.9
    assert ocrcells.mark_after_group(_ocr_word("1,7465", 10, 50), ".").text == "1,746.5"
    for whole in ("1.746", "17465", "1.746,5"):
        assert ocrcells.mark_after_group(_ocr_word(whole, 10, 50), ",").text == whole


# --- the second, line-wise reading of table rows (ocrtable) -------------------------------
def test_the_row_reading_takes_numbers_and_keeps_text() -> None:
    from smartcustoms.documents.extract.ocrtable import DISAGREE, merge_band

    first = [_ocr_word("Café", 70, 90), _ocr_word("arábica", 95, 130),
             _ocr_word("Kartons", 398, 430), _ocr_word("22", 456, 466, confidence=0.8),
             _ocr_word("66", 471, 481, confidence=0.7)]
    second = [_ocr_word("Cafe", 70, 90, confidence=0.95), _ocr_word("arabica", 95, 130),
              _ocr_word("2", 392, 396, confidence=0.9), _ocr_word("Kartons", 398, 430),
              _ocr_word("22.66", 456, 481, confidence=0.9), _ocr_word(":", 500, 502),
              _ocr_word("kg", 520, 530)]
    merged = merge_band(first, second)
    texts = [w.text for w in merged]
    # the accents of the first reading stay; the lone package count and the whole price
    # come from the second; a speck (':') does not, nor a unit read where nothing was
    # (unless it is a unit word: 'kg')
    assert texts == ["Café", "arábica", "2", "Kartons", "22.66", "kg"]
    price = merged[4]
    assert price.read_as == "22 66" and price.confidence == pytest.approx(0.9 * DISAGREE)
    assert merged[2].read_as is None  # read only once: its own confidence, nothing named
    # a count run into its package word, and a speck after a count, come apart
    glued = merge_band([], [_ocr_word("4Kartons", 390, 430), _ocr_word("2.", 46, 52)])
    assert [w.text for w in glued] == ["2", "4", "Kartons"]


def test_the_row_reading_keeps_the_surer_of_two_numbers() -> None:
    from smartcustoms.documents.extract.ocrtable import merge_band

    first = [_ocr_word("5,225.12", 456, 490, confidence=0.9), _ocr_word("4", 392, 396,
                                                                      confidence=0.38)]
    # a malformed second reading never replaces a number; an agreeing one makes it surer
    merged = merge_band(first, [_ocr_word("$,225.12", 456, 490, confidence=0.95),
                                _ocr_word("4", 392, 396, confidence=0.9)])
    assert [(w.text, w.confidence) for w in merged] == [("4", 0.938), ("5,225.12", 0.9)]
    # two well-formed numbers: the one Tesseract was surer of
    kept = first[:1]
    assert merge_band(kept, [_ocr_word("5,225.72", 456, 490, confidence=0.6)]) is kept
    assert merge_band(kept, []) is kept
    # unless the other reading holds more of the number: '6.45' where '45' was read
    assert [w.text for w in merge_band([_ocr_word("45", 470, 480, confidence=0.95)],
                                       [_ocr_word("6.45", 460, 480, confidence=0.8)])] == [
        "6.45"]


def test_a_courier_comma_does_not_cut_an_ocr_line_into_two_segments() -> None:
    def words(first: str, *, source: str = "ocr") -> list[Word]:
        return [replace(_ocr_word(first, 119, 168), mono=True, source=source),
                replace(_ocr_word("District", 178, 221), mono=True, source=source)]

    # OCR's box ends at the comma's ink, 10 pt before the next word: still one address line
    assert len(group_lines(words("Boulevard,"), 1)[0].segments) == 1
    # the same gap after a letter, or in a text layer (exact boxes), is two segments
    assert len(group_lines(words("Boulevard"), 1)[0].segments) == 2
    assert len(group_lines(words("Boulevard,", source="pdf-text"), 1)[0].segments) == 2


def test_dust_duplicates_and_overrun_boxes_are_cleaned_from_ocr_words() -> None:
    import numpy as np

    page = engine.PageImage(1, Image.new("L", (100, 100), 255), 150 / 72)
    ink = np.zeros((400, 1300), dtype=bool)
    ink[100:118, 100:160] = True  # 'Suma': 18 px of ink, a 9 pt word
    ink[100:118, 170:180] = True
    ink[200:201, 300:304] = True  # a speck: one pixel row
    data = {"text": ["Suma", "y", "|"], "conf": [95, 90, 60], "left": [100, 170, 300],
            "top": [100, 100, 200], "width": [120, 10, 4], "height": [18, 18, 1],
            "block_num": [1, 1, 2], "par_num": [1, 1, 1], "line_num": [1, 1, 1]}
    words = engine._words(data, page, ink)
    assert [w.text for w in words] == ["Suma", "y"]  # the speck is gone
    suma, y = words
    assert suma.x1 < y.x0  # 'Suma's box, read as wide as the phrase, ends at 'y'
    bold = [_ocr_word("Bill", 42, 85, size=17), _ocr_word("Bill", 43, 85, size=17),
            _ocr_word("of", 90, 105, size=14)]
    snapped = engine._snap_baselines(bold, 1)
    assert [w.text for w in snapped] == ["Bill", "of"]
    assert len({w.size for w in snapped}) == 1  # one size a line: one segment
    assert len(group_lines(snapped, 1)[0].segments) == 1


def test_a_litre_sign_in_a_description_is_read_as_the_unit() -> None:
    words = [_ocr_word("pot", 10, 24), _ocr_word("5", 27, 32), _ocr_word("|", 34, 36)]
    fixed = ocrcells.description_units(words)
    assert [w.text for w in fixed] == ["pot", "5", "l"] and fixed[2].read_as == "|"
    cream = ocrcells.description_units([_ocr_word("50", 10, 20), _ocr_word("mi", 22, 30)])
    assert cream[1].text == "ml" and cream[1].confidence < 0.9
    fan = ocrcells.description_units([_ocr_word("fan", 0, 8), _ocr_word("40", 10, 20),
                                      _ocr_word("em", 22, 32)])
    assert fan[2].text == "cm" and fan[2].read_as == "em"
    wine = ocrcells.description_units([_ocr_word("0.75", 10, 30), _ocr_word("I", 32, 35),
                                       _ocr_word("bottles", 38, 70)])
    assert [w.text for w in wine] == ["0.75", "l", "bottles"]
    # 'em' with no number before it is a word
    assert ocrcells.description_units([_ocr_word("Item", 0, 20), _ocr_word("em", 22, 32)])[
        1].text == "em"
    # a '1' with a number after it, or a '|' with no number before it, stays
    kept = [_ocr_word("5", 10, 15), _ocr_word("1", 17, 22), _ocr_word("x", 24, 28),
            _ocr_word("2", 30, 35)]
    assert ocrcells.description_units(kept[:2] + kept[3:]) == kept[:2] + kept[3:]
    assert ocrcells.description_units([_ocr_word("a", 10, 15), _ocr_word("|", 17, 19)])[
        1].text == "|"


def test_the_row_reading_fills_a_unit_the_first_reading_lost() -> None:
    from smartcustoms.documents.extract.ocrtable import merge_band

    first = [_ocr_word("24", 378, 388), _ocr_word("1,36", 466, 482)]
    merged = merge_band(first, [_ocr_word("24", 378, 388), _ocr_word("pes", 398, 412),
                                _ocr_word("Xqz", 420, 440)])
    assert [w.text for w in merged] == ["24", "pces", "1,36"]  # not the stray "Xqz"
    assert merged[1].read_as == "pes" and merged[1].confidence < 0.9
    # a unit of one letter right of a number: metres and litres, not other letters
    first = [_ocr_word("5.848", 322, 345), _ocr_word("877.20", 464, 490)]
    for letter, kept in (("m", True), ("l", True), ("t", False), ("g", False)):
        merged = merge_band(first, [_ocr_word("5.848", 322, 345),
                                    _ocr_word(letter, 353, 358)])
        assert ([w.text for w in merged] == ["5.848", letter, "877.20"]) is kept
    far = merge_band(first, [_ocr_word("m", 420, 425)])  # not beside a number
    assert [w.text for w in far] == ["5.848", "877.20"]


def test_the_row_reading_puts_a_unit_over_what_the_first_reading_garbled() -> None:
    from smartcustoms.documents.extract.ocrtable import DISAGREE, merge_band

    first = [_ocr_word("Sillas", 70, 95), _ocr_word("100", 301, 316),
             _ocr_word("pie:", 320, 340), _ocr_word("3", 375, 380), _ocr_word("ca", 384, 394),
             _ocr_word("de", 415, 425)]
    second = [_ocr_word("piezas", 70, 100), _ocr_word("100", 301, 316),
              _ocr_word("piezas", 320, 352, confidence=0.9), _ocr_word("3", 375, 380),
              _ocr_word("cajas", 384, 410), _ocr_word("de", 415, 425)]
    merged = merge_band(first, second)
    # 'pie:' and 'ca' were garbled units; 'Sillas', a word of text, stands
    assert [w.text for w in merged] == ["Sillas", "100", "piezas", "3", "cajas", "de"]
    assert merged[2].read_as == "pie:"
    assert merged[2].confidence == pytest.approx(0.9 * DISAGREE)
    # a unit read by the first reading stands against another unit of the second
    kept = merge_band([_ocr_word("24", 301, 311), _ocr_word("kg", 320, 330)],
                      [_ocr_word("24", 301, 311), _ocr_word("piezas", 320, 352)])
    assert [w.text for w in kept] == ["24", "kg"]


def _invoice_page(number: int, header: list[tuple[str, float, float]],
                  description: tuple[str, ...] = ()) -> Page:
    """A scanned invoice page: a header line at y = 60 and one goods row under it."""
    words = [_ocr_word(text, x0, x1, top=60) for text, x0, x1 in header]
    words += [_ocr_word(text, 95 + 40 * i, 130 + 40 * i, top=90)
              for i, text in enumerate(description)]
    words += [_ocr_word(f"Widget{number}", 40, 90, top=90),
              _ocr_word("12", 310, 325, top=90), _ocr_word("2.50", 405, 430, top=90),
              _ocr_word("30.00", 485, 520, top=90)]
    return Page(number, 595.0, 842.0, group_lines(words, number), scanned=True)


_FULL_HEADER = [("Description", 40, 100), ("Qty", 310, 330), ("Unit", 400, 420),
                ("price", 423, 445), ("Amount", 485, 525)]


def _invoice_table(*pages: Page):
    from smartcustoms.documents.extract import _LEXICONS
    from smartcustoms.documents.extract.invoice import _WANTED
    from smartcustoms.documents.extract.labels import PageText
    from smartcustoms.documents.extract.tables import read_table

    text = PageText(list(pages), _LEXICONS[DocumentType.commercial_invoice])
    return read_table(text, wanted=_WANTED, consume_total=False)


def test_a_repeated_header_with_column_names_lost_keeps_the_first_pages_columns() -> None:
    lost = [_FULL_HEADER[0], _FULL_HEADER[1], _FULL_HEADER[4]]  # OCR lost "Unit price"
    table = _invoice_table(_invoice_page(1, _FULL_HEADER), _invoice_page(2, lost))
    assert table is not None and len(table.rows) == 2
    assert [row.text("qty") for row in table.rows] == ["12", "12"]
    assert [row.text("unit_price") for row in table.rows] == ["2.50", "2.50"]


def test_a_first_pages_header_with_names_lost_takes_a_later_pages_columns() -> None:
    # page 1's header lost "Unit price"; page 2's copy has it
    lost = [_FULL_HEADER[0], _FULL_HEADER[1], _FULL_HEADER[4]]
    table = _invoice_table(_invoice_page(1, lost), _invoice_page(2, _FULL_HEADER))
    assert table is not None and [row.page for row in table.rows] == [1, 2]
    assert [row.text("unit_price") for row in table.rows] == ["2.50", "2.50"]
    assert [row.text("amount") for row in table.rows] == ["30.00", "30.00"]
    # a copy richer only by a column OCR made of garbage ('BAR' over the descriptions)
    # stands for no other copy
    garbage = [*_FULL_HEADER[:1], ("BAR", 200, 215), *_FULL_HEADER[1:]]
    long = ("wooden", "train", "set,", "24-piece")  # runs under 'BAR'
    table = _invoice_table(_invoice_page(1, _FULL_HEADER, long),
                           _invoice_page(2, garbage))
    assert table is not None
    assert table.rows[0].text("description") == "Widget1 wooden train set, 24-piece"


def test_rows_under_a_header_ocr_garbled_past_reading_are_read_with_a_later_copy() -> None:
    # page 1's header names two columns among garbage: no header; page 2's copy is legible
    garbled = [("Description", 40, 100), ("Qty", 310, 330), ("Xnwz", 400, 420),
               ("qrkce", 423, 445), ("Zmqvrt", 485, 525)]
    table = _invoice_table(_invoice_page(1, garbled), _invoice_page(2, _FULL_HEADER))
    assert table is not None and table.pages == [1, 2]
    assert [row.text("description") for row in table.rows] == ["Widget1", "Widget2"]
    assert [row.text("unit_price") for row in table.rows] == ["2.50", "2.50"]
    # with no legible copy on any page, there is no table
    assert _invoice_table(_invoice_page(1, garbled)) is None


def test_a_package_kind_is_as_sure_as_its_own_words_not_the_count_beside_it() -> None:
    from smartcustoms.documents.extract import _LEXICONS
    from smartcustoms.documents.extract.labels import PageText
    from smartcustoms.documents.extract.packing import read_packing_list

    words = [_ocr_word("Description", 40, 100, top=60), _ocr_word("Packages", 300, 345, top=60),
             _ocr_word("Net", 420, 440, top=60), _ocr_word("kg", 443, 455, top=60),
             _ocr_word("Widgets", 40, 90, top=90),
             _ocr_word("2", 300, 306, top=90, confidence=0.3),  # a lone digit in Times
             _ocr_word("cartons", 310, 345, top=90, confidence=0.95),
             _ocr_word("14.50", 420, 450, top=90)]
    page = Page(1, 595.0, 842.0, group_lines(words, 1), scanned=True)
    document, ctx, _missing = read_packing_list(
        PageText([page], _LEXICONS[DocumentType.packing_list]), None)
    assert document.lines[0].packages == 2 and document.lines[0].package_kind == "CT"
    kind, count = ctx.evidence["lines[0].package_kind"], ctx.evidence["lines[0].packages"]
    assert kind.confidence > 0.8 and kind.text.startswith("cartons")
    assert count.confidence < 0.6 < kind.confidence


@pytest.mark.parametrize(("read", "meant"), [
    (("ONO.", "1-204"), ("C/NO.", "1-204")), (("CNo.", "1-9"), ("C/No.", "1-9")),
    (("C/NO.", "1-204"), ("C/NO.", "1-204")),  # read right: nothing to do
    (("ONO.", "HAMBURG"), ("ONO.", "HAMBURG")),  # no range of carton numbers after it
    (("CON.", "1-204"), ("CON.", "1-204")),
])
def test_carton_numbers_in_marks_get_their_slash_back(read: tuple[str, str],
                                                      meant: tuple[str, str]) -> None:
    from smartcustoms.documents.extract.packing import _carton_numbers

    words = [_ocr_word(read[0], 300, 325), _ocr_word(read[1], 330, 360)]
    out = _carton_numbers(words)
    assert tuple(w.text for w in out) == meant
    assert (out[0].read_as == read[0]) is (read != meant)


def test_a_currency_note_ocr_read_as_digits_does_not_unmake_a_header() -> None:
    header = [*_FULL_HEADER[:4], ("Amount", 485, 515), ("(080)", 518, 540)]
    table = _invoice_table(_invoice_page(1, header))
    assert table is not None and [row.text("amount") for row in table.rows] == ["30.00"]
    # a number that is a value, not a note, still makes the line no header
    valued = [*_FULL_HEADER[:4], ("Amount", 485, 515), ("(1045)", 518, 545)]
    assert _invoice_table(_invoice_page(1, valued)) is None


def _ocr_line(*texts: str, top: float = 100.0) -> Line:
    words, x = [], 40.0
    for text in texts:
        for word in text.split(" "):
            words.append(_ocr_word(word, x, x + 6 * len(word), top=top))
            x += 6 * len(word) + 4
        x += 30  # a wide gap: each text its own segment
    return group_lines(words, 1)[0]


def test_carry_over_lines_ocr_misread_are_no_rows() -> None:
    from smartcustoms.documents.extract.tables import _misread_carry_line

    # a misread label ('Übertrag'), and a label broken over two lines ('Suma y sigue')
    assert _misread_carry_line(_ocr_line("thertrag", "431.334,02")) == "ubertrag"
    assert _misread_carry_line(_ocr_line("y sigue", "639.461,14")) == "suma y sigue"
    assert _misread_carry_line(_ocr_line("Suma")) == "suma anterior"
    assert _misread_carry_line(_ocr_line("Carricd forward", "EUR", "1.234,00")) \
        == "carried forward"
    # 'A reporter' run together, before an amount with spaces between its thousands
    assert _misread_carry_line(_ocr_line("Areporter", "940", "141,39")) == "a reporter"
    assert _misread_carry_line(_ocr_line("Areporter", "1474", "723,92")) == "a reporter"
    # goods lines are never taken for one: they hold more than one number, or their
    # words are not a carry-over label
    for texts in (("Transfer pumps, electric", "2", "12,50", "25,00"),
                  ("Suma", "12", "3,00", "36,00"), ("Bearings", "1.234,00"),
                  ("Export", "10,00"), ("Transport", "500,00"), ("Steel tubes",)):
        assert _misread_carry_line(_ocr_line(*texts)) is None, texts


def test_a_lone_amount_where_the_table_ends_is_a_carry_over() -> None:
    from smartcustoms.documents.extract.tables import _body_ends_after, _lone_amount

    amount = _ocr_line("230.402,79", top=755)
    debris = _ocr_line("as", top=752)  # what OCR made of the lost label, same band
    bank = _ocr_line("Datos bancarios: IBAN DE44 5001 0517", top=798)
    footer = _ocr_line("Página 1 de 3", top=814)
    row = _ocr_line("31", "Vajilla de porcelana", "120", "93,63", "11.235,60", top=771)
    assert _lone_amount(amount)
    assert not _lone_amount(_ocr_line("31")) and not _lone_amount(row)
    assert _body_ends_after(amount, [debris, bank, footer])
    assert _body_ends_after(amount, [footer]) and _body_ends_after(amount, [])
    assert not _body_ends_after(amount, [debris, row, bank])


# --- the third reading: cells of a column both readings missed ----------------------------
def _table_words(codes: list[str | None], *, header: str = "Wweprungsiand") -> list[Word]:
    """A header (Pos, description, HS code, an origin column named ``header``, qty,
    amount) and one row per code, the origin cell empty where the code is None."""
    words = [_ocr_word("Pos.", 40, 58, top=60), _ocr_word("Description", 70, 130, top=60),
             _ocr_word("HS-Code", 248, 285, top=60), _ocr_word(header, 307, 352, top=60),
             _ocr_word("Qty", 370, 390, top=60), _ocr_word("Amount", 480, 520, top=60)]
    for n, code in enumerate(codes):
        top = 90.0 + 17 * n
        words += [_ocr_word(str(n + 1), 46, 52, top=top),
                  _ocr_word(f"Widget{n}", 70, 120, top=top),
                  _ocr_word("850760", 249, 280, top=top),
                  _ocr_word("24", 378, 388, top=top), _ocr_word("5.037,60", 480, 520, top=top)]
        if code is not None:
            words.append(_ocr_word(code, 307, 318, top=top))
    return words


@pytest.mark.parametrize(("garbage", "read_again"), [
    (["6"], True),  # 'Gesamtpreis' read as '6'
    (["M", "6"], True),
    (["640"], False),  # three digits: a number of the page, no lost name
    (["6", "7"], False),  # two numbers: a row
])
def test_a_header_line_ocr_garbled_into_a_number_is_read_again(
        garbage: list[str], read_again: bool) -> None:
    words = [_ocr_word("Pos.", 40, 58, top=60), _ocr_word("Warenbezeichnung", 70, 150, top=60),
             _ocr_word("Preis/Einheii", 380, 440, top=60)]
    words += [_ocr_word(text, 480 + 20 * i, 490 + 20 * i, top=60)
              for i, text in enumerate(garbage)]
    words += [_ocr_word("1", 46, 52, top=90), _ocr_word("Bürostuhl", 70, 120, top=90),
              _ocr_word("252,95", 390, 420, top=90), _ocr_word("12141,60", 480, 520, top=90)]
    lines = group_lines(words, 1)
    assert engine.header_lines(lines) == []  # as it stands, no header (slots ignore it)
    assert engine.header_lines(lines, garbled=True) == ([0] if read_again else [])


def test_a_header_is_read_six_ways_and_the_reading_naming_most_columns_wins(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    first = [_ocr_word("Pos.", 40, 58, top=60), _ocr_word("Warenbezeichnung", 70, 150, top=60),
             _ocr_word("Finzeineeis", 380, 430, top=60), _ocr_word("Betrag", 480, 520, top=60)]
    row = [_ocr_word("1", 46, 52, top=90), _ocr_word("Bürostuhl", 70, 120, top=90),
           _ocr_word("252,95", 390, 420, top=90), _ocr_word("12141,60", 480, 520, top=90)]
    with_price = [*first[:2], _ocr_word("Einzelpreis", 380, 430, top=60), first[3]]
    readings = {  # (upscale, image): what Tesseract reads of the header band
        (2, "plain"): first, (2, "ruled"): [],
        (3, "plain"): first, (3, "ruled"): [],
        (1, "plain"): [*first[:3]], (1, "ruled"): with_price,
    }
    plain, ruled = Image.new("L", (600, 200), 255), Image.new("L", (600, 200), 250)
    tried: list[tuple[int, str]] = []

    def band_words(image, top, bottom, page, ink, timeout, upscale):
        tried.append((upscale, "plain" if image is plain else "ruled"))
        return readings[tried[-1]]

    monkeypatch.setattr(engine, "_band_words", band_words)
    page = engine.PageImage(1, plain, 1.0)
    out = engine._reread_headers((plain, ruled), page, np.zeros((200, 600), bool),
                                 first + row, 5.0)
    assert tried == [(2, "plain"), (2, "ruled"), (3, "plain"), (3, "ruled"), (1, "plain"),
                     (1, "ruled")]
    assert "Einzelpreis" in [w.text for w in out] and "Finzeineeis" not in [w.text for w in out]
    # no reading names more columns than the first (a name read twice is one column, as
    # 'N° bultos' read 'N° N° bultos'; two letters of debris are none): the first stays
    names = engine._column_words()
    assert engine._distinct_names([_ocr_word("Me", 98, 101), _ocr_word("Weight", 496, 525),
                                   _ocr_word("(kg)", 532, 548)], names) == 1
    readings[(1, "ruled")] = [*first, _ocr_word("Pos.", 540, 560, top=60),
                              _ocr_word("ME", 560, 570, top=60)]
    assert [w.text for w in engine._reread_headers(
        (plain, ruled), page, np.zeros((200, 600), bool), first + row, 5.0)] == [
        w.text for w in first + row]


def test_empty_cells_are_read_again_in_a_column_most_rows_lack_or_of_codes() -> None:
    from smartcustoms.documents.extract.ocrslots import empty_slots
    from smartcustoms.documents.extract.ocrtable import row_lines

    lines = group_lines(_table_words(["us", None, None, None, "VN"]), 1)
    headers = engine.header_lines(lines)
    assert headers == [0]
    slots = empty_slots(lines, headers, row_lines(lines))
    # three of five rows have nothing under the origin column: those three cells
    assert [round(s.line.top) for s in slots] == [107, 124, 141]
    for slot in slots:  # between the row's HS code and its quantity, never over them
        assert 280 < slot.x0 < 307 and 352 < slot.x1 < 378
    # a column most rows fill is not read again for the rows that lack it, unless what
    # fills it are codes: then the few empty cells are codes the readings lost
    lines = group_lines(_table_words(["us", "VN", None, "VN", "VN"]), 1)
    assert empty_slots(lines, engine.header_lines(lines), row_lines(lines)) == []
    lines = group_lines(_table_words(["VN", "VN", None, "VN", "TR"]), 1)
    slots = empty_slots(lines, engine.header_lines(lines), row_lines(lines))
    assert [round(s.line.top) for s in slots] == [124]
    # too few rows to judge a column by
    lines = group_lines(_table_words([None, None]), 1)
    assert empty_slots(lines, engine.header_lines(lines), row_lines(lines)) == []


def _read_one_table(words: list[Word], *, scanned: bool = True):
    from smartcustoms.documents.extract import _LEXICONS
    from smartcustoms.documents.extract.invoice import _WANTED
    from smartcustoms.documents.extract.labels import PageText
    from smartcustoms.documents.extract.tables import read_table

    page = Page(1, 595.0, 842.0, group_lines(words, 1), scanned=scanned)
    text = PageText([page], _LEXICONS[DocumentType.commercial_invoice])
    return read_table(text, wanted=_WANTED, consume_total=False)


def test_an_unnamed_column_of_countries_is_the_origin_column() -> None:
    table = _read_one_table(_table_words(["VN", "TR", "us", None, "Türkei"]))
    assert table is not None and table.has("origin")
    assert [row.text("origin") for row in table.rows] == ["VN", "TR", "us", "", "Türkei"]
    # not countries ('Remarks' misread over 'fragile'): the column stays unnamed
    table = _read_one_table(_table_words(["fragile", "urgent", "VN", "spare", "fragile"]))
    assert table is not None and not table.has("origin")
    # a text layer names its columns itself: only OCR'd pages are typed by content
    table = _read_one_table(_table_words(["VN", "TR", "VN"]), scanned=False)
    assert table is not None and not table.has("origin")


def _unit_table(units: list[str], *, unit_first: bool = False) -> list[Word]:
    """Pos, description, quantity and a column under a garbled name ('UniAaA', for
    'Unidad') holding ``units``, unit price, amount; with ``unit_first`` that column stands
    before the quantity instead."""
    qty_x, unit_x = (370, 330) if unit_first else (330, 370)
    words = [_ocr_word("Pos.", 40, 58, top=60), _ocr_word("Description", 70, 130, top=60),
             _ocr_word("Qty", qty_x, qty_x + 20, top=60),
             _ocr_word("UniAaA", unit_x, unit_x + 30, top=60),
             _ocr_word("Price", 430, 460, top=60), _ocr_word("Amount", 490, 530, top=60)]
    for n, unit in enumerate(units):
        top = 90.0 + 17 * n
        words += [_ocr_word(str(n + 1), 46, 52, top=top),
                  _ocr_word(f"Widget{n}", 70, 120, top=top),
                  _ocr_word("50", qty_x + 8, qty_x + 20, top=top),
                  _ocr_word(unit, unit_x, unit_x + 6 * len(unit), top=top),
                  _ocr_word("14.45", 430, 458, top=top), _ocr_word("722.50", 490, 528, top=top)]
    return words


@pytest.mark.parametrize(("footer", "is_footer"), [
    (["ne", "2", "sur", "3"], True),  # 'Page' garbled, read large: no wide gap before it
    (["Rees", "2", "sur", "3"], True),
    (["2", "of", "3"], True),
    (["Lot", "5", "de", "3"], False),  # not a page count: 5 > 3
    (["Lot", "de", "5"], False),
])
def test_a_page_footer_whose_page_word_ocr_garbled_ends_the_table(
        footer: list[str], is_footer: bool) -> None:
    words = _table_words(["VN", "TR", "VN"])
    last_bottom = 90.0 + 17 * 2 + 9.0
    words += [_ocr_word(text, 493 + 18 * i, 508 + 18 * i, top=last_bottom + 38, size=11.9)
              for i, text in enumerate(footer)]
    table = _read_one_table(words)
    assert table is not None
    assert len(table.rows) == (3 if is_footer else 4)
    # the same line on a page with a text layer is no footer: its page word is printed
    digital = _read_one_table(words, scanned=False)
    assert digital is not None and len(digital.rows) == 4


def test_a_rows_words_ocr_sized_smaller_stay_in_the_row() -> None:
    from smartcustoms.documents.extract.ocr import _snap_baselines

    row = [_ocr_word("38", 46, 52, top=246.4, size=7.8), _ocr_word("Leather", 70, 95,
           top=246.4, size=7.8), _ocr_word("rubber", 144, 166, top=246.4, size=7.8),
           _ocr_word("sole", 168, 182, top=246.4, size=7.8),
           _ocr_word("640399", 311, 335, top=246.4, size=7.8),
           _ocr_word("500", 393, 405, top=246.4, size=7.8)]
    # 'shoes, men's,' and the amount: sized 6 and 4 (no capitals), their baseline 1.7 pt
    # higher than the row's: more than a third of the smaller size apart
    smaller = [_ocr_word("shoes,", 97, 118, top=246.5, size=6.0),
               _ocr_word("men's,", 121, 140, top=248.5, size=4.0),
               _ocr_word("47,095.00", 515, 549, top=246.5, size=6.0)]
    assert len(group_lines(row + smaller, 1)) == 2  # as OCR gave them
    lines = group_lines(_snap_baselines(row + smaller, 1), 1)
    assert len(lines) == 1
    assert [w.text for w in lines[0].words][:5] == ["38", "Leather", "shoes,", "men's,",
                                                     "rubber"]
    # a wrapped description line under the row (its words under the row's) stays apart
    wrapped = [_ocr_word(t, 70 + 40 * i, 100 + 40 * i, top=258, size=7.8)
               for i, t in enumerate(("for", "passenger", "cars"))]
    assert len(group_lines(_snap_baselines(row + wrapped, 1), 1)) == 2
    # words over the row's words are no part of it, however their heights overlap
    over = [_ocr_word(t, 70 + 40 * i, 95 + 40 * i, top=248.5, size=4.0)
            for i, t in enumerate(("ab", "cd", "ef"))]
    assert len(group_lines(_snap_baselines(row + over, 1), 1)) == 2


def test_a_line_bringing_forward_the_amount_carried_is_no_row() -> None:
    from smartcustoms.documents.extract.tables import _brought_forward

    def line(*texts: str) -> Line:
        return group_lines([_ocr_word(t, 70 + 60 * i, 120 + 60 * i, top=106)
                            for i, t in enumerate(texts)], 2)[0]

    carried = {"30894131"}  # 'Carried forward 308'941.31' at the foot of page 1
    assert _brought_forward(line("Moog", "forward", "308'941.31"), carried)
    assert _brought_forward(line("308'941.31"), carried)
    # another amount, or a goods row with the same amount, is not it
    assert _brought_forward(line("Moog", "forward", "308'941.32"), carried) is None
    assert _brought_forward(line("31", "Brake", "caliper", "bracket", "308'941.31"),
                            carried) is None
    assert _brought_forward(line("60", "pieces", "308'941.31"), carried) is None


def test_two_cells_ocr_read_as_one_word_do_not_close_the_gutter_between_them() -> None:
    words = [_ocr_word("Pos.", 40, 58, top=60), _ocr_word("Description", 70, 130, top=60),
             _ocr_word("Qty", 370, 388, top=60), _ocr_word("Prix", 438, 455, top=60),
             _ocr_word("unitaire", 457, 483, top=60), _ocr_word("Montant", 503, 535, top=60),
             _ocr_word("total", 537, 550, top=60)]
    rows = [("6,79", "407,40"), ("7,63", "648,55"), ("30,64", "30.640,00"), (None, None)]
    for n, (price, amount) in enumerate(rows):
        top = 90.0 + 17 * n
        words += [_ocr_word(str(n + 1), 46, 52, top=top), _ocr_word(f"Widget{n}", 70, 120,
                  top=top), _ocr_word("60", 378, 388, top=top)]
        if price is None:  # '4,20  18.393,90' read as one word across both columns
            words.append(_ocr_word("4201839390", 467, 528, top=top))
        else:
            words += [_ocr_word(price, 463, 482, top=top),
                      _ocr_word(amount, 550 - 4 * len(amount), 550, top=top)]
    table = _read_one_table(words)
    assert table is not None
    assert [row.text("unit_price") for row in table.rows[:3]] == ["6,79", "7,63", "30,64"]
    assert [row.text("amount") for row in table.rows[:3]] == ["407,40", "648,55", "30.640,00"]


def test_an_unnamed_column_of_units_after_the_quantity_is_the_unit_column() -> None:
    table = _read_one_table(_unit_table(["sets", "uds", "metros", "kg", "uds"]))
    assert table is not None and table.has("unit")
    assert [row.text("unit") for row in table.rows] == ["sets", "uds", "metros", "kg", "uds"]
    # not units: the column stays unnamed
    table = _read_one_table(_unit_table(["fragile", "urgent", "uds", "spare", "fragile"]))
    assert table is not None and not table.has("unit")
    # units, but not after the quantity: not taken for the unit column
    table = _read_one_table(_unit_table(["sets", "uds", "metros", "kg"], unit_first=True))
    assert table is not None and not table.has("unit")


def test_codes_both_readings_lost_are_read_cell_by_cell_from_the_scan() -> None:
    from fpdf import FPDF

    from smartcustoms.documents.extract.ocrslots import reread_empty_cells
    from smartcustoms.documents.extract.scanimage import ink_mask

    codes = ["VN", "TR", None, "US", "VN"]
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    words = _table_words([None] * len(codes))  # the first readings: no origin at all
    pdf.set_font("Helvetica", size=9)
    for word in words:
        pdf.text(word.x0, word.bottom - 2, word.text)  # on the baseline
    pdf.set_font("Courier", size=9)
    for n, code in enumerate(codes):
        if code is not None:
            pdf.text(309, 90 + 17 * n + 7, code)
    scan = scan_document(bytes(pdf.output()), seed=5, max_rotation=0.0)
    page = next(engine._pdf_images(scan.pdf, 1, None))
    found = reread_empty_cells(page.image, page, ink_mask(page.image), words, 30.0)
    added = sorted((w for w in found if w not in words), key=lambda w: w.top)
    assert [w.text.upper() for w in added] == [c for c in codes if c is not None]
    for word in added:  # on its row's baseline, where it is printed
        assert 300 < word.x0 < 320 and word.source == "ocr" and word.confidence >= 0.5
        assert any(abs(word.bottom - w.bottom) < 0.5 for w in words if w.text == "850760")


# --- words OCR put on a line of their own, cells read with a closed vocabulary ------------
def test_a_word_whose_ink_broke_or_overran_joins_the_line_it_stands_in() -> None:
    row = [_ocr_word("Cotton", 70, 92, top=347.2, size=7.83),
           _ocr_word("towels", 129, 152, top=347.2, size=7.83),
           _ocr_word("250", 325, 338, top=347.2, size=7.83),
           _ocr_word("112.500", 460, 488, top=347.2, size=7.83)]
    # the '2' of Times with its thin diagonal lost: half its size, its baseline too high;
    # a box that took in the descender of the 'g' after it: too large
    broken = _ocr_word("2", 46.4, 50, top=347.4, size=3.83)
    overrun = _ocr_word("418.5", 393, 423, top=347.0, size=9.83)
    wrapped = _ocr_word("States", 321, 341, top=358.0, size=7.83)  # the next line down
    snapped = engine._snap_baselines([*row, broken, overrun, wrapped], 1)
    lines = group_lines(snapped, 1)
    assert [[w.text for w in line.words] for line in lines] == [
        ["2", "Cotton", "towels", "250", "418.5", "112.500"], ["States"]]
    assert len({w.size for w in lines[0].words}) == 1
    # two lines of one or two words each are not taken into one another
    pair = engine._snap_baselines([_ocr_word("2", 46, 50, top=100, size=4),
                                   _ocr_word("Total", 70, 90, top=99, size=8)], 1)
    assert len(group_lines(pair, 1)) == 2


def test_a_unit_printed_after_a_quantity_is_read_as_a_unit_cell_is() -> None:
    cells = {"qty": [_ocr_word("200", 325, 338), _ocr_word("pes", 340, 352)]}
    ocrcells.repair_cells(cells, ".")
    assert [w.text for w in cells["qty"]] == ["200", "pces"]
    assert cells["qty"][1].read_as == "pes" and cells["qty"][1].confidence < 0.9
    text = {"qty": [_ocr_word("Widget", 300, 330), _ocr_word("pes", 340, 352)]}
    ocrcells.repair_cells(text, ".")
    assert text["qty"][1].text == "pes"  # no count before it: left as read


def test_a_package_count_read_as_a_letter_or_run_into_its_word_is_undone() -> None:
    glued = {"packages": [_ocr_word("Scartons", 395, 425)]}
    ocrcells.repair_cells(glued, ".")
    count, kind = glued["packages"]
    assert (count.text, kind.text) == ("5", "cartons") and count.read_as == "Scartons"
    assert count.x1 < kind.x0
    apart = {"packages": [_ocr_word("S", 395, 399), _ocr_word("pallets", 402, 425)]}
    ocrcells.repair_cells(apart, ".")
    assert apart["packages"][0].text == "5"
    word = {"packages": [_ocr_word("Sample", 395, 425)]}  # no package word: as read
    ocrcells.repair_cells(word, ".")
    assert [w.text for w in word["packages"]] == ["Sample"]
    # a package word one letter off: 'caja de cartén' is a carton, not a box
    accent = {"packages": [_ocr_word("1", 360, 363), _ocr_word("caja", 374, 390),
                           _ocr_word("de", 392, 400), _ocr_word("cartén", 404, 428)]}
    ocrcells.repair_cells(accent, ",")
    assert [w.text for w in accent["packages"]][-1] == "carton"
    assert accent["packages"][-1].read_as == "cartén"
    from smartcustoms.documents.parsing import parse_packages

    assert parse_packages(" ".join(w.text for w in accent["packages"]),
                          field="packages") == (1, "CT")


def test_a_word_of_the_columns_vocabulary_is_as_sure_as_the_match() -> None:
    cells = {"packages": [_ocr_word("2", 394, 398, confidence=0.62),
                          _ocr_word("cartons", 400, 425, confidence=0.08)],
             "description": [_ocr_word("cartons", 70, 95, confidence=0.08)]}
    ocrcells.repair_cells(cells, ".")
    count, kind = cells["packages"]
    assert count.confidence == 0.62  # a number keeps its own
    assert kind.confidence == pytest.approx(0.9)
    assert cells["description"][0].confidence == 0.08  # not a vocabulary column
    repaired = ocrcells.vocabulary_confidence([replace(_ocr_word("pces", 1, 9, confidence=0.3),
                                                       read_as="pes")])
    assert repaired[0].confidence == 0.3  # a repair stays as unsure as it was made


def test_a_count_run_into_its_package_word_in_both_readings_is_surer() -> None:
    from smartcustoms.documents.extract.ocrtable import merge_band

    first = [_ocr_word("3cartons", 395, 425, confidence=0.9)]
    second = [_ocr_word("3cartons", 395, 425, confidence=0.3)]
    merged = merge_band(first, second)
    assert [w.text for w in merged] == ["3", "cartons"]
    assert merged[0].confidence > 0.9 and merged[0].read_as is None


def test_two_column_names_ocr_ran_together_make_two_columns() -> None:
    from smartcustoms.documents.extract.headers import _columns, _unglued_names

    header = group_lines([_ocr_word("Pos.", 46, 62), _ocr_word("Beschreibung", 70, 120),
                          _ocr_word("Anzahl", 313, 340),
                          _ocr_word("EinheitPacksticke", 353, 440),
                          _ocr_word("Netto", 450, 475), _ocr_word("kg", 478, 488)], 1)
    columns, _currency = _columns(header)
    keys = [c.key for c in columns]
    assert keys[keys.index("unit") + 1] == "packages"
    unit, packages = columns[keys.index("unit")], columns[keys.index("packages")]
    assert unit.x1 < packages.x0 < 440
    # a word with a capital inside that is no two column names stays whole
    # run together where no capital shows it: only names spelt as the lexicon has them
    pieces = _unglued_names(_ocr_word("Einheitpreis/Einheit", 398, 470))
    assert [w.text for w in pieces] == ["Einheit", "preis/Einheit"]
    lamp = _ocr_word("LED-Taschenlampe", 70, 140)
    assert _unglued_names(lamp) == [lamp]
    for word in ("Bruttogewicht", "Schaltschrank", "Herrenpullover"):
        assert len(_unglued_names(_ocr_word(word, 70, 140))) == 1
    typed = replace(lamp, text="EinheitPacksticke", source="pdf-text")
    assert _unglued_names(typed) == [typed]  # a text layer's words are as printed


def test_a_quantity_column_whose_name_ocr_lost_is_found_by_its_numbers() -> None:
    from smartcustoms.documents.extract.headers import Column
    from smartcustoms.documents.extract.tables import _find_lost_quantity

    def row(top: float, description: list[Word], qty: str) -> Line:
        right = 340.0
        words = [*description, _ocr_word(qty, right - 6 * len(qty), right, top=top),
                 _ocr_word("Stk", 353, 370, top=top), _ocr_word("5", 421, 427, top=top),
                 _ocr_word("725,00", 458, 490, top=top)]
        return group_lines(words, 1)[0]

    body = [row(100, [_ocr_word("Bürostuhl", 70, 110, top=100)], "50"),
            row(116, [_ocr_word("Schaltschrank,", 70, 130, top=116),
                      _ocr_word("400", 146, 160, top=116), _ocr_word("V", 166, 170, top=116)],
                "24"),
            row(132, [_ocr_word("Glas-Vorratsdosen", 70, 150, top=132)], "1.000"),
            row(148, [_ocr_word("Kochtopf", 70, 110, top=148), _ocr_word("5", 187, 192,
                                                                          top=148)], "250")]

    def header() -> list[Column]:
        return [Column("description", 69, 120, []), Column("unit", 353, 385, []),
                Column("packages", 402, 425, []), Column("net", 431, 490, [])]

    columns = header()
    _find_lost_quantity(columns, body)
    assert [c.key for c in columns] == ["description", "qty", "unit", "packages", "net"]
    assert columns[1].x0 >= 300 and columns[1].x1 == 340  # the quantities, not '400' or '5'
    # numbers that do not line up (a description's own) make no column
    ragged = [row(100 + 16 * n, [_ocr_word("Topf", 70, 100, top=100 + 16 * n)], "7")
              for n in range(4)]
    ragged = [group_lines([w if w.text != "7" else replace(w, x0=200 + 30 * n,
                                                            x1=206 + 30 * n)
                           for w in line.words], 1)[0] for n, line in enumerate(ragged)]
    columns = header()
    _find_lost_quantity(columns, ragged)
    assert "qty" not in [c.key for c in columns]


def test_a_degree_sign_reaches_the_capitals_height() -> None:
    # 'n°' sized by its 'n' alone came out a third too large, a segment of its own beside
    # 'Connaissement', and the label 'Connaissement n°' was not found
    assert engine._baseline_size("n°", 0, 20, 1.0) == engine._baseline_size("No", 0, 20, 1.0)


def test_a_litre_sign_run_into_the_quantity_is_taken_when_the_line_adds_up() -> None:
    from smartcustoms.declarations.models import Money, Quantity
    from smartcustoms.documents.extract.common import Context
    from smartcustoms.documents.extract.invoice import _glued_litre, _take_glued_litre
    from smartcustoms.documents.extract.labels import Lexicon, PageText
    from smartcustoms.documents.extract.lexicon import INVOICE_LABELS

    ctx = Context.build(PageText([], Lexicon(INVOICE_LABELS)))
    word = _glued_litre([_ocr_word("5451", 406, 424)])
    assert word is not None and word.text == "545 l" and word.read_as == "5451"
    values: dict[str, object] = {"unit_price": Money(amount=Decimal("13.67"), currency="EUR"),
                                 "amount": Money(amount=Decimal("7450.15"), currency="EUR")}
    _take_glued_litre(ctx, values, (word, "no unit"), "lines[0]")
    assert values["quantity"] == Quantity(value=Decimal("545"), unit="LTR")
    assert "OCR read '5451'" in ctx.evidence["lines[0].quantity"].text
    # 5451 pieces whose unit was not printed: the line does not add up, nothing is taken
    values = {"unit_price": Money(amount=Decimal("1.00"), currency="EUR"),
              "amount": Money(amount=Decimal("5451.00"), currency="EUR")}
    _take_glued_litre(ctx, values, (word, "no unit"), "lines[1]")
    assert "quantity" not in values and ctx.problems[-1].field == "lines[1].quantity"
    assert _glued_litre([_ocr_word("545", 406, 420)]) is None


def test_header_words_a_scan_set_apart_that_make_one_name_stay_one_column() -> None:
    from smartcustoms.documents.extract.headers import _columns

    header = group_lines([_ocr_word("Qty", 329, 342, size=7.2), _ocr_word("Net", 433, 446,
                                                                           size=7.2),
                          _ocr_word("Weight", 450, 472, size=7.2),
                          _ocr_word("(kg):", 474, 499, size=7.2),
                          _ocr_word("Gross", 503, 524, size=7.2),
                          _ocr_word("Weight", 525, 550, size=7.2)], 1)
    keys = {c.key: (c.x0, c.x1) for c in _columns(header)[0]}
    assert keys["net"] == (433, 499) and keys["gross"] == (503, 550)
    # 'Item' and 'Description' are two columns, though 'item description' names one
    apart = group_lines([_ocr_word("Item", 46, 62, size=7.2),
                         _ocr_word("Description", 70, 110, size=7.2),
                         _ocr_word("Qty", 329, 342, size=7.2)], 1)
    assert [c.key for c in _columns(apart)[0]][:2] == ["pos", "description"]
