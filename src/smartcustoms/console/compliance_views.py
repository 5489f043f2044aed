"""Sanctions screening and valuation in the console.

The screening page: search names against the active lists (each hit with its reasons)
and, for officers, the queue of open hits on declarations. The declaration page gets a
compliance panel (staff only): each party's hits with their explanation and a decision
form, and each item's unit value against its valuation band.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session as DbSession
from starlette.datastructures import FormData

from smartcustoms.db import unit_of_work
from smartcustoms.documents import valuation_service as valuation
from smartcustoms.errors import InvalidInput
from smartcustoms.http.deps import context
from smartcustoms.identity import Permission
from smartcustoms.screening import service as screening

from .contexts import SCREENING_PATH, Layout
from .session import ConsoleSession, Session, check_csrf
from .web import ConsoleRoute, PostedForm, is_htmx, redirect, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False,
                   default_response_class=HTMLResponse)


@dataclass(frozen=True, slots=True)
class ScreeningPage:
    layout: Layout
    name: str
    country: str
    result: screening.SearchResult | None
    lists: tuple[screening.ListInfo, ...]
    queue: tuple[screening.StoredHit, ...]
    can_decide: bool
    error: str | None = None


@router.get(SCREENING_PATH)
def screening_page(request: Request, session: Session) -> Response:
    """The search form, its hits for ``?name=`` (htmx gets the results alone), the queue."""
    actor = session.principal
    actor.require(Permission.screen_parties)
    params = request.query_params
    name, country = params.get("name", "").strip(), params.get("country", "").strip()
    ctx = context(request)
    result, error = None, None
    with ctx.sessions() as db:
        if name:
            try:
                party = screening.PartyIn(name=name, country=country or None)
                result = screening.search(ctx.screeners, db, [party], actor=actor)[0]
            except ValidationError as exc:
                error = f"{exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}"
            except screening.NoScreeningList as exc:
                error = exc.detail
        can_decide = actor.can(Permission.decide_screening_hits)
        page = ScreeningPage(
            layout=Layout.build(session, SCREENING_PATH), name=name, country=country,
            result=result, lists=tuple(v for v in screening.list_versions(db)
                                       if v.status == "active"),
            queue=tuple(screening.open_hits(db, actor=actor)) if can_decide else (),
            can_decide=can_decide, error=error)
    template = "screening/_results.html" if is_htmx(request) else "screening/search.html"
    return render(request, template, page, status=422 if error else 200)


@router.post(SCREENING_PATH + "/hits/{hit_id}/decision")
def decide(hit_id: int, request: Request, session: Session, values: PostedForm) -> Response:
    """An officer's decision on a hit, from the declaration page or the queue."""
    check_csrf(session, _text(values, "csrf_token"))
    try:
        body = screening.DecisionIn(decision=_text(values, "decision"),  # type: ignore[arg-type]
                                    note=_text(values, "note").strip())
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(f"{first['loc'][0]}: {first['msg']}", field=str(first["loc"][0]),
                           value=first.get("input")) from None
    ctx = context(request)
    with unit_of_work(ctx.sessions) as db:
        hit = screening.decide(db, hit_id, body, actor=session.principal, now=ctx.clock())
    back = _text(values, "back")
    if back == "queue":
        return redirect(SCREENING_PATH + "?" + urlencode({"decided": hit.id}) + "#queue")
    return redirect(f"/declarations/{_declaration_of(request, hit_id)}?"
                    + urlencode({"screened": hit.status}) + "#compliance")


def _declaration_of(request: Request, hit_id: int) -> str:
    from smartcustoms.screening.tables import ScreeningHitRow

    with context(request).sessions() as db:
        row = db.get(ScreeningHitRow, hit_id)
        return row.declaration_id if row else ""


def _text(values: FormData, name: str) -> str:
    value = values.get(name)
    return value if isinstance(value, str) else ""


# --- the declaration page's panel ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CompliancePanel:
    declaration_id: str
    screening: screening.DeclarationScreening
    values: tuple[valuation.ValueCheck, ...]
    can_decide: bool
    notice: str | None = None


def load_compliance_panel(db: DbSession, declaration_id: str, session: ConsoleSession, *,
                          screened: str | None = None) -> CompliancePanel | None:
    """Staff only: a trader is not told which counterparties resemble a listed one, nor
    how its prices compare with others'."""
    if not session.principal.can(Permission.read_all_declarations):
        return None
    notice = {"cleared": "Recorded as a false positive: the pair no longer alerts.",
              "confirmed": "Recorded as a true match."}.get(screened or "")
    return CompliancePanel(
        declaration_id=declaration_id,
        screening=screening.declaration_screening(db, declaration_id),
        values=tuple(valuation.declaration_values(db, declaration_id)),
        can_decide=session.principal.can(Permission.decide_screening_hits), notice=notice)
