"""An officer classifies a declared item in a real browser: from the declaration's tariff
panel to the assistant, a new description swapped in by htmx, accepting a code, back on
the declaration with the notice.

Same setup as the other browser tests (uvicorn in a thread, headless Chromium through
Playwright; skipped without SMARTCUSTOMS_TEST_CHROMIUM). Console errors, CSP violations
included, fail the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Console, build_console, password_of, served, skip_without_chromium
from .test_tariff_pages import install_model

pytestmark = pytest.mark.browser

skip_without_chromium()
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, tariff_model: Any) -> Console:
    built = build_console(tmp_path_factory.mktemp("tariff-browser") / "data", seed=True)
    install_model(built, tariff_model)
    return built


@pytest.fixture(scope="module")
def server(console: Console) -> Iterator[str]:
    with served(console.app) as url:
        yield url


def test_an_officer_classifies_an_item_and_accepts_a_code(page: Any, console: Console) -> None:
    expect = sync_api.expect
    page.goto(f"/declarations/{console.vector_id}")
    page.fill("input[name=username]", "officer.kim")
    page.fill("input[name=password]", password_of("officer.kim"))
    page.click("button[type=submit]")
    page.wait_for_url(f"**/declarations/{console.vector_id}")
    checks = page.locator("#tariff-checks tbody tr")
    expect(checks).to_have_count(2)

    checks.nth(1).get_by_role("link", name="Classify…").click()
    page.wait_for_url("**/console/tariff?declaration=*&item=2")
    expect(page.locator("#q")).to_have_value("Lithium-ion battery packs for laptops")
    expect(page.locator("#item-context")).to_contain_text("For item 2")

    # The officer describes the goods more precisely: htmx swaps the results and keeps the
    # item context (the precedent records the item's own description).
    page.fill("#q", "Lithium-ion accumulator battery pack for notebook computers")
    page.get_by_role("button", name="Suggest codes").click()
    first = page.locator("#suggestions > li").first
    expect(first).to_have_attribute("data-hs6", "850760")
    expect(first.locator("ol.path li")).to_have_count(4)
    assert "declaration=" in page.url and "item=2" in page.url  # in the history, with the item

    first.get_by_role("button", name="Accept 850760").click()
    page.wait_for_url(f"**/declarations/{console.vector_id}?classified=850760*")
    expect(page.locator("#tariff [data-testid=notice]")).to_contain_text("850760 accepted")
