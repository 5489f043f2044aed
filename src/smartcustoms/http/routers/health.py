from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from smartcustoms import __version__
from smartcustoms.http.deps import Ctx
from smartcustoms.http.problems import responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    version: str


@router.get("/api/v1/health", response_model=Health, responses=responses(503))
def health(ctx: Ctx) -> Health:
    with ctx.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return Health(status="ok", database=ctx.engine.dialect.name, version=__version__)
