"""Commercial invoices: ground truth from a shipment, and three layouts.

* ``letterhead``: the seller as letterhead without a label, a label/value block on the
  right, the buyer below on the left, a ruled table with a grey header, totals right;
* ``grid``: a boxed form, labels small at the top of each box, values under them;
  quantity and unit in one column;
* ``columns``: inline 'Label: value' pairs, seller and buyer side by side, HS code and
  origin printed under each description instead of in columns.

Long invoices run over pages with the table header repeated and, in the first two
layouts, carried-forward and brought-forward lines; totals always end the last page.
"""

from __future__ import annotations

from decimal import Decimal

from smartcustoms.declarations.models import Money, Quantity, TradeTerms
from smartcustoms.documents.generate.canvas import LEFT, RIGHT, Canvas
from smartcustoms.documents.generate.content import DocumentStyle, Shipment
from smartcustoms.documents.generate.locale import LABELS
from smartcustoms.documents.generate.printing import Printer
from smartcustoms.documents.generate.table import (
    Column,
    Furniture,
    TableLook,
    draw_header,
    draw_row,
    fit_widths,
    header_height,
    paginate,
    row_height,
)
from smartcustoms.documents.models import CommercialInvoice, InvoiceLine

BOTTOM = 780.0


def invoice_truth(shipment: Shipment, style: DocumentStyle) -> CommercialInvoice:
    printer = Printer(style)
    currency = shipment.currency
    lines = []
    for line in shipment.lines:
        hs = printer.hs(line.product.hs6)[1] if "hs" in style.options else None
        lines.append(InvoiceLine(
            description=line.product.name(style.language),
            quantity=Quantity(value=line.quantity, unit=line.product.unit),
            unit_price=Money(amount=line.unit_price, currency=currency),
            amount=Money(amount=line.amount, currency=currency),
            hs_code=hs,
            origin_country=line.origin if "origin" in style.options else None,
        ))
    adjusted = any(v is not None for v in (shipment.discount, shipment.freight,
                                           shipment.insurance))

    def money(value: Decimal | None) -> Money | None:
        return None if value is None else Money(amount=value, currency=currency)

    return CommercialInvoice(
        number=shipment.invoice_number, date=shipment.invoice_date,
        seller=printer.party(shipment.seller), buyer=printer.party(shipment.buyer),
        currency=currency,
        trade_terms=TradeTerms(incoterm=shipment.incoterm, place=shipment.incoterm_place),
        lines=lines, subtotal=money(shipment.subtotal) if adjusted else None,
        discount=money(shipment.discount), freight=money(shipment.freight),
        insurance=money(shipment.insurance), total=money(shipment.total),
    )


def render_invoice(shipment: Shipment, style: DocumentStyle) -> bytes:
    truth = invoice_truth(shipment, style)
    canvas = Canvas(style.font, title=f"{style.label('invoice_title')} {truth.number}")
    draw = {"letterhead": _letterhead, "grid": _grid, "columns": _columns}[style.layout]
    draw(canvas, shipment, truth, Printer(style))
    return canvas.output()


def _rows(truth: CommercialInvoice, printer: Printer, *, unit_in_qty: bool,
          inline_codes: bool) -> list[dict[str, str]]:
    rows = []
    for index, line in enumerate(truth.lines, start=1):
        assert line.quantity and line.unit_price and line.amount
        description = line.description or ""
        hs_text = printer.hs(line.hs_code[:6])[0] if line.hs_code else ""
        origin = ""
        if line.origin_country:
            origin = (line.origin_country if printer.style.variant % 2
                      else printer.country(line.origin_country))
        if inline_codes and (hs_text or origin):
            parts = []
            if hs_text:
                parts.append(f"{printer.label('hs')}: {hs_text}")
            if origin:
                parts.append(f"{printer.label('origin')}: {origin}")
            description += "\n" + "  ".join(parts)
        quantity = printer.quantity(line.quantity.value)
        unit = printer.unit(line.quantity.unit)
        rows.append({
            "pos": str(index), "description": description, "hs": hs_text, "origin": origin,
            "qty": f"{quantity} {unit}" if unit_in_qty else quantity, "unit": unit,
            "unit_price": printer.price(line.unit_price.amount),
            "amount": printer.number(line.amount.amount),
        })
    return rows


def _columns_for(truth: CommercialInvoice, printer: Printer, *, unit_in_qty: bool,
                 inline_codes: bool, currency_in_header: bool) -> list[Column]:
    label = printer.label
    currency = f" ({truth.currency})" if currency_in_header else ""
    columns = [Column("pos", label("pos"), 24), Column("description", label("description"),
                                                        200)]
    if not inline_codes and truth.lines and truth.lines[0].hs_code:
        columns.append(Column("hs", label("hs"), 58))
    if not inline_codes and truth.lines and truth.lines[0].origin_country:
        columns.append(Column("origin", label("origin"), 48))
    if unit_in_qty:
        columns.append(Column("qty", label("qty"), 66, "R"))
    else:
        columns += [Column("qty", label("qty"), 44, "R"), Column("unit", label("unit"), 36)]
    columns += [Column("unit_price", label("unit_price") + currency, 58, "R"),
                Column("amount", label("amount") + currency, 68, "R")]
    return fit_widths(columns, RIGHT - LEFT)


def _totals(truth: CommercialInvoice, printer: Printer, *, colon: bool,
            currency_in_label: bool) -> list[tuple[str, str, bool]]:
    suffix = ":" if colon else ""
    out = []
    for key, value in (("subtotal", truth.subtotal), ("discount", truth.discount),
                       ("freight", truth.freight), ("insurance", truth.insurance)):
        if value is not None:
            amount = printer.number(value.amount)
            out.append((printer.label(key) + suffix,
                        f"-{amount}" if key == "discount" else amount, False))
    assert truth.total is not None
    total = printer.number(truth.total.amount)
    if currency_in_label:
        out.append((f"{printer.label('total')} {truth.currency}{suffix}", total, True))
    else:
        out.append((printer.label("total") + suffix, f"{truth.currency} {total}", True))
    return out


def _running_sums(truth: CommercialInvoice) -> list[Decimal]:
    sums, running = [], Decimal(0)
    for line in truth.lines:
        assert line.amount is not None
        running += line.amount.amount
        sums.append(running)
    return sums


def _draw_table_pages(
    canvas: Canvas,
    truth: CommercialInvoice,
    printer: Printer,
    columns: list[Column],
    rows: list[dict[str, str]],
    look: TableLook,
    *,
    first_top: float,
    next_top: float,
    totals_height: float,
    carry: bool,
    furniture: Furniture,
) -> tuple[float, int]:
    """Draw the table over as many pages as needed; returns (y after it, page count)."""
    heights = [row_height(canvas, columns, row, look) for row in rows]
    head = header_height(canvas, columns, look)
    carry_h = look.size * 1.25 + 2 * look.padding if carry else 0.0
    pages = paginate(heights, first_space=BOTTOM - first_top - head,
                     next_space=BOTTOM - next_top - head, last_reserve=totals_height,
                     carry_height=carry_h)
    sums = _running_sums(truth)
    y = first_top
    for number, page_rows in enumerate(pages, start=1):
        if number > 1:
            canvas.page()
            y = furniture(number, len(pages))
        else:
            furniture(1, len(pages))
            y = first_top
        y = draw_header(canvas, LEFT, y, columns, look)
        if number > 1 and carry and page_rows:
            previous = sums[page_rows[0] - 1]
            y = draw_row(canvas, LEFT, y, columns, {
                "description": printer.label("brought_forward"),
                "amount": printer.number(previous)}, look, bold=True)
        for index in page_rows:
            y = draw_row(canvas, LEFT, y, columns, rows[index], look)
        if number < len(pages) and carry and page_rows:
            y = draw_row(canvas, LEFT, y, columns, {
                "description": printer.label("carried_forward"),
                "amount": printer.number(sums[page_rows[-1]])}, look, bold=True)
    return y, len(pages)


def _page_number(canvas: Canvas, printer: Printer, number: int, count: int, *,
                 align: str = "R") -> None:
    text = f"{printer.label('page')} {number} {printer.label('of')} {count}"
    canvas.text(LEFT, 812, text, size=8, align=align, width=RIGHT - LEFT)


def _letterhead(canvas: Canvas, shipment: Shipment, truth: CommercialInvoice,
                printer: Printer) -> None:
    style, label = printer.style, printer.label
    canvas.page()
    room = RIGHT - LEFT - canvas.width(label("invoice_title"), 17, True) - 24
    name_size = min(15.0, 15 * room / canvas.width(shipment.seller.name, 15, True))
    canvas.text(LEFT, 36, shipment.seller.name, size=name_size, bold=True)
    canvas.lines(LEFT, 58, printer.party_lines(shipment.seller)[1:], size=9)
    canvas.text(300, 36, label("invoice_title"), size=17, bold=True, align="R", width=255)
    info: list[tuple[str, str]] = [(label("invoice_number"), truth.number or ""),
                                   (label("invoice_date"), printer.date(shipment.invoice_date))]
    if "customer_no" in style.options:
        info.append((label("customer_no"), f"C-{style.variant:05d}"))
    if "currency_label" in style.options:
        info.append((label("currency"), shipment.currency))
    info.append((label("terms"), f"{shipment.incoterm} {shipment.incoterm_place}"))
    if "payment" in style.options:
        info.append((label("payment_terms"),
                     printer.pick(LABELS["payment_value"][style.language])))
    y = 118.0
    for key, value in info:
        canvas.text(330, y, key, size=8.5, bold=True)
        canvas.text(440, y, value, size=9)
        y += 14
    canvas.text(LEFT, 140, label("buyer") + ":", size=9, bold=True)
    buyer_end = canvas.lines(LEFT, 155, printer.party_lines(shipment.buyer), size=9,
                             max_width=250)
    top = max(y, buyer_end) + 24
    currency_in_header = "currency_label" not in style.options
    columns = _columns_for(truth, printer, unit_in_qty=False, inline_codes=False,
                           currency_in_header=currency_in_header)
    rows = _rows(truth, printer, unit_in_qty=False, inline_codes=False)
    look = TableLook(header_fill=225, size=8.5)
    totals = _totals(truth, printer, colon=False, currency_in_label=True)

    def furniture(number: int, count: int) -> float:
        _page_number(canvas, printer, number, count)
        canvas.text(LEFT, 796, f"{label('bank')}: IBAN DE44 5001 0517 5407 3249 31 - "
                    f"BIC INGDDEFFXXX", size=7)
        if number == 1:
            return top
        canvas.text(LEFT, 36, shipment.seller.name, size=11, bold=True)
        canvas.text(300, 36, f"{label('invoice_title')} {label('invoice_number')} "
                    f"{truth.number}", size=9, align="R", width=255)
        return 76.0

    y, _pages = _draw_table_pages(canvas, truth, printer, columns, rows, look, first_top=top,
                                  next_top=76.0, totals_height=len(totals) * 15 + 20,
                                  carry=True, furniture=furniture)
    y += 12
    for key, value, bold in totals:
        canvas.text(350, y, key, size=9, bold=bold)
        canvas.text(455, y, value, size=9, bold=bold, align="R", width=100)
        y += 15



def _grid(canvas: Canvas, shipment: Shipment, truth: CommercialInvoice,
          printer: Printer) -> None:
    style, label = printer.style, printer.label
    canvas.page()
    mid, half = 297.5, (RIGHT - 297.5) / 2
    canvas.text(LEFT, 28, label("invoice_title"), size=16, bold=True, align="C",
                width=RIGHT - LEFT)
    canvas.field_box(LEFT, 60, mid - LEFT, 100, label("seller"),
                     printer.party_lines(shipment.seller))
    canvas.field_box(mid, 60, half, 50, label("invoice_number"), [truth.number or ""],
                     size=10, bold_first=True)
    canvas.field_box(mid + half, 60, half, 50, label("invoice_date"),
                     [printer.date(shipment.invoice_date)], size=10)
    second = (label("currency"), [shipment.currency]) if "currency_label" in style.options \
        else (label("customer_no"), [f"C-{style.variant:05d}"])
    canvas.field_box(mid, 110, RIGHT - mid, 50, second[0], second[1])
    canvas.field_box(LEFT, 160, mid - LEFT, 100, label("buyer"),
                     printer.party_lines(shipment.buyer))
    canvas.field_box(mid, 160, RIGHT - mid, 50, label("terms"),
                     [f"{shipment.incoterm} {shipment.incoterm_place}"])
    canvas.field_box(mid, 210, RIGHT - mid, 50, label("origin"),
                     [printer.country(shipment.seller.place.country)])
    top = 280.0
    columns = _columns_for(truth, printer, unit_in_qty=True, inline_codes=False,
                           currency_in_header="currency_label" not in style.options)
    rows = _rows(truth, printer, unit_in_qty=True, inline_codes=False)
    look = TableLook(boxed=True, header_fill=235, size=8.5)
    totals = _totals(truth, printer, colon=False,
                     currency_in_label="currency_label" not in style.options)

    def furniture(number: int, count: int) -> float:
        _page_number(canvas, printer, number, count, align="C")
        if number == 1:
            return top
        canvas.text(LEFT, 28, label("invoice_title"), size=12, bold=True)
        canvas.text(300, 28, f"{label('invoice_number')} {truth.number}", size=9,
                    align="R", width=255)
        return 60.0

    y, _pages = _draw_table_pages(canvas, truth, printer, columns, rows, look, first_top=top,
                                  next_top=60.0, totals_height=len(totals) * 16 + 10,
                                  carry=True, furniture=furniture)
    for key, value, bold in totals:
        canvas.box(355, y, 120, 16)
        canvas.box(475, y, 80, 16)
        canvas.text(359, y + 3, key, size=8.5, bold=bold)
        canvas.text(475, y + 3, value, size=8.5, bold=bold, align="R", width=76)
        y += 16


def _columns(canvas: Canvas, shipment: Shipment, truth: CommercialInvoice,
             printer: Printer) -> None:
    style, label = printer.style, printer.label
    canvas.page()
    canvas.text(LEFT, 36, label("invoice_title"), size=20, bold=True)
    canvas.text(LEFT, 72, f"{label('invoice_number')}: {truth.number}", size=10)
    canvas.text(300, 72, f"{label('invoice_date')}: {printer.date(shipment.invoice_date)}",
                size=10)
    canvas.text(LEFT, 104, label("seller") + ":", size=9, bold=True)
    canvas.text(300, 104, label("buyer") + ":", size=9, bold=True)
    end_left = canvas.lines(LEFT, 118, printer.party_lines(shipment.seller), size=9,
                            max_width=250)
    end_right = canvas.lines(300, 118, printer.party_lines(shipment.buyer), size=9,
                             max_width=250)
    y = max(end_left, end_right) + 12
    canvas.text(LEFT, y, f"{label('terms')}: {shipment.incoterm} {shipment.incoterm_place}",
                size=9)
    if "currency_label" in style.options:
        canvas.text(300, y, f"{label('currency')}: {shipment.currency}", size=9)
    if "payment" in style.options:
        y += 14
        canvas.text(LEFT, y, f"{label('payment_terms')}: "
                    f"{printer.pick(LABELS['payment_value'][style.language])}", size=9)
    top = y + 30
    columns = _columns_for(truth, printer, unit_in_qty=False, inline_codes=True,
                           currency_in_header="currency_label" not in style.options)
    rows = _rows(truth, printer, unit_in_qty=False, inline_codes=True)
    look = TableLook(size=8.5, padding=2.5)
    totals = _totals(truth, printer, colon=True, currency_in_label=False)

    def furniture(number: int, count: int) -> float:
        _page_number(canvas, printer, number, count)
        if number == 1:
            return top
        canvas.text(LEFT, 36, f"{label('invoice_title')} {truth.number} - "
                    f"{label('page')} {number}", size=10, bold=True)
        return 66.0

    y, _pages = _draw_table_pages(canvas, truth, printer, columns, rows, look, first_top=top,
                                  next_top=66.0, totals_height=len(totals) * 14 + 24,
                                  carry=False, furniture=furniture)
    canvas.hline(LEFT, RIGHT, y + 2)
    y += 12
    for key, value, bold in totals:
        canvas.text(330, y, key, size=9, bold=bold)
        canvas.text(455, y, value, size=9, bold=bold, align="R", width=100)
        y += 14
