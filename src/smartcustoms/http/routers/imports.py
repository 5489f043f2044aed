from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from smartcustoms import declarations as decl
from smartcustoms.db import unit_of_work
from smartcustoms.declarations import load_mapping, shipped_mapping
from smartcustoms.declarations.mapping import MAPPING_NAME_PATTERN
from smartcustoms.errors import InvalidInput
from smartcustoms.http.deps import Actor, AppContext, Ctx
from smartcustoms.http.problems import responses
from smartcustoms.identity import Permission

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/imports", tags=["imports"])


class UploadTooLarge(InvalidInput):
    code = "payload-too-large"  # the same code, title and status as a too large JSON body
    title = "The body is too large"
    http_status = 413


@router.post("", response_model=decl.ImportReport, status_code=201,
             responses=responses(401, 403, 413, 422))
async def upload(
    ctx: Ctx,
    actor: Actor,
    file: Annotated[UploadFile, File(description="CSV of item rows, JSON or JSON Lines")],
    mapping: Annotated[UploadFile | None, File(description="YAML column mapping (CSV)")] = None,
    mapping_name: Annotated[str | None, Form(pattern=MAPPING_NAME_PATTERN,
                                             description="name of a shipped mapping")] = None,
    format: Annotated[str | None, Form(pattern="^(csv|json|jsonl)$")] = None,
) -> decl.ImportReport:
    """Import a file; bad records are quarantined with their reasons, the rest imported."""
    actor.require(Permission.run_imports)
    uploads = ctx.settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    # '.', '..' and '' have no usable name part: saving under them would hit a directory.
    name = Path(file.filename or "").name.strip()
    if name in ("", ".", ".."):
        name = "upload"
    with tempfile.TemporaryDirectory(dir=uploads) as tmp:
        target = Path(tmp) / name
        await _save(file, target, ctx.settings.max_upload_bytes)
        spec = None
        if mapping is not None:
            mapping_path = Path(tmp) / "mapping.yaml"
            await _save(mapping, mapping_path, 1024 * 1024)
            spec = load_mapping(mapping_path)
        elif mapping_name:
            spec = shipped_mapping(mapping_name)  # a client never names a server path
        report = await run_in_threadpool(
            decl.import_file, ctx.sessions, target, actor=actor, clock=ctx.clock,
            mapping=spec, fmt=format, file_name=name,
            chunk_size=ctx.settings.import_chunk_size,
            commit_rows=ctx.settings.import_commit_rows, workers=0,
            bulk_min_rows=ctx.settings.import_bulk_rows,
        )
    if report.declarations_imported and ctx.screeners is not None:
        await run_in_threadpool(_screen_imported, ctx)
    return report


def _screen_imported(ctx: AppContext) -> None:
    """The imported declarations' parties are screened like submitted ones (a failure
    never undoes the import; `smartcustoms screening run` catches up)."""
    from smartcustoms.screening import service as screening

    try:
        with unit_of_work(ctx.sessions) as session:
            screening.rescreen(ctx.screeners, session, now=ctx.clock(), only_unscreened=True)
    except screening.NoScreeningList:
        log.warning("no sanctions list is loaded: imported declarations are not screened")
    except Exception:
        log.exception("screening the imported declarations failed")


async def _save(upload: UploadFile, target: Path, limit: int) -> None:
    size = 0
    with target.open("wb") as out:
        while block := await upload.read(1 << 20):
            size += len(block)
            if size > limit:
                raise UploadTooLarge(f"the upload is larger than {limit} bytes",
                                     field="file", value=upload.filename)
            out.write(block)


@router.get("", response_model=decl.ImportReportList, responses=responses(401, 403, 422))
def list_(ctx: Ctx, actor: Actor, limit: Annotated[int, Query(ge=1, le=500)] = 50,
          offset: Annotated[int, Query(ge=0)] = 0) -> decl.ImportReportList:
    with ctx.sessions() as session:
        return decl.list_imports(session, actor=actor, limit=limit, offset=offset)


@router.get("/{run_id}", response_model=decl.ImportReport,
            responses=responses(401, 403, 404, 422))
def get(run_id: int, ctx: Ctx, actor: Actor) -> decl.ImportReport:
    with ctx.sessions() as session:
        return decl.get_import(session, run_id, actor=actor)


@router.get("/{run_id}/quarantine", response_model=decl.QuarantineList,
            responses=responses(401, 403, 404, 422))
def quarantine(run_id: int, ctx: Ctx, actor: Actor,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> decl.QuarantineList:
    with ctx.sessions() as session:
        return decl.get_quarantine(session, run_id, actor=actor, limit=limit, offset=offset)
