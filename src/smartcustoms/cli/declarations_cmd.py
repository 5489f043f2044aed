"""CLI: file imports, declarations, reference lookups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from smartcustoms import declarations as decl
from smartcustoms.cli.common import State, emit, handled, operator, out, require_schema, state
from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput
from smartcustoms.reference import load_hs2022, normalize_hs_code

declarations = typer.Typer(no_args_is_help=True, help="Submit, list and show declarations.")
imports = typer.Typer(no_args_is_help=True, help="Import runs and their quarantine.")
reference = typer.Typer(no_args_is_help=True, help="Reference data lookups.")


@contextmanager
def _schema(st: State) -> Iterator[None]:
    """Check the schema before a read opens its session: a fresh data dir gets the
    one-line 'run `smartcustoms init` first', not a 'no such table' traceback."""
    require_schema(st)
    yield


def run_import(st: State, file: Path, mapping: str | None, fmt: str | None,
               workers: int | None, quiet: bool = False) -> decl.ImportReport:
    require_schema(st)
    if not file.is_file():
        raise InvalidInput(f"no such file: {file}", field="file", value=str(file))
    spec = decl.resolve_mapping(mapping) if mapping else None
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("lines"), TimeElapsedColumn(), console=out,
                  disable=st.json or quiet, transient=False) as progress:
        task = progress.add_task(f"importing {file.name}", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=max(total - (fmt != "json"), done))

        return decl.import_file(
            st.sessions, file, actor=operator(), clock=st.clock, mapping=spec, fmt=fmt,
            chunk_size=st.settings.import_chunk_size,
            commit_rows=st.settings.import_commit_rows,
            bulk_min_rows=st.settings.import_bulk_rows,
            workers=None if workers is None and st.settings.import_workers == 0
            else (workers if workers is not None else st.settings.import_workers),
            on_progress=on_progress,
        )


def print_report(report: decl.ImportReport) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("import run", str(report.id))
    table.add_row("file", escape(f"{report.file_name} ({report.file_bytes:,} bytes)"))
    table.add_row("records read", f"{report.rows_read:,}")
    table.add_row("declarations imported", f"{report.declarations_imported:,} "
                  f"({report.items_imported:,} items)")
    table.add_row("already stored, unchanged", f"{report.declarations_unchanged:,}")
    table.add_row("rows quarantined", f"{report.rows_quarantined:,}")
    out.print(table)
    for note in report.notes or []:
        out.print(f"note: {escape(note)}", highlight=False)
    if report.rows_quarantined:
        out.print(f"see the reasons: smartcustoms imports quarantine {report.id}")


def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV of item rows, JSON or JSON Lines.")],
    mapping: Annotated[str | None, typer.Option(
        "--mapping", "-m", help="Column-mapping YAML (path, or name of a shipped mapping).")]
    = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv, json or jsonl.")] = None,
    workers: Annotated[int | None, typer.Option(help=(
        "Processes that read and validate while this one writes (0: all in this process; "
        "default: one per core but one)."))]
    = None,
) -> None:
    """Import a file: good records are stored, bad ones quarantined with every reason."""
    st = state(ctx)
    with handled(st):
        report = run_import(st, file, mapping, fmt, workers)
        screened = screen_imported(st) if report.declarations_imported else None
    emit(st, report, lambda: print_report(report))
    if screened is not None and not st.json:
        out.print(f"screened the parties of {screened['declarations']:,} declarations "
                  f"({screened['with_named_parties']:,} name them): {screened['hits']:,} "
                  "sanctions hits", highlight=False)


def screen_imported(st: State) -> dict[str, int] | None:
    """Screen the parties of declarations never screened (those just imported) when a
    sanctions list is loaded; None when none is."""
    from smartcustoms.cli.screening_cmd import screeners
    from smartcustoms.screening import service as screening

    with unit_of_work(st.sessions) as session:
        try:
            return screening.rescreen(screeners(), session, now=st.clock(),
                                      only_unscreened=True)
        except screening.NoScreeningList:
            return None


@declarations.command("submit")
def submit(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A JSON declaration.")]
           ) -> None:
    """Validate and store one declaration from a JSON file."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        try:
            data = orjson.loads(file.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise InvalidInput(f"cannot read {file} as JSON: {exc}", field="file",
                               value=str(file)) from None
        with unit_of_work(st.sessions) as session:
            stored, created = decl.submit_declaration(session, data, actor=operator(),
                                                      now=st.clock())
    verb = "stored" if created else "already stored, unchanged:"
    emit(st, stored, lambda: out.print(f"{verb} declaration {stored.id} "
                                       f"(LRN {stored.declared.reference})", highlight=False))


@declarations.command("show")
def show(ctx: typer.Context, declaration_id: str) -> None:
    """Show one declaration as JSON."""
    st = state(ctx)
    with handled(st), _schema(st), st.sessions() as session:
        found = decl.get_declaration(session, declaration_id, actor=operator())
    emit(st, found, lambda: out.print_json(found.model_dump_json()))


@declarations.command("list")
def list_(
    ctx: typer.Context,
    hs_prefix: Annotated[str | None, typer.Option(help="HS code prefix.")] = None,
    importer: Annotated[str | None, typer.Option(help="Importer id.")] = None,
    origin: Annotated[str | None, typer.Option(help="Country of origin.")] = None,
    limit: int = 20,
    offset: int = 0,
) -> None:
    """List declarations, newest first."""
    st = state(ctx)
    f = decl.DeclarationFilter(hs_prefix=hs_prefix, importer_id=importer,
                               origin_country=origin.upper() if origin else None)
    with handled(st), _schema(st), st.sessions() as session:
        page = decl.list_declarations(session, f, actor=operator(), limit=limit, offset=offset)
    if st.json:
        for summary in page.items:
            emit(st, summary, lambda: None)
        return
    table = Table("id", "LRN", "date", "office", "importer", "items", "HS", "origin")
    for s in page.items:
        table.add_row(s.id, s.reference, s.declaration_date.isoformat(), s.office,
                      s.importer_id or "", str(s.item_count), s.first_hs_code or "",
                      ",".join(s.origin_countries))
    out.print(table)
    out.print(f"{page.total:,} declarations match")


@imports.command("list")
def imports_list(ctx: typer.Context, limit: int = 20) -> None:
    """Recent import runs."""
    st = state(ctx)
    with handled(st), _schema(st), st.sessions() as session:
        page = decl.list_imports(session, actor=operator(), limit=limit, offset=0)
    if st.json:
        for report in page.items:
            emit(st, report, lambda: None)
        return
    table = Table("run", "file", "status", "read", "imported", "unchanged", "quarantined")
    for r in page.items:
        table.add_row(str(r.id), r.file_name, r.status, f"{r.rows_read:,}",
                      f"{r.declarations_imported:,}", f"{r.declarations_unchanged:,}",
                      f"{r.rows_quarantined:,}")
    out.print(table)


@imports.command("show")
def imports_show(ctx: typer.Context, run_id: int) -> None:
    """One import run's report."""
    st = state(ctx)
    with handled(st), _schema(st), st.sessions() as session:
        report = decl.get_import(session, run_id, actor=operator())
    emit(st, report, lambda: print_report(report))


@imports.command("quarantine")
def imports_quarantine(ctx: typer.Context, run_id: int, limit: int = 50, offset: int = 0
                       ) -> None:
    """The quarantined records of an import run's file, with every reason."""
    st = state(ctx)
    with handled(st), _schema(st), st.sessions() as session:
        page = decl.get_quarantine(session, run_id, actor=operator(), limit=limit,
                                   offset=offset)
    if st.json:
        for record in page.items:
            emit(st, record, lambda: None)
        return
    for record in page.items:
        out.print(f"[bold]line {record.line}[/] {escape(record.reference or '')}",
                  highlight=False)
        for e in record.errors:
            column = f" (column {e['column']!r})" if e.get("column") else ""
            out.print(escape(f"  {e['field']}{column}: {e['message']}; got {e.get('value')!r}"),
                      highlight=False)
    out.print(f"{page.total:,} quarantined records")


@reference.command("hs")
def hs(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="Keywords, or a code prefix.")] = None,
    limit: int = 20,
) -> None:
    """Look up HS 2022 codes by code prefix or keywords."""
    st = state(ctx)
    with handled(st):
        if not query:
            raise InvalidInput("give keywords or a code prefix", field="query", value=query)
        nomenclature = load_hs2022()
        compact = query.replace(".", "").replace(" ", "")
        if compact.isdigit():
            entries = nomenclature.search(prefix=normalize_hs_code(compact)
                                          if len(compact) in (2, 4, 6) else compact, limit=limit)
        else:
            entries = nomenclature.search(query=query, limit=limit)
    if st.json:
        for e in entries:
            emit(st, {"code": e.code, "level": e.level, "description": e.description}, lambda: None)
        return
    table = Table("code", "level", "description")
    for e in entries:
        table.add_row(e.code, e.level, e.description)
    out.print(table)
