"""Risk service functions: the CLI, the HTTP API and the console all call these."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.errors import Conflict, InvalidInput, NotFound
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.risk.evaluate import (
    POLICIES,
    EvaluationReport,
    Window,
    declaration_metrics,
    declaration_scores,
    evaluate,
    split_windows,
    training_features,
    windowed_features,
)
from smartcustoms.risk.features import add_features
from smartcustoms.risk.frame import load_frame
from smartcustoms.risk.metrics import DEFAULT_BUDGETS, RankingMetrics, calibration_table
from smartcustoms.risk.model import DEFAULT_PARAMS, RiskModel, content_sha256, fit
from smartcustoms.risk.reasons import Reason, declaration_reasons
from smartcustoms.risk.spec import load_spec
from smartcustoms.risk.tables import RiskModelRow


class ModelVersion(BaseModel):
    id: int
    content_sha256: str
    status: str
    train: str
    valid: str
    rows_train: int
    rows_valid: int
    trees: int
    validation: RankingMetrics
    created_by: str
    created_at: dt.datetime
    promoted_by: str | None
    promoted_at: dt.datetime | None


def model_version(row: RiskModelRow) -> ModelVersion:
    """The read model of a stored version."""
    return ModelVersion(
        id=row.id, content_sha256=row.content_sha256, status=row.status,
        train=f"{row.train_from}:{row.train_to}", valid=f"{row.valid_from}:{row.valid_to}",
        rows_train=row.rows_train, rows_valid=row.rows_valid,
        trees=int(row.params.get("trees", 0)),
        validation=RankingMetrics.model_validate(row.metrics["validation"]),
        created_by=row.created_by, created_at=row.created_at, promoted_by=row.promoted_by,
        promoted_at=row.promoted_at)


def run_evaluation(session: Session, *, actor: Principal, train: Window | None = None,
                   valid: Window | None = None, test: Window | None = None,
                   policy: str = "probability", spec_path: Path | None = None,
                   baselines: bool = True) -> EvaluationReport:
    actor.require(Permission.train_risk_models)
    frame = load_frame(session)
    report, _ = evaluate(frame, load_spec(spec_path), train=train, valid=valid, test=test,
                         policy=policy, baselines=baselines)
    return report


def train_model(session: Session, *, actor: Principal, now: dt.datetime,
                train: Window | None = None, valid: Window | None = None,
                spec_path: Path | None = None) -> tuple[ModelVersion, bool]:
    """Train a candidate on the labelled history; an analyst promotes it (or not).

    Without windows, the latest 15 % of the labelled dates validate (early stopping,
    calibration) and everything before trains. The version keeps its validation metrics:
    ranking per declaration, and the calibration table with the Brier score per item row
    (``metrics["validation"]["calibration"]``). Returns the version and whether it is new
    (the same data and spec give the same content hash).
    """
    actor.require(Permission.train_risk_models)
    spec = load_spec(spec_path)
    frame = load_frame(session)
    if train is None or valid is None:
        t, v, s = split_windows(frame, None, None, None)
        train, valid = train or t, valid or Window(v.start, s.end)
    if not train.end < valid.start:
        raise InvalidInput("the validation window must follow the training window",
                           field="valid", value=str(valid))
    train_rows, names = training_features(frame, spec, train)
    valid_rows, _ = windowed_features(frame, spec, valid)
    for label, rows in (("training", train_rows), ("validation", valid_rows)):
        if rows.is_empty() or rows["irregular"].n_unique() < 2:
            raise InvalidInput(f"the {label} window needs inspected declarations with both "
                               "outcomes", field=label, value=len(rows))
    model = fit(train_rows, valid_rows, names, spec)
    p_valid = model.predict(valid_rows)
    # Ranking metrics per declaration (what is inspected); calibration per item row (what
    # the model predicts and Platt scaling was fitted on).
    validation = {
        **_declaration_metrics("validation", valid_rows, p_valid).model_dump(),
        "calibration": calibration_table(p_valid, valid_rows["irregular"].to_numpy()
                                         ).model_dump(),
    }
    artifact = model.artifact()
    digest = content_sha256(artifact)
    existing = session.execute(
        select(RiskModelRow).where(RiskModelRow.content_sha256 == digest)).scalar_one_or_none()
    if existing is not None:
        if ("calibration" not in existing.metrics.get("validation", {})
                and (existing.valid_from, existing.valid_to) == (valid.start, valid.end)):
            # Stored before calibration was recorded: the same artifact on the same
            # window gives the same figures, so retraining fills them in (the model
            # itself, and so its hash, is unchanged; the fill-in is audited).
            existing.metrics = {**existing.metrics, "validation": validation}
            session.flush()
            audit.record(session, actor=actor.username, action="risk-model.calibration",
                         entity_type="risk_model", entity_id=str(existing.id),
                         detail={"content_sha256": digest, "valid": str(valid)}, now=now)
        return model_version(existing), False
    row = RiskModelRow(
        content_sha256=digest, status="candidate", train_from=train.start, train_to=train.end,
        valid_from=valid.start, valid_to=valid.end, rows_train=len(train_rows),
        rows_valid=len(valid_rows), features=model.feature_names,
        params={**DEFAULT_PARAMS, "trees": model.best_iteration},
        metrics={"validation": validation}, artifact=artifact,
        created_by=actor.username, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor.username, action="risk-model.train",
                 entity_type="risk_model", entity_id=str(row.id),
                 detail={"content_sha256": digest, "train": str(train), "valid": str(valid)},
                 now=now)
    return model_version(row), True


def _declaration_metrics(name: str, rows: pl.DataFrame, scores: np.ndarray) -> RankingMetrics:
    decls = declaration_scores(rows, scores, "probability")
    return declaration_metrics(name, decls, DEFAULT_BUDGETS)


def list_models(session: Session, *, actor: Principal) -> list[ModelVersion]:
    actor.require(Permission.read_all_declarations)
    rows = session.execute(select(RiskModelRow).order_by(RiskModelRow.id.desc())).scalars()
    return [model_version(r) for r in rows]


def promote_model(session: Session, model_id: int, *, actor: Principal, now: dt.datetime
                  ) -> ModelVersion:
    """Make one version the model that scores; the previous one is retired."""
    actor.require(Permission.promote_risk_models)
    row = session.get(RiskModelRow, model_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no risk model {model_id}", field="model_id", value=model_id)
    if row.status == "promoted":
        raise Conflict(f"risk model {model_id} is already the promoted model",
                       field="model_id", value=model_id)
    session.execute(update(RiskModelRow).where(RiskModelRow.status == "promoted")
                    .values(status="retired"))
    row.status, row.promoted_by, row.promoted_at = "promoted", actor.username, now
    audit.record(session, actor=actor.username, action="risk-model.promote",
                 entity_type="risk_model", entity_id=str(row.id),
                 detail={"content_sha256": row.content_sha256}, now=now)
    session.flush()
    return model_version(row)


class ScoredDeclaration(BaseModel):
    declaration_id: str
    reference: str | None
    declaration_date: dt.date
    probability: float
    expected_duty: float
    reasons: list[Reason]


class ScoreReport(BaseModel):
    model_id: int
    model_sha256: str
    policy: str
    declarations: int
    ranked: list[ScoredDeclaration]


def promoted_model(session: Session, model_id: int | None = None) -> RiskModelRow:
    query = select(RiskModelRow)
    query = (query.where(RiskModelRow.id == model_id) if model_id is not None
             else query.where(RiskModelRow.status == "promoted"))
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound("no promoted risk model: train one and promote it"
                       if model_id is None else f"no risk model {model_id}",
                       field="model_id", value=model_id)
    return row


def score_window(session: Session, window: Window, *, actor: Principal,
                 model_id: int | None = None, policy: str = "probability", top: int = 20,
                 reasons: int = 3) -> ScoreReport:
    """Rank the stored declarations of a window with a model, the riskiest with reasons.

    Each declaration is described with what was known before its date, as it would have
    been at lodgement.
    """
    actor.require(Permission.read_all_declarations)
    if policy not in POLICIES:
        raise InvalidInput(f"the policy must be one of {', '.join(POLICIES)}", field="policy",
                           value=policy)
    row = promoted_model(session, model_id)
    model = RiskModel.from_artifact(row.artifact)
    frame = load_frame(session, until=window.end)
    features, _ = add_features(frame, model.spec)
    target = features.filter(window.mask())
    if target.is_empty():
        return ScoreReport(model_id=row.id, model_sha256=row.content_sha256, policy=policy,
                           declarations=0, ranked=[])
    decls = declaration_scores(target, model.predict(target), policy).sort(
        "score", descending=True, maintain_order=True)
    chosen = decls.head(top)
    # Reasons for the item that carries each declaration's score.
    items = target.join(chosen.select("declaration_id"), on="declaration_id")
    p = model.predict(items)
    explained = declaration_reasons(model, items, p, top=reasons)
    refs = dict(session.execute(
        select(DeclarationRow.id, DeclarationRow.reference)
        .where(DeclarationRow.id.in_(chosen["declaration_id"].to_list()))).all())
    dates = dict(zip(target["declaration_id"].to_list(), target["date"].to_list(),
                     strict=True))
    ranked = [ScoredDeclaration(
        declaration_id=r["declaration_id"], reference=refs.get(r["declaration_id"]),
        declaration_date=dates[r["declaration_id"]], probability=r["probability"],
        expected_duty=r["expected_duty"], reasons=explained.get(r["declaration_id"], []))
        for r in chosen.iter_rows(named=True)]
    return ScoreReport(model_id=row.id, model_sha256=row.content_sha256, policy=policy,
                       declarations=len(decls), ranked=ranked)
