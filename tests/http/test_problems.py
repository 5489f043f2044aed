"""Every error the API answers, whatever raised it, has the one RFC 9457 shape."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcustoms.config import Settings
from smartcustoms.http import create_app

KEYS = {"type", "title", "status", "detail", "code", "instance"}


def _cases(api: Any, kit: SimpleNamespace) -> list[tuple[str, Any, int, str]]:
    """(what, response, status, code) for one request per kind of error."""
    trader, officer = api.auth("trader"), api.auth("officer")
    stored = api.submit(kit.vector())
    assert stored.status_code == 201
    changed = kit.vector()
    changed["office"] = "DEHAM2"
    invalid = kit.vector()
    invalid["items"][0]["hs_code"] = "12"
    c = api.client
    url = "/api/v1/declarations"
    return [
        ("unknown route", c.get("/no/such/page"), 404, "not-found"),
        ("unknown API route", c.get("/api/v1/nothing", headers=trader), 404, "not-found"),
        ("unknown problem type", c.get("/problems/no-such-code"), 404, "not-found"),
        ("wrong method", c.put(url, headers=trader, json={}), 405, "method-not-allowed"),
        ("wrong method on a resource", c.delete(f"{url}/{stored.json()['id']}",
                                                headers=trader), 405, "method-not-allowed"),
        ("malformed JSON", c.post(url, headers={**trader, "content-type": "application/json"},
                                  content=b'{"reference": '), 400, "malformed-json"),
        ("empty body", c.post(url, headers={**trader, "content-type": "application/json"},
                              content=b""), 400, "malformed-json"),
        ("not UTF-8", c.post(url, headers={**trader, "content-type": "application/json"},
                             content=b'{"reference": "\xff"}'), 400, "malformed-json"),
        ("form instead of JSON", c.post(url, headers=trader, data={"reference": "x"}), 415,
         "unsupported-media-type"),
        ("text/plain", c.post(url, headers={**trader, "content-type": "text/plain"},
                              content=b"{}"), 415, "unsupported-media-type"),
        ("too large", c.post(url, headers={**trader, "content-type": "application/json"},
                             content=b" " * (5 * 1024 * 1024 + 1)), 413, "payload-too-large"),
        ("no token", c.get(url), 401, "authentication-failed"),
        ("bad token", c.get(url, headers={"Authorization": "Bearer sct_x"}), 401,
         "authentication-failed"),
        ("bad login", c.post("/api/v1/auth/token", data={"username": "trader",
                                                         "password": "wrong-one"}),
         401, "authentication-failed"),
        ("forbidden", c.get("/api/v1/users", headers=trader), 403, "permission-denied"),
        ("forbidden submit", api.submit(kit.vector(), as_user="officer"), 403,
         "permission-denied"),
        ("imports for a trader", c.get("/api/v1/imports", headers=trader), 403,
         "permission-denied"),
        ("not found", c.get(f"{url}/{'f' * 32}", headers=trader), 404, "not-found"),
        ("no import run", c.get("/api/v1/imports/999", headers=api.auth("analyst")), 404,
         "not-found"),
        ("no HS code", c.get("/api/v1/reference/hs/999998", headers=trader), 404,
         "not-found"),
        ("conflict", api.submit(changed), 409, "conflict"),
        ("invalid declaration", api.submit(invalid), 422, "declaration-invalid"),
        ("bad query", c.get(url, params={"limit": "many"}, headers=officer), 422,
         "invalid-input"),
        ("bad path parameter", c.get("/api/v1/imports/abc", headers=api.auth("analyst")),
         422, "invalid-input"),
        ("bad HS search", c.get("/api/v1/reference/hs", headers=trader), 422,
         "invalid-input"),
        ("user without company", c.post("/api/v1/users", headers=api.auth("admin"), json={
            "username": "t9", "password": "long enough", "role": "trader"}), 422,
         "invalid-input"),
        ("upload without a file", c.post("/api/v1/imports", headers=api.auth("analyst"),
                                         data={"mapping_name": "kcs"}), 422, "invalid-input"),
    ]


def test_every_error_has_the_problem_shape(api: Any, kit: SimpleNamespace) -> None:
    cases = _cases(api, kit)
    assert len(cases) == 27
    for what, r, status, code in cases:
        assert r.status_code == status, (what, r.text)
        assert r.headers["content-type"] == kit.PROBLEM, what
        body = r.json()
        assert KEYS <= set(body) <= KEYS | {"errors"}, (what, body)
        assert body["status"] == status, what
        assert body["code"] == code, what
        assert body["type"] == f"/problems/{code}", what
        assert body["instance"] == r.request.url.path, what
        assert all(isinstance(body[k], str) and body[k] for k in
                   ("type", "title", "detail", "code", "instance")), what
        for error in body.get("errors", []):
            assert set(error) == {"field", "message", "value"}, what
            assert isinstance(error["field"], str) and isinstance(error["message"], str)
        if status == 401:
            assert r.headers["www-authenticate"] == "Bearer", what
        if status == 405:
            assert r.headers["allow"], what


def test_every_problem_type_dereferences(api: Any, kit: SimpleNamespace) -> None:
    seen = set()
    for what, r, status, code in _cases(api, kit):
        if code in seen:
            continue
        seen.add(code)
        body = r.json()
        described = api.client.get(body["type"])
        assert described.status_code == 200, (what, described.text)
        assert described.json() == {"code": code, "title": body["title"], "status": status}, what


def test_unknown_problem_type_is_itself_a_problem(api: Any, kit: SimpleNamespace) -> None:
    r = api.client.get("/problems/no-such-code")
    body = kit.assert_problem(r, 404, "not-found")
    assert body["errors"] == [{"field": "code", "message": "no problem type 'no-such-code'",
                               "value": "no-such-code"}]


def test_405_names_the_allowed_method(api: Any, kit: SimpleNamespace) -> None:
    r = api.client.delete("/api/v1/auth/me", headers=api.auth("trader"))
    body = kit.assert_problem(r, 405, "method-not-allowed")
    assert body["detail"] == "Method Not Allowed"
    assert r.headers["allow"] == "GET"


def test_an_unexpected_error_is_a_500_problem_without_internals(
    sqlite_settings: Settings, kit: SimpleNamespace, caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(sqlite_settings, console=False)

    def broken() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_api_route("/api/v1/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/broken")
    body = kit.assert_problem(r, 500, "internal-error")
    assert body == {"type": "/problems/internal-error", "title": "Internal error",
                    "status": 500, "detail": "an unexpected error occurred; it has been logged",
                    "instance": "/api/v1/broken", "code": "internal-error"}
    assert "hunter2" not in r.text
    # ... but it is in the log, with its traceback, for the operator.
    logged = [rec for rec in caplog.records if rec.levelname == "ERROR"]
    assert logged and logged[0].exc_info is not None
    assert "hunter2" in str(logged[0].exc_info[1])


def test_health_when_the_database_is_down_is_a_503_problem(
    tmp_path: Any, kit: SimpleNamespace,
) -> None:
    down = Settings(data_dir=tmp_path, environment="test",
                    database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = create_app(down, console=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/health")
        body = kit.assert_problem(r, 503, "database-unavailable")
        assert body["detail"] == "postgresql does not answer: OperationalError"
        assert body["title"] == "The database cannot be reached"
        described = client.get(body["type"]).json()
    assert described == {"code": "database-unavailable",
                         "title": "The database cannot be reached", "status": 503}
