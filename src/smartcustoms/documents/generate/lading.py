"""Bills of lading: ground truth from a shipment, and three layouts.

* ``grid``: the classic carrier form, parties in boxes down the left, title and B/L number
  on the right, a row of transport boxes, one goods row with all containers and seals;
* ``columns``: a sea waybill with 'Label: value' pairs in two columns and one line per
  container ('Container: …  Seal: …  Type: …');
* ``stacked``: labels on their own line above the value, and a container table with
  separate seal, type, package and weight columns and a total row.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from smartcustoms.documents.generate.canvas import LEFT, RIGHT, Canvas
from smartcustoms.documents.generate.catalog import CONTAINER_TYPES
from smartcustoms.documents.generate.content import DocumentStyle, Shipment
from smartcustoms.documents.generate.printing import Printer
from smartcustoms.documents.generate.table import (
    Column,
    TableLook,
    draw_header,
    draw_row,
    fit_widths,
)
from smartcustoms.documents.models import BillOfLading, Container


def _port(printer: Printer, port: str, country: str) -> str:
    text = f"{port}, {printer.country(country)}"
    return text.upper() if printer.style.variant % 2 else text


def lading_truth(shipment: Shipment, style: DocumentStyle) -> BillOfLading:
    printer = Printer(style)
    return BillOfLading(
        number=shipment.bl_number, date=shipment.bl_date,
        shipper=printer.party(shipment.seller), consignee=printer.party(shipment.buyer),
        notify=printer.party(shipment.notify) if "notify_block" in style.options else None,
        port_of_loading=_port(printer, shipment.port_of_loading,
                              shipment.seller.place.country),
        port_of_discharge=_port(printer, shipment.port_of_discharge,
                                shipment.buyer.place.country),
        vessel=shipment.vessel, voyage=shipment.voyage,
        containers=[Container(number=number, seals=list(seals))
                    for number, seals in shipment.containers],
        packages=shipment.total_packages, package_kind=shipment.package_kind,
        gross_mass_kg=shipment.total_gross_kg,
    )


def render_bill_of_lading(shipment: Shipment, style: DocumentStyle) -> bytes:
    truth = lading_truth(shipment, style)
    canvas = Canvas(style.font, title=f"{style.label('bl_title')} {truth.number}")
    canvas.page()
    draw = {"grid": _grid, "columns": _columns, "stacked": _stacked}[style.layout]
    draw(canvas, shipment, truth, Printer(style))
    return canvas.output()


def _goods(shipment: Shipment, printer: Printer) -> str:
    names = [line.product.name(printer.language) for line in shipment.lines[:3]]
    more = ", ..." if len(shipment.lines) > 3 else ""
    return "SAID TO CONTAIN: " + ", ".join(names) + more


def _volume(shipment: Shipment) -> Decimal:
    return (shipment.total_gross_kg / Decimal(180)).quantize(Decimal("0.001"), ROUND_HALF_UP)



def _grid(canvas: Canvas, shipment: Shipment, truth: BillOfLading, printer: Printer) -> None:
    label, style = printer.label, printer.style
    mid = 297.5
    canvas.field_box(LEFT, 40, mid - LEFT, 90, label("shipper"),
                     printer.party_lines(shipment.seller))
    canvas.field_box(LEFT, 130, mid - LEFT, 90, label("consignee"),
                     printer.party_lines(shipment.buyer))
    if truth.notify is not None:
        canvas.field_box(LEFT, 220, mid - LEFT, 90, label("notify"),
                         printer.party_lines(shipment.notify))
    canvas.text(mid, 48, label("bl_title"), size=16, bold=True, align="C", width=RIGHT - mid)
    canvas.text(mid, 72, shipment.carrier, size=10, align="C", width=RIGHT - mid)
    canvas.field_box(mid, 130, RIGHT - mid, 45, label("bl_number"), [truth.number or ""],
                     size=11, bold_first=True)
    quarter = (RIGHT - LEFT) / 4
    for index, (key, value) in enumerate((
            ("vessel", truth.vessel), ("voyage", truth.voyage),
            ("pol", truth.port_of_loading), ("pod", truth.port_of_discharge))):
        canvas.field_box(LEFT + index * quarter, 318, quarter, 40, label(key), [value or ""],
                         size=8.5)
    columns = [Column("containers", label("container_seal"), 130),
               Column("marks", label("marks"), 90),
               Column("packages", label("packages"), 70, "R"),
               Column("goods", label("goods"), 150),
               Column("gross", label("gross"), 75, "R")]
    if "measurement" in style.options:
        columns.append(Column("measurement", label("measurement"), 60, "R"))
    columns = fit_widths(columns, RIGHT - LEFT)
    look = TableLook(boxed=True, header_fill=235, size=8.5)
    y = draw_header(canvas, LEFT, 372, columns, look)
    assert truth.packages is not None and truth.gross_mass_kg is not None
    container_lines = [f"{c.number} / {' / '.join(c.seals)}" for c in truth.containers]
    draw_row(canvas, LEFT, y, columns, {
        "containers": "\n".join(container_lines), "marks": "\n".join(shipment.marks),
        "packages": printer.packages(truth.packages, truth.package_kind or "PK"),
        "goods": _goods(shipment, printer),
        "gross": f"{printer.mass(truth.gross_mass_kg)} KGS",
        "measurement": f"{printer.number(_volume(shipment), 3)} CBM",
    }, look)
    assert truth.date is not None
    fourth = (RIGHT - LEFT) / 4
    for index, (key, value) in enumerate((
            ("freight_payable", _port(printer, shipment.port_of_loading,
                                      shipment.seller.place.country)
             if shipment.incoterm in ("EXW", "FCA", "FOB") else "PREPAID"),
            ("place_of_issue", shipment.seller.place.city),
            ("bl_date", printer.date(truth.date)),
            ("originals", "3 (THREE)"))):
        canvas.field_box(LEFT + index * fourth, 690, fourth, 40, label(key), [value], size=8.5)


def _columns(canvas: Canvas, shipment: Shipment, truth: BillOfLading,
             printer: Printer) -> None:
    label = printer.label
    canvas.text(LEFT, 36, label("bl_title"), size=18, bold=True)
    canvas.text(300, 40, f"{label('bl_number')}: {truth.number}", size=10, bold=True,
                align="R", width=255)
    canvas.text(LEFT, 62, f"{label('carrier')}: {shipment.carrier}", size=9)
    y = 92.0
    blocks = [("shipper", shipment.seller), ("consignee", shipment.buyer)]
    if truth.notify is not None:
        blocks.append(("notify", shipment.notify))
    for key, company in blocks:
        canvas.text(LEFT, y, label(key) + ":", size=9, bold=True)
        y = canvas.lines(LEFT, y + 14, printer.party_lines(company), size=9,
                         max_width=250) + 10
    assert truth.date is not None
    ry = 92.0
    for key, value in (("vessel", truth.vessel), ("voyage", truth.voyage),
                       ("pol", truth.port_of_loading), ("pod", truth.port_of_discharge),
                       ("bl_date", printer.date(truth.date)),
                       ("place_of_issue", shipment.seller.place.city)):
        canvas.text(310, ry, f"{label(key)}: {value}", size=9)
        ry += 16
    y = max(y, ry) + 16
    canvas.hline(LEFT, RIGHT, y - 6)
    types = CONTAINER_TYPES
    for index, container in enumerate(truth.containers):
        seals = ", ".join(container.seals)
        canvas.text(LEFT, y, f"{label('container')}: {container.number}", size=9)
        canvas.text(250, y, f"{label('seal')}: {seals}", size=9)
        canvas.text(430, y, f"Type: {types[(printer.style.variant + index) % len(types)]}",
                    size=9)
        y += 15
    assert truth.packages is not None and truth.gross_mass_kg is not None
    y += 10
    canvas.text(LEFT, y, f"{label('packages')}: "
                f"{printer.packages(truth.packages, truth.package_kind or 'PK')}", size=9)
    canvas.text(310, y, f"{label('gross')}: {printer.mass(truth.gross_mass_kg)}", size=9)
    y += 18
    for line in canvas.wrap(f"{label('goods')}: {_goods(shipment, printer)}", RIGHT - LEFT):
        canvas.text(LEFT, y, line, size=9)
        y += 12


def _split(total: int, parts: int) -> list[int]:
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def _stacked(canvas: Canvas, shipment: Shipment, truth: BillOfLading,
             printer: Printer) -> None:
    label, style = printer.label, printer.style
    canvas.text(LEFT, 32, label("bl_title"), size=16, bold=True, align="C", width=RIGHT - LEFT)
    canvas.text(LEFT, 52, shipment.carrier, size=9, align="C", width=RIGHT - LEFT)
    assert truth.date is not None
    y = 84.0
    fields = [("bl_number", [truth.number or ""]), ("bl_date", [printer.date(truth.date)]),
              ("shipper", printer.party_lines(shipment.seller)),
              ("consignee", printer.party_lines(shipment.buyer))]
    if truth.notify is not None:
        fields.append(("notify", printer.party_lines(shipment.notify)))
    for key, lines in fields:
        canvas.text(LEFT, y, label(key), size=7.5, bold=True)
        y = canvas.lines(LEFT, y + 11, lines, size=9.5) + 8
    ry = 84.0
    for key, value in (("vessel", truth.vessel), ("voyage", truth.voyage),
                       ("pol", truth.port_of_loading), ("pod", truth.port_of_discharge)):
        canvas.text(330, ry, label(key), size=7.5, bold=True)
        canvas.text(330, ry + 11, value or "", size=9.5)
        ry += 32
    y = max(y, ry) + 14
    assert truth.packages is not None and truth.gross_mass_kg is not None
    count = len(truth.containers)
    packages = _split(truth.packages, count)
    gross_each = (truth.gross_mass_kg / count).quantize(Decimal("0.01"), ROUND_HALF_UP)
    grosses = [gross_each] * (count - 1) + [truth.gross_mass_kg - gross_each * (count - 1)]
    columns = [Column("container", label("container"), 100), Column("seal", label("seal"), 110)]
    if "type_column" in style.options:
        columns.append(Column("type", "Type", 50))
    columns += [Column("packages", label("packages"), 100, "R"),
                Column("gross", label("gross"), 120, "R")]
    columns = fit_widths(columns, RIGHT - LEFT)
    look = TableLook(header_fill=230)
    y = draw_header(canvas, LEFT, y, columns, look)
    kind = truth.package_kind or "PK"
    for index, container in enumerate(truth.containers):
        y = draw_row(canvas, LEFT, y, columns, {
            "container": container.number, "seal": " / ".join(container.seals),
            "type": CONTAINER_TYPES[index % len(CONTAINER_TYPES)],
            "packages": printer.packages(packages[index], kind),
            "gross": printer.mass(grosses[index]),
        }, look)
    canvas.hline(LEFT, RIGHT, y)
    y = draw_row(canvas, LEFT, y, columns, {
        "container": label("total_row"), "packages": printer.packages(truth.packages, kind),
        "gross": printer.mass(truth.gross_mass_kg)}, look, bold=True)
    y += 16
    for line in canvas.wrap(f"{label('goods')}: {_goods(shipment, printer)}", RIGHT - LEFT):
        canvas.text(LEFT, y, line, size=9)
        y += 12
