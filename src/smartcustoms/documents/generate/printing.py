"""Formatting a shipment's values the way one document's style prints them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from smartcustoms.documents.generate.content import Company, DocumentStyle
from smartcustoms.documents.generate.locale import (
    COUNTRY_NAMES,
    PACKAGE_TEXT,
    UNIT_TEXT,
    format_date,
    format_number,
)
from smartcustoms.documents.models import DocumentParty


class Printer:
    """Numbers, dates, units, countries and parties in one document's style."""

    def __init__(self, style: DocumentStyle) -> None:
        self.style = style
        self.language = style.language

    def pick(self, options: tuple[str, ...], salt: int = 0) -> str:
        return options[(self.style.variant + salt) % len(options)]

    def number(self, value: Decimal, places: int = 2) -> str:
        return format_number(value, self.style.number_style, places)

    def quantity(self, value: Decimal) -> str:
        places = 0 if value == value.to_integral_value() else 1
        return self.number(value, places)

    def price(self, value: Decimal) -> str:
        places = 2 if value == value.quantize(Decimal("0.01")) else 3
        return self.number(value, places)

    def mass(self, value: Decimal) -> str:
        return self.number(value, 3 if self.style.variant % 3 == 0 else 2)

    def date(self, value: dt.date) -> str:
        return format_date(value, self.style.date_style, self.language)

    def country(self, code: str) -> str:
        return COUNTRY_NAMES[self.language][code]

    def unit(self, code: str) -> str:
        return self.pick(UNIT_TEXT[code][self.language])

    def packages(self, count: int, kind: str) -> str:
        singular, plural = PACKAGE_TEXT[kind][self.language]
        word = singular if count == 1 else plural
        if self.style.variant % 4 == 1:
            word = word.upper()
        return f"{count} {word}"

    def label(self, key: str) -> str:
        return self.style.label(key)

    def hs(self, hs6: str) -> tuple[str, str]:
        """(printed, ground-truth code) in one of three usual forms."""
        form = self.style.variant % 3
        if form == 0:
            return f"{hs6[:4]}.{hs6[4:]}", hs6
        if form == 1:
            return hs6, hs6
        return f"{hs6[:4]}.{hs6[4:]}.00", hs6 + "00"

    def party_lines(self, company: Company) -> list[str]:
        lines = [company.name, company.place.street,
                 f"{company.place.postcode} {company.place.city}",
                 self.country(company.place.country)]
        if "identifiers" in self.style.options:
            lines.append(f"{self.label('vat')}: {company.tax_id}")
        return lines

    def party(self, company: Company) -> DocumentParty:
        return DocumentParty(
            name=company.name, address=company.address, country=company.place.country,
            identifier=company.tax_id if "identifiers" in self.style.options else None,
        )
