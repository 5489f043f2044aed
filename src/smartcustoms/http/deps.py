"""What every route needs: the application context, the acting principal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.config import Settings
from smartcustoms.errors import AuthenticationFailed
from smartcustoms.identity import Principal, principal_for_token

SESSION_COOKIE = "smartcustoms_session"


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Callable[[], dt.datetime]
    scorer: Any = None  # risk.online.Scorer: lanes on submission (None: not scored)
    classifiers: Any = None  # tariff.Classifiers: the active tariff model (None: disabled)
    screeners: Any = None  # screening.service.Screeners: the active lists (None: disabled)
    transit: Any = None  # transit.service.TransitService: live trip monitors


def context(request: Request) -> AppContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


Ctx = Annotated[AppContext, Depends(context)]


def bearer_token(request: Request) -> str | None:
    """The API's token comes from the Authorization header only.

    The console's session cookie is not accepted here: a browser sends cookies on its
    own, so the API would need the console's CSRF protection to accept them.
    """
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def principal(request: Request, ctx: Ctx) -> Principal:
    token = bearer_token(request)
    if not token:
        raise AuthenticationFailed("log in first: send 'Authorization: Bearer <token>'")
    with ctx.sessions() as session:
        return principal_for_token(session, token, now=ctx.clock())


Actor = Annotated[Principal, Depends(principal)]
