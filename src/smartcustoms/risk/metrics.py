"""Targeting metrics at an inspection budget: what the top k % of the ranking finds."""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, Field
from sklearn.metrics import roc_auc_score

DEFAULT_BUDGETS = (0.01, 0.02, 0.05, 0.10)


class BudgetMetrics(BaseModel):
    budget: float
    inspected: int
    precision: float
    recall: float
    critical_recall: float | None
    duty_recall: float | None


class RankingMetrics(BaseModel):
    name: str
    declarations: int
    auc: float | None
    at: list[BudgetMetrics]

    def at_budget(self, budget: float) -> BudgetMetrics:
        return next(m for m in self.at if math.isclose(m.budget, budget))


def top_k(budget: float, n: int) -> int:
    """How many declarations a budget inspects: rounded, at least one."""
    return max(1, round(budget * n))


def ranking_order(scores: np.ndarray) -> np.ndarray:
    """Highest score first; ties keep input order, so a ranking is reproducible."""
    return np.argsort(-scores, kind="stable")


def ranking_metrics(
    name: str, scores: np.ndarray, irregular: np.ndarray, *,
    critical: np.ndarray | None = None, duty: np.ndarray | None = None,
    budgets: tuple[float, ...] = DEFAULT_BUDGETS,
) -> RankingMetrics:
    """Precision and recall of inspecting the top of the ranking at each budget.

    ``duty``: the duty an irregularity would recover per declaration (zero when
    regular); its recall is the share of all that duty the inspections find.
    """
    irregular = np.asarray(irregular, dtype=float)
    order = ranking_order(np.asarray(scores, dtype=float))
    positives = irregular.sum()
    crit_total = None if critical is None else float(np.asarray(critical, float).sum())
    duty_total = None if duty is None else float(np.asarray(duty, float).sum())
    out = []
    for budget in budgets:
        k = top_k(budget, len(order))
        chosen = order[:k]
        hits = irregular[chosen].sum()
        out.append(BudgetMetrics(
            budget=budget, inspected=k, precision=float(hits / k),
            recall=float(hits / positives) if positives else 0.0,
            critical_recall=(float(np.asarray(critical, float)[chosen].sum() / crit_total)
                             if crit_total else None),
            duty_recall=(float(np.asarray(duty, float)[chosen].sum() / duty_total)
                         if duty_total else None),
        ))
    auc = (float(roc_auc_score(irregular, scores))
           if 0 < positives < len(irregular) else None)
    return RankingMetrics(name=name, declarations=len(order), auc=auc, at=out)


CALIBRATION_BINS = 10


class CalibrationBin(BaseModel):
    p_low: float = Field(description="the bin's lowest predicted probability")
    p_high: float = Field(description="the bin's highest predicted probability")
    mean_predicted: float = Field(description="mean predicted P(irregular) in the bin")
    observed_rate: float = Field(description="share of the bin's rows found irregular")
    count: int = Field(description="rows in the bin")


class Calibration(BaseModel):
    """Predicted against observed on a window: a reliability table and the Brier score."""

    rows: int
    positive_rate: float = Field(description="share of the rows found irregular")
    brier: float = Field(description="mean squared error of the probabilities (0 is perfect; "
                         "always predicting the positive rate r scores r(1 - r))")
    bins: list[CalibrationBin]


def calibration_table(probability: np.ndarray, irregular: np.ndarray,
                      bins: int = CALIBRATION_BINS) -> Calibration:
    """``bins`` equal-count bins of the predicted probability, lowest first.

    Equal-count (quantile) bins, not equal-width: risk scores are skewed — most rows sit
    near zero, a few near one — so tenths of [0, 1] would leave most bins nearly empty and
    put most rows in one. With equal counts each point of the plot rests on about the same
    number of rows, so their observed rates are equally trustworthy. Rows are split by rank
    (stable), so tied probabilities may straddle two bins.
    """
    p = np.asarray(probability, dtype=float)
    y = np.asarray(irregular, dtype=float)
    if len(p) == 0:
        raise ValueError("calibration needs at least one row")
    order = np.argsort(p, kind="stable")
    table = []
    for chunk in np.array_split(order, min(bins, len(p))):
        table.append(CalibrationBin(
            p_low=_r(p[chunk].min()), p_high=_r(p[chunk].max()),
            mean_predicted=_r(p[chunk].mean()), observed_rate=_r(y[chunk].mean()),
            count=len(chunk)))
    return Calibration(rows=len(p), positive_rate=_r(y.mean()),
                       brier=_r(np.mean((p - y) ** 2)), bins=table)


def _r(x: float) -> float:
    return round(float(x), 6)  # a small JSON document; more digits say nothing
