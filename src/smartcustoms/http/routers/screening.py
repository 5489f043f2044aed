"""Sanctions screening over HTTP: search names, load list versions, the review queue of
open hits, officers' decisions, a declaration's screening."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from smartcustoms import declarations as decl
from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput
from smartcustoms.http.deps import Actor, AppContext, Ctx
from smartcustoms.http.problems import responses
from smartcustoms.http.routers.imports import _save
from smartcustoms.identity import Permission, Principal
from smartcustoms.screening import service as screening

router = APIRouter(prefix="/api/v1/screening", tags=["screening"])
declaration_screening = APIRouter(prefix="/api/v1/declarations", tags=["screening"])

# The names OFAC and the UN give their files; anything else is refused.
_LIST_FILES = {"sdn.csv", "alt.csv", "add.csv", "sdn.xml", "consolidated.xml"}


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parties: list[screening.PartyIn] = Field(min_length=1, max_length=1000)
    threshold: float | None = Field(None, gt=0, le=1, description="Default: the calibrated "
                                    "threshold")
    limit: int = Field(10, ge=1, le=50, description="Hits per party")


def _search(ctx: AppContext, actor: Principal, body: SearchIn) -> list[screening.SearchResult]:
    with ctx.sessions() as session:
        return screening.search(ctx.screeners, session, body.parties, actor=actor,
                                threshold=body.threshold, limit=body.limit)


@router.post("/search", response_model=list[screening.SearchResult],
             responses=responses(401, 403, 409, 422))
async def search(body: SearchIn, ctx: Ctx, actor: Actor) -> list[screening.SearchResult]:
    """Screen up to 1,000 names against the active lists; each hit says why."""
    actor.require(Permission.screen_parties)
    return await run_in_threadpool(_search, ctx, actor, body)


@router.get("/lists", response_model=list[screening.ListInfo], responses=responses(401, 403))
def lists(ctx: Ctx, actor: Actor) -> list[screening.ListInfo]:
    """Every loaded list version, the active ones first."""
    actor.require(Permission.screen_parties)
    with ctx.sessions() as session:
        return screening.list_versions(session)


@router.post("/lists", response_model=screening.LoadReport, status_code=201,
             responses=responses(401, 403, 413, 422))
async def update(
    ctx: Ctx,
    actor: Actor,
    files: Annotated[list[UploadFile], File(description="OFAC sdn.csv (with alt.csv and "
                                            "add.csv), OFAC sdn.xml, or the UN list XML")],
    version: Annotated[str | None, Form(max_length=64, description="Publication date; "
                                        "needed for CSV files, which carry none")] = None,
) -> screening.LoadReport:
    """Load a new version of a list; it becomes the active version of its source and the
    stored declarations are screened against it again."""
    actor.require(Permission.update_screening_lists)
    uploads = ctx.settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=uploads) as tmp:
        names = []
        for upload in files:
            name = Path(upload.filename or "").name.casefold()
            if name not in _LIST_FILES and not name.endswith(".xml"):
                raise InvalidInput(f"{upload.filename!r} is not a list file; expected "
                                   f"{', '.join(sorted(_LIST_FILES))} or an .xml file",
                                   field="files", value=upload.filename)
            await _save(upload, Path(tmp) / name, ctx.settings.max_upload_bytes)
            names.append(name)
        target = Path(tmp) / names[0] if names[0].endswith(".xml") else Path(tmp)
        return await run_in_threadpool(_update, ctx, actor, target, version)


def _update(ctx: AppContext, actor: Principal, path: Path, version: str | None
            ) -> screening.LoadReport:
    with unit_of_work(ctx.sessions) as session:
        report = screening.load_list_file(session, path, actor=actor, now=ctx.clock(),
                                          version=version)
    if report.created:
        with unit_of_work(ctx.sessions) as session:
            screening.rescreen(ctx.screeners, session, now=ctx.clock())
    return report


@router.get("/hits", response_model=list[screening.StoredHit],
            responses=responses(401, 403, 422))
def hits(ctx: Ctx, actor: Actor, limit: Annotated[int, Query(ge=1, le=500)] = 100
         ) -> list[screening.StoredHit]:
    """Open hits on declarations, best score first: the officers' review queue."""
    with ctx.sessions() as session:
        return screening.open_hits(session, actor=actor, limit=limit)


@router.post("/hits/{hit_id}/decision", response_model=screening.StoredHit,
             responses=responses(401, 403, 404, 422))
def decide(hit_id: int, body: screening.DecisionIn, ctx: Ctx, actor: Actor
           ) -> screening.StoredHit:
    """True match or false positive, with why. A false positive clears the pair (party,
    listed entry) on every declaration until either changes."""
    with unit_of_work(ctx.sessions) as session:
        return screening.decide(session, hit_id, body, actor=actor, now=ctx.clock())


@declaration_screening.get("/{declaration_id}/screening",
                           response_model=screening.DeclarationScreening,
                           responses=responses(401, 403, 404, 422))
def declaration(declaration_id: str, ctx: Ctx, actor: Actor) -> screening.DeclarationScreening:
    """The screening of a declaration's parties (customs staff only: a trader is not told
    which of its counterparties resemble a listed one)."""
    actor.require(Permission.read_all_declarations)
    with ctx.sessions() as session:
        decl.get_declaration(session, declaration_id, actor=actor)  # 404 when unknown
        return screening.declaration_screening(session, declaration_id)
