"""Scoring on submission: a lane for one declaration, at once, with its reasons.

A submitted declaration cannot wait for the rest of its day, so capacity becomes
thresholds: the promoted model's scores of the last four weeks say which score puts a
declaration in the top 5 % (red), the next 5 % (yellow) and so on; a lane with a daily
*count* also checks how many the office has already received today. Rules, the random
draw and the propensities are those of batch selection (``selectivity``).

The history behind the features is cached per process and rebuilt when the promoted
model changes, when the lane settings in force change (``lane_store``: a supervisor saved
or re-activated a version, in this process or another), when an outcome is recorded here,
or after ``risk_refresh_seconds``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

import numpy as np
import orjson
import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcustoms.declarations.repository import get_declaration
from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.risk.evaluate import declaration_scores
from smartcustoms.risk.features import (
    History,
    LatestHistory,
    attach,
    attach_latest,
    build_history,
)
from smartcustoms.risk.frame import (
    attach_findings,
    frame_record,
    load_frame,
    records_to_frame,
)
from smartcustoms.risk.lane_store import active_lane_settings, active_lane_settings_sha256
from smartcustoms.risk.model import RiskModel
from smartcustoms.risk.reasons import explain
from smartcustoms.risk.rule_store import active_rules, rule_frame
from smartcustoms.risk.selectivity import (
    INSPECTED,
    SEVERITY,
    Lane,
    LaneSettings,
    Selection,
    uniform,
)
from smartcustoms.risk.tables import LaneDecisionRow, RiskModelRow

RECENT_DAYS = 28
ORDER = (Lane.red, Lane.yellow, Lane.blue)


@dataclass(frozen=True, slots=True)
class ScoringState:
    model_id: int
    model: RiskModel
    settings: LaneSettings
    settings_sha256: str
    history: History
    latest: LatestHistory
    thresholds: dict[Lane, float]  # the lowest score that enters each lane
    built_at: float


class Scorer:
    """The per-process cache of what scoring a submission needs.

    Without ``settings`` it scores under the lane settings in force, whose digest it reads
    on every submission (one small query) so that a change made anywhere applies at once.
    """

    def __init__(self, settings: LaneSettings | None = None, refresh_seconds: int = 300
                 ) -> None:
        self._pinned = settings
        self._pinned_sha256 = settings.digest() if settings is not None else None
        self.refresh_seconds = refresh_seconds
        self._state: ScoringState | None = None
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._state = None

    def state(self, session: Session) -> ScoringState | None:
        promoted = session.execute(select(RiskModelRow.id).where(
            RiskModelRow.status == "promoted")).scalar_one_or_none()
        if promoted is None:
            return None
        settings_sha256 = self._pinned_sha256 or active_lane_settings_sha256(session)
        with self._lock:
            current = self._state
            if (current is None or current.model_id != promoted
                    or current.settings_sha256 != settings_sha256
                    or time.monotonic() - current.built_at > self.refresh_seconds):
                current = self._state = self._build(session, promoted)
            return current

    def _build(self, session: Session, model_id: int) -> ScoringState:
        row = session.get(RiskModelRow, model_id)
        assert row is not None
        model = RiskModel.from_artifact(row.artifact)
        settings = self._pinned if self._pinned is not None else active_lane_settings(session)
        frame = load_frame(session)
        history = build_history(frame, model.spec)
        return ScoringState(model_id, model, settings, settings.digest(), history,
                            LatestHistory.of(history),
                            self._thresholds(frame, history, model, settings),
                            time.monotonic())

    def _thresholds(self, frame: pl.DataFrame, history: History, model: RiskModel,
                    settings: LaneSettings) -> dict[Lane, float]:
        if frame.is_empty():
            return {lane: float("inf") for lane in ORDER}
        last = frame["date"].max()
        recent = frame.filter(pl.col("date") > last - dt.timedelta(days=RECENT_DAYS))  # type: ignore[operator]
        features, _ = attach(recent, history, model.spec)
        decls = declaration_scores(features, model.predict(features), settings.policy)
        scores = decls["score"].to_numpy()
        # A daily count reads as the share it is of an average office-day.
        office_days = recent.select("office", "date").n_unique()
        per_office_day = len(decls) / max(office_days, 1)
        out: dict[Lane, float] = {}
        share = 0.0
        for lane in ORDER:
            cap = settings.capacity.get(lane)
            if cap is not None:
                share += cap.share if cap.share is not None else (cap.count or 0) / per_office_day
            share = min(share, 1.0)
            out[lane] = (float(np.quantile(scores, 1 - share)) if 0 < share < 1
                         else float("inf") if share == 0 else float("-inf"))
        return out


def decide_on_submission(session: Session, declaration_id: str, scorer: Scorer, *,
                         decided_by: str, now: dt.datetime) -> LaneDecisionRow | None:
    """The lane of a just-stored declaration (None when no model is promoted yet)."""
    if session.execute(select(LaneDecisionRow.id).where(
            LaneDecisionRow.declaration_id == declaration_id)).first():
        return None
    state = scorer.state(session)
    if state is None:
        return None
    decl = get_declaration(session, declaration_id)
    assert decl is not None
    document = orjson.loads(decl.document)
    rows = records_to_frame([frame_record(decl.id, decl.declaration_date, document, i + 1)
                             for i in range(len(document["items"]))])
    rows = rows.with_columns(pl.lit(None, dtype=pl.Int8).alias("irregular"),
                             pl.lit(None, dtype=pl.Int8).alias("critical"))
    rows = attach_findings(rows, session, [declaration_id])
    if not state.latest.covers(rows) and state.latest.cut is not None \
            and rows["date"].min() > state.latest.cut:  # type: ignore[operator]
        scorer.invalidate()  # a new day: today's history becomes the cut
        state = scorer.state(session)
        assert state is not None
    spec = state.model.spec
    features, _ = (attach_latest(rows, state.latest, spec) if state.latest.covers(rows)
                   else attach(rows, state.history, spec))
    matrix = state.model.matrix(features)
    probability = state.model.predict(features, matrix)
    settings = state.settings
    scored = declaration_scores(features, probability, settings.policy).row(0, named=True)

    lane, selected_by, rule_ids = _rule_lane(session, features)
    rate = settings.random_rate
    propensity = rate
    if lane is not None:
        selected_by = Selection.rule
        propensity = 1.0 if lane in INSPECTED else rate
    else:
        model_lane = _model_lane(session, scored["score"], decl, state, settings)
        if uniform(settings.seed, declaration_id) < rate:
            lane, selected_by = Lane.red, Selection.random
            propensity = 1.0 if model_lane in INSPECTED else rate
        elif model_lane is not None:
            lane, selected_by = model_lane, Selection.model
            propensity = 1.0 if model_lane in INSPECTED else rate
        else:
            lane, selected_by = Lane.green, Selection.none
    best = int(np.argmax(probability))
    reasons = [r.model_dump() for r in explain(state.model, features[best:best + 1],
                                               matrix=matrix[best:best + 1])[0]]
    if selected_by is Selection.random:
        reasons.insert(0, {"evidence": "random", "text": "selected at random "
                           f"({rate:.0%} of declarations, whatever their risk)"})
    row = LaneDecisionRow(
        declaration_id=declaration_id, lane=lane.value, selected_by=selected_by.value,
        propensity=propensity, probability=scored["probability"], score=scored["score"],
        rank=None, model_id=state.model_id, rule_ids=list(rule_ids), reasons=reasons,
        settings_sha256=settings.digest(), decided_by=decided_by, decided_at=now)
    session.add(row)
    session.flush()
    return row


def _rule_lane(session: Session, features: pl.DataFrame
               ) -> tuple[Lane | None, Selection, tuple[int, ...]]:
    hits: list[tuple[int, int, int, str]] = []
    evaluated = rule_frame(features)
    day = features["date"][0]
    for rule, compiled in active_rules(session):
        if rule.valid_from > day or (rule.valid_to is not None and rule.valid_to < day):
            continue
        if bool(evaluated.select(compiled.expr().any()).item()):
            hits.append((SEVERITY[Lane(rule.lane)], rule.priority, rule.id, rule.lane))
    if not hits:
        return None, Selection.none, ()
    top = max(hits)
    return Lane(top[3]), Selection.rule, tuple(sorted(h[2] for h in hits))


def _model_lane(session: Session, score: float, decl: DeclarationRow, state: ScoringState,
                settings: LaneSettings) -> Lane | None:
    for lane in ORDER:
        cap = settings.capacity_for(decl.office, lane)
        if cap is None:
            continue
        if cap.count is not None:
            taken = session.scalar(
                select(func.count()).select_from(LaneDecisionRow)
                .join(DeclarationRow, DeclarationRow.id == LaneDecisionRow.declaration_id)
                .where(LaneDecisionRow.lane == lane.value,
                       LaneDecisionRow.selected_by == Selection.model.value,
                       DeclarationRow.office == decl.office,
                       DeclarationRow.declaration_date == decl.declaration_date)) or 0
            if taken < cap.count and score >= state.thresholds.get(lane, float("inf")):
                return lane
        elif score >= state.thresholds[lane]:
            return lane
    return None

