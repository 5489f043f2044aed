"""Console plumbing: templates, htmx detection, and errors answered as HTML pages.

Console routes use ``ConsoleRoute``: a domain error raised in a view becomes an error page
(or, for an htmx request, an error fragment) with the error's title, detail and status, not
the API's problem JSON; a missing or expired session becomes a redirect to ``/login``.
Every console response carries a strict Content-Security-Policy (no inline script or style)
and ``Cache-Control: no-store``: pages show declarations, which are confidential.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from smartcustoms import __version__
from smartcustoms.errors import FieldError, InvalidInput, SmartCustomsError
from smartcustoms.http.deps import SESSION_COOKIE
from smartcustoms.reference import country_name, currency_name

from .contexts import ErrorPage, Layout
from .session import HOME, ConsoleSession, LoginRequired

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Vary": "Cookie, HX-Request",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = __version__
    env.filters["country_name"] = lambda code: country_name(code) if code else None
    env.filters["currency_name"] = lambda code: currency_name(code) if code else None
    return env


templates = Jinja2Templates(env=_environment())


def is_htmx(request: Request) -> bool:
    """An htmx swap (answered with a fragment), not a page load or a history restore."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


async def posted_form(request: Request) -> FormData:
    return await request.form()


# A view's posted form fields (the CSRF token among them).
PostedForm = Annotated[FormData, Depends(posted_form)]


def render(request: Request, template: str, page: object, *, status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"page": page}, status_code=status)


def redirect(url: str) -> RedirectResponse:
    """See-other redirect (after a POST, the browser GETs ``url``)."""
    return RedirectResponse(url, status_code=303)


def login_redirect(request: Request) -> Response:
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:  # a form posted with an expired session: after login, start from home
        here = HOME
    target = "/login?" + urlencode({"next": here})
    response: Response
    if request.headers.get("HX-Request") == "true":
        response = Response(status_code=204, headers={"HX-Redirect": target})
    else:
        response = redirect(target)
    if SESSION_COOKIE in request.cookies:  # expired or revoked: drop it
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def error_response(request: Request, exc: SmartCustomsError) -> HTMLResponse:
    if exc.http_status >= 500:
        log.error("console request failed: %s", exc.detail, exc_info=exc)
    else:
        log.info("console.error code=%s status=%s path=%s", exc.code, exc.http_status,
                 request.url.path)
    return error_page(request, status=exc.http_status, code=exc.code, title=exc.title,
                      detail=exc.detail, errors=exc.errors)


def error_page(request: Request, *, status: int, code: str, title: str, detail: str,
               errors: list[FieldError] | None = None) -> HTMLResponse:
    session: ConsoleSession | None = getattr(request.state, "console_session", None)
    page = ErrorPage(layout=Layout.build(session) if session else None, status=status,
                     code=code, title=title, detail=detail, errors=tuple(errors or ()))
    return render(request, "_error.html" if is_htmx(request) else "error.html", page,
                  status=status)


def _validation_error(exc: RequestValidationError) -> InvalidInput:
    """FastAPI's parameter errors (a run id that is not a number) as our InvalidInput."""
    errors = [FieldError(".".join(str(p) for p in e.get("loc", ())
                                  if p not in ("query", "body", "path", "form")),
                         str(e.get("msg", "invalid")), _short(e.get("input")))
              for e in exc.errors()]
    detail = str(errors[0]) if errors else "the request is not valid"
    return InvalidInput(detail, errors=errors)


def _short(value: Any) -> Any:
    text = value if isinstance(value, str | int | float | bool) or value is None else repr(value)
    return text[:200] if isinstance(text, str) else text


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ConsoleRoute(APIRoute):
    """A route whose errors are HTML pages and whose responses carry the console's headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            response: Response
            try:
                response = await handler(request)
            except LoginRequired:
                response = login_redirect(request)
            except SmartCustomsError as exc:
                response = error_response(request, exc)
            except RequestValidationError as exc:
                response = error_response(request, _validation_error(exc))
            except HTTPException as exc:
                title = _phrase(exc.status_code)
                response = error_page(request, status=exc.status_code, code="http-error",
                                      title=title, detail=str(exc.detail))
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                response = error_page(request, status=500, code="internal-error",
                                      title="Internal error",
                                      detail="an unexpected error occurred; it has been logged")
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return console_handler
