"""RFC 9457 problem details: the one shape of every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartcustoms.declarations.validation import errors_from_pydantic, field_path
from smartcustoms.errors import FieldError, SmartCustomsError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "/problems/"

_HTTP_CODES = {400: "bad-request", 401: "authentication-failed", 403: "permission-denied",
               404: "not-found", 405: "method-not-allowed", 413: "payload-too-large",
               415: "unsupported-media-type", 422: "invalid-input", 429: "too-many-requests"}


def problem(
    request: Request, *, status: int, code: str, title: str, detail: str,
    errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "Stable error code."},
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "message": {"type": "string"}, "value": {}}},
        },
    },
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route can answer with."""
    return {
        s: {"description": _HTTP_CODES.get(s, "error").replace("-", " "),
            "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}}
        for s in statuses
    }


def install(app: FastAPI) -> None:
    @app.exception_handler(SmartCustomsError)
    async def _domain(request: Request, exc: SmartCustomsError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("request failed: %s", exc.detail, exc_info=exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        return problem(request, status=exc.http_status, code=exc.code, title=exc.title,
                       detail=exc.detail, errors=exc.errors, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError(field_path(tuple(e.get("loc", ()))), e.get("msg", "invalid"),
                             _short(e.get("input"))) for e in exc.errors()]
        detail = str(errors[0]) if errors else "the request is not valid"
        return problem(request, status=422, code="invalid-input",
                       title="The input is not valid", detail=detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http-error")
        title = code.replace("-", " ").capitalize()
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(request, status=exc.status_code, code=code, title=title, detail=detail,
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, status=500, code="internal-error", title="Internal error",
                       detail="an unexpected error occurred; it has been logged")


def _short(value: Any) -> Any:
    text = value if isinstance(value, str | int | float | bool) or value is None else repr(value)
    return text[:200] if isinstance(text, str) else text


__all__ = ["MEDIA_TYPE", "errors_from_pydantic", "install", "problem", "responses"]
