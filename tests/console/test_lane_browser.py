"""A supervisor changes the lane settings in a real browser: preview, office row, save,
history.

Same setup as ``test_risk_browser.py`` (uvicorn in a thread, headless Chromium through
Playwright; skipped without SMARTCUSTOMS_TEST_CHROMIUM), on the data of
``test_lane_pages.py``. Console errors, CSP violations included, fail the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .conftest import Console, build_console, served, skip_without_chromium
from .test_lane_pages import BUSY_OFFICE, _counts, seed_lane_data

pytestmark = pytest.mark.browser

skip_without_chromium()
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    root = tmp_path_factory.mktemp("lane-browser")
    built = build_console(root / "data", seed=False)
    seed_lane_data(built, root)
    return built


@pytest.fixture(scope="module")
def server(console: Console) -> Iterator[str]:
    with served(console.app) as url:
        yield url


def test_a_supervisor_raises_red_capacity_previews_and_saves(page, console, tmp_path):
    expect = sync_api.expect
    counts = _counts(console, BUSY_OFFICE)
    three_a_day = f"{sum(min(3, n) for n in counts) / len(counts):.1f}"
    page.goto("/console/risk/lanes")
    page.fill("input[name=username]", "supervisor.choi")
    page.fill("input[name=password]", "supervisor.choi-secret")
    page.click("button[type=submit]")
    page.wait_for_url("**/console/risk/lanes")
    red = page.locator(f'#preview-table tr[data-office="{BUSY_OFFICE}"] td[data-slots=red]')
    before = red.get_by_test_id("slots").inner_text()
    assert before != three_a_day

    page.select_option("select[name=red_kind]", "count")
    page.fill("input[name=red_value]", "3")
    page.get_by_role("button", name="Preview").click()  # htmx: the editor is swapped
    expect(red.get_by_test_id("slots")).to_have_text(three_a_day)
    expect(red.get_by_test_id("in-force")).to_have_text(f"now {before}")

    page.get_by_role("button", name="Add an office").click()
    office = page.locator("#office-capacity tr[data-office-row='0']")
    office.locator("input[name=office]").fill("30")
    office.locator("select[name=office_red_kind]").select_option("count")
    office.locator("input[name=office_red_value]").fill("10")
    page.fill("input[name=note]", "office 30 has two more inspectors")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator('#preview-table tr[data-office="30"]')).to_contain_text("own capacity")
    shot = os.environ.get("SMARTCUSTOMS_TEST_SCREENSHOT_LANES") or str(tmp_path / "lanes.png")
    page.screenshot(path=shot, full_page=True)

    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/console/risk/lanes?saved=2")
    expect(page.get_by_test_id("notice")).to_have_text("Version 2 saved: it is in force.")
    expect(page.get_by_test_id("in-force-version")).to_have_text("#2")
    latest = page.locator("#lane-history tr[data-version='2']")
    expect(latest).to_contain_text("office 30 has two more inspectors")
    expect(latest).to_contain_text("in force")
    expect(red.get_by_test_id("slots")).to_have_text(three_a_day)
    expect(page.locator("#lane-history tr[data-version='1'] button")).to_have_text(
        "Re-activate")
