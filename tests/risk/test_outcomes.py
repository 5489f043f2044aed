"""Outcomes from a source file's kept columns: idempotent, explicit about what it skips."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.db import unit_of_work
from smartcustoms.declarations import import_file, shipped_mapping
from smartcustoms.errors import InvalidInput, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role, audit
from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.risk.frame import load_frame
from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes
from smartcustoms.risk.tables import InspectionRow

from .conftest import KCS_OUTCOMES, NOW


def _kcs_rows(tmp_path: Path, rows: int, edit: dict[int, tuple[str, str]] | None = None
              ) -> Path:
    lines = (SAMPLES_DIR / "kcs" / "df_syn_test_eng.csv").read_text(
        encoding="utf-8-sig").splitlines()[:rows + 1]
    for index, (old, new) in (edit or {}).items():
        lines[index] = lines[index][::-1].replace(old[::-1], new[::-1], 1)[::-1]
    path = tmp_path / "kcs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_outcomes_are_recorded_once_and_odd_values_reported(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    # Line 3's Fraud becomes "x" (unreadable), line 4's becomes empty (no outcome).
    path = _kcs_rows(tmp_path, 20, {2: (",0,0", ",x,0"), 3: (",0,0", ",,0")})
    import_file(sessions, path, actor=SYSTEM, clock=lambda: NOW,
                mapping=shipped_mapping("kcs"), workers=0)
    with unit_of_work(sessions) as session:
        first = record_source_outcomes(session, KCS_OUTCOMES, actor=SYSTEM, now=NOW)
    assert (first.declarations_scanned, first.recorded, first.unreadable,
            first.without_outcome) == (20, 18, 1, 1)
    assert first.unreadable_examples[0]["value"] == "x"
    with unit_of_work(sessions) as session:
        second = record_source_outcomes(session, KCS_OUTCOMES, actor=SYSTEM, now=NOW)
    assert (second.recorded, second.already_recorded) == (0, 18)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(InspectionRow)) == 18
        frame = load_frame(session)
        assert audit.verify(session).ok
    assert frame["irregular"].null_count() == 2 and len(frame) == 20


def test_an_officers_record_wins_over_the_source_file(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    import_file(sessions, _kcs_rows(tmp_path, 3), actor=SYSTEM, clock=lambda: NOW,
                mapping=shipped_mapping("kcs"), workers=0)
    with unit_of_work(sessions) as session:
        record_source_outcomes(session, KCS_OUTCOMES, actor=SYSTEM, now=NOW)
        decl_id, date = session.execute(select(InspectionRow.declaration_id,
                                               InspectionRow.inspected_on)).first()
        session.add(InspectionRow(declaration_id=decl_id, source="officer", irregular=True,
                                  critical=False, inspected_on=date, recorded_at=NOW))
    with sessions() as session:
        frame = load_frame(session)
    assert frame.filter(frame["declaration_id"] == decl_id)["irregular"].to_list() == [1]


def test_outcomes_need_the_permission_and_consistent_values(
        sessions: sessionmaker[Session]) -> None:
    trader = Principal(user_id=None, username="t", role=Role.trader, company_id="X")
    with unit_of_work(sessions) as session, pytest.raises(PermissionDenied):
        record_source_outcomes(session, KCS_OUTCOMES, actor=trader, now=NOW)
    clash = OutcomeColumns(irregular="Fraud", irregular_values=frozenset({"1"}),
                           regular_values=frozenset({"1", "0"}))
    with unit_of_work(sessions) as session, pytest.raises(InvalidInput) as exc:
        record_source_outcomes(session, clash, actor=SYSTEM, now=NOW)
    assert exc.value.errors[0].value == ["1"]
