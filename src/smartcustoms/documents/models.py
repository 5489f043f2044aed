"""What a trade document says, and where on the page each value was read.

Two layers, kept apart on purpose:

* the document shapes (``CommercialInvoice``, ``PackingList``, ``BillOfLading``) hold only
  values, typed like the declaration (``Money``, ``Quantity``, ISO country and currency
  codes, UN/ECE Rec 20 units, ISO 6346 container numbers). The corpus generator's ground
  truth is such a shape, and so is what the reader extracts, so the two compare directly;
* ``DocumentReading`` wraps a read document with ``Evidence`` per field path (page and
  box, or for an XML e-invoice the element's xpath; method, confidence, source text),
  the ``missing`` field paths it could not read, and ``problems`` (a label found but its
  value unparseable, totals that do not add up).
  ``DocumentReading.field(path)`` gives one field as value plus evidence.

Field paths are the declaration's style: ``seller.name``, ``lines[3].unit_price``,
``containers[0].seals``. A column absent from a whole table is reported once as
``lines[*].hs_code``.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from smartcustoms.declarations.models import Money, Quantity, TradeTerms
from smartcustoms.declarations.types import (
    ContainerNumber,
    CountryCode,
    CurrencyCode,
    HSCode,
    PositiveDecimal,
    Text,
)
from smartcustoms.documents.codes import PACKAGE_KINDS

__all__ = [
    "BillOfLading",
    "CommercialInvoice",
    "Container",
    "DocumentParty",
    "DocumentReading",
    "DocumentType",
    "Evidence",
    "InvoiceLine",
    "PackingLine",
    "PackingList",
    "ReadField",
    "ReadMethod",
    "ReadProblem",
    "TradeDocument",
    "document_fields",
]


class _Shape(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True
    )


class DocumentType(enum.StrEnum):
    commercial_invoice = "commercial_invoice"
    packing_list = "packing_list"
    bill_of_lading = "bill_of_lading"


ReadMethod = Literal["pdf-text", "pdf-table", "ocr", "xml"]


def _package_kind(value: str) -> str:
    if value not in PACKAGE_KINDS:
        raise PydanticCustomError(
            "package_kind", "must be a UN/ECE Rec 21 package code such as 'CT' or 'PX'"
        )
    return value


PackageKind = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_package_kind)]
SealNumber = Annotated[str, Field(min_length=1, max_length=35, pattern=r"^[A-Za-z0-9/-]+$")]


class Evidence(_Shape):
    """Where a value was read: page, box, how, how sure, and the text as printed.

    A value read from a PDF or a scan has a page and a box; a value read from an XML
    e-invoice (method ``xml``) has neither, and names its element by ``xpath`` instead.
    """

    page: int | None = Field(None, ge=1, description="1-based page number (None for XML).")
    bbox: tuple[float, float, float, float] | None = Field(
        None,
        description="x0, top, x1, bottom in PDF points from the page's top-left corner "
        "(None for XML).",
    )
    method: ReadMethod
    confidence: float = Field(ge=0, le=1)
    text: str = Field(max_length=4000, description="The source text of the value.")
    label: str | None = Field(None, description="The printed label that located the value.")
    xpath: str | None = Field(
        None, max_length=2000,
        description="The element the value was read from, for method 'xml', e.g. "
        "'/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID'.",
    )

    @model_validator(mode="after")
    def _located(self) -> Evidence:
        if self.method == "xml":
            if self.xpath is None or self.page is not None or self.bbox is not None:
                raise PydanticCustomError(
                    "xml_location", "evidence read from XML has an xpath and no page or bbox"
                )
            return self
        if self.page is None or self.bbox is None or self.xpath is not None:
            raise PydanticCustomError(
                "page_location", "evidence read from a page has a page and a bbox, no xpath"
            )
        x0, top, x1, bottom = self.bbox
        if x0 > x1 or top > bottom:
            raise PydanticCustomError(
                "bbox_order", "bbox must be (x0, top, x1, bottom) with x0 <= x1, top <= bottom"
            )
        return self


class DocumentParty(_Shape):
    """A party as printed: name, address lines (joined with ', '), country, tax id."""

    name: Text | None = None
    address: Text | None = Field(None, description="Street and city lines, joined with ', '.")
    country: CountryCode | None = None
    identifier: Text | None = Field(None, description="VAT, EORI or tax number as printed.")


class InvoiceLine(_Shape):
    description: Text | None = None
    quantity: Quantity | None = None
    unit_price: Money | None = None
    amount: Money | None = None
    hs_code: HSCode | None = Field(None, description="Commodity code when printed.")
    origin_country: CountryCode | None = None


class CommercialInvoice(_Shape):
    document_type: Literal["commercial_invoice"] = "commercial_invoice"
    number: Text | None = None
    date: dt.date | None = None
    seller: DocumentParty | None = None
    buyer: DocumentParty | None = None
    currency: CurrencyCode | None = None
    trade_terms: TradeTerms | None = None
    lines: list[InvoiceLine] = Field(default_factory=list, max_length=9999)
    subtotal: Money | None = None
    discount: Money | None = Field(None, description="Deducted amount, as a positive number.")
    freight: Money | None = None
    insurance: Money | None = None
    total: Money | None = None


class PackingLine(_Shape):
    description: Text | None = None
    quantity: Quantity | None = None
    packages: Annotated[int, Field(ge=0)] | None = None
    package_kind: PackageKind | None = None
    net_mass_kg: PositiveDecimal | None = None
    gross_mass_kg: PositiveDecimal | None = None


class PackingList(_Shape):
    document_type: Literal["packing_list"] = "packing_list"
    number: Text | None = None
    date: dt.date | None = None
    invoice_number: Text | None = None
    shipper: DocumentParty | None = None
    consignee: DocumentParty | None = None
    marks: Text | None = Field(None, description="Shipping marks, lines joined with ' / '.")
    lines: list[PackingLine] = Field(default_factory=list, max_length=9999)
    total_packages: Annotated[int, Field(ge=0)] | None = None
    package_kind: PackageKind | None = None
    total_net_mass_kg: PositiveDecimal | None = None
    total_gross_mass_kg: PositiveDecimal | None = None
    containers: list[ContainerNumber] = Field(default_factory=list, max_length=999)


class Container(_Shape):
    number: ContainerNumber
    seals: list[SealNumber] = Field(default_factory=list, max_length=9)


class BillOfLading(_Shape):
    document_type: Literal["bill_of_lading"] = "bill_of_lading"
    number: Text | None = None
    date: dt.date | None = Field(None, description="Date of issue (or shipped on board).")
    shipper: DocumentParty | None = None
    consignee: DocumentParty | None = None
    notify: DocumentParty | None = None
    port_of_loading: Text | None = None
    port_of_discharge: Text | None = None
    vessel: Text | None = None
    voyage: Text | None = None
    containers: list[Container] = Field(default_factory=list, max_length=999)
    packages: Annotated[int, Field(ge=0)] | None = None
    package_kind: PackageKind | None = None
    gross_mass_kg: PositiveDecimal | None = None


TradeDocument = Annotated[
    CommercialInvoice | PackingList | BillOfLading, Field(discriminator="document_type")
]


class ReadField(_Shape):
    """One field as read: its path, value and evidence."""

    path: str
    value: Any
    evidence: Evidence


class ReadProblem(_Shape):
    """Something the reader saw but could not use, or a sum that does not add up."""

    field: str
    message: str
    text: str | None = None
    evidence: Evidence | None = None


class DocumentReading(_Shape):
    """A read document: values, evidence per field path, what is missing and why."""

    document: TradeDocument
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    problems: list[ReadProblem] = Field(default_factory=list)
    page_count: int = Field(ge=1)

    @property
    def document_type(self) -> DocumentType:
        return DocumentType(self.document.document_type)

    def field(self, path: str) -> ReadField | None:
        """The value at ``path`` with its evidence; None when it was not read."""
        evidence = self.evidence.get(path)
        values = document_fields(self.document)
        if evidence is None or path not in values:
            return None
        return ReadField(path=path, value=values[path], evidence=evidence)

    def fields(self) -> list[ReadField]:
        """Every read leaf field with its evidence, in document order."""
        values = document_fields(self.document)
        return [
            ReadField(path=path, value=value, evidence=self.evidence[path])
            for path, value in values.items()
            if path in self.evidence
        ]


# Shapes compared and evidenced as one value rather than field by field.
_LEAF_SHAPES = (Money, Quantity)


def document_fields(document: BaseModel) -> dict[str, Any]:
    """Flatten a document into ``{field path: value}`` for every leaf that has a value.

    ``Money`` and ``Quantity`` are leaves (amount with currency, value with unit); list
    items are indexed (``containers[0]``, ``containers[1].seals[0]``); ``document_type``
    is left out.

    >>> from smartcustoms.documents.models import CommercialInvoice, DocumentParty
    >>> document_fields(CommercialInvoice(number="A-1", seller=DocumentParty(name="X")))
    {'number': 'A-1', 'seller.name': 'X'}
    """
    out: dict[str, Any] = {}
    _flatten(document, "", out)
    return out


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if value is None:
        return
    if isinstance(value, _LEAF_SHAPES) or not isinstance(value, BaseModel | list):
        out[prefix] = value
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}[{index}]", out)
        return
    for name in type(value).model_fields:
        if name == "document_type":
            continue
        _flatten(getattr(value, name), f"{prefix}.{name}" if prefix else name, out)

