"""Features see only the past: properties over random histories, and hand-made cases."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.errors import InvalidInput
from smartcustoms.risk.features import add_features
from smartcustoms.risk.spec import FeatureSpec, load_spec

SPEC = load_spec()
DAY0 = dt.date(2021, 1, 1)


def make_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    base = {"declaration_id": None, "sequence": 1, "date": DAY0, "office": "10",
            "declarant": "D1", "importer": "I1", "seller": "S1", "hs6": "851762",
            "hs4": "8517", "hs2": "85", "origin": "CN", "departure": "CN",
            "transport_mode": "10", "preference_code": None, "currency": "KRW",
            "net_mass_kg": 10.0, "price": 1000.0, "duty_rate": 8.0,
            "national.process_type": "B", "irregular": None, "critical": None}
    records = [base | {"declaration_id": f"d{i}"} | r for i, r in enumerate(rows)]
    schema = {"sequence": pl.Int32, "date": pl.Date, "net_mass_kg": pl.Float64,
              "price": pl.Float64, "duty_rate": pl.Float64, "irregular": pl.Int8,
              "critical": pl.Int8}
    return pl.DataFrame(records, schema_overrides=schema)


row_strategy = st.fixed_dictionaries({
    "date": st.integers(0, 6).map(lambda d: DAY0 + dt.timedelta(days=d)),
    "importer": st.sampled_from(["I1", "I2", "I3"]),
    "hs6": st.sampled_from(["851762", "851770", "610910"]),
    "origin": st.sampled_from(["CN", "VN", None]),
    "net_mass_kg": st.sampled_from([1.0, 10.0, 250.0, None]),
    "price": st.sampled_from([100.0, 1000.0, 55.5]),
    "irregular": st.sampled_from([0, 1, None]),
})


@settings(max_examples=40, deadline=None)
@given(st.lists(row_strategy, min_size=1, max_size=30), st.integers(0, 7),
       st.randoms(use_true_random=False))
def test_a_row_never_sees_an_outcome_of_its_own_day_or_later(
        rows: list[dict[str, object]], cut: int, rnd: object) -> None:
    frame = make_frame(rows)
    cutoff = DAY0 + dt.timedelta(days=cut)
    # Rewrite every outcome dated on or after the cutoff: no feature of a row dated on or
    # before the cutoff may change.
    flipped = frame.with_columns(
        pl.when(pl.col("date") >= cutoff)
        .then(pl.lit(rnd.choice([0, 1, None]), dtype=pl.Int8))  # type: ignore[attr-defined]
        .otherwise(pl.col("irregular")).alias("irregular"))
    a, names = add_features(frame, SPEC)
    b, _ = add_features(flipped, SPEC)
    early = pl.col("date") <= cutoff
    assert a.filter(early).select(names).equals(b.filter(early).select(names))


@settings(max_examples=25, deadline=None)
@given(st.lists(row_strategy, min_size=2, max_size=30))
def test_scoring_one_row_appended_to_history_equals_the_batch(
        rows: list[dict[str, object]]) -> None:
    """One code path: a row's features do not depend on what else is in the batch."""
    frame = make_frame(rows)
    batch, names = add_features(frame, SPEC)
    last = len(frame) - 1
    history_then_one = pl.concat([frame[:last].filter(pl.col("date") < frame["date"][last]),
                                  frame[last:]])
    single, _ = add_features(history_then_one, SPEC)
    assert single[-1].select(names).equals(batch[last].select(names))


def test_labels_known_before_hides_later_outcomes() -> None:
    frame = make_frame([
        {"date": DAY0, "irregular": 1},
        {"date": DAY0 + dt.timedelta(days=1), "irregular": 1},
        {"date": DAY0 + dt.timedelta(days=5)},
    ])
    seen, _ = add_features(frame, SPEC)
    hidden, _ = add_features(frame, SPEC, labels_known_before=DAY0 + dt.timedelta(days=1))
    assert seen["importer_inspected"][2] == 2
    assert hidden["importer_inspected"][2] == 1
    # Volume is what was lodged, known whatever the outcomes: both count two.
    assert seen["importer_volume"][2] == hidden["importer_volume"][2] == 2


def test_smoothing_shrinks_towards_the_parent() -> None:
    spec = FeatureSpec.model_validate({
        "smoothing": 2.0,
        "entities": {"hs6": {"keys": ["hs6"]},
                     "consignment": {"keys": ["hs6", "net_mass_kg"], "parent": "hs6"}},
    })
    day = DAY0 + dt.timedelta(days=1)
    frame = make_frame([
        {"irregular": 1, "net_mass_kg": 5.0}, {"irregular": 1, "net_mass_kg": 5.0},
        {"irregular": 0, "net_mass_kg": 7.0}, {"irregular": 0, "net_mass_kg": 7.0},
        {"date": day, "net_mass_kg": 5.0}, {"date": day, "net_mass_kg": 9.0},
    ])
    out, _ = add_features(frame, spec)
    prior = (2 + 0.5) / (4 + 1)            # overall rate as of day 1, with its neutral start
    hs6 = (2 + 2 * prior) / (4 + 2)        # 2 of 4 irregular, shrunk to the prior
    assert out["hs6_risk"][4] == pytest.approx(hs6)
    assert out["consignment_risk"][4] == pytest.approx((2 + 2 * hs6) / (2 + 2))
    assert out["consignment_risk"][5] == pytest.approx(hs6)  # unseen: the parent's rate


def test_unit_value_is_compared_with_the_group_history() -> None:
    day = DAY0 + dt.timedelta(days=1)
    frame = make_frame([{"price": 100.0, "net_mass_kg": 1.0},
                        {"price": 400.0, "net_mass_kg": 1.0},
                        {"date": day, "price": 2.0, "net_mass_kg": 1.0}])
    out, _ = add_features(frame, SPEC)
    import math
    geometric_mean = math.exp((math.log(100) + math.log(400)) / 2)  # 200 per kg
    assert out["unit_value_log_ratio"][2] == pytest.approx(math.log(2 / geometric_mean))
    assert out["unit_value_log_ratio"][0] is None  # nothing before it to compare with


def test_a_spec_naming_an_unknown_column_or_parent_or_a_cycle_is_rejected() -> None:
    with pytest.raises(InvalidInput) as exc:
        FeatureSpec.model_validate({"entities": {
            "a": {"keys": ["colour"]}, "b": {"keys": ["hs6"], "parent": "zz"}}})
    fields = {e.field for e in exc.value.errors}
    assert fields == {"entities.a.keys", "entities.b.parent"}
    assert any(e.value == "colour" for e in exc.value.errors)
    with pytest.raises(InvalidInput, match="invalid") as exc:
        FeatureSpec.model_validate({"entities": {
            "a": {"keys": ["hs6"], "parent": "b"}, "b": {"keys": ["hs4"], "parent": "a"}}})
    assert exc.value.errors[0].message == "the parents form a cycle"


def test_a_parent_may_be_listed_after_its_child() -> None:
    spec = FeatureSpec.model_validate({"entities": {
        "hs6": {"keys": ["hs6"], "parent": "hs2"}, "hs2": {"keys": ["hs2"]}}})
    assert [n for n, _ in spec.ordered_entities()] == ["hs2", "hs6"]


@settings(max_examples=30, deadline=None)
@given(st.lists(row_strategy, min_size=1, max_size=30),
       st.lists(row_strategy, min_size=1, max_size=5))
def test_lookups_of_the_latest_history_equal_the_as_of_joins(
        history_rows: list[dict[str, object]], new_rows: list[dict[str, object]]) -> None:
    """Scoring a submission by dictionary lookups gives exactly the batch features."""
    from smartcustoms.risk.features import LatestHistory, attach, attach_latest, build_history

    history = make_frame(history_rows)
    last = history["date"].max()
    # Submissions of the history's last day (today: they must not see each other) and of
    # a later day.
    for shift in (0, 30):
        later = make_frame(new_rows).with_columns(
            pl.lit(last + dt.timedelta(days=shift)).alias("date"),
            pl.lit(None, dtype=pl.Int8).alias("irregular"))
        built = build_history(history, SPEC)
        latest = LatestHistory.of(built, cut=later["date"][0] if shift else None)
        assert latest.covers(later)
        a, names = attach(later, built, SPEC)
        b, names_b = attach_latest(later, latest, SPEC)
        assert names == names_b
        assert a.select(names).equals(b.select(names))
    assert not LatestHistory.of(built).covers(
        later.with_columns(pl.lit(last + dt.timedelta(days=1)).alias("date")))
