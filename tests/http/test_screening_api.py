"""Screening over HTTP: search, list versions (upload), the review queue, decisions, and
the screening of submitted declarations (staff only)."""

from __future__ import annotations

import types
from typing import Any

import pytest

from smartcustoms.db import session_factory, unit_of_work
from smartcustoms.identity import SYSTEM
from smartcustoms.screening import service as screening
from smartcustoms.screening.models import Alias, EntryKind, ListEntry, ScreeningList, SourceFile

URL = "/api/v1/screening"
BANK = ListEntry("test-list", "1", EntryKind.entity, "BANCO NACIONAL DE CUBA",
                 aliases=(Alias("BNC"),), programs=("CUBA",))
SDN_CSV = (b'306,"BANCO NACIONAL DE CUBA","-0- ","CUBA","-0- ","-0- ","-0- ","-0- ","-0- ",'
           b'"-0- ","-0- ","a.k.a. \'BNC\'."\r\n'
           b'12606,"QADHAFI, Muammar","individual","LIBYA2","-0- ","-0- ","-0- ","-0- ",'
           b'"-0- ","-0- ","-0- ","DOB 1942."\r\n\x1a')


@pytest.fixture
def listed(api: Any) -> None:
    source = SourceFile("test.csv", "a" * 64, 1, 1)
    with unit_of_work(session_factory(api.engine)) as session:
        screening.store_list(session, ScreeningList("test-list", "Test", "2026-11-01",
                                                    (source,), (BANK,)),
                             origin="test", actor=SYSTEM, now=api.clock())


def test_search_for_a_trader_with_reasons(api: Any, kit: types.SimpleNamespace,
                                          listed: None) -> None:
    r = api.client.post(URL + "/search", headers=api.auth("trader"), json={"parties": [
        {"name": "Banco Nacional de Cuba S.A."}, {"name": "Nordlicht Handel GmbH",
                                                  "country": "DE"}]})
    assert r.status_code == 200, r.text
    bank, clean = r.json()
    assert bank["hits"][0]["entry_id"] == "1" and bank["hits"][0]["score"] >= 0.95
    assert bank["hits"][0]["reasons"][0].startswith("compared")
    assert "sa" in bank["hits"][0]["explanation"]["query"]["legal_forms"]
    assert clean["hits"] == []
    kit.assert_problem(api.client.post(URL + "/search", json={"parties": [{"name": "x"}]}),
                       401, "authentication-failed")
    bad = kit.assert_problem(api.client.post(URL + "/search", headers=api.auth("trader"),
                                             json={"parties": [{"name": ""}]}),
                             422, "invalid-input")
    assert bad["errors"][0]["field"].startswith("body.parties")


def test_without_a_list_search_is_a_conflict(api: Any, kit: types.SimpleNamespace) -> None:
    kit.assert_problem(api.client.post(URL + "/search", headers=api.auth("officer"),
                                       json={"parties": [{"name": "x y"}]}),
                       409, "no-screening-list")


def test_a_supervisor_uploads_a_list_version(api: Any, kit: types.SimpleNamespace) -> None:
    files = [("files", ("sdn.csv", SDN_CSV, "text/csv"))]
    kit.assert_problem(api.client.post(URL + "/lists", headers=api.auth("officer"),
                                       files=files, data={"version": "2026-11-01"}),
                       403, "permission-denied")
    r = api.client.post(URL + "/lists", headers=api.auth("supervisor"), files=files,
                        data={"version": "2026-11-01"})
    assert r.status_code == 201, r.text
    assert r.json()["created"] and r.json()["list"]["entry_count"] == 2
    again = api.client.post(URL + "/lists", headers=api.auth("supervisor"), files=files,
                            data={"version": "2026-11-01"})
    assert again.status_code == 201 and not again.json()["created"]
    versions = api.client.get(URL + "/lists", headers=api.auth("trader")).json()
    assert [(v["source"], v["status"]) for v in versions] == [("us-ofac-sdn", "active")]
    odd = kit.assert_problem(api.client.post(
        URL + "/lists", headers=api.auth("supervisor"),
        files=[("files", ("evil.sh", b"x", "text/plain"))]), 422, "invalid-input")
    assert odd["errors"][0]["field"] == "files"


def test_submissions_are_screened_and_officers_decide(api: Any, kit: types.SimpleNamespace,
                                                      listed: None) -> None:
    data = kit.variant("LRN-SCREEN")
    data["parties"][3]["name"] = "Banco Nacional de Cuba"
    r = api.submit(data)
    assert r.status_code == 201, r.text
    declaration_id = r.json()["id"]
    kit.assert_problem(api.client.get(f"/api/v1/declarations/{declaration_id}/screening",
                                      headers=api.auth("trader")), 403, "permission-denied")
    screened = api.client.get(f"/api/v1/declarations/{declaration_id}/screening",
                              headers=api.auth("officer")).json()
    assert screened["parties_screened"] == 4
    assert [(h["party_role"], h["entry_id"], h["status"]) for h in screened["hits"]] == [
        ("seller", "1", "open")]
    queue = api.client.get(URL + "/hits", headers=api.auth("officer")).json()
    assert [h["id"] for h in queue] == [screened["hits"][0]["id"]]
    hit_id = queue[0]["id"]
    kit.assert_problem(api.client.post(f"{URL}/hits/{hit_id}/decision",
                                       headers=api.auth("officer"),
                                       json={"decision": "maybe", "note": "hmm, unsure"}),
                       422, "invalid-input")
    decided = api.client.post(f"{URL}/hits/{hit_id}/decision", headers=api.auth("officer"),
                              json={"decision": "false_positive",
                                    "note": "another bank of the same name"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "cleared"
    assert api.client.get(URL + "/hits", headers=api.auth("officer")).json() == []
    kit.assert_problem(api.client.post(f"{URL}/hits/99999/decision",
                                       headers=api.auth("officer"),
                                       json={"decision": "true_match", "note": "same one"}),
                       404, "not-found")
