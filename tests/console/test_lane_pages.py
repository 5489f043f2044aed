"""The lane settings page: the settings in force, the editing form with errors beside the
fields, office rows added and removed, the capacity preview, saving, the history and going
back; read-only for staff without ``lanes:configure``; CSRF on every form.

Data: the first 1,500 rows of the KCS sample (2021-04-01 to 2021-04-15, 19 offices), a
supervisor and an admin, built once per module; read-only tests share it, tests that write
get a copy of its SQLite file (``fresh``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.identity import Role
from smartcustoms.identity.tables import AuditRow
from smartcustoms.risk.lane_store import load_lane_settings
from smartcustoms.risk.selectivity import Capacity
from smartcustoms.risk.tables import LaneSettingsRow

from .conftest import Console, build_console, parse_html, seed_kcs

LANES = "/console/risk/lanes"
PREVIEW = f"{LANES}/preview"
ROWS = 1500
LAST_WEEK = (dt.date(2021, 4, 9), dt.date(2021, 4, 15))  # the data's last seven days
BUSY_OFFICE = "20"
EXTRA_USERS = {"supervisor.choi": Role.supervisor, "admin.root": Role.admin}


def seed_lane_data(console: Console, tmp: Path) -> None:
    seed_kcs(console, tmp, ROWS, EXTRA_USERS)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lanes")
    built = build_console(root / "data", seed=False)
    seed_lane_data(built, root)
    built.app.state.ctx.engine.dispose()
    return root / "data"



def _page(response):
    return parse_html(response.text)


def _form_fields(client: TestClient, **changes: str) -> dict[str, object]:
    """What the page's form would post, with ``changes``."""
    form = _page(client.get(LANES)).by_id("lane-form")
    fields: dict[str, object] = {}
    for element in form.find_all("input") + form.find_all("select"):
        name = element.attrs.get("name")
        if not name:
            continue
        if element.tag == "select":
            chosen = element.find_all("option", selected="") or element.find_all("option")
            value = chosen[0].attrs["value"]
        else:
            value = element.attrs.get("value", "")
        if name.startswith("office"):
            fields.setdefault(name, []).append(value)  # type: ignore[union-attr]
        else:
            fields[name] = value
    return {**fields, **changes}


def _preview(page) -> dict[str, dict[str, str]]:
    """Office → {column: text}: declarations per day and each lane's slots per day."""
    table = page.by_id("preview-table")
    out = {}
    for tr in table.find_all("tr"):
        if "data-office" not in tr.attrs:
            continue
        cells = {td.attrs["data-slots"]: td for td in tr.find_all("td")
                 if "data-slots" in td.attrs}
        out[tr.attrs["data-office"]] = {
            "per_day": tr.find(data_testid="per-day").text,
            **{lane: td.find(data_testid="slots").text for lane, td in cells.items()},
            **{f"{lane} now": td.find(data_testid="in-force").text
               for lane, td in cells.items() if td.find_all(data_testid="in-force")},
        }
    return out


def _counts(console: Console, office: str) -> list[int]:
    """The office's declarations per day over the data's last week, from the table."""
    with console.app.state.ctx.sessions() as db:
        return list(db.scalars(
            select(func.count()).select_from(DeclarationRow)
            .where(DeclarationRow.office == office,
                   DeclarationRow.declaration_date.between(*LAST_WEEK))
            .group_by(DeclarationRow.declaration_date)))


def _versions(console: Console) -> list[tuple[int, bool]]:
    with console.app.state.ctx.sessions() as db:
        return [(r.id, bool(r.active)) for r in db.scalars(
            select(LaneSettingsRow).order_by(LaneSettingsRow.id))]


# --- reading ---------------------------------------------------------------------------------

class TestReading:
    def test_a_supervisor_sees_the_settings_in_force_as_a_form(self, as_user):
        page = _page(as_user("supervisor.choi").get(LANES))
        assert page.find(data_testid="in-force-version").text.startswith("the shipped default")
        assert page.find(data_testid="in-force-summary").text == \
            "red 5 %, yellow 5 %, blue 10 %; random 2 %; by probability"
        form = page.by_id("lane-form")
        assert form.find("input", name="random_rate").attrs["value"] == "2"
        assert form.find("input", name="seed").attrs["value"] == "20260101"
        assert form.find("select", name="policy").find("option", selected="").text == \
            "probability"
        red = form.find("tr", data_lane_row="red")
        assert red.find("select").find("option", selected="").attrs["value"] == "share"
        assert red.find("input", name="red_value").attrs["value"] == "5"
        assert page.by_id("lane-history").rows() == [
            ["No settings saved yet: the shipped default is in force."]]

    def test_the_preview_shows_declarations_and_slots_per_office_and_day(self, shared,
                                                                         as_user):
        page = _page(as_user("officer.kim").get(LANES))
        hint = page.by_id("lane-preview").find("p").text
        assert "last 7 days" in hint and "2021-04-09 – 2021-04-15" in hint
        preview = _preview(page)
        counts = _counts(shared, BUSY_OFFICE)
        busy = preview[BUSY_OFFICE]
        assert busy["per_day"] == f"{sum(counts) / len(counts):.1f}"
        red = Capacity(share=0.05)  # the shipped default, as selection applies it
        assert busy["red"] == f"{sum(red.slots(n) for n in counts) / len(counts):.1f}"
        assert "all offices" in preview
        assert not any(k.endswith(" now") for k in busy)  # nothing to compare with

    def test_other_staff_read_the_settings_without_a_form(self, as_user):
        for username in ("officer.kim", "analyst.lee"):
            page = _page(as_user(username).get(LANES))
            assert not page.find_all("form", id="lane-form")
            assert page.by_id("settings-read-only").find(data_capacity="red").text == "5 %"
            assert [b.text for b in page.find_all("button")] == ["Log out"]
            assert page.find_all(id="preview-table")

    def test_the_preview_window_is_a_parameter(self, as_user):
        officer = as_user("officer.kim")
        hint = _page(officer.get(LANES, params={"days": "3"})).by_id("lane-preview").text
        assert "last 3 days" in hint and "2021-04-13 – 2021-04-15" in hint
        response = officer.get(LANES, params={"days": "0"})
        assert response.status_code == 422
        assert "from 1 to 92" in _page(response).find(cls="flash-error").text


# --- editing and previewing -----------------------------------------------------------------

class TestEditing:
    def test_a_preview_with_htmx_shows_the_change_beside_the_settings_in_force(
            self, shared, as_user):
        supervisor = as_user("supervisor.choi")
        fields = _form_fields(supervisor, red_kind="count", red_value="3", action="preview")
        response = supervisor.post(PREVIEW, data=fields, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "<html" not in response.text and 'id="lane-editor"' in response.text
        busy = _preview(parse_html(response.text))[BUSY_OFFICE]
        counts = _counts(shared, BUSY_OFFICE)
        assert busy["red"] == f"{sum(min(3, n) for n in counts) / len(counts):.1f}"
        default = Capacity(share=0.05)
        assert busy["red now"] == \
            f"now {sum(default.slots(n) for n in counts) / len(counts):.1f}"
        assert _versions(shared) == []  # a preview saves nothing

    def test_office_rows_are_added_and_removed(self, as_user):
        supervisor = as_user("supervisor.choi")
        fields = _form_fields(supervisor, action="add-office")
        added = _page(supervisor.post(PREVIEW, data=fields, headers={"HX-Request": "true"}))
        [row] = added.by_id("office-capacity").find_all("tr", data_office_row="0")
        assert row.find("input", name="office").attrs["value"] == ""
        assert row.find("select", name="office_red_kind").find(
            "option", selected="").text == "as default"
        assert added.find_all(id="preview-table")  # an empty row means nothing: no error

        fields = {**fields, "office": ["30"], "office_red_kind": ["count"],
                  "office_red_value": ["10"], "office_yellow_kind": [""],
                  "office_yellow_value": [""], "office_blue_kind": [""],
                  "office_blue_value": [""], "action": "preview"}
        page = _page(supervisor.post(PREVIEW, data=fields))  # no htmx: the whole page
        assert page.find("h1").text == "Lane settings"
        assert "own capacity" in page.by_id("preview-table").find("tr", data_office="30").text
        removed = _page(supervisor.post(PREVIEW, data={**fields,
                                                       "action": "remove-office:0"}))
        assert not removed.by_id("office-capacity").find_all("tr", data_office_row="0")

    def test_errors_are_shown_beside_their_fields_with_what_was_typed(self, fresh, as_user):
        supervisor = as_user("supervisor.choi", fresh)
        fields = _form_fields(supervisor, random_rate="2,5", seed="-1", red_kind="count",
                              red_value="lots", days="500")
        fields.update({"office": ["30", "30", ""], "office_red_kind": ["count", "share", ""],
                       "office_red_value": ["4", "150", ""],
                       "office_yellow_kind": ["", "", ""], "office_yellow_value": ["", "", ""],
                       "office_blue_kind": ["", "", ""], "office_blue_value": ["", "", ""]})
        response = supervisor.post(LANES, data=fields)
        assert response.status_code == 422
        form = _page(response).by_id("lane-form")
        errors = {e.attrs["data-field"]: e.text for e in form.find_all(cls="field-error")}
        assert errors == {
            "random_rate": "a share is a percentage from 0 to 100 with a decimal point, "
                           "e.g. 5 or 2.5",
            "seed": f"the seed is a whole number from 0 to {2**63 - 1}",
            "capacity.red": "a count is a whole number of declarations per day, from 0 to "
                            "1,000,000,000",
            "offices[1].code": "office 30 is given twice: keep one row per office",
            "offices[1].red": "a share is a percentage from 0 to 100 with a decimal point, "
                              "e.g. 5 or 2.5",
        }
        assert form.find("input", name="red_value").attrs["value"] == "lots"
        assert form.find("input", name="random_rate").attrs["aria-invalid"] == "true"
        assert len(form.by_id("office-capacity").find_all("tr", data_office_row="2")) == 1
        assert _page(response).find(data_testid="no-preview")
        assert _versions(fresh) == []

    def test_a_bad_preview_window_is_shown_beside_its_field(self, as_user):
        supervisor = as_user("supervisor.choi")
        response = supervisor.post(PREVIEW, data=_form_fields(supervisor, days="0",
                                                              action="preview"))
        assert response.status_code == 422
        assert _page(response).find(cls="field-error", data_field="days").text == \
            "the preview covers a whole number of days from 1 to 92"


# --- saving and going back ------------------------------------------------------------------

class TestSaving:
    def test_a_supervisor_saves_sees_the_version_and_goes_back(self, fresh, as_user):
        supervisor = as_user("supervisor.choi", fresh)
        response = supervisor.post(LANES, data=_form_fields(
            supervisor, red_kind="count", red_value="3", note="two more inspectors"))
        assert (response.status_code, response.headers["location"]) == \
            (303, f"{LANES}?saved=2")
        page = _page(supervisor.get(response.headers["location"]))
        assert page.find(data_testid="notice").text == "Version 2 saved: it is in force."
        assert page.find(data_testid="in-force-version").text == "#2"
        assert page.find(data_testid="in-force-summary").text.startswith("red 3/day,")
        history = page.by_id("lane-history")
        rows = {tr.attrs["data-version"]: tr for tr in history.find_all("tr")
                if "data-version" in tr.attrs}
        assert list(rows) == ["2", "1"]
        assert "in force" in rows["2"].text and "two more inspectors" in rows["2"].text
        assert "supervisor.choi" in rows["2"].text
        assert "shipped default" in rows["1"].text
        assert not rows["2"].find_all("button")
        busy = _preview(page)[BUSY_OFFICE]
        counts = _counts(fresh, BUSY_OFFICE)
        assert busy["red"] == f"{sum(min(3, n) for n in counts) / len(counts):.1f}"

        back = rows["1"].find("form")
        assert back.attrs["action"] == f"{LANES}/1/activate"
        response = supervisor.post(back.attrs["action"], data={
            "csrf_token": back.find("input", name="csrf_token").attrs["value"]})
        assert response.headers["location"] == f"{LANES}?activated=1"
        page = _page(supervisor.get(response.headers["location"]))
        assert page.find(data_testid="notice").text == "Version 1 is in force again."
        assert page.find(data_testid="in-force-version").text == "#1"
        assert _versions(fresh) == [(1, True), (2, False)]
        with fresh.app.state.ctx.sessions() as db:
            actions = db.scalars(select(AuditRow.action).where(
                AuditRow.entity_type == "lane_settings").order_by(AuditRow.seq)).all()
        assert actions == ["lane-settings.save", "lane-settings.activate"]

    def test_saving_the_form_unchanged_adds_nothing(self, fresh, as_user):
        supervisor = as_user("supervisor.choi", fresh)
        response = supervisor.post(LANES, data=_form_fields(supervisor, note="no change"))
        assert response.headers["location"] == f"{LANES}?unchanged=1"
        assert _page(supervisor.get(response.headers["location"])).find(
            data_testid="notice").text == "These settings are already in force: nothing was saved."
        assert _versions(fresh) == []

    def test_an_admin_may_save_and_the_digest_is_the_services(self, fresh, as_user):
        admin = as_user("admin.root", fresh)
        admin.post(LANES, data=_form_fields(admin, random_rate="2.5"))
        with fresh.app.state.ctx.sessions() as db:
            row = db.get(LaneSettingsRow, 2)
        assert row is not None and row.settings["random_rate"] == 0.025
        expected = load_lane_settings().model_copy(update={"random_rate": 0.025})
        assert row.sha256 == expected.digest()

    @pytest.mark.parametrize("path", [LANES, PREVIEW, f"{LANES}/1/activate"])
    def test_every_form_needs_the_csrf_token(self, fresh, as_user, path):
        supervisor = as_user("supervisor.choi", fresh)
        response = supervisor.post(path, data=_form_fields(supervisor, csrf_token="0" * 64))
        assert response.status_code == 403
        assert "CSRF" in _page(response).find(cls="flash-error").text
        assert _versions(fresh) == []

    @pytest.mark.parametrize("username", ["officer.kim", "analyst.lee", "trader.park"])
    def test_who_may_not_configure_lanes_gets_a_403(self, fresh, as_user, username):
        supervisor = as_user("supervisor.choi", fresh)
        fields = _form_fields(supervisor, red_kind="count", red_value="3")
        client = as_user(username, fresh)
        fields["csrf_token"] = _page(client.get("/declarations")).find(
            "input", name="csrf_token").attrs["value"]
        for path in (LANES, PREVIEW, f"{LANES}/1/activate"):
            response = client.post(path, data=fields)
            assert response.status_code == 403, path
        assert _versions(fresh) == []
