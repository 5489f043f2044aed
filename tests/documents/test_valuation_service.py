"""Valuation bands as a service: fitted on stored declarations, versioned, read against
each item on demand and for the whole history, joined to the risk frame for rules.

Runs on a fresh migrated database (SQLite, and PostgreSQL under ``-m postgres``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.db import unit_of_work
from smartcustoms.declarations import submit_declaration
from smartcustoms.documents import valuation_service as valuation
from smartcustoms.documents.tables import ValuationBandsRow, ValuationCheckRow
from smartcustoms.errors import PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.risk.frame import load_frame

ROOT = Path(__file__).resolve().parents[2]
VECTOR = json.loads((ROOT / "tests" / "vectors" / "declaration_full.json").read_text())
ANALYST = Principal(user_id=None, username="ana", role=Role.analyst)
OFFICER = Principal(user_id=None, username="off", role=Role.officer)
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def submit(sessions: sessionmaker[Session], reference: str, day: dt.date,
           router_price: str) -> str:
    """The test vector with item 1 (routers, 420.5 kg, CN) priced at ``router_price``."""
    data: dict[str, Any] = copy.deepcopy(VECTOR)
    data["reference"], data["declaration_date"] = reference, day.isoformat()
    for document in (*data["documents"], *data["items"][0]["documents"]):
        document["issue_date"] = (day - dt.timedelta(days=3)).isoformat()
    data["items"][0]["price"]["amount"] = router_price
    # The header total equals the items' sum (item 2 costs 5,600.00).
    data["invoice_total"]["amount"] = f"{float(router_price) + 5600:.2f}"
    with unit_of_work(sessions) as session:
        return submit_declaration(session, data, actor=SYSTEM, now=NOW).declaration.id


@pytest.fixture
def history(sessions: sessionmaker[Session]) -> list[str]:
    """25 declarations of routers at 17,000-19,400 USD (about 40-46 USD/kg)."""
    start = dt.date(2026, 9, 1)
    return [submit(sessions, f"H-{i}", start + dt.timedelta(days=i), f"{17000 + 100 * i}.00")
            for i in range(25)]


def test_fitting_needs_the_analysts_permission(sessions: sessionmaker[Session],
                                               history: list[str]) -> None:
    with unit_of_work(sessions) as session, pytest.raises(PermissionDenied):
        valuation.fit_bands(session, actor=OFFICER, now=NOW)


def test_a_fit_is_a_version_and_refitting_the_same_history_changes_nothing(
        sessions: sessionmaker[Session], history: list[str]) -> None:
    with unit_of_work(sessions) as session:
        first = valuation.fit_bands(session, actor=ANALYST, now=NOW)
    with unit_of_work(sessions) as session:
        again = valuation.fit_bands(session, actor=ANALYST, now=NOW)
        assert again.id == first.id and again.content_sha256 == first.content_sha256
        assert session.execute(select(func.count()).select_from(ValuationBandsRow)
                               ).scalar_one() == 1
    assert first.status == "active"
    assert first.summary == {"USD": {"rows": 50, "bands": 4}}  # 2 items × (hs6+origin, hs6)
    assert (first.fit_start, first.fit_end) == (dt.date(2026, 9, 1), dt.date(2026, 9, 25))
    with unit_of_work(sessions) as session:
        bands = valuation.band_table(session, "851762", origin="CN")
    assert {b["level"] for b in bands} == {"hs6_origin", "hs6"}
    assert 40 < bands[0]["median"] < 46


def test_a_new_history_retires_the_previous_version(sessions: sessionmaker[Session],
                                                    history: list[str]) -> None:
    with unit_of_work(sessions) as session:
        first = valuation.fit_bands(session, actor=ANALYST, now=NOW)
    submit(sessions, "H-late", dt.date(2026, 10, 1), "18000.00")
    with unit_of_work(sessions) as session:
        second = valuation.fit_bands(session, actor=ANALYST, now=NOW)
        statuses = dict(session.execute(select(ValuationBandsRow.id, ValuationBandsRow.status)
                                        ).all())
    assert second.id != first.id
    assert statuses == {first.id: "retired", second.id: "active"}


def test_an_item_far_below_its_band_is_a_finding_and_a_rule_input(
        sessions: sessionmaker[Session], history: list[str]) -> None:
    with unit_of_work(sessions) as session:
        valuation.fit_bands(session, actor=ANALYST, now=NOW)
    cheap = submit(sessions, "CHEAP", dt.date(2026, 10, 2), "4000.00")  # ~9.5 USD/kg
    usual = submit(sessions, "USUAL", dt.date(2026, 10, 2), "18200.00")
    with unit_of_work(sessions) as session:
        readings = valuation.check_declaration_values(session, cheap, now=NOW)
        valuation.check_declaration_values(session, usual, now=NOW)
    routers = readings[0]
    assert routers.item_sequence == 1 and routers.currency == "USD"
    assert routers.below_band is True and routers.band_level == "hs6_origin"
    assert routers.z is not None and routers.z < -3
    assert routers.unit_value == pytest.approx(4000 / 420.5)
    assert routers.message is not None and "Art. 7.2" in routers.message
    assert readings[1].below_band is False and readings[1].message is None
    with unit_of_work(sessions) as session:
        frame = load_frame(session).filter(
            __import__("polars").col("declaration_id").is_in([cheap, usual]))
    flags = dict(zip(frame["declaration_id"] + ":" + frame["sequence"].cast(str),
                     frame["uv_below_band"], strict=True))
    assert flags == {f"{cheap}:1": True, f"{cheap}:2": False, f"{usual}:1": False,
                     f"{usual}:2": False}


def test_checking_again_replaces_the_readings(sessions: sessionmaker[Session],
                                              history: list[str]) -> None:
    with unit_of_work(sessions) as session:
        valuation.fit_bands(session, actor=ANALYST, now=NOW)
        counts = valuation.check_all_values(session, now=NOW)
        valuation.check_declaration_values(session, history[0], now=NOW)
        stored = session.execute(select(func.count()).select_from(ValuationCheckRow)
                                 ).scalar_one()
    assert counts == {"items": 50, "below_band": 0, "with_band": 50}
    assert stored == 50


def test_without_bands_nothing_is_read(sessions: sessionmaker[Session],
                                      history: list[str]) -> None:
    with unit_of_work(sessions) as session, pytest.raises(valuation.NoValuationBands):
        valuation.check_declaration_values(session, history[0], now=NOW)


def test_too_little_history_is_a_clear_error(sessions: sessionmaker[Session]) -> None:
    submit(sessions, "ONLY", dt.date(2026, 9, 1), "18000.00")
    with unit_of_work(sessions) as session, pytest.raises(valuation.NoValuationBands) as exc:
        valuation.fit_bands(session, actor=ANALYST, now=NOW)
    assert "20 stored items" in exc.value.detail
