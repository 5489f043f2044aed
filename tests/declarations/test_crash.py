"""`kill -9` half-way through an import, then the same import again: nothing lost, no duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.config import Settings
from smartcustoms.declarations import list_imports
from smartcustoms.declarations.bulk import deferrable_indexes
from smartcustoms.declarations.tables import DeclarationItemRow, DeclarationRow, ImportRunRow
from smartcustoms.identity import SYSTEM

from .conftest import ROOT

TRAIN = ROOT / "data/samples/kcs/df_syn_train_eng.csv"
TRAIN_ROWS = 37_385


def _cli(settings: Settings, *args: str) -> list[str]:
    return [sys.executable, "-m", "smartcustoms.cli.main", "--data-dir", str(settings.data_dir),
            *args]


def _env(settings: Settings) -> dict[str, str]:
    # a bulk load on SQLite: its search indexes are dropped when it is killed
    env = dict(os.environ, SMARTCUSTOMS_IMPORT_CHUNK_SIZE="500",
               SMARTCUSTOMS_IMPORT_COMMIT_ROWS="1000", SMARTCUSTOMS_IMPORT_BULK_ROWS="1000")
    if settings.database_url:
        env["SMARTCUSTOMS_DATABASE_URL"] = settings.database_url
    return env


SEARCH_INDEXES = sorted(str(ix.name) for ix in deferrable_indexes())


def _search_indexes(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as s:
        inspector = inspect(s.connection())
        return sorted(ix["name"] for table in ("declarations", "declaration_items")
                      for ix in inspector.get_indexes(table) if ix["name"] in SEARCH_INDEXES)


def _count(sessions: sessionmaker[Session], table: type) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


@pytest.mark.slow
def test_kill_9_mid_import_then_reimport(settings: Settings, sessions: sessionmaker[Session]
                                         ) -> None:
    proc = subprocess.Popen(_cli(settings, "import", str(TRAIN), "--mapping", "kcs",
                                 "--workers", "1"),
                            env=_env(settings), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if _count(sessions, DeclarationRow) >= 3_000:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the worker process dies with it
    proc.wait(timeout=30)
    committed = _count(sessions, DeclarationRow)
    assert 0 < committed < TRAIN_ROWS
    with sessions() as s:  # read before anyone records it: derived from the dead process
        report = list_imports(s, actor=SYSTEM, limit=5, offset=0).items[0]
    assert (report.status, report.rows_read) == ("interrupted", committed)
    # every committed declaration has its item: chunks are all-or-nothing
    assert _count(sessions, DeclarationItemRow) == committed
    sqlite = settings.database_url is None
    assert _search_indexes(sessions) == ([] if sqlite else SEARCH_INDEXES)

    done = subprocess.run(_cli(settings, "--json", "import", str(TRAIN), "--mapping", "kcs"),
                          env=_env(settings), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _count(sessions, DeclarationRow) == TRAIN_ROWS
    assert _count(sessions, DeclarationItemRow) == TRAIN_ROWS
    with sessions() as s:
        runs = s.scalars(select(ImportRunRow).order_by(ImportRunRow.id)).all()
    # the second import found the first one's process gone and recorded it as interrupted
    assert [r.status for r in runs] == ["interrupted", "completed"]
    assert runs[0].rows_read == committed and "crash or a kill" in (runs[0].error or "")
    assert runs[1].declarations_unchanged == committed
    assert runs[1].declarations_imported == TRAIN_ROWS - committed
    assert runs[1].rows_quarantined == 0
    # ... and built the search indexes the killed bulk load had dropped
    assert _search_indexes(sessions) == SEARCH_INDEXES
    assert any(n.startswith("search indexes an interrupted bulk load") for n in
               runs[1].notes or []) is sqlite
