from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from smartcustoms.errors import InvalidInput, NotFound
from smartcustoms.http.deps import Actor
from smartcustoms.http.problems import responses
from smartcustoms.identity import Permission
from smartcustoms.reference import HSEntry, load_hs2022

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
        # A prefix is any leading part of a code ('851' finds 8510 … 8519), not only
        # a whole chapter, heading or subheading.
        compact = "".join(prefix.split()).replace(".", "")
        if not (compact.isascii() and compact.isdigit()) or len(compact) > 6:
            raise InvalidInput(
                f"prefix must be 1 to 6 digits (dots and spaces allowed); got {prefix!r}",
                field="prefix", value=prefix,
            )
        prefix = compact
    return [_out(e) for e in load_hs2022().search(prefix=prefix, query=q, limit=limit,
                                                  level=level)]


@router.get("/hs/{code}", response_model=HSCodeDetail, responses=responses(401, 404, 422))
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
