"""One shipment's facts, drawn from a seeded ``random.Random``, and the printing style.

A ``Shipment`` is the commercial reality (goods, prices, masses, parties, transport). The
three documents print parts of it; a ``DocumentStyle`` decides how (layout, language,
number and date formats, font, which optional columns and labels), and the ground truth
of a document is exactly what its style prints (``generate/truth.py``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from smartcustoms.declarations.types import iso6346_check_digit
from smartcustoms.documents.generate.catalog import (
    CARRIERS,
    EXPORT_COUNTRIES,
    IMPORT_COUNTRIES,
    OWNER_CODES,
    PACKAGE_KIND_FOR_UNIT,
    PLACES,
    PRODUCTS,
    VAT_PREFIX,
    VESSELS,
    Place,
    Product,
    company_name,
)
from smartcustoms.documents.generate.locale import (
    DATE_STYLES_BY_LANGUAGE,
    LABELS,
    LANGUAGES,
    NUMBER_STYLES_BY_LANGUAGE,
)

CENT = Decimal("0.01")
LAYOUTS = {
    "commercial_invoice": ("letterhead", "grid", "columns"),
    "packing_list": ("letterhead", "grid", "columns"),
    "bill_of_lading": ("grid", "columns", "stacked"),
}
FONTS = ("Helvetica", "Times", "Courier")
CURRENCIES = ("USD", "USD", "USD", "EUR", "EUR", "GBP", "CHF")
INCOTERMS = ("EXW", "FCA", "FOB", "FOB", "CFR", "CIF", "CIF", "CIP", "CPT", "DAP", "DDP")


def _round(value: Decimal, quantum: Decimal = CENT) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    place: Place
    tax_id: str

    @property
    def address(self) -> str:
        return f"{self.place.street}, {self.place.postcode} {self.place.city}"


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    product: Product
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    origin: str
    packages: int
    package_kind: str
    net_kg: Decimal
    gross_kg: Decimal


@dataclass(frozen=True, slots=True)
class Shipment:
    seller: Company
    buyer: Company
    notify: Company
    declarant: Company
    currency: str
    incoterm: str
    incoterm_place: str
    lines: tuple[ShipmentLine, ...]
    subtotal: Decimal
    discount: Decimal | None
    freight: Decimal | None
    insurance: Decimal | None
    total: Decimal
    invoice_number: str
    invoice_date: dt.date
    packing_number: str
    packing_date: dt.date
    bl_number: str
    bl_date: dt.date
    carrier: str
    vessel: str
    voyage: str
    port_of_loading: str
    port_of_discharge: str
    containers: tuple[tuple[str, tuple[str, ...]], ...]
    marks: tuple[str, ...]
    declaration_date: dt.date
    reference: str
    office: str

    @property
    def total_packages(self) -> int:
        return sum(line.packages for line in self.lines)

    @property
    def package_kind(self) -> str:
        kinds = {line.package_kind for line in self.lines}
        return kinds.pop() if len(kinds) == 1 else "PK"

    @property
    def total_net_kg(self) -> Decimal:
        return sum((line.net_kg for line in self.lines), Decimal(0))

    @property
    def total_gross_kg(self) -> Decimal:
        return sum((line.gross_kg for line in self.lines), Decimal(0))


@dataclass(frozen=True, slots=True)
class DocumentStyle:
    """How one document prints. ``options`` switch optional parts on."""

    document_type: str
    layout: str
    language: str
    number_style: str
    date_style: str
    font: str
    labels: dict[str, str] = field(hash=False)
    options: frozenset[str] = frozenset()
    variant: int = 0  # picks among printing variants (unit words, code formats)

    def label(self, key: str) -> str:
        return self.labels[key]

    def as_dict(self) -> dict[str, object]:
        return {
            "document_type": self.document_type, "layout": self.layout,
            "language": self.language, "number_style": self.number_style,
            "date_style": self.date_style, "font": self.font,
            "options": sorted(self.options), "variant": self.variant,
        }


def _company(rng: random.Random, country: str) -> Company:
    place = rng.choice([p for p in PLACES if p.country == country])
    name = company_name(country, rng.choice)
    prefix = VAT_PREFIX.get(country, country)
    tax_id = f"{prefix}{rng.randrange(10**8, 10**9)}"
    if country in VAT_PREFIX and rng.random() < 0.5:
        tax_id = f"{prefix}{rng.randrange(10**11, 10**12)}"  # an EORI-like number
    return Company(name=name, place=place, tax_id=tax_id)


def _container_number(rng: random.Random) -> str:
    first_ten = rng.choice(OWNER_CODES) + f"{rng.randrange(10**6):06d}"
    return first_ten + str(iso6346_check_digit(first_ten))


def _seal(rng: random.Random) -> str:
    style = rng.randrange(3)
    if style == 0:
        return f"{rng.randrange(10**6, 10**7)}"
    if style == 1:
        return f"{rng.choice('ABCHMS')}{rng.choice('LNX')}{rng.randrange(10**6, 10**7)}"
    return f"SL-{rng.randrange(10**5, 10**6)}"


_COUNTS = (6, 10, 12, 24, 25, 40, 48, 50, 60, 100, 120, 200, 250, 300, 480, 500, 600, 1000,
           1200, 2400, 5000)
MAX_LINE_NET_KG = 2500  # keeps a shipment within a few containers


def _quantity(rng: random.Random, product: Product) -> Decimal:
    most = Decimal(MAX_LINE_NET_KG) / Decimal(product.net_kg)
    if product.unit in ("KGM", "MTR", "LTR"):
        value = Decimal(rng.randrange(50, max(51, min(8000, int(most)))))
        return value + Decimal(rng.choice((0, 0, 5))) / 10
    return Decimal(rng.choice([c for c in _COUNTS if c <= most] or [_COUNTS[0]]))


def _unit_price(rng: random.Random, product: Product) -> Decimal:
    low, high = Decimal(product.price[0]), Decimal(product.price[1])
    value = low + (high - low) * Decimal(rng.random())
    return _round(value, Decimal("0.001") if value < 1 else CENT)


def _line(rng: random.Random, product: Product, origin: str) -> ShipmentLine:
    quantity = _quantity(rng, product)
    unit_price = _unit_price(rng, product)
    amount = _round(quantity * unit_price)
    kind = PACKAGE_KIND_FOR_UNIT.get(product.unit, "CT")
    if rng.random() < 0.2:
        kind = rng.choice(("PX", "CS"))
    net = _round(quantity * Decimal(product.net_kg))
    per_package = {"CT": 40, "BG": 500, "RO": 800, "PX": 600, "CS": 250}[kind]
    packages = max(1, math.ceil(net / per_package)) if kind != "CT" else max(
        1, math.ceil(quantity / rng.choice((6, 10, 12, 20, 24, 50))))
    tare = {"CT": "0.8", "BG": "0.3", "RO": "1.5", "PX": "22", "CS": "9"}[kind]
    gross = _round(net * Decimal(rng.choice(("1.03", "1.05", "1.08", "1.1")))
                   + Decimal(tare) * packages)
    return ShipmentLine(product, quantity, unit_price, amount, origin, packages, kind, net,
                        gross)


def draw_shipment(
    rng: random.Random, *, line_count: int, start: dt.date = dt.date(2025, 1, 6)
) -> Shipment:
    """Draw one shipment; all dates fall in the 540 days from ``start``."""
    seller_country = rng.choice(EXPORT_COUNTRIES)
    buyer_country = rng.choice(IMPORT_COUNTRIES)
    seller = _company(rng, seller_country)
    buyer = _company(rng, buyer_country)
    notify = buyer if rng.random() < 0.6 else _company(rng, buyer_country)
    declarant = _company(rng, buyer_country)
    products = rng.sample(PRODUCTS, k=min(line_count, len(PRODUCTS)))
    while len(products) < line_count:
        products.append(rng.choice(PRODUCTS))
    origin_other = rng.random() < 0.15
    lines = tuple(
        _line(rng, product,
              rng.choice(EXPORT_COUNTRIES) if origin_other and i % 3 == 0 else seller_country)
        for i, product in enumerate(products)
    )
    currency = rng.choice(CURRENCIES)
    incoterm = rng.choice(INCOTERMS)
    subtotal = sum((line.amount for line in lines), Decimal(0))
    discount = (_round(subtotal * Decimal(rng.choice(("0.02", "0.03", "0.05"))))
                if rng.random() < 0.2 else None)
    freight = insurance = None
    if incoterm in ("CFR", "CPT", "CIF", "CIP", "DAP", "DDP"):
        freight = _round(Decimal(rng.randrange(650, 4800)) + Decimal(rng.randrange(100)) / 100)
    if incoterm in ("CIF", "CIP"):
        insurance = _round((subtotal + (freight or 0)) * Decimal("0.0011") + 15)
    total = subtotal - (discount or 0) + (freight or 0) + (insurance or 0)
    load, discharge = seller.place, buyer.place
    place = (load.port if incoterm in ("FOB", "FAS") else
             discharge.port if incoterm in ("CFR", "CIF") else
             load.city if incoterm in ("EXW", "FCA") else discharge.city)
    invoice_date = start + dt.timedelta(days=rng.randrange(540))
    packing_date = invoice_date + dt.timedelta(days=rng.choice((0, 0, 1)))
    bl_date = invoice_date + dt.timedelta(days=rng.randrange(2, 12))
    declaration_date = bl_date + dt.timedelta(days=rng.randrange(18, 42))
    carrier, _scac = rng.choice(CARRIERS)
    gross_total = sum((line.gross_kg for line in lines), Decimal(0))
    container_count = max(1, min(6, math.ceil(gross_total / Decimal(20000))))
    containers = tuple(
        (_container_number(rng), tuple(_seal(rng) for _ in range(rng.choice((1, 1, 1, 2)))))
        for _ in range(container_count)
    )
    year = invoice_date.year
    marks = (buyer.name.split()[0].upper(), discharge.port.upper(),
             f"C/NO. 1-{sum(line.packages for line in lines)}",
             f"MADE IN {seller_country}")
    return Shipment(
        seller=seller, buyer=buyer, notify=notify, declarant=declarant, currency=currency,
        incoterm=incoterm, incoterm_place=place, lines=lines, subtotal=subtotal,
        discount=discount, freight=freight, insurance=insurance, total=total,
        invoice_number=rng.choice((f"INV-{year}-{rng.randrange(1, 99999):05d}",
                                   f"{year % 100}{rng.randrange(100000, 999999)}",
                                   f"CI/{rng.randrange(100, 999)}/{year}")),
        invoice_date=invoice_date,
        packing_number=f"PL-{year}-{rng.randrange(1, 9999):04d}",
        packing_date=packing_date,
        bl_number=f"{rng.choice(('OCLU', 'BMSU', 'NSLU', 'POCU'))}{rng.randrange(10**8, 10**9)}",
        bl_date=bl_date, carrier=carrier, vessel=rng.choice(VESSELS),
        voyage=f"{rng.randrange(100, 999)}{rng.choice('EWNS')}",
        port_of_loading=load.port, port_of_discharge=discharge.port,
        containers=containers, marks=marks, declaration_date=declaration_date,
        reference=f"LRN-{declaration_date.year}-{rng.randrange(10**6):06d}",
        office=f"{buyer_country}{rng.randrange(100000, 999999)}",
    )


_OPTIONS = {
    "commercial_invoice": ("hs", "origin", "identifiers", "currency_label", "payment",
                           "customer_no"),
    "packing_list": ("identifiers", "kind_column", "date", "totals_block", "invoice_ref"),
    "bill_of_lading": ("notify_block", "measurement", "type_column"),
}


def draw_style(
    rng: random.Random,
    document_type: str,
    *,
    layout: str | None = None,
    language: str | None = None,
    font: str | None = None,
) -> DocumentStyle:
    layout = layout or rng.choice(LAYOUTS[document_type])
    if language is None:
        language = rng.choice(LANGUAGES if document_type != "bill_of_lading"
                              else ("en", "en", "en", "de", "fr", "es"))
    labels = {key: rng.choice(by_language[language]) for key, by_language in LABELS.items()}
    options = frozenset(o for o in _OPTIONS[document_type] if rng.random() < 0.6)
    return DocumentStyle(
        document_type=document_type, layout=layout, language=language,
        number_style=rng.choice(NUMBER_STYLES_BY_LANGUAGE[language]),
        date_style=rng.choice(DATE_STYLES_BY_LANGUAGE[language]),
        font=font or rng.choice(FONTS), labels=labels, options=options,
        variant=rng.randrange(1000),
    )
