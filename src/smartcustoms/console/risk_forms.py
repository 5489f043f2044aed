"""Parsing the risk forms: text in, typed values out, every field error at once.

Only the shape of each value is checked here (a date, an amount, a lane); what the values
mean (a duty recovered cannot be negative, a rule's condition must parse) is the risk
service's to judge, and its errors are shown beside the same fields.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from smartcustoms.errors import FieldError
from smartcustoms.risk.selectivity import Lane

from .risk_contexts import (
    QUEUE_LANES,
    QUEUE_LIMIT,
    QUEUE_MAX_LIMIT,
    InspectionForm,
    ListForm,
    QueueForm,
    RuleForm,
)

MAX_NOTES = 4000
MAX_CONDITION = 2000
MAX_NAME = 128
MAX_OFFICE = 35
MAX_LIST_VALUES = 100_000
MAX_PRIORITY = 1_000_000
AMOUNT_DIGITS = 20  # the column is NUMERIC(20, 2)
_LIST_SEPARATORS = re.compile(r"[,\n\r]+")


# --- inspection results ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InspectionInput:
    irregular: bool
    critical: bool
    duty_recovered: Decimal | None
    notes: str | None
    inspected_on: dt.date | None


def parse_inspection(form: InspectionForm) -> tuple[InspectionInput | None, list[FieldError]]:
    errors: list[FieldError] = []
    irregular = {"yes": True, "no": False}.get(form.irregular)
    if irregular is None:
        errors.append(FieldError("irregular", "choose whether the inspection found an "
                                 "irregularity", form.irregular or None))
    duty = _amount(form.duty_recovered, "duty_recovered", errors)
    notes = form.notes.strip()
    if len(notes) > MAX_NOTES:
        errors.append(FieldError("notes", f"notes are at most {MAX_NOTES} characters",
                                 f"{len(notes)} characters"))
    day = _date(form.inspected_on, "inspected_on", errors)
    if errors or irregular is None:
        return None, errors
    return InspectionInput(irregular=irregular, critical=form.critical, duty_recovered=duty,
                           notes=notes or None, inspected_on=day), []


def _amount(text: str, field: str, errors: list[FieldError]) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        errors.append(FieldError(field, "write an amount with a decimal point, e.g. 1200.50",
                                 text))
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        errors.append(FieldError(field, "an amount has at most 2 decimals", text))
        return None
    if len(value.quantize(Decimal("0.01")).as_tuple().digits) > AMOUNT_DIGITS:
        errors.append(FieldError(field, f"an amount has at most {AMOUNT_DIGITS} digits", text))
        return None
    return value


def _date(text: str, field: str, errors: list[FieldError]) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(field, "dates are written YYYY-MM-DD", text))
        return None


# --- the queue ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QueueQuery:
    form: QueueForm  # with the errors, if any
    lanes: list[str]
    office: str | None
    limit: int


def queue_query(params: Mapping[str, str]) -> QueueQuery:
    form = QueueForm(office=params.get("office", "").strip(),
                     lane=params.get("lane", "").strip().lower(),
                     limit=params.get("limit", "").strip())
    errors: list[FieldError] = []
    if len(form.office) > MAX_OFFICE:
        errors.append(FieldError("office", f"an office is at most {MAX_OFFICE} characters",
                                 form.office))
    if form.lane and form.lane not in QUEUE_LANES:
        errors.append(FieldError("lane", "the queue holds the red and yellow lanes", form.lane))
    limit = QUEUE_LIMIT
    if form.limit:
        if form.limit.isascii() and form.limit.isdigit() \
                and 1 <= int(form.limit) <= QUEUE_MAX_LIMIT:
            limit = int(form.limit)
        else:
            errors.append(FieldError("limit", f"limit must be a whole number from 1 to "
                                     f"{QUEUE_MAX_LIMIT}", form.limit))
    return QueueQuery(form=replace(form, errors=tuple(errors)),
                      lanes=[form.lane] if form.lane in QUEUE_LANES else list(QUEUE_LANES),
                      office=form.office or None, limit=limit)


# --- rules and lists ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RuleInput:
    name: str
    condition: str
    lane: Lane
    priority: int
    valid_from: dt.date | None
    valid_to: dt.date | None
    description: str | None


def condition_errors(condition: str) -> list[FieldError]:
    if not condition.strip():
        return [FieldError("condition", "write a condition, e.g. origin in [\"CN\", \"VN\"]",
                           None)]
    if len(condition) > MAX_CONDITION:
        return [FieldError("condition", f"a condition is at most {MAX_CONDITION} characters",
                           f"{len(condition)} characters")]
    return []


def parse_rule(form: RuleForm) -> tuple[RuleInput | None, list[FieldError]]:
    errors: list[FieldError] = []
    name = form.name.strip()
    if not name or len(name) > MAX_NAME:
        errors.append(FieldError("name", f"a rule needs a name of 1 to {MAX_NAME} characters",
                                 form.name or None))
    errors += condition_errors(form.condition)
    lane = Lane(form.lane) if form.lane in Lane.__members__ else None
    if lane is None:
        errors.append(FieldError("lane", "choose red, yellow, blue or green", form.lane or None))
    priority = _priority(form.priority, errors)
    valid_from = _date(form.valid_from, "valid_from", errors)
    valid_to = _date(form.valid_to, "valid_to", errors)
    description = form.description.strip()
    if len(description) > MAX_NOTES:
        errors.append(FieldError("description", f"a description is at most {MAX_NOTES} "
                                 "characters", f"{len(description)} characters"))
    if errors or lane is None:
        return None, errors
    return RuleInput(name=name, condition=form.condition, lane=lane, priority=priority,
                     valid_from=valid_from, valid_to=valid_to,
                     description=description or None), []


def _priority(text: str, errors: list[FieldError]) -> int:
    text = text.strip()
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or abs(value) > MAX_PRIORITY:
        errors.append(FieldError("priority", f"the priority is a whole number from "
                                 f"-{MAX_PRIORITY} to {MAX_PRIORITY}", text))
        return 0
    return value


@dataclass(frozen=True, slots=True)
class ListInput:
    name: str
    values: list[str]
    description: str | None


def list_values(text: str) -> list[str]:
    """Values one per line or separated by commas; blanks dropped."""
    return [v.strip() for v in _LIST_SEPARATORS.split(text) if v.strip()]


def parse_list(form: ListForm) -> tuple[ListInput | None, list[FieldError]]:
    errors: list[FieldError] = []
    name = form.name.strip().removeprefix("@")  # rules write @name; the list is name
    if not name:
        errors.append(FieldError("name", "a list needs a name, e.g. watch", None))
    values = list_values(form.values)
    if not values:
        errors.append(FieldError("values", "give at least one value, one per line or "
                                 "separated by commas", None))
    elif len(values) > MAX_LIST_VALUES:
        errors.append(FieldError("values", f"a list holds at most {MAX_LIST_VALUES} values",
                                 f"{len(values)} values"))
    description = form.description.strip()
    if len(description) > MAX_NOTES:
        errors.append(FieldError("description", f"a description is at most {MAX_NOTES} "
                                 "characters", f"{len(description)} characters"))
    if errors:
        return None, errors
    return ListInput(name=name, values=values, description=description or None), []
