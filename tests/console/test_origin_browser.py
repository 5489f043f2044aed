"""Certificates of origin in a real browser: an officer verifies a proof bundle made by the
service (issued: three passing answers, shown green; revoked: the status fails with its
reason, shown red; tampered or malformed: integrity fails, shown as text), looks a QR
payload up, and a supervisor opens the printable certificate, whose inline-SVG QR code
renders the very payload it prints. Markup in certificate fields, a file name or a pasted
payload stays text.

The page has no script of its own (a plain multipart form; htmx is loaded by the layout but
not used here), so a file is "dropped" with Playwright's ``set_input_files`` on the file
input: there is no JS drop zone to feed a DataTransfer to.

Same setup as the other browser tests (uvicorn in a thread, headless Chromium through
Playwright; skipped without SMARTCUSTOMS_TEST_CHROMIUM). Console errors, CSP violations
included, failed requests and requests leaving the server fail the test. One module-scoped
console: an issuer, three certificates (one revoked, one with markup in its fields) and
their bundles.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from smartcustoms import identity
from smartcustoms.db import unit_of_work
from smartcustoms.identity import SYSTEM, Role
from smartcustoms.origin import issuer_service
from smartcustoms.origin import service as origin

from .conftest import NOW, Console, build_console, password_of, served, skip_without_chromium
from .test_origin_pages import CERTIFICATE, NUMBER, ORIGIN

pytestmark = pytest.mark.browser

skip_without_chromium()
sync_api = pytest.importorskip("playwright.sync_api")

REVOKED = "GSP-REVOKED"
MARKED = "GSP-MARKUP"
XSS = "<img src=x onerror=window.__xss=1>"
GREEN, RED = "rgb(26, 127, 55)", "rgb(180, 35, 24)"  # origin.css: #1a7f37, #b42318
ANSWERS = ("integrity", "status", "issuer")
DISCLOSE = ("number", "goods_items[0].hs_code")


@dataclass(frozen=True)
class OriginConsole:
    console: Console
    bundles: dict[str, bytes]  # by certificate number
    qr: dict[str, str]  # the QR payload, by certificate number


def _flip_in_disclosed(bundle: bytes, value: str) -> bytes:
    """``bundle`` with one bit of the disclosed ``value`` flipped (the last character: a
    digit stays a digit, so the bundle still parses and only the hashes disagree)."""
    disclosure = json.loads(bundle)["disclosure"]
    raw = bytearray(base64.urlsafe_b64decode(disclosure + "=" * (-len(disclosure) % 4)))
    at = raw.find(value.encode())
    assert at >= 0, f"{value!r} is not in the bundle's disclosure"
    raw[at + len(value) - 1] ^= 0x01
    flipped = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert len(flipped) == len(disclosure)
    return bundle.replace(disclosure.encode(), flipped.encode())


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OriginConsole]:
    built = build_console(tmp_path_factory.mktemp("origin-browser") / "data", seed=False,
                          users=("officer.kim",))
    ctx, settings = built.app.state.ctx, built.settings
    marked = json.loads(CERTIFICATE) | {"number": MARKED, "remarks": "Remark " + XSS}
    marked["goods_items"][0]["description"] = "Routers " + XSS
    with unit_of_work(ctx.sessions) as db:
        identity.create_user(db, username="super.choi", password=password_of("super.choi"),
                             role=Role.supervisor, company_id=None, display_name=None,
                             actor=SYSTEM, now=NOW)
        issuer_service.add_issuer(db, settings, issuer_service.IssuerCreate(
            issuer_id="CCPIT-SZ", kind="chamber", name="CCPIT Shenzhen", country="CN",
            certificate_types=["preferential"], agreements=["EU_GSP"]), actor=SYSTEM, now=NOW)
    qr: dict[str, str] = {}
    with unit_of_work(ctx.sessions) as db:
        for document in (json.loads(CERTIFICATE), json.loads(CERTIFICATE) | {"number": REVOKED},
                         marked):
            info = origin.issue_certificate(db, settings, json.dumps(document),
                                            issuer_id="CCPIT-SZ", actor=SYSTEM, now=NOW)
            qr[info.number] = info.qr_payload
    with unit_of_work(ctx.sessions) as db:
        origin.revoke_certificate(db, settings, REVOKED, reason="fraud", actor=SYSTEM, now=NOW)
    with ctx.sessions() as db:
        bundles = {number: origin.make_certificate_bundle(
            db, settings, number, actor=SYSTEM, now=NOW,
            disclose=DISCLOSE + (("goods_items[0].description", "remarks")
                                 if number == MARKED else ()))
            for number in (NUMBER, REVOKED, MARKED)}
    yield OriginConsole(built, bundles, qr)
    ctx.engine.dispose()


@pytest.fixture(scope="module")
def server(data: OriginConsole) -> Iterator[str]:
    with served(data.console.app) as url:
        yield url


def _login(page: Any, username: str = "officer.kim", path: str = ORIGIN) -> None:
    page.goto(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password_of(username))
    page.click("button[type=submit]")
    page.wait_for_url("**" + path)


def _drop(page: Any, content: bytes, name: str = "bundle.json") -> None:
    """Choose ``content`` as the bundle file and verify it; the result page must load."""
    page.set_input_files("#bundle", {"name": name, "mimeType": "application/json",
                                     "buffer": content})
    with page.expect_response("**" + ORIGIN + "/verify") as response:
        page.get_by_role("button", name="Verify").click()
    assert response.value.status == 200
    page.wait_for_url("**" + ORIGIN + "/verify")
    page.wait_for_load_state()


def _border(locator: Any) -> str:
    return locator.evaluate("e => getComputedStyle(e).borderLeftColor")


def _answers(section: Any) -> dict[str, Any]:
    return {name: section.locator(f"dd[data-answer={name}]") for name in ANSWERS}


def test_an_issued_bundle_passes_all_three_answers(page: Any, data: OriginConsole) -> None:
    expect = sync_api.expect
    _login(page)
    _drop(page, data.bundles[NUMBER])
    verdicts = page.locator("section.verdict")
    expect(verdicts).to_have_count(2)
    assert [verdicts.nth(i).get_attribute("data-mode") for i in range(2)] == [
        "offline", "online"]
    for i in range(2):
        section = verdicts.nth(i)
        expect(section).to_be_visible()
        expect(section.locator("h2")).to_contain_text("Valid")
        assert _border(section) == GREEN
        for name, answer in _answers(section).items():
            expect(answer).to_be_visible()
            expect(answer).to_have_attribute("data-code", "ok")
            expect(answer).to_have_class("ok")
            assert answer.locator("strong").inner_text() == "ok", name
            assert answer.locator("strong").evaluate("e => getComputedStyle(e).color") == GREEN
            assert len(answer.inner_text()) > len("ok ") + 10, name  # a reason, not just "ok"
        answers = _answers(section)
        expect(answers["status"]).to_contain_text("not revoked")
        expect(answers["issuer"]).to_contain_text("CCPIT Shenzhen")
    expect(page.locator("#origin-error")).to_have_count(0)
    disclosed = {tuple(row.locator("td").all_inner_texts())
                 for row in page.locator("table.disclosed tbody tr").all()}
    assert {("number", NUMBER), ("goods_items[0].hs_code", "851762")} <= disclosed
    assert not any("description" in path for path, _ in disclosed)  # hidden stays hidden


def test_a_revoked_bundle_fails_its_status_in_red(page: Any, data: OriginConsole) -> None:
    expect = sync_api.expect
    _login(page)
    _drop(page, data.bundles[REVOKED])
    verdicts = page.locator("section.verdict")
    expect(verdicts).to_have_count(2)
    expect(page.locator("section.verdict-ok")).to_have_count(0)
    for i in range(2):
        section = verdicts.nth(i)
        expect(section.locator("h2")).to_contain_text("Not valid")
        assert _border(section) == RED
        answers = _answers(section)
        status = answers["status"]
        expect(status).to_have_attribute("data-code", "revoked")
        expect(status).to_have_class("fail")
        expect(status).to_contain_text("revoked (fraud)")
        assert status.locator("strong").inner_text() == "fails"
        assert status.locator("strong").evaluate("e => getComputedStyle(e).color") == RED
        # The signature and the issuer were fine: only the status fails.
        expect(answers["integrity"]).to_have_attribute("data-code", "ok")
        expect(answers["issuer"]).to_have_attribute("data-code", "ok")


def test_tampered_and_malformed_bundles_fail_integrity_as_text(page: Any,
                                                               data: OriginConsole) -> None:
    expect = sync_api.expect
    tampered = _flip_in_disclosed(data.bundles[NUMBER], NUMBER)
    assert tampered != data.bundles[NUMBER]
    _login(page)
    cases = {"tampered": tampered, "not JSON": b"{not json", "empty": b"",
             "binary": bytes(range(256)), "a JSON list": b"[1, 2, 3]",
             "wrong members": b'{"format": 1}', "nested too deep": b"[" * 100_000}
    for case, content in cases.items():
        _drop(page, content, name=f"{case}.json")
        verdicts = page.locator("section.verdict")
        expect(verdicts.first).to_be_visible()
        expect(page.locator("section.verdict-ok")).to_have_count(0)
        for i in range(verdicts.count()):
            integrity = verdicts.nth(i).locator("dd[data-answer=integrity]")
            expect(integrity).to_have_class("fail")
            assert integrity.get_attribute("data-code") != "ok", case
            assert integrity.locator("strong").inner_text() == "fails", case
            reason = integrity.inner_text().removeprefix("fails").strip()
            assert reason, case
            if case == "tampered":  # it parsed: the hashes caught it, not the parser
                assert integrity.get_attribute("data-code") != "bundle-malformed"
            else:
                assert "malformed" in reason, (case, reason)
        expect(page.locator("table.disclosed")).to_have_count(0)  # nothing unverified shown
        expect(page.locator("#verify-form")).to_be_visible()  # and one can try again


def test_a_pasted_qr_payload_shows_its_answer(page: Any, data: OriginConsole) -> None:
    expect = sync_api.expect
    _login(page)
    for number, state, code in ((NUMBER, "in force", "ok"), (REVOKED, "not valid", "revoked")):
        page.fill("#qr", data.qr[number])
        with page.expect_response(lambda r: "qr=" in r.url) as response:
            page.get_by_role("button", name="Look up").click()
        assert response.value.status == 200
        lookup = page.locator("#lookup")
        expect(lookup.locator("h2")).to_have_text(f"{number}: {state}")
        expect(lookup.locator("p[data-code]")).to_have_attribute("data-code", code)
        expect(lookup).to_contain_text("CCPIT-SZ")
        expect(lookup).to_contain_text("CN to DE")
        assert _border(lookup) == (GREEN if code == "ok" else RED)
        expect(page.locator("#qr")).to_have_value(data.qr[number])
    expect(page.locator("#lookup p[data-code]")).to_contain_text("revoked (fraud)")


def _qr_matches(png: bytes, payload: str) -> bool:
    """Whether the screenshot of the QR code shows ``payload``'s modules (as segno encodes
    it at some error level), sampled at each module's centre."""
    import segno
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    dark = image.point(lambda v: 255 if v < 128 else 0)
    box = dark.getbbox()  # the finder patterns touch the symbol's corners
    assert box is not None, "the QR code rendered blank"
    left, top, right, bottom = box
    assert left > 0 and top > 0 and right < image.width and bottom < image.height, \
        f"no quiet zone around the code: it is cropped ({box} in {image.size})"
    for level in "lmqh":
        matrix = segno.make(payload, error=level, micro=False).matrix
        n = len(matrix)
        step_x, step_y = (right - left) / n, (bottom - top) / n
        if all((image.getpixel((int(left + (c + .5) * step_x), int(top + (r + .5) * step_y)))
                < 128) == bool(bit) for r, row in enumerate(matrix) for c, bit in enumerate(row)):
            return True
    return False


def test_the_printable_certificate_renders_its_qr_code(page: Any, data: OriginConsole) -> None:
    expect = sync_api.expect
    _login(page, "super.choi")
    page.locator("#h-issued + table").get_by_role("link", name=NUMBER, exact=True).click()
    page.wait_for_url(f"**{ORIGIN}/certificates/{NUMBER}")
    certificate = page.locator("article.certificate")
    expect(certificate.locator(".number")).to_have_text(f"No. {NUMBER}")
    for shown in ("Shenzhen Bright Devices Co., Ltd.", "Nordlicht Elektronik GmbH",
                  "CCPIT Shenzhen", "2026-11-01 to 2027-10-31", "CNSZX", "DEHAM"):
        expect(certificate.locator("dl.boxes")).to_contain_text(shown)
    goods = certificate.locator("table.goods tbody tr")
    expect(goods).to_have_count(2)
    assert goods.nth(0).locator("td").all_inner_texts() == [
        "1", "Wireless routers, Wi-Fi 6, 4 ports", "851762", "1000 H87", "CN", "W"]
    expect(certificate.locator(".revoked")).to_have_count(0)

    svg = page.locator("figure.qr-figure svg.qr")
    expect(svg).to_be_visible()
    shapes = [d or "" for d in svg.locator("path").evaluate_all(
        "paths => paths.map(p => p.getAttribute('d'))")]
    assert max(map(len, shapes), default=0) > 100  # the modules, not just a background
    box = svg.bounding_box()
    assert box is not None and box["width"] >= 100 and box["height"] >= 100
    expect(page.locator("figure.qr-figure figcaption")).to_have_text(data.qr[NUMBER])
    assert _qr_matches(svg.screenshot(), data.qr[NUMBER])

    # Printed: no navigation, the code 4 cm wide, still drawn; a PDF comes out.
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    printed = svg.bounding_box()
    assert printed is not None and abs(printed["width"] - 4 / 2.54 * 96) < 2
    assert _qr_matches(svg.screenshot(), data.qr[NUMBER])
    assert page.pdf(format="A4").startswith(b"%PDF")
    page.emulate_media(media="screen")

    page.goto(f"{ORIGIN}/certificates/{REVOKED}")
    expect(page.locator("article.certificate .revoked")).to_have_text("REVOKED (fraud)")
    expect(page.locator("svg.qr")).to_be_visible()


def test_markup_in_fields_names_and_payloads_stays_text(page: Any, data: OriginConsole,
                                                        expected_errors: list[str]) -> None:
    """A supervisor can both verify and print; the markup arrives through the certificate's
    fields (printed page, disclosed fields), the file's name and a pasted QR text."""
    expect = sync_api.expect
    expected_errors.append("status of 422")  # the junk QR text is answered 422
    injected = "img[src=x]"
    _login(page, "super.choi")

    page.goto(f"{ORIGIN}/certificates/{MARKED}")
    certificate = page.locator("article.certificate")
    expect(certificate.locator("table.goods tbody tr").first).to_contain_text("Routers " + XSS)
    expect(certificate).to_contain_text("Remark " + XSS)
    assert page.locator(injected).count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"

    page.goto(ORIGIN)
    _drop(page, data.bundles[MARKED], name=XSS + ".json")
    expect(page.locator("section.verdict-ok")).to_have_count(2)
    disclosed = {tuple(row.locator("td").all_inner_texts())
                 for row in page.locator("table.disclosed tbody tr").all()}
    assert ("goods_items[0].description", "Routers " + XSS) in disclosed
    assert ("remarks", "Remark " + XSS) in disclosed
    assert page.locator(injected).count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"

    junk = "SCO1:" + XSS
    page.fill("#qr", junk)
    with page.expect_response(lambda r: "qr=" in r.url) as response:
        page.get_by_role("button", name="Look up").click()
    assert response.value.status == 422
    error = page.locator("#origin-error")
    expect(error).to_be_visible()
    assert error.inner_text().strip()
    expect(page.locator("#qr")).to_have_value(junk)
    assert page.locator(injected).count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
