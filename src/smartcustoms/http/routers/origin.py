"""Certificates of origin over HTTP.

- ``/api/v1/origin/…`` (authenticated): the issuer registry (admin), issuing, revoking
  and drawing on certificates (``origin:issue``), proof bundles, verification (every
  role), the trust policy, QR look-ups; ``/api/v1/declarations/{id}/origin`` links a
  certificate to a declaration.
- ``/origin/log/…`` (public, read-only, cacheable): the log as C2SP tlog-tiles — the
  witnessed ``checkpoint`` and the tiles — which partners mirror and verifiers read.
- ``/origin/witness/add-checkpoint`` (public; the request is authenticated by the log's
  signature): C2SP tlog-witness, cosigning the partner logs the witness follows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from smartcustoms.config import Settings
from smartcustoms.db import unit_of_work, utcnow
from smartcustoms.errors import InvalidInput, NotFound
from smartcustoms.http.deps import Actor, AppContext, Ctx, context
from smartcustoms.http.problems import responses
from smartcustoms.identity import Permission
from smartcustoms.origin import issuer_service, linkage, partners, submit_service
from smartcustoms.origin import service as origin
from smartcustoms.origin.bundle import MAX_BUNDLE_BYTES
from smartcustoms.origin.errors import WitnessError, WitnessSizeConflict
from smartcustoms.origin.models import Certificate
from smartcustoms.origin.signed_certificate import MAX_SIGNED_BYTES, SIGNED_FORMAT
from smartcustoms.origin.statements import RevocationReason
from smartcustoms.origin.store import OriginPaths
from smartcustoms.origin.tiles import parse_tile_path
from smartcustoms.origin.witness import SIZE_CONTENT_TYPE

router = APIRouter(prefix="/api/v1/origin", tags=["origin"])
declaration_origin = APIRouter(prefix="/api/v1/declarations", tags=["origin"])
log_router = APIRouter(prefix="/origin", tags=["origin log"])

BUNDLE_TYPE = "application/json"
_BUNDLE_BODY = {"requestBody": {"content": {
    BUNDLE_TYPE: {"schema": {"type": "object", "description": "The proof bundle"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "bundle": {"type": "string", "format": "binary"}}, "required": ["bundle"]}},
}, "required": True}}


# ------------------------------------------------------------------------ issuers

@router.get("/issuers", response_model=list[issuer_service.IssuerInfo],
            responses=responses(401, 403))
def issuers(ctx: Ctx, actor: Actor) -> list[issuer_service.IssuerInfo]:
    """The registered issuers."""
    actor.require(Permission.verify_origin)
    with ctx.sessions() as session:
        return issuer_service.list_issuers(session)


@router.post("/issuers", response_model=issuer_service.IssuerInfo, status_code=201,
             responses=responses(401, 403, 409, 422))
def add_issuer(body: issuer_service.IssuerCreate, ctx: Ctx, actor: Actor
               ) -> issuer_service.IssuerInfo:
    """Register an issuer (admin): with ``public_key`` the issuer keeps its private key;
    without, one is generated and held here. The root key signs the statement."""
    with unit_of_work(ctx.sessions) as session:
        return issuer_service.add_issuer(session, ctx.settings, body, actor=actor, now=ctx.clock())


@router.post("/issuers/{issuer_id}/rotate", response_model=issuer_service.IssuerInfo,
             responses=responses(401, 403, 404, 409, 422))
def rotate_issuer(issuer_id: str, ctx: Ctx, actor: Actor,
                  body: issuer_service.IssuerKeyRotate | None = None
                  ) -> issuer_service.IssuerInfo:
    """A new key for the issuer (``public_key``: its own; omitted: one generated and held
    here); the current one is retired."""
    with unit_of_work(ctx.sessions) as session:
        return issuer_service.rotate_issuer_key(
            session, ctx.settings, issuer_id, public_key=body.public_key if body else None,
            actor=actor, now=ctx.clock())


class IssuerRevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=512)
    compromised_from: int | None = Field(None, ge=0, description="The key was compromised "
                                         "from this log position")


@router.post("/issuers/{issuer_id}/revoke", response_model=issuer_service.IssuerInfo,
             responses=responses(401, 403, 404, 409, 422))
def revoke_issuer(issuer_id: str, body: IssuerRevokeIn, ctx: Ctx, actor: Actor
                  ) -> issuer_service.IssuerInfo:
    """Revoke an issuer from now on (and its key from ``compromised_from``)."""
    with unit_of_work(ctx.sessions) as session:
        return issuer_service.revoke_issuer(session, ctx.settings, issuer_id, reason=body.reason,
                                    compromised_from=body.compromised_from, actor=actor,
                                    now=ctx.clock())


# ------------------------------------------------------------------- certificates

class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issuer_id: str = Field(examples=["CCPIT-SZ"])
    certificate: Certificate


@router.post("/certificates", response_model=origin.CertificateInfo, status_code=201,
             responses=responses(401, 403, 404, 409, 422))
def issue(body: IssueIn, ctx: Ctx, actor: Actor) -> origin.CertificateInfo:
    """Issue a certificate: salted commitments, the issuer's signature, a log statement."""
    with unit_of_work(ctx.sessions) as session:
        return origin.issue_certificate(session, ctx.settings, body.certificate,
                                        issuer_id=body.issuer_id, actor=actor,
                                        now=ctx.clock())


_SIGNED_BODY = {"requestBody": {"content": {BUNDLE_TYPE: {"schema": {
    "type": "object", "description": f"A signed certificate package ({SIGNED_FORMAT}): "
    "committed, format, statement"}}}, "required": True}}


@router.post("/certificates/signed", response_model=origin.CertificateInfo, status_code=201,
             responses=responses(401, 403, 404, 409, 422), openapi_extra=_SIGNED_BODY)
async def issue_signed(request: Request, ctx: Ctx, actor: Actor) -> origin.CertificateInfo:
    """Append a certificate an issuer signed with its own key (``smartcustoms origin
    sign``): an issue, or an amend statement. The certificate is committed again with its
    salts, the statement compared with it, both signatures checked against the issuer's
    key valid at the next log position, its scope and the number; 422 names the member
    at fault."""
    data = await request.body()
    if not data or len(data) > MAX_SIGNED_BYTES:
        raise InvalidInput(f"a signed certificate is 1 to {MAX_SIGNED_BYTES} bytes",
                           field="package", value=len(data))
    return await run_in_threadpool(_issue_signed, ctx, data, actor)


def _issue_signed(ctx: AppContext, data: bytes, actor: Actor) -> origin.CertificateInfo:
    with unit_of_work(ctx.sessions) as session:
        return submit_service.submit_signed_certificate(session, ctx.settings, data,
                                                        actor=actor, now=ctx.clock())


@router.get("/certificates", response_model=list[origin.CertificateInfo],
            responses=responses(401, 403, 422))
def certificates(ctx: Ctx, actor: Actor, limit: Annotated[int, Query(ge=1, le=500)] = 100
                 ) -> list[origin.CertificateInfo]:
    """The certificates issued here, newest first."""
    actor.require(Permission.issue_origin)
    with ctx.sessions() as session:
        return origin.list_certificates(session, limit=limit)


@router.get("/certificates/{number}", response_model=origin.CertificateInfo,
            responses=responses(401, 403, 404, 422))
def certificate(number: str, ctx: Ctx, actor: Actor) -> origin.CertificateInfo:
    with ctx.sessions() as session:
        return origin.get_certificate(session, number, actor=actor)


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: RevocationReason


@router.post("/certificates/{number}/revoke", response_model=origin.CertificateInfo,
             responses=responses(401, 403, 404, 409, 422))
def revoke(number: str, body: RevokeIn, ctx: Ctx, actor: Actor) -> origin.CertificateInfo:
    with unit_of_work(ctx.sessions) as session:
        return origin.revoke_certificate(session, ctx.settings, number, reason=body.reason,
                                         actor=actor, now=ctx.clock())


class AmendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificate: Certificate = Field(description="The corrected certificate; same number.")
    reason: str | None = Field(None, min_length=1, max_length=512,
                               description="Why, for the audit record.")
    issuer_id: str | None = Field(None, description="The issuer, if numbers clash.")


@router.post("/certificates/{number}/amend", response_model=origin.CertificateInfo,
             status_code=201, responses=responses(401, 403, 404, 409, 422))
def amend(number: str, body: AmendIn, ctx: Ctx, actor: Actor) -> origin.CertificateInfo:
    """Replace a certificate in force with a corrected one (same number, fresh salts, an
    amend statement signed with the issuer's key held here); the old one verifies as
    superseded. 409 when it is revoked or superseded already."""
    with unit_of_work(ctx.sessions) as session:
        return submit_service.amend_certificate(
            session, ctx.settings, number, body.certificate, reason=body.reason,
            actor=actor, now=ctx.clock(), issuer_id=body.issuer_id)


class UtiliseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    declaration_reference: str = Field(min_length=1, max_length=35)
    item: int = Field(ge=1, le=999)
    quantity: Decimal = Field(gt=0, max_digits=20)


@router.post("/certificates/{number}/utilise", response_model=origin.UtilisationInfo,
             responses=responses(401, 403, 404, 409, 422))
def utilise(number: str, body: UtiliseIn, ctx: Ctx, actor: Actor) -> origin.UtilisationInfo:
    """Draw a quantity of a certificate item for a declaration."""
    with unit_of_work(ctx.sessions) as session:
        return origin.utilise(session, ctx.settings, number,
                              declaration_reference=body.declaration_reference,
                              item=body.item, quantity=body.quantity, actor=actor,
                              now=ctx.clock())


@router.get("/certificates/{number}/bundle", response_class=Response,
            responses={200: {"content": {BUNDLE_TYPE: {}}, "description": "The bundle"},
                       **responses(401, 403, 404, 422)})
def bundle(number: str, ctx: Ctx, actor: Actor,
           disclose: Annotated[list[str] | None, Query(
               description="Field paths to reveal (default: the customs essentials)")] = None,
           ) -> Response:
    """A proof bundle revealing only the ``disclose`` paths."""
    with ctx.sessions() as session:
        data = origin.make_certificate_bundle(
            session, ctx.settings, number, disclose=disclose or origin.DEFAULT_DISCLOSURE,
            actor=actor, now=ctx.clock())
    return Response(data, media_type=BUNDLE_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{_safe(number)}.bundle.json"'})


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


async def read_bundle(request: Request) -> bytes:
    """The bundle from a multipart ``bundle`` file or the raw JSON body."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=1)
        upload = form.get("bundle")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("send the bundle as the multipart file field 'bundle'",
                               field="bundle")
        data = await upload.read(MAX_BUNDLE_BYTES + 1)
    else:
        data = await request.body()
    if not data or len(data) > MAX_BUNDLE_BYTES:
        raise InvalidInput(f"a bundle is 1 to {MAX_BUNDLE_BYTES} bytes", field="bundle",
                           value=len(data))
    return data


@router.post("/verify", response_model=origin.VerificationReport,
             responses=responses(401, 403, 422), openapi_extra=_BUNDLE_BODY)
async def verify(request: Request, ctx: Ctx, actor: Actor) -> origin.VerificationReport:
    """Verify a bundle: offline with this administration's trust policy, then online
    against its log. Three answers (integrity, status, issuer), each with its reason;
    ``ok`` false when any fails (the response is still 200)."""
    data = await read_bundle(request)
    return await run_in_threadpool(origin.verify_local, ctx.settings, data, actor=actor,
                                   now=ctx.clock())


@router.get("/qr", response_model=origin.QrLookup, responses=responses(401, 403, 422))
def qr(ctx: Ctx, actor: Actor, payload: Annotated[str, Query(max_length=100)]
       ) -> origin.QrLookup:
    """What the log says about the certificate a printed QR code (``SCO1:…``) names."""
    with ctx.sessions() as session:
        return origin.lookup_qr(session, ctx.settings, payload, actor=actor, now=ctx.clock())


@router.get("/policy", response_class=Response, responses={
    200: {"content": {"application/toml": {}}, "description": "The trust-policy file"},
    **responses(401, 403)})
def policy(ctx: Ctx, actor: Actor) -> Response:
    """The trust-policy file partners verify this administration's bundles with."""
    actor.require(Permission.verify_origin)
    return Response(origin.export_policy(ctx.settings), media_type="application/toml")


# -------------------------------------------------------------- declaration links

@declaration_origin.post("/{declaration_id}/origin", response_model=linkage.OriginLink,
                         status_code=201, responses=responses(401, 403, 404, 422),
                         openapi_extra=_BUNDLE_BODY)
async def link(declaration_id: str, request: Request, ctx: Ctx, actor: Actor
               ) -> linkage.OriginLink:
    """Present a certificate bundle for a declaration: verified, compared with the goods,
    drawn on; a failed link is stored too (``ok`` false) and becomes a risk finding."""
    data = await read_bundle(request)
    return await run_in_threadpool(_link, ctx, declaration_id, data, actor)


def _link(ctx: AppContext, declaration_id: str, data: bytes, actor: Actor
          ) -> linkage.OriginLink:
    with unit_of_work(ctx.sessions) as session:
        return linkage.link_certificate(session, ctx.settings, declaration_id, data,
                                        actor=actor, now=ctx.clock())


@declaration_origin.get("/{declaration_id}/origin", response_model=list[linkage.OriginLink],
                        responses=responses(401, 403, 404, 422))
def links(declaration_id: str, ctx: Ctx, actor: Actor) -> list[linkage.OriginLink]:
    """The certificates presented for a declaration and their outcome."""
    actor.require(Permission.verify_origin)
    with ctx.sessions() as session:
        return linkage.declaration_links(session, declaration_id, actor=actor)


# ------------------------------------------------------- the public log and witness

_IMMUTABLE = "public, max-age=31536000, immutable"


def _log_file(settings: Settings, path: str) -> bytes:
    try:
        return (OriginPaths.of(settings).log / path).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(f"no {path} in this log", field="path", value=path) from None


@log_router.get("/log/checkpoint", response_class=Response, responses={
    200: {"content": {"text/plain": {}}, "description": "The witnessed checkpoint note"},
    **responses(404)})
def checkpoint(request: Request) -> Response:
    """The latest witnessed checkpoint (C2SP tlog-tiles ``<prefix>/checkpoint``)."""
    data = _log_file(context(request).settings, "checkpoint")
    return Response(data, media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=5"})


@log_router.get("/log/tile/{path:path}", response_class=Response, responses={
    200: {"content": {"application/octet-stream": {}}, "description": "A tile or an "
          "entry bundle"}, **responses(404, 422)})
def tile(path: str, request: Request) -> Response:
    """A hash tile or entry bundle (C2SP tlog-tiles); immutable once written."""
    try:
        parse_tile_path("tile/" + path)
    except ValueError:
        raise NotFound(f"not a tlog-tiles path: tile/{path}", field="path",
                       value=path) from None
    data = _log_file(context(request).settings, "tile/" + path)
    return Response(data, media_type="application/octet-stream",
                    headers={"Cache-Control": _IMMUTABLE})


# Not in the OpenAPI document: a protocol endpoint whose answers are the spec's plain
# text, not problem details (docs/origin.md describes it).
@log_router.post("/witness/add-checkpoint", response_class=Response, include_in_schema=False)
async def add_checkpoint(request: Request) -> Response:
    """C2SP tlog-witness: cosign a checkpoint of a followed log, consistent with the last
    one cosigned. Refusals are the spec's plain-text answers (409 with the latest size)."""
    body = await request.body()
    witness = _witness(request)
    if witness is None:
        return Response("this witness follows no log\n", status_code=404,
                        media_type="text/plain")
    try:
        data = await run_in_threadpool(partners.add_checkpoint, witness, body)
    except WitnessSizeConflict as exc:
        return Response(f"{exc.latest_size}\n", status_code=409, media_type=SIZE_CONTENT_TYPE)
    except WitnessError as exc:
        return Response(f"{exc.detail}\n", status_code=exc.http_status,
                        media_type="text/plain")
    return Response(data, media_type="text/plain; charset=utf-8")


def _witness(request: Request) -> object:
    """The partner witness, built on first use and kept (it serialises its requests)."""
    state = request.app.state
    if getattr(state, "origin_witness", None) is None:
        ctx = context(request)
        state.origin_witness = partners.partner_witness(ctx.settings, ctx.clock)
    return state.origin_witness


def create_witness_app(settings: Settings, *,
                       clock: Callable[[], dt.datetime] = utcnow) -> FastAPI:
    """The witness and the public log alone (``smartcustoms origin witness serve``)."""
    from smartcustoms.db import make_engine, session_factory
    from smartcustoms.http import problems

    app = FastAPI(title="smartcustoms origin witness")
    engine = make_engine(settings)
    app.state.ctx = AppContext(settings=settings, engine=engine,
                               sessions=session_factory(engine), clock=clock)
    problems.install(app)
    app.include_router(log_router)
    return app
