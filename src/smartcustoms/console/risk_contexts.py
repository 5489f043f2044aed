"""Typed contexts of the risk pages: the declaration's risk panel and inspection form, the
inspection queue, model versions, rules and lists, the feedback report.

Forms keep what was typed (as text) and the field errors to show beside each field, so a
refused form comes back as the user left it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from smartcustoms.errors import FieldError
from smartcustoms.identity import Permission
from smartcustoms.risk.inspections import FeedbackReport, InspectionResult
from smartcustoms.risk.metrics import DEFAULT_BUDGETS
from smartcustoms.risk.rule_store import RULE_FIELDS, RiskList, RulePerformance, RuleTest
from smartcustoms.risk.selectivity import Lane
from smartcustoms.risk.service import ModelVersion
from smartcustoms.risk.tables import LaneDecisionRow

from .contexts import FEEDBACK_PATH, MODELS_PATH, QUEUE_PATH, RULES_PATH, Layout
from .session import ConsoleSession

QUEUE_LIMIT = 50
QUEUE_MAX_LIMIT = 500
QUEUE_LANES = (Lane.red.value, Lane.yellow.value)
LANES = tuple(lane.value for lane in Lane)
LIST_VALUES_SHOWN = 30

SELECTED_BY = {
    "rule": "by a rule",
    "random": "at random",
    "model": "by the model's ranking",
    "none": "not selected (below the model's cut)",
}


class FormState:
    """Field errors of a form dataclass: each shown beside its field, the rest above."""

    __slots__ = ()
    errors: tuple[FieldError, ...]

    def error(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)

    @property
    def other_errors(self) -> tuple[FieldError, ...]:
        names = {f.name for f in fields(self)}  # type: ignore[arg-type]
        return tuple(e for e in self.errors if e.field not in names)


# --- the declaration's risk panel -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ReasonView:
    text: str
    evidence: str
    contribution: float | None  # log-odds added by the model; None for rules and draws


@dataclass(frozen=True, slots=True)
class LaneView:
    lane: str
    selected_by: str
    how: str  # selected_by in words
    probability: float | None
    propensity: float
    model_id: int | None
    rules: tuple[tuple[int, str], ...]  # (id, name) of the rules that fired
    reasons: tuple[ReasonView, ...]
    decided_at: dt.datetime
    decided_by: str

    @classmethod
    def of(cls, row: LaneDecisionRow, rule_names: dict[int, str]) -> LaneView:
        return cls(
            lane=row.lane, selected_by=row.selected_by,
            how=SELECTED_BY.get(row.selected_by, row.selected_by),
            probability=row.probability, propensity=row.propensity, model_id=row.model_id,
            rules=tuple((i, rule_names.get(i, "?")) for i in row.rule_ids or ()),
            reasons=tuple(_reason(r) for r in row.reasons or ()),
            decided_at=row.decided_at, decided_by=row.decided_by,
        )


def _reason(raw: dict[str, Any]) -> ReasonView:
    contribution = raw.get("contribution")
    return ReasonView(text=str(raw.get("text", "")), evidence=str(raw.get("evidence", "")),
                      contribution=float(contribution) if contribution is not None else None)


@dataclass(frozen=True, slots=True)
class StoredResult:
    result: InspectionResult
    recorded_by: str | None


@dataclass(frozen=True, slots=True)
class InspectionForm(FormState):
    irregular: str = ""  # "yes" | "no"; "" until the officer chooses
    critical: bool = False
    duty_recovered: str = ""
    notes: str = ""
    inspected_on: str = ""
    errors: tuple[FieldError, ...] = ()

    @classmethod
    def of(cls, stored: InspectionResult | None, today: dt.date) -> InspectionForm:
        """Empty (dated today) for a first record; the stored values for a correction."""
        if stored is None:
            return cls(inspected_on=today.isoformat())
        return cls(irregular="yes" if stored.irregular else "no",
                   critical=bool(stored.critical),
                   duty_recovered=_amount(stored.duty_recovered), notes=stored.notes or "",
                   inspected_on=stored.inspected_on.isoformat())


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


@dataclass(frozen=True, slots=True)
class RiskPanel:
    """What customs staff see of a declaration's risk; never built for a trader."""

    declaration_id: str
    decision: LaneView | None  # None: no lane decided yet
    officer_result: StoredResult | None
    source_result: InspectionResult | None  # an outcome that came with historical data
    form: InspectionForm | None  # None: the reader may not record results
    notice: str | None = None  # "recorded" | "corrected", after a result was posted

    @property
    def action(self) -> str:
        return f"/declarations/{self.declaration_id}/inspection"


# --- the inspection queue -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QueueForm(FormState):
    office: str = ""
    lane: str = ""  # "" for red and yellow
    limit: str = ""
    errors: tuple[FieldError, ...] = ()

    def query(self, limit: int | None = None) -> tuple[tuple[str, str], ...]:
        chosen = str(limit) if limit is not None else self.limit
        pairs = (("office", self.office), ("lane", self.lane),
                 ("limit", "" if chosen == str(QUEUE_LIMIT) else chosen))
        return tuple((k, v) for k, v in pairs if v)

    def url(self, limit: int | None = None) -> str:
        query = self.query(limit)
        return QUEUE_PATH + ("?" + urlencode(query) if query else "")

    @property
    def active(self) -> bool:
        return bool(self.office or self.lane)


@dataclass(frozen=True, slots=True)
class QueueRow:
    declaration_id: str
    reference: str
    declaration_date: dt.date
    office: str | None
    lane: str
    selected_by: str
    probability: float | None
    reasons: tuple[str, ...]  # the first two


@dataclass(frozen=True, slots=True)
class QueuePage:
    layout: Layout
    form: QueueForm
    rows: tuple[QueueRow, ...]
    more_href: str | None  # more rows wait: the same queue with a larger limit
    lanes: tuple[str, ...] = QUEUE_LANES

    @classmethod
    def build(cls, session: ConsoleSession, form: QueueForm, rows: list[QueueRow],
              limit: int) -> QueuePage:
        more = len(rows) > limit and limit < QUEUE_MAX_LIMIT
        return cls(layout=Layout.build(session, QUEUE_PATH), form=form,
                   rows=tuple(rows[:limit]),
                   more_href=form.url(min(limit + QUEUE_LIMIT, QUEUE_MAX_LIMIT)) if more
                   else None)


# --- models ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ModelView:
    version: ModelVersion
    auc: float | None
    precision: tuple[float | None, ...]  # at each of BUDGETS

    @classmethod
    def of(cls, version: ModelVersion) -> ModelView:
        at = {round(m.budget, 6): m.precision for m in version.validation.at}
        return cls(version=version, auc=version.validation.auc,
                   precision=tuple(at.get(round(b, 6)) for b in DEFAULT_BUDGETS))

    @property
    def sha_prefix(self) -> str:
        return self.version.content_sha256[:12]


@dataclass(frozen=True, slots=True)
class ModelsPage:
    layout: Layout
    models: tuple[ModelView, ...]
    can_promote: bool
    notice: str | None
    budgets: tuple[float, ...] = DEFAULT_BUDGETS

    @classmethod
    def build(cls, session: ConsoleSession, versions: list[ModelVersion],
              notice: str | None) -> ModelsPage:
        return cls(layout=Layout.build(session, MODELS_PATH),
                   models=tuple(ModelView.of(v) for v in versions),
                   can_promote=session.principal.can(Permission.promote_risk_models),
                   notice=notice)


@dataclass(frozen=True, slots=True)
class PromotePage:
    """The confirmation asked before a promotion (a GET page with a POST form)."""

    layout: Layout
    model: ModelView
    current: ModelView | None  # the promoted model this one would retire

    @property
    def action(self) -> str:
        return f"{MODELS_PATH}/{self.model.version.id}/promote"


# --- rules and lists ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Caret:
    """The line of a condition where parsing stopped, and a caret under the column."""

    line: int
    column: int
    text: str

    @property
    def marker(self) -> str:
        return " " * (self.column - 1) + "^"


@dataclass(frozen=True, slots=True)
class RuleForm(FormState):
    name: str = ""
    condition: str = ""
    lane: str = Lane.yellow.value
    priority: str = "0"
    valid_from: str = ""
    valid_to: str = ""
    description: str = ""
    errors: tuple[FieldError, ...] = ()
    caret: Caret | None = None  # where a malformed condition went wrong
    test: RuleTest | None = None  # the condition tried on the inspected history


@dataclass(frozen=True, slots=True)
class ListForm(FormState):
    name: str = ""
    values: str = ""
    description: str = ""
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True, slots=True)
class ListView:
    list: RiskList

    @property
    def shown(self) -> tuple[str, ...]:
        return tuple(self.list.values[:LIST_VALUES_SHOWN])

    @property
    def hidden(self) -> int:
        return max(0, len(self.list.values) - LIST_VALUES_SHOWN)


@dataclass(frozen=True, slots=True)
class RulesPage:
    layout: Layout
    rules: tuple[RulePerformance, ...]
    lists: tuple[ListView, ...]
    can_manage: bool
    rule_form: RuleForm
    list_form: ListForm
    notice: str | None = None
    lanes: tuple[str, ...] = LANES
    rule_fields: tuple[str, ...] = tuple(sorted(RULE_FIELDS))

    @classmethod
    def build(cls, session: ConsoleSession, rules: list[RulePerformance],
              lists: list[RiskList], *, rule_form: RuleForm | None = None,
              list_form: ListForm | None = None, notice: str | None = None) -> RulesPage:
        return cls(layout=Layout.build(session, RULES_PATH), rules=tuple(rules),
                   lists=tuple(ListView(x) for x in lists),
                   can_manage=session.principal.can(Permission.manage_rules),
                   rule_form=rule_form or RuleForm(), list_form=list_form or ListForm(),
                   notice=notice)


@dataclass(frozen=True, slots=True)
class RuleFormFragment:
    """The rule form alone, as htmx swaps it in after a test."""

    layout: Layout
    rule_form: RuleForm
    lanes: tuple[str, ...] = LANES
    rule_fields: tuple[str, ...] = tuple(sorted(RULE_FIELDS))


# --- feedback -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FeedbackPage:
    layout: Layout
    report: FeedbackReport

    @classmethod
    def build(cls, session: ConsoleSession, report: FeedbackReport) -> FeedbackPage:
        return cls(layout=Layout.build(session, FEEDBACK_PATH), report=report)
