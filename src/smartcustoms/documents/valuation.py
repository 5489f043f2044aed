"""Valuation bands: what declared goods usually cost, to find values far below it.

A band describes the unit values (value per kg, or per supplementary unit) declared for
one HS6 subheading from one origin, or for the subheading alone when an origin has too
little history, by robust statistics on log unit values: the median, a scale from the
median absolute deviation, quantiles, all after setting aside history values far from
the median, so that earlier under- or over-declarations do not drag the band.

A declared unit value far below its band is a *finding* that raises risk and asks for
verification of the transaction value (invoice, proof of payment, relationship of the
parties). It is never a customs value: the WTO Valuation Agreement (Art. 7.2) forbids
minimum, arbitrary or fictitious values, so nothing here proposes a value to levy.

Values must be in one currency before they reach this module (the caller converts at
the rate of each declaration's date); the bands record which currency and unit they
were fitted in.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import orjson
import polars as pl

from smartcustoms.errors import InvalidInput

FORMAT = "smartcustoms.valuation-bands/1"
LEVELS = ("hs6_origin", "hs6")
UV = "uv"
# What ``ValueBands.assess`` adds (``uv`` cleaned: null unless a positive finite number).
ASSESS_COLUMNS = ("uv", "uv_band_level", "uv_band_median", "uv_band_low", "uv_band_count",
                  "uv_z", "uv_ratio", "uv_below_band")
_MAD_TO_SIGMA = 1.4826  # 1 / Phi^-1(3/4): the MAD of a normal sample, scaled to its sigma
_KEYS = {"hs6_origin": ["hs6", "origin"], "hs6": ["hs6"]}
_QUANTILES = {"p5": 0.05, "p25": 0.25, "p75": 0.75, "p95": 0.95}
_BAND_SCHEMA: dict[str, Any] = {
    "level": pl.String, "hs6": pl.String, "origin": pl.String, "count": pl.Int64,
    "trimmed": pl.Int64, "log_median": pl.Float64, "log_scale": pl.Float64,
    "median": pl.Float64, "low": pl.Float64, **dict.fromkeys(_QUANTILES, pl.Float64),
    "first_date": pl.Date, "last_date": pl.Date,
}
_METADATA_KEY = "smartcustoms.valuation_bands"


def _require(frame: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hint = (" (add it with unit_values(frame, value_col=..., mass_col=...))"
                if UV in missing else "")
        raise InvalidInput(f"{what} needs the columns {list(columns)}; missing {missing}{hint}",
                           field=missing[0], value=sorted(frame.columns))


def _typed(frame: pl.DataFrame, what: str) -> pl.DataFrame:
    """``date`` as a date, ``hs6`` and ``origin`` as text, ``uv`` as a float."""
    types = {"date": pl.Date, "hs6": pl.String, "origin": pl.String, UV: pl.Float64}
    try:
        return frame.select(pl.col(c).cast(types[c]) for c in frame.columns)
    except pl.exceptions.PolarsError as exc:
        raise InvalidInput(f"{what} needs date as a date, hs6 and origin as text and uv as "
                           f"a number; got {dict(frame.schema)}", field="$") from exc


def unit_values(frame: pl.DataFrame, *, value_col: str = "value",
                mass_col: str = "net_mass_kg", quantity_col: str | None = None
                ) -> pl.DataFrame:
    """``frame`` with a ``uv`` column: value per kg of net mass, or per supplementary
    unit when ``quantity_col`` is given (then mass is not used).

    Values must already be in one currency: the caller converts them, at the rate of
    each declaration's date, before bands are fitted or assessed. ``uv`` is null where
    the value or the mass (quantity) is missing, zero, negative or not finite. A frame
    mixing codes measured per kg and per unit computes each part on its own.
    """
    per = quantity_col or mass_col
    _require(frame, (value_col, per), "unit_values")
    value, amount = pl.col(value_col).cast(pl.Float64), pl.col(per).cast(pl.Float64)
    uv = value / amount
    ok = (value.is_finite() & amount.is_finite() & (value > 0) & (amount > 0)
          & uv.is_finite() & (uv > 0))
    return frame.with_columns(pl.when(ok).then(uv).otherwise(None).alias(UV))


def _clean_uv() -> pl.Expr:
    uv = pl.col(UV).cast(pl.Float64)
    return pl.when(uv.is_finite() & (uv > 0)).then(uv).otherwise(None)


def _log_uv() -> pl.Expr:
    return _clean_uv().log()


@dataclass(frozen=True, slots=True)
class BandParams:
    """How bands are fitted and read; stored with them so a verdict can be reproduced.

    ``min_count``: history values (after trimming) a group needs to have a band.
    ``min_scale``: floor of the robust scale in log units (0.1 is about 10 %), so a
    group whose history is one price repeated still has a band of some width.
    ``trim_z``: history values more than this many robust scales from the group median
    are set aside before the band is computed. ``threshold``: a unit value more than
    this many robust scales below the median is below the band.
    """

    min_count: int = 20
    min_scale: float = 0.1
    trim_z: float = 3.5
    threshold: float = 3.0
    currency: str | None = None
    unit: str = "kg"

    def __post_init__(self) -> None:
        checks = [
            ("min_count", isinstance(self.min_count, int) and self.min_count >= 2,
             "an integer of at least 2"),
            ("min_scale", _positive(self.min_scale), "a positive finite number"),
            ("trim_z", _positive(self.trim_z), "a positive finite number"),
            ("threshold", _positive(self.threshold), "a positive finite number"),
            ("currency", self.currency is None or isinstance(self.currency, str),
             "a currency code or None"),
            ("unit", isinstance(self.unit, str) and bool(self.unit), "a unit name"),
        ]
        for name, ok, accepted in checks:
            if not ok:
                raise InvalidInput(f"{name} must be {accepted}; got {getattr(self, name)!r}",
                                   field=name, value=getattr(self, name))


def _positive(x: object) -> bool:
    return (isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
            and x > 0)


def _fit_level(data: pl.DataFrame, level: str, p: BandParams) -> pl.DataFrame:
    """One row per group with at least ``min_count`` values left after trimming."""
    keys = _KEYS[level]
    luv = pl.col("_luv")
    work = (data.filter(pl.len().over(keys) >= p.min_count)
            .with_columns(_n=pl.len().over(keys), _dev=(luv - luv.median().over(keys)).abs())
            .with_columns(_s=(_MAD_TO_SIGMA * pl.col("_dev").median().over(keys))
                          .clip(lower_bound=p.min_scale))
            .filter(pl.col("_dev") <= p.trim_z * pl.col("_s"))
            .with_columns(_m=luv.median().over(keys)))
    scale = (_MAD_TO_SIGMA * (luv - pl.col("_m")).abs().median()).clip(lower_bound=p.min_scale)
    bands = work.group_by(keys).agg(
        count=pl.len().cast(pl.Int64), trimmed=(pl.col("_n").first() - pl.len()).cast(pl.Int64),
        log_median=pl.col("_m").first(), log_scale=scale,
        **{name: luv.quantile(q, interpolation="linear").exp() for name, q in _QUANTILES.items()},
        first_date=pl.col("date").min(), last_date=pl.col("date").max(),
    ).filter(pl.col("count") >= p.min_count)
    return bands.with_columns(
        level=pl.lit(level), origin=pl.col("origin") if "origin" in keys else pl.lit(None),
        median=pl.col("log_median").exp(),
        low=(pl.col("log_median") - p.threshold * pl.col("log_scale")).exp(),
    ).select([pl.col(c).cast(t) for c, t in _BAND_SCHEMA.items()])


@dataclass(frozen=True, slots=True)
class ValuationFinding:
    """A declared unit value below its band: evidence for an officer, not a decision."""

    field: str  # e.g. items[2].price
    declaration_id: str | None
    hs6: str
    origin: str | None
    declared_unit_value: float
    band_level: str
    band_median: float
    band_low: float
    band_count: int
    band_first_date: dt.date
    band_last_date: dt.date
    z: float
    severity: Literal["medium", "high"]
    message: str
    code: str = "uv-below-band"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ValueBands:
    """Fitted valuation bands. Made by ``fit``, ``from_dict`` or ``from_parquet`` only.

    ``bands`` has one row per group: ``level`` ("hs6_origin" or "hs6"), ``hs6``,
    ``origin`` (null at the "hs6" level), ``count`` (values used), ``trimmed`` (values
    set aside as outliers), ``log_median``, ``log_scale``, and in unit-value terms
    ``median``, ``low`` (the lower bound), ``p5``, ``p25``, ``p75``, ``p95``, and the
    dates of the first and last value used.
    """

    params: BandParams
    bands: pl.DataFrame
    fit_start: dt.date | None
    fit_end: dt.date | None
    rows: int

    def __repr__(self) -> str:
        return (f"ValueBands({len(self.bands)} bands, {self.rows} rows, "
                f"{self.fit_start}..{self.fit_end}, {self.params})")

    @classmethod
    def fit(cls, frame: pl.DataFrame, *, min_count: int = 20, min_scale: float = 0.1,
            trim_z: float = 3.5, threshold: float = 3.0, currency: str | None = None,
            unit: str = "kg") -> ValueBands:
        """Bands per HS6 × origin and per HS6 from ``frame`` (``date``, ``hs6``,
        ``origin``, ``uv``); rows without a usable unit value, code or date are skipped."""
        params = BandParams(min_count, min_scale, trim_z, threshold, currency, unit)
        return cls._fit(frame, params)

    @classmethod
    def _fit(cls, frame: pl.DataFrame, params: BandParams) -> ValueBands:
        _require(frame, ("date", "hs6", "origin", UV), "ValueBands.fit")
        data = _typed(frame.select("date", "hs6", "origin", UV), "ValueBands.fit").select(
            "date", "hs6", "origin", _log_uv().alias("_luv")).drop_nulls(["date", "hs6", "_luv"])
        bands = pl.concat([_fit_level(data.drop_nulls("origin"), "hs6_origin", params),
                           _fit_level(data, "hs6", params)]
                          ).sort("level", "hs6", "origin", descending=[True, False, False],
                                 nulls_last=True)
        return cls(params, bands, data["date"].min(), data["date"].max(),  # type: ignore[arg-type]
                   len(data))

    def assess(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (same rows, same order) with the columns of ``ASSESS_COLUMNS``.

        ``uv_band_level`` is the band used: "hs6_origin" when the pair has one, else
        "hs6", else null. ``uv_z`` is the robust z of the log unit value (negative =
        below the median); ``uv_below_band`` is true when ``uv`` is under
        ``uv_band_low``, null when there is no band or no unit value.
        """
        _require(frame, ("hs6", "origin", UV), "ValueBands.assess")
        keys = _typed(frame.select("hs6", "origin", UV), "ValueBands.assess").select(
            pl.col("hs6").alias("__vb_hs6"), pl.col("origin").alias("__vb_origin"),
            _clean_uv().alias(UV), _log_uv().alias("__vb_luv"))
        base = frame.drop([c for c in ASSESS_COLUMNS[1:] if c in frame.columns]
                          ).with_columns(keys)
        joined = (base
                  .join(self._level("hs6_origin", "o"), on=["__vb_hs6", "__vb_origin"],
                        how="left", maintain_order="left")
                  .join(self._level("hs6", "h"), on="__vb_hs6", how="left",
                        maintain_order="left"))
        own = pl.col("__vb_o_m").is_not_null()

        def pick(s: str) -> pl.Expr:
            return pl.when(own).then(pl.col(f"__vb_o_{s}")).otherwise(pl.col(f"__vb_h_{s}"))

        m, s, luv = pick("m"), pick("s"), pl.col("__vb_luv")
        z = (luv - m) / s
        out = joined.with_columns(
            pl.when(own).then(pl.lit("hs6_origin"))
            .when(pl.col("__vb_h_m").is_not_null()).then(pl.lit("hs6")).alias("uv_band_level"),
            m.exp().alias("uv_band_median"),
            (m - self.params.threshold * s).exp().alias("uv_band_low"),
            pick("n").cast(pl.Int64).alias("uv_band_count"),
            z.alias("uv_z"),
            (luv - m).exp().alias("uv_ratio"),
            (z < -self.params.threshold).alias("uv_below_band"),
        )
        return out.drop([c for c in out.columns if c.startswith("__vb_")])

    def _level(self, level: str, tag: str) -> pl.DataFrame:
        """One level's bands keyed for the join: median, scale and count only."""
        return self.bands.filter(pl.col("level") == level).select(
            *(pl.col(k).alias(f"__vb_{k}") for k in _KEYS[level]),
            pl.col("log_median").alias(f"__vb_{tag}_m"),
            pl.col("log_scale").alias(f"__vb_{tag}_s"), pl.col("count").alias(f"__vb_{tag}_n"))

    def findings(self, frame: pl.DataFrame, *, value_field: str = "price"
                 ) -> list[ValuationFinding]:
        """One finding per row of ``frame`` whose unit value is below its band.

        The field path is ``items[sequence - 1].<value_field>`` when ``frame`` has the
        risk frame's 1-based ``sequence`` column, else ``value_field``.
        """
        flagged = self.assess(frame).filter(pl.col("uv_below_band"))
        if flagged.is_empty():
            return []
        dates = self.bands.select(
            pl.col("level").alias("uv_band_level"), pl.col("hs6").alias("__vb_hs6"),
            pl.col("origin").alias("__vb_origin"), "first_date", "last_date")
        flagged = flagged.with_columns(
            pl.col("hs6").cast(pl.String).alias("__vb_hs6"),
            pl.when(pl.col("uv_band_level") == "hs6_origin")
            .then(pl.col("origin").cast(pl.String)).alias("__vb_origin"),
        ).join(dates, on=["uv_band_level", "__vb_hs6", "__vb_origin"], how="left",
               nulls_equal=True, maintain_order="left")
        return [self._finding(row, value_field) for row in flagged.iter_rows(named=True)]

    def _finding(self, row: dict[str, Any], value_field: str) -> ValuationFinding:
        p = self.params
        sequence = row.get("sequence")
        field = f"items[{sequence - 1}].{value_field}" if sequence else value_field
        unit = f"{p.currency}/{p.unit}" if p.currency else f"per {p.unit}"
        origin = row["origin"] if row["uv_band_level"] == "hs6_origin" else None
        scope = f"HS {row['__vb_hs6']}" + (f" from {origin}" if origin else " (all origins)")
        z = row["uv_z"]
        message = (
            f"Declared unit value {_num(row['uv'])} {unit} is "
            f"{(1 - row['uv_ratio']) * 100:.0f} % below the median {_num(row['uv_band_median'])} "
            f"of {row['uv_band_count']:,} declared items of {scope} lodged "
            f"{row['first_date']} to {row['last_date']} (lower bound "
            f"{_num(row['uv_band_low'])}, robust z {z:.1f}). Risk indication only: verify "
            "the transaction value (invoice, payment, relationship of the parties). The band "
            "is not a customs value: WTO Valuation Agreement Art. 7.2 forbids minimum, "
            "arbitrary or fictitious values.")
        return ValuationFinding(
            field=field, declaration_id=row.get("declaration_id"), hs6=row["__vb_hs6"],
            origin=row["origin"], declared_unit_value=row["uv"],
            band_level=row["uv_band_level"], band_median=row["uv_band_median"],
            band_low=row["uv_band_low"], band_count=row["uv_band_count"],
            band_first_date=row["first_date"], band_last_date=row["last_date"], z=z,
            severity="high" if z <= -2 * p.threshold else "medium", message=message)

    # -- storage -------------------------------------------------------------------------

    def _header(self) -> dict[str, Any]:
        return {"format": FORMAT, "params": asdict(self.params),
                "fit_start": _iso(self.fit_start), "fit_end": _iso(self.fit_end),
                "rows": self.rows, "library": {"polars": pl.__version__}}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: format, parameters, fit range, and one record per band."""
        records = self.bands.with_columns(pl.col("first_date", "last_date").dt.to_string())
        return self._header() | {"bands": records.to_dicts()}

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())

    def to_parquet(self) -> bytes:
        """The bands as Parquet; format, parameters and fit range in its metadata."""
        buffer = io.BytesIO()
        self.bands.write_parquet(buffer, metadata={_METADATA_KEY: orjson.dumps(
            self._header()).decode()})
        return buffer.getvalue()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValueBands:
        records = data.get("bands") if isinstance(data, dict) else None
        if not isinstance(records, list):
            raise InvalidInput("bands must be a list of band records", field="bands",
                               value=type(records).__name__)
        as_text = _BAND_SCHEMA | {"first_date": pl.String, "last_date": pl.String}
        try:
            bands = pl.DataFrame(records, schema=as_text, strict=False).with_columns(
                pl.col("first_date", "last_date").str.to_date("%Y-%m-%d"))
        except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
            raise InvalidInput(f"bands do not have the band columns {list(_BAND_SCHEMA)}: "
                               f"{exc}", field="bands") from exc
        return cls._checked(data, bands)

    @classmethod
    def from_json(cls, text: bytes | str) -> ValueBands:
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"valuation bands are not JSON: {exc}", field="$") from exc
        return cls.from_dict(data)

    @classmethod
    def from_parquet(cls, blob: bytes) -> ValueBands:
        try:
            header = orjson.loads(pl.read_parquet_metadata(blob)[_METADATA_KEY])
            bands = pl.read_parquet(io.BytesIO(blob))
        except (KeyError, OSError, orjson.JSONDecodeError, pl.exceptions.PolarsError) as exc:
            raise InvalidInput(f"not a valuation-bands Parquet file: {exc}", field="$") from exc
        return cls._checked(header, bands)

    @classmethod
    def _checked(cls, header: dict[str, Any], bands: pl.DataFrame) -> ValueBands:
        """The invariants every stored band set must hold, checked on the way in."""
        if header.get("format") != FORMAT:
            raise InvalidInput(f"format must be {FORMAT!r}", field="format",
                               value=header.get("format"))
        try:
            params = BandParams(**header["params"])
            start, end = _date(header["fit_start"]), _date(header["fit_end"])
            rows = int(header["rows"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"the header is incomplete or malformed: {exc}",
                               field="params") from exc
        if list(bands.columns) != list(_BAND_SCHEMA) or dict(bands.schema) != _BAND_SCHEMA:
            raise InvalidInput(f"bands must have the columns {list(_BAND_SCHEMA)}",
                               field="bands", value=list(bands.columns))
        origin_null = pl.col("origin").is_null()
        rules = {
            "level": pl.col("level").is_in(LEVELS)
            & (origin_null == (pl.col("level") == "hs6")),
            "hs6": pl.col("hs6").is_not_null(),
            "count": pl.col("count") >= params.min_count,
            "log_median": pl.col("log_median").is_finite(),
            "log_scale": pl.col("log_scale").is_finite()
            & (pl.col("log_scale") >= params.min_scale),
        }
        for name, rule in rules.items():
            bad = bands.with_row_index("_i").filter(~rule.fill_null(False))
            if not bad.is_empty():
                i = bad["_i"][0]
                raise InvalidInput(f"bands[{i}].{name} breaks the band rules",
                                   field=f"bands[{i}].{name}", value=bad[name][0])
        if bands.select(pl.struct("level", "hs6", "origin").is_duplicated().any()).item():
            raise InvalidInput("bands must have one row per level, hs6 and origin",
                               field="bands")
        return cls(params, bands, start, end, rows)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.2f}" if x >= 1 else f"{x:.3g}"


def as_of_bands(frame: pl.DataFrame, *, every: str = "1mo", lookback: str | None = None,
                min_count: int = 20, min_scale: float = 0.1, trim_z: float = 3.5,
                threshold: float = 3.0) -> pl.DataFrame:
    """``frame`` assessed row by row against bands fitted on earlier periods only.

    Rows are grouped into periods of ``every`` (a Polars duration: "1mo", "1w", "1q");
    each period's rows are assessed against bands fitted on all rows dated before the
    period starts (within ``lookback``, e.g. "24mo", when given). Rows of the first
    period, and rows without a date, get no band.

    Why: a band fitted on the whole frame contains the row itself and declarations
    lodged after it. As a model feature it then tells the model what the market later
    did, which no scorer knows on the day a declaration is lodged; and a row's own
    under-declaration pulls its band's median down, most of all in small groups. A
    model trained on such features looks better in validation than it will be in
    service. Refitting per period reproduces what a service that refits its bands each
    period would have said on the day.
    """
    params = BandParams(min_count, min_scale, trim_z, threshold)
    _require(frame, ("date", "hs6", "origin", UV), "as_of_bands")
    rows = frame.with_row_index("__asof_row").with_columns(
        pl.col("date").cast(pl.Date).alias("__asof_date"))
    dated = rows.filter(pl.col("__asof_date").is_not_null()).sort("__asof_date")
    starts = dated.select(pl.col("__asof_date").dt.truncate(every).unique().sort())["__asof_date"]
    lows = starts.dt.offset_by(f"-{lookback}") if lookback else None
    history = dated.select("__asof_date", "hs6", "origin", UV).rename({"__asof_date": "date"})
    dates = dated["__asof_date"]
    ends = dates.search_sorted(starts, side="left").to_list()
    begins = dates.search_sorted(lows, side="left").to_list() if lows is not None else None
    bounds = [*ends, len(dated)]
    parts = []
    for i, end in enumerate(ends):
        begin = begins[i] if begins is not None else 0
        bands = ValueBands._fit(history.slice(begin, end - begin), params)
        parts.append(bands.assess(dated.slice(end, bounds[i + 1] - end)))
    empty = ValueBands._fit(history.clear(), params)
    parts.append(empty.assess(rows.filter(pl.col("__asof_date").is_null())))
    return pl.concat(parts).sort("__asof_row").drop("__asof_row", "__asof_date")
