"""Honest evaluation on a chronological split, beside the published baselines.

Train on the training window, stop early and calibrate on the validation window,
measure on the test window, which nothing looks at before. Test rows see the labels
of inspections dated before the test window only, as a deployed model would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl
from pydantic import BaseModel

from smartcustoms.errors import InvalidInput
from smartcustoms.risk.features import add_features, categorical_columns
from smartcustoms.risk.metrics import DEFAULT_BUDGETS, RankingMetrics, ranking_metrics
from smartcustoms.risk.model import RiskModel, fit
from smartcustoms.risk.spec import FeatureSpec

POLICIES = ("probability", "duty")


@dataclass(frozen=True, slots=True)
class Window:
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def parse(cls, text: str, name: str) -> Window:
        """``2020-01-01:2020-12-31`` (inclusive on both ends)."""
        try:
            start, end = (dt.date.fromisoformat(p) for p in text.split(":"))
        except ValueError:
            raise InvalidInput(f"the {name} window must be START:END as ISO dates",
                               field=name, value=text) from None
        if end < start:
            raise InvalidInput(f"the {name} window ends before it starts", field=name,
                               value=text)
        return cls(start, end)

    def mask(self) -> pl.Expr:
        return pl.col("date").is_between(self.start, self.end)

    def __str__(self) -> str:
        return f"{self.start}:{self.end}"


class EvaluationReport(BaseModel):
    train: str
    valid: str
    test: str
    rows_train: int
    rows_valid: int
    rows_test: int
    test_positive_rate: float
    policy: str
    trees: int
    results: list[RankingMetrics]


def split_windows(frame: pl.DataFrame, train: Window | None, valid: Window | None,
                  test: Window | None) -> tuple[Window, Window, Window]:
    """Missing windows default to a chronological 70 / 15 / 15 split of the labelled dates."""
    dates = frame.filter(pl.col("irregular").is_not_null())["date"].unique().sort()
    if len(dates) < 3:
        raise InvalidInput("too few labelled declarations to evaluate: record inspection "
                           "outcomes first", field="inspections", value=len(dates))
    if train and valid and test:
        windows = (train, valid, test)
    else:
        a, b = dates[int(len(dates) * 0.70)], dates[int(len(dates) * 0.85)]
        windows = (train or Window(dates[0], a - dt.timedelta(days=1)),
                   valid or Window(a, b - dt.timedelta(days=1)),
                   test or Window(b, dates[-1]))
    t, v, s = windows
    if not (t.end < v.start and v.end < s.start):
        raise InvalidInput("the windows must be in date order without overlap: "
                           f"train {t}, valid {v}, test {s}", field="windows")
    return windows


def windowed_features(frame: pl.DataFrame, spec: FeatureSpec, window: Window
                      ) -> tuple[pl.DataFrame, list[str]]:
    """Features of a window's labelled rows, as a scorer at the window's start sees them."""
    history = frame.filter(pl.col("date") <= window.end)
    features, names = add_features(history, spec, labels_known_before=window.start)
    return features.filter(window.mask() & pl.col("irregular").is_not_null()), names


def training_features(frame: pl.DataFrame, spec: FeatureSpec, window: Window
                      ) -> tuple[pl.DataFrame, list[str]]:
    """Training rows see, each, only the outcomes before its own date."""
    history = frame.filter(pl.col("date") <= window.end)
    features, names = add_features(history, spec)
    return features.filter(window.mask() & pl.col("irregular").is_not_null()), names


def declaration_scores(rows: pl.DataFrame, scores: np.ndarray, policy: str) -> pl.DataFrame:
    """One score per declaration: its riskiest item, or its total expected duty at stake."""
    scored = rows.with_columns(
        pl.Series("_p", scores),
        (pl.col("price").fill_null(0) * pl.col("duty_rate").fill_null(0) / 100).alias("_duty"))
    agg = scored.group_by("declaration_id", maintain_order=True).agg(
        pl.col("_p").max().alias("probability"),
        (pl.col("_p") * pl.col("_duty")).sum().alias("expected_duty"),
        pl.col("_duty").sum().alias("duty"),
        pl.col("irregular").max(), pl.col("critical").max(),
    )
    key = "probability" if policy == "probability" else "expected_duty"
    return agg.with_columns(pl.col(key).alias("score"))


def declaration_metrics(name: str, decls: pl.DataFrame, budgets: tuple[float, ...]
                        ) -> RankingMetrics:
    y = decls["irregular"].to_numpy().astype(float)
    return ranking_metrics(
        name, decls["score"].to_numpy(), y,
        critical=decls["critical"].fill_null(0).to_numpy().astype(float),
        duty=y * decls["duty"].to_numpy(), budgets=budgets)


def evaluate(
    frame: pl.DataFrame, spec: FeatureSpec, *, train: Window | None = None,
    valid: Window | None = None, test: Window | None = None, policy: str = "probability",
    budgets: tuple[float, ...] = DEFAULT_BUDGETS, baselines: bool = True,
) -> tuple[EvaluationReport, RiskModel]:
    if policy not in POLICIES:
        raise InvalidInput(f"the policy must be one of {', '.join(POLICIES)}", field="policy",
                           value=policy)
    t, v, s = split_windows(frame, train, valid, test)
    train_rows, names = training_features(frame, spec, t)
    valid_rows, _ = windowed_features(frame, spec, v)
    test_rows, _ = windowed_features(frame, spec, s)
    for label, rows in (("training", train_rows), ("validation", valid_rows),
                        ("test", test_rows)):
        if rows.is_empty() or rows["irregular"].n_unique() < 2:
            raise InvalidInput(f"the {label} window needs inspected declarations with both "
                               "outcomes", field=label, value=len(rows))
    model = fit(train_rows, valid_rows, names, spec)
    test_decls = declaration_scores(test_rows, model.predict(test_rows), policy)
    results = [declaration_metrics("smartcustoms", test_decls, budgets)]
    if baselines:
        raw_train = frame.filter(t.mask() & pl.col("irregular").is_not_null())
        for name, scores in paper_baselines(raw_train, test_rows, spec).items():
            decls = declaration_scores(test_rows, scores, policy)
            results.append(declaration_metrics(name, decls, budgets))
    report = EvaluationReport(
        train=str(t), valid=str(v), test=str(s), rows_train=len(train_rows),
        rows_valid=len(valid_rows), rows_test=len(test_rows),
        test_positive_rate=float(test_decls["irregular"].mean() or 0.0), policy=policy,
        trees=model.best_iteration, results=results)
    return report, model


RAW_CATEGORICAL = ("office", "declarant", "importer", "seller", "hs6", "origin", "departure",
                   "transport_mode", "preference_code")
RAW_NUMERIC = ("net_mass_kg", "price", "duty_rate")


def _integer_coded(train: pl.DataFrame, other: pl.DataFrame
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The dataset paper's input: every raw column, strings as integer codes of training."""
    columns = [*RAW_CATEGORICAL, *sorted(c for c in train.columns if c.startswith("national."))]
    out_train, out_other = [], []
    for column in columns:
        codes = {v: i for i, v in enumerate(train[column].drop_nulls().unique().sort())}
        for source, out in ((train, out_train), (other, out_other)):
            out.append(source[column].replace_strict(codes, default=-1,
                                                     return_dtype=pl.Int64).to_numpy())
    for column in RAW_NUMERIC:
        out_train.append(train[column].fill_null(np.nan).to_numpy())
        out_other.append(other[column].fill_null(np.nan).to_numpy())
    return np.column_stack(out_train), np.column_stack(out_other)


def paper_baselines(train: pl.DataFrame, test: pl.DataFrame, spec: FeatureSpec
                    ) -> dict[str, np.ndarray]:
    """LightGBM and XGBoost with default parameters on integer-coded raw columns."""
    del spec  # the baselines see raw columns only
    x_train, x_test = _integer_coded(train, test)
    y = train["irregular"].to_numpy()
    out: dict[str, Any] = {}
    booster = lgb.LGBMClassifier(verbose=-1, random_state=7).fit(x_train, y)
    out["LightGBM (paper)"] = booster.predict_proba(x_test)[:, 1]
    import xgboost as xgb  # imported here: only the baseline needs it

    xgb_model = xgb.XGBClassifier(random_state=7).fit(x_train, y)
    out["XGBoost (paper)"] = xgb_model.predict_proba(x_test)[:, 1]
    return out


__all__ = ["EvaluationReport", "Window", "categorical_columns", "evaluate"]
