"""The FastAPI application factory: API routers, problem details, the console."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from smartcustoms import __version__
from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, utcnow
from smartcustoms.errors import NotFound, SmartCustomsError
from smartcustoms.http import problems
from smartcustoms.http.deps import AppContext
from smartcustoms.http.routers import (
    auth,
    declarations,
    documents,
    health,
    imports,
    origin,
    reference,
    risk,
    screening,
    tariff,
    transit,
)
from smartcustoms.risk.online import Scorer
from smartcustoms.screening.service import Screeners
from smartcustoms.tariff import Classifiers
from smartcustoms.transit.service import TransitService


def create_app(
    settings: Settings, *, clock: Callable[[], dt.datetime] = utcnow, console: bool = True
) -> FastAPI:
    engine = make_engine(settings)
    app = FastAPI(
        title="smartcustoms API",
        version=__version__,
        description="Declarations, identity and reference data of the smartcustoms platform. "
        "Errors are RFC 9457 problem details (application/problem+json).",
    )
    # Lanes on submission follow the lane settings in force (risk.lane_store).
    scorer = Scorer(refresh_seconds=settings.risk_refresh_seconds)
    app.state.ctx = AppContext(settings=settings, engine=engine,
                               sessions=session_factory(engine), clock=clock, scorer=scorer,
                               classifiers=Classifiers(), screeners=Screeners(),
                               transit=TransitService(session_factory(engine), clock))
    problems.install(app)
    for router in (health.router, auth.router, declarations.router, imports.router,
                   reference.router, risk.router, risk.declaration_risk, tariff.router,
                   tariff.declaration_tariff, screening.router,
                   screening.declaration_screening, documents.router,
                   documents.declaration_documents, documents.documents_router,
                   origin.router, origin.declaration_origin, origin.log_router,
                   transit.router):
        app.include_router(router)

    @app.get("/problems/{code}", include_in_schema=False)
    def problem_type(code: str) -> JSONResponse:
        """Dereferencing a problem ``type`` tells what the code means."""
        known = _problem_types()
        if code not in known:
            # An error like any other: the one problem shape.
            raise NotFound(f"no problem type {code!r}", field="code", value=code)
        return JSONResponse({"code": code, **known[code]})

    if console:
        from smartcustoms.console import mount_console

        mount_console(app)
    return app


def _problem_types() -> dict[str, dict[str, object]]:
    # The codes the HTTP layer itself answers with (unknown route, 405, 500, …) are
    # problem types too: every ``type`` the API sends must dereference.
    out: dict[str, dict[str, object]] = {
        code: {"title": code.replace("-", " ").capitalize(), "status": status}
        for status, code in problems._HTTP_CODES.items()
    }
    out["http-error"] = {"title": "Http error"}  # any other 4xx/5xx Starlette raises
    out["internal-error"] = {"title": "Internal error", "status": 500}
    stack: list[type[SmartCustomsError]] = [SmartCustomsError]
    while stack:
        cls = stack.pop()
        out[cls.code] = {"title": cls.title, "status": cls.http_status}
        stack.extend(cls.__subclasses__())
    return out
