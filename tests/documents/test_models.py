"""Document shapes: evidence checks, flattening to field paths, readings as JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from smartcustoms.declarations.models import Money, Quantity
from smartcustoms.documents.models import (
    BillOfLading,
    CommercialInvoice,
    Container,
    DocumentParty,
    DocumentReading,
    Evidence,
    InvoiceLine,
    PackingList,
    document_fields,
)

EVIDENCE = Evidence(page=1, bbox=(10, 20, 30, 40), method="pdf-text", confidence=0.9,
                    text="INV-1", label="Invoice No.")


class TestEvidence:
    def test_evidence_refuses_a_box_out_of_order(self):
        with pytest.raises(ValidationError, match="x0 <= x1"):
            Evidence(page=1, bbox=(30, 20, 10, 40), method="pdf-text", confidence=0.5, text="x")

    @pytest.mark.parametrize(("field", "value"), [("page", 0), ("confidence", 1.2),
                                                  ("method", "guess")])
    def test_evidence_refuses_values_out_of_range(self, field, value):
        data = EVIDENCE.model_dump() | {field: value}
        with pytest.raises(ValidationError, match=field):
            Evidence.model_validate(data)


class TestShapes:
    def test_package_kind_must_be_rec21(self):
        with pytest.raises(ValidationError, match="Rec 21"):
            PackingList(package_kind="XX")

    def test_container_number_is_checked(self):
        with pytest.raises(ValidationError, match="check digit"):
            Container(number="MSCU1234567")

    def test_invoice_line_hs_code_is_normalised(self):
        assert InvoiceLine(hs_code="8471.30").hs_code == "847130"


class TestDocumentFields:
    def test_document_fields_flattens_to_paths(self):
        invoice = CommercialInvoice(
            number="A-1", date=dt.date(2026, 1, 2),
            seller=DocumentParty(name="X", country="DE"),
            lines=[InvoiceLine(description="Bolts",
                               quantity=Quantity(value=Decimal(5), unit="KGM"),
                               amount=Money(amount=Decimal("10.00"), currency="EUR"))],
        )
        assert document_fields(invoice) == {
            "number": "A-1", "date": dt.date(2026, 1, 2), "seller.name": "X",
            "seller.country": "DE", "lines[0].description": "Bolts",
            "lines[0].quantity": Quantity(value=Decimal(5), unit="KGM"),
            "lines[0].amount": Money(amount=Decimal("10.00"), currency="EUR"),
        }

    def test_document_fields_indexes_containers_and_seals(self):
        lading = BillOfLading(
            containers=[Container(number="CSQU3054383", seals=["A1234", "B56789"])])
        assert document_fields(lading) == {"containers[0].number": "CSQU3054383",
                                           "containers[0].seals[0]": "A1234",
                                           "containers[0].seals[1]": "B56789"}


class TestDocumentReading:
    def test_field_gives_value_with_evidence(self):
        reading = DocumentReading(document=CommercialInvoice(number="INV-1"),
                                  evidence={"number": EVIDENCE}, missing=["date"], page_count=1)
        field = reading.field("number")
        assert field is not None and field.value == "INV-1" and field.evidence == EVIDENCE
        assert reading.field("date") is None
        assert [f.path for f in reading.fields()] == ["number"]
        assert reading.document_type.value == "commercial_invoice"

    def test_reading_round_trips_through_json(self):
        reading = DocumentReading(document=PackingList(number="PL-1", total_packages=3),
                                  evidence={"number": EVIDENCE}, page_count=2)
        again = DocumentReading.model_validate_json(reading.model_dump_json())
        assert again == reading
        assert isinstance(again.document, PackingList)
