"""Reading a packing list: parties, marks, the line table with packages and masses, the
totals (labelled, or the table's total row) and container numbers."""

from __future__ import annotations

import re
from decimal import Decimal

from smartcustoms.declarations.models import Quantity
from smartcustoms.documents.errors import DocumentValueInvalid
from smartcustoms.documents.extract.common import (
    Context,
    date_reader,
    missing_paths,
    read_containers,
    reference,
)
from smartcustoms.documents.extract.invoice import ARITHMETIC_REPAIR
from smartcustoms.documents.extract.labels import Candidate, PageText
from smartcustoms.documents.extract.layout import Word
from smartcustoms.documents.extract.ocrcells import repaired
from smartcustoms.documents.extract.tables import Row, Table, read_table
from smartcustoms.documents.models import PackingLine, PackingList
from smartcustoms.documents.parsing import (
    parse_packages,
    parse_unit,
)

_WANTED = (frozenset({"description", "packages"}), frozenset({"description", "net"}),
           frozenset({"description", "gross"}), frozenset({"marks", "packages"}))
LINE_FIELDS = ("description", "quantity", "packages", "package_kind", "net_mass_kg",
               "gross_mass_kg")
_COLUMN_OF = {"description": "description", "quantity": "qty", "packages": "packages",
              "net_mass_kg": "net", "gross_mass_kg": "gross"}


def read_packing_list(text: PageText, fallback_shipper: Candidate | None) -> tuple[
        PackingList, Context, list[str]]:
    table = read_table(text, wanted=_WANTED)
    ctx = Context.build(text)

    def marks(c: Candidate) -> tuple[str, float]:
        block = ctx.text.block_from(c)
        read = [_carton_numbers(list(line)) for line in block.lines]
        lines = [" ".join(w.text for w in line) for line in read]
        ctx.note("marks", [w for line in read for w in line], 0.9)
        return " / ".join(lines), 1.0

    values: dict[str, object] = {
        "number": ctx.read("number", "number", reference),
        "date": ctx.read("date", "date", date_reader(ctx)),
        "invoice_number": ctx.read("invoice_number", "invoice_number", reference),
        "shipper": ctx.party("shipper", "shipper", fallback=fallback_shipper),
        "consignee": ctx.party("consignee", "consignee"),
    }
    marks_value = ctx.read("marks", "marks", marks)
    if marks_value is not None:
        values["marks"] = marks_value
        evidence = ctx.evidence["marks"]
        ctx.evidence["marks"] = evidence
    lines, absent = _lines(ctx, table)
    values["lines"] = lines
    containers = read_containers(ctx, with_seals=False)
    _totals(ctx, table, values, len(containers) or None)
    values["containers"] = [c.number for c in containers]
    for index, container in enumerate(containers):
        ctx.note(f"containers[{index}]", container.words, 0.97)
    document = PackingList(**values)  # type: ignore[arg-type]
    _check_sums(ctx, document)
    missing = missing_paths(document, {"lines": LINE_FIELDS}, {"lines": absent})
    return document, ctx, missing


# 'C/NO. 1-204' (carton numbers) in shipping marks, as OCR reads it: 'CNO.', 'ONO.'.
_CARTON_NO = re.compile(r"^[CO0]/?(N[O0o]\.?)$")
_NUMBER_RANGE = re.compile(r"^\d+-\d+$")


def _carton_numbers(words: list[Word]) -> list[Word]:
    """The words of a line of marks, with the 'C/NO.' before a range of carton numbers
    that OCR read without its slash ('ONO. 1-204') put back, and named."""
    out = list(words)
    for i, word in enumerate(words[:-1]):
        found = _CARTON_NO.match(word.text)
        if (word.source == "ocr" and found is not None and "/" not in word.text
                and _NUMBER_RANGE.match(words[i + 1].text)):
            out[i] = repaired(word, "C/" + found.group(1).replace("0", "O"))
    return out


def _lines(ctx: Context, table: Table | None) -> tuple[list[PackingLine], set[str]]:
    if table is None:
        return [], set()
    ctx.learn_from_counts(table.rows)
    ctx.learn_from_masses((row.text(key), _count(row)) for row in table.rows
                          for key in ("net", "gross") if row.cells.get(key))
    out = [_line(ctx, table, row, index) for index, row in enumerate(table.rows)]
    absent = {f for f, column in _COLUMN_OF.items() if not table.has(column)}
    if not any(line.package_kind for line in out):
        absent.add("package_kind")
    return out, absent


def _packages_text(table: Table | None, row: Row) -> str:
    """'12 cartons' from the packages cell, the kind column, or a header that names the
    kind ('CTNS' over '12')."""
    text = " ".join(t for t in (row.text("packages"), row.text("kind")) if t)
    if text and table is not None and not any(c.isalpha() for c in text):
        note = table.note("packages")
        try:
            # 'Packages' or 'Colis' over the count names no kind; 'CTNS' or 'Pallets' does
            if note and parse_packages(f"1 {note}")[1] not in (None, "PK"):
                return f"{text} {note}"
        except DocumentValueInvalid:
            pass
    return text


def _count(row: Row) -> int | None:
    try:
        return parse_packages(row.text("packages"))[0] if row.cells.get("packages") else None
    except DocumentValueInvalid:
        return None


def _line(ctx: Context, table: Table, row: Row, index: int) -> PackingLine:
    path = f"lines[{index}]"
    values: dict[str, object] = {}
    description = row.text("description")
    if description:
        values["description"] = description
        ctx.note(f"{path}.description", row.cells["description"], 0.93, method="pdf-table")
    if row.cells.get("qty"):
        try:
            unit_text = row.text("unit") or table.note("qty")
            unit = parse_unit(unit_text, field=f"{path}.quantity") if unit_text else None
            value, code, sure = ctx.quantity(row.text("qty"), f"{path}.quantity",
                                             unit=unit)
            values["quantity"] = Quantity(value=value, unit=code)
            ctx.note(f"{path}.quantity", row.cells["qty"] + row.cells.get("unit", []),
                     0.95 * sure, method="pdf-table")
        except (DocumentValueInvalid, ValueError) as exc:
            ctx.problem(f"{path}.quantity", str(exc), row.text("qty"))
    packages_text = _packages_text(table, row)
    if packages_text:
        try:
            count, kind = parse_packages(packages_text, field=f"{path}.packages")
            values["packages"] = count
            words = row.cells.get("packages", []) + row.cells.get("kind", [])
            ctx.note(f"{path}.packages", words, 0.95, method="pdf-table")
            if kind is not None:
                values["package_kind"] = kind
                # The kind is what its words say ('Kartons'): how sure OCR was of a lone
                # count digit beside them is the count's doubt, not the kind's.
                named = [w for w in words if any(c.isalpha() for c in w.text)]
                ctx.note(f"{path}.package_kind", named or words, 0.93, method="pdf-table")
        except DocumentValueInvalid as exc:
            ctx.problem(f"{path}.packages", exc.detail, packages_text)
    for key, field in (("net", "net_mass_kg"), ("gross", "gross_mass_kg")):
        if row.cells.get(key):
            try:
                mass, certainty = ctx.mass(
                    row.text(key), f"{path}.{field}",
                    packages=values.get("packages"))  # type: ignore[arg-type]
                if mass <= 0:  # '1045-' or '(1045)': OCR took a speck for a sign
                    ctx.problem(f"{path}.{field}", "a mass must be more than 0",
                                row.text(key))
                    continue
                values[field] = mass
                ctx.note(f"{path}.{field}", row.cells[key], 0.95 * certainty,
                         method="pdf-table")
            except DocumentValueInvalid as exc:
                ctx.problem(f"{path}.{field}", exc.detail, row.text(key))
    _masses_apart(ctx, values, path)
    return PackingLine(**values)  # type: ignore[arg-type]


# OCR reads a line's '11.000' kg as '11,000' (the thousands mark) or loses its point
# ('14400', '17840' for '178.40'), and a mass comes out 10 to 1000 times too large. The net
# mass of a line lies between GROSS_SHARE of its gross mass and all of it; when one of the
# two masses breaks that, and one of 10, 100, 1000 (1000 alone when the reading has a
# separator before three digits) brings it back inside (a span under a factor of 10: at
# most one does), that reading is taken: named in the evidence, less sure. Only where the
# other mass shows the document prints decimals: a gross '40' beside a net '3' is a crate.
GROSS_SHARE = Decimal("0.2")
_LAST_GROUP_OF_THREE = re.compile(r"\d[.,'’]\d{3}$")
_DECIMALS = re.compile(r"\d[.,]\d{1,3}$")


def _masses_apart(ctx: Context, values: dict[str, object], path: str) -> None:
    net, gross = values.get("net_mass_kg"), values.get("gross_mass_kg")
    if not isinstance(net, Decimal) or not isinstance(gross, Decimal) or net <= 0:
        return
    if net > gross:
        field, value, low, high = "net_mass_kg", net, GROSS_SHARE * gross, gross
        why = f"more than the gross mass {gross}"
    elif gross > net / GROSS_SHARE:
        field, value, low, high = "gross_mass_kg", gross, net, net / GROSS_SHARE
        why = f"more than {1 / GROSS_SHARE:g} times the net mass {net}"
    else:
        return
    evidence = ctx.evidence.get(f"{path}.{field}")
    partner = "gross_mass_kg" if field == "net_mass_kg" else "net_mass_kg"
    other = ctx.evidence.get(f"{path}.{partner}")
    if evidence is None or evidence.method != "ocr" or other is None:
        return
    read = evidence.text.split(" (OCR")[0].strip()
    if not _DECIMALS.search(other.text.split(" (OCR")[0].strip()):
        return  # masses printed without decimals ('40' kg): nothing to restore
    if _LAST_GROUP_OF_THREE.search(read):
        divisors = [Decimal(1000)]
    elif any(mark in read for mark in ".,'’"):
        return
    else:
        divisors = [Decimal(10), Decimal(100), Decimal(1000)]
    fits = [value / d for d in divisors if low <= value / d <= high]
    if len(fits) != 1:
        return
    values[field] = fits[0]
    ctx.evidence[f"{path}.{field}"] = evidence.model_copy(update={
        "confidence": round(evidence.confidence * ARITHMETIC_REPAIR, 3),
        "text": f"{evidence.text} (OCR read {value}, {why}; with its decimal mark "
                f"restored, {fits[0]})"})


def _totals(ctx: Context, table: Table | None, values: dict[str, object],
            containers: int | None) -> None:
    def packages(c: Candidate) -> tuple[tuple[int, str | None], float]:
        return parse_packages(c.text, field="total_packages"), 1.0

    counted = ctx.read("total_packages", "total_packages", packages, last=True)
    if counted is not None:
        values["total_packages"], kind = counted
        if kind is not None:
            values["package_kind"] = kind
            ctx.evidence["package_kind"] = ctx.evidence["total_packages"]
    if values.get("total_packages") is None and table is not None and table.total_row:
        _total_packages(ctx, table, table.total_row, values)

    def mass(c: Candidate, field: str) -> tuple[Decimal, float]:
        return ctx.mass(c.text, field, packages=values.get("total_packages"),  # type: ignore[arg-type]
                        containers=containers)

    values["total_net_mass_kg"] = ctx.read("total_net", "total_net_mass_kg",
                                           lambda c: mass(c, "total_net_mass_kg"), last=True)
    values["total_gross_mass_kg"] = ctx.read("total_gross", "total_gross_mass_kg",
                                             lambda c: mass(c, "total_gross_mass_kg"),
                                             last=True)
    row = table.total_row if table is not None else None
    if row is None:
        return
    if values.get("package_kind") is None and table is not None:
        _total_packages(ctx, table, row, values)
    for key, field in (("net", "total_net_mass_kg"), ("gross", "total_gross_mass_kg")):
        if values.get(field) is None and row.cells.get(key):
            try:
                values[field], certainty = ctx.mass(
                    row.text(key), field, packages=values.get("total_packages"),  # type: ignore[arg-type]
                    containers=containers)
                ctx.note(field, row.cells[key], 0.93 * certainty, method="pdf-table")
            except DocumentValueInvalid as exc:
                ctx.problem(field, exc.detail, row.text(key))


def _total_packages(ctx: Context, table: Table, row: Row, values: dict[str, object]) -> None:
    """Count and kind from the table's total row ('Total | 45 | cartons')."""
    text = _packages_text(table, row)
    if not text:
        return
    try:
        count, kind = parse_packages(text, field="total_packages")
    except DocumentValueInvalid as exc:
        ctx.problem("total_packages", exc.detail, text)
        return
    words = row.cells.get("packages", []) + row.cells.get("kind", [])
    if values.get("total_packages") is None:
        values["total_packages"] = count
        ctx.note("total_packages", words, 0.93, method="pdf-table")
    if kind is not None and values.get("package_kind") is None:
        values["package_kind"] = kind
        ctx.note("package_kind", words, 0.9, method="pdf-table")


# The confidence of a value its column's total confirms (above review's threshold).
SUM_CONFIRMED = 0.95


def _check_sums(ctx: Context, document: PackingList) -> None:
    lines = document.lines
    if not lines:
        return
    for total_field, line_field in (("total_net_mass_kg", "net_mass_kg"),
                                    ("total_gross_mass_kg", "gross_mass_kg"),
                                    ("total_packages", "packages")):
        total = getattr(document, total_field)
        parts = [getattr(line, line_field) for line in lines]
        if total is None or any(p is None for p in parts):
            continue
        added = sum(parts)
        if abs(Decimal(added) - Decimal(total)) > Decimal("0.01") * len(parts):
            ctx.problem(total_field, f"the lines add up to {added}, the total says {total}",
                        str(total))
            continue
        # Every line's value and the total agree: each is confirmed by the others, however
        # unsure OCR was of its digits (a lone '3' in Times is read at 0.3), as the line
        # arithmetic of an invoice confirms its numbers.
        for path in (total_field, *(f"lines[{i}].{line_field}" for i in range(len(lines)))):
            evidence = ctx.evidence.get(path)
            if evidence is not None and evidence.confidence < SUM_CONFIRMED:
                ctx.evidence[path] = evidence.model_copy(update={"confidence": SUM_CONFIRMED})
