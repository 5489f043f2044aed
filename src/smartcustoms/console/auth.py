"""Console login and logout: a login issues an identity token kept in an HttpOnly cookie."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcustoms import identity
from smartcustoms.db import unit_of_work
from smartcustoms.errors import AuthenticationFailed
from smartcustoms.http.deps import SESSION_COOKIE, context

from .contexts import LoginPage
from .session import HOME, Session, check_csrf, safe_next
from .web import ConsoleRoute, redirect, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False,
                   default_response_class=HTMLResponse)


@router.get("/")
def home() -> Response:
    return redirect(HOME)


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    return render(request, "login.html", LoginPage(next=safe_next(next)))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password, issue a token, keep it in the session cookie (no CSRF: no session)."""
    ctx = context(request)
    now = ctx.clock()
    ttl = dt.timedelta(hours=ctx.settings.token_ttl_hours)
    target = safe_next(next)
    try:
        with unit_of_work(ctx.sessions) as db:
            user = identity.authenticate(db, username.strip(), password)
            token = identity.issue_token(db, user, name="console-login", now=now, ttl=ttl)
    except AuthenticationFailed as exc:
        page = LoginPage(next=target, username=username.strip(), error=exc.detail)
        return render(request, "login.html", page, status=exc.http_status)
    response = redirect(target)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(ttl.total_seconds()), path="/", httponly=True,
        samesite="lax", secure=ctx.settings.cookie_secure,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: Session,
           csrf_token: Annotated[str, Form()] = "") -> Response:
    """Revoke the session's token and drop the cookie."""
    check_csrf(session, csrf_token)
    ctx = context(request)
    with unit_of_work(ctx.sessions) as db:
        identity.revoke_token(db, session.token, now=ctx.clock())
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=ctx.settings.cookie_secure)
    return response
