"""Online simulation: the feedback loop as it runs in an office, week after week.

All labelled declarations in date order, cut into weeks. The first weeks inspect a
random share; from then on, each week every strategy retrains on the declarations *it*
inspected (their outcomes are all it knows), scores the week, inspects its budget, and
only those outcomes are revealed to it. What matters is label efficiency: a strategy
that only ever inspects what it already believes risky stops learning.

Strategies:
- ``random``: the budget drawn at random.
- ``model``: the model's top of the week.
- ``model+random``: the model's top, with ``random_share`` of the budget at random.
- ``engine``: the model with the random share, and ``explore_share`` of the budget spent
  on the most frequent patterns (the ``explore`` entity of the feature spec, e.g. a repeat
  consignment) that were declared before but never inspected — the value of information
  of learning a pattern that will come again.
- ``all-labels``: a reference trained on every past outcome, as if all were inspected.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import lightgbm as lgb
import numpy as np
import polars as pl
from pydantic import BaseModel, Field

from smartcustoms.errors import InvalidInput
from smartcustoms.risk.features import add_features, categorical_columns, entity_key
from smartcustoms.risk.model import build_vocab, encode_categories
from smartcustoms.risk.spec import FeatureSpec

STRATEGIES = ("random", "model", "model+random", "engine", "all-labels")

# Small data each week: fixed trees, no early stopping, no calibration (only the order
# of the week's declarations matters here).
SIM_PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15,
              "min_child_samples": 10, "subsample": 0.8, "subsample_freq": 1,
              "colsample_bytree": 0.8, "deterministic": True, "force_row_wise": True,
              "seed": 7, "verbosity": -1, "num_threads": 0}
SIM_TREES = 150


class SimulationOptions(BaseModel):
    budget: float = Field(0.10, gt=0, le=1)
    warmup_weeks: int = Field(4, ge=1)
    random_share: float = Field(0.10, ge=0, le=1)
    explore_share: float = Field(0.10, ge=0, le=1)
    explore: str = "consignment"  # an entity of the feature spec
    last_weeks: int = Field(26, ge=1)
    seed: int = 7
    strategies: list[str] = Field(default_factory=lambda: list(STRATEGIES))


class WeekResult(BaseModel):
    week: int
    start: dt.date
    declarations: int
    inspected: int
    precision: float
    recall: float
    critical_recall: float | None


class StrategyResult(BaseModel):
    strategy: str
    weeks: list[WeekResult]
    precision_all: float
    recall_all: float
    critical_recall_all: float | None
    precision_last: float
    recall_last: float
    critical_recall_last: float | None


class SimulationReport(BaseModel):
    declarations: int
    weeks: int
    options: SimulationOptions
    results: list[StrategyResult]


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def simulate(frame: pl.DataFrame, spec: FeatureSpec, options: SimulationOptions,
             on_week: Callable[[str, int, int], None] | None = None) -> SimulationReport:
    """Run every strategy over the labelled declarations of ``frame`` (one row per
    declaration is assumed for the budget; multi-item declarations count each item)."""
    unknown = set(options.strategies) - set(STRATEGIES)
    if unknown:
        raise InvalidInput(f"unknown strategies; choose from {', '.join(STRATEGIES)}",
                           field="strategies", value=sorted(unknown))
    if options.explore not in spec.entities:
        raise InvalidInput("the explore key must be an entity of the feature spec",
                           field="explore", value=options.explore)
    data = (frame.filter(pl.col("irregular").is_not_null()).sort("date", "declaration_id")
            .with_row_index("_i"))
    if data.is_empty():
        raise InvalidInput("no labelled declarations to simulate on: record inspection "
                           "outcomes first", field="inspections", value=0)
    first = data["date"].min()
    data = data.with_columns(((pl.col("date") - pl.lit(first)).dt.total_days() // 7)
                             .cast(pl.Int32).alias("_week"))
    n_weeks = int(data["_week"].max()) + 1
    if n_weeks <= options.warmup_weeks:
        raise InvalidInput(f"the data spans {n_weeks} weeks, not more than the warm-up",
                           field="warmup_weeks", value=options.warmup_weeks)
    results = [
        _run(data, spec, options, strategy, n_weeks, on_week)
        for strategy in options.strategies
    ]
    return SimulationReport(declarations=len(data), weeks=n_weeks, options=options,
                            results=results)


def _run(data: pl.DataFrame, spec: FeatureSpec, options: SimulationOptions, strategy: str,
         n_weeks: int, on_week: Callable[[str, int, int], None] | None) -> StrategyResult:
    rnd = random.Random(f"{options.seed}:{strategy}")
    labels = data["irregular"].to_numpy()
    critical = data["critical"].fill_null(0).to_numpy()
    weeks = data["_week"].to_numpy()
    revealed = np.zeros(len(data), dtype=bool)
    out: list[WeekResult] = []
    for week in range(n_weeks):
        members = np.flatnonzero(weeks == week)
        if len(members) == 0:
            continue
        k = max(1, round(options.budget * len(members)))
        if week < options.warmup_weeks or strategy == "random":
            chosen = np.array(rnd.sample(list(members), k))
        else:
            chosen = _choose(data, spec, options, strategy, week, members, k, revealed, rnd)
        revealed[chosen] = True
        positives = labels[members].sum()
        crit = critical[members].sum()
        out.append(WeekResult(
            week=week, start=data["date"][int(members[0])], declarations=len(members),
            inspected=len(chosen), precision=float(labels[chosen].mean()),
            recall=float(labels[chosen].sum() / positives) if positives else 0.0,
            critical_recall=float(critical[chosen].sum() / crit) if crit else None))
        if on_week:
            on_week(strategy, week, n_weeks)
    scored = [w for w in out if w.week >= options.warmup_weeks]
    last = scored[-options.last_weeks:]
    return StrategyResult(
        strategy=strategy, weeks=out,
        precision_all=_mean([w.precision for w in scored]) or 0.0,
        recall_all=_mean([w.recall for w in scored]) or 0.0,
        critical_recall_all=_mean([w.critical_recall for w in scored]),
        precision_last=_mean([w.precision for w in last]) or 0.0,
        recall_last=_mean([w.recall for w in last]) or 0.0,
        critical_recall_last=_mean([w.critical_recall for w in last]))


def _choose(data: pl.DataFrame, spec: FeatureSpec, options: SimulationOptions, strategy: str,
            week: int, members: np.ndarray, k: int, revealed: np.ndarray,
            rnd: random.Random) -> np.ndarray:
    upto = data.filter(pl.col("_week") <= week)
    known = revealed[: len(upto)] if strategy != "all-labels" else \
        (upto["_week"] < week).to_numpy()
    masked = upto.with_columns(
        pl.when(pl.Series(known)).then(pl.col("irregular")).otherwise(None).alias("irregular"))
    features, names = add_features(masked, spec)
    train = features.filter(pl.Series(known))
    current = features.filter(pl.col("_week") == week)
    scores = _fit_and_score(train, current, names, spec)
    order = np.argsort(-scores, kind="stable")
    n_random = round(k * options.random_share) if strategy in ("model+random", "engine") else 0
    n_explore = round(k * options.explore_share) if strategy == "engine" else 0
    chosen: list[int] = []
    taken: set[int] = set()
    if n_explore:
        # Frequent patterns never inspected: most earlier declarations, no inspection yet.
        entity = options.explore
        volume = current[f"{entity}_volume"].to_numpy()
        inspected = current[f"{entity}_inspected"].to_numpy()
        keys = current.select(entity_key(spec.entities[entity].keys).alias("k"))["k"].to_list()
        candidates = [j for j in np.argsort(-volume, kind="stable")
                      if inspected[j] == 0 and volume[j] > 0]
        seen_keys: set[str] = set()
        for j in candidates:
            if len(chosen) >= n_explore:
                break
            if keys[j] in seen_keys:  # one per pattern: its outcome teaches the rest
                continue
            seen_keys.add(keys[j])
            chosen.append(int(j))
            taken.add(int(j))
    if n_random:
        pool = [j for j in range(len(current)) if j not in taken]
        for j in rnd.sample(pool, min(n_random, len(pool))):
            chosen.append(j)
            taken.add(j)
    for j in order:
        if len(chosen) >= k:
            break
        if int(j) not in taken:
            chosen.append(int(j))
            taken.add(int(j))
    return members[np.array(chosen, dtype=int)]


def _fit_and_score(train: pl.DataFrame, current: pl.DataFrame, names: list[str],
                   spec: FeatureSpec) -> np.ndarray:
    y = train["irregular"].to_numpy().astype(float)
    if len(np.unique(y)) < 2:
        return np.zeros(len(current))
    vocab = build_vocab(train, categorical_columns(train, spec), min_count=3)

    def matrix(frame: pl.DataFrame) -> np.ndarray:
        numeric = frame.select(names).cast(pl.Float64).fill_null(np.nan).to_numpy()
        return np.hstack([numeric, encode_categories(frame, vocab)])

    categorical = list(range(len(names), len(names) + len(vocab)))
    booster = lgb.train(SIM_PARAMS, lgb.Dataset(matrix(train), y,
                                                categorical_feature=categorical),
                        num_boost_round=SIM_TREES)
    return np.asarray(booster.predict(matrix(current)))
