"""Use cases of the declarations capability; every door (API, console, CLI) calls these."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import closing, nullcontext
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.declarations import bulk
from smartcustoms.declarations import repository as repo
from smartcustoms.declarations.bulk import BULK_MIN_ROWS
from smartcustoms.declarations.ingest import (
    COMMIT_ROWS,
    ImportJob,
    chunked,
    default_workers,
    group_csv_rows,
    run_chunks,
    validate_csv_chunk,
    validate_json_chunk,
)
from smartcustoms.declarations.mapping import CompiledMapping, MappingSpec
from smartcustoms.declarations.models import (
    Declaration,
    DeclarationCreate,
    DeclarationList,
    DeclarationStatus,
    DeclarationSummary,
    Profile,
)
from smartcustoms.declarations.prepare import ChunkResult, prepare
from smartcustoms.declarations.reports import (
    ImportReport,
    ImportReportList,
    QuarantinedRecord,
    QuarantineList,
)
from smartcustoms.declarations.sources import (
    csv_header_and_rows,
    detect_format,
    file_fingerprint,
    json_records,
)
from smartcustoms.declarations.tables import DeclarationRow, ImportRunRow
from smartcustoms.declarations.validation import parse_declaration
from smartcustoms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from smartcustoms.identity import Permission, Principal, audit

Clock = Callable[[], dt.datetime]
ProgressFn = Callable[[int, int], None]  # (lines done, lines total)


# --- one declaration ------------------------------------------------------------------------

class Submission(NamedTuple):
    declaration: Declaration
    created: bool  # False: the same declaration was stored before (a retried submission)


def submit_declaration(
    session: Session, data: Any, *, actor: Principal, now: dt.datetime
) -> Submission:
    """Validate and store one declaration; the caller commits."""
    actor.require(Permission.submit_declaration)
    decl = parse_declaration(data, today=now.date())
    prepared = prepare(decl)
    if actor.company_id is not None and not actor.can(Permission.read_all_declarations) \
            and actor.company_id not in (prepared.declarant_id, prepared.importer_id):
        raise PermissionDenied(
            f"company {actor.company_id} is neither the declarant nor the importer of this "
            "declaration", field="parties", value=[prepared.declarant_id, prepared.importer_id],
        )
    stored = repo.stored_digests(session, [prepared.id]).get(prepared.id)
    if stored is not None:
        if stored == prepared.content_digest:
            row = repo.get_declaration(session, prepared.id)
            assert row is not None
            return Submission(to_declaration(row), created=False)
        raise Conflict(
            f"declarant {prepared.declarant_id} has already lodged reference "
            f"{prepared.reference!r} with different content",
            field="reference", value=prepared.reference,
        )
    repo.insert_declarations(session, [prepared], import_run_id=None,
                             submitted_by=actor.user_id, now=now)
    audit.record(session, actor=actor.username, action="declaration.submit",
                 entity_type="declaration", entity_id=prepared.id,
                 detail={"reference": prepared.reference, "digest": prepared.content_digest},
                 now=now)
    row = repo.get_declaration(session, prepared.id)
    assert row is not None
    return Submission(to_declaration(row), created=True)


def to_declaration(row: DeclarationRow) -> Declaration:
    return Declaration(
        id=row.id,
        status=DeclarationStatus(row.status),
        created_at=row.created_at,
        content_digest=row.content_digest,
        import_run_id=row.import_run_id,
        absent_in_source=row.absent_in_source or [],
        source_extra=row.source_extra,
        declared=DeclarationCreate.model_validate_json(row.document),
    )


def get_declaration(session: Session, declaration_id: str, *, actor: Principal) -> Declaration:
    row = repo.get_declaration(session, declaration_id)
    # A trader asking for another company's declaration learns nothing, not even that it exists.
    if row is None or not actor.may_read_company(row.declarant_id, row.importer_id):
        raise NotFound(f"no declaration {declaration_id}", field="id", value=declaration_id)
    return to_declaration(row)


def list_declarations(
    session: Session, f: repo.DeclarationFilter, *, actor: Principal, limit: int, offset: int
) -> DeclarationList:
    if not actor.can(Permission.read_all_declarations):
        if not actor.can(Permission.read_own_declarations) or not actor.company_id:
            raise PermissionDenied(f"role '{actor.role.value}' may not list declarations")
        f = dataclasses.replace(f, company_id=actor.company_id)
    rows, total = repo.list_declarations(session, f, limit=limit, offset=offset)
    items = repo.items_of(session, [r.id for r in rows])
    return DeclarationList(
        items=[
            DeclarationSummary(
                id=r.id, reference=r.reference, profile=Profile(r.profile),
                declaration_date=r.declaration_date, office=r.office,
                declarant_id=r.declarant_id, importer_id=r.importer_id,
                item_count=r.item_count,
                first_hs_code=items[r.id][0].hs_code if items[r.id] else None,
                origin_countries=sorted({i.origin_country for i in items[r.id]
                                         if i.origin_country}),
                created_at=r.created_at, status=DeclarationStatus(r.status),
            )
            for r in rows
        ],
        total=total, limit=limit, offset=offset,
    )


# --- file imports ---------------------------------------------------------------------------

def import_file(
    factory: sessionmaker[Session],
    path: Path,
    *,
    actor: Principal,
    clock: Clock,
    mapping: MappingSpec | None = None,
    fmt: str | None = None,
    file_name: str | None = None,
    chunk_size: int = 5000,
    commit_rows: int = COMMIT_ROWS,
    workers: int | None = None,
    on_progress: ProgressFn | None = None,
    bulk_min_rows: int = BULK_MIN_ROWS,
) -> ImportReport:
    """Import a CSV (with a mapping) or JSON / JSON Lines file; commit chunk by chunk.

    A file of at least ``bulk_min_rows`` rows (0: never) that at least doubles a SQLite
    table is a bulk load: the search indexes are built after it (``bulk``)."""
    actor.require(Permission.run_imports)
    fmt = fmt or detect_format(path)
    if fmt == "csv" and mapping is None:
        raise InvalidInput("a CSV import needs a column-mapping file (--mapping)",
                           field="mapping", value=None)
    sha, size, lines = file_fingerprint(path)
    now = clock()
    rebuilt = restore_indexes_if_idle(factory, now=now)
    with factory.begin() as session:
        alone = not repo.running_runs(session)
        run = ImportRunRow(
            file_name=(file_name or path.name)[:255], file_sha256=sha, file_bytes=size,
            format=fmt, mapping_name=mapping.name if mapping else None,
            mapping_sha256=mapping.sha256 if mapping else None, status="running",
            host=socket.gethostname(), pid=os.getpid(),
            started_by=actor.user_id, started_at=now, rows_read=0, declarations_imported=0,
            items_imported=0, declarations_unchanged=0, rows_quarantined=0, notes=[],
        )
        session.add(run)
        session.flush()
        run_id = run.id
    workers = default_workers() if workers is None else workers
    job = ImportJob(run_id=run_id, file_sha256=sha, today=now.date(), clock=clock, spec=mapping)
    engine = factory.kw["bind"]
    notes = ["search indexes an interrupted bulk load had dropped were built again: "
             + ", ".join(rebuilt)] if rebuilt else []
    try:
        # a CSV file's first line is its header
        deferred = alone and bulk.defers_indexes(engine, lines - (fmt == "csv"),
                                                 min_rows=bulk_min_rows)
        chunks, process, job, plan_notes = _plan(path, fmt, job, chunk_size)
        notes += plan_notes
        done = 0
        with (bulk.indexes_deferred(engine) if deferred else nullcontext([]) as dropped,
              # closed (its open transaction rolled back) before the indexes are built
              closing(run_chunks(chunks, process, job=job, sessions=factory,
                                 workers=workers, commit_rows=commit_rows)) as written):
            for counts in written:
                done += counts.rows
                if on_progress:
                    on_progress(done, lines)
        if dropped:
            notes.append("bulk load: the search indexes were built after the rows went in ("
                          + ", ".join(dropped) + ")")
    except BaseException as exc:
        with factory.begin() as session:
            run = session.get(ImportRunRow, run_id)
            assert run is not None
            run.status, run.finished_at = "failed", clock()
            run.error = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
            audit.record(session, actor=actor.username, action="import.fail",
                         entity_type="import_run", entity_id=str(run_id),
                         detail={"file_sha256": sha, "error": run.error}, now=run.finished_at)
        raise
    with factory.begin() as session:
        run = session.get(ImportRunRow, run_id)
        assert run is not None
        run.status, run.finished_at, run.notes = "completed", clock(), notes
        audit.record(
            session, actor=actor.username, action="import.complete", entity_type="import_run",
            entity_id=str(run_id),
            detail={"file": run.file_name, "file_sha256": sha, "mapping_sha256":
                    run.mapping_sha256, "imported": run.declarations_imported,
                    "unchanged": run.declarations_unchanged,
                    "quarantined": run.rows_quarantined},
            now=run.finished_at,
        )
        return ImportReport.model_validate(run)


def _plan(
    path: Path, fmt: str, job: ImportJob, chunk_size: int
) -> tuple[Iterator[list[Any]], Callable[[list[Any]], ChunkResult], ImportJob, list[str]]:
    """The chunks of a file, the function that processes one, and notes for the report."""
    notes: list[str] = []
    mapping = job.spec
    if fmt == "csv":
        assert mapping is not None
        header, rows = csv_header_and_rows(path, delimiter=mapping.csv.delimiter,
                                           encoding=mapping.csv.encoding)
        compiled = CompiledMapping(mapping, header)  # fails early on missing columns
        editions = {str(v) for k, v in mapping.constants.items() if k == "items.hs_edition"}
        for edition in sorted(editions - {"HS2022"}):
            notes.append(f"HS codes are declared as {edition}: no {edition} table ships, so "
                         "they are checked for their chapter only")
        if mapping.absent:
            notes.append("absent in the source, recorded as absent: " + ", ".join(mapping.absent))
        groups = group_csv_rows(rows, compiled.key_index)
        job = dataclasses.replace(job, header=header)
        return chunked(groups, chunk_size), validate_csv_chunk, job, notes
    if fmt not in ("json", "jsonl"):
        raise InvalidInput(f"unknown format {fmt!r}: csv, json or jsonl", field="format",
                           value=fmt)
    return chunked(json_records(path, fmt), chunk_size), validate_json_chunk, job, notes


INTERRUPTED = (
    "the importing process ended before the import finished (a crash or a kill); import "
    "the file again: what was stored is counted as unchanged, nothing is duplicated"
)


def restore_indexes_if_idle(factory: sessionmaker[Session], *, now: dt.datetime) -> list[str]:
    """Record dead imports as interrupted; then, if no import is running, build the search
    indexes a killed bulk load left dropped. Returns the names of those built."""
    with factory.begin() as session:
        _mark_interrupted(session, now=now)
        if repo.running_runs(session):  # a running bulk load may have dropped them
            return []
    return bulk.restore_indexes(factory.kw["bind"])


def _process_gone(run: ImportRunRow) -> bool:
    """A 'running' run whose process no longer exists on this host was interrupted.

    A run started on another host cannot be checked from here and stays 'running'.
    """
    if run.status != "running" or run.pid is None or run.host != socket.gethostname():
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


def _report(run: ImportRunRow) -> ImportReport:
    report = ImportReport.model_validate(run)
    if _process_gone(run):
        return report.model_copy(update={"status": "interrupted", "error": INTERRUPTED})
    return report


def _mark_interrupted(session: Session, *, now: dt.datetime) -> None:
    """Record as interrupted the runs of this host whose process is gone."""
    for run in repo.running_runs(session):
        if _process_gone(run):
            run.status, run.error = "interrupted", INTERRUPTED
            audit.record(session, actor="system", action="import.interrupted",
                         entity_type="import_run", entity_id=str(run.id),
                         detail={"file_sha256": run.file_sha256, "rows_read": run.rows_read},
                         now=now)


def get_import(session: Session, run_id: int, *, actor: Principal) -> ImportReport:
    actor.require(Permission.read_imports)
    run = repo.get_run(session, run_id)
    if run is None:
        raise NotFound(f"no import run {run_id}", field="id", value=run_id)
    return _report(run)


def list_imports(session: Session, *, actor: Principal, limit: int, offset: int
                 ) -> ImportReportList:
    actor.require(Permission.read_imports)
    rows, total = repo.list_runs(session, limit=limit, offset=offset)
    return ImportReportList(items=[_report(r) for r in rows], total=total, limit=limit,
                            offset=offset)


def get_quarantine(session: Session, run_id: int, *, actor: Principal, limit: int,
                   offset: int) -> QuarantineList:
    actor.require(Permission.read_imports)
    run = repo.get_run(session, run_id)
    if run is None:
        raise NotFound(f"no import run {run_id}", field="id", value=run_id)
    rows, total = repo.quarantine_of(session, run, limit=limit, offset=offset)
    return QuarantineList(items=[QuarantinedRecord.model_validate(r) for r in rows],
                          total=total, limit=limit, offset=offset)
