"""Inspection outcomes: the labels. Officers record them; historical data brings them.

A source file's outcome columns (kept beside the declared data at import, never inside
it) become inspection records with ``source = "source-file"``, so the risk models
learn from one table whatever the labels' origin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import orjson
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.errors import InvalidInput
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.risk.tables import InspectionRow

SOURCE_FILE = "source-file"
OFFICER = "officer"


@dataclass(frozen=True, slots=True)
class OutcomeColumns:
    """Which kept source columns hold inspection outcomes, and which values mean what."""

    irregular: str
    irregular_values: frozenset[str] = frozenset({"1"})
    regular_values: frozenset[str] = frozenset({"0"})
    critical: str | None = None
    critical_values: frozenset[str] = field(default_factory=frozenset)


class OutcomeReport(BaseModel):
    declarations_scanned: int
    recorded: int
    already_recorded: int
    without_outcome: int
    unreadable: int
    unreadable_examples: list[dict[str, str]]


def record_source_outcomes(
    session: Session, columns: OutcomeColumns, *, actor: Principal, now: dt.datetime,
    batch_size: int = 10_000,
) -> OutcomeReport:
    """Turn outcome columns kept at import into inspection records (idempotent)."""
    actor.require(Permission.record_inspections)
    if columns.irregular_values & columns.regular_values:
        raise InvalidInput("a value cannot mean both irregular and regular",
                           field="irregular_values",
                           value=sorted(columns.irregular_values & columns.regular_values))
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)(InspectionRow.__table__).on_conflict_do_nothing() \
        .returning(InspectionRow.__table__.c.id)
    scanned = recorded = without = unreadable = 0
    examples: list[dict[str, str]] = []
    batch: list[dict[str, object]] = []

    def flush() -> int:
        if not batch:
            return 0
        # RETURNING lists only the rows that went in: an exact count on both backends,
        # where an executemany's rowcount is not.
        inserted = len(session.connection().execute(insert, batch).all())
        batch.clear()
        return inserted

    query = (select(DeclarationRow.id, DeclarationRow.declaration_date,
                    DeclarationRow.source_extra)
             .where(DeclarationRow.source_extra.is_not(None)).order_by(DeclarationRow.id))
    for decl_id, date, extra in session.execute(query.execution_options(yield_per=batch_size)):
        scanned += 1
        extra = orjson.loads(extra) if isinstance(extra, str | bytes) else extra
        value = (extra or {}).get(columns.irregular)
        if value is None or value == "":
            without += 1
            continue
        if value in columns.irregular_values:
            irregular = True
        elif value in columns.regular_values:
            irregular = False
        else:
            unreadable += 1
            if len(examples) < 5:
                examples.append({"declaration_id": decl_id, "column": columns.irregular,
                                 "value": str(value)})
            continue
        critical = None
        if columns.critical is not None:
            raw = (extra or {}).get(columns.critical)
            critical = None if raw in (None, "") else raw in columns.critical_values
        batch.append({"declaration_id": decl_id, "source": SOURCE_FILE,
                      "irregular": irregular, "critical": critical,
                      "inspected_on": date, "recorded_at": now})
        if len(batch) >= batch_size:
            recorded += flush()
    recorded += flush()
    considered = scanned - without - unreadable
    report = OutcomeReport(
        declarations_scanned=scanned, recorded=recorded,
        already_recorded=considered - recorded, without_outcome=without,
        unreadable=unreadable, unreadable_examples=examples)
    if recorded:
        audit.record(session, actor=actor.username, action="inspections.from-source",
                     entity_type="inspections", entity_id=columns.irregular,
                     detail=report.model_dump(), now=now)
    return report
