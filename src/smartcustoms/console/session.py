"""The console session: a login token in an HttpOnly cookie, the principal it stands for, CSRF.

The cookie holds an ordinary identity token (``identity.issue_token``), so a console session is
revoked, expires and is audited like an API token. State-changing console forms carry a CSRF
value derived from the session token (HMAC-SHA256 keyed by the token): an attacker who cannot
read the HttpOnly cookie cannot compute it, and the page that shows it does not reveal the token.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from smartcustoms.errors import AuthenticationFailed, PermissionDenied
from smartcustoms.http.deps import SESSION_COOKIE, context
from smartcustoms.identity import Principal, principal_for_token

CSRF_FIELD = "csrf_token"
HOME = "/declarations"
_CSRF_MESSAGE = b"smartcustoms.console.csrf.v1"


class LoginRequired(Exception):
    """No valid console session: the console answers with a redirect to the login form."""


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """Who is using the console, and the CSRF value their forms must return."""

    principal: Principal
    csrf_token: str
    token: str = field(repr=False)  # the session cookie's value; never rendered


def csrf_token_for(session_token: str) -> str:
    return hmac.new(session_token.encode(), _CSRF_MESSAGE, hashlib.sha256).hexdigest()


def current_session(request: Request) -> ConsoleSession:
    """The console session of the request's cookie, or ``LoginRequired``."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired("no session cookie")
    ctx = context(request)
    try:
        with ctx.sessions() as db:
            principal = principal_for_token(db, token, now=ctx.clock())
    except AuthenticationFailed as exc:
        raise LoginRequired(exc.detail) from exc
    session = ConsoleSession(principal=principal, csrf_token=csrf_token_for(token), token=token)
    request.state.console_session = session  # error pages show who is logged in
    return session


Session = Annotated[ConsoleSession, Depends(current_session)]


def check_csrf(session: ConsoleSession, submitted: str | None) -> None:
    """Refuse a state-changing form whose CSRF value does not belong to this session."""
    if not submitted or not hmac.compare_digest(submitted.encode(), session.csrf_token.encode()):
        raise PermissionDenied(
            "the form's CSRF token is missing or does not belong to this session; "
            "reload the page and submit the form again",
            field=CSRF_FIELD, value=None,
        )


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return HOME
    if any(ch < " " or ch in "\\\x7f" for ch in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target
