"""File imports over HTTP: multipart upload, report, quarantine with reasons, idempotency."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from smartcustoms.http import create_app
from smartcustoms.paths import MAPPINGS_DIR, SAMPLES_DIR

URL = "/api/v1/imports"
SAMPLE = SAMPLES_DIR / "kcs" / "df_syn_test_eng.csv"


def _small_kcs() -> bytes:
    """The header and the first 8 sample rows (file lines 2-9), three of them broken."""
    lines = SAMPLE.read_text(encoding="utf-8-sig").splitlines()[:9]
    assert lines[2].startswith("20889431,2021-04-01,20,") and ",711311,TH," in lines[2]
    lines[2] = lines[2].replace(",711311,", ",71A311,")                 # line 3: HS code
    assert lines[4].startswith("43489778,") and ",CN,CN,6.5," in lines[4]
    lines[4] = lines[4].replace(",CN,CN,6.5,", ",CN,XY,6.5,")          # line 5: origin
    assert lines[6].startswith("81282547,2021-04-01,")
    lines[6] = lines[6].replace(",2021-04-01,", ",2021-02-30,")         # line 7: date
    return ("\n".join(lines) + "\n").encode()


def _upload(api: Any, content: bytes, *, user: str = "analyst", name: str = "kcs_small.csv",
            data: dict[str, str] | None = None, files: dict[str, Any] | None = None) -> Any:
    return api.client.post(URL, headers=api.auth(user),
                           files={"file": (name, content, "text/csv"), **(files or {})},
                           data={"mapping_name": "kcs"} if data is None else data)


def _declaration_id(declarant: str, reference: str) -> str:
    return hashlib.blake2b(f"{declarant}\x1f{reference}".encode(), digest_size=16).hexdigest()


def test_upload_reports_counts_and_quarantines_with_reasons(api: Any) -> None:
    content = _small_kcs()
    r = _upload(api, content)
    assert r.status_code == 201, r.text
    report = r.json()
    assert {k: report[k] for k in (
        "id", "file_name", "file_sha256", "file_bytes", "format", "mapping_name", "status",
        "rows_read", "declarations_imported", "items_imported", "declarations_unchanged",
        "rows_quarantined", "error")} == {
        "id": 1, "file_name": "kcs_small.csv",
        "file_sha256": hashlib.sha256(content).hexdigest(), "file_bytes": len(content),
        "format": "csv", "mapping_name": "kcs-synthetic", "status": "completed",
        "rows_read": 8, "declarations_imported": 5, "items_imported": 5,
        "declarations_unchanged": 0, "rows_quarantined": 3, "error": None,
    }
    assert any("HS2017" in note for note in report["notes"])
    assert any(note.startswith("absent in the source") for note in report["notes"])
    assert api.client.get(f"{URL}/1", headers=api.auth("analyst")).json() == report
    listed = api.client.get(URL, headers=api.auth("supervisor")).json()
    assert (listed["total"], [i["id"] for i in listed["items"]]) == (1, [1])

    q = api.client.get(f"{URL}/1/quarantine", headers=api.auth("analyst"))
    assert q.status_code == 200
    quarantine = q.json()
    assert quarantine["total"] == 3
    records = {rec["line"]: rec for rec in quarantine["items"]}
    assert sorted(records) == [3, 5, 7]
    assert [records[n]["reference"] for n in (3, 5, 7)] == ["20889431", "43489778", "81282547"]

    def reasons(line: int) -> list[tuple[Any, ...]]:
        return [(e["field"], e.get("column"), e["value"], e["line"])
                for e in records[line]["errors"]]

    assert reasons(3) == [("items[0].hs_code", "HS6 Code", "71A311", 3)]
    assert reasons(5) == [("items[0].origin_country", "Country of Origin", "XY", 5)]
    assert reasons(7) == [("declaration_date", "Date", "2021-02-30", 7)]
    assert records[3]["errors"][0]["message"].startswith("must be 6, 8 or 10 digits")
    assert records[5]["errors"][0]["message"] == (
        "must be an ISO 3166-1 alpha-2 country code such as 'CN' or 'DE'")
    # The record is kept verbatim, with its line, for correction.
    assert '"HS6 Code":"71A311"' in records[3]["record"]

    assert api.count("declarations") == 5
    assert api.count("quarantine") == 3
    with api.engine.connect() as conn:
        imports = conn.execute(text(
            "SELECT actor, action, entity_id FROM audit_log WHERE action LIKE 'import.%'")).all()
    assert [tuple(r) for r in imports] == [("analyst", "import.complete", "1")]
    listed = api.client.get("/api/v1/declarations", params={"import_run_id": 1},
                            headers=api.auth("officer")).json()
    assert listed["total"] == 5
    assert {s["reference"] for s in listed["items"]} == {
        "41256141", "25403940", "94895240", "13935563", "57224212"}


def test_importing_the_same_upload_again_imports_nothing_new(api: Any) -> None:
    content = _small_kcs()
    first = _upload(api, content).json()
    api.clock.advance(minutes=5)
    again = _upload(api, content, name="renamed.csv")
    assert again.status_code == 201
    second = again.json()
    assert second["id"] == first["id"] + 1
    assert (second["rows_read"], second["declarations_imported"], second["items_imported"],
            second["declarations_unchanged"]) == (8, 0, 0, 5)
    assert second["file_sha256"] == first["file_sha256"]
    assert api.count("declarations") == 5
    assert api.count("declaration_items") == 5
    assert api.count("quarantine") == 3
    q = api.client.get(f"{URL}/{second['id']}/quarantine", headers=api.auth("analyst")).json()
    assert q["total"] == 3 and [rec["line"] for rec in q["items"]] == [3, 5, 7]
    # The stored declaration is the first import's.
    got = api.client.get(f"/api/v1/declarations/{_declaration_id('LPA7LKZ', '41256141')}",
                         headers=api.auth("officer")).json()
    assert got["import_run_id"] == first["id"]
    assert got["created_at"] == "2026-11-20T09:30:00Z"


def test_imported_declarations_belong_to_their_importer(
    api: Any, kit: SimpleNamespace,
) -> None:
    _upload(api, _small_kcs())
    mine = _declaration_id("LPA7LKZ", "41256141")
    got = api.client.get(f"/api/v1/declarations/{mine}", headers=api.auth("kcs-trader"))
    assert got.status_code == 200
    declared = got.json()["declared"]
    assert declared["items"][0]["hs_code"] == "420231"
    assert declared["items"][0]["hs_edition"] == "HS2017"
    assert declared["items"][0]["price"] == {"amount": "1248.7", "currency": "KRW"}
    assert got.json()["source_extra"] == {"Fraud": "0", "Critical Fraud": "0"}
    other = _declaration_id("NZYZ967", "20889431")  # quarantined: never stored
    kit.assert_problem(api.client.get(f"/api/v1/declarations/{other}",
                                      headers=api.auth("officer")), 404, "not-found")
    foreign = _declaration_id("69Z0KLV", "25403940")
    kit.assert_problem(api.client.get(f"/api/v1/declarations/{foreign}",
                                      headers=api.auth("kcs-trader")), 404, "not-found")


def test_an_uploaded_mapping_file_works_like_the_shipped_one(api: Any) -> None:
    mapping = (MAPPINGS_DIR / "kcs.yaml").read_bytes()
    r = _upload(api, _small_kcs(), data={},
                files={"mapping": ("mine.yaml", mapping, "application/yaml")})
    assert r.status_code == 201, r.text
    assert (r.json()["declarations_imported"], r.json()["rows_quarantined"]) == (5, 3)


@pytest.mark.parametrize("user", ["trader", "officer"])
def test_only_import_roles_may_upload(api: Any, kit: SimpleNamespace, user: str) -> None:
    body = kit.assert_problem(_upload(api, _small_kcs(), user=user), 403, "permission-denied")
    assert body["detail"] == f"role '{user}' lacks the permission 'imports:run'"
    assert api.count("import_runs") == 0
    kit.assert_problem(api.client.get(URL, headers=api.auth(user)), 403, "permission-denied")


def test_upload_needs_a_login(api: Any, kit: SimpleNamespace) -> None:
    r = api.client.post(URL, files={"file": ("a.csv", b"x", "text/csv")},
                        data={"mapping_name": "kcs"})
    kit.assert_problem(r, 401, "authentication-failed")


@pytest.mark.parametrize("name", ["/etc/passwd", "../kcs", "kcs.yaml", "data/mappings/kcs"])
def test_mapping_name_is_a_name_not_a_server_path(
    api: Any, kit: SimpleNamespace, name: str,
) -> None:
    body = kit.assert_problem(_upload(api, _small_kcs(), data={"mapping_name": name}), 422,
                              "invalid-input")
    assert [(e["field"], e["value"]) for e in body["errors"]] == [("body.mapping_name", name)]
    assert api.count("import_runs") == 0


def test_unknown_mapping_name_lists_the_shipped_ones(api: Any, kit: SimpleNamespace) -> None:
    body = kit.assert_problem(_upload(api, _small_kcs(), data={"mapping_name": "nope"}), 422,
                              "mapping-invalid")
    assert body["detail"] == "no shipped mapping 'nope'; shipped: ['kcs']"


def test_csv_without_a_mapping_is_refused(api: Any, kit: SimpleNamespace) -> None:
    body = kit.assert_problem(_upload(api, _small_kcs(), data={}), 422, "invalid-input")
    assert body["errors"] == [{"field": "mapping",
                               "message": "a CSV import needs a column-mapping file (--mapping)",
                               "value": None}]


def test_a_csv_that_does_not_fit_the_mapping_fails_the_run(
    api: Any, kit: SimpleNamespace,
) -> None:
    body = kit.assert_problem(_upload(api, b"a,b\n1,2\n"), 422, "mapping-invalid")
    assert body["detail"].startswith("mapping 'kcs-synthetic' names columns the file does not "
                                     "have: 'Declaration ID'")
    run = api.client.get(f"{URL}/1", headers=api.auth("analyst")).json()
    assert (run["status"], run["error"]) == ("failed", body["detail"])
    assert api.count("declarations") == 0


@pytest.mark.parametrize("filename", ["..", ".", ""])
def test_upload_names_without_a_file_part_are_not_a_500(
    api: Any, kit: SimpleNamespace, filename: str,
) -> None:
    r = _upload(api, _small_kcs(), name=filename, data={"mapping_name": "kcs", "format": "csv"})
    if filename == "":
        # An empty file name is no file at all for the multipart parser.
        kit.assert_problem(r, 422, "invalid-input")
        return
    assert r.status_code == 201, r.text
    assert r.json()["file_name"] == "upload"
    assert r.json()["declarations_imported"] == 5
    assert list(Path(api.settings.data_dir, "uploads").iterdir()) == []  # cleaned up


def test_upload_over_the_limit_is_413(api: Any, kit: SimpleNamespace) -> None:
    small = api.settings.model_copy(update={"max_upload_bytes": 1024})
    app = create_app(small, console=False, clock=api.clock)
    with TestClient(app) as client:
        r = client.post(URL, headers=api.auth("analyst"),
                        files={"file": ("big.csv", b"x" * 1025, "text/csv")},
                        data={"mapping_name": "kcs"})
        body = kit.assert_problem(r, 413, "payload-too-large")
        assert body["detail"] == "the upload is larger than 1024 bytes"
        ok = client.post(URL, headers=api.auth("analyst"),
                         files={"file": ("a.csv", _small_kcs()[:1000], "text/csv")},
                         data={"mapping_name": "kcs"})
        assert ok.status_code == 201, ok.text
    app.state.ctx.engine.dispose()
    assert api.count("import_runs") == 1


@pytest.mark.parametrize(("path", "status", "code"), [
    (f"{URL}/999", 404, "not-found"),
    (f"{URL}/999/quarantine", 404, "not-found"),
    (f"{URL}/x/quarantine", 422, "invalid-input"),
])
def test_unknown_runs(api: Any, kit: SimpleNamespace, path: str, status: int, code: str) -> None:
    kit.assert_problem(api.client.get(path, headers=api.auth("analyst")), status, code)
