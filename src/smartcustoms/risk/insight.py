"""What an analyst reads about one model version: its windows and parameters, validation
metrics, the calibration recorded at training, and which features it relies on.

Feature importance is read from the stored artifact when asked (the trees' total gain per
feature: no data, no scoring), so every stored version has it, however old.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from smartcustoms.errors import NotFound
from smartcustoms.identity import Permission, Principal
from smartcustoms.risk.metrics import Calibration
from smartcustoms.risk.model import RiskModel
from smartcustoms.risk.reasons import feature_label
from smartcustoms.risk.service import ModelVersion, model_version
from smartcustoms.risk.tables import RiskModelRow

TOP_FEATURES = 20


class FeatureImportance(BaseModel):
    feature: str = Field(description="the model's name of the feature",
                         examples=["importer_hs6_risk"])
    label: str = Field(description="the feature in an analyst's words",
                       examples=["past irregularity rate of importer × HS"])
    share: float = Field(description="its share of the trees' total gain (0 to 1)")


class ModelInsight(BaseModel):
    """One model version for an analyst: metrics, calibration, feature importance."""

    version: ModelVersion
    params: dict[str, Any] = Field(description="LightGBM parameters, with `trees` chosen "
                                   "by early stopping")
    features: int = Field(description="how many features the model sees")
    calibration: Calibration | None = Field(
        description="predicted against observed on the validation window; null for a "
        "version stored before it was recorded (retrain to record it)")
    importance: list[FeatureImportance] = Field(
        description=f"the {TOP_FEATURES} features with the largest share of the gain, "
        "largest first")
    importance_rest: float = Field(description="the share of all the other features")


def feature_importance(model: RiskModel) -> list[FeatureImportance]:
    """Every feature the trees split on, by its share of the total gain, largest first.

    Gain, not split counts: a feature used in many small splits near the leaves matters
    less than one that separates most of the risk in a few splits near the root.
    """
    gain = np.asarray(model.booster.feature_importance(
        importance_type="gain", iteration=model.best_iteration), dtype=float)
    total = gain.sum()
    if total <= 0:  # a model without a single split
        return []
    names = model.feature_names
    order = np.argsort(-gain, kind="stable")
    return [FeatureImportance(feature=names[i], label=feature_label(names[i], model),
                              share=round(float(gain[i] / total), 6))
            for i in order if gain[i] > 0]


def model_insight(session: Session, model_id: int, *, actor: Principal) -> ModelInsight:
    """The model version ``model_id`` as an analyst reads it (whoever may list models)."""
    actor.require(Permission.read_all_declarations)
    row = session.get(RiskModelRow, model_id)
    if row is None:
        raise NotFound(f"no risk model {model_id}", field="model_id", value=model_id)
    stored = row.metrics.get("validation", {}).get("calibration")
    ranked = feature_importance(RiskModel.from_artifact(row.artifact))
    top = ranked[:TOP_FEATURES]
    return ModelInsight(
        version=model_version(row), params=dict(row.params), features=len(row.features),
        calibration=Calibration.model_validate(stored) if stored is not None else None,
        importance=top,
        importance_rest=round(max(0.0, 1.0 - sum(f.share for f in top)), 6)
        if len(ranked) > len(top) else 0.0)
