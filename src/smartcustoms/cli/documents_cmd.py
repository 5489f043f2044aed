"""CLI: document compliance — reading trade documents, valuation bands fitted on the
declaration history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from smartcustoms.cli.common import (
    LazyModule,
    emit,
    err,
    handled,
    iso_date,
    operator,
    out,
    require_schema,
    state,
)
from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput, SmartCustomsError

if TYPE_CHECKING:
    from smartcustoms.documents import valuation_service as valuation
else:  # Polars loads only for the commands that need it
    valuation = LazyModule("smartcustoms.documents.valuation_service")

app = typer.Typer(no_args_is_help=True,
                  help="Document compliance: valuation bands, checks against declarations.")
bands_app = typer.Typer(no_args_is_help=True, help="Unit-value bands per HS6 × origin "
                        "from the declaration history: risk indications, never customs values.")
app.add_typer(bands_app, name="bands")


@app.command("read")
def read_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Digital PDF invoices, packing lists, "
                                                "bills of lading.")],
    kind: Annotated[str | None, typer.Option(
        "--type", help="commercial_invoice, packing_list or bill_of_lading (default: told "
        "from the title).")] = None,
) -> None:
    """Read trade documents: every field with its evidence (page, box, method,
    confidence), what is missing and what could not be used."""
    from smartcustoms.documents import DocumentType, read_document

    st = state(ctx)
    failed = 0
    for path in files:
        with handled(st):
            try:
                document_type = DocumentType(kind) if kind else None
            except ValueError:
                raise InvalidInput(f"--type must be one of "
                                   f"{', '.join(t.value for t in DocumentType)}",
                                   field="type", value=kind) from None
            if not path.is_file():
                raise InvalidInput(f"no such file: {path}", field="file", value=str(path))
            try:
                reading = read_document(path, document_type=document_type)
            except SmartCustomsError as exc:
                failed += 1
                emit(st, {"file": str(path), "error": exc.detail, "code": exc.code},
                     lambda exc=exc, path=path: err.print(
                         f"{escape(str(path))}: {escape(exc.detail)}", highlight=False))
                continue
            emit(st, {"file": str(path), **reading.model_dump(mode="json")},
                 lambda reading=reading, path=path: _print_reading(path, reading))
    if failed:
        raise typer.Exit(1)


@app.command("check")
def check_command(
    ctx: typer.Context,
    declaration: Annotated[str, typer.Argument(
        help="A stored declaration's id, or a declaration JSON file not yet submitted.")],
    files: Annotated[list[Path], typer.Argument(help="Its documents: PDF invoices, packing "
                                                "lists, bills of lading.")],
    tariff_check: Annotated[bool, typer.Option(
        "--tariff/--no-tariff", help="Also check each described item's code against the "
        "active tariff model (when one is active).")] = True,
    attach: Annotated[bool, typer.Option(
        "--attach", help="Keep the files with the stored declaration and store the "
        "findings (shown to officers, risk-rule inputs); a file attached before is not "
        "added again.")] = False,
) -> None:
    """Cross-check a declaration against its documents: totals and currency, quantities,
    masses, packages, parties, Incoterm and charges, dates, containers and seals, codes."""
    from smartcustoms.documents import service as documents

    st = state(ctx)
    with handled(st):
        # The declaration first: a wrong id or file is the likelier mistake.
        declared = None if attach else _declaration(st, declaration)
        uploads = []
        for path in files:
            if not path.is_file():
                raise InvalidInput(f"no such file: {path}", field="file", value=str(path))
            uploads.append(documents.Upload(path.name, path.read_bytes(),
                                            _media_type(path)))
        if attach:
            _attach(st, declaration, uploads, tariff_check)
            return
        assert declared is not None
        classifier = _active_classifier(st) if tariff_check else None
        readings, findings = documents.precheck(declared, uploads, classifier=classifier)
    if st.json:
        for finding in findings:
            emit(st, finding, lambda: None)
        return
    _print_findings(declared.reference, readings, findings)


def _attach(st: Any, declaration_id: str, uploads: list[Any], tariff_check: bool) -> None:
    from smartcustoms.documents import service as documents

    if Path(declaration_id).suffix.casefold() == ".json":
        raise InvalidInput("--attach needs a stored declaration's id, not a JSON file",
                           field="declaration", value=declaration_id)
    require_schema(st)
    with unit_of_work(st.sessions) as session:
        classifier = None
        if tariff_check:
            from smartcustoms.tariff import Classifiers

            classifier = documents.active_classifier(Classifiers(), session, st.settings)
        result = documents.attach_documents(session, declaration_id, uploads,
                                            actor=operator(), now=st.clock(),
                                            classifier=classifier)

    def human() -> None:
        for file in result.files:
            status = (f"[red]not read[/]: {escape(file.error['detail'])}" if file.error
                      else f"{file.document_type}, {file.page_count} page(s)")
            out.print(f"  #{file.id} {escape(file.filename)}: {status}", highlight=False)
        out.print(f"{result.added} file(s) added; {len(result.files)} attached")
        _print_findings(declaration_id, [f for f in result.files if f.read],
                        result.findings)
    emit(st, result, human)


def _media_type(path: Path) -> str:
    return {".pdf": "application/pdf", ".xml": "application/xml", ".png": "image/png",
            ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".tif": "image/tiff",
            ".tiff": "image/tiff"}.get(path.suffix.casefold(), "application/octet-stream")


def _declaration(st: Any, ref: str) -> Any:
    """A stored declaration by id, or one read and validated from a JSON file."""
    import orjson

    from smartcustoms import declarations as decl

    path = Path(ref)
    if path.suffix.casefold() == ".json" or path.is_file():
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise InvalidInput(f"cannot read {path} as JSON: {exc}", field="declaration",
                               value=ref) from None
        return decl.parse_declaration(data, today=st.clock().date())
    require_schema(st)
    with st.sessions() as session:
        return decl.get_declaration(session, ref, actor=operator()).declared


def _active_classifier(st: Any) -> Any:
    """The active tariff model, or None (no model trained here for a document check)."""
    from smartcustoms.tariff import Classifiers, NoTariffModel

    try:
        require_schema(st)
        with st.sessions() as session:
            return Classifiers().get(session, st.settings)[0]
    except (NoTariffModel, SmartCustomsError):
        return None


def _print_findings(reference: str, readings: list[Any], findings: list[Any]) -> None:
    kinds = ", ".join(r.document_type.value.replace("_", " ") for r in readings)
    if not findings:
        out.print(f"[green]{escape(reference)}: no finding[/] against {kinds}",
                  highlight=False)
        return
    table = Table(title=f"{escape(reference)} against {kinds}: {len(findings)} finding(s)",
                  title_justify="left")
    for column in ("severity", "code", "finding", "declared", "document", "page"):
        table.add_column(column, overflow="fold")
    for f in findings:
        declared = f"{f.declared.path} = {f.declared.value}" if f.declared else ""
        document = (f"{f.document.path} = {f.document.value}" if f.document else "")
        page = _where(f.document.evidence) if f.document and f.document.evidence else ""
        table.add_row(f.severity.value, f.code, escape(f.message), escape(declared),
                      escape(document), page)
    out.print(table)


def _print_reading(path: Path, reading: Any) -> None:
    table = Table(title=f"{escape(path.name)}: {reading.document_type.value.replace('_', ' ')}"
                  f" ({reading.page_count} page{'s' if reading.page_count > 1 else ''})",
                  title_justify="left")
    for column in ("field", "value", "where", "method", "conf.", "printed as"):
        table.add_column(column, overflow="fold")
    for field in reading.fields():
        e = field.evidence
        table.add_row(field.path, escape(_shown(field.value)), escape(_where(e)), e.method,
                      f"{e.confidence:.2f}", escape(e.text[:60]))
    out.print(table)
    if reading.missing:
        out.print(f"missing: {', '.join(reading.missing)}", highlight=False)
    for problem in reading.problems:
        out.print(f"[yellow]problem[/] {escape(problem.field)}: {escape(problem.message)}",
                  highlight=False)


def _where(evidence: Any) -> str:
    """The page of a printed value, or the element of an e-invoice's."""
    return str(evidence.page) if evidence.page else str(evidence.xpath)


def _shown(value: Any) -> str:
    if hasattr(value, "amount") and hasattr(value, "currency"):
        return f"{value.amount} {value.currency}"
    if hasattr(value, "value") and hasattr(value, "unit"):
        return f"{value.value} {value.unit}"
    return str(value)


@bands_app.command("fit")
def bands_fit(
    ctx: typer.Context,
    until: Annotated[str | None, typer.Option(help="Fit on declarations lodged up to this "
                                              "date (YYYY-MM-DD); default: all.")] = None,
    min_count: Annotated[int, typer.Option(min=2, help="Items a group needs for a band.")] = 20,
    threshold: Annotated[float, typer.Option(
        min=0.5, help="Robust scales below the median that count as below the band.")] = 3.0,
    check: Annotated[bool, typer.Option("--check/--no-check", help="Then read every "
                                        "stored item against the new bands.")] = True,
) -> None:
    """Fit the bands on the stored declarations and make them the active version."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        version, counts = fit_and_check(st, until=iso_date(until, "until"),
                                        min_count=min_count, threshold=threshold, check=check)

        def human() -> None:
            out.print(f"valuation bands #{version.id} active "
                      f"({version.fit_start} to {version.fit_end})", highlight=False)
            for currency, summary in version.summary.items():
                out.print(f"  {currency}: {summary['bands']:,} bands from "
                          f"{summary['rows']:,} items", highlight=False)
            if counts:
                out.print(f"  {counts['items']:,} stored items read: {counts['with_band']:,} "
                          f"have a band, {counts['below_band']:,} are below it",
                          highlight=False)

        emit(st, {"bands": version.model_dump(mode="json"), "checked": counts}, human)


def fit_and_check(st: Any, *, until: Any = None, min_count: int = 20, threshold: float = 3.0,
                  check: bool = True) -> tuple[Any, dict[str, int] | None]:
    from rich.status import Status

    with Status("fitting valuation bands…", console=err) as status:
        def say(message: str) -> None:
            status.update(f"valuation bands: {escape(message)}")

        with unit_of_work(st.sessions) as session:
            version = valuation.fit_bands(session, actor=operator(), now=st.clock(),
                                          until=until, min_count=min_count,
                                          threshold=threshold, progress=say)
        counts = None
        if check:
            with unit_of_work(st.sessions) as session:
                counts = valuation.check_all_values(session, now=st.clock(), progress=say)
    return version, counts


@bands_app.command("show")
def bands_show(
    ctx: typer.Context,
    hs6: Annotated[str, typer.Argument(help="HS subheading, 6 digits (dots allowed).")],
    origin: Annotated[str | None, typer.Option(help="Country of origin (ISO alpha-2).")] = None,
    currency: Annotated[str | None, typer.Option(help="Price currency (ISO 4217).")] = None,
) -> None:
    """The active bands of one HS6 subheading: per origin and for all origins."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        code = hs6.replace(".", "").strip()
        with st.sessions() as session:
            rows = valuation.band_table(session, code, currency=currency,
                                        origin=origin.upper() if origin else None)

        def human() -> None:
            if not rows:
                out.print(f"no band for HS {escape(code)}", highlight=False)
                return
            table = Table(title=f"valuation bands of HS {code[:4]}.{code[4:]}",
                          title_justify="left")
            for column in ("currency", "origin", "items", "p5", "low", "median", "p95",
                           "from", "to"):
                table.add_column(column, justify="right" if column not in (
                    "currency", "origin") else "left")
            for r in rows:
                table.add_row(r["currency"], r["origin"] or "(all)", f"{r['count']:,}",
                              f"{r['p5']:,.2f}", f"{r['low']:,.2f}", f"{r['median']:,.2f}",
                              f"{r['p95']:,.2f}", str(r["first_date"]), str(r["last_date"]))
            out.print(table)
            out.print("per kg, in the price's currency; a risk indication, not a customs "
                      "value (WTO Valuation Agreement Art. 7.2)", style="dim")

        emit(st, {"hs6": code, "bands": rows}, human)


@bands_app.command("list")
def bands_list(ctx: typer.Context) -> None:
    """Every fitted version, the active one first."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            versions = valuation.list_bands(session)

        def human() -> None:
            table = Table("id", "status", "fitted on", "currencies", "by", "at")
            for v in versions:
                table.add_row(str(v.id), v.status, f"{v.fit_start} to {v.fit_end}",
                              ", ".join(f"{c} ({s['bands']:,})" for c, s in v.summary.items()),
                              escape(v.created_by), v.created_at.isoformat(timespec="seconds"))
            out.print(table)

        emit(st, [v.model_dump(mode="json") for v in versions], human)
