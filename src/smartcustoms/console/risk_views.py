"""Console pages of risk targeting: recording inspection results, the inspection queue,
model versions (and one version's metrics, calibration and importance), rules and lists,
the feedback report.

Permissions are the risk service's (``actor.require`` in each function); a view checks one
itself only where it must decide before calling the service (the queue, a form that would be
shown again). Every POST checks the CSRF value first, and answers with a redirect (POST,
redirect, GET) or with the form again, its errors beside the fields.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from smartcustoms.db import unit_of_work
from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.errors import FieldError, InvalidInput, NotFound
from smartcustoms.http.deps import context
from smartcustoms.identity import Permission
from smartcustoms.risk import insight, inspections, rule_store, service
from smartcustoms.risk.rules import RuleSyntaxError
from smartcustoms.risk.tables import LaneDecisionRow, RiskListRow

from .contexts import FEEDBACK_PATH, LISTS_PATH, MODELS_PATH, QUEUE_PATH, RULES_PATH, Layout
from .model_contexts import ModelPage
from .risk_contexts import (
    Caret,
    FeedbackPage,
    InspectionForm,
    ListForm,
    ModelsPage,
    ModelView,
    PromotePage,
    QueuePage,
    QueueRow,
    RuleForm,
    RuleFormFragment,
    RulesPage,
)
from .risk_forms import (
    condition_errors,
    parse_inspection,
    parse_list,
    parse_rule,
    queue_query,
)
from .session import ConsoleSession, Session, check_csrf
from .views import render_declaration
from .web import ConsoleRoute, is_htmx, redirect, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False,
                   default_response_class=HTMLResponse)

QUEUE_REASONS = 2


# --- recording an inspection result (on the declaration page) -------------------------------

@router.post("/declarations/{declaration_id}/inspection")
def record_inspection(
    declaration_id: str,
    request: Request,
    session: Session,
    csrf_token: Annotated[str, Form()] = "",
    irregular: Annotated[str, Form()] = "",
    critical: Annotated[str, Form()] = "",
    duty_recovered: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
    inspected_on: Annotated[str, Form()] = "",
) -> Response:
    """Record (or correct) what the inspection found, then show the declaration again."""
    check_csrf(session, csrf_token)
    # Before anything is shown again: the page with the form is for those who may record.
    session.principal.require(Permission.record_inspections)
    form = InspectionForm(irregular=irregular, critical=bool(critical),
                          duty_recovered=duty_recovered, notes=notes, inspected_on=inspected_on)
    parsed, errors = parse_inspection(form)
    if parsed is not None:
        ctx = context(request)
        try:
            with unit_of_work(ctx.sessions) as db:
                _, created = inspections.record_inspection(
                    db, declaration_id, irregular=parsed.irregular, critical=parsed.critical,
                    duty_recovered=parsed.duty_recovered, notes=parsed.notes,
                    inspected_on=parsed.inspected_on, actor=session.principal,
                    now=ctx.clock())
        except InvalidInput as exc:
            errors = exc.errors
        else:
            if ctx.scorer is not None:
                ctx.scorer.invalidate()  # the next submission's features see this outcome
            notice = "recorded" if created else "corrected"
            return redirect(f"/declarations/{declaration_id}?inspection={notice}#risk")
    return render_declaration(request, session, declaration_id,
                              form=replace(form, errors=tuple(errors)), status=422)


# --- the inspection queue -------------------------------------------------------------------

@router.get(QUEUE_PATH)
def queue(request: Request, session: Session) -> Response:
    """Declarations waiting for inspection: red first, then the most likely irregular.

    Recorded results leave the queue, so it is paged by a growing ``limit`` ("show more"),
    not by offsets that would skip rows as officers work through it.
    """
    session.principal.require(Permission.record_inspections)
    query = queue_query(request.query_params)
    canonical = query.form.url()
    if not is_htmx(request) and any(not v for _, v in request.query_params.multi_items()):
        return redirect(canonical)
    rows: list[QueueRow] = []
    if not query.form.errors:
        with context(request).sessions() as db:
            found = inspections.queue(db, lanes=query.lanes, office=query.office,
                                      limit=query.limit + 1)  # one more: is there more?
        rows = [_queue_row(decision, declaration) for decision, declaration in found]
    page = QueuePage.build(session, query.form, rows, query.limit)
    status = 422 if query.form.errors else 200
    if not is_htmx(request):
        return render(request, "risk/queue.html", page, status=status)
    response = render(request, "risk/_queue.html", page, status=status)
    response.headers["HX-Push-Url"] = canonical
    return response


def _queue_row(decision: LaneDecisionRow, declaration: DeclarationRow) -> QueueRow:
    return QueueRow(
        declaration_id=declaration.id, reference=declaration.reference,
        declaration_date=declaration.declaration_date, office=declaration.office,
        lane=decision.lane, selected_by=decision.selected_by,
        probability=decision.probability,
        reasons=tuple(str(r.get("text", "")) for r in (decision.reasons or ())[:QUEUE_REASONS]),
    )


# --- models ---------------------------------------------------------------------------------

@router.get(MODELS_PATH)
def models(request: Request, session: Session) -> Response:
    promoted = request.query_params.get("promoted", "")
    notice = f"Model #{promoted} is now the promoted model." if promoted.isdigit() else None
    with context(request).sessions() as db:
        versions = service.list_models(db, actor=session.principal)
    return render(request, "risk/models.html", ModelsPage.build(session, versions, notice))


@router.get(MODELS_PATH + "/{model_id}")
def model_detail(model_id: int, request: Request, session: Session) -> Response:
    """One version: windows, parameters, validation metrics, calibration, importance."""
    with context(request).sessions() as db:
        found = insight.model_insight(db, model_id, actor=session.principal)
    return render(request, "risk/model.html", ModelPage.build(session, found))


@router.get(MODELS_PATH + "/{model_id}/promote")
def confirm_promotion(model_id: int, request: Request, session: Session) -> Response:
    """Ask before promoting: which model scores from now on, which one it retires."""
    session.principal.require(Permission.promote_risk_models)
    with context(request).sessions() as db:
        versions = service.list_models(db, actor=session.principal)
    model = next((v for v in versions if v.id == model_id), None)
    if model is None:
        raise NotFound(f"no risk model {model_id}", field="model_id", value=model_id)
    current = next((v for v in versions if v.status == "promoted" and v.id != model_id), None)
    return render(request, "risk/promote.html", PromotePage(
        layout=Layout.build(session, MODELS_PATH), model=ModelView.of(model),
        current=ModelView.of(current) if current else None))


@router.post(MODELS_PATH + "/{model_id}/promote")
def promote(model_id: int, request: Request, session: Session,
            csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(session, csrf_token)
    ctx = context(request)
    with unit_of_work(ctx.sessions) as db:  # the service writes the audit record
        service.promote_model(db, model_id, actor=session.principal, now=ctx.clock())
    return redirect(f"{MODELS_PATH}?promoted={model_id}")


# --- rules and lists ------------------------------------------------------------------------

@router.get(RULES_PATH)
def rules(request: Request, session: Session) -> Response:
    return _rules_page(request, session, notice=_rules_notice(request))


def _rules_notice(request: Request) -> str | None:
    params = request.query_params
    for key, text in (("added", "Rule {} added."), ("disabled", "Rule {} disabled."),
                      ("enabled", "Rule {} enabled.")):
        if params.get(key, "").isdigit():
            return text.format(params[key])
    name = params.get("list", "")
    if rule_store.LIST_NAME.match(name):
        return f"List @{name} saved."
    return None


def _rules_page(request: Request, session: ConsoleSession, *, rule_form: RuleForm | None = None,
                list_form: ListForm | None = None, notice: str | None = None,
                status: int = 200) -> Response:
    with context(request).sessions() as db:
        performance = rule_store.list_rules(db, actor=session.principal)
        lists = _lists(db)
    page = RulesPage.build(session, performance, lists, rule_form=rule_form,
                           list_form=list_form, notice=notice)
    return render(request, "risk/rules.html", page, status=status)


def _lists(db: DbSession) -> list[rule_store.RiskList]:
    rows = db.scalars(select(RiskListRow).order_by(RiskListRow.name))
    return [rule_store.RiskList.model_validate(r, from_attributes=True) for r in rows]


def _rule_form(name: str, condition: str, lane: str, priority: str, valid_from: str,
               valid_to: str, description: str) -> RuleForm:
    return RuleForm(name=name, condition=condition, lane=lane, priority=priority,
                    valid_from=valid_from, valid_to=valid_to, description=description)


FormText = Annotated[str, Form()]


@router.post(RULES_PATH)
def add_rule(request: Request, session: Session, csrf_token: FormText = "",
             name: FormText = "", condition: FormText = "", lane: FormText = "",
             priority: FormText = "", valid_from: FormText = "", valid_to: FormText = "",
             description: FormText = "") -> Response:
    """Save a rule; a malformed one comes back with the message beside its field."""
    check_csrf(session, csrf_token)
    session.principal.require(Permission.manage_rules)
    form = _rule_form(name, condition, lane, priority, valid_from, valid_to, description)
    parsed, errors = parse_rule(form)
    if parsed is not None:
        ctx = context(request)
        try:
            with unit_of_work(ctx.sessions) as db:
                rule = rule_store.create_rule(
                    db, name=parsed.name, condition=parsed.condition, lane=parsed.lane,
                    actor=session.principal, now=ctx.clock(), priority=parsed.priority,
                    valid_from=parsed.valid_from, valid_to=parsed.valid_to,
                    description=parsed.description)
        except InvalidInput as exc:
            form = _refused(form, exc)
        else:
            return redirect(f"{RULES_PATH}?added={rule.id}")
    else:
        form = replace(form, errors=tuple(errors))
    return _rules_page(request, session, rule_form=form, status=422)


@router.post(RULES_PATH + "/test")
def test_rule(request: Request, session: Session, csrf_token: FormText = "",
              name: FormText = "", condition: FormText = "", lane: FormText = "",
              priority: FormText = "", valid_from: FormText = "", valid_to: FormText = "",
              description: FormText = "") -> Response:
    """Try the form's condition on the inspected history: fired, hit rate, base rate.

    htmx swaps the rule form (with the result or the error) in place; without htmx the
    rules page comes back with the same form.
    """
    check_csrf(session, csrf_token)
    session.principal.require(Permission.manage_rules)
    form = _rule_form(name, condition, lane, priority, valid_from, valid_to, description)
    status = 200
    if errors := condition_errors(condition):
        form, status = replace(form, errors=tuple(errors)), 422
    else:
        try:
            with context(request).sessions() as db:
                tried = rule_store.try_rule(db, condition, actor=session.principal)
        except InvalidInput as exc:
            form, status = _refused(form, exc), 422
        else:
            form = replace(form, test=tried)
    if not is_htmx(request):
        return _rules_page(request, session, rule_form=form, status=status)
    fragment = RuleFormFragment(layout=Layout.build(session, RULES_PATH), rule_form=form)
    return render(request, "risk/_rule_form.html", fragment, status=status)


def _refused(form: RuleForm, exc: InvalidInput) -> RuleForm:
    """The form with the service's errors; for a malformed condition, where it went wrong."""
    caret = None
    if isinstance(exc, RuleSyntaxError):
        lines = form.condition.split("\n")
        text = lines[exc.line - 1] if exc.line <= len(lines) else ""
        caret = Caret(line=exc.line, column=exc.column, text=text.rstrip("\r"))
    errors = exc.errors or [FieldError("condition", exc.detail, form.condition)]
    return replace(form, errors=tuple(errors), caret=caret)


@router.post(RULES_PATH + "/{rule_id}/disable")
def disable_rule(rule_id: int, request: Request, session: Session,
                 csrf_token: FormText = "") -> Response:
    return _set_active(request, session, rule_id, False, csrf_token)


@router.post(RULES_PATH + "/{rule_id}/enable")
def enable_rule(rule_id: int, request: Request, session: Session,
                csrf_token: FormText = "") -> Response:
    return _set_active(request, session, rule_id, True, csrf_token)


def _set_active(request: Request, session: ConsoleSession, rule_id: int, active: bool,
                csrf_token: str) -> Response:
    check_csrf(session, csrf_token)
    ctx = context(request)
    with unit_of_work(ctx.sessions) as db:
        rule_store.set_rule_active(db, rule_id, active, actor=session.principal,
                                   now=ctx.clock())
    return redirect(f"{RULES_PATH}?{'enabled' if active else 'disabled'}={rule_id}")


@router.post(LISTS_PATH)
def save_list(request: Request, session: Session, csrf_token: FormText = "",
              name: FormText = "", values: FormText = "", description: FormText = "") -> Response:
    """Create a list or replace its values; rules that use it see the new values."""
    check_csrf(session, csrf_token)
    session.principal.require(Permission.manage_rules)
    form = ListForm(name=name, values=values, description=description)
    parsed, errors = parse_list(form)
    if parsed is not None:
        ctx = context(request)
        try:
            with unit_of_work(ctx.sessions) as db:
                saved = rule_store.save_list(db, parsed.name, parsed.values,
                                             actor=session.principal, now=ctx.clock(),
                                             description=parsed.description)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            return redirect(f"{RULES_PATH}?list={saved.name}")
    return _rules_page(request, session, list_form=replace(form, errors=tuple(errors)), status=422)


# --- feedback -------------------------------------------------------------------------------

@router.get(FEEDBACK_PATH)
def feedback(request: Request, session: Session) -> Response:
    with context(request).sessions() as db:
        report = inspections.feedback_report(db, actor=session.principal)
    return render(request, "risk/feedback.html", FeedbackPage.build(session, report))
