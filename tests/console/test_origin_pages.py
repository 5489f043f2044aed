"""Certificates of origin in the console: everyone verifies a dropped bundle (three
answers with their reasons, the disclosed fields) or looks up a QR payload; a
supervisor prints a certificate with its QR code as inline SVG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smartcustoms import identity
from smartcustoms.db import unit_of_work
from smartcustoms.identity import SYSTEM, Role
from smartcustoms.origin import issuer_service, submit_service
from smartcustoms.origin import service as origin

from .conftest import NOW, build_console, parse_html

ORIGIN = "/console/origin"
ROOT = Path(__file__).resolve().parents[2]
CERTIFICATE = (ROOT / "tests" / "vectors" / "certificate_of_origin.json").read_bytes()
NUMBER = json.loads(CERTIFICATE)["number"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A console with an issuer, a certificate, its bundle and a revoked one's."""
    root = tmp_path_factory.mktemp("origin")
    built = build_console(root / "data", seed=False)
    ctx, settings = built.app.state.ctx, built.settings
    with unit_of_work(ctx.sessions) as db:
        identity.create_user(db, username="super.choi", password="super.choi-secret",
                             role=Role.supervisor, company_id=None, display_name=None,
                             actor=SYSTEM, now=NOW)
        issuer_service.add_issuer(db, settings, issuer_service.IssuerCreate(
            issuer_id="CCPIT-SZ", kind="chamber", name="CCPIT Shenzhen", country="CN",
            certificate_types=["preferential"], agreements=["EU_GSP"]), actor=SYSTEM, now=NOW)
    revoked = json.loads(CERTIFICATE) | {"number": "GSP-REVOKED"}
    with unit_of_work(ctx.sessions) as db:
        origin.issue_certificate(db, settings, CERTIFICATE, issuer_id="CCPIT-SZ",
                                 actor=SYSTEM, now=NOW)
        origin.issue_certificate(db, settings, json.dumps(revoked), issuer_id="CCPIT-SZ",
                                 actor=SYSTEM, now=NOW)
    with unit_of_work(ctx.sessions) as db:
        origin.revoke_certificate(db, settings, "GSP-REVOKED", reason="fraud", actor=SYSTEM,
                                  now=NOW)
    amended = json.loads(CERTIFICATE) | {"number": "GSP-AMENDED"}
    with unit_of_work(ctx.sessions) as db:
        origin.issue_certificate(db, settings, json.dumps(amended), issuer_id="CCPIT-SZ",
                                 actor=SYSTEM, now=NOW)
    with unit_of_work(ctx.sessions) as db:
        submit_service.amend_certificate(db, settings, "GSP-AMENDED",
                                         json.dumps(amended | {"remarks": "corrected"}),
                                         actor=SYSTEM, now=NOW)
    with ctx.sessions() as db:
        for number, name in ((NUMBER, "bundle.json"), ("GSP-REVOKED", "revoked.json"),
                             ("GSP-AMENDED", "amended.json")):
            (root / name).write_bytes(origin.make_certificate_bundle(
                db, settings, number, disclose=("number", "goods_items[0].hs_code"),
                actor=SYSTEM, now=NOW))
    ctx.engine.dispose()
    return root / "data"


def _page(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return parse_html(response.text)


def _verify(client: Any, bundle: bytes) -> Any:
    form = _page(client.get(ORIGIN)).by_id("verify-form")
    csrf = form.find("input", name="csrf_token").attrs["value"]
    return client.post(form.attrs["action"], data={"csrf_token": csrf},
                       files={"bundle": ("bundle.json", bundle, "application/json")})


def test_every_role_verifies_a_bundle_and_sees_three_answers(as_user: Any,
                                                             template: Path) -> None:
    for user in ("officer.kim", "trader.park", "analyst.lee"):
        nav = _page(as_user(user).get("/declarations")).find("nav", cls="mainnav")
        assert ORIGIN in nav.links(), user
    doc = _page(_verify(as_user("officer.kim"), (template.parent / "bundle.json").read_bytes()))
    offline, online = doc.find_all("section", cls="verdict")
    assert [offline.attrs["data-mode"], online.attrs["data-mode"]] == ["offline", "online"]
    answers = online.find_all("dd")
    assert [(a.attrs["data-answer"], a.attrs["data-code"]) for a in answers] == [
        ("integrity", "ok"), ("status", "ok"), ("issuer", "ok")]
    assert "CCPIT Shenzhen" in answers[2].text
    rows = doc.find("table", cls="disclosed").rows()
    assert ["goods_items[0].hs_code", "851762"] in rows and ["number", NUMBER] in rows
    assert "description" not in doc.find("table", cls="disclosed").text


def test_a_revoked_bundle_fails_with_its_reason(as_user: Any, template: Path) -> None:
    doc = _page(_verify(as_user("trader.park"), (template.parent / "revoked.json").read_bytes()))
    status = doc.find("dd", data_answer="status")
    assert status.attrs["data-code"] == "revoked" and "revoked (fraud)" in status.text
    assert "Not valid" in doc.find("section", cls="verdict").text


def test_an_amendment_says_what_it_replaces(as_user: Any, template: Path) -> None:
    doc = _page(_verify(as_user("officer.kim"), (template.parent / "amended.json").read_bytes()))
    for verdict in doc.find_all("section", cls="verdict"):
        assert verdict.find("dd", data_answer="status").attrs["data-code"] == "ok"
        note = verdict.find("p", cls="hint")
        assert "An amendment" in note.text and len(note.attrs["data-supersedes"]) == 64


def test_a_qr_payload_is_looked_up_and_junk_is_explained(as_user: Any, shared: Any) -> None:
    with shared.app.state.ctx.sessions() as db:
        payload = origin.get_certificate(db, NUMBER, actor=SYSTEM).qr_payload
    client = as_user("officer.kim")
    found = _page(client.get(ORIGIN, params={"qr": payload})).by_id("lookup")
    assert "in force" in found.text and "CCPIT-SZ" in found.text
    bad = client.get(ORIGIN, params={"qr": "SCO1:nonsense"})
    assert bad.status_code == 422 and parse_html(bad.text).by_id("origin-error")


def test_a_supervisor_prints_the_certificate_with_its_qr_code(as_user: Any) -> None:
    client = as_user("super.choi")
    listing = _page(client.get(ORIGIN))
    assert f"{ORIGIN}/certificates/{NUMBER}" in listing.links()
    response = client.get(f"{ORIGIN}/certificates/{NUMBER}")
    doc = _page(response)
    svg = doc.find("svg", cls="qr")
    assert svg.find("path").attrs["d"] and " style=" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "Shenzhen Bright Devices" in doc.text and "SCO1:" in doc.text
    assert "/static/origin.css" in response.text
    assert as_user("officer.kim").get(f"{ORIGIN}/certificates/{NUMBER}").status_code == 403
