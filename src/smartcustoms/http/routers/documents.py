"""Document compliance over HTTP: valuation bands and each item's unit value against
its band."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from smartcustoms import declarations as decl
from smartcustoms.db import unit_of_work
from smartcustoms.documents import valuation_service as valuation
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
