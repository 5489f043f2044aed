"""Parsing what console forms send: text in, typed values out, every field error at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields

from smartcustoms.declarations import DeclarationFilter
from smartcustoms.errors import FieldError, InvalidInput

from .contexts import FilterForm

MAX_PAGE = 100_000


@dataclass(frozen=True, slots=True)
class DeclarationQuery:
    form: FilterForm
    filter: DeclarationFilter
    page: int
    error: InvalidInput | None  # set when a field is not valid: show it beside the form


def declaration_query(params: Mapping[str, str]) -> DeclarationQuery:
    """The list's query string as a filter, or the error naming each field that is not valid."""
    form = FilterForm(**{f.name: params.get(f.name, "").strip() for f in fields(FilterForm)})
    errors: list[FieldError] = []
    hs = form.hs.replace(".", "").replace(" ", "")
    if hs and not (hs.isascii() and hs.isdigit() and len(hs) <= 10):
        errors.append(FieldError("hs", "the HS prefix must be 1 to 10 digits", form.hs))
    origin = form.origin.upper()
    if origin and not (len(origin) == 2 and origin.isascii() and origin.isalpha()):
        errors.append(FieldError("origin", "origin must be an ISO 3166 alpha-2 code such as "
                                 "'CN'", form.origin))
    date_from = _date(form.date_from, "date_from", errors)
    date_to = _date(form.date_to, "date_to", errors)
    page = page_number(params, errors)
    error = None
    if errors:
        error = InvalidInput(str(errors[0]) if len(errors) == 1
                             else f"{len(errors)} filters are not valid", errors=errors)
    return DeclarationQuery(
        form=form,
        filter=DeclarationFilter(
            reference=form.lrn or None, importer_id=form.importer or None,
            office=form.office or None, hs_prefix=hs or None, origin_country=origin or None,
            date_from=date_from, date_to=date_to,
        ),
        page=page,
        error=error,
    )


def page_number(params: Mapping[str, str], errors: list[FieldError] | None = None) -> int:
    """The 1-based ``page`` parameter; raises (or collects) an InvalidInput when not valid."""
    text = params.get("page", "").strip()
    if not text:
        return 1
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    error = FieldError("page", f"page must be a whole number from 1 to {MAX_PAGE}", text)
    if errors is None:
        raise InvalidInput(str(error), errors=[error])
    errors.append(error)
    return 1


def _date(text: str, field: str, errors: list[FieldError]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(field, "dates are written YYYY-MM-DD", text))
        return None
