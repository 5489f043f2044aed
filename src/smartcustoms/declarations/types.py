"""Constrained scalar types shared by the declaration shapes.

Each type normalises what a trader reasonably sends (case, dots in an HS code)
and rejects the rest with a message that says what is accepted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from smartcustoms.reference import COUNTRY_CODES, CURRENCY_CODES, INCOTERMS_2020, UNIT_CODES

_ISO6346_LETTERS = {
    # ISO 6346 letter values: 10 upwards, skipping multiples of 11.
    letter: value
    for letter, value in zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [v for v in range(10, 39) if v % 11 != 0],
        strict=False,
    )
}


def iso6346_check_digit(first_ten: str) -> int:
    """Check digit of a container number from its owner code, category and serial."""
    total = 0
    for position, char in enumerate(first_ten):
        value = _ISO6346_LETTERS[char] if char.isalpha() else int(char)
        total += value * (1 << position)
    return total % 11 % 10


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _country(value: str) -> str:
    if value not in COUNTRY_CODES:
        raise PydanticCustomError(
            "country_code", "must be an ISO 3166-1 alpha-2 country code such as 'CN' or 'DE'"
        )
    return value


def _currency(value: str) -> str:
    if value not in CURRENCY_CODES:
        raise PydanticCustomError(
            "currency_code", "must be an ISO 4217 currency code such as 'EUR' or 'KRW'"
        )
    return value


def _unit(value: str) -> str:
    if value not in UNIT_CODES:
        raise PydanticCustomError(
            "unit_code", "must be a UN/ECE Recommendation 20 unit code such as 'KGM' or 'H87'"
        )
    return value


def _incoterm(value: str) -> str:
    if value not in INCOTERMS_2020:
        raise PydanticCustomError(
            "incoterm", "must be an Incoterms 2020 rule: {rules}",
            {"rules": ", ".join(INCOTERMS_2020)},
        )
    return value


def _hs_code(value: object) -> object:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return value  # let the str type report it
    text = str(value).replace(".", "").replace(" ", "")
    if not text.isdigit() or len(text) not in (6, 8, 10) or not text.isascii():
        raise PydanticCustomError(
            "hs_code", "must be 6, 8 or 10 digits (HS subheading plus national digits), "
            "dots allowed, e.g. '8517.62' or '85176200'",
        )
    return text


def _container(value: str) -> str:
    text = value.replace(" ", "").replace("-", "")
    if (
        len(text) != 11
        or not text[:4].isalpha()
        or not text[:4].isascii()
        or text[3] not in "UJZ"
        or not text[4:].isdigit()
        or not text[4:].isascii()
    ):
        raise PydanticCustomError(
            "container_number",
            "must be an ISO 6346 container number: 3-letter owner code, category U, J or Z, "
            "6-digit serial and check digit, e.g. 'CSQU3054383'",
        )
    expected = iso6346_check_digit(text[:10])
    if int(text[10]) != expected:
        raise PydanticCustomError(
            "container_check_digit",
            "ISO 6346 check digit is wrong: expected {expected}",
            {"expected": expected},
        )
    return text


CountryCode = Annotated[
    str, BeforeValidator(_upper), Field(min_length=2, max_length=2), AfterValidator(_country)
]
CurrencyCode = Annotated[
    str, BeforeValidator(_upper), Field(min_length=3, max_length=3), AfterValidator(_currency)
]
UnitCode = Annotated[str, BeforeValidator(_upper), Field(max_length=3), AfterValidator(_unit)]
IncotermCode = Annotated[str, BeforeValidator(_upper), AfterValidator(_incoterm)]
HSCode = Annotated[str, BeforeValidator(_hs_code)]
ContainerNumber = Annotated[str, BeforeValidator(_upper), AfterValidator(_container)]
Code = Annotated[str, Field(min_length=1, max_length=35, pattern=r"^[A-Za-z0-9._/-]+$")]
# Printable text: no NUL or other C0 control characters except tab and line breaks
# (PostgreSQL cannot store NUL, and none belongs in a declaration).
PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Text = Annotated[str, Field(min_length=1, max_length=512, pattern=PRINTABLE)]
PositiveDecimal = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=6)]
NonNegativeDecimal = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=6)]
