"""Parsers for values as printed on trade documents.

Each takes outside text and returns a typed value, or raises ``DocumentValueInvalid``
(``DocumentNumberAmbiguous`` for '1,234' without a decimal mark) naming the field and the
text; nothing else escapes. The reader passes the field path as ``field`` so a problem
says where it was.

Numbers: '1,234.56', '1.234,56', '1 234,56', "1'234.56", '1234.5', '(12.00)', '-3,5'.
Dates: ISO, '14.03.2026', '14/03/2026', '14-03-26', '14 March 2026', 'March 14, 2026',
'14-Mar-2026', '14. März 2026', '14 mars 2026', '14 de marzo de 2026'.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Literal

import pycountry

from smartcustoms.documents.codes import (
    COUNTRY_WORDS,
    CURRENCY_SYMBOLS,
    CURRENCY_WORDS,
    MASS_UNITS_KG,
    MASS_WORDS,
    MONTH_WORDS,
    PACKAGE_WORDS,
    UNIT_WORDS,
    normalise_text,
)
from smartcustoms.documents.errors import DocumentNumberAmbiguous, DocumentValueInvalid
from smartcustoms.reference import COUNTRY_CODES, CURRENCY_CODES, INCOTERMS_2020, UNIT_CODES

__all__ = [
    "DecimalMark",
    "infer_decimal_mark",
    "parse_amount",
    "parse_country",
    "parse_currency",
    "parse_date",
    "parse_incoterm",
    "parse_mass_kg",
    "parse_number",
    "parse_packages",
    "parse_quantity",
    "parse_unit",
]

DecimalMark = Literal[".", ","]

_MAX_CHARS = 200  # longer "values" are not values; refuse before any regex runs
_GROUP_SEPARATORS = " \u00a0\u202f\u2009'’"
_SPACE_GROUPS = str.maketrans({c: " " for c in _GROUP_SEPARATORS})
_GROUPED = re.compile(r"\d{1,3}(?:(?P<sep>[ ,.'])\d{3})(?:(?P=sep)\d{3})*")
_PLAIN = re.compile(r"\d+")


def _fail(what: str, text: object, field: str | None, accepted: str) -> DocumentValueInvalid:
    shown = text if not isinstance(text, str) or len(text) <= 60 else text[:57] + "..."
    where = f"{field}: " if field else ""
    return DocumentValueInvalid(
        f"{where}{what} {shown!r} cannot be read; {accepted}", field=field, value=shown
    )


def _check_text(text: object, what: str, field: str | None) -> str:
    if not isinstance(text, str):
        raise _fail(what, text, field, "expected text")
    if len(text) > _MAX_CHARS:
        raise _fail(what, text, field, f"at most {_MAX_CHARS} characters")
    return text.strip()


def parse_number(
    text: str, *, decimal_mark: DecimalMark | None = None, field: str | None = None
) -> Decimal:
    """A number as printed, in either locale convention; sign by '-' or parentheses.

    Without ``decimal_mark`` a lone separator before exactly three digits ('1,234',
    '1.234') could be either and raises ``DocumentNumberAmbiguous``; pass the document's
    mark (``infer_decimal_mark``) to decide.

    >>> parse_number("1.234,56"), parse_number("1,234.56"), parse_number("1 234,5")
    (Decimal('1234.56'), Decimal('1234.56'), Decimal('1234.5'))
    """
    raw = _check_text(text, "number", field)
    body = raw.translate(_SPACE_GROUPS).strip()
    negative = False
    if len(body) > 1 and body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    if body and body[0] in "-−–+":
        negative, body = body[0] != "+", body[1:].strip()
    elif body.endswith("-"):
        negative, body = True, body[:-1].strip()
    digits = _split_number(body, decimal_mark)
    if digits is None:
        raise _fail("number", raw, field,
                    "expected digits with ',' or '.' as decimal mark, e.g. '1,234.56'")
    if digits == "ambiguous":
        raise DocumentNumberAmbiguous(
            f"{field + ': ' if field else ''}number {raw!r} is ambiguous: '.' or ',' could "
            "be the decimal mark or a thousands separator; give the document's decimal mark",
            field=field, value=raw,
        )
    try:
        value = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the patterns admit only digits and '.'
        raise _fail("number", raw, field, "expected digits") from None
    return -value if negative else value


def _split_number(body: str, mark: DecimalMark | None) -> str | None:
    """Canonical 'digits[.digits]' for ``body``; 'ambiguous'; or None when not a number."""
    if not body or not body.isascii() or (not body[0].isdigit() and body[0] not in ".,"):
        return None
    if _PLAIN.fullmatch(body):
        return body
    # Decimal part: the last '.' or ',' if what follows is not a group of a grouped number.
    last = max(body.rfind("."), body.rfind(","))
    integer, fraction = body, ""
    if last >= 0:
        head, tail, sep = body[:last], body[last + 1:], body[last]
        if tail.isdigit() and (head == "" or head.replace(" ", "").isdigit() or _grouped(head)):
            separators_in_head = {c for c in head if c in " ,.'"}
            if sep in separators_in_head:
                integer, fraction = body, ""  # '1,234,567': all separators group
            elif len(tail) != 3 or head in ("", "0") or head.startswith("0") or (
                separators_in_head and sep not in separators_in_head
            ):
                integer, fraction = head, tail  # clearly decimal
            elif mark is None:
                return "ambiguous" if head.isdigit() and len(head) <= 3 else None
            elif sep == mark:
                integer, fraction = head, tail
            else:
                integer, fraction = body, ""
        elif not tail.isdigit():
            return None
    if integer == "":
        integer = "0"
    if not _PLAIN.fullmatch(integer):
        match = _GROUPED.fullmatch(integer)
        if match is None:
            return None
        if fraction and match.group("sep") == body[len(integer)]:
            return None
        if mark is not None and not fraction and match.group("sep") == mark:
            return None  # '1.234.567' with ',' grouping expected... or a date-like token
        integer = re.sub(r"[ ,.']", "", integer)
    return f"{integer}.{fraction}" if fraction else integer


def _grouped(text: str) -> bool:
    return _GROUPED.fullmatch(text) is not None


_NUMBERISH = re.compile(r"^[(\-]?\d[\d .,'\u00a0\u202f]*\d\)?-?$")


def infer_decimal_mark(texts: list[str]) -> DecimalMark | None:
    """The decimal mark the unambiguous numbers in ``texts`` use, or None if none tell.

    Each number votes with the weight of its evidence: '1.234,56' (both marks) counts
    twice; '12,5', '0,250', '12,3456' and '1921,500' (a mark no thousands separator could
    be: after a group of more than three digits, or before other than three) once; a
    number of one or two digits ('3.1', '4,5': a position number, an OCR speck) a quarter;
    '1,234' nothing. A number whose only mark ends it ('3.') and a Swiss apostrophe that
    does not group three digits ("5'1") tell nothing. The winner needs the weight of one
    whole number and twice the loser's weight, else the page does not tell (None) and
    the reader decides from the language, counts and masses.

    >>> infer_decimal_mark(["1.234,56", "12,5", "2026"])
    ','
    """
    votes = {".": 0.0, ",": 0.0}
    for text in texts:
        for sep, weight in _decimal_evidence(text):
            votes[sep] += weight
    dot, comma = votes["."], votes[","]
    if max(dot, comma) < 1.0 or max(dot, comma) < 2 * min(dot, comma):
        return None
    return "." if dot > comma else ","


_SWISS = re.compile(r"\d{1,3}(?:['’]\d{3})+(?:\.\d+)?")
_GROUP_SPACES = re.compile(r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?")


def _decimal_evidence(text: str) -> list[tuple[DecimalMark, float]]:
    """(decimal mark, weight) votes of one word; see ``infer_decimal_mark``."""
    stripped = text.strip()
    if "'" in stripped or "’" in stripped:
        token = stripped.strip("()-")
        if _NUMBERISH.match(stripped) and _SWISS.fullmatch(token):
            return [(".", 2.0 if "." in token else 1.0)]  # Swiss grouping: 1'234.50, 5'000
        return []
    token = stripped.translate(_SPACE_GROUPS)
    if len(token) > 40 or not _NUMBERISH.match(token):
        return []
    token = token.strip("()-")
    if " " in token and not _GROUP_SPACES.fullmatch(token):
        # Words OCR ran together ('3. 1921,500'): each part votes on its own.
        return [vote for part in token.split() for vote in _decimal_evidence(part)]
    token = token.replace(" ", "")
    dots, commas = token.count("."), token.count(",")
    if dots and commas:
        last: DecimalMark = "." if token.rfind(".") > token.rfind(",") else ","
        head = token[:token.rfind(last)]
        return [(last, 2.0 if _grouped(head) else 0.5)]
    if dots + commas == 1:
        sep: DecimalMark = "." if dots else ","
        head, tail = token.split(sep)
        if not head or not tail:
            return []  # '3.' or '.5': a speck or a position number
        if len(tail) == 3 and not head.startswith("0") and len(head) <= 3:
            return []  # '1,234' or '1.234': either mark
        weight = 0.25 if len(head) + len(tail) <= 2 else 1.0
        return [(sep, weight)]
    if dots > 1 and _GROUPED.fullmatch(token):
        return [(",", 1.0)]
    if commas > 1 and _GROUPED.fullmatch(token):
        return [(".", 1.0)]
    return []


_CURRENCY_CODE = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
_SYMBOLS = sorted(CURRENCY_SYMBOLS, key=len, reverse=True)


def parse_amount(
    text: str, *, decimal_mark: DecimalMark | None = None, field: str | None = None
) -> tuple[Decimal, str | None]:
    """'EUR 1.234,56' / '1,234.56 USD' / '$ 12.50' -> (amount, currency or None).

    >>> parse_amount("1.234,56 EUR", decimal_mark=",")
    (Decimal('1234.56'), 'EUR')
    """
    raw = _check_text(text, "amount", field)
    currency: str | None = None
    body = raw
    for match in _CURRENCY_CODE.finditer(raw.upper()):
        if match.group(1) in CURRENCY_CODES:
            currency = match.group(1)
            body = (raw[:match.start()] + " " + raw[match.end():]).strip()
            break
    if currency is None:
        for symbol in _SYMBOLS:
            if symbol in body:
                currency = CURRENCY_SYMBOLS[symbol]
                body = body.replace(symbol, " ").strip()
                break
    body = body.strip(" :=").rstrip(".")
    return parse_number(body, decimal_mark=decimal_mark, field=field), currency


_DATE_NUMERIC = re.compile(r"(\d{1,4})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{1,4})")
_DATE_WORDS = re.compile(r"[a-z]+|\d+")
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er|e|o|a)$")


def parse_date(text: str, *, day_first: bool = True, field: str | None = None) -> dt.date:
    """A calendar date in the usual numeric and month-name forms of EN/DE/FR/ES/IT/NL/PT.

    ``day_first`` decides '03/04/2026' (True: 3 April); a day above 12 decides by itself.
    Two-digit years are 2000-2099.

    >>> parse_date("14. März 2026"), parse_date("March 14, 2026"), parse_date("2026-03-14")
    (datetime.date(2026, 3, 14), datetime.date(2026, 3, 14), datetime.date(2026, 3, 14))
    """
    raw = _check_text(text, "date", field)
    accepted = "expected a date such as '2026-03-14', '14.03.2026' or '14 March 2026'"
    numeric = _DATE_NUMERIC.search(raw)
    if numeric:
        a, _sep, b, c = numeric.groups()
        if len(a) == 4:
            year, month, day = int(a), int(b), int(c)
        elif len(c) in (2, 4):
            first, second = int(a), int(b)
            if first > 12 or (day_first and second <= 12):
                day, month = first, second
            else:
                month, day = first, second
            year = int(c) + (2000 if len(c) == 2 else 0)
        else:
            raise _fail("date", raw, field, accepted)
        return _make_date(year, month, day, raw, field, accepted)
    tokens = _DATE_WORDS.findall(normalise_text(raw))
    day = month = year = None
    for token in tokens:
        ordinal = _ORDINAL.match(token)
        if token.isdigit() or ordinal:
            number = int(ordinal.group(1) if ordinal else token)
            if len(token) == 4 and token.isdigit():
                year = number
            elif day is None and 1 <= number <= 31:
                day = number
            elif year is None and token.isdigit() and len(token) == 2:
                year = 2000 + number
        elif token in MONTH_WORDS and month is None:
            month = MONTH_WORDS[token]
    if day is None or month is None or year is None:
        raise _fail("date", raw, field, accepted)
    return _make_date(year, month, day, raw, field, accepted)


def _make_date(
    year: int, month: int, day: int, raw: str, field: str | None, accepted: str
) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _fail("date", raw, field, accepted + " (that day does not exist)") from None


def parse_unit(text: str, *, field: str | None = None) -> str:
    """'pcs' / 'Stück' / 'unités' / 'kg' / 'sets' / 'pairs' / 'H87' -> UN/ECE Rec 20 code.

    >>> parse_unit("Stück"), parse_unit("KGS"), parse_unit("pares")
    ('H87', 'KGM', 'PR')
    """
    raw = _check_text(text, "unit", field)
    key = normalise_text(raw)
    code = UNIT_WORDS.get(key)
    if code is None and raw.upper() in UNIT_CODES:
        code = raw.upper()
    if code is None:
        raise _fail("unit", raw, field, "expected a unit such as 'pcs', 'kg', 'm', 'l', "
                    "'sets', 'pairs' or a UN/ECE Rec 20 code")
    return code


_QUANTITY = re.compile(
    r"^\s*(?P<number>[(\-]?\d(?:[\d.,'\u00a0\u202f ]*\d)?\)?)\s*(?P<unit>[^\d\s.,].*)?$"
)


def parse_quantity(
    text: str,
    *,
    decimal_mark: DecimalMark | None = None,
    unit: str | None = None,
    field: str | None = None,
) -> tuple[Decimal, str]:
    """'120 pcs' / '12,5 kg' -> (value, Rec 20 code); ``unit`` is used when none is printed.

    >>> parse_quantity("1.200 Stück", decimal_mark=",")
    (Decimal('1200'), 'H87')
    """
    raw = _check_text(text, "quantity", field)
    match = _QUANTITY.match(raw)
    if not match:
        raise _fail("quantity", raw, field, "expected a number and a unit, e.g. '120 pcs'")
    value = parse_number(match.group("number"), decimal_mark=decimal_mark, field=field)
    printed = match.group("unit")
    code = parse_unit(printed, field=field) if printed else unit
    if code is None:
        raise _fail("quantity", raw, field, "no unit printed and none given by the column")
    return value, code


def parse_mass_kg(
    text: str, *, decimal_mark: DecimalMark | None = None, field: str | None = None
) -> Decimal:
    """'1,234.5 kg' / '1.234,500 KGS' / '2.5 t' / '120 lbs' -> kilograms (kg if no unit).

    >>> parse_mass_kg("2,5 t", decimal_mark=",")
    Decimal('2500.0')
    """
    raw = _check_text(text, "mass", field)
    match = _QUANTITY.match(raw)
    if not match:
        raise _fail("mass", raw, field, "expected a mass such as '1,234.5 kg'")
    value = parse_number(match.group("number"), decimal_mark=decimal_mark, field=field)
    printed = normalise_text(match.group("unit") or "kg")
    unit = MASS_WORDS.get(printed) or MASS_WORDS.get(printed.split(" ")[0])
    if unit is None:
        raise _fail("mass", raw, field, "expected the unit kg, g, t or lbs")
    return value * Decimal(MASS_UNITS_KG[unit])


_PACKAGES = re.compile(
    r"^\s*(?P<count>\d(?:[\d,.' ]*\d)?)\s*(?:x\s+)?(?P<kind>[^\d\s.,].*?)?\s*$", re.I
)


_COUNT = re.compile(r"\d+|\d{1,3}(?P<sep>[,.' ])\d{3}(?:(?P=sep)\d{3})*")


def parse_packages(text: str, *, field: str | None = None) -> tuple[int, str | None]:
    """'25 cartons' / '3 Paletten' / '120 CTNS' / '40' -> (count, Rec 21 kind or None).

    >>> parse_packages("12 Paletten")
    (12, 'PX')
    """
    raw = _check_text(text, "packages", field)
    match = _PACKAGES.match(raw)
    if not match:
        raise _fail("packages", raw, field, "expected a count and a kind, e.g. '25 cartons'")
    count_text = match.group("count")
    if not _COUNT.fullmatch(count_text):
        raise _fail("packages", raw, field, "expected a whole number of packages")
    count_text = re.sub(r"[,.' ]", "", count_text)
    if not count_text.isdigit():
        raise _fail("packages", raw, field, "expected a whole number of packages")
    kind_text = normalise_text(match.group("kind") or "")
    kind = None
    if kind_text:
        kind = PACKAGE_WORDS.get(kind_text)
        if kind is None:
            # '25 cartons (twenty-five)' or 'CTNS ONLY': the first word names the kind.
            kind = PACKAGE_WORDS.get(kind_text.split(" ")[0])
        if kind is None:
            raise _fail("packages", raw, field, "expected a package kind such as 'cartons', "
                        "'pallets', 'cases', 'bags' or a UN/ECE Rec 21 code")
    return int(count_text), kind


def parse_country(text: str, *, field: str | None = None) -> str:
    """'Germany' / 'Deutschland' / 'Allemagne' / 'DE' / 'P.R. China' -> ISO alpha-2.

    >>> parse_country("Alemania"), parse_country("CN"), parse_country("Viet Nam")
    ('DE', 'CN', 'VN')
    """
    raw = _check_text(text, "country", field)
    stripped = raw.strip(" .,;:()")
    if len(stripped) == 2 and stripped.isalpha() and stripped.upper() in COUNTRY_CODES:
        return stripped.upper()
    key = normalise_text(stripped)
    if key in COUNTRY_WORDS:
        return COUNTRY_WORDS[key]
    if key.startswith("made in "):
        return parse_country(stripped[8:], field=field)
    if len(key) >= 3:
        try:
            found = pycountry.countries.lookup(stripped)
        except LookupError:
            found = None
        if found is not None and found.alpha_2 in COUNTRY_CODES:
            return str(found.alpha_2)
    raise _fail("country", raw, field, "expected a country name or an ISO 3166 code")


def parse_currency(text: str, *, field: str | None = None) -> str:
    """'EUR' / 'Euro' / 'US Dollars (USD)' / '£' -> ISO 4217 code.

    >>> parse_currency("US Dollars"), parse_currency("eur")
    ('USD', 'EUR')
    """
    raw = _check_text(text, "currency", field)
    for match in _CURRENCY_CODE.finditer(raw.upper()):
        if match.group(1) in CURRENCY_CODES and (
            match.group(1) == raw.strip().upper() or raw.isupper() or "(" in raw
            or len(raw.split()) == 1
        ):
            return match.group(1)
    key = normalise_text(raw)
    if key in CURRENCY_WORDS:
        return CURRENCY_WORDS[key]
    if raw.strip() in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[raw.strip()]
    raise _fail("currency", raw, field, "expected an ISO 4217 code such as 'EUR' or 'USD'")


_INCOTERM_NOISE = re.compile(r"incoterms?\s*(?:®|\(r\))?\s*(?:20\d\d)?", re.I)
_INCOTERM_TOKEN = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")


def parse_incoterm(text: str, *, field: str | None = None) -> tuple[str, str | None]:
    """'CIF Hamburg (Incoterms 2020)' / 'FOB, Shanghai' -> ('CIF', 'Hamburg').

    >>> parse_incoterm("Incoterms® 2020: DAP Lyon")
    ('DAP', 'Lyon')
    """
    raw = _check_text(text, "incoterm", field)
    cleaned = _INCOTERM_NOISE.sub(" ", raw)
    for match in _INCOTERM_TOKEN.finditer(cleaned.upper()):
        if match.group(1) in INCOTERMS_2020:
            place = (cleaned[:match.start()] + " " + cleaned[match.end():])
            place = re.sub(r"\s+", " ", place).strip(" ,;:-/()[]")
            return match.group(1), place or None
    raise _fail("incoterm", raw, field, "expected an Incoterms 2020 rule, e.g. 'CIF Hamburg'")
