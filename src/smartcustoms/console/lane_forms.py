"""Parsing the lane settings form: text in, ``LaneSettings`` out, every field error at once.

Shares are typed in percent, as supervisors speak of them; the form shows settings the
same way (``lane_contexts.percent``), so a form saved unchanged is exactly the settings in
force and adds nothing. Office rows come as repeated fields, one value per row.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from smartcustoms.errors import FieldError, InvalidInput
from smartcustoms.risk import lane_store
from smartcustoms.risk.lane_preview import MAX_PREVIEW_DAYS, PREVIEW_DAYS
from smartcustoms.risk.selectivity import MAX_COUNT, MAX_OFFICE, Capacity, Lane, LaneSettings

from .lane_contexts import (
    COUNT,
    LANE_NAMES,
    POLICIES,
    SHARE,
    CapacityInput,
    LaneSettingsForm,
    OfficeInput,
)

MAX_OFFICE_ROWS = 500
MAX_SEED = 2**63 - 1
ADD_OFFICE = "add-office"
REMOVE_OFFICE = "remove-office:"


class FormValues(Protocol):
    """What a posted form offers (Starlette's ``FormData``)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


# --- reading the posted form ----------------------------------------------------------------

def read_lane_form(values: FormValues) -> LaneSettingsForm:
    """The form as the supervisor left it; nothing is judged yet."""
    def text(name: str) -> str:
        value = values.get(name)
        return value if isinstance(value, str) else ""

    def column(name: str) -> list[str]:
        return [v if isinstance(v, str) else "" for v in values.getlist(name)]

    codes = column("office")[:MAX_OFFICE_ROWS]
    kinds = {lane: column(f"office_{lane}_kind") for lane in LANE_NAMES}
    amounts = {lane: column(f"office_{lane}_value") for lane in LANE_NAMES}
    offices = tuple(
        OfficeInput(code, tuple(CapacityInput(_at(kinds[lane], i), _at(amounts[lane], i))
                                for lane in LANE_NAMES))
        for i, code in enumerate(codes))
    return LaneSettingsForm(
        seed=text("seed").strip(), random_rate=text("random_rate").strip(),
        policy=text("policy").strip(),
        capacity=tuple(CapacityInput(text(f"{lane}_kind"), text(f"{lane}_value"))
                       for lane in LANE_NAMES),
        offices=offices, note=text("note"), days=text("days").strip())


def _at(values: list[str], index: int) -> str:
    return values[index] if index < len(values) else ""


def edit_offices(form: LaneSettingsForm, action: str) -> LaneSettingsForm:
    """Add an empty office row, or remove row ``n`` (``remove-office:n``)."""
    if action == ADD_OFFICE and len(form.offices) < MAX_OFFICE_ROWS:
        return replace(form, offices=(*form.offices, OfficeInput()))
    index = action.removeprefix(REMOVE_OFFICE)
    if action.startswith(REMOVE_OFFICE) and index.isdigit():
        kept = tuple(row for i, row in enumerate(form.offices) if i != int(index))
        return replace(form, offices=kept)
    return form


# --- judging it -----------------------------------------------------------------------------

def preview_days(form: LaneSettingsForm, errors: list[FieldError] | None = None) -> int:
    """The preview's window in days (the default when not valid, the error collected)."""
    if not form.days:
        return PREVIEW_DAYS
    if form.days.isascii() and form.days.isdigit() \
            and 1 <= int(form.days) <= MAX_PREVIEW_DAYS:
        return int(form.days)
    if errors is not None:
        errors.append(FieldError("days", f"the preview covers a whole number of days from 1 "
                                 f"to {MAX_PREVIEW_DAYS}", form.days))
    return PREVIEW_DAYS


def parse_lane_form(form: LaneSettingsForm) -> tuple[LaneSettings | None, list[FieldError]]:
    errors: list[FieldError] = []
    seed = _whole(form.seed, "seed", MAX_SEED, "the seed is a whole number from 0 to "
                  f"{MAX_SEED}", errors)
    random_rate = _percent(form.random_rate, "random_rate", errors)
    if form.policy not in POLICIES:
        errors.append(FieldError("policy", "choose probability or duty", form.policy or None))
    capacity = {Lane(lane): parsed for lane, typed in form.lanes
                if (parsed := _capacity(typed, f"capacity.{lane}", errors)) is not None}
    offices = _offices(form.offices, errors)
    if len(form.note.strip()) > lane_store.MAX_NOTE:
        errors.append(FieldError("note", f"a note is at most {lane_store.MAX_NOTE} characters",
                                 f"{len(form.note.strip())} characters"))
    if errors:
        return None, errors
    try:  # the model's own checks, should the form's have missed one
        return lane_store.parse_lane_settings({
            "seed": seed, "random_rate": random_rate, "policy": form.policy,
            "capacity": capacity, "offices": offices}), []
    except InvalidInput as exc:
        return None, exc.errors


def _offices(rows: tuple[OfficeInput, ...], errors: list[FieldError]
             ) -> dict[str, dict[Lane, Capacity]]:
    offices: dict[str, dict[Lane, Capacity]] = {}
    for i, row in enumerate(rows):
        if row.blank:
            continue
        code = row.code.strip()
        if not 0 < len(code) <= MAX_OFFICE:
            errors.append(FieldError(f"offices[{i}].code", f"an office code is 1 to "
                                     f"{MAX_OFFICE} characters", row.code or None))
        elif code in offices:
            errors.append(FieldError(f"offices[{i}].code", f"office {code} is given twice: "
                                     "keep one row per office", code))
        lanes = {Lane(lane): parsed for lane, typed in zip(LANE_NAMES, row.lanes, strict=True)
                 if (parsed := _capacity(typed, f"offices[{i}].{lane}", errors)) is not None}
        if not lanes and not any(c.kind for c in row.lanes):
            errors.append(FieldError(f"offices[{i}].code", "give this office a capacity for "
                                     "at least one lane, or remove the row", code))
        offices.setdefault(code, lanes)
    return offices


def _capacity(typed: CapacityInput, field: str, errors: list[FieldError]) -> Capacity | None:
    if typed.kind == "":
        return None  # no capacity (a default lane), the default (an office's lane)
    if typed.kind == SHARE:
        share = _percent(typed.value, field, errors)
        return None if share is None else Capacity(share=share)
    if typed.kind == COUNT:
        count = _whole(typed.value, field, MAX_COUNT, "a count is a whole number of "
                       f"declarations per day, from 0 to {MAX_COUNT:,}", errors)
        return None if count is None else Capacity(count=count)
    errors.append(FieldError(field, "choose a share or a count", typed.kind))
    return None


def _percent(text: str, field: str, errors: list[FieldError]) -> float | None:
    """'2.5' (or '2.5 %') → 0.025."""
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= 100:
        errors.append(FieldError(field, "a share is a percentage from 0 to 100 with a decimal "
                                 "point, e.g. 5 or 2.5", text or None))
        return None
    return float(value / 100)


def _whole(text: str, field: str, maximum: int, message: str, errors: list[FieldError]
           ) -> int | None:
    cleaned = text.strip()
    if cleaned.isascii() and cleaned.isdigit() and int(cleaned) <= maximum:
        return int(cleaned)
    errors.append(FieldError(field, message, text or None))
    return None
