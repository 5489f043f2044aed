"""The classification assistant and the tariff panel of a declaration page.

The assistant: type a description, see ranked HS6 codes with their evidence (the path
with its texts, the words that matched, the national lines, the nearest precedents), and
accept one. Opened from a declared item (``?declaration=…&item=…``), it is prefilled with
the item's description and accepting records the code for that item; opened on its own,
accepting records the description as a precedent. Either way the service records who
accepted what, and the loaded model's index takes it before its next answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session as DbSession
from starlette.datastructures import FormData

from smartcustoms import declarations as decl
from smartcustoms import tariff
from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput
from smartcustoms.http.deps import context
from smartcustoms.identity import Permission

from .contexts import TARIFF_PATH, Layout
from .session import ConsoleSession, Session, check_csrf
from .web import ConsoleRoute, PostedForm, is_htmx, redirect, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False,
                   default_response_class=HTMLResponse)

MAX_DESCRIPTION = 5000


@dataclass(frozen=True, slots=True)
class ItemContext:
    """The declared item the assistant was opened from."""

    declaration_id: str
    reference: str
    sequence: int
    declared_code: str


@dataclass(frozen=True, slots=True)
class AssistantPage:
    layout: Layout
    description: str
    k: int
    suggestions: tuple[tariff.Suggestion, ...] = ()
    item: ItemContext | None = None
    can_accept: bool = False
    notice: str | None = None
    error: str | None = None


@router.get(TARIFF_PATH)
def assistant(request: Request, session: Session) -> Response:
    """The form, and the suggestions for ``?q=`` (htmx gets the results alone)."""
    actor = session.principal
    actor.require(Permission.classify_goods)
    params = request.query_params
    ctx = context(request)
    item = None
    text = params.get("q", "").strip()
    k = _k(params.get("k", "5"))
    with ctx.sessions() as db:
        if params.get("declaration") and params.get("item", "").isdigit():
            item, described = _item(db, session, params["declaration"], int(params["item"]))
            text = text or described
        suggestions: list[tariff.Suggestion] = []
        error = None
        if len(text) > MAX_DESCRIPTION:
            error = f"The description is longer than {MAX_DESCRIPTION:,} characters."
        elif text:
            try:
                suggestions = tariff.suggest(ctx.classifiers, db, ctx.settings, [text], k=k,
                                             actor=actor)[0]
            except tariff.NoTariffModel as exc:
                error = exc.detail
    page = AssistantPage(
        layout=Layout.build(session, TARIFF_PATH), description=text, k=k,
        suggestions=tuple(suggestions), item=item,
        can_accept=actor.can(Permission.add_precedents), notice=_notice(params.get("accepted")),
        error=error)
    template = "tariff/_results.html" if is_htmx(request) else "tariff/assistant.html"
    return render(request, template, page, status=422 if error and text else 200)


@router.post(f"{TARIFF_PATH}/accept")
def accept(request: Request, session: Session, values: PostedForm) -> Response:
    """Record the accepted code: for the declared item, or the description as a precedent."""
    check_csrf(session, _text(values, "csrf_token"))
    actor = session.principal
    actor.require(Permission.add_precedents)
    code = _text(values, "code")
    description = _text(values, "description").strip()
    declaration_id = _text(values, "declaration")
    sequence = _text(values, "item")
    ctx = context(request)
    with unit_of_work(ctx.sessions) as db:
        if declaration_id and sequence.isdigit():
            tariff.accept_suggestion(db, declaration_id, int(sequence), code, actor=actor,
                                     now=ctx.clock())
            return redirect(f"/declarations/{declaration_id}?"
                            + urlencode({"classified": code}) + "#tariff")
        if not description:
            raise InvalidInput("the description to record is empty", field="description",
                               value=description)
        # The same text accepted twice is one precedent: its reference is the text's hash.
        ref = "text:" + hashlib.sha256(description.encode()).hexdigest()[:16]
        report = tariff.add_precedents(
            db, [(ref, tariff.PrecedentIn(ref=ref, description=description, code=code))],
            source="accepted", actor=actor, now=ctx.clock())
    if report.rejected:
        first = report.rejected[0]
        raise InvalidInput(first["error"], field=first["field"], value=first["value"])
    return redirect(f"{TARIFF_PATH}?" + urlencode({"q": description, "accepted": code}))


def _item(db: DbSession, session: ConsoleSession, declaration_id: str, sequence: int
          ) -> tuple[ItemContext | None, str]:
    found = decl.get_declaration(db, declaration_id, actor=session.principal)
    item = next((i for i in found.declared.items if i.sequence == sequence), None)
    if item is None:
        return None, ""
    return (ItemContext(declaration_id=declaration_id, reference=found.declared.reference,
                        sequence=sequence, declared_code=item.hs_code),
            item.description or "")


def _notice(code: str | None) -> str | None:
    if code and code.isdigit():
        return f"{code} recorded as a precedent: the classifier uses it from now on."
    return None


def _k(text: str) -> int:
    return min(max(int(text), 1), 20) if text.isdigit() else 5


def _text(values: FormData, name: str) -> str:
    value = values.get(name)
    return value if isinstance(value, str) else ""


# --- the declaration page's panel ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TariffPanel:
    declaration_id: str
    checks: tuple[tariff.ItemCheck, ...]
    described_items: tuple[int, ...]  # items with a description: the assistant can open them
    notice: str | None = None


def load_tariff_panel(db: DbSession, declaration: decl.Declaration, session: ConsoleSession,
                      *, classified: str | None = None) -> TariffPanel | None:
    """Staff only, like the risk panel: a trader never sees a verdict about their goods."""
    if not session.principal.can(Permission.read_all_declarations):
        return None
    return TariffPanel(
        declaration_id=declaration.id,
        checks=tuple(tariff.declaration_checks(db, declaration.id)),
        described_items=tuple(i.sequence for i in declaration.declared.items if i.description),
        notice=(f"{classified} accepted for this declaration's item: recorded as a precedent."
                if classified and classified.isdigit() else None))
