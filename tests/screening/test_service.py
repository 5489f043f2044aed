"""Screening service: list versions in the database, screening declarations on
submission, officers' decisions that clear a pair until either side changes, and the
findings reaching the risk frame.

Runs on a fresh migrated database (SQLite, and PostgreSQL under ``-m postgres``) with
small hand-made lists, so that each test says exactly what is listed.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.db import unit_of_work
from smartcustoms.declarations import submit_declaration
from smartcustoms.errors import InvalidInput, NotFound, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.identity.tables import AuditRow
from smartcustoms.risk.frame import load_frame
from smartcustoms.screening import service as screening
from smartcustoms.screening.models import (
    Address,
    Alias,
    Country,
    CountryRole,
    EntryKind,
    ListEntry,
    ScreeningList,
    SourceFile,
)
from smartcustoms.screening.tables import ScreeningEntryRow, ScreeningHitRow

ROOT = Path(__file__).resolve().parents[2]
VECTOR = json.loads((ROOT / "tests" / "vectors" / "declaration_full.json").read_text())
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
OFFICER = Principal(user_id=None, username="off", role=Role.officer)
SUPERVISOR = Principal(user_id=None, username="sup", role=Role.supervisor)
TRADER = Principal(user_id=None, username="tra", role=Role.trader, company_id="DE9876543210987")

BANK = ListEntry("test-list", "1", EntryKind.entity, "BANCO NACIONAL DE CUBA",
                 aliases=(Alias("BNC"),), programs=("CUBA",),
                 countries=(Country("CU", "Cuba", CountryRole.address),),
                 addresses=(Address(city="Havana", country="CU", country_name="Cuba"),))
SHIPPING = ListEntry("test-list", "2", EntryKind.entity, "ISLAMIC REPUBLIC OF IRAN SHIPPING "
                     "LINES", aliases=(Alias("IRISL"),), programs=("IRAN",))
PERSON = ListEntry("test-list", "3", EntryKind.individual, "QADHAFI, Muammar",
                   programs=("LIBYA2",))


def a_list(*entries: ListEntry, version: str = "2026-11-01", tag: str = "a") -> ScreeningList:
    source = SourceFile(f"test-{tag}.csv", (tag * 64)[:64], 1, len(entries))
    return ScreeningList("test-list", "Test list", version, (source,), entries)


def load(sessions: sessionmaker[Session], listed: ScreeningList) -> screening.LoadReport:
    with unit_of_work(sessions) as session:
        return screening.store_list(session, listed, origin="test", actor=SUPERVISOR, now=NOW)


def submit(sessions: sessionmaker[Session], reference: str, seller: str,
           **changes: Any) -> str:
    data = copy.deepcopy(VECTOR)
    data["reference"] = reference
    data["parties"][3] = {"role": "seller", "name": seller, **changes}
    with unit_of_work(sessions) as session:
        return submit_declaration(session, data, actor=SYSTEM, now=NOW).declaration.id


def screen(sessions: sessionmaker[Session], screeners: screening.Screeners, declaration_id: str
           ) -> screening.DeclarationScreening:
    with unit_of_work(sessions) as session:
        return screening.screen_declaration(screeners, session, declaration_id, now=NOW)


# --- lists ---------------------------------------------------------------------------------
def test_a_list_is_stored_once_and_a_new_version_retires_the_old(
        sessions: sessionmaker[Session]) -> None:
    first = load(sessions, a_list(BANK, SHIPPING))
    again = load(sessions, a_list(BANK, SHIPPING))
    assert first.created and not again.created and again.list.id == first.list.id
    assert first.changed_entries == 2
    second = load(sessions, a_list(
        ListEntry("test-list", "1", EntryKind.entity, BANK.name,
                  aliases=(Alias("BNC"), Alias("BANCUBA")), programs=BANK.programs,
                  countries=BANK.countries, addresses=BANK.addresses),
        SHIPPING, PERSON, version="2026-11-15", tag="b"))
    assert second.created and second.changed_entries == 2  # the bank changed, one new
    with unit_of_work(sessions) as session:
        versions = {v.id: v.status for v in screening.list_versions(session)}
        entries = session.execute(select(func.count()).select_from(ScreeningEntryRow)
                                  ).scalar_one()
        actions = session.execute(select(AuditRow.action)).scalars().all()
    assert versions == {first.list.id: "retired", second.list.id: "active"}
    assert entries == 5
    assert actions.count("screening.list.load") == 2


def test_only_a_supervisor_loads_lists(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session, pytest.raises(PermissionDenied):
        screening.store_list(session, a_list(BANK), origin="x", actor=OFFICER, now=NOW)


def test_the_shipped_snapshot_is_loaded_on_a_fresh_database_only(
        sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        report = screening.ensure_default_list(session, now=NOW)
        assert report is not None and report.list.source == "us-ofac-sdn"
        assert report.list.entry_count == 14_965
        assert screening.ensure_default_list(session, now=NOW) is None


def test_without_a_list_screening_says_so(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(screening.NoScreeningList):
        screening.search(screening.Screeners(), session, [screening.PartyIn(name="x")],
                         actor=OFFICER)


# --- search --------------------------------------------------------------------------------
def test_search_explains_its_hits_and_respects_permissions(
        sessions: sessionmaker[Session]) -> None:
    load(sessions, a_list(BANK, SHIPPING, PERSON))
    screeners = screening.Screeners()
    with sessions() as session:
        results = screening.search(screeners, session, [
            screening.PartyIn(name="Banco Nacional de Cuba S.A.", country="CU"),
            screening.PartyIn(name="IRISL"),
            screening.PartyIn(name="Nordlicht Handel GmbH")], actor=TRADER)
        with pytest.raises(InvalidInput):
            screening.search(screeners, session, [screening.PartyIn(name="x")],
                             actor=TRADER, threshold=1.5)
    bank, alias, clean = results
    assert [h.entry_id for h in bank.hits] == ["1"]
    assert bank.hits[0].score >= 0.95 and bank.hits[0].matched_as == "primary name"
    assert any("country" in line for line in bank.hits[0].reasons)
    assert [h.entry_id for h in alias.hits] == ["2"] and alias.hits[0].matched_as == "aka"
    assert clean.hits == []


# --- declarations ------------------------------------------------------------------------------
def test_named_parties_are_screened_and_a_false_positive_clears_the_pair(
        sessions: sessionmaker[Session]) -> None:
    load(sessions, a_list(BANK, SHIPPING))
    screeners = screening.Screeners()
    first = submit(sessions, "LRN-A", "Banco Nacional de Cuba")
    second = submit(sessions, "LRN-B", "BANCO NACIONAL DE CUBA S.A.")
    result = screen(sessions, screeners, first)
    screen(sessions, screeners, second)
    assert result.parties_screened == 4  # declarant, importer, exporter, seller
    assert [(h.party_role, h.entry_id, h.status) for h in result.hits] == [
        ("seller", "1", "open")]
    with unit_of_work(sessions) as session, pytest.raises(PermissionDenied):
        screening.decide(session, result.hits[0].id, screening.DecisionIn(
            decision="false_positive", note="n/a"), actor=TRADER, now=NOW)
    with unit_of_work(sessions) as session:
        queue = screening.open_hits(session, actor=OFFICER)
        decided = screening.decide(session, result.hits[0].id, screening.DecisionIn(
            decision="false_positive", note="another bank: registry number differs"),
            actor=OFFICER, now=NOW)
    assert len(queue) == 2
    assert decided.status == "cleared" and decided.decision["decided_by"] == "off"
    with unit_of_work(sessions) as session:
        # The same party (legal form aside) on the other declaration is cleared too.
        assert [h.status for h in screening.declaration_screening(session, second).hits] == [
            "cleared"]
        assert screening.open_hits(session, actor=OFFICER) == []
    # Screening again keeps the decision ...
    assert [h.status for h in screen(sessions, screeners, first).hits] == ["cleared"]
    # ... but a party with another country is another party: it alerts again.
    third = submit(sessions, "LRN-C", "Banco Nacional de Cuba",
                   address={"city": "Havana", "country": "CU"})
    assert [h.status for h in screen(sessions, screeners, third).hits] == ["open"]


def test_a_changed_list_entry_alerts_again(sessions: sessionmaker[Session]) -> None:
    load(sessions, a_list(BANK))
    screeners = screening.Screeners()
    declaration = submit(sessions, "LRN-A", "Banco Nacional de Cuba")
    hit = screen(sessions, screeners, declaration).hits[0]
    with unit_of_work(sessions) as session:
        screening.decide(session, hit.id, screening.DecisionIn(
            decision="false_positive", note="different bank"), actor=OFFICER, now=NOW)
    changed = ListEntry("test-list", "1", EntryKind.entity, BANK.name,
                        aliases=(Alias("BNC"), Alias("BANCO CENTRAL")), programs=BANK.programs)
    load(sessions, a_list(changed, version="2026-11-20", tag="c"))
    assert [h.status for h in screen(sessions, screeners, declaration).hits] == ["open"]


def test_a_true_match_reaches_the_risk_frame(sessions: sessionmaker[Session]) -> None:
    load(sessions, a_list(SHIPPING))
    screeners = screening.Screeners()
    listed = submit(sessions, "LRN-A", "Islamic Republic of Iran Shipping Lines")
    clean = submit(sessions, "LRN-B", "Hanse Maschinenbau GmbH")
    unscreened = submit(sessions, "LRN-C", "Islamic Republic of Iran Shipping Lines")
    hit = screen(sessions, screeners, listed).hits[0]
    screen(sessions, screeners, clean)
    with unit_of_work(sessions) as session:
        screening.decide(session, hit.id, screening.DecisionIn(
            decision="true_match", note="same IMO numbers"), actor=OFFICER, now=NOW)
        frame = load_frame(session)
    per = {r["declaration_id"]: (r["screening_score"], r["screening_hits"])
           for r in frame.unique("declaration_id").iter_rows(named=True)}
    assert per[listed] == (pytest.approx(hit.score), 1)
    assert per[clean] == (0.0, 0)
    assert per[unscreened] == (None, None)
    assert frame.schema["screening_hits"] == pl.Int32


def test_rescreening_records_unnamed_declarations_once(sessions: sessionmaker[Session]
                                                       ) -> None:
    load(sessions, a_list(BANK))
    screeners = screening.Screeners()
    named = submit(sessions, "LRN-A", "Banco Nacional de Cuba")
    data = copy.deepcopy(VECTOR)
    data["reference"] = "LRN-UNNAMED"
    data["parties"] = [{"role": p["role"], "identifier": p["identifier"]}
                       for p in data["parties"] if p.get("identifier")]
    with unit_of_work(sessions) as session:
        submit_declaration(session, data, actor=SYSTEM, now=NOW)
        counts = screening.rescreen(screeners, session, now=NOW, only_unscreened=True)
        again = screening.rescreen(screeners, session, now=NOW, only_unscreened=True)
        everything = screening.rescreen(screeners, session, now=NOW)
        stored = session.execute(select(func.count()).select_from(ScreeningHitRow)
                                 ).scalar_one()
    assert counts == {"declarations": 2, "with_named_parties": 1, "hits": 1}
    assert again == {"declarations": 0, "with_named_parties": 0, "hits": 0}
    assert everything == {"declarations": 1, "with_named_parties": 1, "hits": 1}
    assert stored == 1
    assert named


def test_unknown_declarations_and_hits_are_not_found(sessions: sessionmaker[Session]) -> None:
    load(sessions, a_list(BANK))
    with unit_of_work(sessions) as session:
        with pytest.raises(NotFound):
            screening.screen_declaration(screening.Screeners(), session, "nope", now=NOW)
        with pytest.raises(NotFound):
            screening.decide(session, 999, screening.DecisionIn(
                decision="true_match", note="whatever"), actor=OFFICER, now=NOW)
