"""Property: whatever the cells of a CSV, an import accounts for every row and never crashes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms import declarations as decl
from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, upgrade
from smartcustoms.declarations.tables import DeclarationRow, QuarantineRow
from smartcustoms.identity import SYSTEM

from .conftest import kcs_rows

KCS = decl.shipped_mapping("kcs")
HEADER, BASE = kcs_rows(8)
_tmp = Path(tempfile.mkdtemp(prefix="sc-csv-props-"))
_engine = make_engine(Settings(data_dir=_tmp, environment="test"))
upgrade(_engine)
SESSIONS: sessionmaker[Session] = session_factory(_engine)

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "ZZ", "KR", "8517.62", "ABC",
                     "2021-02-30", "2021-04-01", "1,5", "\u0000", "\ufeff", '"', "\n"]),
)
edits = st.lists(st.tuples(st.integers(0, len(BASE) - 1), st.integers(0, len(HEADER) - 1), cell),
                 max_size=12)


def _count(table: Any) -> int:
    with SESSIONS() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=edits)
def test_every_row_is_imported_or_quarantined(edits: list[tuple[int, int, str]]) -> None:
    rows = [list(r) for r in BASE]
    # a fresh id per example, so earlier examples' declarations do not interfere
    tag = f"P{abs(hash(tuple(edits))) % 10**9:09d}"
    for n, row in enumerate(rows):
        row[0] = f"{tag}{n}"
    for r, c, value in edits:
        rows[r][c] = value
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, *rows])
    path = _tmp / f"{tag}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    before = (_count(DeclarationRow), _count(QuarantineRow))
    try:
        report = decl.import_file(SESSIONS, path, actor=SYSTEM, clock=_now, mapping=KCS,
                                  workers=0)
    except decl_errors() as exc:  # a file-level problem: reported, nothing written
        assert exc.detail
        assert (_count(DeclarationRow), _count(QuarantineRow)) == before
        return
    assert report.rows_read == len(rows) - _blank_rows(rows)
    # Every row is an imported item, a quarantined row, or an item of a declaration that
    # appeared twice in the file with the same content (counted once as unchanged).
    leftover = report.rows_read - report.items_imported - report.rows_quarantined
    assert leftover >= report.declarations_unchanged
    assert (leftover == 0) == (report.declarations_unchanged == 0)
    with SESSIONS() as s:
        page = decl.get_quarantine(s, report.id, actor=SYSTEM, limit=50, offset=0)
    for record in page.items:
        assert record.errors and all(e["field"] and e["message"] for e in record.errors)
    assert _count(DeclarationRow) - before[0] == report.declarations_imported


def _blank_rows(rows: list[list[str]]) -> int:
    # csv.reader skips a line that is wholly empty; a row of one empty cell is such a line
    return sum(1 for r in rows if len(r) == 1 and r[0] == "")


def decl_errors() -> type[Exception]:
    from smartcustoms.errors import SmartCustomsError

    return SmartCustomsError


def _now() -> dt.datetime:
    return dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
