"""File imports: good rows in, bad rows quarantined with reasons, idempotent, on both backends."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms import declarations as decl
from smartcustoms.declarations.tables import DeclarationItemRow, DeclarationRow, QuarantineRow
from smartcustoms.errors import InvalidInput, MappingInvalid
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.identity.audit import verify

from .conftest import kcs_rows, write_csv

KCS = decl.resolve_mapping("kcs")


def counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as s:
        return (s.scalar(select(func.count()).select_from(DeclarationRow)) or 0,
                s.scalar(select(func.count()).select_from(DeclarationItemRow)) or 0,
                s.scalar(select(func.count()).select_from(QuarantineRow)) or 0)


def mixed_file(tmp_path: Path) -> Path:
    header, rows = kcs_rows(30)
    col = {name: i for i, name in enumerate(header)}
    rows[3][col["HS6 Code"]] = "ABC123"
    rows[7][col["Net Mass"]] = "-5"
    rows[11][col["Country of Origin"]] = "XX"
    rows[11][col["Date"]] = "2021-13-01"
    rows[15][col["Item Price"]] = "12,5"
    return write_csv(tmp_path / "mixed.csv", header, rows)


@pytest.mark.parametrize("workers", [0, 1])
def test_good_rows_import_bad_rows_quarantine_with_reasons(
    sessions: sessionmaker[Session], tmp_path: Path, clock: Any, workers: int
) -> None:
    report = decl.import_file(sessions, mixed_file(tmp_path), actor=SYSTEM, clock=clock,
                              mapping=KCS, chunk_size=7, workers=workers)
    assert (report.rows_read, report.declarations_imported, report.rows_quarantined) == (30, 26, 4)
    assert report.status == "completed"
    assert counts(sessions) == (26, 26, 4)
    with sessions() as s:
        page = decl.get_quarantine(s, report.id, actor=SYSTEM, limit=10, offset=0)
    by_line = {q.line: q.errors for q in page.items}
    assert sorted(by_line) == [5, 9, 13, 17]  # file lines (the header is line 1)
    hs_error = by_line[5][0]
    assert hs_error["column"] == "HS6 Code" and hs_error["value"] == "ABC123"
    assert hs_error["field"] == "items[0].hs_code" and hs_error["line"] == 5
    assert by_line[9][0]["column"] == "Net Mass" and by_line[9][0]["value"] == "-5"
    fields_13 = {e["field"]: e["value"] for e in by_line[13]}
    assert fields_13 == {"declaration_date": "2021-13-01", "items[0].origin_country": "XX"}
    assert by_line[17][0]["value"] == "12,5"
    record = json.loads(page.items[0].record)
    assert record[0]["HS6 Code"] == "ABC123" and record[0]["_line"] == 5


def test_reimport_changes_nothing(sessions: sessionmaker[Session], tmp_path: Path,
                                  clock: Any) -> None:
    path = mixed_file(tmp_path)
    decl.import_file(sessions, path, actor=SYSTEM, clock=clock, mapping=KCS, workers=0)
    before = counts(sessions)
    again = decl.import_file(sessions, path, actor=SYSTEM, clock=clock, mapping=KCS, workers=0)
    assert counts(sessions) == before
    assert (again.declarations_imported, again.declarations_unchanged) == (0, 26)
    with sessions() as s:
        assert verify(s).ok


def test_same_reference_with_other_content_is_quarantined_not_overwritten(
    sessions: sessionmaker[Session], tmp_path: Path, clock: Any
) -> None:
    header, rows = kcs_rows(5)
    decl.import_file(sessions, write_csv(tmp_path / "a.csv", header, rows), actor=SYSTEM,
                     clock=clock, mapping=KCS, workers=0)
    rows[2][header.index("Item Price")] = "1.00"
    report = decl.import_file(sessions, write_csv(tmp_path / "b.csv", header, rows),
                              actor=SYSTEM, clock=clock, mapping=KCS, workers=0)
    assert (report.declarations_unchanged, report.rows_quarantined) == (4, 1)
    with sessions() as s:
        q = decl.get_quarantine(s, report.id, actor=SYSTEM, limit=5, offset=0).items[0]
        stored = s.scalars(select(DeclarationItemRow.price_amount)
                           .where(DeclarationItemRow.declaration_seq.in_(
                               select(DeclarationRow.seq).where(
                                   DeclarationRow.reference == rows[2][0])))).one()
    assert "different content" in q.errors[0]["message"]
    assert str(stored) != "1.00"  # the first version stays


def test_multi_item_declarations_and_header_consistency(
    sessions: sessionmaker[Session], tmp_path: Path, clock: Any
) -> None:
    header, rows = kcs_rows(4)
    key = header.index("Declaration ID")
    rows[1][key] = rows[0][key]  # two items of one declaration …
    rows[1][header.index("Importer ID")] = rows[0][header.index("Importer ID")]
    rows[1][header.index("Declarant ID")] = rows[0][header.index("Declarant ID")]
    for name in ("Date", "Office ID", "Process Type", "Import Type", "Import Use",
                 "Payment Type", "Mode of Transport", "Seller ID", "Courier ID",
                 "Country of Departure", "Country of Origin Indicator"):
        rows[1][header.index(name)] = rows[0][header.index(name)]
    rows[3][key] = rows[2][key]  # … and two that disagree on a header column
    rows[3][header.index("Office ID")] = "99"
    report = decl.import_file(sessions, write_csv(tmp_path / "m.csv", header, rows),
                              actor=SYSTEM, clock=clock, mapping=KCS, workers=0)
    assert (report.declarations_imported, report.items_imported) == (1, 2)
    with sessions() as s:
        q = decl.get_quarantine(s, report.id, actor=SYSTEM, limit=5, offset=0).items[0]
    assert q.line == 4
    assert any(e["field"] == "Office ID" and e["value"] == "99" for e in q.errors)


def test_json_and_json_lines(sessions: sessionmaker[Session], tmp_path: Path, clock: Any,
                             vector: dict[str, Any]) -> None:
    bad = dict(vector, reference="LRN-BAD", office="")
    other = dict(vector, reference="LRN-2")
    (tmp_path / "a.json").write_text(json.dumps([vector, bad, other]))
    report = decl.import_file(sessions, tmp_path / "a.json", actor=SYSTEM, clock=clock,
                              workers=0)
    assert (report.declarations_imported, report.rows_quarantined) == (2, 1)
    lines = "\n".join([json.dumps(vector), "{not json", json.dumps(other)])
    (tmp_path / "b.jsonl").write_text(lines)
    report = decl.import_file(sessions, tmp_path / "b.jsonl", actor=SYSTEM, clock=clock,
                              workers=0)
    assert (report.declarations_unchanged, report.rows_quarantined) == (2, 1)
    with sessions() as s:
        page = decl.get_quarantine(s, report.id, actor=SYSTEM, limit=5, offset=0)
    assert page.items[0].line == 2 and page.items[0].errors[0]["field"] == "(record)"


def test_csv_problems_that_stop_an_import(sessions: sessionmaker[Session], tmp_path: Path,
                                          clock: Any) -> None:
    header, rows = kcs_rows(3)
    renamed = ["HS Code" if h == "HS6 Code" else h for h in header]
    with pytest.raises(MappingInvalid, match="'HS6 Code'"):
        decl.import_file(sessions, write_csv(tmp_path / "r.csv", renamed, rows), actor=SYSTEM,
                         clock=clock, mapping=KCS, workers=0)
    with pytest.raises(InvalidInput, match="needs a column-mapping"):
        decl.import_file(sessions, tmp_path / "r.csv", actor=SYSTEM, clock=clock, workers=0)
    (tmp_path / "latin1.csv").write_bytes(",".join(header).encode() + b"\n\xff\xfe,1\n")
    with pytest.raises(InvalidInput, match="not utf-8-sig text"):
        decl.import_file(sessions, tmp_path / "latin1.csv", actor=SYSTEM, clock=clock,
                         mapping=KCS, workers=0)
    with sessions() as s:  # the failed run is recorded with its reason
        runs = decl.list_imports(s, actor=SYSTEM, limit=5, offset=0).items
    assert runs[0].status == "failed" and "utf-8-sig" in (runs[0].error or "")


def test_ragged_rows_are_quarantined(sessions: sessionmaker[Session], tmp_path: Path,
                                     clock: Any) -> None:
    header, rows = kcs_rows(3)
    rows[1] = rows[1][:10]
    report = decl.import_file(sessions, write_csv(tmp_path / "g.csv", header, rows),
                              actor=SYSTEM, clock=clock, mapping=KCS, workers=0)
    assert (report.declarations_imported, report.rows_quarantined) == (2, 1)


def test_only_import_roles_may_import(sessions: sessionmaker[Session], tmp_path: Path,
                                      clock: Any) -> None:
    officer = Principal(user_id=None, username="o", role=Role.officer)
    with pytest.raises(Exception, match="lacks the permission 'imports:run'"):
        decl.import_file(sessions, mixed_file(tmp_path), actor=officer, clock=clock,
                         mapping=KCS, workers=0)


def test_items_are_stored_under_their_own_declaration(
    sessions: sessionmaker[Session], tmp_path: Path, clock: Any
) -> None:
    """Items are keyed by the declaration's storage ``seq``, assigned by the database:
    on a fresh import, a re-import with conflicts and new rows, every item row carries
    what its own declaration's document declares."""
    header, rows = kcs_rows(40)
    decl.import_file(sessions, write_csv(tmp_path / "a.csv", header, rows[:25]),
                     actor=SYSTEM, clock=clock, mapping=KCS, chunk_size=6, workers=0)
    col = {name: i for i, name in enumerate(header)}
    rows[4][col["Net Mass"]] = "999.0"  # stored before with other content: a conflict
    report = decl.import_file(sessions, write_csv(tmp_path / "b.csv", header, rows),
                              actor=SYSTEM, clock=clock, mapping=KCS, chunk_size=6, workers=0)
    assert (report.declarations_imported, report.rows_quarantined) == (15, 1)
    with sessions() as s:
        pairs = s.execute(select(DeclarationRow.document, DeclarationItemRow.hs_code,
                                 DeclarationItemRow.net_mass_kg)
                          .join(DeclarationItemRow,
                                DeclarationItemRow.declaration_seq == DeclarationRow.seq)
                          ).all()
    assert len(pairs) == 40
    for document, hs_code, net_mass in pairs:
        item = json.loads(document)["items"][0]
        declared = item.get("net_mass_kg")
        assert (item["hs_code"], None if declared is None else Decimal(declared)) == (
            hs_code, net_mass)


def test_both_validation_paths_keep_file_order(
    sessions: sessionmaker[Session], tmp_path: Path, clock: Any
) -> None:
    """A row the column-wise path leaves to the exact one (".5" is valid, but not in the
    canonical form it accepts) comes before a later row with the same declaration id and
    other content: the first stays, the later one is the conflict, as in file order."""
    header, rows = kcs_rows(12)
    col = {name: i for i, name in enumerate(header)}
    rows[2][col["Net Mass"]] = ".5"
    rows[8] = list(rows[2])
    rows[8][col["Net Mass"]] = "7.0"
    report = decl.import_file(sessions, write_csv(tmp_path / "order.csv", header, rows),
                              actor=SYSTEM, clock=clock, mapping=KCS, workers=0)
    assert (report.declarations_imported, report.rows_quarantined) == (11, 1)
    with sessions() as s:
        quarantined = decl.get_quarantine(s, report.id, actor=SYSTEM, limit=5, offset=0)
        kept = s.scalars(select(DeclarationItemRow.net_mass_kg).join(
            DeclarationRow, DeclarationRow.seq == DeclarationItemRow.declaration_seq).where(
            DeclarationRow.reference == rows[2][0])).one()
    assert [q.line for q in quarantined.items] == [10]  # file line of rows[8]
    assert kept == Decimal("0.5")


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_an_unreadable_line_stops_the_import_with_its_reason_whoever_reads(
    sessions: sessionmaker[Session], tmp_path: Path, clock: Any, workers: int
) -> None:
    """With workers, a separate process reads and validates: its error still reaches the
    caller as the same clear error, the chunks before it stay, the run is marked failed."""
    header, rows = kcs_rows(400)  # more than the reader decodes at once
    path = write_csv(tmp_path / "broken.csv", header, rows)
    path.write_bytes(path.read_bytes() + b"G9,2021-06-01,\xff\xfe\n")
    with pytest.raises(InvalidInput, match="not utf-8-sig text"):
        decl.import_file(sessions, path, actor=SYSTEM, clock=clock, mapping=KCS,
                         chunk_size=7, commit_rows=14, workers=workers)
    with sessions() as s:
        run = decl.list_imports(s, actor=SYSTEM, limit=1, offset=0).items[0]
    assert run.status == "failed" and "utf-8-sig" in (run.error or "")
    assert counts(sessions)[0] == run.declarations_imported >= 14
