"""Risk fixtures: the bundled KCS data of 2021 imported once, with its outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade
from smartcustoms.declarations import import_file, shipped_mapping
from smartcustoms.identity import SYSTEM
from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes

KCS_OUTCOMES = OutcomeColumns(irregular="Fraud", critical="Critical Fraud",
                              critical_values=frozenset({"2"}))
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def import_kcs(sessions: sessionmaker[Session], *names: str) -> None:
    for name in names:
        report = import_file(sessions, SAMPLES_DIR / "kcs" / name, actor=SYSTEM,
                             clock=lambda: NOW, mapping=shipped_mapping("kcs"), workers=0)
        assert report.rows_quarantined == 0
    with unit_of_work(sessions) as session:
        record_source_outcomes(session, KCS_OUTCOMES, actor=SYSTEM, now=NOW)


@pytest.fixture(scope="module")
def kcs_2021(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """16,615 declarations of 2021-01-01 .. 2021-06-30, every one with its outcome."""
    data_dir: Path = tmp_path_factory.mktemp("kcs2021")
    engine = make_engine(Settings(data_dir=data_dir, environment="test"))
    upgrade(engine)
    sessions = session_factory(engine)
    import_kcs(sessions, "df_syn_valid_eng.csv", "df_syn_test_eng.csv")
    yield sessions
    engine.dispose()
