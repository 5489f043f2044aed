"""Login, tokens, the current user and user management over HTTP."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

from smartcustoms.identity import Permission

LOGIN = "/api/v1/auth/token"


def test_login_issues_a_bearer_token(api: Any, kit: SimpleNamespace) -> None:
    api.user("trader")
    r = api.client.post(LOGIN, data={"username": "trader", "password": kit.PASSWORD})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_at"}
    assert body["token_type"] == "bearer"
    assert body["access_token"].startswith("sct_")
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires == api.clock() + dt.timedelta(hours=api.settings.token_ttl_hours)
    me = api.client.get("/api/v1/auth/me",
                        headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "username": "trader", "role": "trader", "company_id": kit.IMPORTER,
        "permissions": ["declarations:read-own", "declarations:submit", "documents:attach",
                        "origin:verify", "reference:read", "screening:search",
                        "tariff:classify"],
    }
    # The token is stored hashed only.
    with api.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_sha256 FROM api_tokens")).scalars().all()
    assert body["access_token"] not in stored and len(stored) == 1


def test_me_lists_every_permission_of_an_admin(api: Any) -> None:
    r = api.client.get("/api/v1/auth/me", headers=api.auth("admin"))
    assert r.json()["permissions"] == sorted(p.value for p in Permission)
    assert r.json()["company_id"] is None


def test_wrong_password_and_unknown_user_get_the_same_401(api: Any, kit: SimpleNamespace) -> None:
    api.user("trader")
    wrong = api.client.post(LOGIN, data={"username": "trader", "password": "nope-nope"})
    unknown = api.client.post(LOGIN, data={"username": "ghost", "password": kit.PASSWORD})
    for r in (wrong, unknown):
        body = kit.assert_problem(r, 401, "authentication-failed")
        assert body["detail"] == "unknown user or wrong password"
        assert r.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == unknown.json()
    assert api.count("api_tokens") == 0


def test_login_wants_form_fields(api: Any, kit: SimpleNamespace) -> None:
    r = api.client.post(LOGIN, json={"username": "trader", "password": kit.PASSWORD})
    body = kit.assert_problem(r, 422, "invalid-input")
    assert [e["field"] for e in body["errors"]] == ["body.username", "body.password"]
    assert {e["message"] for e in body["errors"]} == {"Field required"}


def test_token_expires_with_the_clock(api: Any, kit: SimpleNamespace) -> None:
    headers = api.auth("officer")
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    api.clock.advance(hours=api.settings.token_ttl_hours)
    r = api.client.get("/api/v1/auth/me", headers=headers)
    body = kit.assert_problem(r, 401, "authentication-failed")
    assert body["detail"] == "the token has expired; log in again"


def test_logout_revokes_the_token(api: Any, kit: SimpleNamespace) -> None:
    headers = api.auth("officer")
    r = api.client.post("/api/v1/auth/logout", headers=headers)
    assert r.status_code == 204 and r.content == b""
    body = kit.assert_problem(api.client.get("/api/v1/auth/me", headers=headers), 401,
                              "authentication-failed")
    assert body["detail"] == "the token was revoked"
    with api.engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_log ORDER BY seq")).scalars().all()
    assert actions == ["user.create", "token.issue", "token.revoke"]


def test_bad_authorization_headers(api: Any, kit: SimpleNamespace) -> None:
    cases = {
        "Basic dXNlcjpwYXNz": "the Authorization header must be 'Bearer <token>'",
        "Bearer": "the Authorization header must be 'Bearer <token>'",
        "Bearer    ": "the Authorization header must be 'Bearer <token>'",
        "Bearer abc": "not a smartcustoms API token",
        "Bearer sct_never-issued": "unknown token",
    }
    for header, detail in cases.items():
        r = api.client.get("/api/v1/declarations", headers={"Authorization": header})
        body = kit.assert_problem(r, 401, "authentication-failed")
        assert body["detail"] == detail, header
        assert r.headers["www-authenticate"] == "Bearer"


def test_admin_adds_and_lists_users(api: Any, kit: SimpleNamespace) -> None:
    admin = api.auth("admin")
    r = api.client.post("/api/v1/users", headers=admin, json={
        "username": "kim", "password": "long enough", "role": "trader",
        "company_id": "KR1234", "display_name": "Kim"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created == {"id": created["id"], "username": "kim", "role": "trader",
                       "company_id": "KR1234", "display_name": "Kim", "active": True}
    listed = api.client.get("/api/v1/users", headers=admin).json()
    assert [u["username"] for u in listed] == ["admin", "kim"]
    # The new user can log in with the password the admin set.
    login = api.client.post(LOGIN, data={"username": "kim", "password": "long enough"})
    assert login.status_code == 200


def test_users_endpoint_is_admin_only(api: Any, kit: SimpleNamespace) -> None:
    for username in ("trader", "officer", "analyst", "supervisor"):
        headers = api.auth(username)
        listed = api.client.get("/api/v1/users", headers=headers)
        body = kit.assert_problem(listed, 403, "permission-denied")
        assert body["detail"].startswith(f"role '{username}' lacks the permission ")
        added = api.client.post("/api/v1/users", headers=headers, json={
            "username": f"x-{username}", "password": "long enough", "role": "admin"})
        kit.assert_problem(added, 403, "permission-denied")
    kit.assert_problem(api.client.get("/api/v1/users"), 401, "authentication-failed")
    with api.engine.connect() as conn:
        names = conn.execute(text("SELECT username FROM users")).scalars().all()
    assert sorted(names) == ["analyst", "officer", "supervisor", "trader"]


def test_adding_users_reports_conflicts_and_bad_input(api: Any, kit: SimpleNamespace) -> None:
    admin = api.auth("admin")
    dup = api.client.post("/api/v1/users", headers=admin, json={
        "username": "admin", "password": "long enough", "role": "officer"})
    body = kit.assert_problem(dup, 409, "conflict")
    assert body["errors"] == [{"field": "username", "message": "user 'admin' exists already",
                               "value": "admin"}]
    companyless = api.client.post("/api/v1/users", headers=admin, json={
        "username": "t1", "password": "long enough", "role": "trader"})
    body = kit.assert_problem(companyless, 422, "invalid-input")
    assert body["errors"][0]["field"] == "company_id"
    short = api.client.post("/api/v1/users", headers=admin, json={
        "username": "t2", "password": "short", "role": "officer"})
    body = kit.assert_problem(short, 422, "invalid-input")
    assert body["errors"][0]["field"] == "body.password"
    bad_role = api.client.post("/api/v1/users", headers=admin, json={
        "username": "t3", "password": "long enough", "role": "king"})
    body = kit.assert_problem(bad_role, 422, "invalid-input")
    assert body["errors"][0]["field"] == "body.role"
    assert body["errors"][0]["value"] == "king"
    assert api.count("users") == 1
