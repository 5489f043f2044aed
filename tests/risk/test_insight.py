"""A model version as an analyst reads it: calibration recorded at training, feature
importance read from the artifact, who may see it.

Data: the first 1,500 rows of the KCS test file with their ``Fraud`` outcomes and one model
trained on the default split, built once per module (a few seconds). Tests that change a
stored version work on a copy of the SQLite file.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade
from smartcustoms.declarations import import_file, shipped_mapping
from smartcustoms.errors import NotFound, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.identity.tables import AuditRow
from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.risk import insight, service
from smartcustoms.risk.evaluate import Window, windowed_features
from smartcustoms.risk.frame import load_frame
from smartcustoms.risk.metrics import calibration_table
from smartcustoms.risk.model import RiskModel
from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes
from smartcustoms.risk.reasons import feature_label
from smartcustoms.risk.tables import RiskModelRow

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
ROWS = 1500
OFFICER = Principal(user_id=None, username="off", role=Role.officer)
TRADER = Principal(user_id=None, username="trd", role=Role.trader, company_id="X")


def _sessions(data_dir: Path) -> sessionmaker[Session]:
    engine = make_engine(Settings(data_dir=data_dir, environment="test"))
    upgrade(engine)
    return session_factory(engine)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the KCS rows, their outcomes and one trained candidate."""
    root = tmp_path_factory.mktemp("insight")
    lines = (SAMPLES_DIR / "kcs" / "df_syn_test_eng.csv").read_text(
        encoding="utf-8-sig").splitlines()[:ROWS + 1]
    path = root / "kcs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sessions = _sessions(root / "data")
    import_file(sessions, path, actor=SYSTEM, clock=lambda: NOW,
                mapping=shipped_mapping("kcs"), workers=0)
    with threadpool_limits(1), unit_of_work(sessions) as session:  # see test_risk_pages
        record_source_outcomes(session, OutcomeColumns(irregular="Fraud"), actor=SYSTEM,
                               now=NOW)
        service.train_model(session, actor=SYSTEM, now=NOW)
    sessions.kw["bind"].dispose()
    return root / "data"


@pytest.fixture(scope="module")
def shared(template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[sessionmaker[Session]]:
    """For tests that only read."""
    target = tmp_path_factory.mktemp("shared") / "data"
    shutil.copytree(template, target)
    sessions = _sessions(target)
    yield sessions
    sessions.kw["bind"].dispose()


@pytest.fixture
def fresh(template: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A copy of one's own, for a test that writes."""
    shutil.copytree(template, tmp_path / "data")
    sessions = _sessions(tmp_path / "data")
    yield sessions
    sessions.kw["bind"].dispose()


def _row(sessions: sessionmaker[Session]) -> RiskModelRow:
    with sessions() as session:
        row = session.get(RiskModelRow, 1)
        assert row is not None
        session.expunge(row)
        return row


class TestCalibrationTable:
    def test_bins_hold_equal_counts_lowest_probabilities_first(self) -> None:
        rng = np.random.default_rng(7)
        p = rng.beta(0.3, 3, size=1003)  # skewed, as risk scores are
        y = (rng.random(1003) < p).astype(float)
        table = calibration_table(p, y)
        counts = [b.count for b in table.bins]
        assert len(counts) == 10 and sum(counts) == 1003 and max(counts) - min(counts) <= 1
        means = [b.mean_predicted for b in table.bins]
        assert means == sorted(means)
        assert all(b.p_low <= b.mean_predicted <= b.p_high for b in table.bins)
        assert table.brier == pytest.approx(np.mean((p - y) ** 2), abs=1e-6)
        assert table.positive_rate == pytest.approx(y.mean(), abs=1e-6)

    def test_fewer_rows_than_bins_give_one_bin_per_row(self) -> None:
        table = calibration_table(np.array([0.9, 0.1, 0.5]), np.array([1, 0, 0]))
        assert [(b.mean_predicted, b.observed_rate, b.count) for b in table.bins] == [
            (0.1, 0.0, 1), (0.5, 0.0, 1), (0.9, 1.0, 1)]

    def test_perfect_predictions_score_a_brier_of_zero(self) -> None:
        assert calibration_table(np.array([0.0, 1.0]), np.array([0, 1])).brier == 0


class TestTrainModel:
    def test_calibration_on_the_validation_window_is_stored_with_the_version(
            self, shared: sessionmaker[Session]) -> None:
        row = _row(shared)
        stored = row.metrics["validation"]["calibration"]
        assert len(json.dumps(stored)) < 2000  # small: ten bins and three figures
        assert len(stored["bins"]) == 10 and stored["rows"] == row.rows_valid
        assert sum(b["count"] for b in stored["bins"]) == row.rows_valid
        assert all(0 <= b["observed_rate"] <= 1 for b in stored["bins"])
        assert 0 <= stored["brier"] <= 1
        # The same figures as the stored model gives on the validation window's rows.
        with shared() as session:
            frame = load_frame(session)
        model = RiskModel.from_artifact(row.artifact)
        rows, _ = windowed_features(frame, model.spec, Window(row.valid_from, row.valid_to))
        again = calibration_table(model.predict(rows), rows["irregular"].to_numpy())
        assert again.model_dump() == stored

    def test_retraining_fills_in_a_version_stored_before_calibration(
            self, fresh: sessionmaker[Session]) -> None:
        before = _row(fresh)
        with unit_of_work(fresh) as session:
            row = session.get(RiskModelRow, 1)
            assert row is not None
            row.metrics = {"validation": {k: v for k, v in row.metrics["validation"].items()
                                          if k != "calibration"}}
        with fresh() as session:
            assert insight.model_insight(session, 1, actor=OFFICER).calibration is None
        with threadpool_limits(1), unit_of_work(fresh) as session:
            version, created = service.train_model(
                session, actor=SYSTEM, now=NOW, train=Window(before.train_from, before.train_to),
                valid=Window(before.valid_from, before.valid_to))
        assert (version.id, created) == (1, False)
        assert _row(fresh).metrics == before.metrics
        with fresh() as session:  # the fill-in is in the audit log
            entries = session.scalars(select(AuditRow).where(
                AuditRow.action == "risk-model.calibration")).all()
        assert [e.entity_id for e in entries] == ["1"]


class TestModelInsight:
    def test_metrics_calibration_and_the_features_with_most_gain(
            self, shared: sessionmaker[Session]) -> None:
        with shared() as session:
            found = insight.model_insight(session, 1, actor=OFFICER)
        row = _row(shared)
        assert found.version.id == 1 and found.version.validation.auc is not None
        assert found.params["trees"] == found.version.trees > 0
        assert found.features == len(row.features)
        assert found.calibration is not None
        assert found.calibration.model_dump() == row.metrics["validation"]["calibration"]
        shares = [f.share for f in found.importance]
        assert 0 < len(shares) <= insight.TOP_FEATURES
        assert shares == sorted(shares, reverse=True) and all(s > 0 for s in shares)
        assert sum(shares) + found.importance_rest == pytest.approx(1, abs=1e-4)
        assert {f.feature for f in found.importance} <= set(row.features)
        assert all(f.label and not f.label.startswith("category:") for f in found.importance)

    def test_every_feature_is_ranked_and_the_shares_sum_to_one(
            self, shared: sessionmaker[Session]) -> None:
        model = RiskModel.from_artifact(_row(shared).artifact)
        ranked = insight.feature_importance(model)
        assert sum(f.share for f in ranked) == pytest.approx(1, abs=1e-4)
        assert len({f.feature for f in ranked}) == len(ranked)

    def test_a_trader_may_not_read_it(self, shared: sessionmaker[Session]) -> None:
        with shared() as session, pytest.raises(PermissionDenied):
            insight.model_insight(session, 1, actor=TRADER)

    def test_an_unknown_version_is_not_found(self, shared: sessionmaker[Session]) -> None:
        with shared() as session, pytest.raises(NotFound, match="no risk model 99"):
            insight.model_insight(session, 99, actor=OFFICER)


class TestFeatureLabel:
    @pytest.mark.parametrize(("feature", "label"), [
        ("importer_hs6_risk", "past irregularity rate of importer × HS"),
        ("consignment_inspected", "past inspections of HS × origin × net mass × price"),
        ("hs6_origin_volume", "past declarations of HS × origin"),
        ("category:origin", "origin (code)"),
        ("departure_risk", "past irregularity rate of dispatch country"),
        ("category:national.Tax Type", "national element Tax Type (code)"),
        ("unit_value_log_ratio", "unit value against the HS × origin geometric mean"),
        ("new_hs6_for_importer", "first declaration of this importer × HS"),
        ("duty_at_stake", "duty at stake (price × rate)"),
    ])
    def test_features_are_named_in_an_analysts_words(
            self, shared: sessionmaker[Session], feature: str, label: str) -> None:
        model = RiskModel.from_artifact(_row(shared).artifact)
        assert feature_label(feature, model) == label
