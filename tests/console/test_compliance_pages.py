"""The screening page (search, the queue of open hits) and the compliance panel of the
declaration page (hits with their reasons and decisions; unit values against bands)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from smartcustoms.db import unit_of_work
from smartcustoms.declarations import submit_declaration
from smartcustoms.identity import SYSTEM
from smartcustoms.screening import service as screening
from smartcustoms.screening.models import Alias, EntryKind, ListEntry, ScreeningList, SourceFile

from .conftest import NOW, VECTOR, build_console, parse_html

SCREENING = "/console/screening"
BANK = ListEntry("test-list", "1", EntryKind.entity, "BANCO NACIONAL DE CUBA",
                 aliases=(Alias("BNC"),), programs=("CUBA",))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A console with a small list, and a declaration whose seller resembles the bank."""
    root = tmp_path_factory.mktemp("compliance")
    built = build_console(root / "data", seed=True)
    ctx = built.app.state.ctx
    source = SourceFile("test.csv", "a" * 64, 1, 1)
    data = copy.deepcopy(json.loads(VECTOR.read_text()))
    data["reference"] = "LRN-SCREEN"
    data["parties"][3]["name"] = "Banco Nacional de Cuba S.A."
    with unit_of_work(ctx.sessions) as db:
        screening.store_list(db, ScreeningList("test-list", "Test", "2026-11-01", (source,),
                                               (BANK,)), origin="test", actor=SYSTEM, now=NOW)
        declaration_id = submit_declaration(db, data, actor=SYSTEM, now=NOW).declaration.id
    with unit_of_work(ctx.sessions) as db:
        screening.screen_declaration(ctx.screeners, db, declaration_id, now=NOW)
    (root / "screened_id").write_text(declaration_id)
    ctx.engine.dispose()
    return root / "data"


@pytest.fixture(scope="module")
def screened_id(template: Path) -> str:
    return (template.parent / "screened_id").read_text()


def _page(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return parse_html(response.text)


def test_everyone_screens_but_only_officers_see_the_queue(as_user: Any) -> None:
    for user in ("officer.kim", "trader.park", "analyst.lee"):
        nav = _page(as_user(user).get("/declarations")).find("nav", cls="mainnav")
        assert SCREENING in nav.links(), user
    assert _page(as_user("officer.kim").get(SCREENING)).find_all(id="queue")
    assert not _page(as_user("trader.park").get(SCREENING)).find_all(id="queue")


def test_a_search_shows_hits_with_their_reasons(as_user: Any) -> None:
    doc = _page(as_user("trader.park").get(SCREENING, params={"name": "BNC"}))
    hit = doc.by_id("hits").find("li", cls="hit")
    assert hit.attrs["data-entry"] == "test-list/1"
    assert "BANCO NACIONAL DE CUBA" in hit.text and "alias (aka)" in hit.text
    assert any("bnc ~ bnc" in li.text for li in hit.find("ul", cls="reasons").find_all("li"))
    clean = _page(as_user("trader.park").get(SCREENING, params={"name": "Hanse Maschinenbau"}))
    assert clean.by_id("no-hit")
    fragment = as_user("trader.park").get(SCREENING, params={"name": "BNC"},
                                          headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="hits"' in fragment.text


def test_the_declaration_page_shows_hits_to_staff_only(as_user: Any, screened_id: str
                                                       ) -> None:
    doc = _page(as_user("officer.kim").get(f"/declarations/{screened_id}"))
    hits = doc.by_id("screening-hits").find_all("li", cls="hit")
    assert [h.attrs["data-status"] for h in hits] == ["open"]
    assert "Banco Nacional de Cuba S.A." in hits[0].text
    assert hits[0].find("form", cls="decide")
    assert doc.by_id("no-valuation")  # no bands fitted in this console
    analyst = _page(as_user("analyst.lee").get(f"/declarations/{screened_id}"))
    assert not analyst.by_id("screening-hits").find_all("form", cls="decide")


def test_an_officer_clears_a_false_positive(fresh: Any, as_user: Any, screened_id: str
                                            ) -> None:
    client = as_user("officer.kim", fresh)
    doc = _page(client.get(f"/declarations/{screened_id}"))
    form = doc.by_id("screening-hits").find("form", cls="decide")
    csrf = form.find("input", name="csrf_token").attrs["value"]
    short = client.post(form.attrs["action"], data={"csrf_token": csrf, "back": "declaration",
                                                    "decision": "false_positive", "note": ""})
    assert short.status_code == 422
    done = client.post(form.attrs["action"], data={
        "csrf_token": csrf, "back": "declaration", "decision": "false_positive",
        "note": "another company: registry number differs"})
    assert done.status_code == 303
    assert done.headers["location"].endswith("?screened=cleared#compliance")
    after = _page(client.get(done.headers["location"]))
    hit = after.by_id("screening-hits").find("li", cls="hit")
    assert hit.attrs["data-status"] == "cleared"
    assert "registry number differs" in hit.text and not hit.find_all("form")
    queue = _page(client.get(SCREENING))
    assert queue.by_id("empty-queue")
