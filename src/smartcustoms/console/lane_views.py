"""The lane settings page: the settings in force as a form, a preview of the slots they give
each office, the versions with who saved them and when, re-activating an earlier one.

Customs staff read the page (the service checks it); the form and the buttons are for
``lanes:configure``. Every POST checks the CSRF value first and answers with a redirect
(POST, redirect, GET) or with the form again, its errors beside the fields. *Preview*,
*Add an office* and *Remove* post the form to ``/preview``, which answers htmx with the
editor alone and a plain browser with the whole page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session as DbSession
from starlette.datastructures import FormData

from smartcustoms.db import unit_of_work
from smartcustoms.errors import FieldError, InvalidInput
from smartcustoms.http.deps import context
from smartcustoms.identity import Permission, Principal
from smartcustoms.risk import lane_store
from smartcustoms.risk.lane_preview import preview_lane_capacity
from smartcustoms.risk.selectivity import LaneSettings

from .contexts import LANES_PATH
from .lane_contexts import LaneSettingsForm, LanesPage, PreviewView
from .lane_forms import edit_offices, parse_lane_form, preview_days, read_lane_form
from .session import ConsoleSession, Session, check_csrf
from .web import ConsoleRoute, PostedForm, is_htmx, redirect, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False,
                   default_response_class=HTMLResponse)


@router.get(LANES_PATH)
def lanes(request: Request, session: Session) -> Response:
    """The settings in force (a form for those who may change them), their preview over
    ``?days=`` days, the history."""
    with context(request).sessions() as db:
        in_force = lane_store.current_lane_settings(db, actor=session.principal)
    form = LaneSettingsForm.of(in_force.settings, days=request.query_params.get("days", ""))
    errors: list[FieldError] = []
    preview_days(form, errors)
    return _page(request, session, replace(form, errors=tuple(errors)), in_force.settings,
                 notice=_notice(request), status=422 if errors else 200)


def _notice(request: Request) -> str | None:
    params = request.query_params
    if params.get("saved", "").isdigit():
        return f"Version {params['saved']} saved: it is in force."
    if params.get("activated", "").isdigit():
        return f"Version {params['activated']} is in force again."
    if params.get("unchanged") == "1":
        return "These settings are already in force: nothing was saved."
    return None


@router.post(LANES_PATH)
def save(request: Request, session: Session, values: PostedForm) -> Response:
    """Save the form as a new version in force; an invalid one comes back with its errors."""
    check_csrf(session, _text(values, "csrf_token"))
    session.principal.require(Permission.configure_lanes)
    form = read_lane_form(values)
    settings, errors = parse_lane_form(form)
    if settings is not None:
        ctx = context(request)
        try:
            with unit_of_work(ctx.sessions) as db:
                version, created = lane_store.save_lane_settings(
                    db, settings, actor=session.principal, note=form.note, now=ctx.clock())
        except InvalidInput as exc:
            errors = exc.errors
        else:
            return redirect(f"{LANES_PATH}?saved={version.id}" if created
                            else f"{LANES_PATH}?unchanged=1")
    return _page(request, session, replace(form, errors=tuple(errors)), None, status=422)


@router.post(LANES_PATH + "/preview")
def preview(request: Request, session: Session, values: PostedForm) -> Response:
    """The form again (an office row added or removed) with the preview of its settings."""
    check_csrf(session, _text(values, "csrf_token"))
    session.principal.require(Permission.configure_lanes)
    form = edit_offices(read_lane_form(values), _text(values, "action"))
    settings, errors = parse_lane_form(form)
    preview_days(form, errors)
    return _page(request, session, replace(form, errors=tuple(errors)), settings,
                 status=422 if errors else 200, fragment=is_htmx(request))


@router.post(LANES_PATH + "/{version_id}/activate")
def activate(version_id: int, request: Request, session: Session,
             csrf_token: Annotated[str, Form()] = "") -> Response:
    """Put an earlier version back in force (the service audits it)."""
    check_csrf(session, csrf_token)
    ctx = context(request)
    with unit_of_work(ctx.sessions) as db:
        lane_store.activate_version(db, version_id, actor=session.principal, now=ctx.clock())
    return redirect(f"{LANES_PATH}?activated={version_id}")


def _text(values: FormData, name: str) -> str:
    value = values.get(name)
    return value if isinstance(value, str) else ""


def _page(request: Request, session: ConsoleSession, form: LaneSettingsForm,
          settings: LaneSettings | None, *, notice: str | None = None, status: int = 200,
          fragment: bool = False) -> Response:
    """The page (or the editor alone); ``settings`` are previewed, None: nothing to preview."""
    ctx = context(request)
    with ctx.sessions() as db:
        in_force = lane_store.current_lane_settings(db, actor=session.principal)
        history = lane_store.lane_settings_history(db, actor=session.principal)
        shown = None if settings is None else _preview(
            db, session.principal, settings, in_force.settings, days=preview_days(form),
            today=ctx.clock().date())
    page = LanesPage.build(session, in_force, form, shown, history, notice=notice)
    return render(request, "risk/_lane_editor.html" if fragment else "risk/lanes.html", page,
                  status=status)


def _preview(db: DbSession, actor: Principal, settings: LaneSettings, in_force: LaneSettings,
             *, days: int, today: dt.date) -> PreviewView:
    """The form's settings beside those in force, when they differ."""
    proposed = preview_lane_capacity(db, settings, actor=actor, today=today, days=days)
    current = None if settings.digest() == in_force.digest() else preview_lane_capacity(
        db, in_force, actor=actor, today=today, days=days)
    return PreviewView.of(proposed, current)
