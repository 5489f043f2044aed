"""Console pages of declarations and imports.

Each view parses the request, calls the declarations service, and renders a typed context
(``contexts.py``). Permissions and company isolation are the service's: a trader asking for
another company's declaration gets the service's NotFound, rendered as a 404 page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from smartcustoms import declarations as decl
from smartcustoms.errors import InvalidInput
from smartcustoms.http.deps import context
from smartcustoms.paths import MAPPINGS_DIR
from smartcustoms.reference import load_hs2022

from .compliance_views import load_compliance_panel
from .contexts import (
    PAGE_SIZE,
    QUARANTINE_PAGE_SIZE,
    DeclarationListPage,
    DeclarationPage,
    ImportRunPage,
    ImportsPage,
    QuarantineSection,
)
from .document_views import load_documents_panel
from .forms import declaration_query, page_number
from .risk_contexts import InspectionForm
from .risk_panel import load_risk_panel
from .session import ConsoleSession, Session, check_csrf
from .tariff_views import load_tariff_panel
from .transit_panel import load_transit_panel
from .web import ConsoleRoute, is_htmx, redirect, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False,
                   default_response_class=HTMLResponse)

MAPPING_UPLOAD_LIMIT = 1024 * 1024


# --- declarations ---------------------------------------------------------------------------

@router.get("/declarations")
def declaration_list(request: Request, session: Session) -> Response:
    """The declarations the user may read, filtered; htmx swaps get the results table only.

    The address shown is the canonical one, without the form's empty fields: a plain form
    submission is redirected to it, an htmx swap pushes it (``HX-Push-Url``).
    """
    query = declaration_query(request.query_params)
    canonical = query.form.url(query.page)
    if not is_htmx(request) and any(not v for _, v in request.query_params.multi_items()):
        return redirect(canonical)
    if query.error is not None:  # the form again, the reasons where the results would be
        page = DeclarationListPage.invalid(session, query.form, query.error)
    else:
        ctx = context(request)
        with ctx.sessions() as db:
            result = decl.list_declarations(db, query.filter, actor=session.principal,
                                            limit=PAGE_SIZE,
                                            offset=(query.page - 1) * PAGE_SIZE)
        page = DeclarationListPage.build(session, query.form, result)
    status = query.error.http_status if query.error is not None else 200
    if not is_htmx(request):
        return render(request, "declarations/list.html", page, status=status)
    response = render(request, "declarations/_results.html", page, status=status)
    response.headers["HX-Push-Url"] = canonical
    return response


@router.get("/declarations/{declaration_id}")
def declaration_detail(declaration_id: str, request: Request, session: Session) -> Response:
    notice = request.query_params.get("inspection")  # set by the redirect after a result
    return render_declaration(request, session, declaration_id, notice=notice)


def render_declaration(request: Request, session: ConsoleSession, declaration_id: str, *,
                       form: InspectionForm | None = None, notice: str | None = None,
                       status: int = 200) -> Response:
    """The declaration page, with the risk panel for staff (``form``: sent back with errors)."""
    ctx = context(request)
    with ctx.sessions() as db:
        found = decl.get_declaration(db, declaration_id, actor=session.principal)
        risk = load_risk_panel(db, declaration_id, session, today=ctx.clock().date(),
                               form=form, notice=notice)
        tariff = load_tariff_panel(db, found, session,
                                   classified=request.query_params.get("classified"))
        compliance = load_compliance_panel(db, declaration_id, session,
                                           screened=request.query_params.get("screened"))
        documents = load_documents_panel(db, declaration_id, session,
                                         attached=request.query_params.get("attached"))
        transit = load_transit_panel(db, found.declared.reference, session)
    return render(request, "declarations/detail.html",
                  DeclarationPage.build(session, found, load_hs2022(), risk, tariff,
                                        compliance, documents, transit),
                  status=status)


# --- imports --------------------------------------------------------------------------------

def shipped_mappings() -> tuple[str, ...]:
    """Names of the column mappings that ship in ``data/mappings``."""
    return tuple(sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml")))


@router.get("/imports")
def import_list(request: Request, session: Session) -> Response:
    page_no = page_number(request.query_params)
    ctx = context(request)
    with ctx.sessions() as db:
        result = decl.list_imports(db, actor=session.principal, limit=PAGE_SIZE,
                                   offset=(page_no - 1) * PAGE_SIZE)
    return render(request, "imports/list.html",
                  ImportsPage.build(session, result, shipped_mappings()))


@router.post("/imports")
def import_upload(
    request: Request,
    session: Session,
    file: Annotated[UploadFile | None, File()] = None,
    mapping_file: Annotated[UploadFile | None, File()] = None,
    mapping_name: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Import an uploaded file, then show its report (POST, redirect, GET)."""
    check_csrf(session, csrf_token)
    if file is None or not file.filename:
        raise InvalidInput("choose a file to import", field="file", value=None)
    shipped = shipped_mappings()
    if mapping_name and mapping_name not in shipped:
        raise InvalidInput(f"no shipped mapping {mapping_name!r}; shipped: {list(shipped)}",
                           field="mapping_name", value=mapping_name)
    ctx = context(request)
    uploads = ctx.settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    name = _file_name(file.filename)
    with tempfile.TemporaryDirectory(dir=uploads) as tmp:
        target = Path(tmp) / name
        _save(file, target, ctx.settings.max_upload_bytes)
        spec = None
        if mapping_file is not None and mapping_file.filename:
            mapping_path = Path(tmp) / "mapping.yaml"
            _save(mapping_file, mapping_path, MAPPING_UPLOAD_LIMIT)
            spec = decl.load_mapping(mapping_path)
        elif mapping_name:
            spec = decl.shipped_mapping(mapping_name)
        report = decl.import_file(
            ctx.sessions, target, actor=session.principal, clock=ctx.clock, mapping=spec,
            file_name=name, chunk_size=ctx.settings.import_chunk_size,
            commit_rows=ctx.settings.import_commit_rows, workers=0,
            bulk_min_rows=ctx.settings.import_bulk_rows,
        )
    return redirect(f"/imports/{report.id}")


@router.get("/imports/{run_id}")
def import_run(run_id: int, request: Request, session: Session) -> Response:
    """An import's report and, page by page, the records it quarantined with their reasons."""
    page_no = page_number(request.query_params)
    ctx = context(request)
    with ctx.sessions() as db:
        report = decl.get_import(db, run_id, actor=session.principal)
        quarantined = decl.get_quarantine(db, run_id, actor=session.principal,
                                          limit=QUARANTINE_PAGE_SIZE,
                                          offset=(page_no - 1) * QUARANTINE_PAGE_SIZE)
    return render(request, "imports/detail.html",
                  ImportRunPage.build(session, report, quarantined))


@router.get("/imports/{run_id}/quarantine")
def import_quarantine(run_id: int, request: Request, session: Session) -> Response:
    """One page of the quarantine, as the fragment htmx swaps into the report page."""
    page_no = page_number(request.query_params)
    if not is_htmx(request):
        suffix = f"?page={page_no}" if page_no > 1 else ""
        return redirect(f"/imports/{run_id}{suffix}")
    ctx = context(request)
    with ctx.sessions() as db:
        quarantined = decl.get_quarantine(db, run_id, actor=session.principal,
                                          limit=QUARANTINE_PAGE_SIZE,
                                          offset=(page_no - 1) * QUARANTINE_PAGE_SIZE)
    return render(request, "imports/quarantine_fragment.html",
                  QuarantineSection.build(run_id, quarantined))


def _file_name(client_name: str) -> str:
    name = Path(client_name.replace("\\", "/")).name
    return name if name not in ("", ".", "..") else "upload"


def _save(upload: UploadFile, target: Path, limit: int) -> None:
    """Copy an upload to ``target``, refusing more than ``limit`` bytes."""
    upload.file.seek(0)
    size = 0
    with target.open("wb") as out:
        while block := upload.file.read(1 << 20):
            size += len(block)
            if size > limit:
                raise InvalidInput(f"the upload is larger than {limit} bytes",
                                   field="file", value=upload.filename)
            out.write(block)
