from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field

from smartcustoms import identity
from smartcustoms.db import unit_of_work
from smartcustoms.http.deps import Actor, Ctx, bearer_token
from smartcustoms.http.problems import responses
from smartcustoms.identity import Permission, Role

router = APIRouter(prefix="/api/v1", tags=["identity"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime


class Me(BaseModel):
    username: str
    role: Role
    company_id: str | None
    permissions: list[str]


class UserCreate(BaseModel):
    username: str = Field(examples=["officer.kim"])
    password: str = Field(min_length=8)
    role: Role
    company_id: str | None = Field(None, description="Required for traders.")
    display_name: str | None = None


class UserOut(BaseModel):
    id: int
    username: str
    role: Role
    company_id: str | None
    display_name: str | None
    active: bool


@router.post("/auth/token", response_model=TokenOut, responses=responses(401, 422))
def login(
    ctx: Ctx,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> TokenOut:
    """OAuth2 password flow: exchange a username and password for a bearer token."""
    now = ctx.clock()
    ttl = dt.timedelta(hours=ctx.settings.token_ttl_hours)
    with unit_of_work(ctx.sessions) as session:
        user = identity.authenticate(session, username, password)
        token = identity.issue_token(session, user, name="api-login", now=now, ttl=ttl)
    return TokenOut(access_token=token, expires_at=now + ttl)


@router.post("/auth/logout", status_code=204, responses=responses(401))
def logout(request: Request, ctx: Ctx, actor: Actor) -> None:
    token = bearer_token(request)
    with unit_of_work(ctx.sessions) as session:
        identity.revoke_token(session, token or "", now=ctx.clock())


@router.get("/auth/me", response_model=Me, responses=responses(401))
def me(actor: Actor) -> Me:
    return Me(username=actor.username, role=actor.role, company_id=actor.company_id,
              permissions=sorted(p.value for p in Permission if actor.can(p)))


@router.post("/users", response_model=UserOut, status_code=201,
             responses=responses(401, 403, 409, 422))
def add_user(body: UserCreate, ctx: Ctx, actor: Actor) -> UserOut:
    actor.require(Permission.manage_users)
    with unit_of_work(ctx.sessions) as session:
        user = identity.create_user(
            session, username=body.username, password=body.password, role=body.role,
            company_id=body.company_id, display_name=body.display_name, actor=actor,
            now=ctx.clock(),
        )
        return UserOut(id=user.id, username=user.username, role=Role(user.role),
                       company_id=user.company_id, display_name=user.display_name,
                       active=user.active)


@router.get("/users", response_model=list[UserOut], responses=responses(401, 403))
def users(ctx: Ctx, actor: Actor) -> list[UserOut]:
    actor.require(Permission.manage_users)
    with ctx.sessions() as session:
        return [UserOut(id=u.id, username=u.username, role=Role(u.role), company_id=u.company_id,
                        display_name=u.display_name, active=u.active)
                for u in identity.list_users(session)]
