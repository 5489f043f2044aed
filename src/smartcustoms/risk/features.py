"""Leakage-free risk features: one code path for a training frame and for scoring.

Every history is an *as-of* join: a row at date d sees the labels of inspections dated
before d (and before ``labels_known_before``, which hides the outcomes a scorer could
not have known yet) and the volumes of declarations lodged before d — never its own
day, never the future. Training on a frame and scoring new declarations appended to
the same history are the same function.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import polars as pl

from smartcustoms.risk.spec import FeatureSpec

_NULL_KEY = "\x00"  # a missing value is a key of its own ("origin not declared")
_SEP = "\x1f"
_ROW = "__row"


def entity_key(columns: list[str]) -> pl.Expr:
    parts = [pl.col(c).cast(pl.String).fill_null(_NULL_KEY) for c in columns]
    return pl.concat_str(parts, separator=_SEP) if len(parts) > 1 else parts[0]


def categorical_columns(frame: pl.DataFrame, spec: FeatureSpec) -> list[str]:
    out: list[str] = []
    for name in spec.categorical:
        if name == "national.*":
            out += sorted(c for c in frame.columns if c.startswith("national."))
        elif name in frame.columns:
            out.append(name)
    return out


def _cumulative(daily: pl.DataFrame, values: list[str]) -> pl.DataFrame:
    return daily.sort("_k", "date").with_columns([pl.col(c).cum_sum().over("_k")
                                                  for c in values])


def _as_of(rows: pl.DataFrame, cumulative: pl.DataFrame, values: list[str]) -> pl.DataFrame:
    """Cumulative values of (key, date) strictly before each row's date."""
    joined = rows.join_asof(cumulative, on="date", by="_k", strategy="backward",
                            allow_exact_matches=False, check_sortedness=False)
    return joined.with_columns([pl.col(c).fill_null(0) for c in values])


@dataclass(frozen=True, slots=True)
class History:
    """What is known, as cumulative tables by key and date: all that features need.

    Built once from the stored declarations, it describes any batch of new rows (each
    sees the history strictly before its date) without reading the history again.
    """

    overall: pl.DataFrame  # _k = "", date, _n, _pos
    entities: dict[str, pl.DataFrame]  # _k, date, _n, _pos, _v
    unit_value: pl.DataFrame  # _k, date, _c, _s, _q
    novelty: dict[str, pl.DataFrame]  # _k, date, _v
    rows: int


def _log_unit_value() -> pl.Expr:
    log_uv = (pl.col("price") / pl.col("net_mass_kg")).log()
    return pl.when(log_uv.is_finite()).then(log_uv).otherwise(None)


def build_history(frame: pl.DataFrame, spec: FeatureSpec, *,
                  labels_known_before: dt.date | None = None) -> History:
    """Cumulative outcomes and volumes of ``frame``; labels of rows dated on or after
    ``labels_known_before`` are treated as unknown."""
    known = pl.col("irregular").is_not_null()
    if labels_known_before is not None:
        known = known & (pl.col("date") < labels_known_before)
    base = frame.with_columns(
        pl.when(known).then(pl.col("irregular")).otherwise(None).cast(pl.Float64).alias("_y"))
    overall = _cumulative(
        base.group_by("date").agg(_n=pl.col("_y").count(), _pos=pl.col("_y").sum())
        .with_columns(_k=pl.lit("")), ["_n", "_pos"])
    entities = {}
    for name, entity in spec.ordered_entities():
        daily = (base.select("date", "_y", entity_key(entity.keys).alias("_k"))
                 .group_by("_k", "date")
                 .agg(_n=pl.col("_y").count(), _pos=pl.col("_y").sum(), _v=pl.len()))
        entities[name] = _cumulative(daily, ["_n", "_pos", "_v"])
    uv = base.select("date", entity_key(spec.unit_value_group).alias("_k"),
                     _log_unit_value().alias("_luv"))
    unit_value = _cumulative(uv.group_by("_k", "date").agg(
        _c=pl.col("_luv").count(), _s=pl.col("_luv").sum(), _q=(pl.col("_luv") ** 2).sum()),
        ["_c", "_s", "_q"])
    novelty = {
        name: _cumulative(base.select("date", entity_key(keys).alias("_k"))
                          .group_by("_k", "date").agg(_v=pl.len()), ["_v"])
        for name, keys in spec.novelty.items()
    }
    return History(overall, entities, unit_value, novelty, len(frame))


def attach(frame: pl.DataFrame, history: History, spec: FeatureSpec
           ) -> tuple[pl.DataFrame, list[str]]:
    """``frame`` with its feature columns from ``history`` (same rows, same order), and
    the feature names. Each row sees the history strictly before its own date."""
    m = spec.smoothing
    base = frame.with_row_index(_ROW).sort("date")
    rows = base.select(_ROW, "date")
    names: list[str] = []

    overall = _as_of(rows.with_columns(_k=pl.lit("")), history.overall, ["_n", "_pos"])
    # One pseudo-inspection at a neutral 0.5 keeps the prior defined on the first day.
    feats = overall.select(_ROW, ((pl.col("_pos") + 0.5) / (pl.col("_n") + 1)).alias("_prior"))

    for name, entity in spec.ordered_entities():
        keyed = base.select(_ROW, "date", entity_key(entity.keys).alias("_k"))
        hist = _as_of(keyed, history.entities[name], ["_n", "_pos", "_v"])
        feats = feats.join(hist.select(_ROW, "_n", "_pos", "_v"), on=_ROW)
        parent = pl.col(f"{entity.parent}_risk") if entity.parent else pl.col("_prior")
        feats = feats.with_columns(
            ((pl.col("_pos") + m * parent) / (pl.col("_n") + m)).alias(f"{name}_risk"),
            pl.col("_n").cast(pl.Float64).alias(f"{name}_inspected"),
            pl.col("_v").cast(pl.Float64).alias(f"{name}_volume"),
            # Not a model input: the raw count, so a reason can say "9 of 12 inspections".
            pl.col("_pos").cast(pl.Float64).alias(f"{name}_found"),
        ).drop("_n", "_pos", "_v")
        names += [f"{name}_risk", f"{name}_inspected", f"{name}_volume"]

    # Unit value against the group's history: log-ratio to its geometric mean, z-score.
    uv = base.select(_ROW, "date", entity_key(spec.unit_value_group).alias("_k"),
                     _log_unit_value().alias("_luv"))
    hist = _as_of(uv, history.unit_value, ["_c", "_s", "_q"])
    mean = pl.col("_s") / pl.col("_c")
    std = (pl.col("_q") / pl.col("_c") - mean**2).clip(lower_bound=0).sqrt()
    hist = hist.select(
        _ROW,
        pl.col("_luv").alias("log_unit_value"),
        pl.when(pl.col("_c") > 0).then(pl.col("_luv") - mean).alias("unit_value_log_ratio"),
        pl.when(pl.col("_c") > 1).then((pl.col("_luv") - mean) / (std + 1e-6))
        .alias("unit_value_z"),
        pl.col("_c").cast(pl.Float64).alias("unit_value_group_n"),
    )
    feats = feats.join(hist, on=_ROW)
    names += ["log_unit_value", "unit_value_log_ratio", "unit_value_z", "unit_value_group_n"]

    for name, keys in spec.novelty.items():
        keyed = base.select(_ROW, "date", entity_key(keys).alias("_k"))
        hist = _as_of(keyed, history.novelty[name], ["_v"])
        feats = feats.join(hist.select(_ROW, (pl.col("_v") == 0).cast(pl.Float64).alias(name)),
                           on=_ROW)
        names.append(name)

    duty = pl.col("price") * pl.col("duty_rate") / 100
    own = base.select(
        _ROW,
        pl.col("net_mass_kg"), pl.col("price"), pl.col("duty_rate"),
        duty.alias("duty_at_stake"),
        pl.col("date").dt.weekday().cast(pl.Float64).alias("weekday"),
        pl.col("date").dt.month().cast(pl.Float64).alias("month"),
    )
    feats = feats.join(own, on=_ROW)
    names += ["net_mass_kg", "price", "duty_rate", "duty_at_stake", "weekday", "month"]

    out = frame.with_row_index(_ROW).join(feats.drop("_prior"), on=_ROW, how="left") \
        .sort(_ROW).drop(_ROW)
    return out, names


def add_features(frame: pl.DataFrame, spec: FeatureSpec, *,
                 labels_known_before: dt.date | None = None) -> tuple[pl.DataFrame, list[str]]:
    """The frame with its feature columns added (same rows, same order), and their names.

    ``frame`` holds the history and the rows to describe, sorted or not; labels of rows
    dated on or after ``labels_known_before`` are treated as unknown.
    """
    history = build_history(frame, spec, labels_known_before=labels_known_before)
    return attach(frame, history, spec)


def duty_at_stake(price: float | None, duty_rate: float | None) -> float:
    if price is None or duty_rate is None or math.isnan(price) or math.isnan(duty_rate):
        return 0.0
    return price * duty_rate / 100
