"""Console login, logout, session cookie, CSRF, redirects and the headers every page carries."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from smartcustoms.http.deps import SESSION_COOKIE

STATIC = Path(__file__).resolve().parents[2] / "src" / "smartcustoms" / "console" / "static"


def _login(client, username, password=None, next_=""):
    return client.post("/login", data={"username": username,
                                       "password": password or f"{username}-secret",
                                       "next": next_})


def _csrf(client, html):
    page = html(client.get("/declarations").text)
    return page.find("input", name="csrf_token").attrs["value"]


class TestLoggedOut:
    @pytest.mark.parametrize("path", ["/declarations", "/declarations?hs=85&page=2",
                                      "/declarations/abc", "/imports", "/imports/1"])
    def test_a_page_redirects_to_login_with_next(self, console, path):
        response = console.client().get(path)
        assert response.status_code == 303
        target = urlsplit(response.headers["location"])
        assert target.path == "/login"
        assert parse_qs(target.query)["next"] == [path]

    def test_home_redirects_to_declarations(self, console):
        response = console.client().get("/")
        assert response.status_code == 303
        assert response.headers["location"] == "/declarations"

    def test_an_htmx_request_is_told_to_redirect(self, console):
        response = console.client().get("/declarations?hs=85", headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response.headers["HX-Redirect"].startswith("/login?next=")

    def test_a_stale_cookie_is_dropped(self, console):
        client = console.client()
        client.cookies.set(SESSION_COOKIE, "sct_not-a-real-token")
        response = client.get("/declarations")
        assert response.status_code == 303
        assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]

    def test_the_login_form_carries_next(self, console, html):
        page = html(console.client().get("/login?next=/imports/3").text)
        form = page.find("form", action="/login")
        assert form.find("input", name="next").attrs["value"] == "/imports/3"
        assert form.find("input", name="password").attrs["type"] == "password"


class TestLogin:
    def test_login_sets_an_httponly_lax_cookie_and_goes_to_next(self, console, html):
        client = console.client()
        response = _login(client, "officer.kim", next_="/declarations?hs=39")
        assert response.status_code == 303
        assert response.headers["location"] == "/declarations?hs=39"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=sct_")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie
        assert "Path=/" in cookie
        page = html(client.get("/declarations").text)
        assert page.find("span", data_testid="user").text == "officer.kim"
        assert page.find("span", data_testid="role").text == "officer"

    def test_the_cookie_is_secure_when_configured(self, console):
        from fastapi.testclient import TestClient

        from smartcustoms.http.app import create_app

        app = create_app(console.settings.model_copy(update={"cookie_secure": True}))
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
            response = _login(client, "officer.kim")
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]

    def test_a_wrong_password_shows_the_form_again(self, console, html):
        response = _login(console.client(), "officer.kim", password="wrong-password")
        assert response.status_code == 401
        assert "set-cookie" not in response.headers
        page = html(response.text)
        assert page.find(cls="flash-error").text == "unknown user or wrong password"
        assert page.find("input", name="username").attrs["value"] == "officer.kim"

    @pytest.mark.parametrize("next_", [
        "https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
        "declarations", "/\t/evil.example",
    ])
    def test_next_must_be_a_path_on_this_site(self, console, next_):
        response = _login(console.client(), "officer.kim", next_=next_)
        assert response.headers["location"] == "/declarations"


class TestLogout:
    def test_logout_without_the_csrf_token_is_refused(self, client_as, html):
        client = client_as("officer.kim")
        for data in ({}, {"csrf_token": "0" * 64}):
            response = client.post("/logout", data=data)
            assert response.status_code == 403
            assert html(response.text).find(cls="flash-error").attrs["data-code"] \
                == "permission-denied"
        assert client.get("/declarations").status_code == 200  # still logged in

    def test_a_csrf_token_of_another_session_is_refused(self, client_as, html):
        other = _csrf(client_as("analyst.lee"), html)
        client = client_as("officer.kim")
        assert client.post("/logout", data={"csrf_token": other}).status_code == 403

    def test_logout_revokes_the_token_and_clears_the_cookie(self, client_as, html):
        client = client_as("officer.kim")
        token = client.cookies[SESSION_COOKIE]
        response = client.post("/logout", data={"csrf_token": _csrf(client, html)})
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
        client.cookies.set(SESSION_COOKIE, token)  # replaying the old cookie does not work
        assert client.get("/declarations").status_code == 303
        api = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401


    def test_the_console_cookie_does_not_open_the_api(self, client_as):
        client = client_as("analyst.lee")  # logged in to the console: the cookie is set
        assert client.get("/declarations").status_code == 200
        response = client.get("/api/v1/auth/me")  # the browser would send the cookie
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


class TestPagesAndHeaders:
    def test_pages_carry_a_strict_csp_and_no_store(self, client_as):
        response = client_as("officer.kim").get("/declarations")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"

    def test_no_page_loads_anything_from_another_site(self, client_as, html):
        page = html(client_as("analyst.lee").get("/imports").text)
        sources = [e.attrs.get("src") or e.attrs.get("href") or ""
                   for e in page.find_all("script") + page.find_all("link")]
        assert sources and all(s.startswith("/static/") for s in sources)

    def test_console_routes_stay_out_of_the_openapi_document(self, console):
        paths = console.client().get("/openapi.json").json()["paths"]
        # /origin/log/ is the transparency log's public tlog-tiles interface, not console.
        assert not [p for p in paths
                    if not p.startswith(("/api/", "/health", "/problems", "/origin/log/"))]

    def test_htmx_is_served_and_matches_its_provenance(self, console):
        body = console.client().get("/static/vendor/htmx.min.js").content
        provenance = (STATIC / "vendor" / "PROVENANCE.md").read_text()
        recorded = re.search(r"`htmx.min.js` sha256: `([0-9a-f]{64})`", provenance)
        assert recorded and hashlib.sha256(body).hexdigest() == recorded.group(1)
        assert (STATIC / "vendor" / "htmx.LICENSE").read_text().startswith("Zero-Clause BSD")
