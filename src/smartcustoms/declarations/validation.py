"""Turn outside input into a valid ``DeclarationCreate`` or a list of precise errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from pydantic import ValidationError

from smartcustoms.declarations.models import DeclarationCreate
from smartcustoms.declarations.rules import check_declaration
from smartcustoms.errors import DeclarationInvalid, FieldError

_MAX_VALUE_CHARS = 200


def field_path(loc: tuple[str | int, ...]) -> str:
    """('items', 0, 'hs_code') -> 'items[0].hs_code'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def _short(value: Any) -> Any:
    """Echo the received value back, but never a megabyte of it."""
    if isinstance(value, str | int | float | bool) or value is None:
        if isinstance(value, str) and len(value) > _MAX_VALUE_CHARS:
            return value[:_MAX_VALUE_CHARS] + "…"
        return value
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS] + "…"


def errors_from_pydantic(exc: ValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors(include_url=False, include_context=False):
        # Drop pydantic's function-validator frames from the path ('function-after[...]').
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p and "(" in p))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "is not a field of the declaration"
        elif err["type"] == "missing":
            message = "is required"
        out.append(FieldError(field_path(loc), message, _short(err.get("input"))))
    return out


def parse_declaration(
    data: Any,
    *,
    today: dt.date,
    absent: Collection[str] = (),
) -> DeclarationCreate:
    """Validate ``data`` fully; raise ``DeclarationInvalid`` naming every bad field."""
    try:
        decl = DeclarationCreate.model_validate(data)
    except ValidationError as exc:
        errors = errors_from_pydantic(exc)
        raise DeclarationInvalid(_summary(errors), errors=errors) from None
    errors = check_declaration(decl, today=today, absent=absent)
    if errors:
        raise DeclarationInvalid(_summary(errors), errors=errors)
    return decl


def _summary(errors: list[FieldError]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first.field} {first.message}; got {first.value!r}{more}"
