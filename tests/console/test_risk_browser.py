"""Risk pages in a real browser: an officer's inspection round (queue → declaration → result
recorded) and an analyst reading a model version (list → calibration plot, importance).

Same setup as ``test_browser.py`` (uvicorn in a thread, headless Chromium through Playwright;
skipped without SMARTCUSTOMS_TEST_CHROMIUM), on the risk data of ``test_risk_pages.py``.
Console errors, CSP violations included, fail the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from smartcustoms.identity import SYSTEM
from smartcustoms.risk import insight

from .conftest import Console, build_console, served, skip_without_chromium
from .test_risk_pages import _seed

pytestmark = pytest.mark.browser

skip_without_chromium()
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def risk_console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    root = tmp_path_factory.mktemp("risk-browser")
    console = build_console(root / "data", seed=False)
    _seed(console, root)
    return console


@pytest.fixture(scope="module")
def server(risk_console: Console) -> Iterator[str]:
    with served(risk_console.app) as url:
        yield url


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


def test_an_analyst_opens_a_model_version_from_the_list(page, risk_console, tmp_path):
    expect = sync_api.expect
    with risk_console.app.state.ctx.sessions() as db:
        top = insight.model_insight(db, 2, actor=SYSTEM).importance[0]
    page.goto("/console/risk/models")
    page.fill("input[name=username]", "analyst.lee")
    page.fill("input[name=password]", "analyst.lee-secret")
    page.click("button[type=submit]")
    page.wait_for_url("**/console/risk/models")
    page.locator("#models tr[data-model='2'] td").first.get_by_role("link").click()
    page.wait_for_url("**/console/risk/models/2")
    plot = page.locator("svg#calibration-plot")
    expect(plot).to_be_visible()
    expect(plot.locator("circle.point")).to_have_count(10)
    box = plot.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200  # the CSS applies
    expect(page.get_by_role("img", name="Reliability diagram", exact=False)).to_be_visible()
    first = page.locator("#importance-list li").first
    expect(first).to_have_attribute("data-feature", top.feature)
    expect(first).to_contain_text(top.label)
    bar = first.locator("svg.bar").bounding_box()
    assert bar is not None and bar["width"] > 50
    expect(page.locator("#promote")).to_have_attribute("href", "/console/risk/models/2/promote")
    shot = os.environ.get("SMARTCUSTOMS_TEST_SCREENSHOT_MODEL") or str(tmp_path / "model.png")
    page.screenshot(path=shot, full_page=True)
