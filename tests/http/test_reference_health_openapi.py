"""HS look-ups, the health probe and the OpenAPI document."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.routing import APIRoute

from smartcustoms import __version__

HS = "/api/v1/reference/hs"


# --- HS reference ----------------------------------------------------------------------------

def test_hs_code_with_its_path(api: Any) -> None:
    r = api.client.get(f"{HS}/851762", headers=api.auth("trader"))
    assert r.status_code == 200
    body = r.json()
    assert (body["code"], body["level"], body["parent"], body["section"]) == (
        "851762", "subheading", "8517", "XVI")
    assert body["description"].startswith("Communication apparatus (excluding telephone sets")
    assert [(p["code"], p["level"], p["parent"]) for p in body["path"]] == [
        ("XVI", "section", None),
        ("85", "chapter", "XVI"),
        ("8517", "heading", "85"),
        ("851762", "subheading", "8517"),
    ]
    assert body["path"][-1] == {k: v for k, v in body.items() if k != "path"}
    # Dots are allowed, as on declarations.
    assert api.client.get(f"{HS}/8517.62", headers=api.auth("trader")).json() == body


@pytest.mark.parametrize("code", ["999998", "85x7", "12345"])
def test_unknown_hs_code_is_404(api: Any, kit: SimpleNamespace, code: str) -> None:
    body = kit.assert_problem(api.client.get(f"{HS}/{code}", headers=api.auth("officer")),
                              404, "not-found")
    assert body["detail"] == f"HS 2022 has no code {code}"


def test_hs_search_by_prefix(api: Any) -> None:
    r = api.client.get(HS, params={"prefix": "8517", "limit": 4}, headers=api.auth("trader"))
    assert r.status_code == 200
    assert [e["code"] for e in r.json()] == ["8517", "851711", "851713", "851714"]
    sub = api.client.get(HS, params={"prefix": "85.17", "level": "subheading", "limit": 200},
                         headers=api.auth("trader")).json()
    assert {e["level"] for e in sub} == {"subheading"}
    assert all(e["code"].startswith("8517") for e in sub)
    assert "851762" in [e["code"] for e in sub]


def test_hs_search_by_a_prefix_of_any_length(api: Any) -> None:
    # '851' is a prefix of headings 8510 … 8519: not a code itself, but a fine prefix.
    r = api.client.get(HS, params={"prefix": "851", "level": "heading", "limit": 50},
                       headers=api.auth("trader"))
    assert r.status_code == 200, r.text
    assert [e["code"] for e in r.json()] == [f"851{d}" for d in range(10)]


def test_hs_search_by_keywords(api: Any) -> None:
    r = api.client.get(HS, params={"q": "smartphones"}, headers=api.auth("trader"))
    codes = [e["code"] for e in r.json()]
    assert codes[0] == "851713"
    assert "8517" in codes
    both = api.client.get(HS, params={"q": "wireless", "prefix": "8517"},
                          headers=api.auth("trader")).json()
    assert both and all(e["code"].startswith("8517") for e in both)
    assert all("wireless" in e["description"].lower() for e in both)
    assert api.client.get(HS, params={"q": "zzzqqq"}, headers=api.auth("trader")).json() == []


@pytest.mark.parametrize(("params", "field"), [
    ({}, "q"),
    ({"prefix": "85a"}, "prefix"),
    ({"prefix": "8517620"}, "prefix"),
    ({"q": "x", "level": "section"}, "query.level"),
    ({"q": "x", "limit": 0}, "query.limit"),
])
def test_hs_search_rejects_bad_queries(
    api: Any, kit: SimpleNamespace, params: dict[str, Any], field: str,
) -> None:
    r = api.client.get(HS, params=params, headers=api.auth("trader"))
    body = kit.assert_problem(r, 422, "invalid-input")
    assert body["errors"][0]["field"] == field


def test_hs_needs_a_login(api: Any, kit: SimpleNamespace) -> None:
    kit.assert_problem(api.client.get(f"{HS}/851762"), 401, "authentication-failed")
    kit.assert_problem(api.client.get(HS, params={"q": "tea"}), 401, "authentication-failed")


# --- health ----------------------------------------------------------------------------------

def test_health(api: Any) -> None:
    r = api.client.get("/api/v1/health")  # no login: a load balancer asks
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": api.engine.dialect.name,
                        "version": __version__}


# --- OpenAPI ---------------------------------------------------------------------------------

def test_openapi_lists_every_route_with_its_problems(api: Any, kit: SimpleNamespace) -> None:
    doc = api.client.get("/openapi.json").json()
    routes = [r for r in api.client.app.routes
              if isinstance(r, APIRoute) and r.include_in_schema]
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    expected = {
        ("/api/v1/health", "GET"), ("/api/v1/auth/token", "POST"),
        ("/api/v1/auth/logout", "POST"), ("/api/v1/auth/me", "GET"),
        ("/api/v1/users", "GET"), ("/api/v1/users", "POST"),
        ("/api/v1/declarations", "POST"), ("/api/v1/declarations", "GET"),
        ("/api/v1/declarations/{declaration_id}", "GET"),
        ("/api/v1/imports", "POST"), ("/api/v1/imports", "GET"),
        ("/api/v1/imports/{run_id}", "GET"), ("/api/v1/imports/{run_id}/quarantine", "GET"),
        ("/api/v1/reference/hs", "GET"), ("/api/v1/reference/hs/{code}", "GET"),
        ("/api/v1/declarations/{declaration_id}/risk", "GET"),
        ("/api/v1/declarations/{declaration_id}/inspection", "PUT"),
        ("/api/v1/risk/queue", "GET"), ("/api/v1/risk/feedback", "GET"),
        ("/api/v1/risk/models", "GET"), ("/api/v1/risk/models/{model_id}", "GET"),
        ("/api/v1/risk/models/{model_id}/promote", "POST"),
        ("/api/v1/risk/rules", "GET"), ("/api/v1/risk/rules", "POST"),
        ("/api/v1/risk/rules/test", "POST"), ("/api/v1/risk/lists/{name}", "PUT"),
        ("/api/v1/risk/lane-settings", "GET"), ("/api/v1/risk/lane-settings", "PUT"),
        ("/api/v1/risk/lane-settings/history", "GET"),
        ("/api/v1/risk/lane-settings/{version}/activate", "POST"),
        ("/api/v1/tariff/classify", "POST"), ("/api/v1/tariff/classify/batch", "POST"),
        ("/api/v1/tariff/verify", "POST"), ("/api/v1/tariff/precedents", "POST"),
        ("/api/v1/tariff/models", "GET"), ("/api/v1/tariff/models/{model_id}/activate", "POST"),
        ("/api/v1/declarations/{declaration_id}/tariff-checks", "GET"),
        ("/api/v1/declarations/{declaration_id}/items/{item_sequence}/classification", "POST"),
        ("/api/v1/screening/search", "POST"), ("/api/v1/screening/lists", "GET"),
        ("/api/v1/screening/lists", "POST"), ("/api/v1/screening/hits", "GET"),
        ("/api/v1/screening/hits/{hit_id}/decision", "POST"),
        ("/api/v1/declarations/{declaration_id}/screening", "GET"),
        ("/api/v1/valuation/bands", "POST"), ("/api/v1/valuation/bands", "GET"),
        ("/api/v1/valuation/bands/{hs6}", "GET"),
        ("/api/v1/declarations/{declaration_id}/valuation", "GET"),
        ("/api/v1/documents/read", "POST"), ("/api/v1/documents/check", "POST"),
        ("/api/v1/declarations/{declaration_id}/documents", "POST"),
        ("/api/v1/declarations/{declaration_id}/documents", "GET"),
        ("/api/v1/declarations/{declaration_id}/documents/check", "POST"),
        ("/api/v1/declarations/{declaration_id}/documents/{file_id}", "GET"),
        ("/api/v1/declarations/{declaration_id}/documents/{file_id}/content", "GET"),
        ("/api/v1/declarations/{declaration_id}/documents/{file_id}/pages/{page}.png", "GET"),
        ("/api/v1/origin/issuers", "GET"), ("/api/v1/origin/issuers", "POST"),
        ("/api/v1/origin/issuers/{issuer_id}/rotate", "POST"),
        ("/api/v1/origin/issuers/{issuer_id}/revoke", "POST"),
        ("/api/v1/origin/certificates", "POST"), ("/api/v1/origin/certificates", "GET"),
        ("/api/v1/origin/certificates/{number}", "GET"),
        ("/api/v1/origin/certificates/signed", "POST"),
        ("/api/v1/origin/certificates/{number}/amend", "POST"),
        ("/api/v1/origin/certificates/{number}/revoke", "POST"),
        ("/api/v1/origin/certificates/{number}/utilise", "POST"),
        ("/api/v1/origin/certificates/{number}/bundle", "GET"),
        ("/api/v1/origin/verify", "POST"), ("/api/v1/origin/qr", "GET"),
        ("/api/v1/origin/policy", "GET"),
        ("/api/v1/declarations/{declaration_id}/origin", "POST"),
        ("/api/v1/declarations/{declaration_id}/origin", "GET"),
        ("/api/v1/transit/corridors", "GET"), ("/api/v1/transit/corridors", "POST"),
        ("/api/v1/transit/devices", "GET"), ("/api/v1/transit/devices", "POST"),
        ("/api/v1/transit/devices/{device_id}/rotate", "POST"),
        ("/api/v1/transit/devices/{device_id}/disable", "POST"),
        ("/api/v1/transit/devices/{device_id}/enable", "POST"),
        ("/api/v1/transit/devices/{device_id}/events", "POST"),
        ("/api/v1/transit/trips", "GET"), ("/api/v1/transit/trips", "POST"),
        ("/api/v1/transit/trips/{reference}", "GET"),
        ("/api/v1/transit/trips/{reference}/close", "POST"),
        ("/api/v1/transit/trips/{reference}/commands", "POST"),
        ("/api/v1/transit/trips/{reference}/raw", "GET"),
        ("/api/v1/transit/trips/{reference}/epcis", "GET"),
        ("/api/v1/transit/alerts", "GET"), ("/api/v1/transit/alerts/{alert_id}", "GET"),
        ("/api/v1/transit/alerts/{alert_id}/{action}", "POST"),
        ("/api/v1/transit/alerts/{alert_id}/evidence", "GET"),
        ("/api/v1/transit/alerts/{alert_id}/evidence.pdf", "GET"),
        # public, read-only: the log as C2SP tlog-tiles, for partners to mirror
        ("/origin/log/checkpoint", "GET"), ("/origin/log/tile/{path}", "GET"),
    }
    assert documented == expected
    for route in routes:  # whatever else gets added must be documented too
        for method in route.methods:
            assert (route.path, method) in documented
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            errors = {s: r for s, r in op["responses"].items() if int(s) >= 400}
            assert errors, (method, path)
            for status, response in errors.items():
                # Problem details only: never FastAPI's own HTTPValidationError shape.
                assert list(response["content"]) == [kit.PROBLEM], (method, path, status)
                schema = response["content"][kit.PROBLEM]["schema"]
                assert schema["required"] == ["type", "title", "status", "detail", "code"]
                assert set(schema["properties"]) >= {"errors", "instance"}
            if path != "/api/v1/health" and not path.startswith("/origin/log/"):
                assert "401" in errors, (method, path)
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_openapi_documents_the_submission(api: Any, kit: SimpleNamespace) -> None:
    doc = api.client.get("/openapi.json").json()
    post = doc["paths"]["/api/v1/declarations"]["post"]
    assert post["requestBody"]["required"] is True
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/DeclarationCreate"
    schema = doc["components"]["schemas"]["DeclarationCreate"]
    assert set(schema["required"]) == {"reference", "declaration_date", "office", "parties",
                                       "items"}
    assert set(kit.vector()) <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    assert sorted(post["responses"]) == ["200", "201", "400", "401", "403", "409", "413", "415",
                                         "422"]
    created = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert created == "#/components/schemas/Declaration"
