"""Transit in a real browser: the Leaflet map draws corridors, zones and positions
without any tile server; an alert raised by telemetry ingested on the server appears in
the queue over the WebSocket without a reload; the trip page's replay slider moves the
marker and the shown state.

Same setup as the other browser tests (uvicorn in a thread, headless Chromium through
Playwright; skipped without SMARTCUSTOMS_TEST_CHROMIUM). Console errors, CSP violations
included, and requests leaving the server fail the test. The live-queue test needs a
WebSocket library in uvicorn (``websockets`` or ``wsproto``).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import password_of, served, skip_without_chromium
from .test_transit_pages import (
    REF,
    SCENARIO,
    TransitConsole,
    ingest,
    open_console,
    seed_transit,
    telemetry,
)

pytestmark = pytest.mark.browser

skip_without_chromium()
sync_api = pytest.importorskip("playwright.sync_api")

# Before noon the truck is on its corridor; the detour (route deviation) comes later.
SPLIT = SCENARIO.deliveries[0].received_at.replace(hour=12, minute=0, second=0,
                                                   microsecond=0)
SHOTS = Path("/tmp")
HAS_WS = any(importlib.util.find_spec(m) for m in ("websockets", "wsproto"))


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TransitConsole]:
    template = seed_transit(tmp_path_factory.mktemp("transit-browser-template") / "data")
    built = open_console(template, tmp_path_factory.mktemp("transit-browser") / "data")
    ingest(built.service, telemetry(SCENARIO, before=SPLIT))
    yield built
    built.app.state.ctx.engine.dispose()


@pytest.fixture(scope="module")
def server(console: TransitConsole) -> Iterator[str]:
    with served(console.app) as url:
        yield url


def _login(page: Any, path: str) -> None:
    page.goto(path)
    page.fill("input[name=username]", "officer.kim")
    page.fill("input[name=password]", password_of("officer.kim"))
    page.click("button[type=submit]")
    page.wait_for_url("**" + path)


def test_map_draws_corridors_zones_and_trip_positions(page: Any) -> None:
    expect = sync_api.expect
    _login(page, f"/console/transit/trips/{REF}")
    overlay = page.locator("#transit-map .leaflet-overlay-pane")
    expect(overlay.locator("path.corridor-band")).to_have_count(1)
    expect(overlay.locator("path.zone")).to_have_count(len(SCENARIO.corridor.zones))
    expect(overlay.locator("path.zone-dot")).to_have_count(len(SCENARIO.corridor.zones))
    assert overlay.locator("path.track-inside").count() >= 1
    expect(page.locator("#transit-map .leaflet-marker-icon")).to_have_count(1)
    band_width = float(overlay.locator("path.corridor-band").get_attribute("stroke-width"))
    assert band_width >= 4  # sized from the corridor's width in metres, at least 4 px

    # The replay: the slider starts at the end; moving it moves the marker and the state.
    expect(page.locator("#replay")).to_be_visible()
    slider = page.locator("#replay-slider")
    end_time = page.locator("#replay-time").inner_text()
    end_position = page.locator("#replay-position").inner_text()
    marker = overlay.locator("path.replay-marker")
    end_shape = marker.get_attribute("d")
    slider.fill("0")
    expect(page.locator("#replay-time")).not_to_have_text(end_time)
    expect(page.locator("#replay-position")).not_to_have_text(end_position)
    assert marker.get_attribute("d") != end_shape
    assert page.locator("#replay-time").inner_text().startswith(
        SCENARIO.deliveries[0].received_at.strftime("%Y-%m-%d"))
    expect(page.locator("#replay-corridor")).to_contain_text("inside")
    page.screenshot(path=str(SHOTS / "transit-trip.png"), full_page=True)


@pytest.mark.skipif(not HAS_WS, reason="uvicorn has no WebSocket library (websockets or "
                    "wsproto); the live queue cannot be served")
def test_alert_appears_live_in_the_queue(page: Any, console: TransitConsole) -> None:
    expect = sync_api.expect
    _login(page, "/console/transit")
    overlay = page.locator("#transit-map .leaflet-overlay-pane")
    expect(overlay.locator("path.corridor-band")).to_have_count(1)
    expect(page.locator("#transit-map .leaflet-marker-icon")).to_have_count(1)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    queue = page.locator("#queue-rows tr")
    before = queue.count()
    assert page.locator("#queue-rows tr", has_text="route_deviation").count() == 0
    progress = page.locator(f"#trips tr[data-trip='{REF}'] .progress")
    progress_before = progress.inner_text()
    page.evaluate("window.notReloaded = true")

    ingest(console.service, telemetry(SCENARIO, after=SPLIT))
    pushed = time.monotonic()
    row = page.locator("#queue-rows tr", has_text="route_deviation")
    expect(row).to_have_count(1, timeout=2000)
    assert time.monotonic() - pushed < 2.0
    assert page.evaluate("window.notReloaded") is True
    assert queue.count() > before
    expect(row.locator(".case-status")).to_have_text("open")
    count = page.locator(f"#trips tr[data-trip='{REF}'] .open-alerts")
    expect(count).to_have_text(str(queue.count()))
    expect(page.locator("#queue-count")).to_have_text(str(queue.count()))
    expect(progress).not_to_have_text(progress_before)  # the trips table follows too
    page.screenshot(path=str(SHOTS / "transit-overview.png"), full_page=True)

    # The alert's page: the track around it on a small map, inside and outside.
    row.get_by_role("link", name="route_deviation").click()
    page.wait_for_url("**/console/transit/alerts/*")
    expect(overlay.locator("path.track-outside").first).to_be_attached()
    expect(page.locator("#resolve-form")).to_be_visible()
    page.screenshot(path=str(SHOTS / "transit-alert.png"), full_page=True)


def test_names_in_tooltips_stay_text(page: Any, server: str) -> None:
    """A zone named with markup (names come from users: corridors are added over the API)
    shows the markup as text: Leaflet would insert a string tooltip as HTML."""
    name = SCENARIO.corridor.zones[0].name
    marked = name + " <b id=injected>bold</b>"

    def rename(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace(f'"name": "{name}"', f'"name": "{marked}"')
        route.fulfill(response=response, body=body)

    _login(page, "/console/transit")  # the session first, then the doctored page
    page.route(f"**/console/transit/trips/{REF}", rename)
    page.goto(f"/console/transit/trips/{REF}")
    dot = page.locator("#transit-map .leaflet-overlay-pane path.zone-dot").first
    dot.dispatch_event("mouseover")
    tooltip = page.locator(".leaflet-tooltip").first
    sync_api.expect(tooltip).to_contain_text("<b id=injected>bold</b>")
    assert page.locator("#injected").count() == 0
