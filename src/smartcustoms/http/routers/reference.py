from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from smartcustoms.errors import InvalidInput, NotFound
from smartcustoms.http.deps import Actor
from smartcustoms.http.problems import responses
from smartcustoms.identity import Permission
from smartcustoms.reference import HSEntry, load_hs2022, normalize_hs_code

router = APIRouter(prefix="/api/v1/reference", tags=["reference"])


class HSCodeOut(BaseModel):
    code: str
    level: str
    description: str
    parent: str | None
    section: str | None


class HSCodeDetail(HSCodeOut):
    path: list[HSCodeOut]


def _out(entry: HSEntry) -> HSCodeOut:
    return HSCodeOut(code=entry.code, level=entry.level, description=entry.description,
                     parent=entry.parent, section=entry.section)


@router.get("/hs", response_model=list[HSCodeOut], responses=responses(401, 422))
def search_hs(
    actor: Actor,
    prefix: Annotated[str | None, Query(max_length=12, description="code prefix, dots allowed")]
    = None,
    q: Annotated[str | None, Query(max_length=200, description="keywords, all must match")]
    = None,
    level: Annotated[str | None, Query(pattern="^(chapter|heading|subheading)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[HSCodeOut]:
    """HS 2022 lookup by code prefix and/or keywords."""
    actor.require(Permission.read_reference)
    if not prefix and not q:
        raise InvalidInput("give a code prefix or keywords", field="q", value=None)
    if prefix:
        try:
            prefix = normalize_hs_code(prefix)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="prefix", value=prefix) from None
    return [_out(e) for e in load_hs2022().search(prefix=prefix, query=q, limit=limit,
                                                  level=level)]


@router.get("/hs/{code}", response_model=HSCodeDetail, responses=responses(401, 404))
def get_hs(code: str, actor: Actor) -> HSCodeDetail:
    actor.require(Permission.read_reference)
    hs = load_hs2022()
    try:
        entry = hs.get(code)
    except ValueError:
        entry = None
    if entry is None:
        raise NotFound(f"HS 2022 has no code {code}", field="code", value=code)
    return HSCodeDetail(**_out(entry).model_dump(), path=[_out(e) for e in hs.path(entry.code)])
