"""Documents service: files kept with their declaration, the cross-check stored and
replaced, and its findings reaching the risk frame and the rules.

Runs on a fresh migrated database (SQLite, and PostgreSQL under ``make test``).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.db import unit_of_work
from smartcustoms.declarations import submit_declaration
from smartcustoms.documents import service as documents
from smartcustoms.documents.generate import GeneratedCase, generate_case
from smartcustoms.errors import InvalidInput, NotFound, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.identity.tables import AuditRow
from smartcustoms.risk.frame import FINDING_COLUMNS, load_frame
from smartcustoms.risk.rule_store import RULE_FIELDS

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
OFFICER = Principal(user_id=None, username="off", role=Role.officer)
ANALYST = Principal(user_id=None, username="ana", role=Role.analyst)


@pytest.fixture(scope="module")
def cases() -> dict[str, GeneratedCase]:
    return {"clean": generate_case(21),
            "changed": generate_case(22, inconsistencies=["total_changed",
                                                          "container_number_typo"])}


def uploads(case: GeneratedCase) -> list[documents.Upload]:
    return [documents.Upload(f"{d.document_type}.pdf", d.pdf, "application/pdf")
            for d in case.documents]


def submit(sessions: sessionmaker[Session], case: GeneratedCase) -> str:
    with unit_of_work(sessions) as session:
        return submit_declaration(session, case.declaration.model_dump(mode="json"),
                                  actor=SYSTEM, now=NOW).declaration.id


def attach(sessions: sessionmaker[Session], declaration_id: str,
           files: list[documents.Upload]) -> documents.DocumentCheck:
    with unit_of_work(sessions) as session:
        return documents.attach_documents(session, declaration_id, files, actor=OFFICER,
                                          now=NOW)


def test_findings_are_stored_and_reach_the_risk_frame(
        sessions: sessionmaker[Session], cases: dict[str, GeneratedCase]) -> None:
    clean = submit(sessions, cases["clean"])
    changed = submit(sessions, cases["changed"])
    without = submit(sessions, generate_case(23))
    assert attach(sessions, clean, uploads(cases["clean"])).counts["high"] == 0
    result = attach(sessions, changed, uploads(cases["changed"]))
    codes = [f.code for f in result.findings]
    assert "invoice-total-mismatch" in codes and "container-mismatch" in codes
    high = result.counts["high"]
    assert high >= 1 and result.counts == documents.severity_counts(result.findings)

    with sessions() as session:
        frame = load_frame(session).unique("declaration_id", keep="first")
        audit = session.execute(select(func.count()).select_from(AuditRow).where(
            AuditRow.action == "documents.attach")).scalar_one()
    per = {r["declaration_id"]: (r["document_high"], r["document_medium"])
           for r in frame.iter_rows(named=True)}
    assert per[clean][0] == 0
    assert per[changed] == (high, result.counts["medium"])
    assert per[without] == (None, None)  # no document checked: unknown, not clean
    assert frame.schema["document_high"] == pl.Int32
    assert {"document_high", "document_medium"} <= set(FINDING_COLUMNS) <= set(RULE_FIELDS)
    assert audit == 2


def test_attaching_more_documents_replaces_the_check(
        sessions: sessionmaker[Session], cases: dict[str, GeneratedCase]) -> None:
    case = cases["changed"]
    declaration_id = submit(sessions, case)
    first = attach(sessions, declaration_id, uploads(case)[:1])
    assert [f.document_type for f in first.files] == ["commercial_invoice"]
    assert "container-mismatch" not in {f.code for f in first.findings}
    second = attach(sessions, declaration_id, uploads(case))
    assert second.added == 2 and len(second.files) == 3
    assert "container-mismatch" in {f.code for f in second.findings}
    with sessions() as session:
        view = documents.declaration_documents(session, declaration_id, actor=OFFICER)
    assert view.findings == second.findings  # one current check, not two
    repeated = attach(sessions, declaration_id, uploads(case))
    assert repeated.added == 0 and repeated.checked_at == second.checked_at


def test_refusals(sessions: sessionmaker[Session], cases: dict[str, GeneratedCase]) -> None:
    declaration_id = submit(sessions, cases["clean"])
    with pytest.raises(PermissionDenied):
        attach_as(sessions, declaration_id, ANALYST)
    with pytest.raises(NotFound):
        attach(sessions, "no-such-declaration", uploads(cases["clean"]))
    with pytest.raises(InvalidInput, match="no file"):
        attach(sessions, declaration_id, [])
    too_many = [documents.Upload(f"{i}.pdf", b"%PDF-" + bytes([i])) for i in range(21)]
    with pytest.raises(InvalidInput, match="at most 20"):
        attach(sessions, declaration_id, too_many)
    with sessions() as session, pytest.raises(NotFound):
        documents.document_content(session, declaration_id, 12345, actor=OFFICER)


def attach_as(sessions: sessionmaker[Session], declaration_id: str,
              actor: Principal) -> None:
    with unit_of_work(sessions) as session:
        documents.attach_documents(session, declaration_id,
                                   [documents.Upload("a.pdf", b"%PDF-1.4")], actor=actor,
                                   now=NOW)
