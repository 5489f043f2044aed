"""Packing lists: ground truth from a shipment, and three layouts.

* ``letterhead``: shipper as letterhead, a label/value block on the right, consignee and
  shipping marks below, a ruled table whose last row holds the totals;
* ``grid``: boxes with small labels; packages printed with their kind ('12 cartons');
  totals as labelled lines under the table;
* ``columns``: inline 'Label: value' pairs, shipper and consignee side by side, a plain
  table, totals as labelled lines.
"""

from __future__ import annotations

from smartcustoms.declarations.models import Quantity
from smartcustoms.documents.generate.canvas import LEFT, RIGHT, Canvas
from smartcustoms.documents.generate.content import DocumentStyle, Shipment
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
from smartcustoms.documents.models import PackingLine, PackingList

BOTTOM = 780.0


def _kind_per_line(style: DocumentStyle) -> bool:
    return style.layout == "grid" or "kind_column" in style.options


def packing_truth(shipment: Shipment, style: DocumentStyle) -> PackingList:
    printer = Printer(style)
    per_line_kind = _kind_per_line(style)
    lines = [
        PackingLine(
            description=line.product.name(style.language),
            quantity=Quantity(value=line.quantity, unit=line.product.unit),
            packages=line.packages, package_kind=line.package_kind if per_line_kind else None,
            net_mass_kg=line.net_kg, gross_mass_kg=line.gross_kg,
        )
        for line in shipment.lines
    ]
    return PackingList(
        number=shipment.packing_number,
        date=shipment.packing_date if "date" in style.options else None,
        invoice_number=shipment.invoice_number if "invoice_ref" in style.options else None,
        shipper=printer.party(shipment.seller), consignee=printer.party(shipment.buyer),
        marks=" / ".join(shipment.marks), lines=lines,
        total_packages=shipment.total_packages, package_kind=shipment.package_kind,
        total_net_mass_kg=shipment.total_net_kg, total_gross_mass_kg=shipment.total_gross_kg,
        containers=[number for number, _seals in shipment.containers],
    )


def render_packing_list(shipment: Shipment, style: DocumentStyle) -> bytes:
    truth = packing_truth(shipment, style)
    canvas = Canvas(style.font, title=f"{style.label('packing_title')} {truth.number}")
    draw = {"letterhead": _letterhead, "grid": _grid, "columns": _columns}[style.layout]
    draw(canvas, shipment, truth, Printer(style))
    return canvas.output()


def _columns_for(printer: Printer, *, kind_in_packages: bool, kind_column: bool,
                 unit_in_qty: bool) -> list[Column]:
    label = printer.label
    columns = [Column("pos", label("pos"), 24),
               Column("description", label("description"), 200)]
    if unit_in_qty:
        columns.append(Column("qty", label("qty"), 66, "R"))
    else:
        columns += [Column("qty", label("qty"), 44, "R"), Column("unit", label("unit"), 36)]
    columns.append(Column("packages", label("packages"), 74 if kind_in_packages else 48,
                          "R"))
    if kind_column:
        columns.append(Column("kind", "", 62))
    columns += [Column("net", label("net"), 62, "R"), Column("gross", label("gross"), 62, "R")]
    return fit_widths(columns, RIGHT - LEFT)


def _rows(shipment: Shipment, printer: Printer, *, kind_in_packages: bool,
          unit_in_qty: bool) -> list[dict[str, str]]:
    rows = []
    for index, line in enumerate(shipment.lines, start=1):
        quantity, unit = printer.quantity(line.quantity), printer.unit(line.product.unit)
        packages = printer.packages(line.packages, line.package_kind)
        rows.append({
            "pos": str(index), "description": line.product.name(printer.language),
            "qty": f"{quantity} {unit}" if unit_in_qty else quantity, "unit": unit,
            "packages": packages if kind_in_packages else str(line.packages),
            "kind": packages.split(" ", 1)[1],
            "net": printer.mass(line.net_kg), "gross": printer.mass(line.gross_kg),
        })
    return rows


def _table(canvas: Canvas, printer: Printer, columns: list[Column], rows: list[dict[str, str]],
           look: TableLook, *, top: float, next_top: float, reserve: float,
           furniture: Furniture, total_row: dict[str, str] | None) -> float:
    heights = [row_height(canvas, columns, row, look) for row in rows]
    head = header_height(canvas, columns, look)
    extra = row_height(canvas, columns, total_row, look) if total_row else 0.0
    pages = paginate(heights, first_space=BOTTOM - top - head,
                     next_space=BOTTOM - next_top - head, last_reserve=reserve + extra)
    y = top
    for number, page_rows in enumerate(pages, start=1):
        if number > 1:
            canvas.page()
        y = furniture(number, len(pages))
        y = draw_header(canvas, LEFT, y, columns, look)
        for index in page_rows:
            y = draw_row(canvas, LEFT, y, columns, rows[index], look)
    if total_row:
        canvas.hline(LEFT, RIGHT, y)
        y = draw_row(canvas, LEFT, y, columns, total_row, look, bold=True)
    return y


def _totals_lines(truth: PackingList, printer: Printer, suffix: str) -> list[tuple[str, str]]:
    assert truth.total_packages is not None and truth.package_kind is not None
    assert truth.total_net_mass_kg is not None and truth.total_gross_mass_kg is not None
    return [
        (printer.label("total_packages") + suffix,
         printer.packages(truth.total_packages, truth.package_kind)),
        (printer.label("total_net") + suffix, f"{printer.mass(truth.total_net_mass_kg)} kg"),
        (printer.label("total_gross") + suffix,
         f"{printer.mass(truth.total_gross_mass_kg)} kg"),
    ]


def _container_line(truth: PackingList, printer: Printer) -> str:
    return f"{printer.label('container')}: {', '.join(truth.containers)}"


def _page_number(canvas: Canvas, printer: Printer, number: int, count: int) -> None:
    canvas.text(LEFT, 812, f"{printer.label('page')} {number} {printer.label('of')} {count}",
                size=8, align="R", width=RIGHT - LEFT)


def _letterhead(canvas: Canvas, shipment: Shipment, truth: PackingList,
                printer: Printer) -> None:
    style, label = printer.style, printer.label
    canvas.page()
    room = RIGHT - LEFT - canvas.width(label("packing_title"), 17, True) - 24
    name_size = min(14.0, 14 * room / canvas.width(shipment.seller.name, 14, True))
    canvas.text(LEFT, 36, shipment.seller.name, size=name_size, bold=True)
    canvas.lines(LEFT, 56, printer.party_lines(shipment.seller)[1:], size=9)
    canvas.text(300, 36, label("packing_title"), size=17, bold=True, align="R", width=255)
    info = [(label("packing_number"), truth.number or "")]
    if truth.date:
        info.append((label("date"), printer.date(truth.date)))
    if truth.invoice_number:
        info.append((label("invoice_ref"), truth.invoice_number))
    y = 112.0
    for key, value in info:
        canvas.text(330, y, key, size=8.5, bold=True)
        canvas.text(440, y, value, size=9)
        y += 14
    canvas.text(LEFT, 136, label("consignee") + ":", size=9, bold=True)
    end = canvas.lines(LEFT, 150, printer.party_lines(shipment.buyer), size=9,
                       max_width=250)
    canvas.text(330, 160, label("marks") + ":", size=9, bold=True)
    marks_end = canvas.lines(330, 174, list(shipment.marks), size=9)
    top = max(end, marks_end) + 20
    kind_column = "kind_column" in style.options
    columns = _columns_for(printer, kind_in_packages=False, kind_column=kind_column,
                           unit_in_qty=False)
    rows = _rows(shipment, printer, kind_in_packages=False, unit_in_qty=False)
    assert truth.total_net_mass_kg is not None and truth.total_gross_mass_kg is not None
    total_row = {"description": label("total_row"), "packages": str(truth.total_packages),
                 "kind": printer.packages(truth.total_packages or 0,
                                          truth.package_kind or "PK").split(" ", 1)[1],
                 "net": printer.mass(truth.total_net_mass_kg),
                 "gross": printer.mass(truth.total_gross_mass_kg)}
    if not kind_column:
        total_row["packages"] = str(truth.total_packages)

    def furniture(number: int, count: int) -> float:
        _page_number(canvas, printer, number, count)
        if number == 1:
            return top
        canvas.text(LEFT, 36, shipment.seller.name, size=11, bold=True)
        canvas.text(300, 36, f"{label('packing_number')} {truth.number}", size=9,
                    align="R", width=255)
        return 70.0

    y = _table(canvas, printer, columns, rows, TableLook(header_fill=225), top=top,
               next_top=70.0, reserve=60, furniture=furniture, total_row=total_row)
    if not kind_column:
        y += 8
        canvas.text(LEFT, y, f"{label('total_packages')}: "
                    f"{printer.packages(truth.total_packages or 0, truth.package_kind or 'PK')}",
                    size=9)
    canvas.text(LEFT, y + 22, _container_line(truth, printer), size=9)



def _grid(canvas: Canvas, shipment: Shipment, truth: PackingList, printer: Printer) -> None:
    label = printer.label
    canvas.page()
    mid = 297.5
    half = (RIGHT - mid) / 2
    canvas.text(LEFT, 28, label("packing_title"), size=16, bold=True, align="C",
                width=RIGHT - LEFT)
    canvas.field_box(LEFT, 60, mid - LEFT, 100, label("shipper"),
                     printer.party_lines(shipment.seller))
    canvas.field_box(mid, 60, half, 50, label("packing_number"), [truth.number or ""])
    canvas.field_box(mid + half, 60, half, 50, label("date"),
                     [printer.date(truth.date)] if truth.date else [])
    canvas.field_box(mid, 110, RIGHT - mid, 50, label("invoice_ref"),
                     [truth.invoice_number] if truth.invoice_number else [])
    canvas.field_box(LEFT, 160, mid - LEFT, 100, label("consignee"),
                     printer.party_lines(shipment.buyer))
    canvas.field_box(mid, 160, RIGHT - mid, 100, label("marks"), list(shipment.marks))
    canvas.field_box(LEFT, 260, RIGHT - LEFT, 34, label("container"),
                     [", ".join(truth.containers)])
    top = 310.0
    columns = _columns_for(printer, kind_in_packages=True, kind_column=False,
                           unit_in_qty=True)
    rows = _rows(shipment, printer, kind_in_packages=True, unit_in_qty=True)

    def furniture(number: int, count: int) -> float:
        _page_number(canvas, printer, number, count)
        if number == 1:
            return top
        canvas.text(LEFT, 28, f"{label('packing_title')} - {truth.number}", size=11, bold=True)
        return 56.0

    y = _table(canvas, printer, columns, rows, TableLook(boxed=True, header_fill=235),
               top=top, next_top=56.0, reserve=70, furniture=furniture, total_row=None)
    y += 14
    for key, value in _totals_lines(truth, printer, ""):
        canvas.box(300, y, 150, 16)
        canvas.box(450, y, 105, 16)
        canvas.text(304, y + 3, key, size=8.5, bold=True)
        canvas.text(450, y + 3, value, size=8.5, align="R", width=101)
        y += 16


def _columns(canvas: Canvas, shipment: Shipment, truth: PackingList, printer: Printer) -> None:
    style, label = printer.style, printer.label
    canvas.page()
    canvas.text(LEFT, 36, label("packing_title"), size=20, bold=True)
    canvas.text(LEFT, 72, f"{label('packing_number')}: {truth.number}", size=10)
    if truth.date:
        canvas.text(300, 72, f"{label('date')}: "
                    f"{printer.date(truth.date)}", size=10)
    y = 88.0
    if truth.invoice_number:
        canvas.text(LEFT, y, f"{label('invoice_ref')}: {truth.invoice_number}", size=10)
    canvas.text(LEFT, 112, label("shipper") + ":", size=9, bold=True)
    canvas.text(300, 112, label("consignee") + ":", size=9, bold=True)
    end_left = canvas.lines(LEFT, 126, printer.party_lines(shipment.seller), size=9,
                            max_width=250)
    end_right = canvas.lines(300, 126, printer.party_lines(shipment.buyer), size=9,
                             max_width=250)
    y = max(end_left, end_right) + 12
    canvas.text(LEFT, y, label("marks") + ":", size=9, bold=True)
    y = canvas.lines(LEFT + 110, y, list(shipment.marks), size=9)
    top = y + 18
    kind_column = "kind_column" in style.options
    columns = _columns_for(printer, kind_in_packages=False, kind_column=kind_column,
                           unit_in_qty=False)
    rows = _rows(shipment, printer, kind_in_packages=False, unit_in_qty=False)

    def furniture(number: int, count: int) -> float:
        _page_number(canvas, printer, number, count)
        if number == 1:
            return top
        canvas.text(LEFT, 36, f"{label('packing_title')} {truth.number}", size=10, bold=True)
        return 64.0

    y = _table(canvas, printer, columns, rows, TableLook(padding=2.5), top=top, next_top=64.0,
               reserve=90, furniture=furniture, total_row=None)
    canvas.hline(LEFT, RIGHT, y + 2)
    y += 12
    for key, value in _totals_lines(truth, printer, ":"):
        canvas.text(300, y, key, size=9, bold=True)
        canvas.text(455, y, value, size=9, align="R", width=100)
        y += 14
    canvas.text(LEFT, y + 10, _container_line(truth, printer), size=9)
