"""Structured e-invoices from a ``CommercialInvoice``: CII (Factur-X), UBL 2.1, Factur-X PDF.

``invoice_cii`` writes UN/CEFACT Cross Industry Invoice D16B in the shape of the Factur-X
EN 16931 profile (the Extended profile's guideline id when delivery terms are written);
``invoice_ubl`` writes an OASIS UBL 2.1 ``Invoice`` with the EN 16931 customization id;
``factur_x_pdf`` prints the corpus generator's invoice PDF with the CII XML embedded as
``factur-x.xml`` (``/AFRelationship /Alternative``, Factur-X XMP entries).
``generate_einvoice(seed, form)`` draws a shipment the way ``generate_case(seed)`` does and
returns one of the three forms with its ground truth. The same seed gives the same bytes.

What the XML forms carry, and what they cannot:

* written as given: number, issue date, currency, seller and buyer (name, address,
  country, identifier as VAT identifier, scheme ``VA``/``VAT``), lines (item name, billed
  quantity and unit, net price per one unit, line net amount, HS code as item
  classification with list id ``HS``, country of origin), line total, discount (one
  document-level allowance, reason code 95), freight (a charge with reason code FC),
  insurance (a charge with reason text 'Insurance': the code list has no insurance code),
  grand total, Incoterm;
* the address is one text in the model: it is split at ', ' into address lines and a last
  part 'postcode city' (``PostalAddress`` gives the exact parts when they are known, as
  ``generate_einvoice`` does); the reader joins them back into the same text;
* CII cannot carry the Incoterm's named place (``trade_terms.place``): the Factur-X
  Extended ``ApplicableTradeDeliveryTerms`` has the code only. UBL carries it as
  ``DeliveryTerms/DeliveryLocation/Name``. ``carried_by`` gives an invoice as a form can
  carry it, i.e. what reading the written XML gives back;
* XML turns a carriage return into a line feed, and the reader drops spaces at either end
  of an element's text (of an address part, say); text with characters XML 1.0 cannot
  hold is refused (``ValueError``);
* an element the invoice lacks is left out even where EN 16931 makes it mandatory (the
  line total BT-106 when ``subtotal`` is None, say), so that reading gives back the same
  document; invoices from ``einvoice_truth`` have every such value;
* VAT, which the model does not hold: every line and charge is declared in category G
  (export outside the EU, 0 %), or O (outside the scope of VAT) when the seller has no
  identifier, so tax is 0 and the grand total is the tax basis. This keeps the totals
  balanced; it is not a statement about the tax of a real supply;
* payment terms, due date, bank details, contacts, delivery address and dates are not in
  the model and not written. The Factur-X PDF is not PDF/A-3 (the core fonts are not
  embedded and there is no output intent).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from smartcustoms.declarations.models import Money
from smartcustoms.documents.generate.canvas import Canvas
from smartcustoms.documents.generate.content import (
    Company,
    DocumentStyle,
    Shipment,
    draw_shipment,
    draw_style,
)
from smartcustoms.documents.generate.invoice import (
    _columns,
    _grid,
    _letterhead,
    invoice_truth,
)
from smartcustoms.documents.generate.printing import Printer
from smartcustoms.documents.models import (
    CommercialInvoice,
    DocumentParty,
    InvoiceLine,
    document_fields,
)

__all__ = [
    "EINVOICE_FORMS",
    "EInvoiceForm",
    "GeneratedEInvoice",
    "PostalAddress",
    "carried_by",
    "einvoice_truth",
    "factur_x_pdf",
    "generate_einvoice",
    "invoice_cii",
    "invoice_ubl",
]

EInvoiceForm = Literal["cii", "ubl", "factur-x"]
EINVOICE_FORMS: tuple[EInvoiceForm, ...] = ("cii", "ubl", "factur-x")

_CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
_UBL_NS = {
    "": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
EN16931 = "urn:cen.eu:en16931:2017"
FACTUR_X_EXTENDED = "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended"
_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# XML 1.0 Char: tab, line feed, carriage return and the printable planes.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """An address in parts: up to three lines, postcode and city (joined, they must give
    the party's ``address`` text)."""

    lines: tuple[str, ...]
    postcode: str | None = None
    city: str | None = None

    def text(self) -> str:
        town = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join([*self.lines, *([town] if town else [])])

    @classmethod
    def split(cls, address: str) -> PostalAddress:
        """Parts of an address text: lines before the last ', ', then 'postcode city' when
        the last part starts with a token holding a digit, else the city alone."""
        parts = address.split(", ")
        last = parts.pop()
        token, _, rest = last.partition(" ")
        if any(c.isdigit() for c in token) and rest:
            postcode, city = token, rest
        else:
            postcode, city = None, last
        if len(parts) > 3:
            parts = [*parts[:2], ", ".join(parts[2:])]
        return cls(tuple(parts), postcode, city)


@dataclass(frozen=True, slots=True)
class GeneratedEInvoice:
    """One e-invoice: its form, the bytes (XML or PDF), its file name and ground truth."""

    seed: int
    form: EInvoiceForm
    data: bytes
    filename: str
    truth: CommercialInvoice


# --- ground truth -----------------------------------------------------------------------
def einvoice_truth(shipment: Shipment, style: DocumentStyle) -> CommercialInvoice:
    """Everything an e-invoice of ``shipment`` states: the printed invoice's values (item
    names in the style's language) with every optional part present (HS code, origin,
    identifiers, the line total)."""
    printed = invoice_truth(shipment, style)
    lines = [line.model_copy(update={"hs_code": item.product.hs6,
                                     "origin_country": item.origin})
             for line, item in zip(printed.lines, shipment.lines, strict=True)]
    currency = shipment.currency
    return printed.model_copy(update={
        "seller": _party(shipment.seller), "buyer": _party(shipment.buyer), "lines": lines,
        "subtotal": Money(amount=shipment.subtotal, currency=currency),
    })


def carried_by(invoice: CommercialInvoice, form: EInvoiceForm) -> CommercialInvoice:
    """``invoice`` as the form carries it: CII (and Factur-X) drop the Incoterm's place."""
    if form in ("cii", "factur-x") and invoice.trade_terms and invoice.trade_terms.place:
        terms = invoice.trade_terms.model_copy(update={"place": None})
        return invoice.model_copy(update={"trade_terms": terms})
    return invoice


def _party(company: Company) -> DocumentParty:
    return DocumentParty(name=company.name, address=company.address,
                         country=company.place.country, identifier=company.tax_id)


def _postal(company: Company) -> PostalAddress:
    return PostalAddress((company.place.street,), company.place.postcode, company.place.city)


# --- a tiny deterministic XML writer ----------------------------------------------------
@dataclass(slots=True)
class _E:
    tag: str
    text: str | None = None
    attrs: dict[str, str] | None = None
    children: list[_E] | None = None

    def add(self, tag: str, text: str | None = None, **attrs: str) -> _E:
        child = _E(tag, text, attrs or None)
        if self.children is None:
            self.children = []
        self.children.append(child)
        return child

    def render(self, out: list[str], depth: int) -> None:
        pad = "  " * depth
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in (self.attrs or {}).items())
        if self.children:
            out.append(f"{pad}<{self.tag}{attrs}>")
            for child in self.children:
                child.render(out, depth + 1)
            out.append(f"{pad}</{self.tag}>")
        elif self.text is not None:
            out.append(f"{pad}<{self.tag}{attrs}>{escape(self.text)}</{self.tag}>")
        else:
            out.append(f"{pad}<{self.tag}{attrs}/>")


def _document(root: _E, namespaces: dict[str, str]) -> bytes:
    root.attrs = {("xmlns" if not p else f"xmlns:{p}"): uri for p, uri in namespaces.items()}
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    root.render(out, 0)
    return ("\n".join(out) + "\n").encode("utf-8")


def _num(value: Decimal) -> str:
    return format(value, "f")


def _check(invoice: CommercialInvoice) -> None:
    for path, value in document_fields(invoice).items():
        if isinstance(value, str) and _NOT_XML.search(value):
            raise ValueError(f"{path} holds a character XML 1.0 cannot carry; got {value!r}")


def _addresses(invoice: CommercialInvoice,
               given: Mapping[str, PostalAddress] | None) -> dict[str, PostalAddress]:
    out = {}
    for role in ("seller", "buyer"):
        party: DocumentParty | None = getattr(invoice, role)
        if party is None or party.address is None:
            continue
        postal = (given or {}).get(role) or PostalAddress.split(party.address)
        if postal.text() != party.address:
            raise ValueError(f"{role}.address is {party.address!r} but its parts give "
                             f"{postal.text()!r}")
        out[role] = postal
    return out


def _tax_category(invoice: CommercialInvoice) -> tuple[str, str]:
    """(VAT category, exemption reason code): G with a seller identifier, else O."""
    if invoice.seller is not None and invoice.seller.identifier:
        return "G", "VATEX-EU-G"
    return "O", "VATEX-EU-O"


# --- CII --------------------------------------------------------------------------------
def invoice_cii(invoice: CommercialInvoice, *,
                addresses: Mapping[str, PostalAddress] | None = None) -> bytes:
    """``invoice`` as Cross Industry Invoice D16B XML (Factur-X EN 16931 profile shape;
    the Extended profile id when it has delivery terms). See the module docstring for what
    is not carried; raises ``ValueError`` for text XML cannot hold or an address whose
    given parts do not join into it."""
    _check(invoice)
    postal = _addresses(invoice, addresses)
    currency = invoice.currency
    category, reason = _tax_category(invoice)

    def amount(parent: _E, tag: str, money: Money | None) -> None:
        if money is None:
            return
        if money.currency != currency:
            parent.add(tag, _num(money.amount), currencyID=money.currency)
        else:
            parent.add(tag, _num(money.amount))

    def tax(parent: _E, tag: str = "ram:ApplicableTradeTax") -> _E:
        node = parent.add(tag)
        node.add("ram:TypeCode", "VAT")
        node.add("ram:CategoryCode", category)
        node.add("ram:RateApplicablePercent", "0")
        return node

    root = _E("rsm:CrossIndustryInvoice")
    context = root.add("rsm:ExchangedDocumentContext")
    context.add("ram:GuidelineSpecifiedDocumentContextParameter").add(
        "ram:ID", FACTUR_X_EXTENDED if invoice.trade_terms else EN16931)
    header = root.add("rsm:ExchangedDocument")
    if invoice.number is not None:
        header.add("ram:ID", invoice.number)
    header.add("ram:TypeCode", "380")
    if invoice.date is not None:
        day = invoice.date
        header.add("ram:IssueDateTime").add(
            "udt:DateTimeString", f"{day.year:04d}{day.month:02d}{day.day:02d}", format="102")
    transaction = root.add("rsm:SupplyChainTradeTransaction")
    for number, line in enumerate(invoice.lines, start=1):
        item = transaction.add("ram:IncludedSupplyChainTradeLineItem")
        item.add("ram:AssociatedDocumentLineDocument").add("ram:LineID", str(number))
        product = item.add("ram:SpecifiedTradeProduct")
        if line.description is not None:
            product.add("ram:Name", line.description)
        if line.hs_code is not None:
            product.add("ram:DesignatedProductClassification").add(
                "ram:ClassCode", line.hs_code, listID="HS")
        if line.origin_country is not None:
            product.add("ram:OriginTradeCountry").add("ram:ID", line.origin_country)
        agreement = item.add("ram:SpecifiedLineTradeAgreement")
        if line.unit_price is not None:
            amount(agreement.add("ram:NetPriceProductTradePrice"), "ram:ChargeAmount",
                   line.unit_price)
        delivery = item.add("ram:SpecifiedLineTradeDelivery")
        if line.quantity is not None:
            delivery.add("ram:BilledQuantity", _num(line.quantity.value),
                         unitCode=line.quantity.unit)
        settlement = item.add("ram:SpecifiedLineTradeSettlement")
        tax(settlement)
        amount(settlement.add("ram:SpecifiedTradeSettlementLineMonetarySummation"),
               "ram:LineTotalAmount", line.amount)
    agreement = transaction.add("ram:ApplicableHeaderTradeAgreement")
    for role, tag in (("seller", "ram:SellerTradeParty"), ("buyer", "ram:BuyerTradeParty")):
        party: DocumentParty | None = getattr(invoice, role)
        if party is not None:
            _cii_party(agreement.add(tag), party, postal.get(role))
    if invoice.trade_terms is not None:
        agreement.add("ram:ApplicableTradeDeliveryTerms").add(
            "ram:DeliveryTypeCode", invoice.trade_terms.incoterm)
    transaction.add("ram:ApplicableHeaderTradeDelivery")
    settlement = transaction.add("ram:ApplicableHeaderTradeSettlement")
    if currency is not None:
        settlement.add("ram:InvoiceCurrencyCode", currency)
    if invoice.total is not None:
        node = settlement.add("ram:ApplicableTradeTax")
        node.add("ram:CalculatedAmount", "0")
        node.add("ram:TypeCode", "VAT")
        node.add("ram:ExemptionReason", "Export" if category == "G" else "Not subject to VAT")
        amount(node, "ram:BasisAmount", invoice.total)
        node.add("ram:CategoryCode", category)
        node.add("ram:ExemptionReasonCode", reason)
        node.add("ram:RateApplicablePercent", "0")
    for money, charge, code, text in _adjustments(invoice):
        node = settlement.add("ram:SpecifiedTradeAllowanceCharge")
        node.add("ram:ChargeIndicator").add("udt:Indicator", "true" if charge else "false")
        amount(node, "ram:ActualAmount", money)
        if code is not None:
            node.add("ram:ReasonCode", code)
        node.add("ram:Reason", text)
        tax(node, "ram:CategoryTradeTax")
    totals = settlement.add("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    amount(totals, "ram:LineTotalAmount", invoice.subtotal)
    amount(totals, "ram:ChargeTotalAmount", _sum(invoice.freight, invoice.insurance))
    amount(totals, "ram:AllowanceTotalAmount", invoice.discount)
    amount(totals, "ram:TaxBasisTotalAmount", invoice.total)
    if invoice.total is not None:
        totals.add("ram:TaxTotalAmount", "0", currencyID=invoice.total.currency)
    amount(totals, "ram:GrandTotalAmount", invoice.total)
    amount(totals, "ram:DuePayableAmount", invoice.total)
    return _document(root, _CII_NS)


def _cii_party(node: _E, party: DocumentParty, postal: PostalAddress | None) -> None:
    if party.name is not None:
        node.add("ram:Name", party.name)
    if postal is not None or party.country is not None:
        address = node.add("ram:PostalTradeAddress")
        if postal is not None and postal.postcode:
            address.add("ram:PostcodeCode", postal.postcode)
        for tag, text in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree"),
                             postal.lines if postal else (), strict=False):
            address.add(tag, text)
        if postal is not None and postal.city:
            address.add("ram:CityName", postal.city)
        if party.country is not None:
            address.add("ram:CountryID", party.country)
    if party.identifier is not None:
        node.add("ram:SpecifiedTaxRegistration").add("ram:ID", party.identifier,
                                                      schemeID="VA")


def _adjustments(invoice: CommercialInvoice
                 ) -> list[tuple[Money, bool, str | None, str]]:
    """(amount, is a charge, reason code, reason text) for discount, freight, insurance."""
    out = []
    if invoice.discount is not None:
        out.append((invoice.discount, False, "95", "Discount"))
    if invoice.freight is not None:
        out.append((invoice.freight, True, "FC", "Freight"))
    if invoice.insurance is not None:
        out.append((invoice.insurance, True, None, "Insurance"))
    return out


def _sum(*amounts: Money | None) -> Money | None:
    present = [a for a in amounts if a is not None]
    if not present or len({a.currency for a in present}) > 1:
        return None
    return Money(amount=sum((a.amount for a in present), Decimal(0)),
                 currency=present[0].currency)


# --- UBL --------------------------------------------------------------------------------
def invoice_ubl(invoice: CommercialInvoice, *,
                addresses: Mapping[str, PostalAddress] | None = None) -> bytes:
    """``invoice`` as an OASIS UBL 2.1 Invoice (EN 16931 customization). See the module
    docstring for what is not carried; raises ``ValueError`` like ``invoice_cii``."""
    _check(invoice)
    postal = _addresses(invoice, addresses)
    category, reason = _tax_category(invoice)
    currency = invoice.currency

    def amount(parent: _E, tag: str, money: Money | None) -> None:
        if money is not None:
            parent.add(tag, _num(money.amount), currencyID=money.currency)

    def tax_category(parent: _E, tag: str) -> None:
        node = parent.add(tag)
        node.add("cbc:ID", category)
        node.add("cbc:Percent", "0")
        node.add("cac:TaxScheme").add("cbc:ID", "VAT")

    root = _E("Invoice")
    root.add("cbc:CustomizationID", EN16931)
    if invoice.number is not None:
        root.add("cbc:ID", invoice.number)
    if invoice.date is not None:
        root.add("cbc:IssueDate", invoice.date.isoformat())
    root.add("cbc:InvoiceTypeCode", "380")
    if currency is not None:
        root.add("cbc:DocumentCurrencyCode", currency)
    for role, tag in (("seller", "cac:AccountingSupplierParty"),
                      ("buyer", "cac:AccountingCustomerParty")):
        party: DocumentParty | None = getattr(invoice, role)
        if party is not None:
            _ubl_party(root.add(tag).add("cac:Party"), party, postal.get(role))
    if invoice.trade_terms is not None:
        terms = root.add("cac:DeliveryTerms")
        terms.add("cbc:ID", invoice.trade_terms.incoterm)
        if invoice.trade_terms.place is not None:
            terms.add("cac:DeliveryLocation").add("cbc:Name", invoice.trade_terms.place)
    for money, charge, code, text in _adjustments(invoice):
        node = root.add("cac:AllowanceCharge")
        node.add("cbc:ChargeIndicator", "true" if charge else "false")
        if code is not None:
            node.add("cbc:AllowanceChargeReasonCode", code)
        node.add("cbc:AllowanceChargeReason", text)
        amount(node, "cbc:Amount", money)
        tax_category(node, "cac:TaxCategory")
    if invoice.total is not None:
        tax = root.add("cac:TaxTotal")
        tax.add("cbc:TaxAmount", "0", currencyID=invoice.total.currency)
        subtotal = tax.add("cac:TaxSubtotal")
        amount(subtotal, "cbc:TaxableAmount", invoice.total)
        subtotal.add("cbc:TaxAmount", "0", currencyID=invoice.total.currency)
        category_node = subtotal.add("cac:TaxCategory")
        category_node.add("cbc:ID", category)
        category_node.add("cbc:Percent", "0")
        category_node.add("cbc:TaxExemptionReasonCode", reason)
        category_node.add("cac:TaxScheme").add("cbc:ID", "VAT")
    totals = root.add("cac:LegalMonetaryTotal")
    amount(totals, "cbc:LineExtensionAmount", invoice.subtotal)
    amount(totals, "cbc:TaxExclusiveAmount", invoice.total)
    amount(totals, "cbc:TaxInclusiveAmount", invoice.total)
    amount(totals, "cbc:AllowanceTotalAmount", invoice.discount)
    amount(totals, "cbc:ChargeTotalAmount", _sum(invoice.freight, invoice.insurance))
    amount(totals, "cbc:PayableAmount", invoice.total)
    for number, line in enumerate(invoice.lines, start=1):
        _ubl_line(root.add("cac:InvoiceLine"), number, line, amount, tax_category)
    return _document(root, _UBL_NS)


def _ubl_party(node: _E, party: DocumentParty, postal: PostalAddress | None) -> None:
    if postal is not None or party.country is not None:
        address = node.add("cac:PostalAddress")
        lines = postal.lines if postal else ()
        for tag, text in zip(("cbc:StreetName", "cbc:AdditionalStreetName"), lines,
                             strict=False):
            address.add(tag, text)
        if postal is not None and postal.city:
            address.add("cbc:CityName", postal.city)
        if postal is not None and postal.postcode:
            address.add("cbc:PostalZone", postal.postcode)
        if len(lines) > 2:
            address.add("cac:AddressLine").add("cbc:Line", lines[2])
        if party.country is not None:
            address.add("cac:Country").add("cbc:IdentificationCode", party.country)
    if party.identifier is not None:
        scheme = node.add("cac:PartyTaxScheme")
        scheme.add("cbc:CompanyID", party.identifier)
        scheme.add("cac:TaxScheme").add("cbc:ID", "VAT")
    if party.name is not None:
        node.add("cac:PartyLegalEntity").add("cbc:RegistrationName", party.name)


def _ubl_line(node: _E, number: int, line: InvoiceLine,
              amount: Callable[[_E, str, Money | None], None],
              tax_category: Callable[[_E, str], None]) -> None:
    node.add("cbc:ID", str(number))
    if line.quantity is not None:
        node.add("cbc:InvoicedQuantity", _num(line.quantity.value),
                 unitCode=line.quantity.unit)
    amount(node, "cbc:LineExtensionAmount", line.amount)
    item = node.add("cac:Item")
    if line.description is not None:
        item.add("cbc:Name", line.description)
    if line.origin_country is not None:
        item.add("cac:OriginCountry").add("cbc:IdentificationCode", line.origin_country)
    if line.hs_code is not None:
        item.add("cac:CommodityClassification").add(
            "cbc:ItemClassificationCode", line.hs_code, listID="HS")
    tax_category(item, "cac:ClassifiedTaxCategory")
    if line.unit_price is not None:
        amount(node.add("cac:Price"), "cbc:PriceAmount", line.unit_price)


# --- Factur-X PDF and the seeded corpus -------------------------------------------------
def factur_x_pdf(shipment: Shipment, style: DocumentStyle, xml: bytes) -> bytes:
    """The generator's printed invoice for ``shipment`` in ``style`` with ``xml`` embedded
    as ``factur-x.xml`` (relationship Alternative) and the Factur-X XMP entries."""
    truth = invoice_truth(shipment, style)
    canvas = Canvas(style.font, title=f"{style.label('invoice_title')} {truth.number}")
    draw = {"letterhead": _letterhead, "grid": _grid, "columns": _columns}[style.layout]
    draw(canvas, shipment, truth, Printer(style))
    level = "EXTENDED" if FACTUR_X_EXTENDED.encode() in xml else "EN 16931"
    canvas.pdf.embed_file(bytes=xml, basename="factur-x.xml", mime_type="text/xml",
                          associated_file_relationship="Alternative",
                          desc="Factur-X invoice", creation_date=_EPOCH,
                          modification_date=_EPOCH)
    canvas.pdf.set_xmp_metadata(_XMP.format(level=level))
    return canvas.output()


_XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>{level}</fx:ConformanceLevel>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""


def generate_einvoice(seed: int, form: EInvoiceForm = "cii", *,
                      line_count: int | None = None) -> GeneratedEInvoice:
    """One e-invoice of the shipment ``generate_case(seed)`` draws (same style and lines,
    without printing the other documents), as bare CII, UBL or a Factur-X PDF, with the
    ground truth ``carried_by(einvoice_truth(...), form)``."""
    if form not in EINVOICE_FORMS:
        raise ValueError(f"form must be one of {', '.join(EINVOICE_FORMS)}; got {form!r}")
    style = draw_style(random.Random(f"style:{seed}:commercial_invoice"), "commercial_invoice")
    rng = random.Random(f"case:{seed}")
    shipment = draw_shipment(rng, line_count=line_count or rng.randint(1, 12))
    truth = einvoice_truth(shipment, style)
    addresses = {"seller": _postal(shipment.seller), "buyer": _postal(shipment.buyer)}
    if form == "ubl":
        data, filename = invoice_ubl(truth, addresses=addresses), "invoice-ubl.xml"
    else:
        data, filename = invoice_cii(truth, addresses=addresses), "factur-x.xml"
        if form == "factur-x":
            data, filename = factur_x_pdf(shipment, style, data), "invoice-factur-x.pdf"
    return GeneratedEInvoice(seed, form, data, filename, carried_by(truth, form))
