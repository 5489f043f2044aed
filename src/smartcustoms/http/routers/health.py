from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from smartcustoms import __version__
from smartcustoms.errors import SmartCustomsError
from smartcustoms.http.deps import Ctx
from smartcustoms.http.problems import responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    version: str


class DatabaseUnavailable(SmartCustomsError):
    code = "database-unavailable"
    title = "The database cannot be reached"
    http_status = 503


@router.get("/api/v1/health", response_model=Health, responses=responses(503))
def health(ctx: Ctx) -> Health:
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        # An outage is what this probe reports, with the documented 503, not a 500.
        cause = getattr(exc, "orig", None) or exc
        raise DatabaseUnavailable(
            f"{ctx.engine.dialect.name} does not answer: {type(cause).__name__}"
        ) from exc
    return Health(status="ok", database=ctx.engine.dialect.name, version=__version__)
