"""The hash-chained audit log: intact logs verify, every kind of tampering is caught.

Tampering is done the way an intruder with database access would: raw SQL on
the tables, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade
from smartcustoms.identity import SYSTEM, Role, audit, create_user, get_user, issue_token
from smartcustoms.identity.audit import GENESIS, AuditReport
from smartcustoms.identity.tables import AuditRow

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def _write(sessions: sessionmaker[Session], n: int, *, start: int = 1) -> None:
    """n entries in one transaction, with distinct details and times."""
    with unit_of_work(sessions) as s:
        for i in range(start, start + n):
            audit.record(s, actor=f"user{i % 3}", action="test.write", entity_type="thing",
                         entity_id=str(i), detail={"i": i, "note": f"entry {i}", "ok": True},
                         now=NOW + dt.timedelta(seconds=i))


def _verify(sessions: sessionmaker[Session]) -> AuditReport:
    with sessions() as s:
        return audit.verify(s)


def _sql(engine: Engine, statement: str, **params: Any) -> int:
    with engine.begin() as conn:
        return conn.execute(text(statement), params).rowcount


@pytest.fixture
def log(engine: Engine, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Five entries: a real user creation and token, then three plain records."""
    with unit_of_work(sessions) as s:
        create_user(s, username="alice", password="correct horse", role=Role.officer,
                    company_id=None, display_name=None, actor=SYSTEM, now=NOW)
    with unit_of_work(sessions) as s:
        issue_token(s, get_user(s, "alice"), name="t", now=NOW, ttl=dt.timedelta(hours=1))
    _write(sessions, 3, start=3)
    assert _verify(sessions) == AuditReport(True, 5, 5)
    return sessions


def test_empty_log_verifies(sessions: sessionmaker[Session]) -> None:
    assert _verify(sessions) == AuditReport(ok=True, entries=0, head_seq=0)


def test_intact_log_verifies_and_grows(log: sessionmaker[Session]) -> None:
    _write(log, 2, start=100)
    report = _verify(log)
    assert report == AuditReport(ok=True, entries=7, head_seq=7, first_bad_seq=None,
                                 problem=None)
    with log() as s:
        head = s.execute(text("SELECT seq, hash FROM audit_head")).one()
        last = s.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC")).first()
    assert tuple(head) == tuple(last) == (7, last.hash)
    assert len(last.hash) == 64 and last.hash != GENESIS


def test_reformatted_detail_json_is_not_tampering(
    engine: Engine, log: sessionmaker[Session],
) -> None:
    # Same JSON value, other whitespace and key order: the digest is over canonical JSON.
    with log() as s:
        detail = s.scalar(text("SELECT detail FROM audit_log WHERE seq = 4"))
    value = json.loads(detail) if isinstance(detail, str) else detail
    reordered = json.dumps(dict(reversed(list(value.items()))), indent=2)
    assert _sql(engine, "UPDATE audit_log SET detail = :d WHERE seq = 4", d=reordered) == 1
    assert _verify(log).ok is True


def test_edited_detail_is_detected(engine: Engine, log: sessionmaker[Session]) -> None:
    assert _sql(engine, "UPDATE audit_log SET detail = :d WHERE seq = 1",
                d=json.dumps({"username": "alice", "role": "admin", "company_id": None})) == 1
    assert _verify(log) == AuditReport(
        ok=False, entries=0, head_seq=1, first_bad_seq=1,
        problem="entry 1: its detail was changed after it was written")


def test_edited_detail_with_a_recomputed_digest_is_detected(
    engine: Engine, log: sessionmaker,
) -> None:
    forged = {"i": 4, "note": "nothing to see", "ok": True}
    _sql(engine, "UPDATE audit_log SET detail = :d, change_digest = :c WHERE seq = 4",
         d=json.dumps(forged), c=audit.digest(forged))
    report = _verify(log)
    assert (report.ok, report.entries, report.first_bad_seq) == (False, 3, 4)
    assert report.problem == "entry 4: its content was changed after it was written"


def test_detail_edited_to_an_unencodable_number_is_detected(
    engine: Engine, log: sessionmaker,
) -> None:
    # Valid JSON on both backends, but beyond what the canonical encoder writes.
    _sql(engine, "UPDATE audit_log SET detail = :d WHERE seq = 3",
         d='{"i": 1180591620717411303424}')
    report = _verify(log)
    assert (report.ok, report.entries, report.first_bad_seq) == (False, 2, 3)
    assert report.problem == "entry 3: its detail was changed after it was written"


def test_edited_actor_is_detected(engine: Engine, log: sessionmaker[Session]) -> None:
    assert _sql(engine, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2") == 1
    assert _verify(log) == AuditReport(
        ok=False, entries=1, head_seq=2, first_bad_seq=2,
        problem="entry 2: its content was changed after it was written")


@pytest.mark.parametrize(("column", "value"), [
    ("action", "'user.delete'"),
    ("entity_id", "'999'"),
    ("entity_type", "'other'"),
])
def test_edited_columns_are_detected(
    engine: Engine, log: sessionmaker, column: str, value: str,
) -> None:
    _sql(engine, f"UPDATE audit_log SET {column} = {value} WHERE seq = 5")
    report = _verify(log)
    assert (report.ok, report.entries, report.first_bad_seq) == (False, 4, 5)
    assert report.problem == "entry 5: its content was changed after it was written"


def test_edited_time_is_detected(engine: Engine, log: sessionmaker[Session]) -> None:
    with log() as s:
        row = s.scalars(select(AuditRow).where(AuditRow.seq == 3)).one()
        row.at = row.at + dt.timedelta(days=1)  # through the ORM: a well-formed timestamp
        s.commit()
    report = _verify(log)
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert report.problem == "entry 3: its content was changed after it was written"


def test_relinked_entry_is_detected(engine: Engine, log: sessionmaker[Session]) -> None:
    _sql(engine, "UPDATE audit_log SET prev_hash = :h WHERE seq = 3", h="f" * 64)
    report = _verify(log)
    assert (report.ok, report.entries, report.first_bad_seq) == (False, 2, 3)
    assert report.problem == "entry 3 does not link to entry 2"


def test_deleted_middle_entry_is_detected(engine: Engine, log: sessionmaker[Session]) -> None:
    assert _sql(engine, "DELETE FROM audit_log WHERE seq = 3") == 1
    report = _verify(log)
    assert (report.ok, report.entries, report.first_bad_seq) == (False, 2, 3)
    assert report.problem == "entry 3 is missing (next found: 4)"


def test_deleted_middle_entry_with_renumbered_tail_is_detected(
    engine: Engine, log: sessionmaker,
) -> None:
    # Close the gap: 4 -> 3, 5 -> 4, and the head to 4. The links no longer hold.
    _sql(engine, "DELETE FROM audit_log WHERE seq = 3")
    _sql(engine, "UPDATE audit_log SET seq = seq - 1 WHERE seq > 3")
    _sql(engine, "UPDATE audit_head SET seq = 4")
    report = _verify(log)
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert report.problem == "entry 3 does not link to entry 2"


def test_deleted_last_entry_is_detected_by_the_head(
    engine: Engine, log: sessionmaker[Session],
) -> None:
    assert _sql(engine, "DELETE FROM audit_log WHERE seq = 5") == 1
    assert _verify(log) == AuditReport(
        ok=False, entries=4, head_seq=5, first_bad_seq=5,
        problem="the log ends at entry 4 but its head says 5: entries were deleted from the end")


def test_deleted_tail_with_a_forged_head_seq_is_detected(
    engine: Engine, log: sessionmaker,
) -> None:
    # The intruder also winds the head's counter back; the head still holds entry 5's
    # hash, which entry 4 does not have.
    _sql(engine, "DELETE FROM audit_log WHERE seq = 5")
    _sql(engine, "UPDATE audit_head SET seq = 4")
    report = _verify(log)
    assert (report.ok, report.entries, report.head_seq, report.first_bad_seq) == (
        False, 4, 4, 5)


def test_emptied_log_is_detected(engine: Engine, log: sessionmaker[Session]) -> None:
    assert _sql(engine, "DELETE FROM audit_log") == 5
    report = _verify(log)
    assert (report.ok, report.entries, report.head_seq, report.first_bad_seq) == (
        False, 0, 5, 1)


def test_deleted_head_is_detected(engine: Engine, log: sessionmaker[Session]) -> None:
    _sql(engine, "DELETE FROM audit_head")
    report = _verify(log)
    assert (report.ok, report.entries, report.head_seq) == (False, 5, 0)


def test_the_first_bad_entry_is_reported(engine: Engine, log: sessionmaker[Session]) -> None:
    _sql(engine, "UPDATE audit_log SET actor = 'x' WHERE seq = 4")
    _sql(engine, "UPDATE audit_log SET actor = 'y' WHERE seq = 2")
    assert _verify(log).first_bad_seq == 2


def test_long_log_is_verified_across_pages(engine: Engine, sessions: sessionmaker[Session]) -> None:
    _write(sessions, 1003)
    assert _verify(sessions) == AuditReport(True, 1003, 1003)
    _sql(engine, "DELETE FROM audit_log WHERE seq = 1001")
    report = _verify(sessions)
    assert (report.ok, report.entries, report.first_bad_seq) == (False, 1000, 1001)
    assert report.problem == "entry 1001 is missing (next found: 1002)"


# --- SQLite only: values PostgreSQL's column types would refuse ---------------------------

@pytest.fixture
def sqlite_log(sqlite_settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(sqlite_settings)
    upgrade(engine)
    sessions = session_factory(engine)
    _write(sessions, 5)
    yield engine, sessions
    engine.dispose()


@pytest.mark.parametrize(("statement", "reason"), [
    ("UPDATE audit_log SET detail = '{not json' WHERE seq = 3", "JSONDecodeError"),
    ("UPDATE audit_log SET at = 'yesterday' WHERE seq = 3", "ValueError"),
])
def test_unreadable_entry_fails_closed_and_is_named(
    sqlite_log: tuple[Engine, sessionmaker[Session]], statement: str, reason: str,
) -> None:
    engine, sessions = sqlite_log
    _sql(engine, statement)
    report = _verify(sessions)
    assert (report.ok, report.entries, report.first_bad_seq) == (False, 2, 3)
    assert report.problem is not None
    assert report.problem.startswith(f"entry 3 cannot be read ({reason}: ")
    assert report.problem.endswith("it was changed after it was written")


def test_entries_before_an_unreadable_one_are_still_checked(
    sqlite_log: tuple[Engine, sessionmaker[Session]],
) -> None:
    engine, sessions = sqlite_log
    _sql(engine, "UPDATE audit_log SET detail = '{not json' WHERE seq = 4")
    _sql(engine, "UPDATE audit_log SET actor = 'x' WHERE seq = 2")
    report = _verify(sessions)
    assert (report.first_bad_seq, report.entries) == (2, 1)
    assert report.problem == "entry 2: its content was changed after it was written"
