"""Bulk loads: the search indexes are built after the rows, and never stay missing."""

from __future__ import annotations

import os
import socket
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms import declarations as decl
from smartcustoms.declarations import bulk
from smartcustoms.declarations.tables import DeclarationRow, ImportRunRow
from smartcustoms.identity import SYSTEM

from .conftest import kcs_rows, write_csv

KCS = decl.resolve_mapping("kcs")
SEARCH_INDEXES = ["ix_declaration_items_hs_code", "ix_declaration_items_origin",
                  "ix_declarations_date", "ix_declarations_importer", "ix_declarations_office"]


def present(engine: Engine) -> list[str]:
    inspector = inspect(engine)
    return sorted(ix["name"] for table in ("declarations", "declaration_items")
                  for ix in inspector.get_indexes(table) if ix["name"] in SEARCH_INDEXES)


def kcs_file(tmp_path: Path, name: str, first: int, n: int) -> Path:
    header, rows = kcs_rows(first + n)
    return write_csv(tmp_path / name, header, rows[first:])


def test_the_deferrable_indexes_are_the_search_indexes_not_the_unique_id() -> None:
    assert [str(ix.name) for ix in bulk.deferrable_indexes()] == SEARCH_INDEXES


def test_a_file_that_at_least_doubles_the_table_is_a_bulk_load(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, clock: Any
) -> None:
    sqlite = engine.dialect.name == "sqlite"
    assert bulk.defers_indexes(engine, 40, min_rows=40) is sqlite  # an empty table
    assert not bulk.defers_indexes(engine, 39, min_rows=40)  # below the floor
    assert not bulk.defers_indexes(engine, 10**9, min_rows=0)  # 0: never
    report = decl.import_file(sessions, kcs_file(tmp_path, "a.csv", 0, 40), actor=SYSTEM,
                              clock=clock, mapping=KCS, chunk_size=7, bulk_min_rows=40)
    assert report.declarations_imported == 40
    bulk_notes = [n for n in report.notes or [] if n.startswith("bulk load")]
    assert bulk_notes == ([f"bulk load: the search indexes were built after the rows went "
                           f"in ({', '.join(SEARCH_INDEXES)})"] if sqlite else [])
    assert present(engine) == SEARCH_INDEXES
    # the indexes serve queries as before
    with sessions() as s:
        found = decl.list_declarations(s, decl.DeclarationFilter(hs_prefix="39"), actor=SYSTEM,
                                       limit=100, offset=0)
    assert found.total == sum(1 for r in kcs_rows(40)[1] if r[12].startswith("39"))
    # 39 more rows do not double a table of 40: the indexes are kept up to date
    assert not bulk.defers_indexes(engine, 39, min_rows=1)
    report = decl.import_file(sessions, kcs_file(tmp_path, "b.csv", 40, 39), actor=SYSTEM,
                              clock=clock, mapping=KCS, chunk_size=7, bulk_min_rows=1)
    assert report.declarations_imported == 39
    assert not [n for n in report.notes or [] if n.startswith("bulk load")]


def test_indexes_come_back_when_the_load_fails(engine: Engine, sessions: sessionmaker[Session],
                                               tmp_path: Path, clock: Any) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("bulk loads are a SQLite feature")

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        # read outside the engine: its transactions wait for the importer's write lock
        with closing(sqlite3.connect(str(engine.url.database))) as con:
            names = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
        assert names.isdisjoint(SEARCH_INDEXES)  # dropped while the rows go in
        raise Stop

    with pytest.raises(Stop):
        decl.import_file(sessions, kcs_file(tmp_path, "a.csv", 0, 20), actor=SYSTEM,
                         clock=clock, mapping=KCS, chunk_size=7, bulk_min_rows=1,
                         on_progress=progress)
    assert present(engine) == SEARCH_INDEXES


def test_indexes_a_killed_load_left_dropped_are_built_by_the_next_import(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, clock: Any
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("bulk loads are a SQLite feature")
    bulk.drop_indexes(engine)
    # While another import is running, its load may be what dropped them: leave them.
    with sessions.begin() as s:
        s.add(ImportRunRow(file_name="big.csv", file_sha256="0" * 64, file_bytes=1,
                           format="csv", status="running", host=socket.gethostname(),
                           pid=os.getpid(), started_at=clock(), rows_read=0,
                           declarations_imported=0, items_imported=0,
                           declarations_unchanged=0, rows_quarantined=0))
    assert decl.restore_indexes_if_idle(sessions, now=clock()) == []
    assert present(engine) == []
    with sessions.begin() as s:  # that import ends
        for run in s.scalars(select(ImportRunRow)):
            run.status = "completed"
    report = decl.import_file(sessions, kcs_file(tmp_path, "a.csv", 0, 5), actor=SYSTEM,
                              clock=clock, mapping=KCS, bulk_min_rows=0)
    assert present(engine) == SEARCH_INDEXES
    assert report.notes and report.notes[0] == (
        "search indexes an interrupted bulk load had dropped were built again: "
        + ", ".join(SEARCH_INDEXES))
    with sessions() as s:
        assert len(s.scalars(select(DeclarationRow.id)).all()) == 5
