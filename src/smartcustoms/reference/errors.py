"""Errors raised by the reference-data loaders."""

from __future__ import annotations

from pathlib import Path


class ReferenceDataError(ValueError):
    """A shipped reference file is missing or malformed.

    Subclasses ``ValueError`` so callers treating bad data generically still catch it;
    ``path``/``line``/``value`` let tooling point at the offending cell.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        value: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.value = value
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(where + message)
