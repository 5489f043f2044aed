"""Trade documents over HTTP: read, pre-checked before filing, attached to a stored
declaration (kept as received, idempotent), cross-checked, and served back with pages."""

from __future__ import annotations

import io
import types
from typing import Any

import pytest
from PIL import Image

from smartcustoms.documents.generate import GeneratedCase, generate_case

PDF = "application/pdf"


@pytest.fixture(scope="module")
def case() -> GeneratedCase:
    # The declared total is changed: the invoice disagrees, and says so with evidence.
    return generate_case(11, inconsistencies=["total_changed"])


def files(case: GeneratedCase, *types_: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    chosen = types_ or tuple(d.document_type for d in case.documents)
    return [("files", (f"{t}.pdf", case.document(t).pdf, PDF)) for t in chosen]


def stored(api: Any, case: GeneratedCase) -> str:
    response = api.submit(case.declaration.model_dump(mode="json"), as_user="admin")
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_attach_check_and_serve_documents(api: Any, kit: types.SimpleNamespace,
                                          case: GeneratedCase) -> None:
    declaration_id = stored(api, case)
    url = f"/api/v1/declarations/{declaration_id}/documents"
    empty = api.client.get(url, headers=api.auth("officer")).json()
    assert empty["files"] == [] and empty["findings"] == [] and empty["checked_at"] is None

    attached = api.client.post(url, headers=api.auth("officer"), files=files(case))
    assert attached.status_code == 200, attached.text
    body = attached.json()
    assert body["added"] == 3
    assert [f["document_type"] for f in body["files"]] == [
        "commercial_invoice", "packing_list", "bill_of_lading"]
    assert all(f["read"] and f["uploaded_by"] == "officer" for f in body["files"])
    codes = {f["code"] for f in body["findings"]}
    assert "invoice-total-mismatch" in codes
    total = next(f for f in body["findings"] if f["code"] == "invoice-total-mismatch")
    assert total["severity"] in ("high", "medium")
    assert total["file_id"] == body["files"][0]["id"]
    evidence = total["document"]["evidence"]
    assert evidence["page"] >= 1 and len(evidence["bbox"]) == 4
    assert body["counts"][total["severity"]] >= 1

    # The same files again: nothing added, the findings unchanged.
    again = api.client.post(url, headers=api.auth("officer"), files=files(case)).json()
    assert again["added"] == 0 and len(again["files"]) == 3
    assert again["findings"] == body["findings"]
    assert api.count("document_contents") == 3

    invoice_id = body["files"][0]["id"]
    content = api.client.get(f"{url}/{invoice_id}/content", headers=api.auth("officer"))
    assert content.status_code == 200
    assert content.content == case.document("commercial_invoice").pdf
    assert content.headers["content-type"] == PDF
    page = api.client.get(f"{url}/{invoice_id}/pages/1.png", headers=api.auth("officer"),
                          params={"dpi": 72})
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    width, height = Image.open(io.BytesIO(page.content)).size
    assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points at 72 dpi
    kit.assert_problem(api.client.get(f"{url}/{invoice_id}/pages/9.png",
                                      headers=api.auth("officer")), 404, "not-found")
    reading = api.client.get(f"{url}/{invoice_id}", headers=api.auth("officer")).json()
    assert reading["reading"]["document"]["number"] == \
        case.document("commercial_invoice").truth.number
    kit.assert_problem(api.client.get(f"{url}/99999", headers=api.auth("officer")), 404,
                       "not-found")

    # Another company's trader learns nothing; an analyst may read but not attach.
    kit.assert_problem(api.client.get(url, headers=api.auth("other-trader")), 404,
                       "not-found")
    kit.assert_problem(api.client.post(url, headers=api.auth("analyst"), files=files(case)),
                       403, "permission-denied")
    assert api.client.get(url, headers=api.auth("analyst")).status_code == 200

    rechecked = api.client.post(f"{url}/check", headers=api.auth("supervisor")).json()
    assert rechecked["checked_by"] == "supervisor"
    assert [f["code"] for f in rechecked["findings"]] == [f["code"] for f in body["findings"]]


def test_a_file_that_cannot_be_read_is_kept_with_its_reason(
        api: Any, case: GeneratedCase) -> None:
    declaration_id = stored(api, case)
    url = f"/api/v1/declarations/{declaration_id}/documents"
    body = api.client.post(url, headers=api.auth("officer"), files=[
        ("files", ("notes.pdf", b"this is not a PDF", PDF)),
        *files(case, "commercial_invoice")]).json()
    broken, invoice = body["files"]
    assert not broken["read"] and broken["error"]["code"] == "document-unreadable"
    assert "notes.pdf" in broken["error"]["detail"]
    assert invoice["read"]
    assert body["findings"], "the readable invoice is still checked"
    content = api.client.get(f"{url}/{broken['id']}/content", headers=api.auth("officer"))
    assert content.content == b"this is not a PDF"


def test_precheck_before_filing_stores_nothing(api: Any, kit: types.SimpleNamespace,
                                               case: GeneratedCase) -> None:
    declaration = case.declaration.model_dump_json().encode()
    response = api.client.post(
        "/api/v1/documents/check", headers=api.auth("broker"),
        files=[("declaration", ("declaration.json", declaration, "application/json")),
               *files(case)])
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["filename"] for r in body["readings"]] == [
        "commercial_invoice.pdf", "packing_list.pdf", "bill_of_lading.pdf"]
    assert "invoice-total-mismatch" in {f["code"] for f in body["findings"]}
    assert body["tariff_checked"] is False  # no tariff model is active here
    assert api.count("document_files") == 0 and api.count("declarations") == 0

    kit.assert_problem(api.client.post(
        "/api/v1/documents/check", headers=api.auth("broker"),
        files=[("declaration", ("d.json", b"{not json", "application/json")),
               *files(case)]), 422, "invalid-input")
    bad = kit.assert_problem(api.client.post(
        "/api/v1/documents/read", headers=api.auth("broker"),
        files=[("files", ("scan.pdf", b"%PDF-1.4 broken", PDF))]), 422, "document-unreadable")
    assert "scan.pdf" in bad["detail"]
    read = api.client.post("/api/v1/documents/read", headers=api.auth("broker"),
                           files=files(case, "bill_of_lading")).json()
    assert read[0]["reading"]["document"]["document_type"] == "bill_of_lading"


def test_an_einvoice_is_attached_and_checked_like_a_printed_one(
        api: Any, case: GeneratedCase) -> None:
    from smartcustoms.documents.generate import invoice_ubl

    declaration_id = stored(api, case)
    url = f"/api/v1/declarations/{declaration_id}/documents"
    invoice = case.document("commercial_invoice").truth
    body = api.client.post(url, headers=api.auth("officer"), files=[
        ("files", ("invoice.xml", invoice_ubl(invoice), "application/xml"))]).json()
    assert body["files"][0]["read"] and body["files"][0]["document_type"] == \
        "commercial_invoice"
    total = next(f for f in body["findings"] if f["code"] == "invoice-total-mismatch")
    evidence = total["document"]["evidence"]
    assert evidence["method"] == "xml" and evidence["page"] is None
    assert evidence["xpath"].startswith("/")
