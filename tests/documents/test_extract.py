"""Reading digital PDFs: every generated layout and language, a three-page invoice,
documents drawn here in another style, missing labels, and unreadable input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fpdf import FPDF

from smartcustoms.documents.codes import normalise_text
from smartcustoms.documents.errors import (
    DocumentHasNoText,
    DocumentTypeUnknown,
    DocumentUnreadable,
)
from smartcustoms.documents.evaluate import compare_documents
from smartcustoms.documents.extract import detect_document_type, read_document
from smartcustoms.documents.models import (
    CommercialInvoice,
    DocumentType,
    PackingList,
    document_fields,
)

from .conftest import LAYOUT_LANGUAGE

Text = tuple[float, float, str, float, bool]  # x, y, text, size, bold


def draw_pdf(pages: list[list[Text]], font: str = "Helvetica") -> bytes:
    """A PDF with text placed exactly, for documents unlike the generator's."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    for page in pages:
        pdf.add_page()
        for x, y, text, size, bold in page:
            pdf.set_font(font, style="B" if bold else "", size=size)
            pdf.set_xy(x, y)
            pdf.cell(pdf.get_string_width(text) + 0.1, size * 1.25, text)
    return bytes(pdf.output())


def right(x_right: float, y: float, text: str, size: float = 9, bold: bool = False) -> Text:
    """Right-aligned text ending at ``x_right`` (Helvetica widths)."""
    probe = FPDF(unit="pt")
    probe.set_font("Helvetica", style="B" if bold else "", size=size)
    return (x_right - probe.get_string_width(text), y, text, size, bold)


def foreign_invoice(*, with_date: bool = True, amount: str = "1,200.00") -> bytes:
    """An invoice in a style the generator never prints: other label words, '#' numbers,
    a 'Ship To' block beside 'Sold To', a rate column and 'Amount Due'."""
    top: list[Text] = [
        (40, 40, "Pacific Orient Components Ltd.", 13, True),
        (40, 58, "Unit 5, 18 Harbour Road", 9, False),
        (40, 70, "Wan Chai, Hong Kong", 9, False),
        (40, 82, "Hong Kong", 9, False),
        (400, 40, "TAX INVOICE", 16, True),
        (400, 70, "Inv. #: POC-88123", 9, False),
        (40, 120, "Sold To:", 9, True), (300, 120, "Ship To:", 9, True),
        (40, 133, "Albion Imports Ltd", 9, False), (300, 133, "Albion Warehouse", 9, False),
        (40, 145, "1 Dock Road, IP11 3SY Felixstowe", 9, False),
        (300, 145, "Port of Felixstowe", 9, False),
        (40, 157, "United Kingdom", 9, False),
        (40, 180, "Shipping Terms: FOB Hong Kong", 9, False),
        (300, 180, "Currency: USD", 9, False),
        (40, 220, "Item", 8, True), (80, 220, "Description", 8, True),
        right(330, 220, "Quantity", 8, True), (340, 220, "U/M", 8, True),
        right(450, 220, "Rate", 8, True), right(550, 220, "Line Total", 8, True),
        (40, 236, "1", 9, False), (80, 236, "USB-C charging cable, 1 m", 9, False),
        right(330, 236, "1,000"), (340, 236, "EA", 9, False), right(450, 236, "1.20"),
        right(550, 236, amount),
        (40, 250, "2", 9, False), (80, 250, "Wireless mouse, black", 9, False),
        right(330, 250, "200"), (340, 250, "EA", 9, False), right(450, 250, "6.00"),
        right(550, 250, "1,200.00"),
        (380, 290, "Sub Total", 9, False), right(550, 290, "2,400.00"),
        (380, 304, "Shipping", 9, False), right(550, 304, "150.00"),
        (380, 318, "Amount Due", 9, True), right(550, 318, "USD 2,550.00", bold=True),
    ]
    if with_date:
        top.append((400, 84, "Invoice Date: Jan 5, 2026", 9, False))
    return draw_pdf([top])


class TestReadGeneratedDocuments:
    @pytest.mark.parametrize(("document_type", "layout", "language"), LAYOUT_LANGUAGE,
                             ids=["-".join(k) for k in LAYOUT_LANGUAGE])
    def test_read_document_reads_every_field_of_each_layout_and_language(
            self, corpus, document_type, layout, language):
        document = corpus[(document_type, layout, language)].document(document_type)
        reading = read_document(document.pdf)
        assert reading.document_type == DocumentType(document_type)
        wrong = [o for o in compare_documents(document.truth, reading.document)
                 if not o.correct]
        assert wrong == [], f"{document.style.as_dict()}: {wrong[:5]}"

    @pytest.mark.parametrize("key", [k for k in LAYOUT_LANGUAGE if k[2] == "en"],
                             ids=lambda k: "-".join(k))
    def test_every_field_read_carries_evidence(self, corpus, key):
        document = corpus[key].document(key[0])
        reading = read_document(document.pdf)
        for read in reading.fields():
            evidence = read.evidence
            assert 1 <= evidence.page <= reading.page_count
            x0, top, x1, bottom = evidence.bbox
            assert 0 <= x0 <= x1 <= 596 and 0 <= top <= bottom <= 842
            assert 0 < evidence.confidence <= 1
            assert evidence.text
        assert set(document_fields(reading.document)) == set(reading.evidence), (
            "a value without evidence, or evidence without a value")
        number = reading.field("number")
        assert number is not None and number.value in number.evidence.text
        line = reading.field("lines[0].description")
        if line is not None:
            assert line.evidence.method == "pdf-table"

    @pytest.mark.parametrize("key", LAYOUT_LANGUAGE[:12], ids=lambda k: "-".join(k))
    def test_fields_not_printed_are_listed_missing(self, corpus, key):
        document = corpus[key].document(key[0])
        reading = read_document(document.pdf)
        present = document_fields(reading.document)
        for path in reading.missing:
            assert path not in present
        for path, value in document_fields(document.truth).items():
            assert value is None or path not in reading.missing

    def test_packing_list_without_date_reports_it_missing(self):
        from smartcustoms.documents.generate import generate_case

        for seed in range(40):
            document = generate_case(seed).document("packing_list")
            if document.truth.date is None:  # type: ignore[union-attr]
                break
        reading = read_document(document.pdf)
        assert "date" in reading.missing
        assert reading.document.date is None  # type: ignore[union-attr]

    def test_detect_document_type_from_title(self, corpus):
        for (document_type, layout, language), case in list(corpus.items())[::5]:
            guess = detect_document_type(case.document(document_type).pdf)
            assert guess.document_type == DocumentType(document_type), (layout, language)
            assert guess.confidence > 0.5


class TestMultiPageInvoice:
    def test_three_page_invoice_reads_all_lines_once(self, three_page_case):
        document = three_page_case.document("commercial_invoice")
        reading = read_document(document.pdf)
        assert reading.page_count == 3
        truth = document.truth
        assert isinstance(truth, CommercialInvoice)
        invoice = reading.document
        assert isinstance(invoice, CommercialInvoice)
        assert len(invoice.lines) == len(truth.lines)
        assert [o for o in compare_documents(truth, invoice) if not o.correct] == []
        pages = {reading.evidence[f"lines[{i}].amount"].page for i in range(len(invoice.lines))}
        assert pages == {1, 2, 3}
        assert reading.evidence["total"].page == 3
        assert not [p for p in reading.problems if p.field.startswith(("lines", "total"))]

    def test_three_page_invoice_reads_within_a_second(self, three_page_case):
        import time

        pdf = three_page_case.document("commercial_invoice").pdf
        read_document(pdf)  # warm: imports
        started = time.perf_counter()
        read_document(pdf)
        assert time.perf_counter() - started < 3.0  # 1 s is the target; CI machines vary


class TestForeignDocuments:
    def test_read_document_reads_an_invoice_in_another_style(self):
        reading = read_document(foreign_invoice())
        invoice = reading.document
        assert isinstance(invoice, CommercialInvoice)
        assert invoice.number == "POC-88123"
        assert invoice.date == dt.date(2026, 1, 5)
        assert invoice.seller and invoice.seller.name == "Pacific Orient Components Ltd."
        assert invoice.seller.country == "HK"
        assert invoice.buyer and invoice.buyer.name == "Albion Imports Ltd"
        assert invoice.buyer.country == "GB"
        assert invoice.currency == "USD"
        assert invoice.trade_terms and invoice.trade_terms.incoterm == "FOB"
        assert invoice.trade_terms.place == "Hong Kong"
        assert [line.description for line in invoice.lines] == [
            "USB-C charging cable, 1 m", "Wireless mouse, black"]
        first = invoice.lines[0]
        assert first.quantity and first.quantity.value == Decimal(1000)
        assert first.quantity.unit == "H87"
        assert first.unit_price and first.unit_price.amount == Decimal("1.20")
        assert invoice.subtotal and invoice.subtotal.amount == Decimal("2400.00")
        assert invoice.freight and invoice.freight.amount == Decimal("150.00")
        assert invoice.total and invoice.total.amount == Decimal("2550.00")
        assert reading.problems == []

    def test_label_absent_is_reported_missing_not_guessed(self):
        reading = read_document(foreign_invoice(with_date=False))
        assert reading.document.date is None  # type: ignore[union-attr]
        assert "date" in reading.missing
        assert "date" not in reading.evidence

    def test_sums_that_do_not_add_up_are_problems_not_corrections(self):
        reading = read_document(foreign_invoice(amount="2,500.00"))
        invoice = reading.document
        assert isinstance(invoice, CommercialInvoice)
        assert invoice.lines[0].amount and invoice.lines[0].amount.amount == Decimal("2500.00")
        fields = {p.field for p in reading.problems}
        assert "lines[0].amount" in fields and "subtotal" in fields

    def test_unparseable_value_under_a_label_is_a_problem(self):
        page = [(40, 40, "PACKING LIST", 16, True), (40, 80, "Packing List No.: PL-1", 9, False),
                (40, 94, "Date: 31.02.2026", 9, False)]
        reading = read_document(draw_pdf([page]))
        assert isinstance(reading.document, PackingList)
        assert reading.document.number == "PL-1"
        assert "date" in reading.missing
        (problem,) = [p for p in reading.problems if p.field == "date"]
        assert "does not exist" in problem.message
        assert problem.evidence is not None and problem.evidence.page == 1

    def test_bill_of_lading_with_vessel_and_voyage_in_one_field(self):
        page = [(200, 30, "SEA WAYBILL", 16, True), (40, 70, "B/L No.: ABCD123456", 9, False),
                (40, 90, "Vessel / Voyage: NORTHERN JUPITER / 044W", 9, False),
                (40, 110, "Port of Loading: Busan, Korea", 9, False),
                (40, 130, "Container: MSCU1234566  Seal No. 778899", 9, False)]
        reading = read_document(draw_pdf([page], font="Courier"))
        lading = reading.document
        assert lading.vessel == "NORTHERN JUPITER"  # type: ignore[union-attr]
        assert lading.voyage == "044W"  # type: ignore[union-attr]
        assert normalise_text(lading.port_of_loading or "") == "busan korea"  # type: ignore[union-attr]
        assert [(c.number, c.seals) for c in lading.containers] == [  # type: ignore[union-attr]
            ("MSCU1234566", ["778899"])]

    def test_container_with_wrong_check_digit_is_a_problem(self):
        page = [(200, 30, "BILL OF LADING", 16, True),
                (40, 70, "Container: MSCU1234567", 9, False)]
        reading = read_document(draw_pdf([page]))
        assert reading.document.containers == []  # type: ignore[union-attr]
        assert any("check digit" in p.message for p in reading.problems)


class TestUnreadableInput:
    def test_not_a_pdf(self):
        with pytest.raises(DocumentUnreadable, match="not a PDF"):
            read_document(b"Invoice No. 1\nTotal 12.00")

    def test_damaged_pdf(self):
        with pytest.raises(DocumentUnreadable, match="cannot be parsed"):
            read_document(b"%PDF-1.4\n" + b"\x00garbage" * 50)

    def test_image_only_pdf_needs_ocr(self):
        from smartcustoms.documents.generate import generate_case, scan_document

        scan = scan_document(generate_case(3).document("packing_list").pdf, seed=0, dpi=72)
        with pytest.raises(DocumentHasNoText, match="OCR"):
            read_document(scan.pdf)

    def test_document_without_title_needs_a_type(self):
        pdf = draw_pdf([[(40, 40, "Invoice No.: 12", 9, False), (40, 60, "Total: 5.00", 9, False)]])
        with pytest.raises(DocumentTypeUnknown, match="give the document type"):
            read_document(pdf)
        reading = read_document(pdf, document_type="commercial_invoice")
        assert reading.document.number == "12"  # type: ignore[union-attr]

    def test_too_many_pages(self):
        pdf = draw_pdf([[(40, 40, "INVOICE", 12, True)]] * 3)
        with pytest.raises(DocumentUnreadable, match="at most 2"):
            read_document(pdf, max_pages=2)
