"""The model on real data: ahead of the paper's baselines, reproducible, portable."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.db import unit_of_work
from smartcustoms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.risk import service
from smartcustoms.risk.evaluate import Window, evaluate, windowed_features
from smartcustoms.risk.frame import load_frame
from smartcustoms.risk.model import RiskModel
from smartcustoms.risk.spec import load_spec

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
TRAIN = Window(dt.date(2021, 1, 1), dt.date(2021, 3, 31))
VALID = Window(dt.date(2021, 4, 1), dt.date(2021, 4, 30))
TEST = Window(dt.date(2021, 5, 1), dt.date(2021, 6, 30))


@pytest.fixture(scope="module")
def evaluation(kcs_2021: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    with kcs_2021() as session:
        frame = load_frame(session)
    report, model = evaluate(frame, load_spec(), train=TRAIN, valid=VALID, test=TEST)
    return frame, report, model


def test_the_model_beats_both_paper_baselines_on_a_later_window(evaluation) -> None:  # type: ignore[no-untyped-def]
    _, report, _ = evaluation
    ours, lgbm, xgb = report.results
    assert ours.name == "smartcustoms" and "LightGBM" in lgbm.name and "XGBoost" in xgb.name
    for baseline in (lgbm, xgb):
        assert ours.auc > baseline.auc + 0.05
        for budget in (0.05, 0.10):
            assert ours.at_budget(budget).precision > baseline.at_budget(budget).precision
    assert ours.at_budget(0.10).precision > 0.9


def test_calibrated_probabilities_match_observed_rates(evaluation) -> None:  # type: ignore[no-untyped-def]
    frame, _, model = evaluation
    rows, _ = windowed_features(frame, load_spec(), TEST)
    p = model.predict(rows)
    y = rows["irregular"].to_numpy()
    assert abs(p.mean() - y.mean()) < 0.05  # calibrated on validation, checked on test
    low, high = p < 0.2, p > 0.8
    assert y[low].mean() < 0.2 and y[high].mean() > 0.8


def test_an_artifact_scores_the_same_after_a_round_trip(evaluation) -> None:  # type: ignore[no-untyped-def]
    frame, _, model = evaluation
    rows, _ = windowed_features(frame, load_spec(), TEST)
    again = RiskModel.from_artifact(model.artifact())
    np.testing.assert_allclose(again.predict(rows[:500]), model.predict(rows[:500]))
    contributions = model.contributions(rows[:5])
    assert contributions.shape == (5, len(model.feature_names) + 1)


def test_train_stores_a_candidate_and_only_an_analyst_promotes_it(
        kcs_2021: sessionmaker[Session]) -> None:
    analyst = Principal(user_id=None, username="ana", role=Role.analyst)
    with unit_of_work(kcs_2021) as session:
        version, created = service.train_model(session, actor=analyst, now=NOW,
                                               train=TRAIN, valid=VALID)
    assert created and version.status == "candidate"
    assert version.train == "2021-01-01:2021-03-31" and version.trees > 0
    with unit_of_work(kcs_2021) as session:  # the same data and spec: the same version
        again, created = service.train_model(session, actor=analyst, now=NOW,
                                             train=TRAIN, valid=VALID)
    assert not created and again.content_sha256 == version.content_sha256
    officer = Principal(user_id=None, username="off", role=Role.officer)
    with unit_of_work(kcs_2021) as session, pytest.raises(PermissionDenied):
        service.promote_model(session, version.id, actor=officer, now=NOW)
    with unit_of_work(kcs_2021) as session:
        promoted = service.promote_model(session, version.id, actor=analyst, now=NOW)
    assert promoted.status == "promoted" and promoted.promoted_by == "ana"
    with unit_of_work(kcs_2021) as session, pytest.raises(Conflict):
        service.promote_model(session, version.id, actor=analyst, now=NOW)
    with kcs_2021() as session:
        listed = service.list_models(session, actor=SYSTEM)
    assert [v.id for v in listed if v.status == "promoted"] == [version.id]


def test_windows_out_of_order_are_rejected_with_the_windows_named(
        kcs_2021: sessionmaker[Session]) -> None:
    with kcs_2021() as session, pytest.raises(InvalidInput, match="date order"):
        service.run_evaluation(session, actor=SYSTEM, train=VALID, valid=TRAIN, test=TEST)
    with pytest.raises(InvalidInput) as exc:
        Window.parse("2021-02-30:2021-03-01", "train")
    assert exc.value.errors[0].field == "train"


def test_reasons_name_the_evidence_with_its_counts(evaluation) -> None:  # type: ignore[no-untyped-def]
    from smartcustoms.risk.reasons import explain

    frame, _, model = evaluation
    rows, _ = windowed_features(frame, load_spec(), TEST)
    riskiest = rows[np.argsort(-model.predict(rows))[:20].tolist()]
    explained = explain(model, riskiest, top=3)
    assert len(explained) == 20
    for row, reasons in zip(riskiest.iter_rows(named=True), explained, strict=True):
        assert 1 <= len(reasons) <= 3
        contributions = [r.contribution for r in reasons]
        assert all(c > 0 for c in contributions) and contributions == sorted(contributions,
                                                                             reverse=True)
        assert len({r.evidence for r in reasons}) == len(reasons)
        for r in reasons:
            if r.evidence in model.spec.entities and f"{r.evidence}_inspected" in row:
                n, found = int(row[f"{r.evidence}_inspected"]), int(row[f"{r.evidence}_found"])
                if n:
                    assert f"({found:,} of {n:,};" in r.text
    # One reason per lineage: never a consignment and its own parent side by side.
    lineage = {"consignment", "consignment_value", "consignment_mass", "hs6_origin"}
    assert all(len({r.evidence for r in rs} & lineage) <= 1 for rs in explained)


def test_score_a_window_with_the_promoted_model(kcs_2021: sessionmaker[Session]) -> None:
    june = Window(dt.date(2021, 6, 1), dt.date(2021, 6, 30))
    with unit_of_work(kcs_2021) as session:
        for row in service.list_models(session, actor=SYSTEM):
            if row.status == "promoted":
                break
        else:
            with pytest.raises(NotFound, match="no promoted risk model"):
                service.score_window(session, june, actor=SYSTEM)
            version, _ = service.train_model(session, actor=SYSTEM, now=NOW, train=TRAIN,
                                             valid=VALID)
            service.promote_model(session, version.id, actor=SYSTEM, now=NOW)
    with kcs_2021() as session:
        report = service.score_window(session, june, actor=SYSTEM, top=10)
        by_duty = service.score_window(session, june, actor=SYSTEM, top=10, policy="duty")
    assert report.declarations == 2781 and len(report.ranked) == 10
    probabilities = [d.probability for d in report.ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(d.reasons and d.reference for d in report.ranked)
    duties = [d.expected_duty for d in by_duty.ranked]
    assert duties == sorted(duties, reverse=True) and duties[0] > report.ranked[0].expected_duty


def test_the_small_batch_path_builds_the_same_matrix(evaluation) -> None:  # type: ignore[no-untyped-def]
    from smartcustoms.risk.model import encode_categories

    frame, _, model = evaluation
    rows, _ = windowed_features(frame, load_spec(), TEST)
    few = rows[:40]
    vectorised = np.hstack([few.select(model.numeric).cast(float).fill_null(np.nan).to_numpy(),
                            encode_categories(few, model.vocab)])
    np.testing.assert_array_equal(model.matrix(few), vectorised)
    np.testing.assert_array_equal(model.predict(few), model.predict(rows[:400])[:40])
