"""Trade documents in the console: the declaration page's documents panel (attach files,
the cross-check's findings) and a document page that shows where each value was read —
the page image with the evidence boxes drawn on it, the finding's own box highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session as DbSession
from starlette.datastructures import UploadFile

from smartcustoms.db import unit_of_work
from smartcustoms.documents import service as documents
from smartcustoms.documents.extract.layout import MAX_BYTES
from smartcustoms.documents.models import DocumentReading, Evidence, document_fields
from smartcustoms.errors import InvalidInput, NotFound
from smartcustoms.http.deps import context
from smartcustoms.identity import Permission

from .contexts import Layout
from .session import ConsoleSession, Session, check_csrf
from .web import ConsoleRoute, PostedForm, redirect, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False,
                   default_response_class=HTMLResponse)

PAGE_DPI = 110  # the page image's resolution; the boxes are drawn in PDF points (SVG)


def document_href(declaration_id: str, file_id: int | None, *, page: int | None = None,
                  field: str | None = None, finding: int | None = None) -> str:
    query = {k: v for k, v in (("page", page), ("field", field), ("finding", finding))
             if v is not None}
    return (f"/declarations/{declaration_id}/documents/{file_id}"
            + (f"?{urlencode(query)}" if query else ""))


@dataclass(frozen=True, slots=True)
class DocumentsPanel:
    declaration_id: str
    check: documents.DocumentCheck
    can_attach: bool
    notice: str | None = None

    def href(self, finding_index: int) -> str | None:
        """Where the finding's document value was read, or None (nothing to show)."""
        finding = self.check.findings[finding_index]
        side = finding.document
        if side is None or side.evidence is None or finding.file_id is None:
            return None
        return document_href(self.declaration_id, finding.file_id, page=side.evidence.page,
                             field=side.path, finding=finding_index)

    @staticmethod
    def where(evidence: Evidence) -> str:
        """'page 2', or the XML element of an e-invoice's value."""
        return f"page {evidence.page}" if evidence.page else f"element {evidence.xpath}"


def load_documents_panel(db: DbSession, declaration_id: str, session: ConsoleSession, *,
                         attached: str | None = None) -> DocumentsPanel:
    """For everyone who may read the declaration: a trader sees the findings on their own
    documents (they filed both sides), staff see every declaration's."""
    check = documents.declaration_documents(db, declaration_id, actor=session.principal)
    notice = None
    if attached is not None and attached.isdigit():
        count = int(attached)
        notice = (f"{count} document{'s' if count != 1 else ''} attached and checked."
                  if count else "These files were attached before: nothing added.")
    return DocumentsPanel(declaration_id=declaration_id, check=check,
                          can_attach=session.principal.can(Permission.attach_documents),
                          notice=notice)


@router.post("/declarations/{declaration_id}/documents")
def attach(declaration_id: str, request: Request, session: Session,
           values: PostedForm) -> Response:
    """Attach the uploaded files and check the declaration against them."""
    check_csrf(session, _text(values, "csrf_token"))
    uploads = []
    for value in values.getlist("files"):
        if not isinstance(value, UploadFile) or not value.filename:
            continue
        content = value.file.read(MAX_BYTES + 1)
        uploads.append(documents.Upload(value.filename, content,
                                        value.content_type or "application/octet-stream"))
    if not uploads:
        raise InvalidInput("choose at least one file to attach", field="files", value=0)
    ctx = context(request)
    with unit_of_work(ctx.sessions) as db:
        classifier = documents.active_classifier(ctx.classifiers, db, ctx.settings)
        result = documents.attach_documents(db, declaration_id, uploads,
                                            actor=session.principal, now=ctx.clock(),
                                            classifier=classifier)
    return redirect(f"/declarations/{declaration_id}?"
                    + urlencode({"attached": result.added}) + "#documents")


@dataclass(frozen=True, slots=True)
class Box:
    """An evidence box on the page, in PDF points from the top-left corner. Drawn as SVG
    over the image with the page's size as its view box, so it scales with the image and
    needs no inline style (which the console's CSP forbids)."""

    path: str
    value: str
    x: float
    y: float
    width: float
    height: float
    highlighted: bool
    method: str
    confidence: float


@dataclass(frozen=True, slots=True)
class DocumentPage:
    layout: Layout
    declaration_id: str
    file: documents.DocumentFile
    reading: DocumentReading | None
    page: int
    has_pages: bool  # False for an e-invoice read from bare XML
    page_width: float  # points
    page_height: float
    image_href: str
    boxes: tuple[Box, ...]
    fields: tuple[tuple[str, str, Evidence | None, str], ...]  # path, value, evidence, href
    finding: Any  # documents.StoredFinding | None
    field: str | None
    back_href: str
    content_href: str

    @property
    def pages(self) -> range:
        return range(1, (self.file.page_count or 1) + 1)

    def page_href(self, page: int) -> str:
        return document_href(self.declaration_id, self.file.id, page=page)


@router.get("/declarations/{declaration_id}/documents/{file_id}")
def document_page(declaration_id: str, file_id: int, request: Request,
                  session: Session) -> Response:
    """One attached document: the page with every read value's box, the chosen field
    (``?field=``) or finding (``?finding=``) highlighted, and the list of fields read."""
    params = request.query_params
    field = params.get("field") or None
    ctx = context(request)
    with ctx.sessions() as db:
        file, reading = documents.document_reading(db, declaration_id, file_id,
                                                   actor=session.principal)
        finding = None
        if params.get("finding", "").isdigit():
            check = documents.declaration_documents(db, declaration_id,
                                                    actor=session.principal)
            index = int(params["finding"])
            if index < len(check.findings) and check.findings[index].file_id == file_id:
                finding = check.findings[index]
                if finding.document is not None:
                    field = finding.document.path
    highlighted = reading.evidence.get(field) if reading and field else None
    page = _int(params.get("page"), default=(highlighted.page or 1) if highlighted else 1)
    if not 1 <= page <= (file.page_count or 1):
        raise NotFound(f"document {file_id} has {file.page_count or 1} page(s); there is no "
                       f"page {page}", field="page", value=page)
    width, height = 0.0, 0.0
    # An e-invoice read from its XML has no page to show (a Factur-X PDF still does).
    has_pages = reading is not None and (
        file.filename.casefold().endswith(".pdf") or file.media_type == "application/pdf"
        or any(e.bbox is not None for e in reading.evidence.values()))
    if has_pages:
        with ctx.sessions() as db:
            width, height = documents.page_size(db, declaration_id, file_id, page,
                                                actor=session.principal)
    values = document_fields(reading.document) if reading else {}
    boxes = tuple(
        Box(path=path, value=_shown(values.get(path)), x=e.bbox[0] - 1, y=e.bbox[1] - 1,
            width=e.bbox[2] - e.bbox[0] + 2, height=e.bbox[3] - e.bbox[1] + 2,
            highlighted=path == field, method=e.method, confidence=e.confidence)
        for path, e in (reading.evidence.items() if reading else ())
        if e.page == page and e.bbox is not None)
    rows = tuple(
        (path, _shown(value), reading.evidence.get(path) if reading else None,
         document_href(declaration_id, file_id,
                       page=reading.evidence[path].page, field=path)
         if reading and path in reading.evidence and reading.evidence[path].page else "")
        for path, value in values.items())
    base = f"/declarations/{declaration_id}/documents/{file_id}"
    return render(request, "documents/view.html", DocumentPage(
        layout=Layout.build(session, "/declarations"), declaration_id=declaration_id,
        file=file, reading=reading, page=page, has_pages=has_pages, page_width=width,
        page_height=height,
        image_href=f"{base}/pages/{page}.png", boxes=boxes, fields=rows, finding=finding,
        field=field, back_href=f"/declarations/{declaration_id}#documents",
        content_href=f"{base}/content"))


@router.get("/declarations/{declaration_id}/documents/{file_id}/pages/{page}.png",
            response_class=Response)
def page_png(declaration_id: str, file_id: int, page: int, request: Request,
             session: Session) -> Response:
    with context(request).sessions() as db:
        image = documents.page_image(db, declaration_id, file_id, page,
                                     actor=session.principal, dpi=PAGE_DPI)
    return Response(image, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/declarations/{declaration_id}/documents/{file_id}/content",
            response_class=Response)
def content(declaration_id: str, file_id: int, request: Request,
            session: Session) -> Response:
    from urllib.parse import quote

    with context(request).sessions() as db:
        file, data = documents.document_content(db, declaration_id, file_id,
                                                actor=session.principal)
    return Response(data, media_type=file.media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}",
        "X-Content-Type-Options": "nosniff"})


def _text(values: Any, name: str) -> str:
    value = values.get(name)
    return value if isinstance(value, str) else ""


def _int(value: str | None, *, default: int) -> int:
    return int(value) if value and value.isdigit() else default


def _shown(value: Any) -> str:
    if value is None:
        return ""
    amount = getattr(value, "amount", None)
    if amount is not None:
        return f"{amount} {value.currency}"
    quantity = getattr(value, "value", None)
    if quantity is not None and hasattr(value, "unit"):
        return f"{quantity} {value.unit}"
    return str(value)
