"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when available).

Every test that takes ``engine`` runs on both backends: the PostgreSQL variant is
marked ``postgres`` and skipped when SMARTCUSTOMS_TEST_POSTGRES_URL is not set
(``make test`` starts a throwaway cluster and sets it).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, upgrade

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("SMARTCUSTOMS_TEST_POSTGRES_URL")
FIXED_NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: dt.datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _postgres_database() -> Iterator[str]:
    """A fresh database on the throwaway cluster, dropped afterwards."""
    assert POSTGRES_URL
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path / "data", environment="test")
        return
    if not POSTGRES_URL:
        pytest.skip("SMARTCUSTOMS_TEST_POSTGRES_URL is not set (run `make test`)")
    for url in _postgres_database():
        yield Settings(data_dir=tmp_path / "data", database_url=url, environment="test")


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", environment="test")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


# --- tariff -------------------------------------------------------------------------------------
# Chapters whose shipped rulings the tests' classifier learns from: enough series for the
# out-of-group features, small enough to fit in seconds.
TARIFF_TEST_CHAPTERS = ("18", "39", "40", "73", "85", "94")


@pytest.fixture(scope="session")
def tariff_model() -> Any:
    """A tariff classifier fitted once per run on the whole nomenclature and the shipped
    rulings of a few chapters (lexical only: the encoder has its own tests)."""
    from smartcustoms.tariff.corpus import code_texts, shipped_precedents, with_series_groups
    from smartcustoms.tariff.model import TariffModel

    precedents = [p for p in with_series_groups(shipped_precedents())
                  if p.hs6[:2] in TARIFF_TEST_CHAPTERS]
    return TariffModel().fit(precedents, code_texts())
