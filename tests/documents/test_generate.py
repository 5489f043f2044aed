"""The corpus generator: deterministic, realistic, its declarations valid, its
inconsistencies labelled, its scans image-only."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pypdfium2 as pdfium
import pytest
from PIL import Image

from smartcustoms.declarations.models import DeclarationCreate
from smartcustoms.declarations.types import iso6346_check_digit
from smartcustoms.declarations.validation import parse_declaration
from smartcustoms.documents.errors import DocumentHasNoText
from smartcustoms.documents.extract import read_document
from smartcustoms.documents.generate import (
    DOCUMENT_TYPES,
    LAYOUTS,
    InconsistencyKind,
    generate_case,
    generate_corpus,
    scan_document,
)
from smartcustoms.documents.generate.catalog import PRODUCTS
from smartcustoms.documents.models import CommercialInvoice, PackingList
from smartcustoms.reference import load_hs2022

FAR_FUTURE = dt.date(2030, 1, 1)


def _page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def _declared_value(declaration: DeclarationCreate, path: str) -> object:
    """Follow 'items[2].price.amount' / 'national[seals.X]' into the declaration."""
    data: object = declaration.model_dump(mode="json")
    for name, key in re.findall(r"(\w+)|\[([^\]]+)\]", path):
        if name:
            data = data.get(name) if isinstance(data, dict) else None
        elif isinstance(data, list):
            data = data[int(key)]
        elif isinstance(data, dict):
            data = data.get(key)
    return data


class TestGenerateCase:
    def test_generate_case_is_byte_identical_for_a_seed(self):
        first, second = generate_case(11, inconsistencies=2), generate_case(11, inconsistencies=2)
        assert [d.pdf for d in first.documents] == [d.pdf for d in second.documents]
        assert first.truth_text() == second.truth_text()

    def test_generate_case_differs_between_seeds(self):
        assert generate_case(1).documents[0].pdf != generate_case(2).documents[0].pdf

    def test_generate_case_prints_three_documents_with_truth(self):
        case = generate_case(3)
        assert [d.document_type for d in case.documents] == list(DOCUMENT_TYPES)
        for document in case.documents:
            assert document.pdf.startswith(b"%PDF")
            assert document.truth.document_type == document.document_type
        json.dumps(case.truth_json())  # JSON-ready without a custom encoder

    @pytest.mark.parametrize(("document_type", "layout"),
                             [(t, layout) for t, layouts in LAYOUTS.items() for layout in layouts])
    def test_generate_case_honours_layouts(self, document_type, layout):
        case = generate_case(5, layouts={document_type: layout})
        assert case.document(document_type).style.layout == layout

    def test_generate_case_refuses_unknown_layout(self):
        with pytest.raises(ValueError, match="layout for commercial_invoice must be one of"):
            generate_case(1, layouts={"commercial_invoice": "fancy"})

    def test_generate_case_multipage_invoice_runs_to_three_pages(self, three_page_case):
        invoice = three_page_case.document("commercial_invoice")
        assert _page_count(invoice.pdf) == 3
        assert isinstance(invoice.truth, CommercialInvoice)
        assert len(invoice.truth.lines) > 50

    def test_generate_case_totals_add_up(self):
        for seed in range(15):
            truth = generate_case(seed).document("commercial_invoice").truth
            assert isinstance(truth, CommercialInvoice) and truth.total is not None
            goods = sum(line.amount.amount for line in truth.lines if line.amount)
            expected = goods - (truth.discount.amount if truth.discount else 0) + (
                truth.freight.amount if truth.freight else 0) + (
                truth.insurance.amount if truth.insurance else 0)
            assert truth.total.amount == expected
            packing = generate_case(seed).document("packing_list").truth
            assert isinstance(packing, PackingList)
            assert packing.total_gross_mass_kg == sum(
                line.gross_mass_kg for line in packing.lines if line.gross_mass_kg)

    def test_catalog_codes_exist_in_hs2022(self):
        subheadings = load_hs2022().subheadings
        assert [p.hs6 for p in PRODUCTS if p.hs6 not in subheadings] == []

    def test_generate_case_containers_have_valid_check_digits(self):
        lading = generate_case(8).document("bill_of_lading").truth
        for container in lading.containers:  # type: ignore[union-attr]
            assert int(container.number[10]) == iso6346_check_digit(container.number[:10])


class TestDeclaration:
    @pytest.mark.parametrize("seed", range(12))
    def test_declaration_passes_the_declaration_validators(self, seed):
        case = generate_case(seed, multipage=seed == 0)
        parse_declaration(case.declaration.model_dump(mode="json"), today=FAR_FUTURE)

    def test_declaration_matches_the_invoice(self):
        case = generate_case(21)
        invoice = case.document("commercial_invoice").truth
        assert isinstance(invoice, CommercialInvoice)
        declaration = case.declaration
        assert len(declaration.items) == len(invoice.lines)
        assert declaration.invoice_total is not None and invoice.currency is not None
        assert declaration.invoice_total.currency == invoice.currency
        assert declaration.trade_terms and invoice.trade_terms
        assert declaration.trade_terms.incoterm == invoice.trade_terms.incoterm
        assert [i.hs_code[:6] for i in declaration.items] == [
            p.product.hs6 for p in case.shipment.lines]

    @pytest.mark.parametrize("kind", list(InconsistencyKind))
    def test_injected_inconsistency_keeps_the_declaration_valid(self, kind):
        for seed in range(4):
            case = generate_case(seed, inconsistencies=[kind])
            parse_declaration(case.declaration.model_dump(mode="json"), today=FAR_FUTURE)
            (found,) = case.inconsistencies
            assert found.kind is kind
            assert found.declared != found.documented
            clean = generate_case(seed)
            changed = [p for p in found.declaration_paths
                       if _declared_value(case.declaration, p)
                       != _declared_value(clean.declaration, p)]
            assert changed, f"{kind}: no declaration path changed"
            for path in found.document_paths:
                assert path.split(".")[0] in DOCUMENT_TYPES

    def test_inconsistencies_leave_the_documents_alone(self):
        clean, changed = generate_case(9), generate_case(9, inconsistencies=5)
        assert [d.pdf for d in clean.documents] == [d.pdf for d in changed.documents]
        assert len(changed.inconsistencies) == 5
        assert len({i.kind for i in changed.inconsistencies}) == 5

    def test_invoice_date_after_declaration_is_only_seen_in_the_documents(self):
        case = generate_case(4, inconsistencies=["invoice_date_after_declaration"])
        invoice = case.document("commercial_invoice").truth
        assert invoice.date > case.declaration.declaration_date  # type: ignore[union-attr,operator]

    def test_each_kind_injected_once(self):
        with pytest.raises(ValueError, match="once per case"):
            generate_case(1, inconsistencies=["seal_mismatch", "seal_mismatch"])

    def test_generate_corpus_is_deterministic(self):
        first = [c.truth_text() for c in generate_corpus(3, seed=5)]
        assert first == [c.truth_text() for c in generate_corpus(3, seed=5)]


class TestScan:
    def test_scan_document_gives_an_image_only_pdf(self):
        pdf = generate_case(12).document("bill_of_lading").pdf
        scan = scan_document(pdf, seed=3, dpi=150)
        assert scan.pdf.startswith(b"%PDF")
        assert len(scan.pages_png) == _page_count(scan.pdf) == _page_count(pdf)
        assert all(abs(angle) <= 1.0 for angle in scan.rotations)
        image = Image.open(io.BytesIO(scan.pages_png[0]))
        width, height = image.size
        assert abs(width - 595.28 * 150 / 72) <= 1 and abs(height - 841.89 * 150 / 72) <= 1
        with pytest.raises(DocumentHasNoText, match="OCR"):
            read_document(scan.pdf, ocr=False)

    def test_scan_document_is_deterministic_and_seeded(self):
        pdf = generate_case(12).document("packing_list").pdf
        assert scan_document(pdf, seed=1).pdf == scan_document(pdf, seed=1).pdf
        assert scan_document(pdf, seed=1).pdf != scan_document(pdf, seed=2).pdf
