"""The error base class with stable codes.

Every domain error carries a stable ``code`` (a slug documented under
``docs/problems/``), a ``title`` and the HTTP status the API answers with. The
HTTP adapter turns them into RFC 9457 problem details, the CLI into one line
and a non-zero exit. Expected outcomes (a rejected declaration) are 4xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: where, what was received, what is accepted."""

    field: str
    message: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "value": self.value}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}; got {self.value!r}"


class SmartCustomsError(Exception):
    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        value: Any = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.value = value
        self.errors = list(errors or [])
        if field is not None and not self.errors:
            self.errors.append(FieldError(field, detail, value))


class InvalidInput(SmartCustomsError):
    code = "invalid-input"
    title = "The input is not valid"
    http_status = 422
    exit_code = 2


class DeclarationInvalid(InvalidInput):
    code = "declaration-invalid"
    title = "The declaration does not pass validation"


class MappingInvalid(InvalidInput):
    code = "mapping-invalid"
    title = "The column-mapping file is not valid"


class NotFound(SmartCustomsError):
    code = "not-found"
    title = "Not found"
    http_status = 404
    exit_code = 3


class Conflict(SmartCustomsError):
    code = "conflict"
    title = "Conflicts with what is stored"
    http_status = 409
    exit_code = 4


class AuthenticationFailed(SmartCustomsError):
    code = "authentication-failed"
    title = "Authentication failed"
    http_status = 401
    exit_code = 5


class PermissionDenied(SmartCustomsError):
    code = "permission-denied"
    title = "Not allowed for this user"
    http_status = 403
    exit_code = 5


class IntegrityViolation(SmartCustomsError):
    """A verification found tampering (e.g. the audit chain is broken)."""

    code = "integrity-violation"
    title = "Integrity check failed"
    http_status = 500
    exit_code = 10


class ConfigurationError(SmartCustomsError):
    code = "configuration-error"
    title = "The configuration is not valid"
    http_status = 500
    exit_code = 6
