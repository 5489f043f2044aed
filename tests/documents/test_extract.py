"""Reading digital PDFs: every generated layout and language, a three-page invoice,
documents drawn here in another style, missing labels, and unreadable input."""

from __future__ import annotations

import contextlib
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


def foreign_packing_list() -> bytes:
    """Carton ranges, a 'CTNS' column, the unit in the quantity header, a 'TOTAL:' row."""
    return draw_pdf([[
        (200, 30, "PACKING LIST", 16, True),
        (40, 70, "Shipper/Exporter:", 8, True), (40, 82, "Hengda Textile Co., Ltd.", 9, False),
        (40, 94, "88 Jiefang Road, Hangzhou 310000", 9, False),
        (40, 106, "P.R. China", 9, False),
        (320, 70, "Packing List No.:", 8, True), (420, 70, "HT-PL-2026-0112", 9, False),
        (320, 84, "Invoice No.:", 8, True), (420, 84, "HT-2026-0112", 9, False),
        (320, 98, "Date:", 8, True), (420, 98, "Feb. 3, 2026", 9, False),
        (40, 130, "Consignee:", 8, True), (40, 142, "Levante Suministros S.L.", 9, False),
        (40, 154, "Calle de la Marina 8, 46024 Valencia", 9, False), (40, 166, "Spain", 9, False),
        (40, 210, "Carton No.", 8, True), (110, 210, "Description", 8, True),
        right(330, 210, "Qty (pcs)", 8, True), right(380, 210, "CTNS", 8, True),
        right(450, 210, "N.W. (KGS)", 8, True), right(520, 210, "G.W. (KGS)", 8, True),
        right(555, 210, "CBM", 8, True),
        (40, 226, "1-20", 9, False), (110, 226, "Cotton T-shirt, white", 9, False),
        right(330, 226, "2,400"), right(380, 226, "20"), right(450, 226, "360.00"),
        right(520, 226, "400.00"), right(555, 226, "2.10"),
        (40, 240, "21-45", 9, False), (110, 240, "Cotton polo shirt, navy", 9, False),
        right(330, 240, "1,500"), right(380, 240, "25"), right(450, 240, "412.50"),
        right(520, 240, "462.50"), right(555, 240, "2.60"),
        (40, 262, "TOTAL:", 9, True), right(330, 262, "3,900", bold=True),
        right(380, 262, "45", bold=True), right(450, 262, "772.50", bold=True),
        right(520, 262, "862.50", bold=True), right(555, 262, "4.70", bold=True),
        (40, 300, "SAY TOTAL: FORTY-FIVE (45) CARTONS ONLY", 9, False),
        (40, 320, "Container / Seal: TGHU1234567 / HT998877", 9, False),
    ]])


def carrier_bill_of_lading() -> bytes:
    """A carrier's form: notes in brackets after labels, vessel and voyage in one box,
    container and seal glued by a slash, the date of issue after the place."""
    return draw_pdf([[
        (40, 30, "BILL OF LADING FOR OCEAN TRANSPORT OR MULTIMODAL TRANSPORT", 11, True),
        (40, 56, "Shipper", 7, False), (40, 68, "HENGDA TEXTILE CO., LTD.", 9, False),
        (40, 80, "88 JIEFANG ROAD, HANGZHOU", 9, False), (40, 92, "CHINA", 9, False),
        (320, 56, "B/L No.", 7, False), (320, 68, "NSLU240311876", 10, True),
        (40, 116, "Consignee (if 'To Order' so indicate)", 7, False),
        (40, 128, "LEVANTE SUMINISTROS S.L.", 9, False),
        (40, 140, "CALLE DE LA MARINA 8, 46024 VALENCIA", 9, False), (40, 152, "SPAIN", 9, False),
        (40, 176, "Notify Party (complete name and address)", 7, False),
        (40, 188, "SAME AS CONSIGNEE", 9, False),
        (40, 220, "Vessel / Voyage No.", 7, False), (40, 232, "MAERSK ESSEN / 612W", 9, False),
        (200, 220, "Port of Loading", 7, False), (200, 232, "NINGBO, CHINA", 9, False),
        (360, 220, "Port of Discharge", 7, False), (360, 232, "VALENCIA, SPAIN", 9, False),
        (40, 262, "Container No./Seal No.", 7, True), (170, 262, "Marks & Nos.", 7, True),
        right(300, 262, "No. of Pkgs", 7, True), (310, 262, "Description of Goods", 7, True),
        right(500, 262, "Gross Weight", 7, True), right(555, 262, "Measurement", 7, True),
        (40, 276, "TGHU1234567/HT998877", 9, False), (170, 276, "N/M", 9, False),
        right(300, 276, "45 CTNS"), (310, 276, "COTTON GARMENTS", 9, False),
        right(500, 276, "862.50 KGS"), right(555, 276, "4.70 CBM"),
        (40, 320, "Place and Date of Issue: NINGBO, 10 FEB 2026", 9, False),
    ]])


def din_letter_invoice() -> bytes:
    """A German business letter (DIN 5008): the sender as one small line over the window,
    the addressee without a label, abbreviated column names, origin under each line."""
    return draw_pdf([[
        (40, 40, "Nordwerk Technik GmbH · Schlachte 12 · 28195 Bremen", 7, False),
        (40, 70, "Atlantic Components Inc.", 10, False), (40, 83, "400 Bay Street", 10, False),
        (40, 96, "Savannah, GA 31401", 10, False), (40, 109, "USA", 10, False),
        (380, 70, "Rechnung", 18, True),
        (380, 100, "Rechnungs-Nr.", 8, False), (470, 100, "R-2026-0457", 9, False),
        (380, 112, "Rechnungsdatum", 8, False), (470, 112, "12.01.2026", 9, False),
        (380, 124, "Kunden-Nr.", 8, False), (470, 124, "10233", 9, False),
        (380, 136, "Lieferbedingung", 8, False), (470, 136, "FCA Bremen", 9, False),
        (40, 180, "Pos", 8, True), (70, 180, "Art.-Nr.", 8, True),
        (130, 180, "Bezeichnung", 8, True), right(360, 180, "Menge", 8, True),
        (368, 180, "ME", 8, True), right(460, 180, "E-Preis EUR", 8, True),
        right(555, 180, "G-Preis EUR", 8, True),
        (40, 196, "10", 9, False), (70, 196, "4711-02", 9, False),
        (130, 196, "Hydraulikpumpe HP-200", 9, False), right(360, 196, "4"),
        (368, 196, "Stk", 9, False), right(460, 196, "1.250,00"), right(555, 196, "5.000,00"),
        (130, 208, "Ursprungsland: Deutschland", 8, False),
        (40, 224, "20", 9, False), (70, 224, "0815-11", 9, False),
        (130, 224, "Dichtungssatz DS-12", 9, False), right(360, 224, "25"),
        (368, 224, "Satz", 9, False), right(460, 224, "18,40"), right(555, 224, "460,00"),
        (130, 236, "Ursprungsland: Deutschland", 8, False),
        (380, 270, "Nettobetrag", 9, False), right(555, 270, "5.460,00"),
        (380, 284, "Gesamtbetrag EUR", 9, True), right(555, 284, "5.460,00", bold=True),
    ]])


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

    def test_read_document_reads_a_packing_list_in_another_style(self):
        reading = read_document(foreign_packing_list())
        packing = reading.document
        assert isinstance(packing, PackingList)
        assert (packing.number, packing.invoice_number) == ("HT-PL-2026-0112", "HT-2026-0112")
        assert packing.date == dt.date(2026, 2, 3)
        assert packing.shipper and packing.shipper.country == "CN"
        assert packing.consignee and packing.consignee.name == "Levante Suministros S.L."
        assert [(line.packages, line.package_kind, line.net_mass_kg, line.gross_mass_kg)
                for line in packing.lines] == [
            (20, "CT", Decimal("360.00"), Decimal("400.00")),
            (25, "CT", Decimal("412.50"), Decimal("462.50"))]
        assert packing.lines[0].quantity and packing.lines[0].quantity.value == Decimal(2400)
        assert packing.lines[0].quantity.unit == "H87"
        assert (packing.total_packages, packing.package_kind) == (45, "CT")
        assert packing.total_net_mass_kg == Decimal("772.50")
        assert packing.total_gross_mass_kg == Decimal("862.50")
        assert packing.containers == ["TGHU1234567"]
        assert reading.problems == []

    def test_read_document_reads_a_carrier_bill_of_lading(self):
        reading = read_document(carrier_bill_of_lading())
        lading = reading.document
        assert lading.number == "NSLU240311876"  # type: ignore[union-attr]
        assert lading.date == dt.date(2026, 2, 10)  # type: ignore[union-attr]
        assert lading.consignee.name == "LEVANTE SUMINISTROS S.L."  # type: ignore[union-attr]
        assert lading.consignee.country == "ES"  # type: ignore[union-attr]
        assert lading.notify.name == "SAME AS CONSIGNEE"  # type: ignore[union-attr]
        assert (lading.vessel, lading.voyage) == ("MAERSK ESSEN", "612W")  # type: ignore[union-attr]
        assert [(c.number, c.seals) for c in lading.containers] == [  # type: ignore[union-attr]
            ("TGHU1234567", ["HT998877"])]
        assert (lading.packages, lading.package_kind) == (45, "CT")  # type: ignore[union-attr]
        assert lading.gross_mass_kg == Decimal("862.50")  # type: ignore[union-attr]

    def test_read_document_reads_a_german_business_letter_invoice(self):
        reading = read_document(din_letter_invoice())
        invoice = reading.document
        assert isinstance(invoice, CommercialInvoice)
        assert (invoice.number, invoice.date) == ("R-2026-0457", dt.date(2026, 1, 12))
        assert invoice.seller and invoice.seller.name == "Nordwerk Technik GmbH"
        assert invoice.seller.address == "Schlachte 12, 28195 Bremen"
        assert invoice.buyer and invoice.buyer.name == "Atlantic Components Inc."
        assert invoice.buyer.country == "US"
        assert invoice.trade_terms and invoice.trade_terms.incoterm == "FCA"
        assert [(line.quantity.unit if line.quantity else None, line.origin_country,
                 line.amount.amount if line.amount else None) for line in invoice.lines] == [
            ("H87", "DE", Decimal("5000.00")), ("SET", "DE", Decimal("460.00"))]
        assert invoice.subtotal and invoice.total and invoice.total.amount == Decimal("5460.00")
        assert "lines[*].hs_code" in reading.missing and "seller.country" in reading.missing
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
            read_document(scan.pdf, ocr=False)  # with OCR (the default): test_ocr.py

    def test_document_without_title_needs_a_type(self):
        pdf = draw_pdf([[(40, 40, "Invoice No.: 12", 9, False), (40, 60, "Total: 5.00", 9, False)]])
        with pytest.raises(DocumentTypeUnknown, match="give the document type"):
            read_document(pdf)
        reading = read_document(pdf, document_type="commercial_invoice")
        assert reading.document.number == "12"  # type: ignore[union-attr]

    def test_damaged_pdfs_raise_only_document_errors(self):
        from smartcustoms.documents.errors import DocumentError
        from smartcustoms.documents.generate import generate_case

        pdf = generate_case(3).document("commercial_invoice").pdf
        for cut in range(9, len(pdf), max(1, len(pdf) // 25)):
            for data in (pdf[:cut], pdf[:cut] + bytes([pdf[cut] ^ 0xFF]) + pdf[cut + 1:]):
                with contextlib.suppress(DocumentError):
                    read_document(data)

    def test_too_many_pages(self):
        pdf = draw_pdf([[(40, 40, "INVOICE", 12, True)]] * 3)
        with pytest.raises(DocumentUnreadable, match="at most 2"):
            read_document(pdf, max_pages=2)
