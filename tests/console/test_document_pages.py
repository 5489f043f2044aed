"""The declaration page's trade documents (attach, findings) and the document page that
draws the evidence boxes on the page image, the finding's own box highlighted; in a real
browser too, where the highlighted box must sit on the value it points to."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from smartcustoms.db import unit_of_work
from smartcustoms.declarations import submit_declaration
from smartcustoms.documents import service as documents
from smartcustoms.documents.generate import GeneratedCase, generate_case
from smartcustoms.identity import SYSTEM

from .conftest import (
    NOW,
    Console,
    build_console,
    copy_console,
    parse_html,
    password_of,
    served,
    skip_without_chromium,
)

CASE_SEED = 31


def a_case() -> GeneratedCase:
    return generate_case(CASE_SEED, inconsistencies=["total_changed"])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A console with the generated declaration stored and its invoice attached."""
    root = tmp_path_factory.mktemp("documents")
    built = build_console(root / "data", seed=True)
    ctx = built.app.state.ctx
    case = a_case()
    with unit_of_work(ctx.sessions) as db:
        declaration_id = submit_declaration(db, case.declaration.model_dump(mode="json"),
                                            actor=SYSTEM, now=NOW).declaration.id
        invoice = case.document("commercial_invoice")
        documents.attach_documents(db, declaration_id, [
            documents.Upload("invoice.pdf", invoice.pdf, "application/pdf")],
            actor=SYSTEM, now=NOW)
    (root / "declaration_id").write_text(declaration_id)
    ctx.engine.dispose()
    return root / "data"


@pytest.fixture(scope="module")
def declaration_id(template: Path) -> str:
    return (template.parent / "declaration_id").read_text()


def _page(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return parse_html(response.text)


def test_findings_link_to_the_evidence_on_the_page(as_user: Any, declaration_id: str) -> None:
    client = as_user("officer.kim")
    doc = _page(client.get(f"/declarations/{declaration_id}"))
    files = doc.by_id("document-files").find("tbody").find_all("tr")
    assert [f.attrs["data-read"] for f in files] == ["true"]
    findings = doc.by_id("document-findings").find_all("li", cls="finding")
    total = next(f for f in findings if f.attrs["data-code"] == "invoice-total-mismatch")
    link = total.find("a", cls="evidence-link").attrs["href"]
    assert re.fullmatch(rf"/declarations/{declaration_id}/documents/\d+\?page=1&field=total"
                        r"&finding=\d+", link)

    view = _page(client.get(link))
    assert "invoice-total-mismatch" in view.by_id("finding").text
    boxes = view.by_id("docpage").find_all("a", cls="box")
    highlighted = [b for b in boxes if "highlighted" in b.attrs["class"]]
    assert [b.attrs["data-path"] for b in highlighted] == ["total"]
    assert len(boxes) > 10  # every value read on the page has its box
    assert view.by_id("field-highlighted").find("td").text.strip() == "total"

    image = client.get(view.by_id("docpage").find("img").attrs["src"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (910, 1287)  # A4 at 110 dpi
    # The boxes are in PDF points over a view box of the page's size in points.
    assert view.by_id("docpage").find("svg").attrs["viewbox"] == "0 0 595.28 841.89"
    rect = highlighted[0].find("rect").attrs
    assert 0 < float(rect["x"]) < 595 and 0 < float(rect["y"]) < 842
    assert float(rect["width"]) > 10 and 5 < float(rect["height"]) < 30


def test_an_officer_attaches_the_other_documents(
        fresh: Console, as_user: Any, declaration_id: str) -> None:
    case = a_case()
    client = as_user("officer.kim", fresh)
    doc = _page(client.get(f"/declarations/{declaration_id}"))
    form = doc.by_id("attach-documents")
    csrf = form.find("input", name="csrf_token").attrs["value"]
    pdfs = [("files", (f"{d.document_type}.pdf", d.pdf, "application/pdf"))
            for d in case.documents]
    done = client.post(form.attrs["action"], data={"csrf_token": csrf}, files=pdfs)
    assert done.status_code == 303, done.text
    assert done.headers["location"].endswith("?attached=2#documents")  # the invoice was there
    after = _page(client.get(done.headers["location"]))
    assert "2 documents attached" in after.by_id("documents").text
    assert len(after.by_id("document-files").find("tbody").find_all("tr")) == 3
    refused = client.post(form.attrs["action"], data={"csrf_token": "forged"}, files=pdfs)
    assert refused.status_code == 403


def test_the_analyst_reads_but_may_not_attach(as_user: Any, declaration_id: str) -> None:
    doc = _page(as_user("analyst.lee").get(f"/declarations/{declaration_id}"))
    assert doc.by_id("document-findings")
    assert not doc.find_all("form", id="attach-documents")
    other = as_user("trader.park").get(f"/declarations/{declaration_id}/documents/1")
    assert other.status_code == 404  # another company's declaration: not even its files


# --- in a browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    console = copy_console(template, tmp_path_factory.mktemp("documents-browser") / "data")
    with served(console.app) as url:
        yield url
    console.app.state.ctx.engine.dispose()


@pytest.mark.browser
def test_the_highlighted_box_sits_on_the_value(page: Any, declaration_id: str) -> None:
    skip_without_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    page.goto(f"/declarations/{declaration_id}")
    page.fill("input[name=username]", "officer.kim")
    page.fill("input[name=password]", password_of("officer.kim"))
    page.click("button[type=submit]")
    page.wait_for_url(f"**/declarations/{declaration_id}")
    total = page.locator("#document-findings li[data-code=invoice-total-mismatch]")
    total.get_by_role("link", name=re.compile("see page")).click()
    page.wait_for_url("**/documents/*?page=1&field=total*")
    image = page.locator("#docpage img")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('#docpage img').complete")
    box = page.locator("#docpage a.box.highlighted")
    expect(box).to_have_count(1)
    expect(box).to_be_visible()
    image_box, value_box = image.bounding_box(), box.bounding_box()
    assert image_box["x"] <= value_box["x"] < image_box["x"] + image_box["width"]
    assert image_box["y"] <= value_box["y"] < image_box["y"] + image_box["height"]
    # The box covers dark (printed) pixels: it is drawn over the value, not beside it.
    shot = Image.open(io.BytesIO(box.screenshot())).convert("L")
    assert shot.getextrema()[0] < 100

    # Clicking another box highlights that field instead.
    other = page.locator("#docpage a.box[data-path=number]")
    other.click()
    page.wait_for_url("**field=number*")
    expect(page.locator("#docpage a.box.highlighted")).to_have_attribute("data-path", "number")
    expect(page.locator("#field-highlighted")).to_contain_text("number")
