"""Lane selection over stored declarations: the promoted model, the active rules, the
lane settings in force (``lane_store``) or given; every decision stored with its reasons
and propensity."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.risk.evaluate import Window, declaration_scores
from smartcustoms.risk.features import add_features
from smartcustoms.risk.frame import load_frame
from smartcustoms.risk.lane_store import active_lane_settings
from smartcustoms.risk.model import RiskModel
from smartcustoms.risk.reasons import declaration_reasons
from smartcustoms.risk.rule_store import active_rules, rule_frame
from smartcustoms.risk.selectivity import (
    SEVERITY,
    Candidate,
    Lane,
    LaneSettings,
    Selection,
    assign_lanes,
)
from smartcustoms.risk.service import promoted_model
from smartcustoms.risk.tables import LaneDecisionRow


class LaneReport(BaseModel):
    window: str
    model_id: int
    settings_sha256: str
    decided: int
    already_decided: int
    lanes: dict[str, int]
    selected_by: dict[str, int]


def decide_lanes(session: Session, window: Window, *, actor: Principal, now: dt.datetime,
                 settings: LaneSettings | None = None, model_id: int | None = None,
                 redo: bool = False) -> LaneReport:
    """Give every declaration of the window a lane (those already decided keep theirs
    unless ``redo``), under ``settings`` or, without them, the lane settings in force."""
    actor.require(Permission.decide_lanes)
    if settings is None:
        settings = active_lane_settings(session)
    row = promoted_model(session, model_id)
    model = RiskModel.from_artifact(row.artifact)
    frame = load_frame(session, until=window.end)
    features, _ = add_features(frame, model.spec)
    target = features.filter(window.mask())
    decided = set(session.scalars(select(LaneDecisionRow.declaration_id).where(
        LaneDecisionRow.declaration_id.in_(target["declaration_id"].unique().to_list()))))
    already = 0 if redo else len(decided)
    if not redo and decided:
        target = target.filter(~pl.col("declaration_id").is_in(list(decided)))
    settings_digest = settings.digest()
    if target.is_empty():
        return LaneReport(window=str(window), model_id=row.id, settings_sha256=settings_digest,
                          decided=0, already_decided=already, lanes={}, selected_by={})

    probability = model.predict(target)
    decls = declaration_scores(target, probability, settings.policy)
    hits = _rule_hits(session, target)
    first = target.unique("declaration_id", keep="first", maintain_order=True)
    office = dict(zip(first["declaration_id"], first["office"], strict=True))
    day = dict(zip(first["declaration_id"], first["date"], strict=True))
    candidates = []
    for d in decls.iter_rows(named=True):
        lane, ids = hits.get(d["declaration_id"], (None, ()))
        candidates.append(Candidate(d["declaration_id"], office[d["declaration_id"]],
                                    day[d["declaration_id"]].isoformat(), d["score"],
                                    rule_lane=lane, rule_ids=ids))
    decisions = assign_lanes(candidates, settings)

    # Reasons: the model's for the item carrying each score; the rules' names; the draw.
    model_reasons = declaration_reasons(model, target, probability)
    rule_names = _rule_names(session)
    scores = {d["declaration_id"]: d for d in decls.iter_rows(named=True)}
    if redo and decided:
        session.execute(delete(LaneDecisionRow).where(
            LaneDecisionRow.declaration_id.in_(list(decided))))
    rows = []
    for decision in decisions:
        reasons: list[dict[str, Any]] = []
        if decision.selected_by is Selection.rule:
            reasons += [{"evidence": f"rule:{i}", "text": f"rule {i}: {rule_names.get(i, '?')}"}
                        for i in decision.rule_ids]
        elif decision.selected_by is Selection.random:
            reasons.append({"evidence": "random", "text": "selected at random "
                            f"({settings.random_rate:.0%} of declarations, whatever their risk)"})
        reasons += [r.model_dump() for r in model_reasons.get(decision.declaration_id, [])]
        s = scores[decision.declaration_id]
        rows.append({
            "declaration_id": decision.declaration_id, "lane": decision.lane.value,
            "selected_by": decision.selected_by.value, "propensity": decision.propensity,
            "probability": s["probability"], "score": s["score"], "rank": decision.rank,
            "model_id": row.id, "rule_ids": list(decision.rule_ids), "reasons": reasons,
            "settings_sha256": settings_digest, "decided_by": actor.username,
            "decided_at": now,
        })
    session.execute(LaneDecisionRow.__table__.insert(), rows)
    lanes = _count(r["lane"] for r in rows)
    selected_by = _count(r["selected_by"] for r in rows)
    audit.record(session, actor=actor.username, action="lanes.decide",
                 entity_type="lane_decisions", entity_id=str(window),
                 detail={"model_id": row.id, "settings_sha256": settings_digest,
                         "lanes": lanes, "selected_by": selected_by, "redo": redo}, now=now)
    return LaneReport(window=str(window), model_id=row.id, settings_sha256=settings_digest,
                      decided=len(rows), already_decided=already, lanes=lanes,
                      selected_by=selected_by)


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _rule_hits(session: Session, target: pl.DataFrame
               ) -> dict[str, tuple[Lane, tuple[int, ...]]]:
    """Per declaration: the most severe lane of the rules that fire on any of its items
    (ties: the higher priority), and every rule that fired."""
    rules = active_rules(session)
    if not rules:
        return {}
    evaluated = rule_frame(target)
    fired: dict[str, list[tuple[int, int, int]]] = {}
    for rule, compiled in rules:
        valid = pl.col("date") >= rule.valid_from
        if rule.valid_to is not None:
            valid = valid & (pl.col("date") <= rule.valid_to)
        ids = evaluated.filter(compiled.expr() & valid)["declaration_id"].unique().to_list()
        for decl_id in ids:
            fired.setdefault(decl_id, []).append(
                (SEVERITY[Lane(rule.lane)], rule.priority, rule.id))
    out = {}
    for decl_id, hits in fired.items():
        top = max(hits)
        lane = next(lane for lane, sev in SEVERITY.items() if sev == top[0])
        out[decl_id] = (lane, tuple(sorted(h[2] for h in hits)))
    return out


def _rule_names(session: Session) -> dict[int, str]:
    from smartcustoms.risk.tables import RiskRuleRow

    return dict(session.execute(select(RiskRuleRow.id, RiskRuleRow.name)).all())
