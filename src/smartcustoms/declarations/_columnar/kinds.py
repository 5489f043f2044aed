"""Value kinds: what each declaration field accepts, as what value, and how pydantic writes
it — restated from types.py and models.py for the values the fast path takes on.

A kind may refuse more than the model does (say ``1e3`` or ``00.5``, which pydantic would
rewrite): the fast path then leaves the group to the exact path. It must never accept a
value the model refuses, nor keep one in another form than the model keeps it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import NamedTuple

import orjson
from pydantic import BaseModel
from pydantic_core import PydanticCustomError

from smartcustoms.declarations import rules
from smartcustoms.declarations.models import (
    Address,
    DeclarationCreate,
    GoodsItem,
    Money,
    Party,
    Profile,
    Quantity,
    TradeTerms,
    Transport,
)
from smartcustoms.declarations.types import PRINTABLE, _hs_code
from smartcustoms.reference import (
    COUNTRY_CODES,
    CURRENCY_CODES,
    HS_EDITIONS,
    INCOTERMS_2020,
    UNIT_CODES,
    load_hs2022,
)


class Context(NamedTuple):
    today: dt.date
    edition: str | None  # the item's HS edition, for HS codes


@dataclass(frozen=True, slots=True)
class Kind:
    """A field type. ``check`` gives the value the model keeps, or None when the model
    rejects it or its canonical form is not certain; ``plain`` matches values ``check``
    keeps as they are and JSON writes without escapes (checked a whole column at once)."""

    check: Callable[[str, Context], str | None]
    plain: str | None = None
    quoted: bool = True  # written as a JSON string (else a number)
    text: bool = False  # free text, which JSON may have to escape


def _pattern_kind(pattern: str, *, quoted: bool = True) -> Kind:
    match = re.compile(pattern).fullmatch
    return Kind(lambda v, _ctx: v if match(v) else None, pattern, quoted)


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # types.PRINTABLE
_TEXT_END = r'[^\s"\\\x00-\x1f\x7f\ud800-\udfff]'  # stripped: no whitespace at either end
_TEXT_MID = r'[^"\\\x00-\x1f\x7f\ud800-\udfff]'


def _text_kind(max_length: int, min_length: int = 1) -> Kind:
    def check(value: str, _ctx: Context) -> str | None:
        fits = min_length <= len(value) <= max_length
        return value if fits and not _UNPRINTABLE.search(value) else None
    plain = f"{_TEXT_END}(?:{_TEXT_MID}{{0,{max_length - 2}}}{_TEXT_END})?"
    return Kind(check, plain, text=True)


def _code_list_kind(codes: Collection[str]) -> Kind:
    def check(value: str, _ctx: Context) -> str | None:
        folded = value.strip().upper()  # as types._upper folds it
        return folded if folded in codes else None
    return Kind(check)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _check_date(value: str, ctx: Context) -> str | None:
    if not _ISO_DATE.fullmatch(value):
        return None
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        return None
    # rules._check_dates, with its one day of slack for traders east of UTC
    latest = ctx.today + dt.timedelta(days=1)
    return value if rules.EARLIEST_DATE <= date <= latest else None


def _check_hs_code(value: str, ctx: Context) -> str | None:
    try:
        code = _hs_code(value)
    except PydanticCustomError:
        return None
    if not isinstance(code, str):
        return None
    if ctx.edition == "HS2022":  # GoodsItem._hs_code_exists
        return code if code[:6] in load_hs2022().subheadings else None
    if ctx.edition in HS_EDITIONS:  # older editions: only the chapter can be checked
        return code if code[:2] in load_hs2022().chapters else None
    return None


# Decimals in these forms are kept by pydantic digit for digit (no sign, exponent or
# leading zero, at most 6 places: str(Decimal) gives them back) and fit max_digits=20 and
# decimal_places=6 of types.PositiveDecimal and NonNegativeDecimal.
_FRACTION = r"(?:\.[0-9]{{1,{places}}})?"
_NON_NEGATIVE = r"(?:0|[1-9][0-9]{{0,13}})" + _FRACTION
_POSITIVE = r"[1-9][0-9]{{0,13}}" + _FRACTION + r"|0\.(?=0{{0,5}}[1-9])[0-9]{{1,{places}}}"
_RATE = r"(?:0|[1-9][0-9]{{0,2}})" + _FRACTION + r"|1000(?:\.0{{1,{places}}})?"

CODE = _pattern_kind(r"[A-Za-z0-9._/-]{1,35}")  # types.Code
TEXT = _text_kind(512)
REFERENCE = _text_kind(35)
POSTCODE = _text_kind(17, min_length=0)
NATIONAL = _text_kind(256, min_length=0)
COUNTRY = _code_list_kind(COUNTRY_CODES)
CURRENCY = _code_list_kind(CURRENCY_CODES)
UNIT = _code_list_kind(UNIT_CODES)
INCOTERM = _code_list_kind(INCOTERMS_2020)
DATE = Kind(_check_date)
HS_CODE = Kind(_check_hs_code)
HS_EDITION = _pattern_kind("|".join(HS_EDITIONS))
PROFILE = _pattern_kind("|".join(Profile))
POSITIVE = _pattern_kind(_POSITIVE.format(places=6))
NON_NEGATIVE = _pattern_kind(_NON_NEGATIVE.format(places=6))
RATE = _pattern_kind(_RATE.format(places=6))  # GoodsItem.duty_rate_percent: 0..1000
COUNT = _pattern_kind(r"0|[1-9][0-9]{0,17}", quoted=False)
_DECIMALS = {id(POSITIVE): _POSITIVE, id(NON_NEGATIVE): _NON_NEGATIVE, id(RATE): _RATE}


def plain_pattern(kind: Kind, places: int | None) -> str | None:
    """Values of ``kind`` a ``round`` rule leaves as they are: no more places than it keeps."""
    decimal = _DECIMALS.get(id(kind))
    if decimal is None or places is None:
        return kind.plain
    return decimal.format(places=min(places, 6)) if places > 0 else None


_MONEY = {"amount": NON_NEGATIVE, "currency": CURRENCY}
# Each mappable field by its path below its owner (the declaration, a party, an item).
HEADER_FIELDS: dict[str, Kind] = {
    "reference": REFERENCE, "profile": PROFILE, "type_code": CODE,
    "declaration_date": DATE, "office": CODE, "dispatch_country": COUNTRY,
    "trade_terms.incoterm": INCOTERM, "trade_terms.place": TEXT,
    "transport.mode_at_border": CODE, "transport.means_identifier": TEXT,
    "transport.means_nationality": COUNTRY,
    **{f"{money}.{k}": v for money in ("invoice_total", "freight", "insurance")
       for k, v in _MONEY.items()},
    "exchange_rate": POSITIVE, "total_gross_mass_kg": POSITIVE, "total_packages": COUNT,
}
PARTY_FIELDS: dict[str, Kind] = {
    "identifier": CODE, "name": TEXT, "address.street": TEXT, "address.city": TEXT,
    "address.postcode": POSTCODE, "address.country": COUNTRY,
}
ITEM_FIELDS: dict[str, Kind] = {
    "description": TEXT, "hs_edition": HS_EDITION, "hs_code": HS_CODE,
    "origin_country": COUNTRY, "preference_code": CODE, "duty_rate_percent": RATE,
    "net_mass_kg": POSITIVE, "gross_mass_kg": POSITIVE, "quantity.value": POSITIVE,
    "quantity.unit": UNIT, "packages": COUNT,
    **{f"{money}.{k}": v for money in ("price", "customs_value") for k, v in _MONEY.items()},
}
OBJECT_MODELS: dict[str, type[BaseModel]] = {
    "trade_terms": TradeTerms, "transport": Transport, "invoice_total": Money,
    "freight": Money, "insurance": Money, "quantity": Quantity, "price": Money,
    "customs_value": Money, "address": Address,
}
# The fields the tables above were written for: a model that changes turns the path off.
KNOWN_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    DeclarationCreate: ("reference", "profile", "type_code", "declaration_date", "office",
                        "dispatch_country", "parties", "items", "trade_terms", "transport",
                        "containers", "documents", "invoice_total", "freight", "insurance",
                        "exchange_rate", "total_gross_mass_kg", "total_packages", "national"),
    GoodsItem: ("sequence", "description", "hs_edition", "hs_code", "origin_country",
                "preference_code", "duty_rate_percent", "net_mass_kg", "gross_mass_kg",
                "quantity", "price", "customs_value", "packages", "documents"),
    Party: ("role", "identifier", "name", "address"),
    Address: ("street", "city", "postcode", "country"), Money: ("amount", "currency"),
    Quantity: ("value", "unit"), TradeTerms: ("incoterm", "place"),
    Transport: ("mode_at_border", "means_identifier", "means_nationality"),
}
NATIONAL_KEY = re.compile(PRINTABLE)


def json_string(value: str) -> str:
    """A string as pydantic writes it (serde_json): escaped only where JSON must."""
    return orjson.dumps(value).decode()


def json_value(kind: Kind, value: str) -> str:
    """A value ``kind.check`` kept, as pydantic writes it."""
    if not kind.quoted:
        return value
    return json_string(value) if kind.text else f'"{value}"'  # codes need no escapes
