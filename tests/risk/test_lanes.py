"""Lanes over stored declarations, rules with their hit rates, officers' results."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput, NotFound, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role, audit
from smartcustoms.risk import inspections, lane_store, lanes, rule_store, service
from smartcustoms.risk.evaluate import Window
from smartcustoms.risk.rules import RuleSyntaxError
from smartcustoms.risk.selectivity import Capacity, Lane, LaneSettings
from smartcustoms.risk.tables import LaneDecisionRow

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
JUNE_1 = Window(dt.date(2021, 6, 1), dt.date(2021, 6, 1))
JUNE = Window(dt.date(2021, 6, 1), dt.date(2021, 6, 30))
ANALYST = Principal(user_id=None, username="ana", role=Role.analyst)
OFFICER = Principal(user_id=None, username="off", role=Role.officer)


@pytest.fixture(scope="module")
def with_model(kcs_2021: sessionmaker[Session]) -> sessionmaker[Session]:
    with unit_of_work(kcs_2021) as session:
        if not any(v.status == "promoted" for v in service.list_models(session, actor=SYSTEM)):
            version, _ = service.train_model(
                session, actor=SYSTEM, now=NOW,
                train=Window(dt.date(2021, 1, 1), dt.date(2021, 3, 31)),
                valid=Window(dt.date(2021, 4, 1), dt.date(2021, 4, 30)))
            service.promote_model(session, version.id, actor=SYSTEM, now=NOW)
    return kcs_2021


def test_a_rule_is_checked_tested_saved_and_selects_first(
        with_model: sessionmaker[Session]) -> None:
    with unit_of_work(with_model) as session:
        with pytest.raises(RuleSyntaxError) as exc:
            rule_store.create_rule(session, name="bad", condition="origin in @nowhere",
                                   lane=Lane.red, actor=ANALYST, now=NOW)
        assert "nowhere" in exc.value.errors[0].message
        with pytest.raises(PermissionDenied):
            rule_store.save_list(session, "watch", ["CN"], actor=OFFICER, now=NOW)
        rule_store.save_list(session, "watch", ["CN", " VN ", "CN"], actor=ANALYST, now=NOW)
        trial = rule_store.try_rule(session, 'origin in @watch and hs6 startswith "85"',
                                    actor=ANALYST)
        assert 0 < trial.fired < trial.declarations and trial.hit_rate is not None
        rule = rule_store.create_rule(
            session, name="electronics from watched origins",
            condition='origin in @watch and hs6 startswith "85"', lane=Lane.yellow,
            actor=ANALYST, now=NOW, valid_from=dt.date(2021, 1, 1))
    with unit_of_work(with_model) as session:
        report = lanes.decide_lanes(session, JUNE_1, actor=ANALYST, now=NOW,
                                    settings=LaneSettings(seed=1, random_rate=0.05))
        decisions = session.scalars(select(LaneDecisionRow)).all()
    assert report.decided == len(decisions) > 50
    ruled = [d for d in decisions if d.selected_by == "rule"]
    assert ruled and all(d.lane == "yellow" and d.rule_ids == [rule.id] for d in ruled)
    assert all(d.reasons[0]["text"].startswith(f"rule {rule.id}:") for d in ruled)
    randoms = [d for d in decisions if d.selected_by == "random"]
    assert all(d.lane == "red" and d.reasons[0]["evidence"] == "random" for d in randoms)
    modelled = [d for d in decisions if d.selected_by == "model" and d.lane == "red"]
    assert modelled and all(d.propensity == 1.0 and d.reasons for d in modelled)
    with with_model() as session:
        perf = {p.rule.id: p for p in rule_store.list_rules(session, actor=OFFICER)}
    assert perf[rule.id].selected == len(ruled)
    assert perf[rule.id].inspected == len(ruled)  # the sample's outcomes are all known
    assert perf[rule.id].hit_rate == pytest.approx(
        perf[rule.id].irregular / perf[rule.id].inspected)


def test_lanes_are_decided_once_reproducibly_and_redone_on_request(
        with_model: sessionmaker[Session]) -> None:
    window = Window(dt.date(2021, 6, 2), dt.date(2021, 6, 3))
    lane_settings = LaneSettings(seed=9, random_rate=0.02,
                                 capacity={Lane.red: Capacity(share=0.1)})
    with unit_of_work(with_model) as session:
        first = lanes.decide_lanes(session, window, actor=ANALYST, now=NOW,
                                   settings=lane_settings)
        before = {d.declaration_id: d.lane for d in session.scalars(select(LaneDecisionRow))}
    with unit_of_work(with_model) as session:
        second = lanes.decide_lanes(session, window, actor=ANALYST, now=NOW,
                                    settings=lane_settings)
    assert second.decided == 0 and second.already_decided == first.decided
    with unit_of_work(with_model) as session:
        redone = lanes.decide_lanes(session, window, actor=ANALYST, now=NOW,
                                    settings=lane_settings, redo=True)
        after = {d.declaration_id: d.lane for d in session.scalars(select(LaneDecisionRow))}
        assert audit.verify(session).ok
    assert redone.decided == first.decided and after == before
    with unit_of_work(with_model) as session, pytest.raises(PermissionDenied):
        lanes.decide_lanes(session, window, actor=OFFICER, now=NOW, settings=lane_settings)


def test_officers_record_results_and_the_feedback_report_weighs_them(
        with_model: sessionmaker[Session]) -> None:
    with unit_of_work(with_model) as session:
        lanes.decide_lanes(session, Window(dt.date(2021, 6, 4), dt.date(2021, 6, 4)),
                           actor=ANALYST, now=NOW, settings=LaneSettings(random_rate=0.05))
        red = session.scalars(select(LaneDecisionRow).where(LaneDecisionRow.lane == "red")
                              ).first()
        assert red is not None
        result, created = inspections.record_inspection(
            session, red.declaration_id, irregular=True, critical=True,
            duty_recovered=Decimal("1200.50"), notes="undervalued", actor=OFFICER, now=NOW)
        assert created and result.source == "officer" and result.inspected_on == NOW.date()
        _, created = inspections.record_inspection(
            session, red.declaration_id, irregular=False, actor=OFFICER, now=NOW)
        assert not created  # a correction
        with pytest.raises(InvalidInput, match="critical"):
            inspections.record_inspection(session, red.declaration_id, irregular=False,
                                          critical=True, actor=OFFICER, now=NOW)
        with pytest.raises(InvalidInput) as exc:
            inspections.record_inspection(session, red.declaration_id, irregular=True,
                                          actor=OFFICER, now=NOW,
                                          inspected_on=dt.date(2020, 1, 1))
        assert exc.value.errors[0].field == "inspected_on"
        with pytest.raises(NotFound):
            inspections.record_inspection(session, "nope", irregular=True, actor=OFFICER,
                                          now=NOW)
        with pytest.raises(PermissionDenied):
            inspections.record_inspection(session, red.declaration_id, irregular=True,
                                          actor=ANALYST, now=NOW)
    with with_model() as session:
        report = inspections.feedback_report(session, actor=OFFICER)
        assert inspections.known_outcomes(session)[red.declaration_id] is False
    assert report.inspected_with_result > 0 and report.exploration_share is not None
    assert 0 < report.estimated_irregularity_rate < 1
    by = {s.selected_by: s for s in report.by_selection}
    assert by["model"].hit_rate > by["random"].hit_rate


def test_lane_settings_files_are_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lanes.yaml"
    path.write_text("random_rate: 2\ncapacity: {green: {share: 0.5}}\n")
    with pytest.raises(InvalidInput) as exc:
        lane_store.load_lane_settings(path)
    assert {e.field for e in exc.value.errors} >= {"random_rate"}
    assert lane_store.load_lane_settings().random_rate == 0.02
