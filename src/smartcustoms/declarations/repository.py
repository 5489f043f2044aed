"""All queries of the declarations capability."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartcustoms.declarations.prepare import (
    DECLARATION_COLUMNS,
    ITEM_COLUMNS,
    WRITER_COLUMNS,
    PreparedDeclaration,
    Rejected,
)
from smartcustoms.declarations.tables import (
    DeclarationItemRow,
    DeclarationRow,
    ImportRunRow,
    QuarantineRow,
)


def _insert(session: Session, table: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on both backends (idempotent re-imports)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"database {name!r} is not supported")


def stored_digests(session: Session, ids: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for start in range(0, len(ids), 5000):
        part = ids[start:start + 5000]
        out.update((row[0], row[1]) for row in session.execute(
            select(DeclarationRow.id, DeclarationRow.content_digest)
            .where(DeclarationRow.id.in_(part))
        ).all())
    return out


def _insert_sql(session: Session, table: str, columns: Sequence[str]) -> str:
    """Driver-level INSERT … ON CONFLICT DO NOTHING: the bulk path skips per-row ORM work."""
    style = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            f"({', '.join([style] * len(columns))}) ON CONFLICT DO NOTHING")


def _timestamp(session: Session, now: dt.datetime) -> object:
    if session.get_bind().dialect.name == "sqlite":
        # The text form SQLAlchemy's SQLite DateTime stores and reads back (UTC, naive).
        return now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


def insert_declarations(
    session: Session,
    prepared: Sequence[PreparedDeclaration],
    *,
    import_run_id: int | None,
    submitted_by: int | None,
    now: dt.datetime,
) -> None:
    inserted = insert_declaration_rows(session, prepared, import_run_id=import_run_id,
                                       submitted_by=submitted_by, now=now)
    insert_item_rows(session, prepared, all_inserted=inserted == len(prepared))


def insert_declaration_rows(
    session: Session,
    prepared: Sequence[PreparedDeclaration],
    *,
    import_run_id: int | None,
    submitted_by: int | None,
    now: dt.datetime,
) -> int:
    """Insert the header rows, skipping ids that exist; returns how many went in."""
    if not prepared:
        return 0
    tail = (import_run_id, submitted_by, _timestamp(session, now))
    result = session.connection().exec_driver_sql(
        _insert_sql(session, "declarations", DECLARATION_COLUMNS + WRITER_COLUMNS),
        [p.row + tail for p in prepared],
    )
    return int(result.rowcount)


def stored_seqs(session: Session, ids: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for start in range(0, len(ids), 5000):
        part = ids[start:start + 5000]
        out.update(session.execute(
            select(DeclarationRow.id, DeclarationRow.seq).where(DeclarationRow.id.in_(part))
        ).all())
    return out


def _seqs_just_inserted(session: Session, prepared: Sequence[PreparedDeclaration]
                        ) -> dict[str, int] | None:
    """The ``seq`` of each declaration the last insert stored, without a lookup each.

    SQLite gives a new row the largest rowid plus one, and the transaction holds the
    write lock (BEGIN IMMEDIATE), so one statement's rows got consecutive rowids ending
    at ``last_insert_rowid()``. Both ends are checked; None: look them up instead.
    """
    if session.get_bind().dialect.name != "sqlite":
        return None
    connection = session.connection()
    last = int(connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
    first = last - len(prepared) + 1
    ends = dict(connection.exec_driver_sql(
        "SELECT seq, id FROM declarations WHERE seq IN (?, ?)", (first, last)).all())
    if ends.get(first) != prepared[0].id or ends.get(last) != prepared[-1].id:
        return None
    return {p.id: first + k for k, p in enumerate(prepared)}


def insert_item_rows(session: Session, prepared: Sequence[PreparedDeclaration], *,
                     all_inserted: bool = False) -> None:
    """The items of stored declarations, keyed by their ``seq`` (``all_inserted``: the
    last insert stored every one of ``prepared``, in order)."""
    if not prepared:
        return
    seqs = _seqs_just_inserted(session, prepared) if all_inserted else None
    if seqs is None:
        seqs = stored_seqs(session, [p.id for p in prepared])
    items = [(seqs[item[0]], *item[1:]) for p in prepared for item in p.items]
    if items:
        session.connection().exec_driver_sql(
            _insert_sql(session, "declaration_items", ITEM_COLUMNS), items)


def insert_quarantine(
    session: Session, rejected: Sequence[Rejected], *, run_id: int, file_sha256: str,
    now: dt.datetime,
) -> None:
    if not rejected:
        return
    session.execute(_insert(session, QuarantineRow.__table__), [
        {"import_run_id": run_id, "file_sha256": file_sha256, "line": r.line,
         "reference": r.reference, "record": r.record, "errors": r.errors, "created_at": now}
        for r in rejected
    ])


@dataclass(frozen=True, slots=True)
class DeclarationFilter:
    reference: str | None = None
    company_id: str | None = None  # declarant or importer
    importer_id: str | None = None
    declarant_id: str | None = None
    office: str | None = None
    hs_prefix: str | None = None
    origin_country: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    import_run_id: int | None = None


def _filtered(f: DeclarationFilter) -> Select[Any]:
    query = select(DeclarationRow)
    if f.reference:
        query = query.where(DeclarationRow.reference.startswith(f.reference, autoescape=True))
    if f.company_id:
        query = query.where(or_(DeclarationRow.declarant_id == f.company_id,
                                DeclarationRow.importer_id == f.company_id))
    if f.importer_id:
        query = query.where(DeclarationRow.importer_id == f.importer_id)
    if f.declarant_id:
        query = query.where(DeclarationRow.declarant_id == f.declarant_id)
    if f.office:
        query = query.where(DeclarationRow.office == f.office)
    if f.date_from:
        query = query.where(DeclarationRow.declaration_date >= f.date_from)
    if f.date_to:
        query = query.where(DeclarationRow.declaration_date <= f.date_to)
    if f.import_run_id:
        query = query.where(DeclarationRow.import_run_id == f.import_run_id)
    if f.hs_prefix or f.origin_country:
        items = select(DeclarationItemRow.declaration_seq)
        if f.hs_prefix:
            items = items.where(DeclarationItemRow.hs_code.startswith(f.hs_prefix, autoescape=True))
        if f.origin_country:
            items = items.where(DeclarationItemRow.origin_country == f.origin_country)
        query = query.where(DeclarationRow.seq.in_(items))
    return query


def list_declarations(
    session: Session, f: DeclarationFilter, *, limit: int, offset: int
) -> tuple[list[DeclarationRow], int]:
    query = _filtered(f)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DeclarationRow.declaration_date.desc(), DeclarationRow.id)
        .limit(limit).offset(offset)
    ).all()
    return list(rows), total


def items_of(session: Session, ids: Sequence[str]) -> dict[str, list[DeclarationItemRow]]:
    out: dict[str, list[DeclarationItemRow]] = {i: [] for i in ids}
    if ids:
        for decl_id, item in session.execute(
            select(DeclarationRow.id, DeclarationItemRow)
            .join(DeclarationItemRow, DeclarationItemRow.declaration_seq == DeclarationRow.seq)
            .where(DeclarationRow.id.in_(ids))
            .order_by(DeclarationItemRow.declaration_seq, DeclarationItemRow.sequence)
        ):
            out[decl_id].append(item)
    return out


def get_declaration(session: Session, declaration_id: str) -> DeclarationRow | None:
    return session.scalars(
        select(DeclarationRow).where(DeclarationRow.id == declaration_id)).one_or_none()


def get_run(session: Session, run_id: int) -> ImportRunRow | None:
    return session.get(ImportRunRow, run_id)


def list_runs(session: Session, *, limit: int, offset: int) -> tuple[list[ImportRunRow], int]:
    total = session.scalar(select(func.count(ImportRunRow.id))) or 0
    rows = session.scalars(
        select(ImportRunRow).order_by(ImportRunRow.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def running_runs(session: Session) -> list[ImportRunRow]:
    return list(session.scalars(select(ImportRunRow).where(ImportRunRow.status == "running")))


def quarantine_of(
    session: Session, run: ImportRunRow, *, limit: int, offset: int
) -> tuple[list[QuarantineRow], int]:
    """The quarantined records of the run's file (also those a previous run of it caught)."""
    where = QuarantineRow.file_sha256 == run.file_sha256
    total = session.scalar(select(func.count(QuarantineRow.id)).where(where)) or 0
    rows = session.scalars(
        select(QuarantineRow).where(where).order_by(QuarantineRow.line).limit(limit).offset(offset)
    ).all()
    return list(rows), total
