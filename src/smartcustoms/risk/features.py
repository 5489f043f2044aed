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
from typing import Any

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
    base = frame.with_row_index(_ROW).sort("date")
    return _formulas(frame, base, _lookup_as_of(base, history, spec), spec)


def _lookup_as_of(base: pl.DataFrame, history: History, spec: FeatureSpec) -> pl.DataFrame:
    """The raw counts behind every feature, for each row of ``base`` (as-of joins).

    An as-of join keeps the left frame's row order, so each entity's counts are placed
    beside the others rather than joined back on the row index.
    """
    rows = base.select(_ROW, "date")
    parts = [_as_of(rows.with_columns(_k=pl.lit("")), history.overall, ["_n", "_pos"])
             .select(_ROW, pl.col("_n").alias("o:n"), pl.col("_pos").alias("o:pos"))]
    for name, entity in spec.ordered_entities():
        keyed = base.select("date", entity_key(entity.keys).alias("_k"))
        parts.append(_as_of(keyed, history.entities[name], ["_n", "_pos", "_v"]).select(
            pl.col("_n").alias(f"{name}:n"), pl.col("_pos").alias(f"{name}:pos"),
            pl.col("_v").alias(f"{name}:v")))
    uv = base.select("date", entity_key(spec.unit_value_group).alias("_k"))
    parts.append(_as_of(uv, history.unit_value, ["_c", "_s", "_q"]).select(
        pl.col("_c").alias("uv:c"), pl.col("_s").alias("uv:s"), pl.col("_q").alias("uv:q")))
    for name, keys in spec.novelty.items():
        keyed = base.select("date", entity_key(keys).alias("_k"))
        parts.append(_as_of(keyed, history.novelty[name], ["_v"])
                     .select(pl.col("_v").alias(f"{name}:nv")))
    return pl.concat(parts, how="horizontal")


def _formulas(frame: pl.DataFrame, base: pl.DataFrame, counts: pl.DataFrame,
              spec: FeatureSpec) -> tuple[pl.DataFrame, list[str]]:
    """Features from the raw counts: the one place the formulas live."""
    m = spec.smoothing
    names: list[str] = []
    # One pseudo-inspection at a neutral 0.5 keeps the prior defined on the first day.
    feats = counts.with_columns(
        ((pl.col("o:pos") + 0.5) / (pl.col("o:n") + 1)).alias("_prior"))
    for name, entity in spec.ordered_entities():
        n, pos, v = pl.col(f"{name}:n"), pl.col(f"{name}:pos"), pl.col(f"{name}:v")
        parent = pl.col(f"{entity.parent}_risk") if entity.parent else pl.col("_prior")
        feats = feats.with_columns(
            ((pos + m * parent) / (n + m)).alias(f"{name}_risk"),
            n.cast(pl.Float64).alias(f"{name}_inspected"),
            v.cast(pl.Float64).alias(f"{name}_volume"),
            # Not a model input: the raw count, so a reason can say "9 of 12 inspections".
            pos.cast(pl.Float64).alias(f"{name}_found"),
        )
        names += [f"{name}_risk", f"{name}_inspected", f"{name}_volume"]

    # Unit value against the group's history: log-ratio to its geometric mean, z-score.
    feats = feats.join(base.select(_ROW, _log_unit_value().alias("_luv")), on=_ROW)
    c = pl.col("uv:c")
    mean = pl.col("uv:s") / c
    std = (pl.col("uv:q") / c - mean**2).clip(lower_bound=0).sqrt()
    feats = feats.with_columns(
        pl.col("_luv").alias("log_unit_value"),
        pl.when(c > 0).then(pl.col("_luv") - mean).alias("unit_value_log_ratio"),
        pl.when(c > 1).then((pl.col("_luv") - mean) / (std + 1e-6)).alias("unit_value_z"),
        c.cast(pl.Float64).alias("unit_value_group_n"),
    )
    names += ["log_unit_value", "unit_value_log_ratio", "unit_value_z", "unit_value_group_n"]

    feats = feats.with_columns(
        [(pl.col(f"{name}:nv") == 0).cast(pl.Float64).alias(name) for name in spec.novelty])
    names += list(spec.novelty)

    duty = pl.col("price") * pl.col("duty_rate") / 100
    own = base.select(
        _ROW,
        pl.col("net_mass_kg"), pl.col("price"), pl.col("duty_rate"),
        duty.alias("duty_at_stake"),
        pl.col("date").dt.weekday().cast(pl.Float64).alias("weekday"),
        pl.col("date").dt.month().cast(pl.Float64).alias("month"),
    )
    names += ["net_mass_kg", "price", "duty_rate", "duty_at_stake", "weekday", "month"]
    keep = [_ROW, *(c for c in feats.columns if ":" not in c and not c.startswith("_")),
            ]
    feats = feats.select(keep).join(own, on=_ROW)
    out = frame.with_row_index(_ROW).join(feats, on=_ROW, how="left").sort(_ROW).drop(_ROW)
    return out, names


@dataclass(frozen=True, slots=True)
class LatestHistory:
    """The history's final counts per key, for rows dated after all of it.

    Scoring one submitted declaration then takes dictionary lookups instead of as-of
    joins; the formulas are the same (``_formulas``), and a property test checks that
    both lookups give identical features.
    """

    cut: dt.date | None  # the counts are of history rows dated before this day
    next_date: dt.date | None  # the first history day on or after the cut, if any
    overall: tuple[int, float]
    entities: dict[str, dict[str, tuple[int, float, int]]]
    unit_value: dict[str, tuple[int, float, float]]
    novelty: dict[str, dict[str, int]]

    @classmethod
    def of(cls, history: History, cut: dt.date | None = None) -> LatestHistory:
        """Counts before ``cut`` (default: the history's last day, when submissions of
        that day — today — keep arriving and must not see each other)."""
        dates = history.overall["date"]
        if cut is None and len(dates):
            cut = dates.max()  # type: ignore[assignment]
        later = dates.filter(dates >= cut) if cut is not None else dates.clear()

        def last(table: pl.DataFrame, values: list[str]) -> dict[str, tuple[Any, ...]]:
            before = table if cut is None else table.filter(pl.col("date") < cut)
            final = before.sort("_k", "date").group_by("_k", maintain_order=True).last()
            return {row[0]: tuple(row[1:]) for row in final.select("_k", *values).iter_rows()}

        overall = last(history.overall, ["_n", "_pos"]).get("", (0, 0.0))
        return cls(
            cut=cut, next_date=later.min() if len(later) else None,  # type: ignore[arg-type]
            overall=(int(overall[0]), float(overall[1])),
            entities={k: last(v, ["_n", "_pos", "_v"])  # type: ignore[misc]
                      for k, v in history.entities.items()},
            unit_value=last(history.unit_value, ["_c", "_s", "_q"]),  # type: ignore[arg-type]
            novelty={k: {key: int(v[0]) for key, v in last(t, ["_v"]).items()}
                     for k, t in history.novelty.items()},
        )

    def covers(self, frame: pl.DataFrame) -> bool:
        """True when the lookups are exact for every row: dated on or after the cut, and
        no history between the cut and the row's date."""
        if self.cut is None:
            return True
        dates = frame["date"]
        ok = dates >= self.cut
        if self.next_date is not None:
            ok = ok & (dates <= self.next_date)
        return bool(ok.all())


def attach_latest(frame: pl.DataFrame, latest: LatestHistory, spec: FeatureSpec
                  ) -> tuple[pl.DataFrame, list[str]]:
    """``attach`` by lookups, for rows that ``LatestHistory.covers``."""
    base = frame.with_row_index(_ROW).sort("date")
    keys = base.select(
        _ROW,
        *(entity_key(e.keys).alias(f"k:{n}") for n, e in spec.ordered_entities()),
        entity_key(spec.unit_value_group).alias("k:uv"),
        *(entity_key(keys).alias(f"k:nov:{n}") for n, keys in spec.novelty.items()),
    )
    columns: dict[str, list[Any]] = {_ROW: keys[_ROW].to_list()}
    size = len(keys)
    columns["o:n"] = [latest.overall[0]] * size
    columns["o:pos"] = [latest.overall[1]] * size
    for name, _ in spec.ordered_entities():
        table = latest.entities[name]
        found = [table.get(k, (0, 0.0, 0)) for k in keys[f"k:{name}"].to_list()]
        columns[f"{name}:n"] = [f[0] for f in found]
        columns[f"{name}:pos"] = [f[1] for f in found]
        columns[f"{name}:v"] = [f[2] for f in found]
    found_uv = [latest.unit_value.get(k, (0, 0.0, 0.0)) for k in keys["k:uv"].to_list()]
    columns["uv:c"] = [f[0] for f in found_uv]
    columns["uv:s"] = [f[1] for f in found_uv]
    columns["uv:q"] = [f[2] for f in found_uv]
    for name in spec.novelty:
        table_nv = latest.novelty[name]
        columns[f"{name}:nv"] = [table_nv.get(k, 0) for k in keys[f"k:nov:{name}"].to_list()]
    schema = {c: (pl.UInt32 if c == _ROW else pl.Float64 if c.endswith((":pos", ":s", ":q"))
                  else pl.Int64) for c in columns}
    counts = pl.DataFrame(columns, schema=schema)
    return _formulas(frame, base, counts, spec)


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
