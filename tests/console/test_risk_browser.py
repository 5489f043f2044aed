"""An officer's inspection round in a real browser: queue → declaration → result recorded.

Same setup as ``test_browser.py`` (uvicorn in a thread, headless Chromium through Playwright;
skipped without SMARTCUSTOMS_TEST_CHROMIUM), on the risk data of ``test_risk_pages.py``.
Console errors, CSP violations included, fail the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .conftest import build_console, served
from .test_risk_pages import _seed

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("SMARTCUSTOMS_TEST_CHROMIUM")
if not CHROMIUM:
    pytest.skip("SMARTCUSTOMS_TEST_CHROMIUM is not set (e.g. /usr/bin/chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("risk-browser")
    console = build_console(root / "data", seed=False)
    _seed(console, root)
    with served(console.app) as url:
        yield url


@pytest.fixture
def page(server: str) -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)
        context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        tab = context.new_page()
        problems: list[str] = []
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(str(e)))
        yield tab
        browser.close()
    assert not problems, problems


def test_an_officer_works_through_the_queue(page, tmp_path):
    expect = sync_api.expect
    page.goto("/console/risk/queue")
    page.fill("input[name=username]", "officer.kim")
    page.fill("input[name=password]", "officer.kim-secret")
    page.click("button[type=submit]")
    page.wait_for_url("**/console/risk/queue")
    rows = page.locator("#queue-table tbody tr")
    expect(rows.first.locator(".lane")).to_have_text("red")
    shot = os.environ.get("SMARTCUSTOMS_TEST_SCREENSHOT_QUEUE") or str(tmp_path / "queue.png")
    page.screenshot(path=shot)

    first = rows.first.locator("a")
    reference = first.inner_text()
    first.click()
    page.wait_for_url("**/declarations/*")
    risk = page.locator("#risk")
    expect(risk.locator("#risk-facts .lane")).to_have_text("red")
    expect(risk.locator("#reasons li").first).not_to_be_empty()

    page.check("input[name=irregular][value=yes]")
    page.fill("input[name=duty_recovered]", "125.40")
    page.fill("textarea[name=notes]", "short-shipped")
    page.get_by_role("button", name="Record result").click()
    page.wait_for_url("**?inspection=recorded*")
    expect(page.get_by_test_id("inspection-notice")).to_have_text("Inspection result recorded.")
    expect(page.locator("#inspection-result")).to_contain_text("125.40")
    shot = os.environ.get("SMARTCUSTOMS_TEST_SCREENSHOT_RISK") or str(tmp_path / "risk.png")
    page.screenshot(path=shot, full_page=True)

    page.get_by_role("link", name="Inspection queue").click()
    page.wait_for_url("**/console/risk/queue")
    expect(page.locator("#queue-table")).not_to_contain_text(reference)
