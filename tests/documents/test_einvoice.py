"""Structured e-invoices: CII (bare and in a Factur-X PDF) and UBL 2.1 read without OCR.

Round trips over generated invoices, two hand-written samples shaped like the standards'
published examples, a write-then-read property over arbitrary invoices, and refusals.
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from smartcustoms.declarations.models import Money, Quantity, TradeTerms
from smartcustoms.documents.errors import DocumentUnreadable, EInvoiceUnsupported
from smartcustoms.documents.evaluate import compare_documents
from smartcustoms.documents.extract.einvoice import (
    einvoice_syntax,
    embedded_einvoice,
    looks_like_einvoice,
    read_einvoice,
)
from smartcustoms.documents.generate import generate_case
from smartcustoms.documents.generate.einvoice import (
    EINVOICE_FORMS,
    PostalAddress,
    carried_by,
    generate_einvoice,
    invoice_cii,
    invoice_ubl,
)
from smartcustoms.documents.models import (
    CommercialInvoice,
    DocumentParty,
    Evidence,
    InvoiceLine,
)
from smartcustoms.reference import COUNTRY_CODES, CURRENCY_CODES, INCOTERMS_2020, UNIT_CODES

CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
UBL_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}

# --- hand-written samples, shaped like the published Factur-X / UBL examples -------------
CII_SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>RE-2025-0471</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime>
      <udt:DateTimeString format="102">{date}</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct>
        <ram:SellerAssignedID>SR-M8-40</ram:SellerAssignedID>
        <ram:Name>Edelstahlschrauben M8x40</ram:Name>
        <ram:DesignatedProductClassification>
          <ram:ClassCode listID="TST">12-77</ram:ClassCode>
        </ram:DesignatedProductClassification>
        <ram:DesignatedProductClassification>
          <ram:ClassCode listID="HS" listVersionID="2022">731815</ram:ClassCode>
        </ram:DesignatedProductClassification>
        <ram:OriginTradeCountry><ram:ID>DE</ram:ID></ram:OriginTradeCountry>
      </ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:GrossPriceProductTradePrice>
          <ram:ChargeAmount>13.00</ram:ChargeAmount>
          <ram:BasisQuantity unitCode="C62">100</ram:BasisQuantity>
        </ram:GrossPriceProductTradePrice>
        <ram:NetPriceProductTradePrice>
          <ram:ChargeAmount>12.50</ram:ChargeAmount>
          <ram:BasisQuantity unitCode="C62">100</ram:BasisQuantity>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="{unit}">2000</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>19</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>250.00</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>2</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Montagewerkzeug-Set</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>45.00</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="SET">3</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>19</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>{amount}</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Muster Schraubenwerk GmbH</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID>HRB 12345</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>70173</ram:PostcodeCode>
          <ram:LineOne>Industriestraße 5</ram:LineOne>
          <ram:CityName>Stuttgart</ram:CityName>
          <ram:CountryID>DE</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="FC">201/113/40209</ram:ID>
        </ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">DE123456789</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>Atelier Dupont SARL</ram:Name>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>69002</ram:PostcodeCode>
          <ram:LineOne>12 rue des Lilas</ram:LineOne>
          <ram:LineTwo>Bâtiment B</ram:LineTwo>
          <ram:CityName>Lyon</ram:CityName>
          <ram:CountryID>FR</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">FR12345678901</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:BuyerTradeParty>
      <ram:ApplicableTradeDeliveryTerms>
        <ram:DeliveryTypeCode>DAP</ram:DeliveryTypeCode>
      </ram:ApplicableTradeDeliveryTerms>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{currency}</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>76.14</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>400.75</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>19</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradeAllowanceCharge>
        <ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator>
        <ram:CalculationPercent>5</ram:CalculationPercent>
        <ram:BasisAmount>385.00</ram:BasisAmount>
        <ram:ActualAmount>19.25</ram:ActualAmount>
        <ram:ReasonCode>95</ram:ReasonCode><ram:Reason>Rabatt</ram:Reason>
      </ram:SpecifiedTradeAllowanceCharge>
      <ram:SpecifiedTradeAllowanceCharge>
        <ram:ChargeIndicator><udt:Indicator>true</udt:Indicator></ram:ChargeIndicator>
        <ram:ActualAmount>30.00</ram:ActualAmount>
        <ram:Reason>Fracht</ram:Reason>
      </ram:SpecifiedTradeAllowanceCharge>
      <ram:SpecifiedTradeAllowanceCharge>
        <ram:ChargeIndicator><udt:Indicator>true</udt:Indicator></ram:ChargeIndicator>
        <ram:ActualAmount>5.00</ram:ActualAmount>
        <ram:Reason>Transportversicherung</ram:Reason>
      </ram:SpecifiedTradeAllowanceCharge>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>385.00</ram:LineTotalAmount>
        <ram:ChargeTotalAmount>35.00</ram:ChargeTotalAmount>
        <ram:AllowanceTotalAmount>19.25</ram:AllowanceTotalAmount>
        <ram:TaxBasisTotalAmount>400.75</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">76.14</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>476.89</ram:GrandTotalAmount>
        <ram:DuePayableAmount>476.89</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""

UBL_SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>NP-88213</cbc:ID>
  <cbc:IssueDate>{date}</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cac:PartyName><cbc:Name>Nordic Parts</cbc:Name></cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>Hamngatan 14</cbc:StreetName>
        <cbc:CityName>Göteborg</cbc:CityName>
        <cbc:PostalZone>411 06</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>SE</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>SE556677889901</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Nordic Parts AB</cbc:RegistrationName>
        <cbc:CompanyID>5566778899</cbc:CompanyID>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cac:PartyName><cbc:Name>Van Dijk Techniek</cbc:Name></cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>Wijnhaven 3</cbc:StreetName>
        <cbc:CityName>Rotterdam</cbc:CityName>
        <cbc:PostalZone>3011 AA</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity><cbc:CompanyID>24123456</cbc:CompanyID></cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:DeliveryTerms>
    <cbc:ID>CPT</cbc:ID>
    <cac:DeliveryLocation><cac:Address><cbc:CityName>Rotterdam</cbc:CityName></cac:Address></cac:DeliveryLocation>
  </cac:DeliveryTerms>
  <cac:AllowanceCharge>
    <cbc:ChargeIndicator>true</cbc:ChargeIndicator>
    <cbc:AllowanceChargeReasonCode>FC</cbc:AllowanceChargeReasonCode>
    <cbc:AllowanceChargeReason>Freight service</cbc:AllowanceChargeReason>
    <cbc:Amount currencyID="EUR">50.00</cbc:Amount>
    <cac:TaxCategory><cbc:ID>K</cbc:ID><cbc:Percent>0</cbc:Percent>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
  </cac:AllowanceCharge>
  <cac:AllowanceCharge>
    <cbc:ChargeIndicator>true</cbc:ChargeIndicator>
    <cbc:AllowanceChargeReasonCode>ABL</cbc:AllowanceChargeReasonCode>
    <cbc:AllowanceChargeReason>Additional packaging</cbc:AllowanceChargeReason>
    <cbc:Amount currencyID="EUR">12.00</cbc:Amount>
    <cac:TaxCategory><cbc:ID>K</cbc:ID><cbc:Percent>0</cbc:Percent>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
  </cac:AllowanceCharge>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">475.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">537.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">537.00</cbc:TaxInclusiveAmount>
    <cbc:ChargeTotalAmount currencyID="EUR">62.00</cbc:ChargeTotalAmount>
    <cbc:PayableAmount currencyID="EUR">537.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="KGM">10</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">75.00</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>Bearing grease, lithium complex</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>K</cbc:ID><cbc:Percent>0</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price>
      <cbc:PriceAmount currencyID="EUR">7.50</cbc:PriceAmount>
      <cbc:BaseQuantity unitCode="KGM">1</cbc:BaseQuantity>
    </cac:Price>
  </cac:InvoiceLine>
  <cac:InvoiceLine>
    <cbc:ID>2</cbc:ID>
    <cbc:InvoicedQuantity unitCode="H87">4</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">400.00</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>Gearbox housing, cast iron</cbc:Name>
      <cac:OriginCountry><cbc:IdentificationCode>CN</cbc:IdentificationCode></cac:OriginCountry>
      <cac:CommodityClassification>
        <cbc:ItemClassificationCode listID="STI">GX-400</cbc:ItemClassificationCode>
      </cac:CommodityClassification>
      <cac:CommodityClassification>
        <cbc:ItemClassificationCode listID="HS">8483.40</cbc:ItemClassificationCode>
      </cac:CommodityClassification>
      <cac:ClassifiedTaxCategory><cbc:ID>K</cbc:ID><cbc:Percent>0</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">100.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</{root}>
"""


def cii_sample(*, date: str = "20250315", unit: str = "C62", amount: str = "135.00",
               currency: str = "EUR") -> bytes:
    return CII_SAMPLE.format(date=date, unit=unit, amount=amount,
                             currency=currency).encode()


def ubl_sample(*, root: str = "Invoice", date: str = "2025-04-02") -> bytes:
    return UBL_SAMPLE.format(root=root, date=date).encode()


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


def problem_for(reading, field):  # type: ignore[no-untyped-def]
    found = [p for p in reading.problems if p.field == field]
    assert found, f"no problem for {field}: {[p.field for p in reading.problems]}"
    return found[0]


# --- generated round trips ---------------------------------------------------------------
@pytest.mark.parametrize("form", EINVOICE_FORMS)
@pytest.mark.parametrize("seed", [3, 11, 27, 58])
def test_generated_einvoices_read_back_field_by_field(form, seed):
    generated = generate_einvoice(seed, form)
    reading = read_einvoice(generated.data)
    outcomes = compare_documents(generated.truth, reading.document)
    assert [o for o in outcomes if not o.correct] == []
    assert reading.document == generated.truth
    assert reading.problems == []
    for path, evidence in reading.evidence.items():
        assert evidence.method == "xml" and evidence.confidence == 1.0, path
        assert evidence.page is None and evidence.bbox is None and evidence.xpath


@pytest.mark.parametrize("form", ["cii", "ubl"])
def test_every_evidence_xpath_finds_its_element(form):
    generated = generate_einvoice(5, form)
    reading = read_einvoice(generated.data)
    root = ET.fromstring(generated.data)
    namespaces = CII_NS if form == "cii" else UBL_NS
    for path, evidence in reading.evidence.items():
        relative = "./" + evidence.xpath.split("/", 2)[2]
        element = root.find(relative, namespaces)
        assert element is not None, (path, evidence.xpath)
        assert (element.text or "").strip() in evidence.text, path


def test_generation_is_deterministic_and_matches_generate_case():
    for form in EINVOICE_FORMS:
        assert generate_einvoice(8, form).data == generate_einvoice(8, form).data
    case = generate_case(8)
    truth = generate_einvoice(8, "ubl").truth
    assert truth.number == case.shipment.invoice_number
    assert [line.amount for line in truth.lines] == [
        line.amount for line in case.document("commercial_invoice").truth.lines]


def test_factur_x_pdf_carries_the_cii_and_still_prints_the_invoice():
    from smartcustoms.documents.extract import read_document

    pdf = generate_einvoice(21, "factur-x")
    name, xml = embedded_einvoice(pdf.data)  # type: ignore[misc]
    assert name == "factur-x.xml"
    assert xml == generate_einvoice(21, "cii").data
    assert looks_like_einvoice(pdf.data)
    printed = read_document(pdf.data)
    assert printed.document.number == pdf.truth.number


def test_cii_cannot_carry_the_named_place_but_ubl_can():
    invoice = CommercialInvoice(number="X-1", currency="EUR",
                                trade_terms=TradeTerms(incoterm="FOB", place="Ningbo"))
    assert read_einvoice(invoice_cii(invoice)).document.trade_terms == TradeTerms(
        incoterm="FOB")
    assert read_einvoice(invoice_ubl(invoice)).document == invoice
    assert carried_by(invoice, "cii").trade_terms == TradeTerms(incoterm="FOB")


# --- hand-written samples ----------------------------------------------------------------
def test_cii_sample_maps_the_en16931_terms():
    reading = read_einvoice(cii_sample())
    invoice = reading.document
    assert invoice.number == "RE-2025-0471" and invoice.date == dt.date(2025, 3, 15)
    assert invoice.currency == "EUR"
    assert invoice.seller == DocumentParty(
        name="Muster Schraubenwerk GmbH", address="Industriestraße 5, 70173 Stuttgart",
        country="DE", identifier="DE123456789")
    assert invoice.buyer.address == "12 rue des Lilas, Bâtiment B, 69002 Lyon"
    assert invoice.trade_terms == TradeTerms(incoterm="DAP")
    first, second = invoice.lines
    assert first == InvoiceLine(
        description="Edelstahlschrauben M8x40", quantity=Quantity(value=2000, unit="C62"),
        unit_price=eur("0.125"), amount=eur("250.00"), hs_code="731815", origin_country="DE")
    assert second.quantity == Quantity(value=3, unit="SET") and second.hs_code is None
    assert (invoice.subtotal, invoice.discount, invoice.freight, invoice.insurance,
            invoice.total) == (eur("385"), eur("19.25"), eur("30"), eur("5"), eur("476.89"))
    assert reading.problems == []
    assert "lines[1].hs_code" in reading.missing and "trade_terms.place" in reading.missing
    price = reading.evidence["lines[0].unit_price"]
    assert price.xpath.endswith("ram:NetPriceProductTradePrice/ram:ChargeAmount")
    assert "per 100 C62" in price.text
    assert reading.evidence["freight"].text == "30.00"
    assert reading.evidence["seller.identifier"].xpath.endswith(
        "ram:SpecifiedTaxRegistration[2]/ram:ID")


def test_ubl_sample_maps_the_en16931_terms_and_reports_the_other_charge():
    reading = read_einvoice(ubl_sample())
    invoice = reading.document
    assert (invoice.number, invoice.date, invoice.currency) == (
        "NP-88213", dt.date(2025, 4, 2), "EUR")
    assert invoice.seller == DocumentParty(
        name="Nordic Parts AB", address="Hamngatan 14, 411 06 Göteborg", country="SE",
        identifier="SE556677889901")
    assert invoice.buyer.name == "Van Dijk Techniek" and invoice.buyer.identifier == "24123456"
    assert invoice.trade_terms == TradeTerms(incoterm="CPT", place="Rotterdam")
    assert invoice.lines[0].unit_price == eur("7.5")
    assert invoice.lines[1].hs_code == "848340" and invoice.lines[1].origin_country == "CN"
    assert invoice.lines[0].hs_code is None
    assert invoice.freight == eur("50") and invoice.insurance is None
    assert invoice.total == eur("537")
    (other,) = reading.problems  # the packaging charge is neither freight nor insurance
    assert other.field == "total" and "ABL / Additional packaging" in other.message
    assert "cac:AllowanceCharge[2]" in other.message


def test_sums_that_do_not_add_up_are_problems():
    reading = read_einvoice(cii_sample(amount="136.00"))
    assert reading.document.lines[1].amount == eur("136")
    message = problem_for(reading, "subtotal").message
    assert "add up to 386.00" in message and "385.00" in message


# --- write then read, for arbitrary invoices ---------------------------------------------
_WORD = st.text(alphabet=st.characters(categories=("L", "N"), include_characters="-./&'"),
                min_size=1, max_size=8)
_TEXT = st.lists(_WORD, min_size=1, max_size=4).map(" ".join)
_ADDRESS = st.lists(_TEXT, min_size=1, max_size=5).map(", ".join)
_COUNTRY = st.sampled_from(sorted(COUNTRY_CODES))


@st.composite
def invoices(draw: st.DrawFn) -> CommercialInvoice:
    currency = draw(st.sampled_from(sorted(CURRENCY_CODES)))

    def money() -> Money | None:
        amount = draw(st.none() | st.decimals(min_value=0, max_value=10**9, places=draw(
            st.integers(0, 6)), allow_nan=False, allow_infinity=False))
        return None if amount is None else Money(amount=amount, currency=currency)

    def party() -> DocumentParty | None:
        if draw(st.booleans()):
            return None
        return DocumentParty(name=draw(st.none() | _TEXT), address=draw(st.none() | _ADDRESS),
                             country=draw(st.none() | _COUNTRY),
                             identifier=draw(st.none() | _WORD))

    lines = []
    for _ in range(draw(st.integers(0, 4))):
        quantity = draw(st.none() | st.decimals(min_value="0.001", max_value=10**7, places=3))
        lines.append(InvoiceLine(
            description=draw(st.none() | _TEXT),
            quantity=None if quantity is None else Quantity(
                value=quantity, unit=draw(st.sampled_from(sorted(UNIT_CODES)))),
            unit_price=money(), amount=money(),
            hs_code=draw(st.none() | st.from_regex(r"\A[0-9]{6}([0-9]{2}){0,2}\Z")),
            origin_country=draw(st.none() | _COUNTRY)))
    terms = draw(st.none() | st.builds(TradeTerms, incoterm=st.sampled_from(
        sorted(INCOTERMS_2020)), place=st.none() | _TEXT))
    return CommercialInvoice(
        number=draw(st.none() | _TEXT), date=draw(st.none() | st.dates()),
        seller=party(), buyer=party(), currency=draw(st.none() | st.just(currency)),
        trade_terms=terms, lines=lines, subtotal=money(), discount=money(),
        freight=money(), insurance=money(), total=money())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoice=invoices(), form=st.sampled_from(["cii", "ubl"]))
def test_write_then_read_gives_the_same_invoice(invoice, form):
    data = invoice_cii(invoice) if form == "cii" else invoice_ubl(invoice)
    assert read_einvoice(data).document == carried_by(invoice, form)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_any_generated_seed_reads_back(seed):
    generated = generate_einvoice(seed, "ubl" if seed % 2 else "cii")
    assert read_einvoice(generated.data).document == generated.truth


def test_writer_refuses_what_xml_cannot_hold_and_parts_that_do_not_join():
    with pytest.raises(ValueError, match=r"seller\.name"):
        invoice_cii(CommercialInvoice(seller=DocumentParty(name="A\ufffeB")))
    invoice = CommercialInvoice(buyer=DocumentParty(address="1 Dock Road, IP11 3SY Felixstowe"))
    assert PostalAddress.split("1 Dock Road, IP11 3SY Felixstowe").postcode == "IP11"
    exact = {"buyer": PostalAddress(("1 Dock Road",), "IP11 3SY", "Felixstowe")}
    assert b"<cbc:PostalZone>IP11 3SY</cbc:PostalZone>" in invoice_ubl(invoice,
                                                                      addresses=exact)
    with pytest.raises(ValueError, match=r"buyer\.address"):
        invoice_ubl(invoice, addresses={"buyer": PostalAddress(("2 Dock Road",))})


# --- refusals and problems ---------------------------------------------------------------
@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE rsm:CrossIndustryInvoice [<!ENTITY x "boom">]>',
    '<!DOCTYPE r SYSTEM "http://example.invalid/x.dtd">',
])
def test_dtd_and_entities_are_refused(prolog):
    data = cii_sample().replace(b"<rsm:CrossIndustryInvoice\n", prolog.encode()
                                + b"\n<rsm:CrossIndustryInvoice\n", 1)
    with pytest.raises(DocumentUnreadable, match="document type or entity"):
        read_einvoice(data)


def test_credit_notes_are_refused():
    with pytest.raises(EInvoiceUnsupported, match="credit note"):
        read_einvoice(ubl_sample(root="CreditNote"))
    with pytest.raises(EInvoiceUnsupported, match="TypeCode is '381', a credit note"):
        read_einvoice(cii_sample().replace(b"<ram:TypeCode>380", b"<ram:TypeCode>381"))
    assert einvoice_syntax(ubl_sample(root="CreditNote")) == "ubl-credit-note"


def test_wrong_root_is_refused_naming_root_and_expectation():
    with pytest.raises(EInvoiceUnsupported) as caught:
        read_einvoice(b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>')
    assert "'Order'" in caught.value.detail and "CrossIndustryInvoice" in caught.value.detail
    assert caught.value.errors[0].field == "root"
    assert not looks_like_einvoice(b"<Order/>")


def test_broken_xml_is_unreadable_with_its_position():
    with pytest.raises(DocumentUnreadable, match=r"not well-formed at line \d+, column \d+"):
        read_einvoice(cii_sample()[:-40])


def test_too_large_is_refused(monkeypatch):
    from smartcustoms.documents.extract import einvoice

    monkeypatch.setattr(einvoice, "MAX_BYTES", 1000)
    with pytest.raises(DocumentUnreadable, match="larger than"):
        read_einvoice(io.BytesIO(cii_sample()))


def test_bad_date_is_a_problem_naming_element_value_and_format():
    reading = read_einvoice(cii_sample(date="20251345"))
    assert reading.document.date is None and "date" in reading.missing
    problem = problem_for(reading, "date")
    assert "ram:IssueDateTime/udt:DateTimeString" in problem.message
    assert "'20251345'" in problem.message and "format 102" in problem.message
    assert problem.evidence is not None and problem.evidence.method == "xml"
    ubl = read_einvoice(ubl_sample(date="02.04.2025"))
    assert "YYYY-MM-DD" in problem_for(ubl, "date").message


def test_unknown_unit_code_is_a_problem_not_a_guess():
    reading = read_einvoice(cii_sample(unit="XPP"))
    assert reading.document.lines[0].quantity is None
    assert "lines[0].quantity" in reading.missing
    message = problem_for(reading, "lines[0].quantity").message
    assert "ram:IncludedSupplyChainTradeLineItem[1]/ram:SpecifiedLineTradeDelivery/" \
           "ram:BilledQuantity" in message
    assert "'XPP'" in message and "Rec 20" in message


def test_unknown_currency_and_bad_amounts_are_problems():
    reading = read_einvoice(cii_sample(currency="EUROS", amount="1,35"))
    assert "'EUROS'" in problem_for(reading, "currency").message
    assert reading.document.total is None and "total" in reading.missing
    reading = read_einvoice(cii_sample(amount="1,35"))
    message = problem_for(reading, "lines[1].amount").message
    assert "'1,35'" in message and "decimal" in message


def test_pdf_without_attachment():
    pdf = FPDF()
    pdf.add_page()
    data = bytes(pdf.output())
    assert embedded_einvoice(data) is None and not looks_like_einvoice(data)
    with pytest.raises(DocumentUnreadable, match="no e-invoice attachment"):
        read_einvoice(data)


def test_looks_like_einvoice_dispatches_on_the_root():
    assert looks_like_einvoice(cii_sample()) and looks_like_einvoice(ubl_sample())
    assert einvoice_syntax(cii_sample()) == "cii" and einvoice_syntax(ubl_sample()) == "ubl"
    assert not looks_like_einvoice(b"not xml") and not looks_like_einvoice(b"")


# --- the evidence shape ------------------------------------------------------------------
def test_xml_evidence_has_an_xpath_and_no_page():
    Evidence(method="xml", confidence=1, text="A", xpath="/Invoice/cbc:ID")
    with pytest.raises(ValidationError, match="xpath and no page"):
        Evidence(method="xml", confidence=1, text="A", xpath="/x", page=1, bbox=(0, 0, 1, 1))
    with pytest.raises(ValidationError, match="page and a bbox"):
        Evidence(method="pdf-text", confidence=1, text="A")


def test_cross_check_reads_an_einvoice_like_a_printed_invoice() -> None:
    """The checks take an XML reading as they take a PDF's: findings name the element."""
    from smartcustoms.documents.checks import cross_check
    from smartcustoms.documents.extract.einvoice import read_einvoice
    from smartcustoms.documents.generate import generate_case, invoice_ubl

    case = generate_case(5, inconsistencies=["total_changed"])
    invoice = case.document("commercial_invoice").truth
    assert isinstance(invoice, CommercialInvoice)
    reading = read_einvoice(invoice_ubl(invoice))
    findings = cross_check(case.declaration, [reading])
    total = next(f for f in findings if f.code == "invoice-total-mismatch")
    assert total.document is not None and total.document.evidence is not None
    assert total.document.evidence.method == "xml" and total.document.evidence.page is None
    assert total.document.evidence.xpath and total.document.evidence.xpath.startswith("/")
    # An invoice line left out: the unpaired item's finding points at the lines' parent.
    fewer = invoice.model_copy(update={"lines": invoice.lines[:-1]})
    unpaired = cross_check(case.declaration, [read_einvoice(invoice_ubl(fewer))])
    assert "item-unmatched" in {f.code for f in unpaired}


def test_read_document_reads_einvoices_from_their_xml() -> None:
    """The one entry point every adapter calls takes XML and Factur-X PDFs too."""
    from smartcustoms.documents.evaluate import accuracy
    from smartcustoms.documents.extract import read_document
    from smartcustoms.documents.generate import generate_einvoice

    for form in ("cii", "ubl", "factur-x"):
        generated = generate_einvoice(7, form)  # type: ignore[arg-type]
        reading = read_document(generated.data)
        assert accuracy(compare_documents(generated.truth, reading.document)) == 1.0, form
        assert all(e.method == "xml" for e in reading.evidence.values()), form
    printed = generate_case(7).document("commercial_invoice").pdf
    assert all(e.method != "xml" for e in read_document(printed).evidence.values())
