"""Money, goods lines and shipment totals: the declaration's figures against the invoice,
packing list and bill of lading."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from smartcustoms.declarations.models import GoodsItem, Money, Quantity
from smartcustoms.documents.models import (
    CommercialInvoice,
    DocumentReading,
    DocumentType,
    PackingList,
)

from .findings import Context, Finding, Severity, invoice_currency, kg, text

# UN/ECE Rec 20 units that are measured rather than counted: compared within
# ``Tolerance.measured_quantity_relative``; every other unit must agree exactly.
MEASURED_UNITS = frozenset({
    "KGM", "GRM", "TNE", "DTN", "LBR", "ONZ", "LTR", "MLT", "HLT", "GLL", "GLI", "MTR",
    "CMT", "MMT", "KMT", "FOT", "INH", "YRD", "MTK", "FTK", "MTQ", "FTQ", "KWH", "MWH",
})
_NAMES = {DocumentType.commercial_invoice: "invoice", DocumentType.packing_list:
          "packing list", DocumentType.bill_of_lading: "bill of lading"}


def doc_name(reading: DocumentReading) -> str:
    number = reading.document.number
    return f"{_NAMES[reading.document_type]} {number}" if number else _NAMES[
        reading.document_type]


def missing_finding(ctx: Context, reading: DocumentReading, path: str, declared_path: str,
                    declared: Any, what: str) -> Finding:
    return Finding(
        code="document-field-missing", severity=Severity.info,
        message=f"{what} could not be read on the {doc_name(reading)}, so the declared "
                f"{text(declared)} was not compared",
        declared=ctx.declared(declared_path, declared),
        document=ctx.documented(reading, path, None))


def _under(declared: Decimal, documented: Decimal) -> Severity:
    """Money: declaring less than the documents state is the costly direction."""
    return Severity.high if declared < documented else Severity.medium


# --- money ------------------------------------------------------------------------------------
def goods_value(invoice: CommercialInvoice, missed: Sequence[str] = ()
                ) -> tuple[Money, str] | None:
    """What the invoice charges for the goods alone, and how it was worked out: the total
    less the freight and insurance it shows, else (or when the reader ``missed`` the
    freight or insurance) the subtotal or the sum of the lines, less any discount."""
    charges = [m for m in (invoice.freight, invoice.insurance) if m is not None]
    if invoice.total is not None and not {"freight", "insurance"} & set(missed):
        currency = invoice.total.currency
        if any(m.currency != currency for m in charges):
            return None
        amount = invoice.total.amount - sum((m.amount for m in charges), Decimal(0))
        how = "total less freight and insurance" if charges else "total"
        return Money(amount=max(amount, Decimal(0)), currency=currency), how
    base = invoice.subtotal
    if base is None:
        amounts = [line.amount for line in invoice.lines]
        if not amounts or any(a is None for a in amounts):
            return None
        currencies = {a.currency for a in amounts if a is not None}
        if len(currencies) != 1:
            return None
        base = Money(amount=sum((a.amount for a in amounts if a is not None), Decimal(0)),
                     currency=currencies.pop())
    discount = invoice.discount
    if discount is not None and discount.currency != base.currency:
        return None
    amount = base.amount - (discount.amount if discount else Decimal(0))
    return Money(amount=max(amount, Decimal(0)), currency=base.currency), (
        "subtotal less discount" if discount else "subtotal")


def discount_factor(invoice: CommercialInvoice) -> Decimal:
    """Share of each line amount left after the invoice's discount."""
    if invoice.discount is None or not invoice.discount.amount:
        return Decimal(1)
    subtotal = invoice.subtotal.amount if invoice.subtotal else sum(
        (line.amount.amount for line in invoice.lines if line.amount), Decimal(0))
    if subtotal <= 0:
        return Decimal(1)
    return 1 - invoice.discount.amount / subtotal


class InvoiceValueCheck:
    """Currency and invoice total: the declared ``invoice_total`` against the goods value
    of the invoice(s), converted at the declared exchange rate when the currencies differ."""

    name = "invoice-value"
    codes = frozenset({"currency-mismatch", "currency-converted", "invoice-total-mismatch",
                       "invoice-total-includes-charges", "document-field-missing"})

    def check(self, ctx: Context) -> list[Finding]:
        if not ctx.invoices:
            return []
        out = self._currency(ctx)
        declared = ctx.declaration.invoice_total
        if declared is None:
            return out
        values = [goods_value(r.document, r.missing)  # type: ignore[arg-type]
                  for r in ctx.invoices]
        first = ctx.invoices[0]
        if any(v is None for v in values):
            reading = ctx.invoices[values.index(None)]
            if ctx.reader_missed(reading, "total"):
                out.append(missing_finding(ctx, reading, "total", "invoice_total", declared,
                                           "The invoice total"))
            return out
        converted = [ctx.in_declared_currency(declared, v[0]) for v in values if v]
        if any(c is None for c in converted):
            return out  # another currency without a rate: currency-mismatch says so
        documented = sum((c for c in converted if c is not None), Decimal(0))
        lines = sum(len(r.document.lines) for r in ctx.invoices)  # type: ignore[union-attr]
        allowed = ctx.tolerance.money_allowed(documented, lines)
        difference = declared.amount - documented
        if abs(difference) <= allowed:
            return out
        grand = self._grand_total(ctx, declared)
        several = f" (sum of {len(values)} invoices)" if len(values) > 1 else ""
        how = values[0][1] if values[0] else "total"
        if grand is not None and abs(declared.amount - grand) <= allowed:
            out.append(Finding(
                code="invoice-total-includes-charges", severity=Severity.info,
                message=f"The declared invoice total {text(declared)} is the invoice's grand "
                        f"total including freight and insurance{several}; the goods value is "
                        f"{_money(documented, declared.currency)}",
                declared=ctx.declared("invoice_total", declared),
                document=ctx.documented(first, "total", first.document.total),  # type: ignore[union-attr]
                tolerance=ctx.tolerance.money_text(lines)))
            return out
        side = "below" if difference < 0 else "above"
        out.append(Finding(
            code="invoice-total-mismatch", severity=_under(declared.amount, documented),
            message=f"The declared invoice total {text(declared)} is "
                    f"{_money(abs(difference), declared.currency)} {side} the invoice's "
                    f"goods value {_money(documented, declared.currency)} ({how}{several})"
                    f"{ctx.rate_text()}",
            declared=ctx.declared("invoice_total", declared),
            document=ctx.documented(first, "total", values[0][0] if values[0] else None),
            tolerance=ctx.tolerance.money_text(lines),
            details={"difference": str(difference), "allowed": str(allowed),
                     "documented_in_declared_currency": str(documented)}))
        return out

    @staticmethod
    def _grand_total(ctx: Context, declared: Money) -> Decimal | None:
        totals = [r.document.total for r in ctx.invoices]  # type: ignore[union-attr]
        if any(t is None for t in totals):
            return None
        converted = [ctx.in_declared_currency(declared, t) for t in totals if t is not None]
        if any(c is None for c in converted):
            return None
        return sum((c for c in converted if c is not None), Decimal(0))

    @staticmethod
    def _currency(ctx: Context) -> list[Finding]:
        documented, declared = ctx.invoice_currency, ctx.declared_currency
        if documented is None or declared is None or documented == declared:
            return []
        reading = next(r for r in ctx.invoices if invoice_currency(r) is not None)
        path = "currency" if reading.document.currency is not None else "total"
        decl_path = "invoice_total.currency" if ctx.declaration.invoice_total else (
            "items[0].price.currency")
        if ctx.converting:
            return [Finding(
                code="currency-converted", severity=Severity.info,
                message=f"The invoice is in {documented} and the declaration in {declared}; "
                        f"amounts were compared at the declared rate 1 {documented} = "
                        f"{text(ctx.declaration.exchange_rate)} {declared}",
                declared=ctx.declared(decl_path, declared),
                document=ctx.documented(reading, path, documented),
                details={"exchange_rate": text(ctx.declaration.exchange_rate)})]
        return [Finding(
            code="currency-mismatch", severity=Severity.high,
            message=f"The declaration states amounts in {declared} but the invoice is in "
                    f"{documented}, and no exchange rate is declared; the amounts cannot be "
                    "compared",
            declared=ctx.declared(decl_path, declared),
            document=ctx.documented(reading, path, documented))]


def _money(amount: Decimal, currency: str) -> str:
    return f"{text(amount.quantize(Decimal('0.01')))} {currency}"


# --- goods lines --------------------------------------------------------------------------------
class GoodsLineCheck:
    """Each declared item against its invoice line (quantity, amount, printed HS code,
    origin) and its packing-list line (quantity, net and gross mass, packages); lines and
    items that pair with nothing."""

    name = "goods-lines"
    codes = frozenset({"quantity-mismatch", "item-price-mismatch", "hs-code-mismatch",
                       "origin-mismatch", "net-mass-mismatch", "gross-mass-mismatch",
                       "packages-mismatch", "line-unmatched", "item-unmatched",
                       "document-field-missing"})

    def check(self, ctx: Context) -> list[Finding]:
        out: list[Finding] = []
        for document_type in (DocumentType.commercial_invoice, DocumentType.packing_list):
            readings = ctx.of_type(document_type)
            if not readings:
                continue
            for pair in ctx.pairs(document_type):
                reading = readings[pair.reading if pair.reading is not None else 0]
                li = pair.line_in_reading
                if li is None or pair.item is None:
                    out.append(_unpaired(ctx, reading, li, pair.item))
                    continue
                document = reading.document
                item = ctx.declaration.items[pair.item]
                line = document.lines[li]  # type: ignore[union-attr]
                out += _quantity(ctx, reading, li, line.quantity, pair.item, item)
                if isinstance(document, CommercialInvoice):
                    out += _price(ctx, reading, li, pair.item, item, discount_factor(document))
                    out += _hs_printed(ctx, reading, li, pair.item, item)
                    out += _origin(ctx, reading, li, pair.item, item)
                elif isinstance(document, PackingList):
                    out += _masses_and_packages(ctx, reading, li, pair.item, item)
        return out


def _unpaired(ctx: Context, reading: DocumentReading, line: int | None,
              item: int | None) -> Finding:
    if line is not None:
        printed = reading.document.lines[line]  # type: ignore[union-attr]
        return Finding(
            code="line-unmatched", severity=Severity.medium,
            message=f"Line {line + 1} of the {doc_name(reading)} "
                    f"({printed.description or 'no description'}) matches no declared item",
            document=ctx.documented(reading, f"lines[{line}]", printed.description))
    assert item is not None
    declared = ctx.declaration.items[item]
    return Finding(
        code="item-unmatched", severity=Severity.medium,
        message=f"Declared item {declared.sequence} ({declared.description or declared.hs_code})"
                f" matches no line of the {_NAMES[reading.document_type]}(s)",
        declared=ctx.declared(f"items[{item}]", declared.description or declared.hs_code),
        document=ctx.documented(reading, "lines", None))


def _quantity(ctx: Context, reading: DocumentReading, li: int, documented: Quantity | None,
              ii: int, item: GoodsItem) -> list[Finding]:
    declared = item.quantity
    path = f"lines[{li}].quantity"
    if declared is None:
        return []
    if documented is None:
        if ctx.reader_missed(reading, path):
            return [missing_finding(ctx, reading, path, f"items[{ii}].quantity", declared,
                                    f"The quantity of line {li + 1}")]
        return []
    measured = documented.unit in MEASURED_UNITS
    rel = ctx.tolerance.measured_quantity_relative
    difference = declared.value - documented.value
    allowed = rel * documented.value if measured else 0
    if declared.unit != documented.unit:
        reason = f"in another unit ({declared.unit} declared, {documented.unit} documented)"
    elif abs(difference) <= allowed:
        return []
    else:
        reason = f"{text(difference)} {declared.unit} off"
    return [Finding(
        code="quantity-mismatch", severity=Severity.medium,
        message=f"Item {item.sequence}: declared quantity {text(declared)} differs from "
                f"{text(documented)} on line {li + 1} of the {doc_name(reading)} ({reason})",
        declared=ctx.declared(f"items[{ii}].quantity", declared),
        document=ctx.documented(reading, path, documented),
        tolerance=(f"±{text(rel * 100)} %" if measured else "exact (counted unit)"))]


def _price(ctx: Context, reading: DocumentReading, li: int, ii: int, item: GoodsItem,
           factor: Decimal) -> list[Finding]:
    declared = item.price
    line = reading.document.lines[li]  # type: ignore[union-attr]
    path = f"lines[{li}].amount"
    if declared is None:
        return []
    if line.amount is None:
        if ctx.reader_missed(reading, path):
            return [missing_finding(ctx, reading, path, f"items[{ii}].price", declared,
                                    f"The amount of line {li + 1}")]
        return []
    converted = ctx.in_declared_currency(declared, line.amount)
    if converted is None:
        return []  # another currency without a rate: currency-mismatch says so
    documented = converted * factor
    lines = len(reading.document.lines) if factor != 1 else 1  # type: ignore[union-attr]
    allowed = ctx.tolerance.money_allowed(documented, lines)
    difference = declared.amount - documented
    if abs(difference) <= allowed:
        return []
    net = " net of the invoice discount" if factor != 1 else ""
    return [Finding(
        code="item-price-mismatch", severity=_under(declared.amount, documented),
        message=f"Item {item.sequence}: declared price {text(declared)} differs from "
                f"{_money(documented, declared.currency)}{net} on line {li + 1} of the "
                f"{doc_name(reading)}{ctx.rate_text()}",
        declared=ctx.declared(f"items[{ii}].price", declared),
        document=ctx.documented(reading, path, line.amount),
        tolerance=ctx.tolerance.money_text(lines),
        details={"difference": str(difference), "allowed": str(allowed)})]


def _hs_printed(ctx: Context, reading: DocumentReading, li: int, ii: int,
                item: GoodsItem) -> list[Finding]:
    printed = reading.document.lines[li].hs_code  # type: ignore[union-attr]
    if printed is None or printed[:6] == item.hs_code[:6]:
        return []
    if printed[:2] != item.hs_code[:2]:
        severity, level = Severity.high, "another chapter"
    elif printed[:4] != item.hs_code[:4]:
        severity, level = Severity.medium, "another heading"
    else:
        severity, level = Severity.low, "another subheading"
    return [Finding(
        code="hs-code-mismatch", severity=severity,
        message=f"Item {item.sequence}: declared HS code {item.hs_code} is in {level} than "
                f"{printed} printed on line {li + 1} of the {doc_name(reading)}",
        declared=ctx.declared(f"items[{ii}].hs_code", item.hs_code),
        document=ctx.documented(reading, f"lines[{li}].hs_code", printed),
        tolerance="first six digits (HS subheading)")]


def _origin(ctx: Context, reading: DocumentReading, li: int, ii: int,
            item: GoodsItem) -> list[Finding]:
    printed = reading.document.lines[li].origin_country  # type: ignore[union-attr]
    if printed is None or item.origin_country is None or printed == item.origin_country:
        return []
    return [Finding(
        code="origin-mismatch", severity=Severity.medium,
        message=f"Item {item.sequence}: declared origin {item.origin_country} differs from "
                f"{printed} on line {li + 1} of the {doc_name(reading)}",
        declared=ctx.declared(f"items[{ii}].origin_country", item.origin_country),
        document=ctx.documented(reading, f"lines[{li}].origin_country", printed))]


def _masses_and_packages(ctx: Context, reading: DocumentReading, li: int, ii: int,
                         item: GoodsItem) -> list[Finding]:
    line = reading.document.lines[li]  # type: ignore[union-attr]
    out: list[Finding] = []
    for code, field, what in (("net-mass-mismatch", "net_mass_kg", "net mass"),
                              ("gross-mass-mismatch", "gross_mass_kg", "gross mass")):
        found = compare_mass(ctx, reading, code, f"items[{ii}].{field}",
                             getattr(item, field), f"lines[{li}].{field}",
                             getattr(line, field),
                             f"Item {item.sequence}: declared {what}",
                             f"line {li + 1} of the {doc_name(reading)}")
        out += found
    out += compare_count(ctx, reading, "packages-mismatch", f"items[{ii}].packages",
                         item.packages, f"lines[{li}].packages", line.packages,
                         f"Item {item.sequence}: declared packages",
                         f"line {li + 1} of the {doc_name(reading)}")
    return out


def compare_mass(ctx: Context, reading: DocumentReading, code: str, declared_path: str,
                 declared: Decimal | None, path: str, documented: Decimal | None,
                 subject: str, where: str) -> list[Finding]:
    if declared is None:
        return []
    if documented is None:
        if ctx.reader_missed(reading, path):
            return [missing_finding(ctx, reading, path, declared_path, declared,
                                    f"The {path}")]
        return []
    allowed = ctx.tolerance.mass_allowed(documented)
    difference = declared - documented
    if abs(difference) <= allowed:
        return []
    return [Finding(
        code=code, severity=Severity.medium,
        message=f"{subject} {kg(declared)} differs from {kg(documented)} on {where} "
                f"({'+' if difference > 0 else ''}{kg(difference)})",
        declared=ctx.declared(declared_path, declared),
        document=ctx.documented(reading, path, documented),
        tolerance=ctx.tolerance.mass_text(),
        details={"difference": str(difference), "allowed": str(allowed)})]


def compare_count(ctx: Context, reading: DocumentReading, code: str, declared_path: str,
                  declared: int | None, path: str, documented: int | None, subject: str,
                  where: str) -> list[Finding]:
    if declared is None:
        return []
    if documented is None:
        if ctx.reader_missed(reading, path):
            return [missing_finding(ctx, reading, path, declared_path, declared,
                                    f"The {path}")]
        return []
    if declared == documented:
        return []
    return [Finding(
        code=code, severity=Severity.medium,
        message=f"{subject} {declared} differ from {documented} on {where}",
        declared=ctx.declared(declared_path, declared),
        document=ctx.documented(reading, path, documented), tolerance="exact",
        details={"difference": declared - documented})]


# --- shipment totals ---------------------------------------------------------------------------
class ShipmentTotalsCheck:
    """Total packages and gross mass against the packing list and the bill of lading; the
    sum of the declared net masses against the packing list's total."""

    name = "shipment-totals"
    codes = frozenset({"packages-mismatch", "gross-mass-mismatch", "net-mass-mismatch",
                       "document-field-missing"})

    def check(self, ctx: Context) -> list[Finding]:
        decl = ctx.declaration
        packages, packages_path = decl.total_packages, "total_packages"
        if packages is None:
            packages, packages_path = _sum_items(decl.items, lambda i: i.packages), (
                "items[*].packages")
        gross, gross_path = decl.total_gross_mass_kg, "total_gross_mass_kg"
        if gross is None:
            gross, gross_path = _sum_items(decl.items, lambda i: i.gross_mass_kg), (
                "items[*].gross_mass_kg")
        net = _sum_items(decl.items, lambda i: i.net_mass_kg)
        out: list[Finding] = []
        for readings, pkg_field, gross_field in (
                (ctx.packing_lists, "total_packages", "total_gross_mass_kg"),
                (ctx.bills, "packages", "gross_mass_kg")):
            if not readings:
                continue
            reading = readings[0]
            where = doc_name(reading) if len(readings) == 1 else (
                f"{len(readings)} {_NAMES[reading.document_type]}s together")
            out += compare_count(ctx, reading, "packages-mismatch", packages_path, packages,
                                 pkg_field, _sum_docs(readings, pkg_field),
                                 "Declared total packages", where)
            out += compare_mass(ctx, reading, "gross-mass-mismatch", gross_path, gross,
                                gross_field, _sum_docs(readings, gross_field),
                                "Declared total gross mass", where)
        if ctx.packing_lists:
            reading = ctx.packing_lists[0]
            out += compare_mass(ctx, reading, "net-mass-mismatch", "items[*].net_mass_kg", net,
                                "total_net_mass_kg",
                                _sum_docs(ctx.packing_lists, "total_net_mass_kg"),
                                "The declared items' net mass", doc_name(reading))
        return out


def _sum_items(items: Sequence[GoodsItem], value: Callable[[GoodsItem], Any]) -> Any:
    values = [value(i) for i in items]
    if not values or any(v is None for v in values):
        return None
    return sum(values[1:], values[0])


def _sum_docs(readings: Sequence[DocumentReading], field: str) -> Any:
    values = [getattr(r.document, field) for r in readings]
    if any(v is None for v in values):
        return None
    return sum(values[1:], values[0])
