"""Document compliance over HTTP: trade documents read, pre-checked before filing, attached
to a declaration and cross-checked; valuation bands and each item's unit value against
its band."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, File, Path, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from smartcustoms import declarations as decl
from smartcustoms.db import unit_of_work
from smartcustoms.documents import service as documents
from smartcustoms.documents import valuation_service as valuation
from smartcustoms.documents.checks import Finding
from smartcustoms.documents.extract.layout import MAX_BYTES
from smartcustoms.documents.models import DocumentReading
from smartcustoms.errors import InvalidInput
from smartcustoms.http.deps import Actor, AppContext, Ctx
from smartcustoms.http.problems import responses
from smartcustoms.identity import Permission, Principal

router = APIRouter(prefix="/api/v1/valuation", tags=["documents"])
declaration_documents = APIRouter(prefix="/api/v1/declarations", tags=["documents"])


class FitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_count: int = Field(20, ge=2, le=10_000, description="Items a group needs for a band")
    threshold: float = Field(3.0, ge=0.5, le=20, description="Robust scales below the median "
                             "that count as below the band")


class FitOut(BaseModel):
    bands: valuation.BandsVersion
    checked: dict[str, int]


def _fit(ctx: AppContext, actor: Principal, body: FitIn) -> FitOut:
    with unit_of_work(ctx.sessions) as session:
        version = valuation.fit_bands(session, actor=actor, now=ctx.clock(),
                                      min_count=body.min_count, threshold=body.threshold)
    with unit_of_work(ctx.sessions) as session:
        checked = valuation.check_all_values(session, now=ctx.clock())
    return FitOut(bands=version, checked=checked)


@router.post("/bands", response_model=FitOut, status_code=201,
             responses=responses(401, 403, 409, 422))
async def fit(body: FitIn, ctx: Ctx, actor: Actor) -> FitOut:
    """Fit the bands on the stored declarations, make them active and read every stored
    item against them (analysts)."""
    actor.require(Permission.train_risk_models)
    return await run_in_threadpool(_fit, ctx, actor, body)


@router.get("/bands", response_model=list[valuation.BandsVersion],
            responses=responses(401, 403))
def versions(ctx: Ctx, actor: Actor) -> list[valuation.BandsVersion]:
    actor.require(Permission.read_all_declarations)
    with ctx.sessions() as session:
        return valuation.list_bands(session)


@router.get("/bands/{hs6}", response_model=list[dict[str, Any]],
            responses=responses(401, 403, 409, 422))
def band(hs6: Annotated[str, Path(pattern=r"^\d{4}\.?\d{2}$")], ctx: Ctx, actor: Actor,
         origin: Annotated[str | None, Query(pattern="^[A-Za-z]{2}$")] = None,
         currency: Annotated[str | None, Query(pattern="^[A-Za-z]{3}$")] = None,
         ) -> list[dict[str, Any]]:
    """The active bands of one HS6 subheading, per origin and for all origins (per kg, in
    the price's currency; a risk indication, never a customs value)."""
    actor.require(Permission.read_all_declarations)
    with ctx.sessions() as session:
        return valuation.band_table(session, hs6.replace(".", ""),
                                    currency=currency.upper() if currency else None,
                                    origin=origin.upper() if origin else None)


@declaration_documents.get("/{declaration_id}/valuation",
                           response_model=list[valuation.ValueCheck],
                           responses=responses(401, 403, 404, 422))
def declaration_values(declaration_id: str, ctx: Ctx, actor: Actor
                       ) -> list[valuation.ValueCheck]:
    """Each priced item's unit value against its band (customs staff only)."""
    actor.require(Permission.read_all_declarations)
    with ctx.sessions() as session:
        decl.get_declaration(session, declaration_id, actor=actor)  # 404 when unknown
        return valuation.declaration_values(session, declaration_id)


# --- trade documents -------------------------------------------------------------------------
documents_router = APIRouter(prefix="/api/v1/documents", tags=["documents"])
_FILES = File(description="Trade documents: PDF commercial invoices, packing lists, bills "
                          "of lading (digital or scanned), or structured e-invoices")


async def _uploads(files: list[UploadFile]) -> list[documents.Upload]:
    uploads = []
    for upload in files[:documents.MAX_FILES + 1]:
        content = await upload.read(MAX_BYTES + 1)
        uploads.append(documents.Upload(upload.filename or "document", content,
                                        upload.content_type or "application/octet-stream"))
    return uploads


class ReadOut(BaseModel):
    filename: str
    reading: DocumentReading


class PrecheckOut(BaseModel):
    readings: list[ReadOut]
    findings: list[Finding]
    counts: dict[str, int]
    tariff_checked: bool


@documents_router.post("/read", response_model=list[ReadOut],
                       responses=responses(401, 403, 422))
async def read(ctx: Ctx, actor: Actor,
               files: Annotated[list[UploadFile], _FILES]) -> list[ReadOut]:
    """Read documents: every field with its evidence (page, box, method, confidence), what
    is missing and what could not be used. Nothing is stored."""
    actor.require(Permission.attach_documents)
    uploads = await _uploads(files)

    def work() -> list[ReadOut]:
        readings = documents.read_uploads(uploads)
        return [ReadOut(filename=u.filename, reading=r) for u, r in zip(uploads, readings,
                                                                        strict=True)]
    return await run_in_threadpool(work)


@documents_router.post("/check", response_model=PrecheckOut,
                       responses=responses(401, 403, 422))
async def precheck(ctx: Ctx, actor: Actor,
                   declaration: Annotated[UploadFile, File(
                       description="The declaration as JSON, as it would be submitted")],
                   files: Annotated[list[UploadFile], _FILES]) -> PrecheckOut:
    """Check a declaration not yet filed against its documents (a broker's pre-check):
    the findings, most severe first. Nothing is stored."""
    actor.require(Permission.attach_documents)
    try:
        data = orjson.loads(await declaration.read(MAX_BYTES))
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the declaration is not JSON: {exc}", field="declaration",
                           value=declaration.filename) from None
    uploads = await _uploads(files)

    def work() -> PrecheckOut:
        declared = decl.parse_declaration(data, today=ctx.clock().date())
        with ctx.sessions() as session:
            classifier = documents.active_classifier(ctx.classifiers, session, ctx.settings)
        readings, findings = documents.precheck(declared, uploads, classifier=classifier)
        return PrecheckOut(
            readings=[ReadOut(filename=u.filename, reading=r)
                      for u, r in zip(uploads, readings, strict=True)],
            findings=findings, counts=documents.severity_counts(findings),
            tariff_checked=classifier is not None)
    return await run_in_threadpool(work)


@declaration_documents.post("/{declaration_id}/documents",
                            response_model=documents.DocumentCheck,
                            responses=responses(401, 403, 404, 422))
async def attach(declaration_id: str, ctx: Ctx, actor: Actor,
                 files: Annotated[list[UploadFile], _FILES]) -> documents.DocumentCheck:
    """Attach documents to a stored declaration: each is kept as received (a file sent
    again is not added twice), read, and the declaration is cross-checked against all its
    readable documents. A file that cannot be read is kept with the reason."""
    actor.require(Permission.attach_documents)
    uploads = await _uploads(files)

    def work() -> documents.DocumentCheck:
        with unit_of_work(ctx.sessions) as session:
            classifier = documents.active_classifier(ctx.classifiers, session, ctx.settings)
            return documents.attach_documents(session, declaration_id, uploads, actor=actor,
                                              now=ctx.clock(), classifier=classifier)
    return await run_in_threadpool(work)


@declaration_documents.get("/{declaration_id}/documents",
                           response_model=documents.DocumentCheck,
                           responses=responses(401, 403, 404, 422))
def attached(declaration_id: str, ctx: Ctx, actor: Actor) -> documents.DocumentCheck:
    """The declaration's documents and the findings of their cross-check."""
    with ctx.sessions() as session:
        return documents.declaration_documents(session, declaration_id, actor=actor)


@declaration_documents.post("/{declaration_id}/documents/check",
                            response_model=documents.DocumentCheck,
                            responses=responses(401, 403, 404, 422))
async def recheck(declaration_id: str, ctx: Ctx, actor: Actor) -> documents.DocumentCheck:
    """Cross-check the declaration again against the documents it has (after a new
    tariff model, or an amendment)."""
    actor.require(Permission.attach_documents)

    def work() -> documents.DocumentCheck:
        with unit_of_work(ctx.sessions) as session:
            classifier = documents.active_classifier(ctx.classifiers, session, ctx.settings)
            return documents.recheck_documents(session, declaration_id, actor=actor,
                                               now=ctx.clock(), classifier=classifier)
    return await run_in_threadpool(work)


class AttachedReading(BaseModel):
    file: documents.DocumentFile
    reading: DocumentReading | None


@declaration_documents.get("/{declaration_id}/documents/{file_id}",
                           response_model=AttachedReading,
                           responses=responses(401, 403, 404, 422))
def attached_reading(declaration_id: str, file_id: int, ctx: Ctx, actor: Actor
                     ) -> AttachedReading:
    """One attached document: what was read, with the evidence of every field."""
    with ctx.sessions() as session:
        file, reading = documents.document_reading(session, declaration_id, file_id,
                                                   actor=actor)
    return AttachedReading(file=file, reading=reading)


@declaration_documents.get("/{declaration_id}/documents/{file_id}/content",
                           response_class=Response, responses=responses(401, 403, 404, 422))
def content(declaration_id: str, file_id: int, ctx: Ctx, actor: Actor) -> Response:
    """The document exactly as it was received."""
    with ctx.sessions() as session:
        file, data = documents.document_content(session, declaration_id, file_id,
                                                actor=actor)
    return Response(data, media_type=file.media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}",
        "X-Content-Type-Options": "nosniff"})


@declaration_documents.get("/{declaration_id}/documents/{file_id}/pages/{page}.png",
                           response_class=Response, responses=responses(401, 403, 404, 422))
async def page_png(declaration_id: str, file_id: int,
                   page: Annotated[int, Path(ge=1, le=500)], ctx: Ctx, actor: Actor,
                   dpi: Annotated[int, Query(ge=50, le=200)] = 110) -> Response:
    """One page of the document as an image, for showing where a value was read (the
    evidence boxes are in PDF points: multiply by dpi / 72)."""
    def work() -> bytes:
        with ctx.sessions() as session:
            return documents.page_image(session, declaration_id, file_id, page,
                                        actor=actor, dpi=dpi)
    return Response(await run_in_threadpool(work), media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})
