"""Valuation bands: robust fits on known distributions, fallbacks, storage, no leakage."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.documents.valuation import (
    ASSESS_COLUMNS,
    FORMAT,
    ValueBands,
    as_of_bands,
    unit_values,
)
from smartcustoms.errors import InvalidInput

DAY0 = dt.date(2023, 1, 2)
# Real subheadings: cotton T-shirts, smartphones' network parts, footwear, wooden furniture.
TSHIRTS, PHONES, SHOES, FURNITURE = "610910", "851762", "640399", "940360"
SIGMA = 0.35
# True median unit value (EUR/kg) per (hs6, origin).
MEDIANS = {(TSHIRTS, "CN"): 9.0, (TSHIRTS, "IT"): 30.0, (PHONES, "CN"): 120.0,
           (PHONES, "VN"): 95.0, (SHOES, "VN"): 22.0}


def lognormal_history(n_per_group: int = 400, seed: int = 7,
                      medians: dict[tuple[str, str], float] = MEDIANS) -> pl.DataFrame:
    """Per group ``n`` declarations over 2023, unit value lognormal(log median, SIGMA)."""
    rng = np.random.default_rng(seed)
    parts = []
    for (hs6, origin), median in medians.items():
        mass = rng.uniform(5, 500, n_per_group)
        uv = median * np.exp(rng.normal(0, SIGMA, n_per_group))
        days = rng.integers(0, 360, n_per_group)
        parts.append(pl.DataFrame({
            "date": [DAY0 + dt.timedelta(days=int(d)) for d in days],
            "hs6": hs6, "origin": origin, "value": uv * mass, "net_mass_kg": mass}))
    return unit_values(pl.concat(parts))


def rows(items: list[dict[str, object]]) -> pl.DataFrame:
    base = {"date": DAY0, "hs6": TSHIRTS, "origin": "CN", "value": 90.0, "net_mass_kg": 10.0}
    schema = {"date": pl.Date, "hs6": pl.String, "origin": pl.String, "value": pl.Float64,
              "net_mass_kg": pl.Float64}
    return unit_values(pl.DataFrame([base | r for r in items], schema=schema))


def band(bands: ValueBands, hs6: str, origin: str | None = None) -> dict[str, object]:
    level = "hs6" if origin is None else "hs6_origin"
    found = bands.bands.filter((pl.col("level") == level) & (pl.col("hs6") == hs6)
                               & (pl.col("origin").eq_missing(origin)))
    assert len(found) == 1, (hs6, origin)
    return found.row(0, named=True)


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return lognormal_history()


@pytest.fixture(scope="module")
def bands(history: pl.DataFrame) -> ValueBands:
    return ValueBands.fit(history, currency="EUR")


class TestUnitValues:
    def test_unit_values_divide_value_by_mass_and_null_unusable_rows(self) -> None:
        frame = pl.DataFrame({
            "value": [100.0, 100.0, 0.0, -5.0, None, math.inf, 100.0, math.nan],
            "net_mass_kg": [4.0, 0.0, 3.0, 1.0, 2.0, 1.0, None, 1.0]})
        assert unit_values(frame)["uv"].to_list() == [25.0, *[None] * 7]

    def test_unit_values_use_the_supplementary_unit_when_given(self) -> None:
        frame = pl.DataFrame({"price": [120.0], "net_mass_kg": [2.0], "pairs": [12]})
        out = unit_values(frame, value_col="price", quantity_col="pairs")
        assert out["uv"].to_list() == [10.0]

    def test_unit_values_name_a_missing_column(self) -> None:
        with pytest.raises(InvalidInput, match=r"missing \['value'\]"):
            unit_values(pl.DataFrame({"price": [1.0], "net_mass_kg": [1.0]}))


class TestFit:
    def test_fit_recovers_lognormal_medians_and_scales(self, bands: ValueBands) -> None:
        for (hs6, origin), median in MEDIANS.items():
            got = band(bands, hs6, origin)
            assert got["median"] == pytest.approx(median, rel=0.06)
            assert got["log_scale"] == pytest.approx(SIGMA, rel=0.15)
            assert got["p5"] == pytest.approx(median * math.exp(-1.645 * SIGMA), rel=0.12)
            assert got["p95"] == pytest.approx(median * math.exp(1.645 * SIGMA), rel=0.12)
            assert got["p5"] < got["p25"] < got["median"] < got["p75"] < got["p95"]
            assert got["count"] + got["trimmed"] == 400

    def test_fit_records_the_range_and_parameters(self, bands: ValueBands,
                                                   history: pl.DataFrame) -> None:
        assert bands.fit_start == history["date"].min()
        assert bands.fit_end == history["date"].max()
        assert bands.rows == len(history)
        assert (bands.params.currency, bands.params.unit, bands.params.min_count) == \
            ("EUR", "kg", 20)

    def test_fit_is_robust_to_ten_percent_outliers(self) -> None:
        clean = lognormal_history(n_per_group=900, medians={(SHOES, "CN"): 20.0})
        rng = np.random.default_rng(3)
        # 100 outliers (10 % of 1,000): half declared at a twentieth, half at 30 times.
        factor = np.where(np.arange(100) < 50, 1 / 20, 30.0)
        dirty = pl.concat([clean, clean.sample(100, seed=1).with_columns(
            pl.col("uv") * pl.Series(factor * rng.uniform(0.8, 1.2, 100)))])
        got = band(ValueBands.fit(dirty), SHOES, "CN")
        assert got["median"] == pytest.approx(20.0, rel=0.06)
        assert got["log_scale"] == pytest.approx(SIGMA, rel=0.15)
        assert got["p5"] == pytest.approx(20.0 * math.exp(-1.645 * SIGMA), rel=0.12)
        assert got["trimmed"] >= 100
        # The plain mean and standard deviation of the logs would have been dragged.
        log = dirty["uv"].log()
        assert abs(math.exp(log.mean()) / 20.0 - 1) > 0.1 or log.std() > 2 * SIGMA

    def test_small_origin_groups_fall_back_to_the_hs6_band(self, history: pl.DataFrame
                                                           ) -> None:
        small = rows([{"origin": "BD", "value": 80.0}] * 5)
        bands = ValueBands.fit(pl.concat([history, small]), min_count=20)
        assert bands.bands.filter(pl.col("origin") == "BD").is_empty()
        out = bands.assess(small.head(1))
        assert out["uv_band_level"].to_list() == ["hs6"]
        assert out["uv_band_count"].item() == band(bands, TSHIRTS)["count"]

    def test_codes_below_min_count_get_no_band(self) -> None:
        few = rows([{"hs6": "090111", "origin": "BR"}] * 19)
        bands = ValueBands.fit(few, min_count=20)
        assert bands.bands.is_empty()
        out = bands.assess(few)
        assert out["uv_band_level"].null_count() == 19
        assert out["uv_below_band"].null_count() == 19
        assert len(ValueBands.fit(few, min_count=19).bands) == 2

    def test_missing_origin_is_banded_at_the_hs6_level_only(self, bands: ValueBands) -> None:
        out = bands.assess(rows([{"origin": None}]))
        assert out["uv_band_level"].to_list() == ["hs6"]

    def test_identical_prices_get_a_band_of_the_floor_width(self) -> None:
        same = rows([{"date": DAY0 + dt.timedelta(days=i)} for i in range(30)])
        bands = ValueBands.fit(same, min_scale=0.1, threshold=3.0)
        got = band(bands, TSHIRTS, "CN")
        assert got["log_scale"] == pytest.approx(0.1)
        assert got["median"] == pytest.approx(9.0)
        out = bands.assess(rows([{"value": 81.0}, {"value": 40.0}]))  # 10 % and 56 % below
        assert out["uv_below_band"].to_list() == [False, True]

    @pytest.mark.parametrize(("name", "value", "accepted"), [
        ("min_count", 1, "an integer of at least 2"),
        ("min_scale", 0.0, "a positive finite number"),
        ("threshold", math.nan, "a positive finite number"),
        ("trim_z", -1.0, "a positive finite number"),
    ])
    def test_fit_refuses_bad_parameters(self, history: pl.DataFrame, name: str,
                                        value: object, accepted: str) -> None:
        with pytest.raises(InvalidInput, match=f"{name} must be {accepted}"):
            ValueBands.fit(history, **{name: value})  # type: ignore[arg-type]

    def test_fit_without_unit_values_says_how_to_add_them(self) -> None:
        frame = pl.DataFrame({"date": [DAY0], "hs6": [TSHIRTS], "origin": ["CN"]})
        with pytest.raises(InvalidInput, match=r"missing \['uv'\].*unit_values"):
            ValueBands.fit(frame)

    def test_fit_names_columns_of_the_wrong_type(self) -> None:
        frame = rows([{}]).with_columns(date=pl.lit("last tuesday"))
        with pytest.raises(InvalidInput, match="date as a date"):
            ValueBands.fit(frame)


class TestAssess:
    def test_assess_keeps_rows_and_order_and_adds_the_band_columns(
            self, bands: ValueBands, history: pl.DataFrame) -> None:
        out = bands.assess(history)
        assert out.columns == [*history.columns, *ASSESS_COLUMNS[1:]]
        assert out.drop(ASSESS_COLUMNS[1:]).equals(history)
        assert out["uv_band_level"].to_list() == ["hs6_origin"] * len(history)
        below = out.filter(pl.col("uv_below_band"))
        assert (below["uv"] < below["uv_band_low"]).all()
        assert (out["uv_ratio"] - out["uv"] / out["uv_band_median"]).abs().max() < 1e-9
        # Lognormal history: P(z < -3) is about 0.1 %.
        assert out["uv_below_band"].mean() < 0.01

    def test_assess_prefers_the_origin_band_to_the_hs6_band(self, bands: ValueBands) -> None:
        # 6 EUR/kg is ordinary for Chinese T-shirts, far below for Italian ones.
        out = bands.assess(rows([{"origin": "CN", "value": 60.0},
                                 {"origin": "IT", "value": 60.0}]))
        assert out["uv_band_level"].to_list() == ["hs6_origin", "hs6_origin"]
        assert out["uv_below_band"].to_list() == [False, True]
        assert out["uv_z"][1] < -3

    def test_assess_of_an_unknown_code_gives_null_band(self, bands: ValueBands) -> None:
        out = bands.assess(rows([{"hs6": "271019"}]))
        assert out.select(ASSESS_COLUMNS[1:]).row(0) == (None,) * 7

    def test_assess_replaces_an_earlier_assessment(self, bands: ValueBands) -> None:
        once = bands.assess(rows([{}]))
        assert bands.assess(once).equals(once)

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                              st.just(0.0), st.integers(-10, 10).map(float)),
                    min_size=1, max_size=40),
           st.lists(st.sampled_from([TSHIRTS, PHONES, "271019", None]), min_size=1),
           st.lists(st.sampled_from(["CN", "IT", "VN", None]), min_size=1))
    def test_assess_never_raises_on_any_number(self, bands: ValueBands,
                                               values: list[float | None],
                                               codes: list[str | None],
                                               origins: list[str | None]) -> None:
        n = len(values)
        frame = pl.DataFrame({"hs6": (codes * n)[:n], "origin": (origins * n)[:n],
                              "uv": values}, schema={"hs6": pl.String, "origin": pl.String,
                                                     "uv": pl.Float64})
        out = bands.assess(frame)
        assert len(out) == n
        usable = [v is not None and math.isfinite(v) and v > 0 for v in values]
        has_band = out["uv_band_level"].is_not_null().to_list()
        assert out["uv_z"].is_not_null().to_list() == [u and b for u, b in zip(
            usable, has_band, strict=True)]
        assert out["uv_below_band"].is_null().to_list() == out["uv_z"].is_null().to_list()
        assert out["uv_z"].drop_nulls().is_finite().all()

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.floats(min_value=1e-3, max_value=1e9), min_size=2, max_size=30))
    def test_z_rises_with_price_within_a_group(self, bands: ValueBands,
                                               prices: list[float]) -> None:
        prices = sorted(prices)
        out = bands.assess(rows([{"origin": "VN", "hs6": PHONES, "value": p}
                                 for p in prices]))
        z = out["uv_z"].to_list()
        assert z == sorted(z)
        below = out["uv_below_band"].to_list()
        assert below == sorted(below, reverse=True)  # True, …, True, False, …, False


class TestFindings:
    def test_rows_below_the_band_become_findings_an_officer_can_read(
            self, bands: ValueBands) -> None:
        frame = rows([{"origin": "IT", "value": 60.0},  # 6/kg vs 30: below
                      {"origin": "IT", "value": 300.0},  # at the median
                      {"origin": "IT", "value": 5.0}]).with_columns(
            declaration_id=pl.lit("23GB0001"), sequence=pl.Series([1, 2, 3]))
        found = bands.findings(frame)
        assert [f.field for f in found] == ["items[0].price", "items[2].price"]
        first = found[0]
        assert (first.declaration_id, first.hs6, first.origin, first.band_level) == \
            ("23GB0001", TSHIRTS, "IT", "hs6_origin")
        assert first.declared_unit_value == pytest.approx(6.0)
        assert first.band_median == pytest.approx(30.0, rel=0.06)
        assert first.band_low < first.band_median
        assert first.band_count == band(bands, TSHIRTS, "IT")["count"]
        assert first.band_first_date >= DAY0 and first.z < -3
        assert (first.severity, found[1].severity) == ("medium", "high")
        assert "6.00 EUR/kg" in first.message and "HS 610910 from IT" in first.message
        assert "Risk indication" in first.message
        assert "not a customs value" in first.message and "Art. 7.2" in first.message

    def test_no_findings_when_nothing_is_below(self, bands: ValueBands) -> None:
        assert bands.findings(rows([{}])) == []


class TestStorage:
    def test_json_round_trip_keeps_bands_and_verdicts(self, bands: ValueBands,
                                                      history: pl.DataFrame) -> None:
        again = ValueBands.from_json(bands.to_json())
        assert again.to_dict() == bands.to_dict()
        assert again.bands.equals(bands.bands)
        assert again.assess(history).equals(bands.assess(history))
        assert bands.to_dict()["format"] == FORMAT
        assert bands.to_dict()["fit_start"] == bands.fit_start.isoformat()  # type: ignore[union-attr]

    def test_parquet_round_trip_keeps_bands_and_header(self, bands: ValueBands) -> None:
        again = ValueBands.from_parquet(bands.to_parquet())
        assert again.to_dict() == bands.to_dict()

    def test_empty_bands_round_trip(self) -> None:
        empty = ValueBands.fit(rows([{}]))
        assert ValueBands.from_json(empty.to_json()).to_dict() == empty.to_dict()
        assert ValueBands.from_parquet(empty.to_parquet()).bands.is_empty()

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from([TSHIRTS, SHOES]),
                              st.sampled_from(["CN", "VN", None]),
                              st.floats(min_value=0.01, max_value=1e6), st.integers(0, 60)),
                    max_size=60))
    def test_any_fitted_bands_survive_json(self, data: list[tuple[str, str, float, int]]
                                           ) -> None:
        frame = rows([{"hs6": h, "origin": o, "value": v, "date": DAY0 + dt.timedelta(days=d)}
                      for h, o, v, d in data])
        fitted = ValueBands.fit(frame, min_count=3)
        again = ValueBands.from_json(fitted.to_json())
        assert again.to_dict() == fitted.to_dict()
        assert again.assess(frame).equals(fitted.assess(frame))

    @pytest.mark.parametrize(("change", "message"), [
        (lambda d: d | {"format": "other/1"}, "format must be"),
        (lambda d: d | {"bands": "none"}, "bands must be a list"),
        (lambda d: {k: v for k, v in d.items() if k != "params"}, "header is incomplete"),
        (lambda d: d | {"bands": [d["bands"][0] | {"count": 3}]}, r"bands\[0\]\.count"),
        (lambda d: d | {"bands": [d["bands"][0] | {"level": "hs4"}]}, r"bands\[0\]\.level"),
        (lambda d: d | {"bands": [d["bands"][0] | {"log_scale": 0.0}]},
         r"bands\[0\]\.log_scale"),
        (lambda d: d | {"bands": [d["bands"][0]] * 2}, "one row per level"),
    ])
    def test_stored_bands_are_checked_when_loaded(self, bands: ValueBands, change: object,
                                                  message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            ValueBands.from_dict(change(bands.to_dict()))  # type: ignore[operator]

    def test_not_a_bands_file_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="not a valuation-bands Parquet"):
            ValueBands.from_parquet(b"PAR1 nonsense")
        with pytest.raises(InvalidInput, match="not JSON"):
            ValueBands.from_json(b"{")


def monthly(prices_by_month: dict[int, tuple[int, float]]) -> pl.DataFrame:
    """``n`` T-shirt declarations from China in each month at about ``price`` per kg."""
    rng = np.random.default_rng(11)
    items = []
    for month, (n, price) in prices_by_month.items():
        for i in range(n):
            items.append({"date": dt.date(2023, month, 1 + i % 28),
                          "value": 10 * price * math.exp(rng.normal(0, 0.1))})
    return rows(items)


class TestAsOfBands:
    def test_as_of_bands_see_only_earlier_months(self) -> None:
        # January: 30 items at 10/kg. April: 100 items at 2/kg. A band fitted on all of
        # it sits at 2/kg and finds nothing odd in April; on the day, April's prices
        # were far below everything seen before.
        frame = monthly({1: (30, 10.0), 4: (100, 2.0)})
        leaky = ValueBands.fit(frame).assess(frame).filter(pl.col("date").dt.month() == 4)
        assert not leaky["uv_below_band"].any()
        out = as_of_bands(frame)
        april = out.filter(pl.col("date").dt.month() == 4)
        assert april["uv_below_band"].all()
        assert (april["uv_band_count"] == 30).all()
        assert april["uv_band_median"][0] == pytest.approx(10.0, rel=0.05)

    def test_the_first_month_and_undated_rows_get_no_band(self) -> None:
        frame = pl.concat([monthly({1: (30, 10.0), 2: (5, 10.0)}),
                           rows([{"date": None}])])
        out = as_of_bands(frame)
        assert out.columns == [*frame.columns, *ASSESS_COLUMNS[1:]]
        assert out.drop(ASSESS_COLUMNS[1:]).equals(frame)  # same rows, same order
        levels = out["uv_band_level"].to_list()
        assert levels == [None] * 30 + ["hs6_origin"] * 5 + [None]

    def test_later_rows_never_change_earlier_verdicts(self) -> None:
        frame = monthly({1: (30, 10.0), 2: (30, 9.0), 3: (30, 8.0), 4: (30, 7.0)})
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=5)
        # Mid-March on, every price a hundred times higher: nothing dated before may
        # change, not even the first half of March (bands are fitted per month).
        cut = dt.date(2023, 3, 15)
        tampered = shuffled.with_columns(
            pl.when(pl.col("date") >= cut).then(pl.col("uv") * 100).otherwise(pl.col("uv")))
        a = as_of_bands(shuffled).filter(pl.col("date") < cut)
        b = as_of_bands(tampered).filter(pl.col("date") < cut)
        assert a.filter(pl.col("date").dt.month() == 3)["uv_band_level"].is_not_null().all()
        assert a.equals(b)
        april = pl.col("date").dt.month() == 4  # sees the tampered rows (and trims them)
        assert as_of_bands(tampered).filter(april)["uv_band_count"][0] < \
            as_of_bands(shuffled).filter(april)["uv_band_count"][0]

    def test_each_month_equals_a_fit_on_everything_before_it(self) -> None:
        frame = monthly({1: (25, 10.0), 2: (25, 8.0), 3: (25, 3.0)})
        march = frame.filter(pl.col("date").dt.month() == 3)
        expected = ValueBands.fit(frame.filter(pl.col("date") < dt.date(2023, 3, 1))
                                  ).assess(march)
        got = as_of_bands(frame).filter(pl.col("date").dt.month() == 3)
        assert got.equals(expected)

    def test_lookback_keeps_only_recent_history(self) -> None:
        frame = monthly({1: (40, 10.0), 2: (40, 4.0), 3: (5, 4.0)})
        march = as_of_bands(frame, lookback="1mo").filter(pl.col("date").dt.month() == 3)
        assert (march["uv_band_count"] == 40).all()
        assert march["uv_band_median"][0] == pytest.approx(4.0, rel=0.05)
        assert not march["uv_below_band"].any()
        everything = as_of_bands(frame).filter(pl.col("date").dt.month() == 3)
        assert (everything["uv_band_count"] == 80).all()
