"""The risk panel of a declaration page: its lane, why, and what the inspection found.

Read like the API's ``GET /declarations/{id}/risk``: the stored lane decision and the
inspection records. Only customs staff get a panel; for a trader there is none at all, so no
template can show risk data to them by mistake.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.identity import Permission, UserRow
from smartcustoms.risk.inspections import InspectionResult
from smartcustoms.risk.outcomes import OFFICER
from smartcustoms.risk.tables import InspectionRow, LaneDecisionRow, RiskRuleRow

from .risk_contexts import InspectionForm, LaneView, RiskPanel, StoredResult
from .session import ConsoleSession

NOTICES = ("recorded", "corrected")


def load_risk_panel(db: Session, declaration_id: str, session: ConsoleSession, *,
                    today: dt.date, form: InspectionForm | None = None,
                    notice: str | None = None) -> RiskPanel | None:
    """The panel for staff (``None`` for anyone else); ``form`` is a form sent back with its
    errors, else the form is filled from the officer's stored result."""
    actor = session.principal
    if not actor.can(Permission.read_all_declarations):
        return None
    officer_row, source_row = _inspections(db, declaration_id)
    stored = None
    if officer_row is not None:
        stored = StoredResult(InspectionResult.model_validate(officer_row, from_attributes=True),
                              _username(db, officer_row.recorded_by))
    if actor.can(Permission.record_inspections):
        form = form or InspectionForm.of(stored.result if stored else None, today)
    else:
        form = None
    return RiskPanel(
        declaration_id=declaration_id, decision=_decision(db, declaration_id),
        officer_result=stored,
        source_result=_result(source_row), form=form,
        notice=notice if notice in NOTICES else None,
    )


def _decision(db: Session, declaration_id: str) -> LaneView | None:
    row = db.execute(select(LaneDecisionRow).where(
        LaneDecisionRow.declaration_id == declaration_id)).scalar_one_or_none()
    if row is None:
        return None
    names: dict[int, str] = {}
    if row.rule_ids:
        names = dict(db.execute(select(RiskRuleRow.id, RiskRuleRow.name)
                                .where(RiskRuleRow.id.in_(row.rule_ids))).all())
    return LaneView.of(row, names)


def _inspections(db: Session, declaration_id: str
                 ) -> tuple[InspectionRow | None, InspectionRow | None]:
    """The officer's record and another source's (historical data), each if any."""
    rows = db.scalars(select(InspectionRow).where(
        InspectionRow.declaration_id == declaration_id).order_by(InspectionRow.id)).all()
    officer = next((r for r in rows if r.source == OFFICER), None)
    other = next((r for r in rows if r.source != OFFICER), None)
    return officer, other


def _result(row: InspectionRow | None) -> InspectionResult | None:
    return InspectionResult.model_validate(row, from_attributes=True) if row else None


def _username(db: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return db.scalar(select(UserRow.username).where(UserRow.id == user_id))
