"""The declarations list (search, filters, pages, htmx fragment) and the declaration page."""

from __future__ import annotations

import pytest


def _refs(page):
    return sorted(row[0] for row in page.by_id("declarations").rows() if len(row) > 1)


def _kcs(console, **match):
    return sorted(r["Declaration ID"] for r in console.kcs_rows
                  if all(pred(r) for pred in match.values()))


def _id_of(client, html, reference):
    page = html(client.get("/declarations", params={"lrn": reference}).text)
    [href] = [h for h in page.by_id("declarations").links() if h.startswith("/declarations/")]
    return href.rsplit("/", 1)[1]


class TestList:
    def test_the_first_page_shows_50_of_all_and_links_the_next(self, client_as, html):
        page = html(client_as("officer.kim").get("/declarations").text)
        assert len(page.by_id("declarations").rows()) == 50
        assert page.find(data_testid="summary").text == "1–50 of 61 declarations"
        pager = page.find("nav", cls="pager")
        assert "page 1 of 2" in pager.text
        assert pager.find("a", rel="next").attrs["href"] == "/declarations?page=2"

    def test_the_second_page_shows_the_rest(self, client_as, html):
        page = html(client_as("officer.kim").get("/declarations?page=2").text)
        assert len(page.by_id("declarations").rows()) == 11
        assert page.find(data_testid="summary").text == "51–61 of 61 declarations"

    def test_the_header_shows_user_role_and_navigation(self, client_as, html):
        page = html(client_as("analyst.lee").get("/declarations").text)
        assert page.find(data_testid="user").text == "analyst.lee"
        assert page.find(data_testid="role").text == "analyst"
        nav = page.find("nav", cls="mainnav")
        assert nav.links() == ["/declarations", "/imports", "/console/tariff",
                               "/console/screening", "/console/origin",
                               "/console/transit", "/console/risk/models",
                               "/console/risk/rules", "/console/risk/lanes",
                               "/console/risk/feedback"]
        assert nav.find("a", aria_current="page").text == "Declarations"

    def test_an_officer_has_no_imports_link(self, client_as, html):
        nav = html(client_as("officer.kim").get("/declarations").text).find("nav", cls="mainnav")
        assert nav.links() == ["/declarations", "/console/risk/queue", "/console/tariff",
                               "/console/screening", "/console/origin",
                               "/console/transit", "/console/risk/models",
                               "/console/risk/rules", "/console/risk/lanes",
                               "/console/risk/feedback"]

    def test_the_filter_form_works_with_and_without_htmx(self, client_as, html):
        form = html(client_as("officer.kim").get("/declarations").text).find("form", role="search")
        assert (form.attrs["method"], form.attrs["action"]) == ("get", "/declarations")
        assert form.attrs["hx-get"] == "/declarations"
        assert form.attrs["hx-target"] == "#results"
        assert form.attrs["hx-push-url"] == "true"

    @pytest.mark.parametrize(("query", "expected"), [
        ({"hs": "85"}, lambda c: [*_kcs(c, hs=lambda r: r["HS6 Code"].startswith("85")),
                                  "LRN-2026-000123"]),
        ({"hs": "8517.6"}, lambda c: ["LRN-2026-000123"]),
        ({"origin": "cn"}, lambda c: [*_kcs(c, o=lambda r: r["Country of Origin"] == "CN"),
                                      "LRN-2026-000123"]),
        ({"office": "40"}, lambda c: _kcs(c, o=lambda r: r["Office ID"] == "40")),
        ({"importer": "MG77MTE"}, lambda c: _kcs(c, i=lambda r: r["Importer ID"] == "MG77MTE")),
        ({"lrn": "LRN-"}, lambda c: ["LRN-2026-000123"]),
        ({"lrn": "4"}, lambda c: _kcs(c, r=lambda r: r["Declaration ID"].startswith("4"))),
        ({"date_from": "2026-01-01"}, lambda c: ["LRN-2026-000123"]),
        ({"date_to": "2021-04-01", "office": "20"},
         lambda c: _kcs(c, o=lambda r: r["Office ID"] == "20")),
        ({"hs": "39", "origin": "CN", "office": "40"},
         lambda c: _kcs(c, h=lambda r: r["HS6 Code"].startswith("39"),
                        o=lambda r: r["Country of Origin"] == "CN",
                        f=lambda r: r["Office ID"] == "40")),
    ])
    def test_filters(self, console, client_as, html, query, expected):
        want = sorted(expected(console))
        assert want or query == {}, "the case must match something"
        page = html(client_as("officer.kim").get("/declarations", params=query).text)
        assert _refs(page) == want
        form = page.find("form", role="search")
        for name, value in query.items():  # the form shows what was asked
            assert form.find("input", name=name).attrs["value"] == value

    def test_nothing_matches(self, client_as, html):
        page = html(client_as("officer.kim").get("/declarations?hs=0000").text)
        assert page.by_id("declarations").rows() == [["No declarations match these filters."]]

    def test_an_htmx_request_gets_the_results_fragment(self, client_as, html):
        response = client_as("officer.kim").get("/declarations?hs=85",
                                                headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "<html" not in response.text and "<form" not in response.text
        assert html(response.text).by_id("declarations").rows()
        assert "HX-Request" in response.headers["vary"]

    def test_a_history_restore_gets_the_whole_page(self, client_as):
        response = client_as("officer.kim").get(
            "/declarations?hs=85",
            headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
        assert "<html" in response.text

    def test_bad_filters_are_named_beside_the_form(self, client_as, html):
        response = client_as("officer.kim").get(
            "/declarations?origin=C&date_from=01.04.2021&hs=85x&page=0")
        assert response.status_code == 422
        page = html(response.text)
        flash = page.by_id("results").find(cls="flash-error")
        assert flash.attrs["data-code"] == "invalid-input"
        fields = [li.find("code").text for li in flash.find("ul", cls="errors").find_all("li")]
        assert fields == ["hs", "origin", "date_from", "page"]
        form = page.find("form", role="search")  # the form keeps what was typed
        assert form.find("input", name="origin").attrs["value"] == "C"
        assert not page.find_all("table", id="declarations")

    def test_a_plain_search_goes_to_the_address_without_empty_fields(self, client_as):
        response = client_as("officer.kim").get(
            "/declarations?lrn=&importer=&office=40&hs=&origin=&date_from=&date_to=")
        assert (response.status_code, response.headers["location"]) == \
            (303, "/declarations?office=40")

    def test_an_htmx_search_pushes_the_address_without_empty_fields(self, client_as):
        response = client_as("officer.kim").get("/declarations?lrn=&hs=85&page=2&origin=",
                                                headers={"HX-Request": "true"})
        assert response.headers["HX-Push-Url"] == "/declarations?hs=85&page=2"

    def test_bad_filters_in_an_htmx_request_give_an_error_fragment(self, client_as, html):
        response = client_as("officer.kim").get("/declarations?date_to=tomorrow",
                                                headers={"HX-Request": "true"})
        assert response.status_code == 422
        assert "<html" not in response.text
        assert "date_to: dates are written YYYY-MM-DD; got 'tomorrow'" in \
            html(response.text).find(cls="flash-error").text


class TestDetail:
    def test_an_hs2022_declaration_shows_parties_items_and_hs_texts(self, console, client_as,
                                                                     html):
        response = client_as("officer.kim").get(f"/declarations/{console.vector_id}")
        assert response.status_code == 200
        page = html(response.text)
        assert page.find("h1").text == "Declaration LRN-2026-000123"
        parties = page.by_id("parties").rows()
        assert [p[0] for p in parties] == ["declarant", "importer", "exporter", "seller"]
        assert parties[1][:3] == ["importer", "DE9876543210987", "Nordlicht Elektronik GmbH"]
        assert parties[1][3] == "Speicherstadt 1, 20457, Hamburg DE"
        items = page.by_id("items").rows()
        assert [i[0] for i in items] == ["1", "2"]
        assert items[0][1].startswith("851762 HS2022 Communication apparatus")
        assert items[1][1].startswith("850760 HS2022 Electric accumulators; lithium-ion")
        assert items[0][8:11] == ["800 H87", "40", "18400.00 USD"]
        assert "INV-88231" in items[0][12]
        text = page.find("main").text
        for expected in ("CIF Hamburg", "IMO9811000", "CSQU3054383", "MAEU-BL-77812",
                         "24000.00 USD", "submitted directly"):
            assert expected in text

    def test_a_kcs_declaration_shows_national_absent_and_source_columns(self, client_as, html):
        client = client_as("officer.kim")
        page = html(client.get(f"/declarations/{_id_of(client, html, '13935563')}").text)
        [item] = page.by_id("items").rows()
        assert item[1] == "844399 HS2017"  # no HS 2017 table ships: no description
        assert not page.find_all(data_testid="hs-description")
        national = page.by_id("national").text
        assert "process_type B" in national and "origin_indicator E" in national
        absent = [li.text for li in page.by_id("absent").find_all("li")]
        assert sorted(absent) == ["invoice_total", "items.description", "items.gross_mass_kg",
                                  "trade_terms"]
        extra = page.by_id("source-extra")
        assert "kept from the source, not declared" in extra.find("h2").text
        assert "Fraud 1" in extra.text and "Critical Fraud 1" in extra.text

    def test_the_import_run_is_linked_for_those_who_may_read_imports(self, client_as, html):
        analyst = client_as("analyst.lee")
        declaration = _id_of(analyst, html, "13935563")
        page = html(analyst.get(f"/declarations/{declaration}").text)
        assert "/imports/1" in page.links()
        officer = html(client_as("officer.kim").get(f"/declarations/{declaration}").text)
        assert "/imports/1" not in officer.links()
        assert "run #1" in officer.find("main").text

    def test_an_unknown_declaration_is_a_404_page(self, client_as, html):
        response = client_as("officer.kim").get("/declarations/0123456789abcdef")
        assert response.status_code == 404
        page = html(response.text)
        assert page.find(cls="flash-title").text == "Not found"
        assert page.find(data_testid="user").text == "officer.kim"  # still in the console


class TestTrader:
    def test_a_trader_lists_only_their_company(self, console, client_as, html):
        page = html(client_as("trader.park").get("/declarations").text)
        mine = _kcs(console, c=lambda r: "MG77MTE" in (r["Importer ID"], r["Declarant ID"]))
        assert len(mine) == 2
        assert _refs(page) == mine
        assert "MG77MTE" in page.find("header").text

    def test_a_filter_cannot_widen_what_a_trader_sees(self, client_as, html):
        page = html(client_as("trader.park").get("/declarations?importer=KEABR8T").text)
        assert page.by_id("declarations").rows() == [["No declarations match these filters."]]

    def test_a_trader_reads_their_own_declaration(self, client_as, html):
        mine = _id_of(client_as("officer.kim"), html, "76619244")
        page = html(client_as("trader.park").get(f"/declarations/{mine}").text)
        assert "76619244" in page.find("h1").text

    def test_another_companys_declaration_is_a_404_for_a_trader(self, console, client_as,
                                                                html):
        other = _id_of(client_as("officer.kim"), html, "41256141")
        trader = client_as("trader.park")
        for declaration in (other, console.vector_id):
            response = trader.get(f"/declarations/{declaration}")
            assert response.status_code == 404
            assert html(response.text).find(cls="flash-title").text == "Not found"
            assert "41256141" not in response.text and "LRN-2026" not in response.text

    def test_a_trader_has_no_imports(self, client_as, html):
        trader = client_as("trader.park")
        nav = html(trader.get("/declarations").text).find("nav", cls="mainnav")
        # No imports, no risk pages; the classification assistant, yes.
        assert nav.links() == ["/declarations", "/console/tariff", "/console/screening",
                               "/console/origin"]
        response = trader.get("/imports")
        assert response.status_code == 403
        assert html(response.text).find(cls="flash-error").attrs["data-code"] \
            == "permission-denied"
