"""Tariff classification over HTTP: suggestions with evidence, verification of a declared
code, precedents (rulings and accepted suggestions), model versions, item checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from smartcustoms import declarations as decl
from smartcustoms import tariff
from smartcustoms.db import unit_of_work
from smartcustoms.errors import NotFound
from smartcustoms.http.deps import Actor, AppContext, Ctx
from smartcustoms.http.problems import responses
from smartcustoms.identity import Permission, Principal

router = APIRouter(prefix="/api/v1/tariff", tags=["tariff"])
declaration_tariff = APIRouter(prefix="/api/v1/declarations", tags=["tariff"])

Description = Annotated[str, Field(min_length=3, max_length=5000,
                                   description="Goods description, as declared")]


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Description
    k: int = Field(5, ge=1, le=20, description="How many suggestions")


class Classified(BaseModel):
    description: str
    suggestions: list[tariff.Suggestion]


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=128)
    description: Description


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(min_length=1, max_length=500)
    k: int = Field(5, ge=1, le=20)


class BatchOut(BaseModel):
    id: str
    suggestions: list[tariff.Suggestion]


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Description
    declared_code: str = Field(min_length=2, max_length=16,
                               description="HS code as declared: 2, 4 or 6 digits, or a "
                                           "national 8/10-digit code (dots allowed)")


class PrecedentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=64, pattern=r"^[\w.-]+$",
                        description="Collection name; (source, ref) is unique")
    precedents: list[tariff.PrecedentIn] = Field(min_length=1, max_length=10_000)


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=6, max_length=16, description="The code accepted for the item")


def _suggest(ctx: AppContext, actor: Principal, texts: list[str], k: int
             ) -> list[list[tariff.Suggestion]]:
    with ctx.sessions() as session:
        return tariff.suggest(_classifiers(ctx), session, ctx.settings, texts, k=k, actor=actor)


def _classifiers(ctx: AppContext) -> tariff.Classifiers:
    if ctx.classifiers is None:  # an app built without one (tests of other routers)
        raise NotFound("tariff classification is not enabled in this server", field="tariff",
                       value=None)
    return ctx.classifiers  # type: ignore[no-any-return]


@router.post("/classify", response_model=Classified, responses=responses(401, 403, 409, 422))
async def classify(body: ClassifyIn, ctx: Ctx, actor: Actor) -> Classified:
    """Ranked HS6 suggestions with calibrated probabilities and evidence: the path through
    the nomenclature, the words that matched, the nearest precedents.

    Example: ``{"description": "milk chocolate bar with hazelnuts, 100 g", "k": 3}``
    """
    actor.require(Permission.classify_goods)
    answers = await run_in_threadpool(_suggest, ctx, actor, [body.description], body.k)
    return Classified(description=body.description, suggestions=answers[0])


@router.post("/classify/batch", response_model=list[BatchOut],
             responses=responses(401, 403, 409, 422))
async def classify_batch(body: BatchIn, ctx: Ctx, actor: Actor) -> list[BatchOut]:
    """Up to 500 descriptions at once, each with its id."""
    actor.require(Permission.classify_goods)
    answers = await run_in_threadpool(_suggest, ctx, actor,
                                      [i.description for i in body.items], body.k)
    return [BatchOut(id=i.id, suggestions=s) for i, s in zip(body.items, answers, strict=True)]


@router.post("/verify", response_model=tariff.Verification,
             responses=responses(401, 403, 409, 422))
async def verify(body: VerifyIn, ctx: Ctx, actor: Actor) -> tariff.Verification:
    """Does the declared code fit the description? ``fits``, ``doubtful`` or ``misfit``,
    the probability the model gives the declared code, and the better candidates."""
    def run() -> tariff.Verification:
        with ctx.sessions() as session:
            return tariff.verify(_classifiers(ctx), session, ctx.settings, body.description,
                                 body.declared_code, actor=actor)
    return await run_in_threadpool(run)


@router.post("/precedents", response_model=tariff.PrecedentReport,
             responses=responses(401, 403, 422))
def add_precedents(body: PrecedentsIn, ctx: Ctx, actor: Actor) -> tariff.PrecedentReport:
    """Add rulings: each is validated (the code must be an HS 2022 subheading or a national
    code under one); rejected ones are listed with field and value, the rest stored, and
    the loaded model's index takes them before its next answer. Idempotent."""
    with unit_of_work(ctx.sessions) as session:
        return tariff.add_precedents(session, [(p.ref, p) for p in body.precedents],
                                     source=body.source, actor=actor, now=ctx.clock())


@router.get("/models", response_model=list[tariff.ModelVersion], responses=responses(401, 403))
def models(ctx: Ctx, actor: Actor) -> list[tariff.ModelVersion]:
    """The stored versions with their training and evaluation figures, newest first."""
    with ctx.sessions() as session:
        return tariff.list_models(session, actor=actor)


@router.post("/models/{model_id}/activate", response_model=tariff.ModelVersion,
             responses=responses(401, 403, 404, 409, 422))
def activate(model_id: int, ctx: Ctx, actor: Actor) -> tariff.ModelVersion:
    with unit_of_work(ctx.sessions) as session:
        return tariff.activate_model(session, model_id, actor=actor, now=ctx.clock())


@declaration_tariff.get("/{declaration_id}/tariff-checks", response_model=list[tariff.ItemCheck],
                        responses=responses(401, 403, 404, 422))
def checks(declaration_id: str, ctx: Ctx, actor: Actor) -> list[tariff.ItemCheck]:
    """The verification of each described item's declared code (customs staff only)."""
    actor.require(Permission.read_all_declarations)
    with ctx.sessions() as session:
        decl.get_declaration(session, declaration_id, actor=actor)  # 404 when unknown
        return tariff.declaration_checks(session, declaration_id)


@declaration_tariff.post("/{declaration_id}/items/{item_sequence}/classification",
                         response_model=tariff.PrecedentReport, status_code=201,
                         responses=responses(401, 403, 404, 422))
def accept(declaration_id: str, item_sequence: int, body: AcceptIn, ctx: Ctx, actor: Actor
           ) -> tariff.PrecedentReport:
    """Accept a code for a declared item: its description becomes a precedent, recorded
    with who accepted it."""
    with unit_of_work(ctx.sessions) as session:
        return tariff.accept_suggestion(session, declaration_id, item_sequence, body.code,
                                        actor=actor, now=ctx.clock())
