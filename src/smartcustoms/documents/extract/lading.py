"""Reading a bill of lading (or sea waybill): parties, ports, vessel and voyage, the
containers with their seals, and the packages and gross mass (labelled, or from the
goods table)."""

from __future__ import annotations

import re
from decimal import Decimal

from smartcustoms.documents.errors import DocumentValueInvalid
from smartcustoms.documents.extract.common import (
    Context,
    date_reader,
    missing_paths,
    read_containers,
    reference,
)
from smartcustoms.documents.extract.labels import Candidate, PageText
from smartcustoms.documents.extract.tables import Row, read_table
from smartcustoms.documents.models import BillOfLading, Container
from smartcustoms.documents.parsing import parse_packages

_WANTED = (frozenset({"container", "packages"}), frozenset({"container", "gross"}),
           frozenset({"packages", "gross"}), frozenset({"marks", "packages"}))


def read_bill_of_lading(text: PageText) -> tuple[BillOfLading, Context, list[str]]:
    table = read_table(text, wanted=_WANTED)
    ctx = Context.build(text)

    def plain(c: Candidate) -> tuple[str, float]:
        value = c.text.strip(" :")
        if not value or not any(ch.isalnum() for ch in value):
            raise DocumentValueInvalid("empty value", value=value)
        return value, 1.0

    values: dict[str, object] = {
        "number": ctx.read("number", "number", lambda c: reference(c, spaces=False)),
        "date": ctx.read("date", "date", date_reader(ctx)),
        "shipper": ctx.party("shipper", "shipper"),
        "consignee": ctx.party("consignee", "consignee"),
        "notify": ctx.party("notify", "notify"),
        "port_of_loading": ctx.read("port_of_loading", "port_of_loading", plain),
        "port_of_discharge": ctx.read("port_of_discharge", "port_of_discharge", plain),
        "vessel": ctx.read("vessel", "vessel", plain),
        # A voyage number has digits ('462E'): a label's 'n°' read apart is no voyage.
        "voyage": ctx.read("voyage", "voyage", reference),
    }
    if values["vessel"] is None or values["voyage"] is None:
        both = ctx.read("vessel_voyage", "vessel", plain)
        if both is not None and "/" in both:
            vessel, voyage = (part.strip() for part in both.rsplit("/", 1))
            evidence = ctx.evidence["vessel"]
            if values["vessel"] is None:
                values["vessel"] = vessel
            if values["voyage"] is None:
                values["voyage"] = voyage
                ctx.evidence["voyage"] = evidence
    containers = read_containers(ctx, with_seals=True)
    if values["number"] is None and text.pages and text.pages[0].scanned:
        values["number"] = _number_by_form(ctx, text, {c.number for c in containers})
    values["containers"] = [Container(number=c.number, seals=c.seals) for c in containers]
    for index, container in enumerate(containers):
        ctx.note(f"containers[{index}].number", container.words, 0.97)
        for position, word in enumerate(container.seal_words):
            ctx.note(f"containers[{index}].seals[{position}]", [word], 0.9)

    def packages(c: Candidate) -> tuple[tuple[int, str | None], float]:
        return parse_packages(c.text, field="packages"), 1.0

    count = len(containers) or None

    def mass(c: Candidate) -> tuple[Decimal, float]:
        return ctx.mass(c.text, "gross_mass_kg", containers=count)

    counted = ctx.read("packages", "packages", packages)
    if counted is not None:
        values["packages"], values["package_kind"] = counted
        if counted[1] is not None:
            ctx.evidence["package_kind"] = ctx.evidence["packages"]
    values["gross_mass_kg"] = ctx.read("gross", "gross_mass_kg", mass)
    if table is not None:
        row = table.total_row or (table.rows[0] if len(table.rows) == 1 else None)
        if row is not None:
            _from_row(ctx, row, values)
        elif table.rows and values.get("packages") is None:
            ctx.problem("packages", "the goods table has one row per container and no total "
                        "row; the totals are not added up by the reader")
    document = BillOfLading(**values)  # type: ignore[arg-type]
    missing = missing_paths(document, {"containers": ("number",)}, {})
    missing += [f"containers[{i}].seals" for i, c in enumerate(document.containers)
                if not c.seals]
    return document, ctx, missing


# A carrier's B/L number: its four-letter prefix (the carrier's code) and a serial; not
# shaped like a container number (one whose check digit failed is still no B/L number).
_BL_FORM = re.compile(r"^(?![A-Z]{3}[UJZ]\d{7}$)[A-Z]{4}\d{6,12}$")
# A B/L number known by its form alone, its label unread: less sure than a labelled one
# (times OCR's certainty of the word, as every value read from a scan).
BY_FORM_CONFIDENCE = 0.75


def _number_by_form(ctx: Context, text: PageText, containers: set[str]) -> str | None:
    """The B/L number of a scan whose label OCR garbled ('B/L No.' read as 'BA No.'): the
    one word in the upper half of the first page shaped like one (a carrier prefix and
    six to twelve digits) that is no container number; None when there is none, or two."""
    page = text.pages[0]
    found = {word.text: word for line in page.lines if line.top < page.height / 2
             for word in line.words
             if _BL_FORM.match(word.text) and word.text not in containers}
    if len(found) != 1:
        return None
    number, word = next(iter(found.items()))
    ctx.note("number", [word], BY_FORM_CONFIDENCE)
    return number


def _from_row(ctx: Context, row: Row, values: dict[str, object]) -> None:
    if values.get("packages") is None and row.cells.get("packages"):
        text = row.text("packages")
        try:
            count, kind = parse_packages(text.split("\n")[0], field="packages")
            values["packages"] = count
            ctx.note("packages", row.cells["packages"], 0.92, method="pdf-table")
            if kind is not None:
                values["package_kind"] = kind
                ctx.note("package_kind", row.cells["packages"], 0.9, method="pdf-table")
        except DocumentValueInvalid as exc:
            ctx.problem("packages", exc.detail, text)
    if values.get("gross_mass_kg") is None and row.cells.get("gross"):
        text = row.text("gross")
        try:
            count = len(values.get("containers") or []) or None  # type: ignore[arg-type]
            values["gross_mass_kg"], certainty = ctx.mass(text, "gross_mass_kg",
                                                          containers=count)
            ctx.note("gross_mass_kg", row.cells["gross"], 0.92 * certainty,
                     method="pdf-table")
        except DocumentValueInvalid as exc:
            ctx.problem("gross_mass_kg", exc.detail, text)
