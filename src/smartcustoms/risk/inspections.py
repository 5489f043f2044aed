"""Officers record what inspections found; the feedback loop reports on itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from smartcustoms.declarations.repository import get_declaration
from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.errors import InvalidInput, NotFound
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.risk.outcomes import OFFICER
from smartcustoms.risk.tables import InspectionRow, LaneDecisionRow


class InspectionResult(BaseModel):
    declaration_id: str
    irregular: bool
    critical: bool | None
    duty_recovered: Decimal | None
    notes: str | None
    inspected_on: dt.date
    source: str
    recorded_at: dt.datetime


def record_inspection(
    session: Session, declaration_id: str, *, irregular: bool, actor: Principal,
    now: dt.datetime, critical: bool | None = None, duty_recovered: Decimal | None = None,
    notes: str | None = None, inspected_on: dt.date | None = None,
) -> tuple[InspectionResult, bool]:
    """Record (or correct) an officer's inspection result; returns it and whether it is new.

    A correction replaces the officer's earlier record; both are in the audit log.
    """
    actor.require(Permission.record_inspections)
    decl = get_declaration(session, declaration_id)
    if decl is None:
        raise NotFound(f"no declaration {declaration_id}", field="declaration_id",
                       value=declaration_id)
    if duty_recovered is not None and duty_recovered < 0:
        raise InvalidInput("duty recovered cannot be negative", field="duty_recovered",
                           value=str(duty_recovered))
    if critical and not irregular:
        raise InvalidInput("a critical finding is an irregularity: set irregular too",
                           field="critical", value=critical)
    day = inspected_on or now.date()
    if day < decl.declaration_date:
        raise InvalidInput(f"the inspection date is before the declaration's "
                           f"({decl.declaration_date})", field="inspected_on", value=str(day))
    row = session.execute(select(InspectionRow).where(
        InspectionRow.declaration_id == declaration_id, InspectionRow.source == OFFICER)
    ).scalar_one_or_none()
    created = row is None
    if row is None:
        row = InspectionRow(declaration_id=declaration_id, source=OFFICER)
        session.add(row)
    row.irregular, row.critical, row.duty_recovered = irregular, critical, duty_recovered
    row.notes, row.inspected_on, row.recorded_at = notes, day, now
    row.recorded_by = actor.user_id
    session.flush()
    audit.record(session, actor=actor.username,
                 action="inspection.record" if created else "inspection.correct",
                 entity_type="declaration", entity_id=declaration_id,
                 detail={"irregular": irregular, "critical": critical,
                         "duty_recovered": None if duty_recovered is None
                         else str(duty_recovered), "inspected_on": day.isoformat()},
                 now=now)
    return InspectionResult.model_validate(row, from_attributes=True), created


class SelectionStats(BaseModel):
    selected_by: str
    decisions: int
    inspected_with_result: int
    irregular: int
    hit_rate: float | None


class FeedbackReport(BaseModel):
    decisions: int
    inspected_with_result: int
    exploration_share: float | None  # of inspected declarations, the share drawn at random
    by_selection: list[SelectionStats]
    # Inverse-propensity (Hájek) estimate of the irregularity rate of *all* decided
    # declarations, from the inspected ones: unbiased by the model's choices as long as
    # every declaration had a chance (the random share) to be inspected.
    estimated_irregularity_rate: float | None


def known_outcomes(session: Session) -> dict[str, bool]:
    """Declaration id → irregular, an officer's record winning over a source file's."""
    out: dict[str, bool] = {}
    for decl_id, source, irregular in session.execute(
            select(InspectionRow.declaration_id, InspectionRow.source, InspectionRow.irregular)):
        if source == OFFICER or decl_id not in out:
            out[decl_id] = irregular
    return out


def feedback_report(session: Session, *, actor: Principal) -> FeedbackReport:
    actor.require(Permission.read_all_declarations)
    outcomes = known_outcomes(session)
    rows = [(selected_by, lane, propensity, outcomes.get(decl_id))
            for decl_id, selected_by, lane, propensity in session.execute(
                select(LaneDecisionRow.declaration_id, LaneDecisionRow.selected_by,
                       LaneDecisionRow.lane, LaneDecisionRow.propensity))]
    stats: dict[str, list[int]] = {}
    weighted = total_weight = 0.0
    inspected = random_inspected = 0
    for selected_by, lane, propensity, irregular in rows:
        s = stats.setdefault(selected_by, [0, 0, 0])
        s[0] += 1
        if irregular is None or lane not in ("red", "yellow"):
            continue
        s[1] += 1
        s[2] += int(irregular)
        inspected += 1
        random_inspected += selected_by == "random"
        if propensity > 0:
            weighted += int(irregular) / propensity
            total_weight += 1 / propensity
    return FeedbackReport(
        decisions=len(rows), inspected_with_result=inspected,
        exploration_share=random_inspected / inspected if inspected else None,
        by_selection=[SelectionStats(selected_by=k, decisions=v[0], inspected_with_result=v[1],
                                     irregular=v[2], hit_rate=v[2] / v[1] if v[1] else None)
                      for k, v in sorted(stats.items())],
        estimated_irregularity_rate=weighted / total_weight if total_weight else None)


def officer_inspected(session: Session, declaration_ids: list[str]) -> set[str]:
    return set(session.scalars(select(InspectionRow.declaration_id).where(
        InspectionRow.declaration_id.in_(declaration_ids), InspectionRow.source == OFFICER)))


def queue(session: Session, *, lanes: list[str], office: str | None = None, limit: int = 50
          ) -> list[tuple[LaneDecisionRow, DeclarationRow]]:
    """Decisions for inspection with no officer's result yet: red first, riskiest first."""
    done = select(InspectionRow.declaration_id).where(InspectionRow.source == OFFICER)
    query = (select(LaneDecisionRow, DeclarationRow)
             .join(DeclarationRow, DeclarationRow.id == LaneDecisionRow.declaration_id)
             .where(LaneDecisionRow.lane.in_(lanes),
                    LaneDecisionRow.declaration_id.not_in(done))
             .order_by(case((LaneDecisionRow.lane == "red", 0), else_=1),
                       LaneDecisionRow.probability.desc().nulls_last(),
                       LaneDecisionRow.declaration_id)
             .limit(limit))
    if office is not None:
        query = query.where(DeclarationRow.office == office)
    return [(d, r) for d, r in session.execute(query).all()]
