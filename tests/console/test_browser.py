"""Key console flows in a real browser: uvicorn on a free port, headless Chromium via Playwright.

Browsers cannot be downloaded here: set SMARTCUSTOMS_TEST_CHROMIUM to a Chromium binary
(Debian: /usr/bin/chromium); without it the module is skipped. Optionally set
SMARTCUSTOMS_TEST_SCREENSHOT to a .png path to keep a screenshot of the declaration list.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import served, skip_without_chromium

pytestmark = pytest.mark.browser

skip_without_chromium()
sync_api = pytest.importorskip("playwright.sync_api")

GOOD_AND_BAD = Path(__file__).resolve().parent / "kcs_good_and_bad.csv"


@pytest.fixture(scope="module")
def server(console) -> Iterator[str]:
    """The seeded console app served by uvicorn on 127.0.0.1, a free port, in a thread."""
    with served(console.app) as url:
        yield url


def log_in(page, username: str, path: str = "/declarations") -> None:
    page.goto(path)
    assert page.url.split("?")[0].endswith("/login"), "logged out pages go to the login form"
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username}-secret")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def test_an_officer_filters_by_hs_code_and_opens_a_declaration(page, console, tmp_path):
    expect = sync_api.expect
    log_in(page, "officer.kim")
    expect(page.get_by_test_id("user")).to_have_text("officer.kim")
    expect(page.get_by_test_id("role")).to_have_text("officer")
    expect(page.locator("#declarations tbody tr")).to_have_count(50)
    shot = Path(os.environ.get("SMARTCUSTOMS_TEST_SCREENSHOT") or tmp_path / "console.png")
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000

    page.evaluate("window.__sameDocument = true")  # gone if the browser loads a new page
    want = sum(r["HS6 Code"].startswith("85") for r in console.kcs_rows) + 1
    page.fill("input[name=hs]", "85")
    with page.expect_response(lambda r: "/declarations?" in r.url
                              and r.request.headers.get("hx-request") == "true") as answer:
        page.press("input[name=hs]", "Enter")
    assert answer.value.status == 200
    expect(page.locator("#declarations tbody tr")).to_have_count(want)
    expect(page.get_by_test_id("summary")).to_contain_text(f"of {want} declarations")
    assert page.evaluate("window.__sameDocument === true"), "htmx swapped the table in place"
    assert "hs=85" in page.url, "the filter is in the address bar (hx-push-url)"

    page.get_by_role("link", name="LRN-2026-000123").click()
    page.wait_for_url(f"**/declarations/{console.vector_id}")
    expect(page.locator("h1")).to_have_text("Declaration LRN-2026-000123")
    items = page.locator("#items tbody tr")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Wireless routers")
    expect(page.get_by_test_id("hs-description").nth(0)).to_contain_text(
        "Communication apparatus")

    page.go_back()  # the filtered list comes back
    page.wait_for_url("**/declarations?hs=85")
    expect(page.locator("#declarations tbody tr")).to_have_count(want)


def test_a_bad_filter_shows_its_reason_in_place_of_the_results(page, expected_errors):
    expected_errors.extend(["status of 422", "Error Code 422"])  # htmx logs it too
    log_in(page, "officer.kim")
    page.evaluate("window.__sameDocument = true")
    page.fill("input[name=origin]", "C")
    page.press("input[name=origin]", "Enter")
    flash = page.locator("#results .flash-error")
    sync_api.expect(flash).to_contain_text("origin must be an ISO 3166 alpha-2 code")
    assert page.evaluate("window.__sameDocument === true")
    page.fill("input[name=origin]", "CN")  # corrected: the results come back
    page.press("input[name=origin]", "Enter")
    sync_api.expect(page.locator("#declarations")).to_be_visible()
    sync_api.expect(page.locator("#results .flash-error")).to_have_count(0)


def test_an_analyst_uploads_a_file_and_reads_the_quarantine(page):
    log_in(page, "analyst.lee", "/imports")
    page.set_input_files("input[name=file]", str(GOOD_AND_BAD))
    page.select_option("select[name=mapping_name]", "kcs")
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/imports/2")
    expect = sync_api.expect
    expect(page.get_by_test_id("run-status")).to_have_text("completed")
    expect(page.get_by_test_id("quarantined")).to_have_text("2")
    records = page.locator("#quarantine-table tbody.record")
    expect(records).to_have_count(2)
    expect(records.nth(0)).to_contain_text("items[0].hs_code")
    expect(records.nth(0)).to_contain_text("must be 6, 8 or 10 digits")
    expect(records.nth(0).locator("code.value")).to_have_text("ABC")
    expect(records.nth(1)).to_contain_text("Net Mass")
    expect(records.nth(1)).to_contain_text("greater than 0")
    expect(records.nth(1).locator("code.value")).to_have_text("-5")


def test_a_trader_lists_only_their_own_declarations(page, console, expected_errors):
    log_in(page, "trader.park")
    assert page.locator("#declarations").count() == 1, page.locator("main").inner_text()
    mine = sorted(r["Declaration ID"] for r in console.kcs_rows
                  if "MG77MTE" in (r["Importer ID"], r["Declarant ID"]))
    sync_api.expect(page.locator("#declarations tbody tr")).to_have_count(len(mine))
    shown = page.locator("#declarations tbody tr td:first-child").all_inner_texts()
    assert sorted(shown) == mine


def test_a_trader_cannot_open_another_companys_declaration(page, console, expected_errors):
    expected_errors.append("status of 404")
    log_in(page, "trader.park", f"/declarations/{console.vector_id}")
    sync_api.expect(page.locator(".flash-title")).to_have_text("Not found")
    assert "LRN-2026-000123" not in page.content()


def test_logging_out_ends_the_session(page):
    log_in(page, "officer.kim")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/declarations")
    assert "/login?next=" in page.url
