"""Risk targeting over HTTP: lanes and reasons, the inspection queue, results, models,
rules, lane settings. Traders never see any of it: targeting is for customs staff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from smartcustoms.db import unit_of_work
from smartcustoms.declarations.repository import get_declaration
from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.errors import NotFound
from smartcustoms.http.deps import Actor, Ctx
from smartcustoms.http.problems import responses
from smartcustoms.identity import Permission
from smartcustoms.risk import insight, inspections, lane_store, rule_store, service
from smartcustoms.risk.lane_store import LaneSettingsVersion
from smartcustoms.risk.selectivity import Lane, LaneSettings
from smartcustoms.risk.tables import LaneDecisionRow

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])
declaration_risk = APIRouter(prefix="/api/v1/declarations", tags=["risk"])


class LaneDecision(BaseModel):
    declaration_id: str
    reference: str | None = None
    declaration_date: dt.date | None = None
    office: str | None = None
    lane: Lane
    selected_by: str
    propensity: float
    probability: float | None
    score: float | None
    model_id: int | None
    rule_ids: list[int]
    reasons: list[dict[str, Any]]
    decided_at: dt.datetime
    inspected: bool = False


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    irregular: bool
    critical: bool | None = None
    duty_recovered: Decimal | None = Field(None, ge=0, max_digits=20, decimal_places=2)
    notes: str | None = Field(None, max_length=4000)
    inspected_on: dt.date | None = None


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    condition: str = Field(min_length=1, max_length=2000)
    lane: Lane
    priority: int = 0
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    description: str | None = Field(None, max_length=4000)


class RuleTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    condition: str = Field(min_length=1, max_length=2000)
    since: dt.date | None = None


class ListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: list[str] = Field(max_length=100_000)
    description: str | None = Field(None, max_length=4000)


class LaneSettingsIn(LaneSettings):
    """Lane settings to put in force, with a note saying why."""

    note: str | None = Field(None, max_length=lane_store.MAX_NOTE,
                             description="why: shown in the history",
                             examples=["office 30 has two more inspectors"])


def _decision(row: LaneDecisionRow, decl: DeclarationRow | None, inspected: bool
              ) -> LaneDecision:
    return LaneDecision(
        declaration_id=row.declaration_id, reference=decl.reference if decl else None,
        declaration_date=decl.declaration_date if decl else None,
        office=decl.office if decl else None, lane=Lane(row.lane),
        selected_by=row.selected_by, propensity=row.propensity, probability=row.probability,
        score=row.score, model_id=row.model_id, rule_ids=row.rule_ids or [],
        reasons=row.reasons or [], decided_at=row.decided_at, inspected=inspected)


@declaration_risk.get("/{declaration_id}/risk", response_model=LaneDecision,
                      responses=responses(401, 403, 404, 422))
def get_risk(declaration_id: str, ctx: Ctx, actor: Actor) -> LaneDecision:
    """The declaration's lane, how it was chosen and why (customs staff only)."""
    actor.require(Permission.read_all_declarations)
    with ctx.sessions() as session:
        row = session.execute(select(LaneDecisionRow).where(
            LaneDecisionRow.declaration_id == declaration_id)).scalar_one_or_none()
        if row is None:
            raise NotFound(f"declaration {declaration_id} has no lane yet",
                           field="declaration_id", value=declaration_id)
        decl = get_declaration(session, declaration_id)
        inspected = declaration_id in inspections.officer_inspected(session, [declaration_id])
        return _decision(row, decl, inspected)


@declaration_risk.put("/{declaration_id}/inspection", response_model=inspections.InspectionResult,
                      status_code=201, responses={200: {"description": "a correction"},
                                                  **responses(401, 403, 404, 422)})
def record_inspection(declaration_id: str, body: InspectionIn, response: Response, ctx: Ctx,
                      actor: Actor) -> inspections.InspectionResult:
    """Record what the inspection found (201), or correct the record (200)."""
    with unit_of_work(ctx.sessions) as session:
        result, created = inspections.record_inspection(
            session, declaration_id, irregular=body.irregular, critical=body.critical,
            duty_recovered=body.duty_recovered, notes=body.notes,
            inspected_on=body.inspected_on, actor=actor, now=ctx.clock())
    if ctx.scorer is not None:
        ctx.scorer.invalidate()  # the next submission sees this outcome
    if not created:
        response.status_code = 200
    return result


@router.get("/queue", response_model=list[LaneDecision], responses=responses(401, 403, 422))
def queue(
    ctx: Ctx, actor: Actor,
    office: Annotated[str | None, Query(max_length=35)] = None,
    lane: Annotated[list[Lane] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[LaneDecision]:
    """Declarations waiting for inspection: red before yellow, riskiest first."""
    actor.require(Permission.record_inspections)
    lanes = [x.value for x in (lane or [Lane.red, Lane.yellow])]
    with ctx.sessions() as session:
        return [_decision(row, decl, False) for row, decl in inspections.queue(
            session, lanes=lanes, office=office, limit=limit)]


@router.get("/models", response_model=list[service.ModelVersion],
            responses=responses(401, 403))
def models(ctx: Ctx, actor: Actor) -> list[service.ModelVersion]:
    with ctx.sessions() as session:
        return service.list_models(session, actor=actor)


@router.get("/models/{model_id}", response_model=insight.ModelInsight,
            responses=responses(401, 403, 404, 422))
def model(model_id: int, ctx: Ctx, actor: Actor) -> insight.ModelInsight:
    """One model version: windows, parameters, validation metrics, the calibration on
    the validation window (null for versions stored before it was recorded) and the 20
    features with the largest share of the trees' gain.

    Example: ``GET /api/v1/risk/models/3``
    """
    with ctx.sessions() as session:
        return insight.model_insight(session, model_id, actor=actor)


@router.post("/models/{model_id}/promote", response_model=service.ModelVersion,
             responses=responses(401, 403, 404, 409, 422))
def promote(model_id: int, ctx: Ctx, actor: Actor) -> service.ModelVersion:
    with unit_of_work(ctx.sessions) as session:
        return service.promote_model(session, model_id, actor=actor, now=ctx.clock())


@router.get("/rules", response_model=list[rule_store.RulePerformance],
            responses=responses(401, 403))
def rules(ctx: Ctx, actor: Actor) -> list[rule_store.RulePerformance]:
    with ctx.sessions() as session:
        return rule_store.list_rules(session, actor=actor)


@router.post("/rules", response_model=rule_store.Rule, status_code=201,
             responses=responses(401, 403, 422))
def add_rule(body: RuleIn, ctx: Ctx, actor: Actor) -> rule_store.Rule:
    """Add a rule; a malformed condition is a 422 naming the position of the error."""
    with unit_of_work(ctx.sessions) as session:
        return rule_store.create_rule(
            session, name=body.name, condition=body.condition, lane=body.lane, actor=actor,
            now=ctx.clock(), priority=body.priority, valid_from=body.valid_from,
            valid_to=body.valid_to, description=body.description)


@router.post("/rules/test", response_model=rule_store.RuleTest,
             responses=responses(401, 403, 422))
def try_rule(body: RuleTestIn, ctx: Ctx, actor: Actor) -> rule_store.RuleTest:
    """How a condition would have done on the inspected history."""
    with ctx.sessions() as session:
        return rule_store.try_rule(session, body.condition, actor=actor, since=body.since)


@router.put("/lists/{name}", response_model=rule_store.RiskList,
            responses=responses(401, 403, 422))
def put_list(name: str, body: ListIn, ctx: Ctx, actor: Actor) -> rule_store.RiskList:
    with unit_of_work(ctx.sessions) as session:
        return rule_store.save_list(session, name, body.values, actor=actor, now=ctx.clock(),
                                    description=body.description)


@router.get("/feedback", response_model=inspections.FeedbackReport,
            responses=responses(401, 403))
def feedback(ctx: Ctx, actor: Actor) -> inspections.FeedbackReport:
    with ctx.sessions() as session:
        return inspections.feedback_report(session, actor=actor)


@router.get("/lane-settings", response_model=LaneSettingsVersion,
            responses=responses(401, 403))
def lane_settings(ctx: Ctx, actor: Actor) -> LaneSettingsVersion:
    """The lane settings in force and their version (``id`` null: the shipped default)."""
    with ctx.sessions() as session:
        return lane_store.current_lane_settings(session, actor=actor)


@router.put("/lane-settings", response_model=LaneSettingsVersion, status_code=201,
            responses={200: {"description": "identical to the settings in force: "
                             "nothing saved"}, **responses(401, 403, 422)})
def put_lane_settings(body: LaneSettingsIn, response: Response, ctx: Ctx, actor: Actor
                      ) -> LaneSettingsVersion:
    """Save lane settings as a new version and put it in force (201); settings identical
    to those in force add nothing (200). Supervisors and admins.

    Example body: ``{"seed": 20260101, "random_rate": 0.02, "policy": "probability",
    "capacity": {"red": {"share": 0.05}, "yellow": {"share": 0.05}, "blue": {"count": 40}},
    "offices": {"30": {"red": {"count": 10}}}, "note": "office 30 has two more
    inspectors"}``. An invalid value is a 422 naming the field, e.g. ``body.random_rate``.
    """
    with unit_of_work(ctx.sessions) as session:
        version, created = lane_store.save_lane_settings(
            session, body.model_dump(mode="json", exclude={"note"}), actor=actor,
            note=body.note, now=ctx.clock())
    if not created:
        response.status_code = 200
    return version


@router.get("/lane-settings/history", response_model=list[LaneSettingsVersion],
            responses=responses(401, 403))
def lane_settings_history(ctx: Ctx, actor: Actor) -> list[LaneSettingsVersion]:
    """Every stored version of the lane settings, newest first."""
    with ctx.sessions() as session:
        return lane_store.lane_settings_history(session, actor=actor)


@router.post("/lane-settings/{version}/activate", response_model=LaneSettingsVersion,
             responses=responses(401, 403, 404, 422))
def activate_lane_settings(version: int, ctx: Ctx, actor: Actor) -> LaneSettingsVersion:
    """Put a stored version back in force (a roll back). Supervisors and admins."""
    with unit_of_work(ctx.sessions) as session:
        return lane_store.activate_version(session, version, actor=actor, now=ctx.clock())
