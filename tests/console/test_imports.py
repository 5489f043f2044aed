"""Imports: the list, the upload form, the report with its quarantine and reasons."""

from __future__ import annotations

import pytest

from smartcustoms.http.deps import SESSION_COOKIE

CSV_NAME = "kcs_good_and_bad.csv"


@pytest.fixture
def good_and_bad(request) -> bytes:
    return (request.path.parent / CSV_NAME).read_bytes()


def _csrf(client, html):
    return html(client.get("/imports").text).find("input", name="csrf_token").attrs["value"]


def _upload(client, html, body, *, mapping_name="kcs", csrf=None, name=CSV_NAME, **files):
    return client.post(
        "/imports",
        data={"csrf_token": csrf if csrf is not None else _csrf(client, html),
              "mapping_name": mapping_name},
        files={"file": (name, body, "text/csv"), **files},
    )


class TestUpload:
    def test_good_rows_are_imported_and_bad_ones_quarantined_with_reasons(
            self, fresh_console, good_and_bad, html):
        client = fresh_console.client_as("analyst.lee")
        response = _upload(client, html, good_and_bad)
        assert response.status_code == 303
        assert response.headers["location"] == "/imports/1"

        page = html(client.get("/imports/1").text)
        assert page.find(data_testid="run-status").text == "completed"
        counts = dict(zip([dt.text for dt in page.by_id("counts").find_all("dt")],
                          [dd.text for dd in page.by_id("counts").find_all("dd")], strict=True))
        assert counts == {"Rows read": "20", "Declarations imported": "18",
                          "Goods items imported": "18", "Unchanged (already stored)": "0",
                          "Rows quarantined": "2"}
        notes = page.by_id("notes").text
        assert "HS codes are declared as HS2017" in notes
        assert "absent in the source" in notes

        table = page.by_id("quarantine-table")
        records = table.find_all("tbody", cls="record")
        assert len(records) == 2
        hs, mass = (r.rows()[0] for r in records)
        assert hs[:4] == ["4", "25403940", "items[0].hs_code", "HS6 Code"]
        assert hs[4].startswith("must be 6, 8 or 10 digits")
        assert hs[5] == "ABC"
        assert mass[:4] == ["7", "81282547", "items[0].net_mass_kg", "Net Mass"]
        assert "greater than 0" in mass[4]
        assert mass[5] == "-5"
        source = records[0].find("details").find("pre").text  # the source record, kept
        assert "Declaration ID: 25403940" in source and "HS6 Code: ABC" in source

    def test_the_imported_declarations_are_listed(self, fresh_console, good_and_bad, html):
        client = fresh_console.client_as("analyst.lee")
        _upload(client, html, good_and_bad)
        page = html(client.get("/declarations").text)
        refs = [row[0] for row in page.by_id("declarations").rows()]
        assert len(refs) == 18
        assert "25403940" not in refs and "81282547" not in refs
        runs = html(client.get("/imports").text).by_id("runs").rows()
        assert runs[0][:4] == ["#1", f"{CSV_NAME} (csv)", "kcs-synthetic", "completed"]
        assert runs[0][5:] == ["20", "18", "0", "2"]

    def test_an_uploaded_mapping_file_is_used(self, fresh_console, good_and_bad, html):
        from smartcustoms.paths import MAPPINGS_DIR

        client = fresh_console.client_as("analyst.lee")
        mapping = ("mine.yaml", (MAPPINGS_DIR / "kcs.yaml").read_bytes(), "application/yaml")
        response = _upload(client, html, good_and_bad, mapping_name="", mapping_file=mapping)
        assert response.status_code == 303
        assert "Rows quarantined 2" in html(client.get("/imports/1").text).by_id("counts").text

    def test_the_upload_needs_the_csrf_token(self, fresh_console, good_and_bad, html):
        client = fresh_console.client_as("analyst.lee")
        response = _upload(client, html, good_and_bad, csrf="")
        assert response.status_code == 403
        assert html(client.get("/imports").text).by_id("runs").rows() == [["No imports yet."]]

    def test_a_csv_without_a_mapping_is_refused_with_the_reason(self, fresh_console,
                                                                 good_and_bad, html):
        client = fresh_console.client_as("analyst.lee")
        response = _upload(client, html, good_and_bad, mapping_name="")
        assert response.status_code == 422
        assert "needs a column-mapping file" in html(response.text).find(cls="flash-error").text

    @pytest.mark.parametrize("name", ["nope", "../../etc/passwd", "/etc/hostname",
                                      "kcs.yaml"])
    def test_only_shipped_mapping_names_are_accepted(self, fresh_console, good_and_bad, html,
                                                      name):
        client = fresh_console.client_as("analyst.lee")
        response = _upload(client, html, good_and_bad, mapping_name=name)
        assert response.status_code == 422
        flash = html(response.text).find(cls="flash-error")
        assert "no shipped mapping" in flash.text and "kcs" in flash.text

    def test_an_officer_may_not_import(self, console, good_and_bad, html):
        client = console.client_as("officer.kim")
        csrf = html(client.get("/declarations").text).find("input", name="csrf_token")
        response = _upload(client, html, good_and_bad, csrf=csrf.attrs["value"])
        assert response.status_code == 403
        flash = html(response.text).find(cls="flash-error").text
        assert "lacks the permission 'imports:run'" in flash


class TestPages:
    def test_the_upload_form_lists_the_shipped_mappings(self, client_as, html):
        page = html(client_as("analyst.lee").get("/imports").text)
        form = page.find("form", action="/imports")
        assert form.attrs["enctype"] == "multipart/form-data"
        options = [o.attrs["value"] for o in form.find("select", name="mapping_name")
                   .find_all("option")]
        assert options == ["", "kcs"]
        assert form.find("input", name="csrf_token").attrs["value"]

    def test_the_seeded_run_is_listed(self, client_as, html):
        rows = html(client_as("analyst.lee").get("/imports").text).by_id("runs").rows()
        assert rows == [["#1", "seed.csv (csv)", "kcs-synthetic", "completed",
                         "2026-11-20 09:30", "60", "60", "0", "0"]]

    def test_a_run_without_quarantine_says_so(self, client_as, html):
        page = html(client_as("analyst.lee").get("/imports/1").text)
        assert page.by_id("quarantine").text == "No records were quarantined."

    def test_an_officer_gets_a_403_page(self, client_as, html):
        for path in ("/imports", "/imports/1"):
            response = client_as("officer.kim").get(path)
            assert response.status_code == 403
            assert html(response.text).find(cls="flash-title").text == "Not allowed for this user"

    def test_an_unknown_run_is_a_404_page(self, client_as, html):
        response = client_as("analyst.lee").get("/imports/999")
        assert response.status_code == 404
        assert html(response.text).find(cls="flash-error").text.startswith("Not found")

    def test_a_run_id_that_is_not_a_number_is_an_error_page(self, client_as, html):
        response = client_as("analyst.lee").get("/imports/abc")
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")


class TestQuarantinePages:
    def test_the_quarantine_is_paginated(self, fresh_console, html):
        header = "Declaration ID,Date,Office ID,Process Type,Import Type,Import Use," \
                 "Payment Type,Mode of Transport,Declarant ID,Importer ID,Seller ID," \
                 "Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate," \
                 "Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud"
        bad = [f"{90000000 + n},2021-04-01,40,B,11,21,11,40,LPA7LKZ,Y3OM027,,,XX{n},IT,RO,"
               "8.0,A,G,1.0,1248.7,0,0" for n in range(55)]
        client = fresh_console.client_as("analyst.lee")
        _upload(client, html, ("\n".join([header, *bad]) + "\n").encode())

        first = html(client.get("/imports/1").text)
        assert len(first.by_id("quarantine-table").find_all("tbody", cls="record")) == 50
        link = first.by_id("quarantine").find("a", rel="next")
        assert link.attrs["href"] == "/imports/1?page=2"
        assert link.attrs["hx-get"] == "/imports/1/quarantine?page=2"
        assert link.attrs["hx-target"] == "#quarantine"

        fragment = client.get("/imports/1/quarantine?page=2", headers={"HX-Request": "true"})
        assert "<html" not in fragment.text
        records = html(fragment.text).find_all("tbody", cls="record")
        assert [r.rows()[0][0] for r in records] == ["52", "53", "54", "55", "56"]

        plain = client.get("/imports/1/quarantine?page=2")  # without htmx: the whole page
        assert (plain.status_code, plain.headers["location"]) == (303, "/imports/1?page=2")
        page2 = html(client.get("/imports/1?page=2").text)
        assert len(page2.find_all("tbody", cls="record")) == 5

    def test_an_expired_session_during_an_upload_goes_to_login(self, fresh_console,
                                                               good_and_bad):
        client = fresh_console.client()
        client.cookies.set(SESSION_COOKIE, "sct_expired")
        response = client.post("/imports", data={"csrf_token": "x"},
                               files={"file": ("a.csv", good_and_bad, "text/csv")})
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fdeclarations"
