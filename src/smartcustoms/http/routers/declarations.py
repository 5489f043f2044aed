from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from smartcustoms import declarations as decl
from smartcustoms import tariff
from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput
from smartcustoms.http.deps import Actor, AppContext, Ctx
from smartcustoms.http.problems import responses
from smartcustoms.identity import Principal
from smartcustoms.risk.online import decide_on_submission

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])
MAX_BODY = 5 * 1024 * 1024


class MalformedBody(InvalidInput):
    code = "malformed-json"
    title = "The body is not JSON"
    http_status = 400


@router.post(
    "", response_model=decl.Declaration, status_code=201,
    responses={200: {"description": "The same declaration was stored before: it is returned "
                     "unchanged (a retried submission)", "model": decl.Declaration},
               **responses(400, 401, 403, 409, 413, 415, 422)},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/DeclarationCreate"}}}}},
)
async def submit(request: Request, response: Response, ctx: Ctx, actor: Actor
                 ) -> decl.Declaration:
    """Validate and store one declaration. Every invalid field is reported at once.

    Submitting the same declaration again returns it unchanged with 200 instead of 201;
    the same LRN of the same declarant with other content is a 409 conflict.
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        raise _UnsupportedMedia(f"send application/json, not {media}", field="content-type",
                                value=media)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise _TooLarge(f"the body has {len(body)} bytes; at most {MAX_BODY}", field="body",
                        value=len(body))
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"the body is not valid JSON: {exc}", field="body",
                            value=body[:200].decode("utf-8", "replace")) from None
    submission = await run_in_threadpool(_submit, ctx, actor, data)
    if not submission.created:
        response.status_code = 200
    return submission.declaration


class _UnsupportedMedia(InvalidInput):
    code = "unsupported-media-type"
    title = "Unsupported media type"
    http_status = 415


class _TooLarge(InvalidInput):
    code = "payload-too-large"
    title = "The body is too large"
    http_status = 413


def _submit(ctx: AppContext, actor: Principal, data: Any) -> decl.Submission:
    with unit_of_work(ctx.sessions) as session:
        submission = decl.submit_declaration(session, data, actor=actor, now=ctx.clock())
    if submission.created and ctx.classifiers is not None:
        _check_tariff(ctx, submission.declaration.id)
    if submission.created:
        _check_values(ctx, submission.declaration.id)
    if submission.created and ctx.screeners is not None:
        _screen(ctx, submission.declaration.id)
    if submission.created and ctx.scorer is not None:
        _score(ctx, submission.declaration.id)
    return submission


def _finding_step(ctx: AppContext, declaration_id: str, what: str,
                  step: Callable[[Session], object], *, not_ready: type[Exception],
                  not_ready_message: str) -> None:
    """Run one capability's check of the stored declaration in a transaction of its own:
    a failure never loses the submission (and the capability's batch command catches
    up); a capability with nothing to check against yet (``not_ready``) is logged."""
    try:
        with unit_of_work(ctx.sessions) as session:
            step(session)
    except not_ready:
        log.info(not_ready_message, declaration_id)
    except Exception:
        log.exception("%s of declaration %s failed", what, declaration_id)


def _check_tariff(ctx: AppContext, declaration_id: str) -> None:
    """Verify each described item's code against the active tariff model."""
    _finding_step(
        ctx, declaration_id, "verifying the codes",
        lambda session: tariff.check_declaration(ctx.classifiers, session, ctx.settings,
                                                 declaration_id, now=ctx.clock()),
        not_ready=tariff.NoTariffModel,
        not_ready_message="no tariff model is active: declaration %s is not verified")


def _check_values(ctx: AppContext, declaration_id: str) -> None:
    """Read each priced item against its valuation band."""
    from smartcustoms.documents import valuation_service as valuation

    _finding_step(
        ctx, declaration_id, "reading the unit values",
        lambda session: valuation.check_declaration_values(session, declaration_id,
                                                           now=ctx.clock()),
        not_ready=valuation.NoValuationBands,
        not_ready_message="no valuation bands are fitted: declaration %s is not read")


def _screen(ctx: AppContext, declaration_id: str) -> None:
    """Screen the named parties against the active sanctions lists."""
    from smartcustoms.screening import service as screening

    _finding_step(
        ctx, declaration_id, "screening the parties",
        lambda session: screening.screen_declaration(ctx.screeners, session, declaration_id,
                                                     now=ctx.clock()),
        not_ready=screening.NoScreeningList,
        not_ready_message="no sanctions list is loaded: declaration %s is not screened")


def _score(ctx: AppContext, declaration_id: str) -> None:
    """Give the stored declaration its lane, in a transaction of its own.

    The declaration is committed first: a failure to score never loses a submission;
    ``smartcustoms risk lanes`` decides whatever was left without a lane.
    """
    try:
        with unit_of_work(ctx.sessions) as session:
            decide_on_submission(session, declaration_id, ctx.scorer, decided_by="system",
                                 now=ctx.clock())
    except Exception:
        log.exception("scoring declaration %s failed; it stays without a lane",
                      declaration_id)


@router.get("", response_model=decl.DeclarationList, responses=responses(401, 403, 422))
def list_(
    ctx: Ctx,
    actor: Actor,
    reference: Annotated[str | None, Query(max_length=35, description="LRN prefix")] = None,
    importer_id: Annotated[str | None, Query(max_length=35)] = None,
    declarant_id: Annotated[str | None, Query(max_length=35)] = None,
    office: Annotated[str | None, Query(max_length=35)] = None,
    hs_prefix: Annotated[str | None, Query(pattern=r"^\d{1,10}$")] = None,
    origin: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    import_run_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> decl.DeclarationList:
    f = decl.DeclarationFilter(
        reference=reference, importer_id=importer_id, declarant_id=declarant_id, office=office,
        hs_prefix=hs_prefix, origin_country=origin.upper() if origin else None,
        date_from=date_from, date_to=date_to, import_run_id=import_run_id,
    )
    with ctx.sessions() as session:
        return decl.list_declarations(session, f, actor=actor, limit=limit, offset=offset)


@router.get("/{declaration_id}", response_model=decl.Declaration,
            responses=responses(401, 404, 422))
def get(declaration_id: str, ctx: Ctx, actor: Actor) -> decl.Declaration:
    with ctx.sessions() as session:
        return decl.get_declaration(session, declaration_id, actor=actor)
