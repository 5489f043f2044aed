"""Reading structured e-invoices (CII and UBL) into a ``CommercialInvoice``, without OCR.

Two syntaxes of EN 16931, told apart by the root element's namespace:

* UN/CEFACT Cross Industry Invoice D16B (``rsm:CrossIndustryInvoice``), as Factur-X and
  ZUGFeRD 2.x carry it, bare or embedded in a PDF as ``factur-x.xml``,
  ``zugferd-invoice.xml`` or ``xrechnung.xml`` (``embedded_einvoice``);
* OASIS UBL 2.1 ``Invoice``. A UBL ``CreditNote``, or a CII document whose type code is a
  credit note, is refused (``EInvoiceUnsupported``): a credit note is not the invoice a
  customs value rests on.

What is read (EN 16931 business terms): number BT-1, issue date BT-2 (CII format 102,
``CCYYMMDD``; UBL ``YYYY-MM-DD``), currency BT-5, seller and buyer name (BT-27/BT-44; in
UBL the legal registration name, else the party name), postal address (address lines,
then postcode and city, joined with ', '), country (BT-40/BT-55), identifier (the VAT
identifier BT-31/BT-48 first, then the legal registration BT-30/BT-47, then the tax
registration BT-32); per line the item name BT-153, billed quantity BT-129 with its Rec 20
unit BT-130, net price BT-146 divided by its base quantity BT-149 (in the same unit), line
net amount BT-131, the item classification BT-158 whose list is ``HS`` as HS code, and
the item's country of origin BT-159; the sum of line net amounts BT-106, the grand total
BT-112, and the delivery terms (outside EN 16931: CII ``ApplicableTradeDeliveryTerms/
DeliveryTypeCode`` as in the Factur-X Extended profile, UBL ``DeliveryTerms/ID`` with
the named place in ``DeliveryLocation``) as an Incoterms 2020 rule.

Document-level allowances and charges, the rule: every allowance (BG-20) counts towards
``discount`` (their sum, positive). A charge (BG-21) is ``freight`` when its reason code
(UNTDID 7161) is ``FC`` (freight service) or, without a code that decides, its reason text
names freight, carriage or shipping (English, German, French, Spanish, Italian, Dutch
words); it is ``insurance`` when its reason text names insurance (the code list EN 16931
uses has no insurance code). Several charges of one kind are added up. A charge whose code
and text disagree, whose text names both, or that is neither is not put anywhere: it is
listed under ``problems`` and the sum check below takes it into account.

Nothing is guessed: a date, decimal, currency, country, unit, HS code or Incoterm that does
not parse is listed under ``problems`` with its element path, the value and what was
expected, and its field under ``missing``. Every read value has ``Evidence`` with method
``xml``, confidence 1.0, the element's path as ``xpath`` (prefixes ``rsm``/``ram``/``udt``
for CII, ``cac``/``cbc`` for UBL; ``[n]`` counts same-named siblings from 1), the element
name as ``label`` and the value as written as ``text``. Sums that do not add up (line
amounts against the line total, the grand total against the line total, allowances,
charges and tax) are problems too, never corrections.

The XML is parsed with defusedxml: a document type declaration, an entity declaration or
an external reference is refused, and so is a file over ``MAX_BYTES`` (50 MiB).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import TypeAdapter, ValidationError

from smartcustoms.declarations.models import Money, Quantity, TradeTerms
from smartcustoms.declarations.types import HSCode, Text
from smartcustoms.documents.codes import normalise_text
from smartcustoms.documents.errors import DocumentUnreadable, EInvoiceUnsupported
from smartcustoms.documents.extract.layout import MAX_BYTES
from smartcustoms.documents.models import (
    CommercialInvoice,
    DocumentParty,
    DocumentReading,
    Evidence,
    InvoiceLine,
    ReadProblem,
)
from smartcustoms.reference import COUNTRY_CODES, CURRENCY_CODES, INCOTERMS_2020, UNIT_CODES

__all__ = [
    "ATTACHMENT_NAMES",
    "CII_NAMESPACE",
    "UBL_INVOICE_NAMESPACE",
    "einvoice_syntax",
    "embedded_einvoice",
    "looks_like_einvoice",
    "read_einvoice",
]

CII_NAMESPACE = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_INVOICE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_ZUGFERD_1_NAMESPACE = "urn:ferd:CrossIndustryDocument:invoice:1p0"
_PREFIXES = {
    CII_NAMESPACE: "rsm",
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100": "ram",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
    UBL_INVOICE_NAMESPACE: "",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc",
}
_NAMESPACES = {prefix: uri for uri, prefix in _PREFIXES.items()}

# Factur-X 1.0 / ZUGFeRD 2.1+, ZUGFeRD 2.0, and the XRechnung profile of ZUGFeRD 2.1+, in
# the order preferred when a PDF carries more than one.
ATTACHMENT_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

# UNTDID 1001 document types that are credit notes, not invoices.
_CREDIT_NOTE_TYPES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420",
                                "458", "532"})
_MAX_LINES = 9999
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_UBL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
_CII_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_FREIGHT_CODES = frozenset({"FC"})
_FREIGHT_WORDS = frozenset({
    "freight", "carriage", "shipping", "fracht", "frachtkosten", "versand", "versandkosten",
    "transportkosten", "fret", "port", "flete", "nolo", "trasporto", "vracht", "verzending",
})
_INSURANCE_WORDS = frozenset({
    "insurance", "versicherung", "transportversicherung", "assurance", "seguro",
    "assicurazione", "verzekering",
})
_TEXT: TypeAdapter[str] = TypeAdapter(Text)
_HS: TypeAdapter[str] = TypeAdapter(HSCode)


# --- entry points ---------------------------------------------------------------------------
def read_einvoice(source: bytes | str | Path | IO[bytes]) -> DocumentReading:
    """Read a CII or UBL e-invoice: XML, or a PDF with the XML attached (Factur-X, ZUGFeRD).

    ``source`` is the bytes, a path (``str`` or ``Path``) or a binary file. Raises
    ``DocumentUnreadable`` (over 50 MiB, not well-formed, a DTD or entity declaration, a
    PDF without an e-invoice attachment) or ``EInvoiceUnsupported`` (another root, a
    credit note). Values that do not parse are ``problems`` and ``missing``, not errors.
    ``page_count`` is the PDF's for an attachment and 1 for bare XML.
    """
    data = _read_bytes(source)
    page_count = 1
    if _is_pdf(data):
        found = _attachment(data)
        if found is None:
            raise DocumentUnreadable(
                "the PDF carries no e-invoice attachment; expected one named "
                + ", ".join(ATTACHMENT_NAMES))
        (_name, data), page_count = found
    root = _parse(data)
    syntax = _syntax_of(root)
    reader = _Reader(syntax)
    if syntax == "cii":
        values = _read_cii(reader, _Node(root, "/rsm:CrossIndustryInvoice"))
    else:
        values = _read_ubl(reader, _Node(root, "/Invoice"))
    return reader.finish(values, page_count)


def embedded_einvoice(pdf: bytes) -> tuple[str, bytes] | None:
    """The e-invoice XML attached to a PDF as (file name, bytes), or None when there is none.

    Looks for the standard names (``ATTACHMENT_NAMES``, case-insensitively) among the PDF's
    embedded files; raises ``DocumentUnreadable`` when ``pdf`` is not a readable PDF or the
    attachment is over 50 MiB.
    """
    if len(pdf) > MAX_BYTES:
        raise DocumentUnreadable(f"the file is larger than {MAX_BYTES // 2**20} MiB")
    if not _is_pdf(pdf):
        raise DocumentUnreadable("the file is not a PDF (it does not start with %PDF)")
    found = _attachment(pdf)
    return None if found is None else found[0]


def looks_like_einvoice(data: bytes) -> bool:
    """True for XML whose root is a CII invoice or a UBL invoice or credit note (so that
    ``read_einvoice`` reads or refuses it) and for a PDF with an e-invoice attachment.
    Reads only the start of XML; never raises."""
    if _is_pdf(data):
        try:
            return embedded_einvoice(data) is not None
        except DocumentUnreadable:
            return False
    return einvoice_syntax(data) is not None


def einvoice_syntax(data: bytes) -> str | None:
    """'cii', 'ubl' or 'ubl-credit-note' from the root element of XML ``data``, reading no
    further than the root's start tag; None for anything else."""
    from xml.parsers import expat

    root: list[tuple[str, str]] = []

    class _Found(Exception):
        pass

    def start(name: str, _attributes: object) -> None:
        namespace, _, local = name.rpartition("}")
        root.append((namespace, local))
        raise _Found

    def doctype(name: str, *_: object) -> None:
        root.append(("", name.rpartition(":")[2]))  # a DTD: judged by its name alone
        raise _Found

    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(data[:65536], False)
    except _Found:
        pass
    except expat.ExpatError:
        return None
    if not root:
        return None
    namespace, local = root[0]
    if namespace == "" and local in ("CrossIndustryInvoice", "Invoice", "CreditNote"):
        return {"CrossIndustryInvoice": "cii", "Invoice": "ubl"}.get(local, "ubl-credit-note")
    return {(CII_NAMESPACE, "CrossIndustryInvoice"): "cii",
            (UBL_INVOICE_NAMESPACE, "Invoice"): "ubl",
            (UBL_CREDIT_NOTE_NAMESPACE, "CreditNote"): "ubl-credit-note"}.get(root[0])


# --- bytes, PDF attachments, parsing --------------------------------------------------------
def _read_bytes(source: bytes | str | Path | IO[bytes]) -> bytes:
    too_large = f"the file is larger than {MAX_BYTES // 2**20} MiB"
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | Path):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise DocumentUnreadable(too_large)
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentUnreadable(f"the file cannot be read: {exc.strerror}") from exc
    else:
        data = source.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DocumentUnreadable(too_large)
    return data


def _is_pdf(data: bytes) -> bool:
    return data.lstrip()[:5].startswith(b"%PDF")


def _attachment(pdf: bytes) -> tuple[tuple[str, bytes], int] | None:
    """((name, bytes), page count) of the preferred e-invoice attachment, or None."""
    import pypdfium2 as pdfium  # imported where it is needed

    try:
        document = pdfium.PdfDocument(io.BytesIO(pdf))
    except pdfium.PdfiumError as exc:
        raise DocumentUnreadable(f"the PDF cannot be opened: {exc}") from exc
    try:
        found: dict[str, tuple[str, int]] = {}
        for index in range(document.count_attachments()):
            name = document.get_attachment(index).get_name()
            key = name.strip().lower()
            if key in ATTACHMENT_NAMES and key not in found:
                found[key] = (name, index)
        for key in ATTACHMENT_NAMES:
            if key in found:
                name, index = found[key]
                data = bytes(document.get_attachment(index).get_data())
                if len(data) > MAX_BYTES:
                    raise DocumentUnreadable(
                        f"the attachment {name} is larger than {MAX_BYTES // 2**20} MiB")
                return (name, data), len(document)
        return None
    except pdfium.PdfiumError as exc:
        raise DocumentUnreadable(f"the PDF's attachments cannot be read: {exc}") from exc
    finally:
        document.close()


def _parse(data: bytes) -> Element:
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise DocumentUnreadable(
            f"the XML declares a document type or entity ({type(exc).__name__}); these are "
            "refused, so no external entity is ever resolved") from None
    except ParseError as exc:
        line, column = exc.position
        raise DocumentUnreadable(
            f"the XML is not well-formed at line {line}, column {column}: "
            f"{str(exc).split(':')[0]}") from None


def _syntax_of(root: Element) -> str:
    namespace, _, local = root.tag.rpartition("}")
    namespace = namespace.lstrip("{")
    if (namespace, local) == (CII_NAMESPACE, "CrossIndustryInvoice"):
        return "cii"
    if (namespace, local) == (UBL_INVOICE_NAMESPACE, "Invoice"):
        return "ubl"
    if local == "CreditNote":
        raise EInvoiceUnsupported(
            f"root element {local} ({namespace or 'no namespace'}) is a UBL credit note; "
            "only invoices are read (a credit note is not the invoice a customs value rests "
            "on)", field="root", value=local)
    if namespace == _ZUGFERD_1_NAMESPACE:
        raise EInvoiceUnsupported(
            "root element CrossIndustryDocument is ZUGFeRD 1.0, which is not read; expected "
            "ZUGFeRD 2.x / Factur-X (CII D16B)", field="root", value=local)
    raise EInvoiceUnsupported(
        f"root element {local!r} in namespace {namespace or '(none)'!r} is not an e-invoice "
        f"read here; expected CrossIndustryInvoice in {CII_NAMESPACE} or Invoice in "
        f"{UBL_INVOICE_NAMESPACE}", field="root", value=local)


# --- walking the tree with element paths ----------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Node:
    element: Element
    path: str

    @property
    def text(self) -> str:
        return (self.element.text or "").strip()

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2].partition("[")[0]

    def attribute(self, name: str) -> str | None:
        value = self.element.get(name)
        return None if value is None else value.strip()

    def all(self, step: str) -> list[_Node]:
        prefix, _, local = step.rpartition(":")
        tag = f"{{{_NAMESPACES[prefix]}}}{local}"
        hits = [child for child in self.element if child.tag == tag]
        if len(hits) == 1:
            return [_Node(hits[0], f"{self.path}/{step}")]
        return [_Node(hit, f"{self.path}/{step}[{n}]") for n, hit in enumerate(hits, start=1)]

    def first(self, *steps: str) -> _Node | None:
        node: _Node | None = self
        for step in steps:
            found = node.all(step) if node is not None else []
            node = found[0] if found else None
        return node


@dataclass(slots=True)
class _Charge:
    charge: bool
    amount: Money | None
    node: _Node
    kind: str | None = None


@dataclass(slots=True)
class _Reader:
    """Collects evidence and problems while values are read; builds the reading."""

    syntax: str
    currency: str | None = None
    evidence: dict[str, Evidence] = field(default_factory=dict)
    problems: list[ReadProblem] = field(default_factory=list)
    other_charges: list[Money] = field(default_factory=list)
    tax_total: Money | None = None

    # evidence and problems
    def note(self, path: str, node: _Node, text: str | None = None) -> None:
        self.evidence[path] = Evidence(method="xml", confidence=1.0, xpath=node.path[:2000],
                                       label=node.name, text=(text or node.text)[:4000])

    def problem(self, path: str, node: _Node, value: str, expected: str) -> None:
        shown = value if len(value) <= 60 else value[:57] + "..."
        self.problems.append(ReadProblem(
            field=path, message=f"{node.path}: {expected}; got {shown!r}", text=value[:4000],
            evidence=Evidence(method="xml", confidence=1.0, xpath=node.path[:2000],
                              label=node.name, text=value[:4000])))

    # scalar values
    def text(self, path: str, node: _Node | None) -> str | None:
        if node is None or not node.text:
            return None
        try:
            value = _TEXT.validate_python(node.text)
        except ValidationError:
            self.problem(path, node, node.text,
                         "expected printable text of 1 to 512 characters")
            return None
        self.note(path, node)
        return value

    def code(self, path: str, node: _Node | None, allowed: Iterable[str],
             what: str) -> str | None:
        if node is None:
            return None
        raw = node.text
        if not raw:
            return None
        if raw not in allowed:
            self.problem(path, node, raw, f"expected {what}")
            return None
        self.note(path, node, raw)
        return raw

    def decimal(self, path: str, node: _Node) -> Decimal | None:
        raw = node.text
        if not _DECIMAL.match(raw):
            self.problem(path, node, raw, "expected a decimal number such as '1250.00' "
                         "(digits, an optional sign and '.' as decimal mark)")
            return None
        value = _fit(Decimal(raw))
        if value is None:
            self.problem(path, node, raw, "expected at most 20 digits, at most 6 of them "
                         "after the decimal mark")
        return value

    def date(self, path: str, node: _Node | None) -> dt.date | None:
        if node is None or not node.text:
            return None
        if self.syntax == "cii":
            fmt = node.attribute("format")
            if fmt != "102":
                self.problem(path, node, f"{node.text} (format={fmt})",
                             "expected a date in format 102 (CCYYMMDD)")
                return None
            match, expected = _CII_DATE.match(node.text), "expected a date CCYYMMDD (format 102)"
        else:
            match, expected = _UBL_DATE.match(node.text), "expected a date YYYY-MM-DD"
        try:
            if match is None:
                raise ValueError
            value = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            self.problem(path, node, node.text, expected)
            return None
        self.note(path, node)
        return value

    def money(self, path: str, node: _Node | None) -> Money | None:
        if node is None or not node.text:
            return None
        amount = self.decimal(path, node)
        currency = node.attribute("currencyID") or self.currency
        if amount is None:
            return None
        if currency is None:
            return None  # no currency anywhere: reported once, for the header currency
        if currency not in CURRENCY_CODES:
            self.problem(path, node, currency, "expected an ISO 4217 currency code in "
                         "currencyID, such as 'EUR'")
            return None
        if amount < 0:
            self.problem(path, node, node.text, "expected an amount of 0 or more "
                         "(negative amounts are not carried)")
            return None
        try:
            value = Money(amount=amount, currency=currency)
        except ValidationError:
            self.problem(path, node, node.text, "expected at most 20 digits, 6 after the "
                         "decimal mark")
            return None
        self.note(path, node, f"{node.text} {currency}")
        return value

    def quantity(self, path: str, node: _Node | None) -> Quantity | None:
        if node is None or not node.text:
            return None
        value = self.decimal(path, node)
        unit = node.attribute("unitCode")
        if value is None:
            return None
        if not unit:
            self.problem(path, node, node.text, "expected a unitCode attribute "
                         "(UN/ECE Rec 20 unit code)")
            return None
        if unit not in UNIT_CODES:
            self.problem(path, node, unit, "expected a UN/ECE Rec 20 unit code of the "
                         f"reference list ({', '.join(sorted(UNIT_CODES))}) in unitCode")
            return None
        try:
            quantity = Quantity(value=value, unit=unit)
        except ValidationError:
            self.problem(path, node, node.text, "expected a quantity above 0 with at most "
                         "6 decimals")
            return None
        self.note(path, node, f"{node.text} {unit}")
        return quantity

    def hs_code(self, path: str, nodes: list[_Node]) -> str | None:
        for node in nodes:
            if (node.attribute("listID") or "").upper() != "HS":
                continue
            try:
                value = _HS.validate_python(node.text)
            except ValidationError:
                self.problem(path, node, node.text, "expected an HS code of 6, 8 or 10 "
                             "digits (listID 'HS')")
                return None
            self.note(path, node, f"{node.text} (listID=HS)")
            return value
        return None

    def unit_price(self, path: str, price: _Node | None, base: _Node | None,
                   unit: str | None) -> Money | None:
        """Net price per one unit: the price amount divided by its base quantity, which
        must be in the billed unit; a quotient not exact to 6 decimals is a problem."""
        money = self.money(path, price)
        if money is None or price is None or base is None or not base.text:
            return money
        divisor = self.decimal(path, base)
        base_unit = base.attribute("unitCode")
        if divisor is None or divisor <= 0 or (base_unit and unit and base_unit != unit):
            self.evidence.pop(path, None)
            if divisor is not None:
                self.problem(path, base, f"{base.text} {base_unit or ''}".strip(),
                             f"expected a base quantity above 0 in the billed unit {unit}")
            return None
        if divisor == 1:
            return money
        per_unit = _fit(money.amount / divisor)
        if per_unit is None:
            self.evidence.pop(path, None)
            self.problem(path, price, f"{price.text} per {base.text}",
                         "expected a price per unit exact to 6 decimals")
            return None
        self.note(path, price, f"{price.text} {money.currency} per {base.text} "
                  f"{base_unit or unit or ''}".strip())
        return Money(amount=per_unit, currency=money.currency)

    # header-level charges
    def charges(self, items: list[_Charge]) -> dict[str, Money | None]:
        """Allowances and charges of one kind added up (in the currency of the first)."""
        out: dict[str, Money | None] = {"discount": None, "freight": None, "insurance": None}
        first: dict[str, _Charge] = {}
        texts: dict[str, list[str]] = {}
        for item in items:
            if item.amount is None or item.kind is None:
                continue
            total = out[item.kind]
            if total is not None and item.amount.currency != total.currency:
                self.problem(item.kind, item.node, item.amount.currency,
                             f"expected the currency of the first {item.kind}, "
                             f"{total.currency}")
                continue
            out[item.kind] = item.amount if total is None else Money(
                amount=total.amount + item.amount.amount, currency=total.currency)
            first.setdefault(item.kind, item)
            texts.setdefault(item.kind, []).append(item.node.text)
        for kind, item in first.items():
            self.note(kind, item.node, " + ".join(texts[kind]))
        return out

    def classify(self, item: _Charge, code_node: _Node | None, reason_node: _Node | None,
                 where: _Node) -> None:
        """Set ``item.kind`` to discount, freight or insurance by the rule in the module
        docstring; leave it None (and say why under ``problems``) otherwise."""
        if not item.charge:
            item.kind = "discount"
            return
        code = code_node.text.upper() if code_node is not None else ""
        words = set(normalise_text(reason_node.text).split()) if reason_node else set()
        by_code = "freight" if code in _FREIGHT_CODES else None
        by_text = {kind for kind, vocabulary in (("freight", _FREIGHT_WORDS),
                                                 ("insurance", _INSURANCE_WORDS))
                   if words & vocabulary}
        reason = " / ".join(n.text for n in (code_node, reason_node) if n is not None)
        if len(by_text) > 1 or (by_code and by_text and by_code not in by_text):
            self.problem("total", where, reason, "expected a charge that is either freight "
                         "or insurance (reason code and text disagree or name both); it is "
                         "not carried")
        elif by_code or by_text:
            item.kind = by_code or next(iter(by_text))
            return
        else:
            self.problem("total", where, reason or "(no reason)",
                         "expected a freight (reason code FC, or freight in the reason) or "
                         "insurance charge; other charges are not carried")

    # the result
    def finish(self, values: dict[str, Any], page_count: int) -> DocumentReading:
        line_fields = values.pop("_line_fields")
        invoice = CommercialInvoice(**values)
        self._check_sums(invoice)
        return DocumentReading(document=invoice, evidence=self.evidence,
                               missing=_missing(invoice, line_fields),
                               problems=self.problems, page_count=page_count)

    def _check_sums(self, invoice: CommercialInvoice) -> None:
        amounts = [line.amount for line in invoice.lines]
        currency = invoice.currency
        subtotal = invoice.subtotal
        if subtotal is not None and amounts and all(
                a is not None and a.currency == subtotal.currency for a in amounts):
            added = sum((a.amount for a in amounts if a is not None), Decimal(0))
            if added != subtotal.amount:
                self.problems.append(ReadProblem(
                    field="subtotal", text=str(subtotal.amount),
                    message=f"the line amounts add up to {added}, the line total says "
                            f"{subtotal.amount}", evidence=self.evidence.get("subtotal")))
        parts = [invoice.subtotal, invoice.freight, invoice.insurance, *self.other_charges]
        if invoice.total is None or subtotal is None or currency is None or any(
                p is not None and p.currency != currency for p in parts):
            return
        expected = (subtotal.amount - (invoice.discount.amount if invoice.discount else 0)
                    + sum(p.amount for p in parts[1:] if p is not None)
                    + (self.tax_total.amount if self.tax_total is not None
                       and self.tax_total.currency == currency else 0))
        if expected != invoice.total.amount:
            self.problems.append(ReadProblem(
                field="total", text=str(invoice.total.amount),
                message=f"line total - allowances + charges + tax = {expected}, the grand "
                        f"total says {invoice.total.amount}", evidence=self.evidence.get("total")))


def _missing(invoice: CommercialInvoice, line_fields: set[str]) -> list[str]:
    """Every field path without a value, like the PDF reader's: a line field no line has
    is reported once as ``lines[*].<field>``."""
    out: list[str] = []
    for name in CommercialInvoice.model_fields:
        value = getattr(invoice, name)
        if name == "document_type":
            continue
        if name == "lines":
            if not value:
                out.append("lines")
            every = tuple(InvoiceLine.model_fields)
            out += [f"lines[*].{f}" for f in every if f not in line_fields and value]
            for index, line in enumerate(value):
                out += [f"lines[{index}].{f}" for f in every
                        if f in line_fields and getattr(line, f) is None]
        elif name in ("seller", "buyer"):
            out += [f"{name}.{f}" for f in DocumentParty.model_fields
                    if value is None or getattr(value, f) is None]
        elif name == "trade_terms":
            out += [f"{name}.{f}" for f in TradeTerms.model_fields
                    if value is None or getattr(value, f) is None]
        elif value is None:
            out.append(name)
    return out


def _fit(value: Decimal) -> Decimal | None:
    """``value`` as written when it has at most 6 decimals (trailing zeros past the sixth
    dropped, '1E+2' written out as '100'), None when it needs more."""
    try:
        if value != value.quantize(Decimal("0.000001"), rounding=ROUND_DOWN):
            return None
    except InvalidOperation:  # more digits than the context holds
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        return value.quantize(Decimal("0.000001"))
    if isinstance(exponent, int) and exponent > 0:
        return value.quantize(Decimal(1))
    return value


# --- CII --------------------------------------------------------------------------------
def _read_cii(reader: _Reader, root: _Node) -> dict[str, Any]:
    document = root.first("rsm:ExchangedDocument")
    transaction = root.first("rsm:SupplyChainTradeTransaction")
    type_code = document.first("ram:TypeCode") if document else None
    _refuse_credit_note(type_code)
    agreement = transaction.first("ram:ApplicableHeaderTradeAgreement") if transaction else None
    settlement = (transaction.first("ram:ApplicableHeaderTradeSettlement")
                  if transaction else None)
    values: dict[str, Any] = {
        "number": reader.text("number", document.first("ram:ID") if document else None),
        "date": reader.date("date", document.first("ram:IssueDateTime", "udt:DateTimeString")
                            if document else None),
    }
    reader.currency = values["currency"] = reader.code(
        "currency", settlement.first("ram:InvoiceCurrencyCode") if settlement else None,
        CURRENCY_CODES, "an ISO 4217 currency code such as 'EUR'")
    for role, step in (("seller", "ram:SellerTradeParty"), ("buyer", "ram:BuyerTradeParty")):
        values[role] = _cii_party(reader, role, agreement.first(step) if agreement else None)
    terms = agreement.first("ram:ApplicableTradeDeliveryTerms") if agreement else None
    values["trade_terms"] = _terms(reader, terms.first("ram:DeliveryTypeCode") if terms
                                   else None, None)
    items = transaction.all("ram:IncludedSupplyChainTradeLineItem") if transaction else []
    _check_line_count(items)
    seen: set[str] = set()
    values["lines"] = [_cii_line(reader, f"lines[{i}]", item, seen)
                       for i, item in enumerate(items)]
    values["_line_fields"] = seen
    values.update(_charges(
        reader, settlement.all("ram:SpecifiedTradeAllowanceCharge") if settlement else [],
        ("ram:ChargeIndicator", "udt:Indicator"), "ram:ReasonCode", "ram:Reason",
        "ram:ActualAmount"))
    summation = (settlement.first("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
                 if settlement else None)
    if summation is not None:
        values["subtotal"] = reader.money("subtotal", summation.first("ram:LineTotalAmount"))
        values["total"] = reader.money("total", summation.first("ram:GrandTotalAmount"))
        taxes = summation.all("ram:TaxTotalAmount")
        reader.tax_total = next((t for t in (_amount_only(reader, n) for n in taxes)
                                 if t is not None and t.currency == reader.currency), None)
    return values


def _cii_party(reader: _Reader, role: str, party: _Node | None) -> DocumentParty | None:
    if party is None:
        return None
    address = party.first("ram:PostalTradeAddress")
    lines = [address.first(step) for step in ("ram:LineOne", "ram:LineTwo", "ram:LineThree")
             ] if address else []
    vat, tax = [], []
    for registration in party.all("ram:SpecifiedTaxRegistration"):
        number = registration.first("ram:ID")
        scheme = number.attribute("schemeID") if number is not None else None
        if scheme == "VA":
            vat.append(number)
        elif scheme == "FC":
            tax.append(number)
    legal = party.first("ram:SpecifiedLegalOrganization", "ram:ID")
    return _party(reader, role, name=party.first("ram:Name"), address=address, lines=lines,
                  postcode=address.first("ram:PostcodeCode") if address else None,
                  city=address.first("ram:CityName") if address else None,
                  subdivision=address.first("ram:CountrySubDivisionName") if address else None,
                  country=address.first("ram:CountryID") if address else None,
                  identifiers=[*vat, legal, *tax])


def _cii_line(reader: _Reader, path: str, item: _Node, seen: set[str]) -> InvoiceLine:
    product = item.first("ram:SpecifiedTradeProduct")
    price = item.first("ram:SpecifiedLineTradeAgreement", "ram:NetPriceProductTradePrice")
    billed = item.first("ram:SpecifiedLineTradeDelivery", "ram:BilledQuantity")
    classes = [n.first("ram:ClassCode") for n in product.all(
        "ram:DesignatedProductClassification")] if product else []
    nodes = {
        "description": product.first("ram:Name") if product else None,
        "quantity": billed,
        "unit_price": price.first("ram:ChargeAmount") if price else None,
        "amount": item.first("ram:SpecifiedLineTradeSettlement",
                             "ram:SpecifiedTradeSettlementLineMonetarySummation",
                             "ram:LineTotalAmount"),
        "origin_country": product.first("ram:OriginTradeCountry", "ram:ID") if product
        else None,
    }
    hs = [n for n in classes if n is not None]
    return _line(reader, path, nodes, hs, price.first("ram:BasisQuantity") if price else None,
                 seen)


def _charges(reader: _Reader, nodes: list[_Node], indicator: tuple[str, ...], code: str,
             reason: str, amount: str) -> dict[str, Money | None]:
    """Document-level allowances and charges as discount, freight and insurance."""
    items = []
    for node in nodes:
        charge = _indicator(reader, node.first(*indicator))
        if charge is None:
            continue
        amount_node = node.first(amount)
        item = _Charge(charge, None, amount_node or node)
        reader.classify(item, node.first(code), node.first(reason), node)
        if item.kind is not None:
            item.amount = reader.money(item.kind, amount_node)
        else:
            other = _amount_only(reader, amount_node)
            if other is not None:
                reader.other_charges.append(other)
        items.append(item)
    return reader.charges(items)


def _indicator(reader: _Reader, node: _Node | None) -> bool | None:
    if node is None or node.text not in ("true", "false"):
        if node is not None:
            reader.problem("total", node, node.text, "expected 'true' (charge) or 'false' "
                           "(allowance)")
        return None
    return node.text == "true"


def _amount_only(reader: _Reader, node: _Node | None) -> Money | None:
    """An amount used only for the sum check: parsed without evidence."""
    if node is None or not _DECIMAL.match(node.text):
        return None
    currency = node.attribute("currencyID") or reader.currency
    amount = Decimal(node.text)
    if currency not in CURRENCY_CODES or amount < 0:
        return None
    try:
        return Money(amount=amount, currency=currency)
    except ValidationError:
        return None


# --- UBL --------------------------------------------------------------------------------
def _read_ubl(reader: _Reader, root: _Node) -> dict[str, Any]:
    _refuse_credit_note(root.first("cbc:InvoiceTypeCode"))
    values: dict[str, Any] = {
        "number": reader.text("number", root.first("cbc:ID")),
        "date": reader.date("date", root.first("cbc:IssueDate")),
    }
    reader.currency = values["currency"] = reader.code(
        "currency", root.first("cbc:DocumentCurrencyCode"), CURRENCY_CODES,
        "an ISO 4217 currency code such as 'EUR'")
    for role, step in (("seller", "cac:AccountingSupplierParty"),
                       ("buyer", "cac:AccountingCustomerParty")):
        values[role] = _ubl_party(reader, role, root.first(step, "cac:Party"))
    terms = root.first("cac:DeliveryTerms")
    location = terms.first("cac:DeliveryLocation") if terms else None
    place = None
    if location is not None:
        place = (location.first("cbc:Name") or location.first("cbc:Description")
                 or location.first("cac:Address", "cbc:CityName"))
    values["trade_terms"] = _terms(reader, terms.first("cbc:ID") if terms else None, place)
    items = root.all("cac:InvoiceLine")
    _check_line_count(items)
    seen: set[str] = set()
    values["lines"] = [_ubl_line(reader, f"lines[{i}]", item, seen)
                       for i, item in enumerate(items)]
    values["_line_fields"] = seen
    values.update(_charges(reader, root.all("cac:AllowanceCharge"), ("cbc:ChargeIndicator",),
                           "cbc:AllowanceChargeReasonCode", "cbc:AllowanceChargeReason",
                           "cbc:Amount"))
    totals = root.first("cac:LegalMonetaryTotal")
    if totals is not None:
        values["subtotal"] = reader.money("subtotal", totals.first("cbc:LineExtensionAmount"))
        values["total"] = reader.money("total", totals.first("cbc:TaxInclusiveAmount"))
    taxes = [n.first("cbc:TaxAmount") for n in root.all("cac:TaxTotal")]
    reader.tax_total = next((t for t in (_amount_only(reader, n) for n in taxes)
                             if t is not None and t.currency == reader.currency), None)
    return values


def _ubl_party(reader: _Reader, role: str, party: _Node | None) -> DocumentParty | None:
    if party is None:
        return None
    address = party.first("cac:PostalAddress")
    lines = ([address.first("cbc:StreetName"), address.first("cbc:AdditionalStreetName"),
              address.first("cac:AddressLine", "cbc:Line")] if address else [])
    vat, tax = [], []
    for scheme in party.all("cac:PartyTaxScheme"):
        scheme_id = scheme.first("cac:TaxScheme", "cbc:ID")
        target = vat if scheme_id is not None and scheme_id.text.upper() == "VAT" else tax
        target.append(scheme.first("cbc:CompanyID"))
    name = (party.first("cac:PartyLegalEntity", "cbc:RegistrationName")
            or party.first("cac:PartyName", "cbc:Name"))
    return _party(reader, role, name=name, address=address, lines=lines,
                  postcode=address.first("cbc:PostalZone") if address else None,
                  city=address.first("cbc:CityName") if address else None,
                  subdivision=address.first("cbc:CountrySubentity") if address else None,
                  country=address.first("cac:Country", "cbc:IdentificationCode") if address
                  else None,
                  identifiers=[*vat, party.first("cac:PartyLegalEntity", "cbc:CompanyID"),
                               *tax])


def _ubl_line(reader: _Reader, path: str, item: _Node, seen: set[str]) -> InvoiceLine:
    product = item.first("cac:Item")
    price = item.first("cac:Price")
    classes = [n.first("cbc:ItemClassificationCode") for n in product.all(
        "cac:CommodityClassification")] if product else []
    nodes = {
        "description": product.first("cbc:Name") if product else None,
        "quantity": item.first("cbc:InvoicedQuantity"),
        "unit_price": price.first("cbc:PriceAmount") if price else None,
        "amount": item.first("cbc:LineExtensionAmount"),
        "origin_country": product.first("cac:OriginCountry", "cbc:IdentificationCode")
        if product else None,
    }
    hs = [n for n in classes if n is not None]
    return _line(reader, path, nodes, hs, price.first("cbc:BaseQuantity") if price else None,
                 seen)


# --- shared shapes ----------------------------------------------------------------------
def _refuse_credit_note(type_code: _Node | None) -> None:
    if type_code is not None and type_code.text in _CREDIT_NOTE_TYPES:
        raise EInvoiceUnsupported(
            f"{type_code.path} is {type_code.text!r}, a credit note (UNTDID 1001); only "
            "invoices are read (e.g. 380 commercial invoice)", field="type_code",
            value=type_code.text)


def _check_line_count(items: list[_Node]) -> None:
    if len(items) > _MAX_LINES:
        raise DocumentUnreadable(f"the invoice has {len(items)} lines; at most {_MAX_LINES} "
                                 "are read")


def _party(reader: _Reader, role: str, *, name: _Node | None, address: _Node | None,
           lines: list[_Node | None], postcode: _Node | None, city: _Node | None,
           subdivision: _Node | None, country: _Node | None,
           identifiers: list[_Node | None]) -> DocumentParty:
    values: dict[str, Any] = {"name": reader.text(f"{role}.name", name)}
    if address is not None:
        town = " ".join(n.text for n in (postcode, city) if n is not None and n.text)
        parts = [n.text for n in lines if n is not None and n.text]
        parts += [t for t in (town, subdivision.text if subdivision else "") if t]
        if parts:
            joined = ", ".join(parts)
            values["address"] = _checked_text(reader, f"{role}.address", address, joined)
        values["country"] = reader.code(f"{role}.country", country, COUNTRY_CODES,
                                        "an ISO 3166-1 alpha-2 country code such as 'DE'")
    identifier = next((n for n in identifiers if n is not None and n.text), None)
    values["identifier"] = reader.text(f"{role}.identifier", identifier)
    return DocumentParty(**values)


def _checked_text(reader: _Reader, path: str, node: _Node, value: str) -> str | None:
    try:
        checked = _TEXT.validate_python(value)
    except ValidationError:
        reader.problem(path, node, value, "expected printable text of 1 to 512 characters")
        return None
    reader.note(path, node, value)
    return checked


def _terms(reader: _Reader, code: _Node | None, place: _Node | None) -> TradeTerms | None:
    incoterm = reader.code("trade_terms.incoterm", code, INCOTERMS_2020,
                           "an Incoterms 2020 rule (" + ", ".join(INCOTERMS_2020) + ")")
    if incoterm is None:
        return None
    return TradeTerms(incoterm=incoterm, place=reader.text("trade_terms.place", place))


def _line(reader: _Reader, path: str, nodes: dict[str, _Node | None], hs: list[_Node],
          base: _Node | None, seen: set[str]) -> InvoiceLine:
    seen.update(name for name, node in nodes.items() if node is not None)
    if any((n.attribute("listID") or "").upper() == "HS" for n in hs):
        seen.add("hs_code")
    quantity = reader.quantity(f"{path}.quantity", nodes["quantity"])
    unit = nodes["quantity"].attribute("unitCode") if nodes["quantity"] is not None else None
    readers: dict[str, Callable[[], Any]] = {
        "description": lambda: reader.text(f"{path}.description", nodes["description"]),
        "unit_price": lambda: reader.unit_price(f"{path}.unit_price", nodes["unit_price"],
                                                base, unit),
        "amount": lambda: reader.money(f"{path}.amount", nodes["amount"]),
        "hs_code": lambda: reader.hs_code(f"{path}.hs_code", hs),
        "origin_country": lambda: reader.code(
            f"{path}.origin_country", nodes["origin_country"], COUNTRY_CODES,
            "an ISO 3166-1 alpha-2 country code such as 'CN'"),
    }
    values = {name: read() for name, read in readers.items()}
    return InvoiceLine(quantity=quantity, **values)
