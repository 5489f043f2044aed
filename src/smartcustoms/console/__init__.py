"""The officer console: server-rendered pages (Jinja2 + htmx) over the capabilities' services.

An adapter like ``http``: it parses requests, calls one service function per page and renders
a typed context (``contexts.py``). No capability imports it.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from smartcustoms.console import (
    auth,
    compliance_views,
    document_views,
    lane_views,
    origin_views,
    risk_views,
    tariff_views,
    transit_live,
    transit_views,
    views,
)
from smartcustoms.console.web import STATIC_DIR

__all__ = ["mount_console"]


def mount_console(app: FastAPI) -> None:
    """Add the console's pages and its static files (``/static``) to ``app``."""
    app.include_router(auth.router)
    app.include_router(views.router)
    app.include_router(risk_views.router)
    app.include_router(lane_views.router)
    app.include_router(tariff_views.router)
    app.include_router(compliance_views.router)
    app.include_router(document_views.router)
    app.include_router(origin_views.router)
    app.include_router(transit_views.router)
    app.include_router(transit_live.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
