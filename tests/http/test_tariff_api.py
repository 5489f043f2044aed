"""Tariff over HTTP: suggestions, verification, precedents, model versions, the checks of
submitted declarations and accepted suggestions.

The session's fitted ``tariff_model`` is stored as the active version of each test's
database (no training here); assertions are on structure and on robust facts (the chapter
of a clear description), not on exact probabilities.
"""

from __future__ import annotations

import copy
import types
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text

from smartcustoms import tariff
from smartcustoms.db import session_factory, unit_of_work
from smartcustoms.identity import SYSTEM

URL = "/api/v1/tariff"
CHOCOLATE = "Milk chocolate bar with whole hazelnuts, 100 g"
TYRES = "New pneumatic radial tyres of rubber for passenger motor cars"
SUGGESTION_KEYS = {"hs6", "probability", "national", "path", "matched_terms", "precedents",
                   "signals"}


def store(api: Any, model: Any) -> tariff.ModelVersion:
    with unit_of_work(session_factory(api.engine)) as session:
        return tariff.store_model(session, api.settings, model, precedents_through=0,
                                  administration_precedents=0, evaluation=None, actor=SYSTEM,
                                  now=api.clock())


@pytest.fixture
def model(api: Any, tariff_model: Any) -> tariff.ModelVersion:
    return store(api, tariff_model)


def post(api: Any, path: str, body: Any, user: str = "trader") -> Any:
    return api.client.post(URL + path, json=body, headers=api.auth(user))


def declaration(kit: types.SimpleNamespace, reference: str, *items: tuple[str, str]
                ) -> dict[str, Any]:
    """The valid vector under another reference, its items given (description, code)."""
    data = kit.variant(reference)
    for item, (description, code) in zip(data["items"], items, strict=True):
        item.update(description=description, hs_code=code, hs_edition="HS2022")
    return data


# --- classify -----------------------------------------------------------------------------------
def test_classify_for_a_trader(api: Any, model: tariff.ModelVersion) -> None:
    r = post(api, "/classify", {"description": CHOCOLATE, "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["description"] == CHOCOLATE and len(body["suggestions"]) == 3
    assert all(set(s) >= SUGGESTION_KEYS for s in body["suggestions"])
    top = body["suggestions"][0]
    assert top["hs6"][:4] == "1806"
    assert [p["level"] for p in top["path"]][-3:] == ["chapter", "heading", "subheading"]
    assert "chocolate" in top["matched_terms"]
    probabilities = [s["probability"] for s in body["suggestions"]]
    assert probabilities == sorted(probabilities, reverse=True)

    tyres = post(api, "/classify", {"description": TYRES}).json()["suggestions"]
    assert len(tyres) == 5 and tyres[0]["hs6"][:4] == "4011"  # k defaults to 5


def test_classify_needs_a_token_and_a_valid_body(api: Any, kit: types.SimpleNamespace,
                                                 model: tariff.ModelVersion) -> None:
    kit.assert_problem(api.client.post(URL + "/classify", json={"description": CHOCOLATE}),
                       401, "authentication-failed")
    short = kit.assert_problem(post(api, "/classify", {"description": "x"}), 422,
                               "invalid-input")
    assert short["errors"][0]["field"] == "body.description"
    zero = kit.assert_problem(post(api, "/classify", {"description": CHOCOLATE, "k": 0}),
                              422, "invalid-input")
    assert zero["errors"][0]["field"] == "body.k"
    kit.assert_problem(post(api, "/classify", {"description": CHOCOLATE, "k": 21}), 422,
                       "invalid-input")
    kit.assert_problem(post(api, "/classify", {"description": CHOCOLATE, "extra": 1}), 422,
                       "invalid-input")


def test_without_a_stored_model_it_is_a_409_problem(api: Any,
                                                    kit: types.SimpleNamespace) -> None:
    body = kit.assert_problem(post(api, "/classify", {"description": CHOCOLATE}), 409,
                              "no-tariff-model")
    assert "tariff train" in body["detail"]
    kit.assert_problem(post(api, "/verify", {"description": CHOCOLATE,
                                             "declared_code": "180631"}),
                       409, "no-tariff-model")
    assert api.client.get(URL + "/models", headers=api.auth("analyst")).json() == []


def test_classify_a_batch_keeps_the_ids_in_order(api: Any, kit: types.SimpleNamespace,
                                                 model: tariff.ModelVersion) -> None:
    items = [{"id": "z-9", "description": TYRES}, {"id": "a-1", "description": CHOCOLATE},
             {"id": "m-5", "description": "Lithium-ion battery packs for laptops"}]
    r = post(api, "/classify/batch", {"items": items, "k": 2})
    assert r.status_code == 200, r.text
    answers = r.json()
    assert [a["id"] for a in answers] == ["z-9", "a-1", "m-5"]
    assert all(len(a["suggestions"]) == 2 for a in answers)
    assert [a["suggestions"][0]["hs6"][:4] for a in answers] == ["4011", "1806", "8507"]
    kit.assert_problem(post(api, "/classify/batch", {"items": []}), 422, "invalid-input")
    kit.assert_problem(post(api, "/classify/batch", {"items": [{"id": "", "description":
                                                                CHOCOLATE}]}),
                       422, "invalid-input")


# --- verify -------------------------------------------------------------------------------------
def test_verify_fits_and_misfits(api: Any, kit: types.SimpleNamespace,
                                 model: tariff.ModelVersion) -> None:
    fits = post(api, "/verify", {"description": CHOCOLATE, "declared_code": "1806.31.00"})
    assert fits.status_code == 200, fits.text
    body = fits.json()
    assert body["verdict"] == "fits" and body["declared"] == "180631"
    assert body["better"] == [] and body["rank"] == 1 and body["reason"]

    misfit = post(api, "/verify", {"description": CHOCOLATE, "declared_code": "8703.23"}).json()
    assert misfit["verdict"] == "misfit" and misfit["declared"] == "870323"
    assert misfit["probability"] < 0.05 and misfit["heading_probability"] < 0.05
    assert misfit["better"] and misfit["better"][0]["hs6"][:2] == "18"
    assert all(set(s) >= SUGGESTION_KEYS for s in misfit["better"])

    bad = kit.assert_problem(post(api, "/verify", {"description": CHOCOLATE,
                                                   "declared_code": "abc"}),
                             422, "invalid-input")
    assert bad["errors"][0]["field"] == "declared_code" and bad["errors"][0]["value"] == "abc"


# --- precedents ---------------------------------------------------------------------------------
def test_an_officer_adds_precedents_a_trader_may_not(api: Any, kit: types.SimpleNamespace,
                                                     model: tariff.ModelVersion) -> None:
    body = {"source": "office-rulings", "precedents": [
        {"ref": "R-1", "description": CHOCOLATE, "code": "1806.31.00",
         "decided_on": "2025-03-01"},
        {"ref": "R-2", "description": TYRES, "code": "abc"},
        {"ref": "R-3", "description": TYRES, "code": "401110"}]}
    r = post(api, "/precedents", body, "officer")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["added"] == 2 and report["unchanged"] == 0
    [bad] = report["rejected"]
    assert (bad["at"], bad["field"], bad["value"]) == ("R-2", "code", "abc") and bad["error"]
    again = post(api, "/precedents", body, "officer").json()
    assert (again["added"], again["unchanged"], len(again["rejected"])) == (0, 2, 1)
    assert api.count("tariff_precedents") == 2

    # The loaded model uses the ruling in its next answer.
    [top] = post(api, "/classify", {"description": CHOCOLATE, "k": 1}).json()["suggestions"]
    assert "R-1" in [p["ref"] for p in top["precedents"]]

    kit.assert_problem(post(api, "/precedents", body, "trader"), 403, "permission-denied")
    kit.assert_problem(post(api, "/precedents", {**body, "source": "no spaces"}, "officer"),
                       422, "invalid-input")
    kit.assert_problem(post(api, "/precedents", {"source": "x", "precedents": [
        {"ref": "R-9", "description": "", "code": "180631"}]}, "officer"),
                       422, "invalid-input")
    assert api.count("tariff_precedents") == 2


# --- model versions -----------------------------------------------------------------------------
def test_an_analyst_lists_and_activates_versions(api: Any, kit: types.SimpleNamespace,
                                                 model: tariff.ModelVersion,
                                                 tariff_model: Any) -> None:
    other = copy.copy(tariff_model)
    other.config = replace(tariff_model.config, seed=tariff_model.config.seed + 1)
    candidate = store(api, other)
    r = api.client.get(URL + "/models", headers=api.auth("analyst"))
    assert r.status_code == 200, r.text
    assert [(v["id"], v["status"]) for v in r.json()] == [(candidate.id, "candidate"),
                                                          (model.id, "active")]

    activate = f"{URL}/models/{candidate.id}/activate"
    kit.assert_problem(api.client.post(activate, headers=api.auth("officer")), 403,
                       "permission-denied")
    kit.assert_problem(api.client.post(activate, headers=api.auth("trader")), 403,
                       "permission-denied")
    kit.assert_problem(api.client.post(activate), 401, "authentication-failed")
    r = api.client.post(activate, headers=api.auth("analyst"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active" and r.json()["activated_by"] == "analyst"
    statuses = [v["status"] for v in api.client.get(URL + "/models",
                                                    headers=api.auth("analyst")).json()]
    assert statuses == ["active", "retired"]
    kit.assert_problem(api.client.post(activate, headers=api.auth("analyst")), 409, "conflict")
    kit.assert_problem(api.client.post(f"{URL}/models/999/activate",
                                       headers=api.auth("analyst")), 404, "not-found")
    # The app's loaded classifier follows the activation.
    assert post(api, "/classify", {"description": TYRES, "k": 1}).status_code == 200


# --- declarations -------------------------------------------------------------------------------
def test_a_submitted_declaration_gets_a_check_per_described_item(
        api: Any, kit: types.SimpleNamespace, model: tariff.ModelVersion) -> None:
    data = declaration(kit, "TARIFF-1", ("Wireless routers, Wi-Fi 6, 4 ports", "8517.62"),
                       ("Lithium-ion battery packs for laptops", "850760"))
    created = api.submit(data)
    assert created.status_code == 201, created.text
    decl_id = created.json()["id"]
    url = f"/api/v1/declarations/{decl_id}/tariff-checks"
    r = api.client.get(url, headers=api.auth("officer"))
    assert r.status_code == 200, r.text
    checks = r.json()
    assert [c["item_sequence"] for c in checks] == [1, 2]
    assert [c["declared"] for c in checks] == ["851762", "850760"]
    assert all(c["verdict"] == "fits" and c["better"] == [] for c in checks)
    assert all(c["model_id"] == model.id and 0 <= c["probability"] <= 1 for c in checks)
    assert all(c["checked_at"] == "2026-11-20T09:30:00Z" for c in checks)
    assert api.count("tariff_checks") == 2

    kit.assert_problem(api.client.get(url, headers=api.auth("trader")), 403,
                       "permission-denied")
    # A retried submission is not checked again.
    api.clock.advance(hours=1)
    assert api.submit(data).status_code == 200
    assert [c["checked_at"] for c in api.client.get(url, headers=api.auth("officer")).json()
            ] == ["2026-11-20T09:30:00Z"] * 2


def test_an_item_of_an_older_edition_is_not_checked(api: Any, kit: types.SimpleNamespace,
                                                    model: tariff.ModelVersion) -> None:
    data = declaration(kit, "TARIFF-2", ("Wireless routers, Wi-Fi 6, 4 ports", "8517.62"),
                       ("Lithium-ion battery packs for laptops", "850760"))
    data["items"][1]["hs_edition"] = "HS2017"
    decl_id = api.submit(data).json()["id"]
    checks = api.client.get(f"/api/v1/declarations/{decl_id}/tariff-checks",
                            headers=api.auth("officer")).json()
    assert [c["item_sequence"] for c in checks] == [1]


def test_a_clearly_wrong_code_is_a_misfit(api: Any, kit: types.SimpleNamespace,
                                          model: tariff.ModelVersion) -> None:
    data = declaration(kit, "TARIFF-3", (CHOCOLATE, "8703.23"),
                       ("Lithium-ion battery packs for laptops", "850760"))
    created = api.submit(data)
    assert created.status_code == 201, created.text
    checks = api.client.get(f"/api/v1/declarations/{created.json()['id']}/tariff-checks",
                            headers=api.auth("supervisor")).json()
    chocolate, battery = checks
    assert chocolate["verdict"] == "misfit" and chocolate["declared"] == "870323"
    assert chocolate["better"] and chocolate["better"][0]["hs6"][:2] == "18"
    assert "8703" in chocolate["reason"]
    assert battery["verdict"] == "fits"


def test_without_a_model_a_submission_is_stored_unchecked(
        api: Any, kit: types.SimpleNamespace) -> None:
    created = api.submit(kit.variant("TARIFF-4"))
    assert created.status_code == 201, created.text
    checks = api.client.get(f"/api/v1/declarations/{created.json()['id']}/tariff-checks",
                            headers=api.auth("officer"))
    assert checks.status_code == 200 and checks.json() == []
    assert api.count("declarations") == 1 and api.count("tariff_checks") == 0
def test_the_checks_of_an_unknown_declaration_are_not_found(
        api: Any, kit: types.SimpleNamespace) -> None:
    kit.assert_problem(api.client.get("/api/v1/declarations/nope/tariff-checks",
                                      headers=api.auth("officer")), 404, "not-found")


def test_an_officer_accepts_a_code_for_an_item(api: Any, kit: types.SimpleNamespace,
                                               model: tariff.ModelVersion) -> None:
    decl_id = api.submit(kit.variant("TARIFF-5")).json()["id"]
    url = f"/api/v1/declarations/{decl_id}/items/1/classification"
    r = api.client.post(url, json={"code": "8517.62.00"}, headers=api.auth("officer"))
    assert r.status_code == 201, r.text
    assert r.json() == {"added": 1, "unchanged": 0, "rejected": []}
    with api.engine.connect() as conn:
        [row] = conn.execute(text(
            "SELECT source, ref, code, declaration_id, item_sequence, added_by "
            "FROM tariff_precedents")).all()
        [(officer_id,)] = conn.execute(text(
            "SELECT id FROM users WHERE username = 'officer'")).all()
        actions = [a for (a,) in conn.execute(text("SELECT action FROM audit_log"))]
    assert tuple(row) == ("accepted", f"{decl_id}/1", "85176200", decl_id, 1, officer_id)
    assert "tariff.suggestion.accept" in actions

    # The item's description is now evidence for its code.
    description = kit.vector()["items"][0]["description"]
    [top] = post(api, "/classify", {"description": description, "k": 1}).json()["suggestions"]
    assert f"{decl_id}/1" in [p["ref"] for p in top["precedents"]]

    kit.assert_problem(api.client.post(url, json={"code": "851762"},
                                       headers=api.auth("trader")), 403, "permission-denied")
    kit.assert_problem(api.client.post(f"/api/v1/declarations/{decl_id}/items/9/classification",
                                       json={"code": "851762"}, headers=api.auth("officer")),
                       404, "not-found")
    kit.assert_problem(api.client.post(url, json={"code": "12"}, headers=api.auth("officer")),
                       422, "invalid-input")
    bad = kit.assert_problem(api.client.post(url, json={"code": "abcdef"},
                                             headers=api.auth("officer")),
                             422, "invalid-input")
    assert bad["errors"][0]["field"] == "code"
    assert api.count("tariff_precedents") == 1
def test_accepting_a_code_for_a_too_short_description_is_a_422(
        api: Any, kit: types.SimpleNamespace) -> None:
    data = kit.variant("TARIFF-6")
    data["items"][0]["description"] = "TV"
    decl_id = api.submit(data).json()["id"]
    r = api.client.post(f"/api/v1/declarations/{decl_id}/items/1/classification",
                        json={"code": "852872"}, headers=api.auth("officer"))
    kit.assert_problem(r, 422, "invalid-input")
