"""The classification assistant and the tariff panel of the declaration page (HTML over
TestClient; the browser test drives the same pages in Chromium)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from smartcustoms import tariff
from smartcustoms.db import unit_of_work
from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.identity import SYSTEM
from smartcustoms.tariff.tables import TariffPrecedentRow

from .conftest import NOW, TRADER_COMPANY, build_console, parse_html

TARIFF = "/console/tariff"


def install_model(console: Any, model: Any) -> None:
    """The session's classifier as the active version, and the vector's items verified."""
    ctx = console.app.state.ctx
    with unit_of_work(ctx.sessions) as db:
        tariff.store_model(db, ctx.settings, model, precedents_through=0,
                           administration_precedents=0, evaluation=None, actor=SYSTEM, now=NOW)
    with unit_of_work(ctx.sessions) as db:
        tariff.check_declaration(ctx.classifiers, db, ctx.settings, console.vector_id, now=NOW)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, tariff_model: Any) -> Path:
    root = tmp_path_factory.mktemp("tariff")
    built = build_console(root / "data", seed=True)
    install_model(built, tariff_model)
    (root / "vector_id").write_text(built.vector_id)
    built.app.state.ctx.engine.dispose()
    return root / "data"


@pytest.fixture(scope="module")
def vector_id(template: Path) -> str:
    return (template.parent / "vector_id").read_text()


def _page(response: Any) -> Any:
    return parse_html(response.text)


def _csrf(client: Any) -> str:
    return _page(client.get(TARIFF)).find("input", name="csrf_token").attrs["value"]


def test_staff_and_traders_find_the_assistant_in_the_navigation(as_user):
    for user in ("officer.kim", "trader.park", "analyst.lee"):
        nav = _page(as_user(user).get("/declarations")).find("nav", cls="mainnav")
        assert TARIFF in nav.links(), user


def test_suggestions_show_their_evidence(as_user):
    response = as_user("officer.kim").get(
        TARIFF, params={"q": "New pneumatic tyres of rubber for passenger motor cars"})
    assert response.status_code == 200
    doc = _page(response)
    assert doc.by_id("q").text == "New pneumatic tyres of rubber for passenger motor cars"
    cards = doc.by_id("suggestions").find_all("li", cls="suggestion")
    assert len(cards) == 5
    first = cards[0]
    assert first.attrs["data-hs6"] == "401110"
    levels = [li.attrs["data-level"] for li in first.find("ol", cls="path").find_all("li")]
    assert levels == ["section", "chapter", "heading", "subheading"]
    assert {m.text for m in first.find_all("mark")} & {"tyres", "pneumatic tyres", "rubber"}
    assert first.find("form", cls="accept").find("input", name="code").attrs["value"] == "401110"


def test_a_trader_gets_suggestions_but_cannot_record_precedents(as_user):
    doc = _page(as_user("trader.park").get(TARIFF, params={"q": "milk chocolate bar"}))
    cards = doc.by_id("suggestions").find_all("li", cls="suggestion")
    assert cards and cards[0].attrs["data-hs6"].startswith("1806")
    assert doc.find_all("form", cls="accept") == []


def test_htmx_gets_the_results_alone(as_user):
    response = as_user("officer.kim").get(TARIFF, params={"q": "milk chocolate bar"},
                                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert _page(response).by_id("suggestions")


def test_an_overlong_description_is_refused_with_a_message(as_user):
    response = as_user("officer.kim").get(TARIFF, params={"q": "x" * 5001})
    assert response.status_code == 422
    assert "longer than 5,000" in _page(response).by_id("classify-error").text


def test_the_declaration_page_shows_each_items_verdict_to_staff_only(shared, as_user,
                                                                   vector_id):
    doc = _page(as_user("officer.kim").get(f"/declarations/{vector_id}"))
    rows = doc.by_id("tariff-checks").find("tbody").find_all("tr")
    assert [r.attrs["data-item"] for r in rows] == ["1", "2"]
    assert all(r.attrs["data-verdict"] in ("fits", "doubtful", "misfit") for r in rows)
    assert f"{TARIFF}?declaration={vector_id}&item=1" in doc.by_id("tariff").links()
    assert _page(as_user("analyst.lee").get(f"/declarations/{vector_id}")).by_id("tariff-checks")
    with shared.app.state.ctx.sessions() as db:
        own = db.scalars(select(DeclarationRow.id).where(
            DeclarationRow.importer_id == TRADER_COMPANY)).first()
    trader_page = as_user("trader.park").get(f"/declarations/{own}")
    assert trader_page.status_code == 200
    assert 'id="tariff"' not in trader_page.text


def test_the_assistant_opened_from_an_item_is_prefilled(as_user, vector_id):
    doc = _page(as_user("officer.kim").get(TARIFF, params={"declaration": vector_id,
                                                           "item": "1"}))
    assert doc.by_id("q").text == "Wireless routers, Wi-Fi 6, 4 ports"
    assert "declared 851762" in doc.by_id("item-context").text
    form = doc.by_id("suggestions").find("form", cls="accept")
    assert form.find("input", name="declaration").attrs["value"] == vector_id
    assert form.find("input", name="item").attrs["value"] == "1"


def test_accepting_for_an_item_records_who_accepted_what(fresh, as_user, vector_id):
    ctx = fresh.app.state.ctx
    officer = as_user("officer.kim", fresh)
    declaration_id = vector_id
    response = officer.post(f"{TARIFF}/accept", data={
        "csrf_token": _csrf(officer), "code": "851762", "declaration": declaration_id,
        "item": "1", "description": "ignored: the item's own text is recorded"})
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/declarations/{declaration_id}?classified=851762#tariff")
    page = _page(officer.get(response.headers["location"]))
    assert "851762 accepted" in page.by_id("tariff").text
    with ctx.sessions() as db:
        row = db.scalars(select(TariffPrecedentRow)).one()
    assert (row.source, row.declaration_id, row.item_sequence, row.hs6) == (
        "accepted", declaration_id, 1, "851762")
    assert row.text == "Wireless routers, Wi-Fi 6, 4 ports"
    assert row.added_by is not None


def test_accepting_a_free_text_suggestion_is_idempotent(fresh, as_user):
    officer = as_user("officer.kim", fresh)
    form = {"csrf_token": _csrf(officer), "code": "570110",
            "description": "Hand-knotted carpet of wool, 2 x 3 m"}
    for _ in range(2):
        response = officer.post(f"{TARIFF}/accept", data=form)
        assert response.status_code == 303
    assert "accepted=570110" in response.headers["location"]
    with fresh.app.state.ctx.sessions() as db:
        assert len(db.scalars(select(TariffPrecedentRow)).all()) == 1
    # The index took it: the same text now brings its precedent as evidence.
    doc = _page(officer.get(response.headers["location"]))
    assert "recorded as a precedent" in doc.text
    first = doc.by_id("suggestions").find_all("li", cls="suggestion")[0]
    assert first.attrs["data-hs6"] == "570110"


def test_accepting_needs_the_csrf_token_and_the_permission(shared, as_user):
    officer = as_user("officer.kim")
    refused = officer.post(f"{TARIFF}/accept", data={"csrf_token": "0" * 64, "code": "570110",
                                                      "description": "carpet"})
    assert refused.status_code == 403
    trader = as_user("trader.park")
    denied = trader.post(f"{TARIFF}/accept", data={"csrf_token": _csrf(trader),
                                                    "code": "570110", "description": "carpet"})
    assert denied.status_code == 403


def test_an_invalid_code_is_refused_with_field_and_value(fresh, as_user):
    officer = as_user("officer.kim", fresh)
    response = officer.post(f"{TARIFF}/accept", data={
        "csrf_token": _csrf(officer), "code": "847100", "description": "a computer"})
    assert response.status_code == 422
    assert "847100" in response.text


def test_without_a_model_the_assistant_says_how_to_get_one(tmp_path, as_user):
    console = build_console(tmp_path / "data", seed=False, users=("officer.kim",))
    response = as_user("officer.kim", console).get(TARIFF, params={"q": "milk chocolate"})
    assert response.status_code == 422
    assert "smartcustoms tariff train" in _page(response).by_id("classify-error").text
