"""Errors of the screening capability.

A list file that cannot be read at all (missing, not XML, an unknown format, a DOCTYPE)
stops the load with ``ScreeningListInvalid``; one bad row inside a readable file does
not: it becomes a ``Rejection`` on the loaded list, so nothing vanishes silently.
"""

from __future__ import annotations

from pathlib import Path

from smartcustoms.errors import InvalidInput, SmartCustomsError


class ScreeningListInvalid(InvalidInput):
    """A sanctions list file cannot be used; the message names file, place, field, value
    and what was expected."""

    code = "screening-list-invalid"
    title = "The sanctions list file is not valid"

    def __init__(self, path: Path | str, where: str, field: str, value: object,
                 expected: str) -> None:
        shown = value if not isinstance(value, str) or len(value) <= 80 else value[:77] + "..."
        detail = f"{Path(path).name} {where}: {field} must be {expected}; got {shown!r}"
        super().__init__(detail, field=field, value=shown)
        self.path = str(path)
        self.where = where
        self.expected = expected


class ScreeningQueryInvalid(InvalidInput):
    """A screening request the screener cannot answer (an empty name, an unknown kind)."""

    code = "screening-query-invalid"
    title = "The screening request is not valid"


class ScreenerEmpty(SmartCustomsError):
    """A screener was asked to build from lists that hold no entries."""

    code = "screener-empty"
    title = "No list entries to screen against"
    http_status = 500
