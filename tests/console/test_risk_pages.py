"""Risk pages of the console: the declaration's risk panel and inspection form, the queue,
models, rules and lists, feedback; who sees what, CSRF on every form.

Data: the first 1,500 rows of the KCS sample with their ``Fraud`` outcomes, a promoted model,
a candidate trained on other windows, one rule (valid from 2021) and lanes decided for
2021-04-12 to 2021-04-15 — built once per module (about 2 s). Read-only tests share it;
tests that write get a copy of its SQLite file (``fresh``), so no test depends on another.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from threadpoolctl import threadpool_limits

from smartcustoms.db import unit_of_work
from smartcustoms.identity import SYSTEM, Role
from smartcustoms.risk import insight, lanes, rule_store, service
from smartcustoms.risk.evaluate import Window
from smartcustoms.risk.outcomes import OFFICER, OutcomeColumns, record_source_outcomes
from smartcustoms.risk.selectivity import Lane, LaneSettings
from smartcustoms.risk.tables import (
    InspectionRow,
    LaneDecisionRow,
    RiskListRow,
    RiskModelRow,
)

from .conftest import NOW, TRADER_COMPANY, Console, build_console, parse_html, seed_kcs

ROWS = 1500
LANE_WINDOW = Window(dt.date(2021, 4, 12), dt.date(2021, 4, 15))
QUEUE = "/console/risk/queue"
MODELS = "/console/risk/models"
RULES = "/console/risk/rules"
LISTS = "/console/risk/lists"
LANES = "/console/risk/lanes"
FEEDBACK = "/console/risk/feedback"
RULE_CONDITION = 'origin = "CN" and hs2 = "85"'
EXTRA_USERS = {"supervisor.choi": Role.supervisor, "admin.root": Role.admin}


def _seed(console: Console, tmp: Path) -> None:
    """KCS rows and outcomes, two models (one promoted), a rule, lanes for four days.

    LightGBM runs on one OpenMP thread here: on a busy machine its spinning threads made
    the same training take 10 to 40 times longer.
    """
    with threadpool_limits(1):
        _seed_data(console, tmp)


def _seed_data(console: Console, tmp: Path) -> None:
    seed_kcs(console, tmp, ROWS, EXTRA_USERS)
    sessions = console.app.state.ctx.sessions
    with unit_of_work(sessions) as db:
        record_source_outcomes(db, OutcomeColumns(irregular="Fraud"), actor=SYSTEM, now=NOW)
        version, _ = service.train_model(db, actor=SYSTEM, now=NOW)
        service.promote_model(db, version.id, actor=SYSTEM, now=NOW)
        service.train_model(db, actor=SYSTEM, now=NOW,  # a candidate: other windows
                            train=Window(dt.date(2021, 4, 1), dt.date(2021, 4, 8)),
                            valid=Window(dt.date(2021, 4, 9), dt.date(2021, 4, 15)))
        rule_store.create_rule(db, name="electronics from CN", condition=RULE_CONDITION,
                               lane=Lane.yellow, actor=SYSTEM, now=NOW, priority=2,
                               valid_from=dt.date(2021, 1, 1))
    with unit_of_work(sessions) as db:
        lanes.decide_lanes(db, LANE_WINDOW, actor=SYSTEM, now=NOW,
                           settings=LaneSettings(seed=3))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded data folder, never served: consoles run on copies of it."""
    root = tmp_path_factory.mktemp("risk")
    built = build_console(root / "data", seed=False)
    _seed(built, root)
    built.app.state.ctx.engine.dispose()
    return root / "data"



def _page(response):
    return parse_html(response.text)


def _csrf(client: TestClient, path: str = "/declarations") -> str:
    return _page(client.get(path)).find("input", name="csrf_token").attrs["value"]


def _queue(client: TestClient, **params: str) -> list[dict[str, object]]:
    """The queue's rows: declaration id, lane, P, the texts of the row's cells."""
    table = _page(client.get(QUEUE, params=params)).by_id("queue-table")
    out = []
    for tr in table.find("tbody").find_all("tr"):
        if "data-declaration" not in tr.attrs:
            continue
        cells = [c.text for c in tr.find_all("td")]
        out.append({"id": tr.attrs["data-declaration"], "lane": tr.find(cls="lane").text,
                    "p": float(cells[4]), "cells": cells,
                    "reasons": [li.text for li in tr.find("td", cls="why").find_all("li")]})
    return out


def _nav(client: TestClient) -> list[str]:
    return _page(client.get("/declarations")).find("nav", cls="mainnav").links()


def _flash_code(response) -> str:
    return _page(response).find(cls="flash-error").attrs["data-code"]


# --- navigation and who may see what --------------------------------------------------------

class TestAccess:
    def test_each_role_sees_the_risk_pages_it_may_use(self, as_user):
        staff = [MODELS, RULES, LANES, FEEDBACK]
        # The classification assistant, screening and origin verification: every role.
        every = ["/console/tariff", "/console/screening", "/console/origin"]
        transit = "/console/transit"  # staff only
        assert _nav(as_user("officer.kim")) == ["/declarations", QUEUE, *every, transit,
                                                *staff]
        assert _nav(as_user("supervisor.choi")) == ["/declarations", QUEUE, "/imports",
                                                    *every, transit, *staff]
        assert _nav(as_user("analyst.lee")) == ["/declarations", "/imports", *every, transit,
                                                *staff]
        assert _nav(as_user("trader.park")) == ["/declarations", *every]

    @pytest.mark.parametrize("path", [QUEUE, MODELS, RULES, LANES, FEEDBACK,
                                      f"{MODELS}/1", f"{MODELS}/1/promote"])
    def test_a_trader_gets_a_403_page_on_every_risk_page(self, as_user, path):
        response = as_user("trader.park").get(path)
        assert response.status_code == 403
        assert _flash_code(response) == "permission-denied"
        assert "P(irregular)" not in response.text

    def test_the_queue_is_for_those_who_record_inspections(self, as_user):
        response = as_user("analyst.lee").get(QUEUE)
        assert response.status_code == 403
        assert "inspections:record" in _page(response).find(cls="flash-error").text

    def test_a_visitor_without_a_session_goes_to_the_login_form(self, shared):
        response = shared.client().get(QUEUE + "?lane=red")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fconsole%2Frisk%2Fqueue%3Flane%3Dred"


# --- the inspection queue -------------------------------------------------------------------

class TestQueue:
    def test_red_comes_first_then_the_most_likely_irregular(self, as_user):
        rows = _queue(as_user("officer.kim"), limit="500")
        assert rows and rows[0]["lane"] == "red"
        lanes_seen = [r["lane"] for r in rows]
        assert set(lanes_seen) == {"red", "yellow"}
        assert lanes_seen == sorted(lanes_seen, key=lambda lane: lane != "red")
        for lane in ("red", "yellow"):
            p = [r["p"] for r in rows if r["lane"] == lane]
            assert p == sorted(p, reverse=True)

    def test_a_row_links_the_declaration_and_shows_its_first_two_reasons(self, as_user):
        page = _page(as_user("officer.kim").get(QUEUE))
        [first] = page.by_id("queue-table").find("tbody").find_all("tr")[:1]
        assert first.find("a").attrs["href"] == f"/declarations/{first.attrs['data-declaration']}"
        reference, date, office = (c.text for c in first.find_all("td")[:3])
        assert reference.isdigit() and date.startswith("2021-04-1") and office
        assert 1 <= len(first.find("td", cls="why").find_all("li")) <= 2

    def test_filters_by_lane_and_office(self, as_user):
        officer = as_user("officer.kim")
        yellow = _queue(officer, lane="yellow", limit="500")
        assert yellow and {r["lane"] for r in yellow} == {"yellow"}
        office = _queue(officer, limit="500")[0]["cells"][2]
        in_office = _queue(officer, office=office, limit="500")
        assert in_office and {r["cells"][2] for r in in_office} == {office}
        form = _page(officer.get(QUEUE, params={"lane": "yellow"})).find("form", role="search")
        assert form.find("option", selected="").attrs["value"] == "yellow"

    def test_the_limit_pages_the_queue_with_show_more(self, as_user):
        officer = as_user("officer.kim")
        page = _page(officer.get(QUEUE, params={"limit": "5", "lane": "red"}))
        assert len(page.by_id("queue-table").find("tbody").find_all("tr")) == 5
        more = page.find("a", rel="next")
        assert more.attrs["href"] == f"{QUEUE}?lane=red&limit=55"
        assert more.attrs["hx-get"] == more.attrs["href"]
        everything = _queue(officer, limit="500")
        assert len(everything) < 500
        assert not _page(officer.get(QUEUE, params={"limit": "500"})).find_all("a", rel="next")

    def test_an_htmx_request_gets_the_table_and_pushes_the_address(self, as_user):
        response = as_user("officer.kim").get(QUEUE + "?lane=red&office=",
                                               headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "<html" not in response.text and "<form" not in response.text
        assert response.headers["HX-Push-Url"] == f"{QUEUE}?lane=red"

    def test_a_plain_search_goes_to_the_address_without_empty_fields(self, as_user):
        response = as_user("officer.kim").get(QUEUE + "?office=&lane=yellow")
        assert (response.status_code, response.headers["location"]) == \
            (303, f"{QUEUE}?lane=yellow")

    def test_bad_filters_are_shown_beside_their_fields(self, as_user):
        response = as_user("officer.kim").get(QUEUE, params={"lane": "green", "limit": "0"})
        assert response.status_code == 422
        page = _page(response)
        form = page.find("form", role="search")
        assert form.find(cls="field-error", data_field="lane").text == \
            "the queue holds the red and yellow lanes"
        assert form.find("select", name="lane").attrs["aria-invalid"] == "true"
        assert "limit must be a whole number from 1 to 500" in page.by_id("queue").text
        assert not page.find_all("table", id="queue-table")


# --- the declaration's risk panel and the inspection form -----------------------------------

def _first_in_queue(client: TestClient, **params: str) -> str:
    return str(_queue(client, **params)[0]["id"])


def _post_result(client: TestClient, declaration_id: str, csrf: str | None = None,
                 **fields: str):
    data = {"csrf_token": _csrf(client) if csrf is None else csrf, **fields}
    return client.post(f"/declarations/{declaration_id}/inspection", data=data)


def _officer_records(console: Console, declaration_id: str) -> list[InspectionRow]:
    with console.app.state.ctx.sessions() as db:
        return list(db.scalars(select(InspectionRow).where(
            InspectionRow.declaration_id == declaration_id, InspectionRow.source == OFFICER)))


class TestRiskPanel:
    def test_an_officer_sees_lane_how_probability_model_and_reasons(self, as_user):
        officer = as_user("officer.kim")
        first = _queue(officer)[0]
        page = _page(officer.get(f"/declarations/{first['id']}"))
        risk = page.by_id("risk")
        assert risk.find("h2").find(cls="lane").attrs["data-lane"] == "red"
        facts = dict(zip([d.text for d in risk.by_id("risk-facts").find_all("dt")],
                         [d.text for d in risk.by_id("risk-facts").find_all("dd")], strict=True))
        assert facts["Lane"] == "red"
        assert facts["Selected"] in ("by the model's ranking", "at random")
        assert float(facts["P(irregular)"]) == pytest.approx(first["p"], abs=5e-4)
        assert 0 < float(facts["Propensity"]) <= 1
        assert facts["Model"] == "#1"
        assert facts["Rules fired"] == "none"
        reasons = [li.text for li in risk.by_id("reasons").find_all("li")]
        assert len(reasons) >= 2 and reasons[:2] == first["reasons"]
        form = risk.by_id("inspection-form")
        assert form.attrs["action"] == f"/declarations/{first['id']}/inspection"
        assert form.find("input", name="csrf_token").attrs["value"]
        assert form.find("input", name="inspected_on").attrs["value"] == "2026-11-20"

    def test_a_declaration_a_rule_selected_names_the_rule(self, as_user):
        officer = as_user("officer.kim")
        picked = [r for r in _queue(officer, lane="yellow", limit="500")
                  if r["reasons"] and r["reasons"][0].startswith("rule 1:")]
        assert picked, "the fixture's rule selects some declarations"
        risk = _page(officer.get(f"/declarations/{picked[0]['id']}")).by_id("risk")
        assert risk.find(data_selected_by="rule").text == "by a rule"
        assert risk.by_id("rules-fired").text == "#1 electronics from CN"

    def test_an_analyst_reads_the_panel_but_has_no_form(self, as_user):
        analyst = as_user("analyst.lee")
        declaration = _first_in_queue(as_user("officer.kim"))
        risk = _page(analyst.get(f"/declarations/{declaration}")).by_id("risk")
        assert risk.by_id("reasons").find_all("li")
        assert not risk.find_all("form")

    def test_a_declaration_without_a_lane_says_so(self, as_user):
        officer = as_user("officer.kim")
        page = _page(officer.get("/declarations", params={"lrn": "13935563"}))  # 2021-04-01
        [href] = [h for h in page.by_id("declarations").links() if h.startswith("/decl")]
        risk = _page(officer.get(href)).by_id("risk")
        assert risk.by_id("no-lane").text.startswith("No lane has been decided")
        assert "source-file" in risk.by_id("source-result").text  # the sample's outcome
        assert risk.find_all("form", id="inspection-form")

    def test_a_trader_never_sees_risk_data(self, shared, as_user):
        trader = as_user("trader.park")
        mine = [r for r in _page(trader.get("/declarations")).by_id("declarations").links()
                if r.startswith("/declarations/")]
        assert len(mine) == 8  # the importer's rows among the first 1,500
        with shared.app.state.ctx.sessions() as db:
            decided = set(db.scalars(select(LaneDecisionRow.declaration_id)))
        assert any(h.rsplit("/", 1)[1] in decided for h in mine), "one of them has a lane"
        for href in mine:
            response = trader.get(href)
            assert response.status_code == 200
            page = _page(response)
            assert not page.find_all(id="risk") and not page.find_all(cls="lane")
            for word in ("P(irregular)", "Propensity", "Inspection result", "lane"):
                assert word not in response.text
        assert TRADER_COMPANY in _page(trader.get(mine[0])).find("main").text


class TestRecording:
    def test_an_officer_records_a_result_which_takes_it_off_the_queue(self, fresh, as_user,
                                                                      monkeypatch):
        invalidated: list[bool] = []
        monkeypatch.setattr(fresh.app.state.ctx.scorer, "invalidate",
                            lambda: invalidated.append(True))
        officer = as_user("officer.kim", fresh)
        declaration = _first_in_queue(officer)
        response = _post_result(officer, declaration, irregular="yes", critical="yes",
                                duty_recovered="125.40", notes="short-shipped\n2 cartons",
                                inspected_on="2026-11-19")
        assert response.status_code == 303
        assert response.headers["location"] == \
            f"/declarations/{declaration}?inspection=recorded#risk"
        assert invalidated == [True]  # the next submission sees the outcome

        risk = _page(officer.get(response.headers["location"])).by_id("risk")
        assert risk.find(data_testid="inspection-notice").text == "Inspection result recorded."
        stored = risk.by_id("inspection-result").text
        for expected in ("irregular", "critical", "125.40", "2026-11-19", "short-shipped",
                         "by officer.kim"):
            assert expected in stored
        assert declaration not in {r["id"] for r in _queue(officer, limit="500")}

        form = risk.by_id("inspection-form")  # a correction starts from the stored values
        assert form.find("input", value="yes", name="irregular").attrs.get("checked") == ""
        assert form.find("input", name="duty_recovered").attrs["value"] == "125.40"
        assert form.find("button").text == "Save correction"

    def test_a_correction_replaces_the_record(self, fresh, as_user):
        officer = as_user("officer.kim", fresh)
        declaration = _first_in_queue(officer)
        _post_result(officer, declaration, irregular="yes", duty_recovered="10")
        response = _post_result(officer, declaration, irregular="no")
        assert response.headers["location"].endswith("?inspection=corrected#risk")
        risk = _page(officer.get(response.headers["location"])).by_id("risk")
        assert "corrected" in risk.find(data_testid="inspection-notice").text
        assert risk.by_id("inspection-result").text.startswith("Found regular")
        [row] = _officer_records(fresh, declaration)
        assert (row.irregular, row.duty_recovered, row.critical) == (False, None, False)

    def test_errors_are_shown_beside_their_fields_with_what_was_typed(self, fresh, as_user):
        officer = as_user("officer.kim", fresh)
        declaration = _first_in_queue(officer)
        response = _post_result(officer, declaration, duty_recovered="12,5",
                                inspected_on="19.11.2026", notes="kept")
        assert response.status_code == 422
        form = _page(response).by_id("inspection-form")
        errors = {e.attrs["data-field"]: e.text for e in form.find_all(cls="field-error")}
        assert errors == {
            "irregular": "choose whether the inspection found an irregularity",
            "duty_recovered": "write an amount with a decimal point, e.g. 1200.50",
            "inspected_on": "dates are written YYYY-MM-DD",
        }
        assert form.find("input", name="duty_recovered").attrs["value"] == "12,5"
        assert form.find("textarea", name="notes").text == "kept"
        assert not _officer_records(fresh, declaration)

    @pytest.mark.parametrize(("fields", "field", "message"), [
        ({"irregular": "no", "critical": "yes"}, "critical", "a critical finding is an"),
        ({"irregular": "no", "inspected_on": "2021-01-01"}, "inspected_on",
         "the inspection date is before the declaration's"),
        ({"irregular": "yes", "duty_recovered": "-1"}, "duty_recovered", "cannot be negative"),
    ])
    def test_the_services_refusals_are_shown_beside_the_field(self, fresh, as_user, fields,
                                                              field, message):
        officer = as_user("officer.kim", fresh)
        declaration = _first_in_queue(officer)
        response = _post_result(officer, declaration, **fields)
        assert response.status_code == 422
        error = _page(response).by_id("inspection-form").find(cls="field-error",
                                                               data_field=field)
        assert message in error.text
        assert not _officer_records(fresh, declaration)

    def test_without_the_csrf_token_nothing_is_recorded(self, fresh, as_user):
        officer = as_user("officer.kim", fresh)
        declaration = _first_in_queue(officer)
        for csrf in ("", "0" * 64):
            response = _post_result(officer, declaration, csrf=csrf, irregular="yes")
            assert response.status_code == 403
            assert "CSRF" in _page(response).find(cls="flash-error").text
        assert not _officer_records(fresh, declaration)

    @pytest.mark.parametrize("username", ["trader.park", "analyst.lee"])
    def test_who_may_not_record_gets_a_403(self, fresh, as_user, username):
        declaration = _first_in_queue(as_user("officer.kim", fresh))
        client = as_user(username, fresh)
        response = _post_result(client, declaration, irregular="yes")
        assert response.status_code == 403
        assert "inspections:record" in response.text
        assert not _officer_records(fresh, declaration)


# --- models ---------------------------------------------------------------------------------

def _models(client: TestClient) -> dict[str, list[str]]:
    table = _page(client.get(MODELS)).by_id("models")
    return {tr.attrs["data-model"]: [c.text for c in tr.find_all("td")]
            for tr in table.find("tbody").find_all("tr")}


class TestModels:
    def test_versions_with_windows_trees_metrics_and_digest(self, as_user):
        rows = _models(as_user("officer.kim"))
        assert list(rows) == ["2", "1"]
        candidate, promoted = rows["2"], rows["1"]
        assert (promoted[0], promoted[1], candidate[1]) == ("#1", "promoted", "candidate")
        assert promoted[2].startswith("2021-04-01 – 2021-04-10")
        assert candidate[3].startswith("2021-04-09 – 2021-04-15")
        assert int(promoted[4]) > 0 and 0.5 < float(promoted[5]) <= 1
        assert all(cell.endswith(" %") for cell in promoted[6:10])
        assert len(promoted[10]) == 12
        assert promoted[11].endswith("system") and promoted[12].endswith("system")

    @pytest.mark.parametrize(("username", "may"), [
        ("analyst.lee", True), ("admin.root", True), ("officer.kim", False),
        ("supervisor.choi", False)])
    def test_only_those_who_may_promote_see_the_button(self, as_user, username, may):
        page = _page(as_user(username).get(MODELS))
        buttons = [a.attrs["href"] for a in page.by_id("models").find_all("a", cls="button")]
        assert buttons == ([f"{MODELS}/2/promote"] if may else [])

    def test_promoting_asks_first_then_retires_the_previous_model(self, fresh, as_user):
        analyst = as_user("analyst.lee", fresh)
        confirm = _page(analyst.get(f"{MODELS}/2/promote"))
        assert confirm.by_id("retires").text == \
            f"Model #1 (validation AUC {_models(analyst)['1'][5]}) will be retired."
        form = confirm.find("form", action=f"{MODELS}/2/promote")
        assert form.attrs["method"] == "post"
        csrf = form.find("input", name="csrf_token").attrs["value"]

        refused = analyst.post(f"{MODELS}/2/promote", data={"csrf_token": ""})
        assert refused.status_code == 403
        officer = as_user("officer.kim", fresh)
        denied = officer.post(f"{MODELS}/2/promote", data={"csrf_token": _csrf(officer)})
        assert denied.status_code == 403
        assert [r[1] for r in _models(analyst).values()] == ["candidate", "promoted"]

        done = analyst.post(f"{MODELS}/2/promote", data={"csrf_token": csrf})
        assert (done.status_code, done.headers["location"]) == (303, f"{MODELS}?promoted=2")
        page = _page(analyst.get(done.headers["location"]))
        assert page.find(data_testid="notice").text == "Model #2 is now the promoted model."
        assert [r[1] for r in _models(analyst).values()] == ["promoted", "retired"]
        again = analyst.post(f"{MODELS}/2/promote", data={"csrf_token": csrf})
        assert again.status_code == 409

    def test_an_unknown_model_is_a_404_page(self, as_user):
        assert as_user("analyst.lee").get(f"{MODELS}/99/promote").status_code == 404
        assert as_user("analyst.lee").get(f"{MODELS}/99").status_code == 404


class TestModelPage:
    def test_the_list_links_each_version_page(self, as_user):
        table = _page(as_user("officer.kim").get(MODELS)).by_id("models")
        rows = table.find("tbody").find_all("tr")
        assert [tr.find("td").find("a").attrs["href"] for tr in rows] == [
            f"{MODELS}/2", f"{MODELS}/1"]

    def test_windows_parameters_and_validation_metrics(self, as_user):
        listed = _models(as_user("officer.kim"))["1"]
        response = as_user("officer.kim").get(f"{MODELS}/1")
        assert response.status_code == 200
        page = _page(response)
        version = page.by_id("model-version").text
        assert "2021-04-01 – 2021-04-10" in version and "system" in version
        params = dict(zip([dt_.text for dt_ in page.by_id("model-params").find_all("dt")],
                          [dd.text for dd in page.by_id("model-params").find_all("dd")],
                          strict=True))
        assert params["trees (chosen by early stopping)"] == listed[4]
        assert params["learning rate"] == "0.03"
        assert page.by_id("model-auc").text == listed[5]
        budgets = page.by_id("model-budgets").rows()
        assert [r[0] for r in budgets] == ["1 %", "2 %", "5 %", "10 %"]
        assert [r[2] for r in budgets] == listed[6:10]

    def test_the_reliability_diagram_with_its_table(self, shared, as_user):
        with shared.app.state.ctx.sessions() as db:
            expected = insight.model_insight(db, 1, actor=SYSTEM).calibration
        page = _page(as_user("analyst.lee").get(f"{MODELS}/1"))
        svg = page.by_id("calibration-plot")
        assert svg.attrs["role"] == "img"
        assert svg.attrs["aria-labelledby"] == "calibration-title calibration-desc"
        assert "Reliability diagram" in svg.find("title").text
        assert "Brier score" in svg.find("desc").text
        assert svg.find("line", cls="diagonal") and svg.find("polyline", cls="curve")
        points = svg.find_all("circle", cls="point")
        assert len(points) == len(expected.bins) == 10
        # Lower observed rates are drawn lower (a larger y): the axis points up.
        by_rate = sorted(zip([b.observed_rate for b in expected.bins],
                             [float(c.attrs["cy"]) for c in points], strict=True))
        assert [y for _, y in by_rate] == sorted((y for _, y in by_rate), reverse=True)
        rows = page.by_id("calibration-table").rows()
        assert [int(r[4]) for r in rows] == [b.count for b in expected.bins]
        assert [r[3] for r in rows] == [f"{b.observed_rate:.3f}" for b in expected.bins]
        assert page.by_id("brier").text == f"{expected.brier:.4f}"

    def test_the_features_with_most_gain_as_bars(self, shared, as_user):
        with shared.app.state.ctx.sessions() as db:
            expected = insight.model_insight(db, 1, actor=SYSTEM).importance
        response = as_user("officer.kim").get(f"{MODELS}/1")
        items = _page(response).by_id("importance-list").find_all("li")
        assert [li.attrs["data-feature"] for li in items] == [f.feature for f in expected]
        assert expected[0].label in items[0].text
        lengths = [float(li.find("rect").attrs["width"]) for li in items]
        assert lengths[0] == 100 and lengths == sorted(lengths, reverse=True)
        assert " style=" not in response.text  # the CSP forbids inline styles

    @pytest.mark.parametrize(("username", "may"), [
        ("analyst.lee", True), ("admin.root", True), ("officer.kim", False),
        ("supervisor.choi", False)])
    def test_only_those_who_may_promote_see_the_button(self, as_user, username, may):
        candidate = _page(as_user(username).get(f"{MODELS}/2"))
        assert bool(candidate.find_all(id="promote")) == may
        if may:
            assert candidate.by_id("promote").attrs["href"] == f"{MODELS}/2/promote"
        assert not _page(as_user(username).get(f"{MODELS}/1")).find_all(id="promote")

    def test_a_version_stored_before_calibration_says_so(self, fresh, as_user):
        with unit_of_work(fresh.app.state.ctx.sessions) as db:
            row = db.get(RiskModelRow, 1)
            row.metrics = {"validation": {k: v for k, v in row.metrics["validation"].items()
                                          if k != "calibration"}}
        response = as_user("analyst.lee", fresh).get(f"{MODELS}/1")
        assert response.status_code == 200
        page = _page(response)
        assert "not recorded for this version; retrain to see it" in \
            page.by_id("calibration-missing").text
        assert not page.find_all(id="calibration-plot")
        assert page.by_id("importance-list").find_all("li")  # read from the artifact


# --- rules and lists ------------------------------------------------------------------------

def _rules(client: TestClient) -> dict[str, list[str]]:
    table = _page(client.get(RULES)).by_id("rules")
    return {tr.attrs["data-rule"]: [c.text for c in tr.find_all("td")]
            for tr in table.find("tbody").find_all("tr") if "data-rule" in tr.attrs}


def _rule_fields(**fields: str) -> dict[str, str]:
    return {"name": "", "condition": "", "lane": "yellow", "priority": "0",
            "valid_from": "", "valid_to": "", "description": "", **fields}


class TestRules:
    def test_staff_read_rules_with_lane_validity_and_hit_rate(self, as_user):
        officer = as_user("officer.kim")
        [(rule_id, row)] = _rules(officer).items()
        assert rule_id == "1"
        assert row[:7] == ["#1", "electronics from CN", RULE_CONDITION, "yellow", "2",
                           "2021-01-01 – open", "active"]
        selected, inspected = int(row[7]), int(row[8])
        assert selected > 0 and 0 < inspected <= selected
        assert row[9].endswith(" %")
        page = _page(officer.get(RULES))  # no writing for an officer
        assert [b.text for b in page.find_all("button")] == ["Log out"]

    def test_a_malformed_condition_comes_back_with_its_column(self, fresh, as_user):
        analyst = as_user("analyst.lee", fresh)
        response = analyst.post(RULES, data={"csrf_token": _csrf(analyst, RULES),
                                             **_rule_fields(name="broken",
                                                            condition="origin in @nope and")})
        assert response.status_code == 422
        form = _page(response).by_id("rule-form")
        error = form.find(cls="field-error", data_field="condition").text
        assert error == "unknown list '@nope' at column 11"
        assert form.find("textarea", name="condition").attrs["aria-invalid"] == "true"
        caret = form.find(data_testid="caret")
        assert caret.find(cls="caret-marker").text == "^"
        assert form.find("input", name="name").attrs["value"] == "broken"
        assert form.find("textarea", name="condition").text == "origin in @nope and"
        assert _rules(analyst).keys() == {"1"}

    def test_a_multi_line_condition_names_line_and_column(self, fresh, as_user):
        analyst = as_user("analyst.lee", fresh)
        response = analyst.post(RULES, data={"csrf_token": _csrf(analyst, RULES),
                                             **_rule_fields(name="two lines",
                                                            condition='origin = "CN"\nand ')})
        error = _page(response).find(cls="field-error", data_field="condition").text
        assert "at line 2, column 4" in error

    def test_testing_a_condition_shows_fired_hit_rate_and_base_rate(self, as_user):
        analyst = as_user("analyst.lee")
        response = analyst.post(f"{RULES}/test", headers={"HX-Request": "true"},
                                data={"csrf_token": _csrf(analyst, RULES),
                                      **_rule_fields(condition='origin in ["CN", "VN"]')})
        assert response.status_code == 200
        assert "<html" not in response.text
        form = _page(response).by_id("rule-form")
        assert int(form.find(data_testid="fired").text) > 0
        assert form.find(data_testid="hit-rate").text.endswith(" %")
        assert form.find(data_testid="base-rate").text.endswith(" %")
        assert form.find("textarea", name="condition").text == 'origin in ["CN", "VN"]'

    def test_testing_a_malformed_condition_shows_the_error_in_the_fragment(self, as_user):
        analyst = as_user("analyst.lee")
        response = analyst.post(f"{RULES}/test", headers={"HX-Request": "true"},
                                data={"csrf_token": _csrf(analyst, RULES),
                                      **_rule_fields(condition="origin = ")})
        assert response.status_code == 422 and "<html" not in response.text
        error = _page(response).find(cls="field-error", data_field="condition").text
        assert error.startswith("expected a value after '=' at column")

    def test_testing_without_htmx_shows_the_whole_page(self, as_user):
        analyst = as_user("analyst.lee")
        response = analyst.post(f"{RULES}/test",
                                data={"csrf_token": _csrf(analyst, RULES),
                                      **_rule_fields(condition='hs2 = "85"')})
        page = _page(response)
        assert page.by_id("rules") and int(page.find(data_testid="fired").text) > 0

    def test_the_rule_form_tests_with_htmx_and_saves_without(self, as_user):
        form = _page(as_user("analyst.lee").get(RULES)).by_id("rule-form")
        test, save = form.find_all("button")
        assert (test.attrs["hx-post"], test.attrs["formaction"]) == ((f"{RULES}/test",) * 2)
        assert (test.attrs["hx-target"], test.attrs["hx-swap"]) == ("#rule-form", "outerHTML")
        assert (form.attrs["action"], save.text) == (RULES, "Save")

    def test_an_analyst_adds_then_disables_a_rule(self, fresh, as_user):
        analyst = as_user("analyst.lee", fresh)
        csrf = _csrf(analyst, RULES)
        added = analyst.post(RULES, data={"csrf_token": csrf, **_rule_fields(
            name="heavy steel", condition='hs2 = "72" and net_mass_kg > 1000', lane="red",
            priority="5", valid_from="2026-12-01", valid_to="2027-05-31",
            description="campaign 12")})
        assert (added.status_code, added.headers["location"]) == (303, f"{RULES}?added=2")
        assert _page(analyst.get(added.headers["location"])).find(
            data_testid="notice").text == "Rule 2 added."
        row = _rules(analyst)["2"]
        assert row[:7] == ["#2", "heavy steel campaign 12", 'hs2 = "72" and net_mass_kg > 1000',
                           "red", "5", "2026-12-01 – 2027-05-31", "active"]

        assert analyst.post(f"{RULES}/2/disable", data={"csrf_token": ""}).status_code == 403
        officer = as_user("officer.kim", fresh)
        assert officer.post(f"{RULES}/2/disable",
                            data={"csrf_token": _csrf(officer)}).status_code == 403
        disabled = analyst.post(f"{RULES}/2/disable", data={"csrf_token": csrf})
        assert (disabled.status_code, disabled.headers["location"]) == \
            (303, f"{RULES}?disabled=2")
        assert _rules(analyst)["2"][6] == "disabled"
        assert _rules(analyst)["2"][10] == "Enable"

    def test_adding_a_rule_needs_the_csrf_token_and_the_permission(self, fresh, as_user):
        analyst = as_user("analyst.lee", fresh)
        fields = _rule_fields(name="x", condition='origin = "CN"')
        assert analyst.post(RULES, data={"csrf_token": "", **fields}).status_code == 403
        officer = as_user("officer.kim", fresh)
        denied = officer.post(RULES, data={"csrf_token": _csrf(officer), **fields})
        assert denied.status_code == 403 and "rules:manage" in denied.text
        assert _rules(analyst).keys() == {"1"}

    def test_field_errors_of_a_rule_are_all_shown(self, fresh, as_user):
        analyst = as_user("analyst.lee", fresh)
        response = analyst.post(RULES, data={"csrf_token": _csrf(analyst, RULES),
                                             **_rule_fields(lane="purple", priority="high",
                                                            valid_to="soon")})
        form = _page(response).by_id("rule-form")
        fields = {e.attrs["data-field"] for e in form.find_all(cls="field-error")}
        assert fields == {"name", "condition", "lane", "priority", "valid_to"}

    def test_an_analyst_sets_a_list_and_a_rule_uses_it(self, fresh, as_user):
        analyst = as_user("analyst.lee", fresh)
        csrf = _csrf(analyst, RULES)
        saved = analyst.post(LISTS, data={"csrf_token": csrf, "name": "@watch",
                                          "values": "VN\nCN, KR\n\n",
                                          "description": "origins under watch"})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{RULES}?list=watch")
        page = _page(analyst.get(saved.headers["location"]))
        assert page.find(data_testid="notice").text == "List @watch saved."
        [row] = page.by_id("lists").rows()
        assert row[:4] == ["@watch", "3", "CN, KR, VN", "origins under watch"]
        added = analyst.post(RULES, data={"csrf_token": csrf, **_rule_fields(
            name="watched", condition="origin in @watch")})
        assert added.status_code == 303

    def test_a_list_with_a_bad_name_comes_back_with_the_reason(self, fresh, as_user):
        analyst = as_user("analyst.lee", fresh)
        response = analyst.post(LISTS, data={"csrf_token": _csrf(analyst, RULES),
                                             "name": "Watch-List", "values": "CN"})
        assert response.status_code == 422
        form = _page(response).by_id("list-form")
        assert "lower-case letters" in form.find(cls="field-error", data_field="name").text
        assert form.find("textarea", name="values").text == "CN"
        assert analyst.post(LISTS, data={"csrf_token": "", "name": "watch",
                                         "values": "CN"}).status_code == 403
        with fresh.app.state.ctx.sessions() as db:
            assert db.scalar(select(func.count()).select_from(RiskListRow)) == 0


# --- feedback -------------------------------------------------------------------------------

class TestFeedback:
    def test_the_report_by_selection_with_exploration_and_estimate(self, as_user):
        page = _page(as_user("supervisor.choi").get(FEEDBACK))
        rows = {r[0]: r[1:] for r in page.by_id("feedback").rows()}
        assert set(rows) == {"model", "none", "random", "rule"}
        assert sum(int(r[0]) for r in rows.values()) == int(
            page.by_id("feedback-summary").find_all("dd")[0].text)
        summary = page.by_id("feedback-summary").text
        assert "Exploration share" in summary and "Estimated irregularity rate" in summary
        assert summary.count(" %") == 2
