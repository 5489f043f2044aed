"""Certificates of origin in the console.

The verify page: an officer drops a proof bundle (verified offline with the
administration's trust policy, then online against its log) or pastes the ``SCO1:…``
payload of a printed QR code (looked up in the local log), and sees the three answers
(integrity, status, issuer), each with its reason, and the disclosed fields. The
certificate page is the printable form of a certificate issued here, with its QR code as
inline SVG (segno); issuers' staff only, since it shows every field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from smartcustoms.errors import InvalidInput, SmartCustomsError
from smartcustoms.http.deps import context
from smartcustoms.identity import Permission
from smartcustoms.origin import service as origin
from smartcustoms.origin.bundle import MAX_BUNDLE_BYTES
from smartcustoms.origin.models import Certificate

from .contexts import ORIGIN_PATH, Layout
from .session import Session, check_csrf
from .web import ConsoleRoute, PostedForm, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False,
                   default_response_class=HTMLResponse)


@dataclass(frozen=True, slots=True)
class OriginPage:
    layout: Layout
    qr: str
    report: origin.VerificationReport | None
    lookup: origin.QrLookup | None
    certificates: tuple[origin.CertificateInfo, ...]
    can_issue: bool
    error: str | None = None

    @property
    def verdicts(self) -> tuple[origin.VerdictOut, ...]:
        if self.report is None:
            return ()
        return (self.report.offline,) + ((self.report.online,) if self.report.online else ())

    @property
    def disclosed(self) -> list[tuple[str, Any]]:
        if self.report is None:
            return []
        best = self.report.online or self.report.offline
        return sorted(best.disclosed.items())


def _page(request: Request, session: Any, *, qr: str = "",
          report: origin.VerificationReport | None = None,
          lookup: origin.QrLookup | None = None, error: str | None = None) -> OriginPage:
    actor = session.principal
    can_issue = actor.can(Permission.issue_origin)
    certificates: tuple[origin.CertificateInfo, ...] = ()
    if can_issue:
        with context(request).sessions() as db:
            certificates = tuple(origin.list_certificates(db, limit=20))
    return OriginPage(layout=Layout.build(session, ORIGIN_PATH), qr=qr, report=report,
                      lookup=lookup, certificates=certificates, can_issue=can_issue,
                      error=error)


@router.get(ORIGIN_PATH)
def origin_page(request: Request, session: Session) -> Response:
    """The verify form; ``?qr=SCO1:…`` looks the certificate up in the local log."""
    session.principal.require(Permission.verify_origin)
    qr = request.query_params.get("qr", "").strip()
    lookup, error = None, None
    if qr:
        ctx = context(request)
        try:
            with ctx.sessions() as db:
                lookup = origin.lookup_qr(db, ctx.settings, qr, actor=session.principal,
                                          now=ctx.clock())
        except SmartCustomsError as exc:
            error = exc.detail
    page = _page(request, session, qr=qr, lookup=lookup, error=error)
    return render(request, "origin/verify.html", page, status=422 if error else 200)


@router.post(ORIGIN_PATH + "/verify")
def verify(request: Request, session: Session, values: PostedForm) -> Response:
    """Verify an uploaded bundle: three answers with their reasons."""
    token = values.get("csrf_token")
    check_csrf(session, token if isinstance(token, str) else "")
    session.principal.require(Permission.verify_origin)
    upload = values.get("bundle")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("choose a bundle file", field="bundle")
    data = upload.file.read(MAX_BUNDLE_BYTES + 1)
    ctx = context(request)
    report = origin.verify_local(ctx.settings, data, actor=session.principal, now=ctx.clock())
    return render(request, "origin/verify.html", _page(request, session, report=report))


@dataclass(frozen=True, slots=True)
class CertificatePage:
    layout: Layout
    info: origin.CertificateInfo
    certificate: Certificate
    qr_svg: str


def qr_svg(payload: str) -> str:
    """The QR code as an SVG element: attributes only, no style (the CSP forbids it).
    ``unit="px"`` adds a viewBox to the width and height, so that the print stylesheet's
    4 cm scales the code instead of cropping its right and bottom edges."""
    import segno

    code = segno.make(payload, error="m", micro=False)
    return str(code.svg_inline(scale=4, border=2, dark="#000", light="#fff",
                               svgclass="qr", lineclass=None, omitsize=False, unit="px"))


@router.get(ORIGIN_PATH + "/certificates/{number}")
def certificate_page(number: str, request: Request, session: Session) -> Response:
    """The printable certificate with its QR code."""
    ctx = context(request)
    with ctx.sessions() as db:
        info, cert = origin.certificate_document(db, number, actor=session.principal)
    page = CertificatePage(layout=Layout.build(session, ORIGIN_PATH), info=info,
                           certificate=cert, qr_svg=qr_svg(info.qr_payload))
    return render(request, "origin/certificate.html", page)
