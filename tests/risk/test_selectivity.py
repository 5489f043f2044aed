"""Lane selection: capacity, rules first, a random share, reproducible propensities."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from smartcustoms.risk.selectivity import (
    Candidate,
    Capacity,
    Lane,
    LaneSettings,
    Selection,
    assign_lanes,
)


def day(n: int, office: str = "30", date: str = "2021-06-01", seed: int = 1
        ) -> list[Candidate]:
    rnd = random.Random(seed)
    return [Candidate(f"{office}-{date}-{i}", office, date, rnd.random()) for i in range(n)]


def test_capacity_per_lane_and_model_order() -> None:
    cands = day(200)
    decisions = assign_lanes(cands, LaneSettings(random_rate=0.0))
    lanes = Counter(d.lane for d in decisions)
    assert lanes == {Lane.red: 10, Lane.yellow: 10, Lane.blue: 20, Lane.green: 160}
    by_score = sorted(zip(cands, decisions, strict=True), key=lambda cd: -cd[0].score)
    assert [d.lane for _, d in by_score[:10]] == [Lane.red] * 10
    assert [d.lane for _, d in by_score[10:20]] == [Lane.yellow] * 10
    assert all(d.selected_by is Selection.model for _, d in by_score[:40])
    assert [d.rank for _, d in by_score[:3]] == [1, 2, 3]


def test_rules_come_first_and_use_up_capacity() -> None:
    cands = day(100)
    low = min(range(100), key=lambda i: cands[i].score)
    cands[low] = Candidate(cands[low].declaration_id, "30", "2021-06-01", 0.0,
                           rule_lane=Lane.red, rule_ids=(7,))
    decisions = assign_lanes(cands, LaneSettings(random_rate=0.0))
    assert decisions[low].lane is Lane.red and decisions[low].selected_by is Selection.rule
    assert decisions[low].rule_ids == (7,) and decisions[low].propensity == 1.0
    assert sum(d.lane is Lane.red for d in decisions) == 5  # 5 % of 100, the rule's included


def test_random_share_is_reproducible_and_independent_of_batching() -> None:
    cands = day(5000)
    lane_settings = LaneSettings(random_rate=0.02, seed=42)
    whole = assign_lanes(cands, lane_settings)
    drawn = {d.declaration_id for d in whole if d.selected_by is Selection.random}
    assert 60 <= len(drawn) <= 140  # 2 % of 5,000 = 100, binomial spread
    shuffled = cands[:]
    random.Random(3).shuffle(shuffled)
    again = assign_lanes(shuffled, lane_settings)
    assert {d.declaration_id for d in again if d.selected_by is Selection.random} == drawn
    other_seed = assign_lanes(cands, LaneSettings(random_rate=0.02, seed=43))
    assert {d.declaration_id for d in other_seed if d.selected_by is Selection.random} != drawn


def test_propensity_is_the_chance_of_inspection() -> None:
    decisions = assign_lanes(day(2000), LaneSettings(random_rate=0.05, seed=5))
    for d in decisions:
        if d.selected_by is Selection.model and d.lane in (Lane.red, Lane.yellow):
            assert d.propensity == 1.0
        elif d.selected_by is Selection.none or d.lane is Lane.blue:
            assert d.propensity == 0.05
    cut = max(d.rank or 0 for d in decisions if d.selected_by is Selection.model
              and d.lane in (Lane.red, Lane.yellow))
    for d in decisions:
        if d.selected_by is Selection.random:
            assert d.propensity == (1.0 if (d.rank or 0) <= cut else 0.05)


def test_capacity_is_per_office_and_day_with_overrides() -> None:
    cands = day(100, "30") + day(100, "40") + day(100, "30", "2021-06-02")
    lane_settings = LaneSettings(random_rate=0.0, offices={"40": {Lane.red: Capacity(count=2)}})
    decisions = assign_lanes(cands, lane_settings)
    red = Counter((c.office, c.day) for c, d in zip(cands, decisions, strict=True)
                  if d.lane is Lane.red)
    assert red == {("30", "2021-06-01"): 5, ("40", "2021-06-01"): 2, ("30", "2021-06-02"): 5}


def test_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="exactly one of share or count"):
        Capacity(share=0.1, count=3)
    with pytest.raises(ValidationError, match="green is what is left"):
        LaneSettings(capacity={Lane.green: Capacity(share=0.5)})


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["10", "20"]), st.floats(0, 1),
                          st.sampled_from([None, Lane.red, Lane.yellow, Lane.green])),
                max_size=80),
       st.floats(0, 0.5), st.integers(0, 10))
def test_every_declaration_gets_one_lane_within_capacity(
        rows: list[tuple[str, float, Lane | None]], rate: float, red_count: int) -> None:
    cands = [Candidate(f"d{i}", office, "2021-06-01", score, rule_lane=lane)
             for i, (office, score, lane) in enumerate(rows)]
    lane_settings = LaneSettings(random_rate=rate, capacity={Lane.red: Capacity(count=red_count)})
    decisions = assign_lanes(cands, lane_settings)
    assert [d.declaration_id for d in decisions] == [c.declaration_id for c in cands]
    for office in ("10", "20"):
        group = [(c, d) for c, d in zip(cands, decisions, strict=True) if c.office == office]
        model_red = sum(d.lane is Lane.red and d.selected_by is Selection.model for _, d in group)
        forced = sum(d.selected_by in (Selection.rule, Selection.random)
                     and d.lane is Lane.red for _, d in group)
        assert model_red <= max(0, min(red_count, len(group)) - forced)
        assert all(d.lane is c.rule_lane for c, d in group if c.rule_lane is not None)
